// The vocal line: lyrics (model/lyrics.h) set to a melody over a composed Score, one note per
// syllable, and the karaoke files timed from those notes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/audio.h"
#include "model/cue_sheet.h"
#include "model/lyrics.h"
#include "model/score.h"

namespace tonepoem {

// The voices a vocal line can be written for: each an octave and a fifth, the tonic placed a
// minor third above its lowest note or higher. `middle` (G3..D5) suits most untrained voices
// and is the default; the others are the classical ranges' comfortable middle.
struct VoiceRange {
  std::string_view name;
  int low = 0, high = 0;   // MIDI pitches
  std::string_view notes;  // the same in note names, for messages and help
  // The sung guide's espeak-ng variant: a male one ("+m3") for the low voices, else female
  // ("+f3"); Rubber Band keeps the formants, so a voice moved far from its own pitch sounds
  // less like a voice.
  std::string_view espeak_variant;
};
inline constexpr std::array<VoiceRange, 6> kVoiceRanges = {{
    {"middle", 55, 74, "G3..D5", "+f3"},
    {"soprano", 60, 79, "C4..G5", "+f3"},
    {"alto", 53, 72, "F3..C5", "+f3"},
    {"tenor", 48, 67, "C3..G4", "+m3"},
    {"baritone", 45, 64, "A2..E4", "+m3"},
    {"bass", 40, 59, "E2..B3", "+m3"},
}};
// The range named `name` (ASCII case ignored); none when there is no such range.
std::optional<VoiceRange> find_voice_range(std::string_view name);
// "middle (G3..D5), soprano (C4..G5), ...": what `name` may be, for messages and help.
std::string accepted_voice_ranges();

struct VocalOptions {
  int program = 53;  // General MIDI "Voice Oohs": the guide melody as an instrument
  // The voice's range, MIDI pitches: an octave and a fifth (G3..D5) in every key. The tonic is
  // placed in [low + 3, low + 14], the line moving around it.
  int low = 55, high = 74;
  // Chinese: no move against the tones where the line's shape leaves a choice (false: the shape
  // alone, as before; bench/song_bench's baseline).
  bool follow_tones = true;
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
  double end_s = 0;    // Score::seconds_at(note.tick + note.duration)
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
// that stressed syllables fall on beats, and on strong beats (the bar's first, the middle of 4/4)
// where they can; the unstressed syllables before a line's first stress may come as a pickup of
// up to half a beat before the bar line, in the breath the line before left (half a beat of it
// kept), so that the stress falls on the downbeat. Pitch: an arch per
// line in the section's mode, stressed syllables on tones of the sounding chord, a line's last
// note on a tone of the tonic triad (the tonic at a section's end), every note within an octave
// and a fifth; in Chinese, no move against the tones where the rule above leaves a choice
// (VocalStats::tone_pairs). Deterministic. Uses a MIDI channel the score leaves free.
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

// The vocal's notes as a voice sings them (audio/sing.h): each syllable's sound at its note's
// pitch and time. English: a word of one syllable whole (its letters, no punctuation), a longer
// word's syllables by their letters; Chinese: the character's tone-numbered pinyin.
std::vector<SungNote> sung_notes(const Vocal& vocal, const SongLyrics& lyrics);

// Karaoke captions: one per sung line, from its first note to its last note's end, each word timed
// from its first syllable's note to its last syllable's end (the video highlights each word as it
// is sung). Emotions are left neutral for the caller.
std::vector<Caption> karaoke_captions(const Vocal& vocal, const SongLyrics& lyrics);

struct VocalStats {
  std::size_t syllables = 0;  // in the lyrics
  std::size_t sung = 0;       // on a note
  std::size_t stressed = 0, stressed_on_beat = 0, stressed_on_strong = 0;
  // Chinese: neighbouring syllables of a line whose tones ask the melody to rise or fall (a tone
  // starting higher or lower than the one before: 1 and 4 start high, 2 mid, 3 low), and those
  // whose notes do not move against it; the same for pairs whose second note is on a beat.
  std::size_t tone_pairs = 0, tone_agreeing = 0;
  std::size_t tone_pairs_on_beat = 0, tone_agreeing_on_beat = 0;
  int lowest = 127, highest = 0;
};
VocalStats vocal_stats(const SongLyrics& lyrics, const Vocal& vocal);

}  // namespace tonepoem
