// The Score: what the composer writes and every later stage (MIDI, MusicXML, synthesis, video
// pulses, judge) reads. Times are in ticks (ppq per quarter note) with a tempo map.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"

namespace tonepoem {

// Diatonic modes ordered from brightest to darkest (Ehrlich et al. 2019 map valence along this
// line).
enum class Mode { lydian, ionian, mixolydian, dorian, aeolian, phrygian, locrian };
std::string_view mode_name(Mode mode);  // "lydian", "ionian", ...
bool is_minor_mode(Mode mode);          // dorian, aeolian, phrygian, locrian
// Semitone offsets of the 7 scale degrees from the tonic.
const std::array<int, 7>& mode_intervals(Mode mode);
// Key signature of a tonic and mode as sharps (> 0) or flats (< 0): the signature of the parent
// major scale (D dorian -> 0, E aeolian -> 1, F lydian -> 0). MIDI and MusicXML use it.
int key_fifths(int tonic, Mode mode);
// "C", "C#", ..., "B" for pitch class 0..11.
std::string_view pitch_class_name(int pitch_class);

struct Note {
  std::int64_t tick = 0;
  std::int64_t duration = 0;  // > 0
  int pitch = 60;             // MIDI 0..127
  int velocity = 80;          // 1..127
};

// Where a sung syllable stands in its word (MusicXML's <syllabic>: notation programs draw the
// hyphens between a word's syllables from it).
enum class Syllabic { single, begin, middle, end };

// A sung syllable's text at its note (MIDI lyric meta event FF 05, as .kar players show it).
struct Lyric {
  std::int64_t tick = 0;
  std::string text;  // .kar convention: a word after the first of a line starts with a space
  Syllabic syllabic = Syllabic::single;  // not in MIDI: a file read back has single everywhere
};

struct Track {
  std::string name;         // e.g. "Melody (Flute)"
  std::string role;         // "melody", "chords", "bass", "drums", "pad", ...
  int channel = 0;          // 0..15; 9 is General MIDI percussion
  int program = 0;          // General MIDI program 0..127 (ignored on channel 9)
  double pan = 0.0;         // -1 (left) .. 1 (right)
  double gain = 1.0;        // linear, applied as channel volume
  std::vector<Note> notes;  // sorted by tick
  std::vector<std::pair<std::int64_t, int>> program_changes;  // (tick, program) after the first
  std::vector<Lyric> lyrics = {};  // a vocal track's syllables, ascending, each at its note's tick
};

struct TempoEvent {
  std::int64_t tick = 0;
  double bpm = 120.0;
};
struct KeyEvent {
  std::int64_t tick = 0;
  int tonic = 0;
  Mode mode = Mode::ionian;
};
struct MeterEvent {
  std::int64_t tick = 0;
  int numerator = 4;
  int denominator = 4;
};
struct Marker {
  std::int64_t tick = 0;
  std::string text;
};

// One chord of the harmony as the composer planned it (MIDI files do not carry these; read_midi
// leaves Score::chords empty). Lets the judge, MusicXML and tests see the harmony directly.
struct ChordEvent {
  std::int64_t tick = 0, duration = 0;
  int root = 0;                    // pitch class
  std::vector<int> pitch_classes;  // every chord tone, root first
  std::string roman;               // Roman numeral in the section's key: "I", "V7", "V7/ii", "bVII"
  std::string cadence;             // at a phrase end: "authentic", "half", "plagal", "deceptive",
                                   // "phrygian", "modulating"; empty inside a phrase
};

// One section of the piece: one cue of the CueSheet, as composed.
struct ScoreSection {
  std::string name;
  std::int64_t start_tick = 0, end_tick = 0;  // whole bars
  double start_s = 0, end_s = 0;              // from the tempo map
  int tonic = 0;                              // pitch class
  Mode mode = Mode::ionian;
  double tempo_bpm = 120.0;
  int beats_per_bar = 4;
  std::vector<std::string> instruments;  // General MIDI names of the programs used
  Emotion target;
};

struct Score {
  std::string title;
  int ppq = 480;
  std::vector<Track> tracks;
  std::vector<TempoEvent> tempo;   // first at tick 0, ascending
  std::vector<KeyEvent> keys;      // first at tick 0, ascending
  std::vector<MeterEvent> meters;  // first at tick 0, ascending
  std::vector<Marker> markers;     // one per section start, ascending
  std::vector<Marker> hits;        // the cue sheet's hit points as composed ("hit: death"),
                                   // each on the beat nearest its time, ascending
  std::vector<ScoreSection> sections;
  std::vector<ChordEvent> chords;  // the composer's harmony, ascending (empty when read from MIDI)
  std::int64_t end_tick = 0;       // end of the last bar (notes may ring a little past it)

  // Seconds at `tick` through the tempo map, and the inverse.
  double seconds_at(std::int64_t tick) const;
  std::int64_t tick_at(double seconds) const;
  double duration_s() const { return seconds_at(end_tick); }
  // Times (s) of every beat, and of every downbeat (bar start), through tempo and meter maps.
  std::vector<double> beat_times() const;
  std::vector<double> downbeat_times() const;
};

// General MIDI program name ("Acoustic Grand Piano", ...) for 0..127.
std::string_view gm_program_name(int program);

void to_json(nlohmann::json& j, const ScoreSection& s);
void from_json(const nlohmann::json& j, ScoreSection& s);

// Every event of the score as readable text, one per line (header, tempo, key, meter, markers,
// sections, chords, then each track and its notes), for golden dumps and diffs. Deterministic;
// times in ticks, numbers rounded to 3 decimals.
std::string score_event_list(const Score& score);

}  // namespace tonepoem
