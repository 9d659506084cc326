// What the composer's pieces share; private to src/music/compose/ (the API is music/compose.h).
//
// One run of compose() (arrange.cpp), and where each step lives:
//   1. every cue's emotion is mapped to MusicParams (mapping.cpp: map_emotion, the palettes);
//   2. keys are chosen near the previous section's key signature, and each section gets a whole
//      number of bars and a tempo that lands its end on the planned time (ramps and the final
//      ritardando included in the sum) (arrange.cpp);
//   3. each section is cut into 4- or 8-bar phrases; each phrase gets a functional progression in
//      Roman numerals ending in a cadence (the last phrase of a section modulates by a pivot chord
//      when the next key differs) (harmony.cpp);
//   4. a melody is built per phrase from the section's motif (stated, repeated, varied, answered;
//      character leitmotifs at phrase starts), with chord tones on strong beats (melody.cpp);
//   5. each section's parts are written by the rows of kParts (arrange.cpp), one writer per part
//      (parts.cpp): melody, doubling, then chords, pad, bass, timpani and drums realizing the
//      harmony by the section's patterns with the voicings of voicing.cpp.
// All randomness comes from one Rng seeded by the cue sheet (or ComposeOptions::seed).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "model/cue_sheet.h"
#include "model/score.h"
#include "music/compose.h"

namespace tonepoem::composer {

inline constexpr int kPpq = 480;
inline constexpr std::int64_t kEighth = kPpq / 2;

inline int mod12(int x) {
  return ((x % 12) + 12) % 12;
}
inline int floor_div(int a, int b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// ----------------------------------------------------------------- instruments (mapping.cpp)

struct InstrumentRange {
  int program, low, high, center;  // center: where a melody sits comfortably
};
// The range of a General MIDI program; 36..96 around 66 for a program the table does not know.
InstrumentRange range_of(int program);

// True when `style` (a name from music_styles()) keeps each section's accompaniment pattern as
// apply_style set it: no re-orchestration of long sections' blocks and no drive at the peaks
// (only plain chords under a quiet line). False for "" and "default".
bool style_holds_accompaniment(std::string_view style);

// ------------------------------------------------------------- keys and chords (harmony.cpp)

struct Key {
  int tonic = 0;
  Mode mode = Mode::ionian;
  int pc(int degree) const {
    const int d = ((degree % 7) + 7) % 7;
    return mod12(tonic + mode_intervals(mode)[static_cast<std::size_t>(d)]);
  }
};

struct Harm {
  int root = 0;
  std::vector<int> intervals;  // semitones above the root, 0 first
  int degree = 0;              // scale degree of the root in the key, -1 when chromatic
  std::string roman;
  std::string cadence;
  bool operator==(const Harm& o) const { return root == o.root && intervals == o.intervals; }
  std::vector<int> pcs() const {
    std::vector<int> out;
    for (int i : intervals) out.push_back(mod12(root + i));
    return out;
  }
  bool has(int pc) const {
    for (int i : intervals)
      if (mod12(root + i) == mod12(pc)) return true;
    return false;
  }
};

// ---------------------------------------------------------------------------- the sections

struct Phrase {
  int first_bar = 0, bars = 0;
  std::string cadence;  // kind of cadence at its end
  bool leitmotif = false;
  bool pedal = false;
};

// A development's modulation: bars [first_bar, end_bar) of a long section in another key.
struct KeyExcursion {
  int first_bar = 0, end_bar = 0;
  Key key;  // tonic not wrapped (home tonic + shift), so that scale indices keep their register
};

struct Section {
  const Cue* cue = nullptr;
  MusicParams p;
  Key key;                                // the home key
  std::optional<KeyExcursion> excursion;  // set by plan_harmony in long sections
  int beats = 4;
  int bars = 1;
  double bpm = 120;               // base tempo after fitting
  std::vector<double> beat_mult;  // tempo multiplier per beat (ramps, ritardando)
  std::int64_t start_tick = 0;
  std::vector<Phrase> phrases;
  std::vector<Harm> chords;  // with ticks in chord_ticks
  std::vector<std::int64_t> chord_ticks, chord_durs;
  std::string leitmotif_owner;      // first character of the cue, if any
  int leitmotif_bars = 1;           // 2 in calm scenes: the leitmotif augmented
  std::vector<double> bar_start_s;  // planned time of each bar's downbeat (fit_time)
  // The story's curve inside the section, one value per bar in -1 (the quietest line) .. 1 (the
  // peak), relative to the section's own level (shape_sections); empty or all 0: flat.
  std::vector<double> intensity;
  // The music the first section continues (ComposeOptions::previous_tempo_bpm and
  // previous_velocity): fit_time eases its first bar in from entry_bpm (0: none), and its dynamics
  // start from entry_velocity (-1: none).
  double entry_bpm = 0;
  int entry_velocity = -1;
  bool hold_accompaniment = false;  // style_holds_accompaniment
  std::int64_t bar_ticks() const { return static_cast<std::int64_t>(beats) * kPpq; }
  std::int64_t end_tick() const { return start_tick + bars * bar_ticks(); }
  // True inside the last bar of a phrase, where the accompaniment breathes with the cadence.
  bool in_cadence_bar(std::int64_t tick) const {
    for (const Phrase& ph : phrases) {
      const std::int64_t start = start_tick + (ph.first_bar + ph.bars - 1) * bar_ticks();
      if (tick >= start && tick < start + bar_ticks()) return true;
    }
    return false;
  }
  int bar_of(std::int64_t tick) const {
    return std::clamp(static_cast<int>((tick - start_tick) / bar_ticks()), 0, bars - 1);
  }
  double intensity_at(std::int64_t tick) const {
    if (intensity.empty()) return 0;
    return intensity[static_cast<std::size_t>(bar_of(tick))];
  }
  // Where the music thins to the melody alone (a quiet line) and where every part plays (a peak).
  bool solo_at(std::int64_t tick) const { return intensity_at(tick) < kSoloBelow; }
  bool peak_at(std::int64_t tick) const { return intensity_at(tick) > kPeakAbove; }
  // A long section develops every 8 bars (new block: re-orchestration, varied motif and
  // patterns); 0 throughout a section under 16 bars.
  int block_of(std::int64_t tick) const { return bars >= 16 ? bar_of(tick) / 8 : 0; }
  // The key in force at `tick`: the excursion's inside it, the home key elsewhere.
  const Key& key_at(std::int64_t tick) const {
    if (excursion) {
      const int bar = bar_of(tick);
      if (bar >= excursion->first_bar && bar < excursion->end_bar) return excursion->key;
    }
    return key;
  }
  // What the entry from entry_velocity adds to the section's loudness at `tick`: all of the
  // difference at the start, none from the end of the first bar (the second when the section
  // has three or more); 0 everywhere when entry_velocity < 0.
  double entry_offset(std::int64_t tick) const {
    if (entry_velocity < 0) return 0;
    const std::int64_t span = (bars >= 3 ? 2 : 1) * bar_ticks();
    const double frac = static_cast<double>(tick - start_tick) / static_cast<double>(span);
    return (entry_velocity - p.velocity) * (1 - std::clamp(frac, 0.0, 1.0));
  }
  static constexpr double kSoloBelow = -0.6, kPeakAbove = 0.55;
  const Harm& chord_at(std::int64_t tick) const {
    std::size_t i = 0;
    while (i + 1 < chords.size() && chord_ticks[i + 1] <= tick) ++i;
    return chords[i];
  }
};

// ---------------------------------------------------------------------- harmony (harmony.cpp)

// Chords for one phrase of `s`: bars[j] holds one chord (whole bar) or two (halves). The phrase's
// cadence kind picks the last two bars; "modulating" leads to `next_key`'s dominant by a pivot.
std::vector<std::vector<Harm>> phrase_harmony(const Section& s, const Phrase& ph,
                                              const std::optional<Key>& next_key, bool final_phrase,
                                              Rng& rng);

// ---------------------------------------------------------------------- voicing (voicing.cpp)

// Chooses `voices` notes within [lo, hi] holding the chord's essential tones, nearest to `prev`
// (the least total motion); empty when no such voicing fits in the window.
std::vector<int> voice_chord(const Harm& h, int voices, int lo, int hi,
                             const std::vector<int>& prev);

// Where the chords and pad sit: below a high melody, above a low one, so the tune stays clear.
std::pair<int, int> accompaniment_window(const MusicParams& p, int program);

// ------------------------------------------------------------------------ melody (melody.cpp)

struct MelodyNote {
  std::int64_t tick, duration;
  int pitch;
  int velocity;
};

// The span the melody moves in: about an octave and a half around the instrument's comfortable
// middle, shifted by the emotion's register (brighter higher, darker lower).
std::pair<int, int> melody_window(int program, int register_shift);

// The melody of one section for `program`: the section's motif stated, repeated, varied and
// answered phrase by phrase, `leitmotif` (scale degrees; may be empty) opening the phrases marked
// for it. In the `final_section` the last phrase closes on the tonic held a whole bar.
std::vector<MelodyNote> compose_melody(const Section& s, int program,
                                       const std::vector<int>& leitmotif, bool final_section,
                                       Rng& rng);

// -------------------------------------------------------------------------- parts (parts.cpp)

// What one part writes over the whole piece; it becomes one Track.
struct PartNotes {
  std::vector<Note> notes;
  std::vector<std::pair<std::int64_t, int>> programs;  // (tick, program), repeats left out
  // Drops a note of no length or outside MIDI's pitch range; clamps the velocity to 1..127.
  void note(std::int64_t tick, std::int64_t dur, int pitch, int velocity);
  void program(std::int64_t tick, int prog);
};

// What one part leaves for a later one: the lines of the current section, and the voicings
// carried from section to section so that the voices move smoothly across a boundary.
struct SharedLines {
  std::vector<MelodyNote> melody;  // this section's melody (written by melody, read by doubling)
  // This section's chord voicings, one per chord, empty where the chords rest (written by
  // chords, read by pad).
  std::vector<std::vector<int>> chord_voicings;
  std::vector<int> chord_voicing, pad_voicing;  // the last voicing each part played
  int counter_pitch = -1;                       // the counterline's last note; -1: none yet
};

// What a part writer sees of the section it writes.
struct PartContext {
  const Section& section;
  const Section* next;  // the section after it; nullptr in the last section
  bool final_section;
  std::uint64_t seed;  // the piece's seed (leitmotifs are derived from it)
  SharedLines& shared;
};

// Writes one part of one section into `out`, drawing from the section's `rng`.
using PartWriter = void (*)(const PartContext& ctx, PartNotes& out, Rng& rng);

// The part writers, one per row of kParts (arrange.cpp).
void write_melody(const PartContext& ctx, PartNotes& out, Rng& rng);
// Needs the melody: after write_melody.
void write_doubling(const PartContext& ctx, PartNotes& out, Rng& rng);
// The accompaniment: the harmony voiced and played in the section's Accompaniment pattern.
void write_chords(const PartContext& ctx, PartNotes& out, Rng& rng);
// Plays under the chords that write_chords voiced: after it.
void write_pad(const PartContext& ctx, PartNotes& out, Rng& rng);
// Roots (or a tonic pedal), roots and fifths, or driving eighths as the energy rises.
void write_bass(const PartContext& ctx, PartNotes& out, Rng& rng);
// A hit at each phrase start and a crescendo roll into each phrase end.
void write_timpani(const PartContext& ctx, PartNotes& out, Rng& rng);
// A backbeat kit groove (toms when dark), a fill in each phrase's last bar, crashes at phrases.
void write_drums(const PartContext& ctx, PartNotes& out, Rng& rng);
// The full orchestra's tenor counterline: each chord's guide tone, held; from the section's
// second phrase and at its peaks (throughout in the fullest orchestra). Draws nothing from `rng` (the last row: earlier parts are unchanged).
void write_counter(const PartContext& ctx, PartNotes& out, Rng& rng);

}  // namespace tonepoem::composer
