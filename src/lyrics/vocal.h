// The vocal line: lyrics (model/lyrics.h) set to a melody over a composed Score, one note per
// syllable, and the karaoke files timed from those notes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/lyrics.h"
#include "model/score.h"

namespace tonepoem {

struct VocalOptions {
  int program = 53;  // General MIDI "Voice Oohs": the guide melody as an instrument
  // The voice's range, MIDI pitches: an octave and a fifth (G3..D5) in every key. The tonic is
  // placed in [low + 3, low + 14], the line moving around it.
  int low = 55, high = 74;
};

// One sung syllable: where it came from and the note that sings it.
struct SungSyllable {
  std::size_t section = 0, line = 0, word = 0, syllable = 0;  // indices into the SongLyrics
  std::string text;
  bool stressed = false;
  bool on_beat = false;    // the note starts on a beat of the bar
  bool on_strong = false;  // ... on the bar's first beat or (4/4, 6/8 ..) its middle one
  Note note;
  double start_s = 0;  // Score::seconds_at(note.tick)
};

struct SungLine {
  std::size_t section = 0, line = 0;
  std::string text;
  double start_s = 0, end_s = 0;     // its first note's start, its last note's end
  std::size_t first = 0, count = 0;  // its syllables in Vocal::syllables
};

struct Vocal {
  Track track;                          // role "vocal": the notes with a lyric event on each
  std::vector<SungSyllable> syllables;  // in time order
  std::vector<SungLine> lines;
  std::size_t unsung = 0;  // syllables that found no room before the score's end (0 when it fits)
};

// Seconds a song of these lyrics needs at a moderate tempo, with room for verses that wait for
// their section: what `make --song` gives the plan when the story alone would be shorter.
double song_duration_estimate(const SongLyrics& lyrics);

// Sets the lyrics over `score` (its sections' keys, meters, tempi and chords, left unchanged):
// each verse starts at the start of the section of its cue (or after the previous line if that
// is later), each line a phrase of whole bars with a beat's breath after it. Rhythm: syllables on
// a grid of eighths (sixteenths under 75 bpm, quarters over 150), placed by dynamic programming so
// that stressed syllables fall on beats, strong beats where it costs nothing. Pitch: an arch per
// line in the section's mode, stressed syllables on tones of the sounding chord, a line's last
// note on a tone of the tonic triad (the tonic at a section's end), every note within an octave
// and a fifth. Deterministic. Uses a MIDI channel the score leaves free.
Vocal write_vocal(const Score& score, const SongLyrics& lyrics, const VocalOptions& options = {});

// LRC: "[mm:ss.xxx]line" per line at its first note (milliseconds, rounded).
std::string lrc_text(const Vocal& vocal, const std::string& title);
// Enhanced LRC: each line as above with "<mm:ss.xxx>word" at each word's first note.
std::string enhanced_lrc_text(const Vocal& vocal, const SongLyrics& lyrics,
                              const std::string& title);

// ASS (Advanced SubStation Alpha) karaoke: one Dialogue event per sung line, from its first
// note to its last note's end, each syllable a {\kf} fill lasting from its note to the next
// syllable's (centiseconds, ASS's unit: every syllable starts within 5 ms of its note).
// Players and FFmpeg's subtitles filter (libass) sweep the colour across the words as sung.
std::string ass_karaoke_text(const Vocal& vocal, const SongLyrics& lyrics,
                             const std::string& title);

struct VocalStats {
  std::size_t syllables = 0;  // in the lyrics
  std::size_t sung = 0;       // on a note
  std::size_t stressed = 0, stressed_on_beat = 0, stressed_on_strong = 0;
  int lowest = 127, highest = 0;
};
VocalStats vocal_stats(const SongLyrics& lyrics, const Vocal& vocal);

}  // namespace tonepoem
