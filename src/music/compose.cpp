// The composer. Overview of one run:
//   1. every cue's emotion is mapped to MusicParams (map_emotion, the table below);
//   2. keys are chosen near the previous section's key signature, and each section gets a whole
//      number of bars and a tempo that lands its end on the planned time (ramps and the final
//      ritardando included in the sum);
//   3. each section is cut into 4- or 8-bar phrases; each phrase gets a functional progression in
//      Roman numerals ending in a cadence (the last phrase of a section modulates by a pivot chord
//      when the next key differs);
//   4. a melody is built per phrase from the section's motif (stated, repeated, varied, answered;
//      character leitmotifs at phrase starts), with chord tones on strong beats;
//   5. accompaniment, pad, bass, timpani and drums realize the harmony by the section's patterns.
// All randomness comes from one Rng seeded by the cue sheet (or ComposeOptions::seed).

#include "music/compose.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/rng.h"

namespace tonepoem {

// ---------------------------------------------------------------------------------------------
// Emotion -> music (v = valence -1..1, a = arousal -1..1, t = tension 0..1, e = (a+1)/2).
//
//   parameter            formula / rule                                   low end      high end
//   tempo (bpm)          110 + 50a + 6v, clamped 56..166                   ~56 calm     ~166
//   excited melody density       0.5 + 1.5 e^1.3 notes per beat                    0.5          2.0
//   velocity             48 + 56e + 10t, clamped 30..120                   48 (p)       114 (ff)
//   articulation         0.97 - 0.4 max(a,0) - 0.1t (fraction sounded)     legato       staccato
//   accompaniment        a<-0.55 arpeggio; <-0.05 Alberti (piano) or       arpeggio     ostinato
//                        arpeggio; <0.35 block/pulse; else ostinato;
//                        tremolo strings play tremolo; strings measured
//                        tremolo when t >= 0.6
//   percussion           drums when a > 0.35 (backbeat if v >= -0.2, toms otherwise)
//   orchestral weight    0.15 + 0.7e + 0.15t: pad layer from 0.3, doubling from 0.6, 4-voice
//                        chords from 0.35
//   mode                 brightness b = v - 0.4t: b>=0.6 lydian, >=0.15 ionian, >=0 mixolydian,
//                        >=-0.3 dorian, >=-0.7 aeolian, else phrygian (locrian if t>=0.75, b<-1.1)
//   register             melody window shifted round(5v - 2t) semitones
//   contour              0.8v + 0.2a: rising arcs when bright, falling lines when dark
//   dissonance           0.1 + 0.75t + 0.1 max(-v,0): 7ths, then 9ths above 0.5
//   pedal points         probability per phrase (t - 0.35) * 1.2, at most 0.8
//   secondary dominants  probability per chord change 0.1 + 0.45t + 0.1e, at most 0.6
//   chromaticism         passing semitones with probability 0.5t - 0.05
//   meter                3/4 for gentle pleasant music (v > 0.25, -0.5 < a < -0.05, t < 0.4)
//   key                  major family: D (a>0.3), G, F (a<-0.3); minor family: C (a>0.3), A,
//                        D (a<-0.3); phrygian E, locrian B; later sections move to the nearest
//                        key signature (see choose_tonic).
//
// Orchestration (General MIDI), nearest region in (v, a, 0.8t):
//   region     v     a     t    melody        chords             bass         pad           extra
//   serene    0.6  -0.6   0.0   Flute         Piano              Cello        Strings       -
//   tender    0.5  -0.1   0.0   Violin        Harp               Cello        Strings 2     -
//   playful   0.5   0.35  0.0   Clarinet      Pizzicato Strings  Acoust. Bass -             Marimba
//   joyful    0.7   0.7   0.0   Trumpet       Strings            Acoust. Bass Brass Sect.
//   Glockenspiel, timpani pensive   0.0  -0.3   0.2   Clarinet      Piano              Cello
//   Strings       - wistful  -0.3  -0.1   0.2   Oboe          Piano              Cello Strings -
//   sad      -0.6  -0.6   0.2   Cello         Piano              Contrabass   Strings 2     -
//   suspense -0.3  -0.2   0.7   Bassoon       Strings 2          Contrabass   Choir Aahs    -
//   fearful  -0.6   0.5   0.8   French Horn   Tremolo Strings    Contrabass   Trombone      timpani
//   angry    -0.7   0.85  0.5   Trombone      Strings            Contrabass   Brass Sect.   timpani
// ---------------------------------------------------------------------------------------------

namespace {

constexpr int kPpq = 480;
constexpr std::int64_t kEighth = kPpq / 2;

struct Palette {
  std::string_view name;
  double valence, arousal, tension;
  int melody, chords, bass, pad, doubling;
  bool timpani;
};

constexpr std::array<Palette, 10> kPalettes = {{
    {"serene", 0.6, -0.6, 0.0, 73, 0, 42, 48, -1, false},
    {"tender", 0.5, -0.1, 0.0, 40, 46, 42, 49, -1, false},
    {"playful", 0.5, 0.35, 0.0, 71, 45, 32, -1, 12, false},
    {"joyful", 0.7, 0.7, 0.0, 56, 48, 32, 61, 9, true},
    {"pensive", 0.0, -0.3, 0.2, 71, 0, 42, 48, -1, false},
    {"wistful", -0.3, -0.1, 0.2, 68, 0, 42, 48, -1, false},
    {"sad", -0.6, -0.6, 0.2, 42, 0, 43, 49, -1, false},
    {"suspense", -0.3, -0.2, 0.7, 70, 49, 43, 52, -1, false},
    {"fearful", -0.6, 0.5, 0.8, 60, 44, 43, 57, -1, true},
    {"angry", -0.7, 0.85, 0.5, 57, 48, 43, 61, -1, true},
}};

struct InstrumentRange {
  int program, low, high, center;  // center: where a melody sits comfortably
};

constexpr std::array<InstrumentRange, 27> kRanges = {{
    {0, 21, 108, 67},  {9, 79, 108, 90}, {12, 45, 96, 74},  {32, 28, 60, 40},  {40, 55, 103, 76},
    {41, 48, 91, 67},  {42, 36, 76, 57}, {43, 28, 67, 40},  {44, 28, 103, 64}, {45, 28, 103, 64},
    {46, 24, 103, 65}, {47, 40, 57, 48}, {48, 28, 103, 64}, {49, 28, 103, 64}, {52, 48, 81, 64},
    {56, 54, 82, 70},  {57, 40, 72, 58}, {58, 28, 58, 40},  {60, 34, 77, 60},  {61, 34, 82, 64},
    {68, 58, 91, 74},  {69, 52, 81, 66}, {70, 34, 75, 52},  {71, 50, 94, 70},  {72, 74, 108, 88},
    {73, 60, 96, 79},  {11, 53, 89, 72},
}};

InstrumentRange range_of(int program) {
  for (const auto& r : kRanges)
    if (r.program == program) return r;
  return {program, 36, 96, 66};
}

int mod12(int x) {
  return ((x % 12) + 12) % 12;
}
int floor_div(int a, int b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// ----------------------------------------------------------------------------- keys and chords

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

std::string roman_numeral(const Key& key, const Harm& h) {
  static constexpr std::array<std::string_view, 7> kUpper = {"I", "II", "III", "IV",
                                                             "V", "VI", "VII"};
  static constexpr std::array<int, 7> kMajor = {0, 2, 4, 5, 7, 9, 11};
  // Degree by letter: the nearest major-scale degree to the root.
  int degree = 0;
  int best = 99;
  int accidental = 0;
  const int rel = mod12(h.root - key.tonic);
  for (int d = 0; d < 7; ++d) {
    int diff = rel - kMajor[static_cast<std::size_t>(d)];
    if (diff > 6) diff -= 12;
    if (diff < -6) diff += 12;
    // Prefer the mode's own degree when the root is diatonic.
    const bool diatonic = h.degree == d;
    const int score = std::abs(diff) * 2 - (diatonic ? 3 : 0);
    if (score < best) {
      best = score;
      degree = d;
      accidental = diff;
    }
  }
  const bool has3 = std::find(h.intervals.begin(), h.intervals.end(), 3) != h.intervals.end();
  const bool has6 = std::find(h.intervals.begin(), h.intervals.end(), 6) != h.intervals.end();
  const bool has8 = std::find(h.intervals.begin(), h.intervals.end(), 8) != h.intervals.end();
  std::string name(kUpper[static_cast<std::size_t>(degree)]);
  if (has3)
    for (char& c : name) c = static_cast<char>(c - 'A' + 'a');
  std::string out;
  if (accidental < 0) out += std::string(static_cast<std::size_t>(-accidental), 'b');
  if (accidental > 0) out += std::string(static_cast<std::size_t>(accidental), '#');
  out += name;
  if (has3 && has6) out += "o";
  if (!has3 && has8) out += "+";
  const bool has10 = std::find(h.intervals.begin(), h.intervals.end(), 10) != h.intervals.end();
  const bool has11 = std::find(h.intervals.begin(), h.intervals.end(), 11) != h.intervals.end();
  if (has10 || has11) out += has11 && !has3 ? "maj7" : "7";
  if (std::find(h.intervals.begin(), h.intervals.end(), 14) != h.intervals.end()) out += "(9)";
  return out;
}

// Diatonic chord on `degree`; extension 0 triad, 1 seventh, 2 seventh and ninth.
Harm diatonic(const Key& key, int degree, int extension) {
  Harm h;
  h.degree = ((degree % 7) + 7) % 7;
  h.root = key.pc(degree);
  h.intervals = {0, mod12(key.pc(degree + 2) - h.root), mod12(key.pc(degree + 4) - h.root)};
  if (extension >= 1) h.intervals.push_back(mod12(key.pc(degree + 6) - h.root));
  if (extension >= 2) h.intervals.push_back(12 + mod12(key.pc(degree + 1) - h.root));
  h.roman = roman_numeral(key, h);
  return h;
}

bool is_diminished(const Key& key, int degree) {
  const Harm h = diatonic(key, degree, 0);
  return h.intervals[1] == 3 && h.intervals[2] == 6;
}

// A major (dominant-seventh) chord on `root` pitch class; `label` is its Roman numeral.
Harm dominant_on(int root, bool seventh, int degree, std::string label) {
  Harm h;
  h.root = mod12(root);
  h.degree = degree;
  h.intervals = {0, 4, 7};
  if (seventh) h.intervals.push_back(10);
  h.roman = std::move(label);
  return h;
}

// The chord that closes an authentic cadence onto the tonic in this mode.
Harm cadential_dominant(const Key& key, bool seventh) {
  switch (key.mode) {
    case Mode::mixolydian:
      return diatonic(key, 6, 0);  // bVII - I
    case Mode::phrygian:
    case Mode::locrian:
      return diatonic(key, 1, 0);  // bII - i
    default: {
      Harm h = dominant_on(key.pc(4), seventh, 4, "");
      h.roman = roman_numeral(key, h);
      return h;
    }
  }
}

int predominant_degree_raw(const Key& key, Rng& rng) {
  switch (key.mode) {
    case Mode::phrygian:
    case Mode::locrian:
      return rng.chance(0.5) ? 3 : 6;
    case Mode::aeolian:
      return rng.chance(0.7) ? 3 : 5;
    case Mode::dorian:
      return rng.chance(0.6) ? 3 : 1;
    default:
      return rng.chance(0.55) ? 3 : 1;
  }
}

// ii, IV (iv) or a modal substitute, never a diminished triad.
int predominant_degree(const Key& key, Rng& rng) {
  const int d = predominant_degree_raw(key, rng);
  if (!is_diminished(key, d)) return d;
  for (int alt : {1, 3, 5})
    if (!is_diminished(key, alt)) return alt;
  return 3;
}

// Functional tendencies between diatonic degrees (rows: from I..vii, columns: to I..vii).
constexpr std::array<std::array<double, 7>, 7> kNext = {{
    {0.0, 0.15, 0.05, 0.30, 0.20, 0.25, 0.05},
    {0.05, 0.0, 0.05, 0.10, 0.60, 0.05, 0.15},
    {0.05, 0.10, 0.0, 0.35, 0.05, 0.45, 0.0},
    {0.20, 0.20, 0.05, 0.0, 0.40, 0.05, 0.10},
    {0.55, 0.05, 0.05, 0.10, 0.0, 0.25, 0.0},
    {0.05, 0.35, 0.10, 0.35, 0.15, 0.0, 0.0},
    {0.70, 0.0, 0.20, 0.0, 0.0, 0.10, 0.0},
}};

int characteristic_degree(Mode mode) {
  switch (mode) {
    case Mode::lydian:
      return 1;  // II major
    case Mode::mixolydian:
      return 6;  // bVII
    case Mode::dorian:
      return 3;  // IV major
    case Mode::aeolian:
      return 5;  // bVI
    case Mode::phrygian:
      return 1;  // bII
    default:
      return -1;
  }
}

int next_degree(const Key& key, int from, Rng& rng) {
  std::array<double, 7> w = kNext[static_cast<std::size_t>(((from % 7) + 7) % 7)];
  const int special = characteristic_degree(key.mode);
  for (int d = 0; d < 7; ++d) {
    auto& x = w[static_cast<std::size_t>(d)];
    if (d == special) x = x * 2.5 + 0.1;
    if (is_diminished(key, d)) x *= (key.mode == Mode::ionian && d == 6) ? 0.5 : 0.0;
    if (d == from) x = 0;
  }
  // The minor dominant of the modal scales is weak; rely on the cadential dominant instead.
  if (key.mode != Mode::ionian && key.mode != Mode::lydian) w[4] *= 0.5;
  return static_cast<int>(rng.pick(w));
}

// ---------------------------------------------------------------------------------- mapping

Mode mode_for(double v, double t) {
  const double b = v - 0.4 * t;
  if (b >= 0.6) return Mode::lydian;
  if (b >= 0.15) return Mode::ionian;
  if (b >= 0.0) return Mode::mixolydian;
  if (b >= -0.3) return Mode::dorian;
  if (b >= -0.7) return Mode::aeolian;
  if (t >= 0.75 && b < -1.1) return Mode::locrian;
  return Mode::phrygian;
}

int preferred_tonic(Mode mode, double a) {
  switch (mode) {
    case Mode::phrygian:
      return 4;
    case Mode::locrian:
      return 11;
    case Mode::dorian:
    case Mode::aeolian:
      return a > 0.3 ? 0 : (a < -0.3 ? 2 : 9);
    default:
      return a > 0.3 ? 2 : (a < -0.3 ? 5 : 7);
  }
}

// The category each region voices best; a text's named emotion (fear rather than anger at the
// same valence and arousal) tips the choice between neighbouring regions.
Category palette_category(std::string_view name) {
  if (name == "tender" || name == "serene") return Category::tenderness;
  if (name == "joyful" || name == "playful") return Category::joy;
  if (name == "sad" || name == "wistful") return Category::sadness;
  if (name == "suspense" || name == "fearful") return Category::fear;
  if (name == "angry") return Category::anger;
  return Category::surprise;  // pensive: no category of its own
}

const Palette& palette_for(const Emotion& e) {
  const double v = e.valence, a = e.arousal, t = e.tension;
  double strongest = 0;
  for (double w : e.categories) strongest = std::max(strongest, w);
  const Palette* best = &kPalettes[0];
  double best_d = std::numeric_limits<double>::max();
  for (const auto& p : kPalettes) {
    const double dt = 0.8 * (t - p.tension);
    double d = (v - p.valence) * (v - p.valence) + (a - p.arousal) * (a - p.arousal) + dt * dt;
    const Category c = palette_category(p.name);
    if (strongest > 0 && c != Category::surprise) d -= 0.12 * e.weight(c) / strongest;
    if (d < best_d) {
      best_d = d;
      best = &p;
    }
  }
  return *best;
}

}  // namespace

std::string_view accompaniment_name(Accompaniment a) {
  static constexpr std::array<std::string_view, 6> kNames = {"arpeggio", "alberti",  "block",
                                                             "pulse",    "ostinato", "tremolo"};
  return kNames[static_cast<std::size_t>(a)];
}

std::pair<int, int> instrument_range(int program) {
  const InstrumentRange r = range_of(program);
  return {r.low, r.high};
}

MusicParams map_emotion(const Emotion& emotion) {
  Emotion finite = emotion;
  for (double* x : {&finite.valence, &finite.arousal, &finite.tension})
    if (!std::isfinite(*x)) *x = 0;  // a hand-edited cue sheet may hold NaN; treat it as neutral
  const Emotion e = finite.clamped();
  const double v = e.valence, a = e.arousal, t = e.tension;
  const double energy = (a + 1) / 2;
  MusicParams p;
  p.mode = mode_for(v, t);
  p.tonic = preferred_tonic(p.mode, a);
  p.tempo_bpm = std::clamp(110 + 50 * a + 6 * v, 56.0, 166.0);
  p.beats_per_bar = (v > 0.25 && a > -0.5 && a < -0.05 && t < 0.4) ? 3 : 4;
  p.note_density = 0.5 + 1.5 * std::pow(energy, 1.3);
  p.velocity = static_cast<int>(std::lround(std::clamp(48 + 56 * energy + 10 * t, 30.0, 120.0)));
  p.articulation = std::clamp(0.97 - 0.4 * std::max(a, 0.0) - 0.1 * t, 0.5, 0.98);
  p.register_shift = static_cast<int>(std::lround(5 * v - 2 * t));
  p.percussion = a > 0.35;
  p.dissonance = std::clamp(0.1 + 0.75 * t + 0.1 * std::max(-v, 0.0), 0.0, 1.0);
  p.orchestral_weight = std::clamp(0.15 + 0.7 * energy + 0.15 * t, 0.0, 1.0);
  p.pedal = std::clamp((t - 0.35) * 1.2, 0.0, 0.8);
  p.secondary_dominants = std::clamp(0.1 + 0.45 * t + 0.1 * energy, 0.0, 0.6);
  p.chromaticism = std::clamp(0.5 * t - 0.05, 0.0, 0.4);
  p.contour = std::clamp(0.8 * v + 0.2 * a, -1.0, 1.0);

  const Palette& pal = palette_for(e);
  p.palette = std::string(pal.name);
  p.melody_program = pal.melody;
  p.chord_program = pal.chords;
  p.bass_program = pal.bass;
  p.pad_program = p.orchestral_weight >= 0.3 ? pal.pad : -1;
  p.doubling_program = p.orchestral_weight >= 0.6 ? pal.doubling : -1;
  p.timpani = pal.timpani && (a > 0.2 || t > 0.6);

  const int cp = pal.chords;
  if (cp == 44) {
    p.accompaniment = Accompaniment::tremolo;
  } else if (cp == 48 || cp == 49 || cp == 52) {
    if (t >= 0.6 && cp != 52)
      p.accompaniment = Accompaniment::tremolo;  // measured, suspense
    else
      p.accompaniment = a < 0.35 ? Accompaniment::block : Accompaniment::ostinato;
  } else if (a < -0.55) {
    p.accompaniment = Accompaniment::arpeggio;
  } else if (a < -0.05) {
    p.accompaniment = cp == 0 ? Accompaniment::alberti : Accompaniment::arpeggio;
  } else if (a < 0.35) {
    p.accompaniment = Accompaniment::pulse;
  } else {
    p.accompaniment = Accompaniment::ostinato;
  }
  return p;
}

void to_json(nlohmann::json& j, const MusicParams& p) {
  j = nlohmann::json{
      {"tonic", pitch_class_name(p.tonic)},
      {"mode", mode_name(p.mode)},
      {"tempo_bpm", p.tempo_bpm},
      {"beats_per_bar", p.beats_per_bar},
      {"note_density", p.note_density},
      {"velocity", p.velocity},
      {"articulation", p.articulation},
      {"register_shift", p.register_shift},
      {"melody", gm_program_name(p.melody_program)},
      {"chords", gm_program_name(p.chord_program)},
      {"bass", gm_program_name(p.bass_program)},
      {"pad", p.pad_program >= 0 ? gm_program_name(p.pad_program) : ""},
      {"doubling", p.doubling_program >= 0 ? gm_program_name(p.doubling_program) : ""},
      {"timpani", p.timpani},
      {"percussion", p.percussion},
      {"accompaniment", accompaniment_name(p.accompaniment)},
      {"orchestral_weight", p.orchestral_weight},
      {"dissonance", p.dissonance},
      {"pedal", p.pedal},
      {"secondary_dominants", p.secondary_dominants},
      {"chromaticism", p.chromaticism},
      {"contour", p.contour},
      {"palette", p.palette}};
}

namespace {

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<int> leitmotif_degrees(std::string_view character, std::uint64_t seed) {
  Rng rng(fnv1a(character) ^ (seed * 0x9E3779B97F4A7C15ull));
  const int length = rng.integer(4, 6);
  constexpr std::array<double, 3> kStartWeights = {3, 2, 1};
  constexpr std::array<int, 3> kStarts = {0, 4, 2};
  std::vector<int> d = {kStarts[rng.pick(kStartWeights)]};
  bool leapt = false;
  int last_step = 0;
  for (int i = 1; i < length; ++i) {
    const int cur = d.back();
    int step;
    if (last_step >= 2 || last_step <= -2) {
      step = last_step > 0 ? -1 : 1;  // fill the gap after a leap
    } else if (!leapt && (i == length - 2 || rng.chance(0.35))) {
      const int size = rng.integer(2, 4);
      step = cur >= 4 ? -size : size;
      leapt = true;
    } else {
      step = rng.chance(cur >= 4 ? 0.35 : 0.6) ? 1 : -1;
    }
    d.push_back(std::clamp(cur + step, -3, 9));
    last_step = step;
  }
  // End on a tonic-chord tone, and make sure no two neighbours repeat (a motif needs motion).
  int& end = d.back();
  if (((end % 7) + 7) % 7 != 0 && ((end % 7) + 7) % 7 != 2 && ((end % 7) + 7) % 7 != 4)
    end += (d[d.size() - 2] < end) ? 1 : -1;
  for (std::size_t i = 1; i < d.size(); ++i)
    if (d[i] == d[i - 1]) d[i] += 1;
  return d;
}

CueSheet single_emotion_cues(const Emotion& emotion, double duration_s, std::uint64_t seed) {
  CueSheet sheet;
  const Emotion e = emotion.clamped();
  char title[96];
  std::snprintf(title, sizeof title, "Emotion %.2f, %.2f, %.2f", e.valence, e.arousal, e.tension);
  sheet.title = title;
  sheet.duration_s = duration_s;
  sheet.seed = seed;
  Cue cue;
  cue.name = std::string(quadrant_name(e.valence, e.arousal));
  cue.start_s = 0;
  cue.end_s = duration_s;
  cue.target = e;
  sheet.cues.push_back(cue);
  return sheet;
}

namespace {

// ------------------------------------------------------------------------------- the sections

enum Role { kMelody, kDoubling, kChords, kPad, kBass, kTimpani, kDrums, kRoleCount };
constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "melody", "doubling", "chords", "pad", "bass", "timpani", "drums"};
constexpr std::array<std::string_view, kRoleCount> kRoleTitles = {
    "Melody", "Doubling", "Chords", "Pad", "Bass", "Timpani", "Drums"};
constexpr std::array<int, kRoleCount> kRoleChannel = {0, 1, 2, 3, 4, 5, 9};
constexpr std::array<double, kRoleCount> kRolePan = {0.1, 0.35, -0.3, 0.3, -0.05, -0.2, 0.0};
constexpr std::array<double, kRoleCount> kRoleGain = {1.0, 0.7, 0.8, 0.7, 0.9, 0.8, 0.8};

struct Phrase {
  int first_bar = 0, bars = 0;
  std::string cadence;  // kind of cadence at its end
  bool leitmotif = false;
  bool pedal = false;
};

struct Section {
  const Cue* cue = nullptr;
  MusicParams p;
  Key key;
  int beats = 4;
  int bars = 1;
  double bpm = 120;               // base tempo after fitting
  std::vector<double> beat_mult;  // tempo multiplier per beat (ramps, ritardando)
  std::int64_t start_tick = 0;
  std::vector<Phrase> phrases;
  std::vector<Harm> chords;  // with ticks in chord_ticks
  std::vector<std::int64_t> chord_ticks, chord_durs;
  std::string leitmotif_owner;  // first character of the cue, if any
  int leitmotif_bars = 1;       // 2 in calm scenes: the leitmotif augmented
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
  const Harm& chord_at(std::int64_t tick) const {
    std::size_t i = 0;
    while (i + 1 < chords.size() && chord_ticks[i + 1] <= tick) ++i;
    return chords[i];
  }
};

// Key signature distance on the circle of fifths.
int fifths_distance(int a, int b) {
  const int d = std::abs(a - b) % 12;
  return std::min(d, 12 - d);
}

int choose_tonic(const MusicParams& p, const std::optional<Key>& previous) {
  if (!previous) return p.tonic;
  const int prev_sf = key_fifths(previous->tonic, previous->mode);
  double best = std::numeric_limits<double>::max();
  int tonic = p.tonic;
  for (int i = 0; i < 12; ++i) {
    const int t = mod12(p.tonic + i * 7);  // preferred first, then around the circle
    const double cost = 0.6 * fifths_distance(key_fifths(t, p.mode), prev_sf) +
                        (t == p.tonic ? 0.0 : 1.0) + 0.01 * i;
    if (cost < best) {
      best = cost;
      tonic = t;
    }
  }
  return tonic;
}

double quantize_bpm(double bpm) {
  const double usec = std::round(60'000'000.0 / bpm);
  return 60'000'000.0 / usec;
}

// Splits `bars` into phrases of 4 or 8 bars; a remainder of 1-2 bars extends the last phrase.
std::vector<Phrase> cut_phrases(int bars, int length) {
  std::vector<Phrase> out;
  int bar = 0;
  while (bar < bars) {
    int n = std::min(length, bars - bar);
    const int rest = bars - bar - n;
    if (rest > 0 && rest <= 2) n += rest;
    out.push_back(Phrase{bar, n, "", false, false});
    bar += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------- harmony

int extension_for(const MusicParams& p, Rng& rng) {
  if (rng.chance(std::max(0.0, p.dissonance - 0.5))) return 2;
  return rng.chance(p.dissonance * 0.8) ? 1 : 0;
}

// Chords for one phrase: bars[j] holds one chord (whole bar) or two (halves).
std::vector<std::vector<Harm>> phrase_harmony(const Section& s, const Phrase& ph,
                                              const std::optional<Key>& next_key, bool final_phrase,
                                              Rng& rng) {
  const Key& key = s.key;
  const MusicParams& p = s.p;
  const int n = ph.bars;
  std::vector<std::vector<Harm>> bars(static_cast<std::size_t>(n));
  const bool seventh_dom = rng.chance(0.4 + 0.5 * p.dissonance);

  // Body: a functional walk from the opening chord.
  int degree = 0;
  if (ph.first_bar != 0 && !ph.leitmotif) {
    constexpr std::array<double, 3> kOpen = {3, 1, 1};
    constexpr std::array<int, 3> kOpenDegrees = {0, 5, 3};
    degree = kOpenDegrees[rng.pick(kOpen)];
    if (is_diminished(key, degree)) degree = 0;
  }
  const int cadence_bars = std::min(n, 2);
  for (int j = 0; j < n - cadence_bars; ++j) {
    if (j > 0) degree = next_degree(key, degree, rng);
    bars[static_cast<std::size_t>(j)].push_back(
        diatonic(key, degree, j == 0 ? 0 : extension_for(p, rng)));
  }

  // Cadence.
  const Harm tonic = diatonic(key, 0, 0);
  const Harm dom = cadential_dominant(key, seventh_dom);
  int pre_degree = predominant_degree(key, rng);
  if (n >= 3 && !bars[static_cast<std::size_t>(n - 3)].empty() &&
      bars[static_cast<std::size_t>(n - 3)].front().degree == pre_degree) {
    for (int alt : {1, 3, 5})
      if (alt != pre_degree && !is_diminished(key, alt)) {
        pre_degree = alt;
        break;
      }
  }
  Harm pre = diatonic(key, pre_degree, extension_for(p, rng));
  auto& last = bars[static_cast<std::size_t>(n - 1)];
  auto* penult = n >= 2 ? &bars[static_cast<std::size_t>(n - 2)] : nullptr;
  const std::string& kind = ph.cadence;
  if (kind == "modulating" && next_key) {
    const Key& nk = *next_key;
    Harm to_dom = dominant_on(nk.pc(4), true, -1, "");
    to_dom.roman = "V7/" + std::string(pitch_class_name(nk.tonic));
    if (nk.mode == Mode::phrygian || nk.mode == Mode::locrian) {
      to_dom = diatonic(nk, 1, 0);
      to_dom.roman = "bII/" + std::string(pitch_class_name(nk.tonic));
      to_dom.degree = -1;
    }
    if (penult) {
      // Pivot: a chord diatonic in both keys, a predominant in the new one.
      std::optional<Harm> pivot;
      for (int nd : {1, 3, 5, 0}) {
        const Harm cand = diatonic(nk, nd, 0);
        if (cand == to_dom) continue;
        for (int od = 0; od < 7 && !pivot; ++od) {
          Harm old = diatonic(key, od, 0);
          if (old == cand && !is_diminished(key, od)) {
            old.roman += "=" + diatonic(nk, nd, 0).roman;
            pivot = old;
          }
        }
        if (pivot) break;
      }
      penult->clear();
      if (!pivot) {
        // No chord is common to both keys: step into the new key through its own predominant.
        Harm direct = diatonic(nk, is_diminished(nk, 3) ? 1 : 3, 0);
        direct.roman += "/" + std::string(pitch_class_name(nk.tonic));
        direct.degree = -1;
        pivot = direct;
      }
      penult->push_back(*pivot);
    }
    last.clear();
    last.push_back(to_dom);
  } else if (kind == "half") {
    if (penult) {
      penult->clear();
      penult->push_back(pre);
    }
    last.clear();
    last.push_back(dom);
  } else if (kind == "plagal") {
    if (penult) {
      penult->clear();
      penult->push_back(diatonic(key, 3, 0));
    }
    last.clear();
    last.push_back(tonic);
  } else if (kind == "deceptive") {
    if (penult) {
      penult->clear();
      penult->push_back(pre);
      penult->push_back(dom);
    }
    last.clear();
    last.push_back(diatonic(key, 5, 0));
  } else {  // authentic (phrygian in the dark modes)
    if (penult) {
      penult->clear();
      if (n == 2 && ph.first_bar == 0) {
        penult->push_back(tonic);
      } else {
        penult->push_back(pre);
      }
      penult->push_back(dom);
    }
    last.clear();
    last.push_back(tonic);
    if (n == 1 && !final_phrase) {
      last.clear();
      last.push_back(tonic);
    }
  }

  // Secondary dominants: V7/x in the second half of the bar before x.
  for (int j = 1; j < n; ++j) {
    auto& target_bar = bars[static_cast<std::size_t>(j)];
    auto& before = bars[static_cast<std::size_t>(j - 1)];
    const Harm& target = target_bar.front();
    if (target.degree < 1 || target.degree > 5 || before.size() != 1) continue;
    if (target.intervals.size() < 3 || target.intervals[2] != 7) continue;  // not to dim/aug
    if (j - 1 < s.leitmotif_bars && ph.leitmotif) continue;
    if (before.front() == target) continue;
    if (!rng.chance(p.secondary_dominants)) continue;
    Harm sd = dominant_on(target.root + 7, true, -1, "");
    std::string target_name = diatonic(key, target.degree, 0).roman;
    sd.roman = "V7/" + target_name;
    before.push_back(sd);
  }

  // Labels.
  last.back().cadence = kind;
  if (kind == "authentic" && (key.mode == Mode::phrygian || key.mode == Mode::locrian))
    last.back().cadence = "phrygian";
  return bars;
}

// -------------------------------------------------------------------------------- voicing

// Chooses `voices` notes within [lo, hi] holding the chord's essential tones, nearest to `prev`.
std::vector<int> voice_chord(const Harm& h, int voices, int lo, int hi,
                             const std::vector<int>& prev) {
  std::vector<int> pcs = h.pcs();
  std::vector<int> required = {pcs[0], pcs[1]};                             // root and third
  for (std::size_t i = 3; i < pcs.size(); ++i) required.push_back(pcs[i]);  // 7th, 9th
  if (static_cast<int>(required.size()) > voices) required.resize(static_cast<std::size_t>(voices));
  std::vector<int> candidates;
  for (int pitch = lo; pitch <= hi; ++pitch)
    if (h.has(pitch)) candidates.push_back(pitch);
  const double center = (lo + hi) / 2.0;
  std::vector<int> best;
  double best_cost = std::numeric_limits<double>::max();
  std::vector<int> pick(static_cast<std::size_t>(voices));
  const int m = static_cast<int>(candidates.size());
  // Enumerate increasing index tuples.
  std::vector<int> idx(static_cast<std::size_t>(voices));
  for (int i = 0; i < voices; ++i) idx[static_cast<std::size_t>(i)] = i;
  if (m < voices) return {};
  while (true) {
    for (int i = 0; i < voices; ++i)
      pick[static_cast<std::size_t>(i)] =
          candidates[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])];
    bool ok = pick.back() - pick.front() <= (voices >= 4 ? 19 : 14);
    for (int i = 1; ok && i < voices; ++i)
      if (pick[static_cast<std::size_t>(i)] - pick[static_cast<std::size_t>(i - 1)] > 9) ok = false;
    for (int r : required) {
      if (!ok) break;
      ok = std::any_of(pick.begin(), pick.end(), [&](int x) { return mod12(x) == r; });
    }
    if (ok) {
      double cost = 0;
      double mean = 0;
      for (int x : pick) mean += x;
      mean /= voices;
      if (prev.size() == pick.size()) {
        for (std::size_t i = 0; i < pick.size(); ++i) cost += std::abs(pick[i] - prev[i]);
        cost += 0.3 * std::abs(mean - center);
      } else {
        cost = std::abs(mean - center);
      }
      // Doubled third sounds thick; avoid it.
      const int thirds = static_cast<int>(
          std::count_if(pick.begin(), pick.end(), [&](int x) { return mod12(x) == pcs[1]; }));
      if (thirds > 1) cost += 3;
      if (cost < best_cost) {
        best_cost = cost;
        best = pick;
      }
    }
    int i = voices - 1;
    while (i >= 0 && idx[static_cast<std::size_t>(i)] == m - voices + i) --i;
    if (i < 0) break;
    ++idx[static_cast<std::size_t>(i)];
    for (int k = i + 1; k < voices; ++k)
      idx[static_cast<std::size_t>(k)] = idx[static_cast<std::size_t>(k - 1)] + 1;
  }
  return best;
}

// ------------------------------------------------------------------------------------ melody

// The 7 pitch classes of the key, each altered to a chord tone a semitone away when the chord
// holds one (the raised leading tone under V in minor, the #4 of V7/V, ...).
std::array<int, 7> local_scale(const Key& key, const Harm& h) {
  std::array<int, 7> out{};
  for (int d = 0; d < 7; ++d) {
    const int pc = key.pc(d);
    int chosen = pc;
    if (!h.has(pc)) {
      for (int delta : {1, -1}) {
        const int alt = mod12(pc + delta);
        bool other_degree = false;
        for (int e = 0; e < 7; ++e)
          if (e != d && key.pc(e) == alt) other_degree = true;
        if (h.has(alt) && !other_degree) {
          chosen = alt;
          break;
        }
      }
    }
    out[static_cast<std::size_t>(d)] = chosen;
  }
  return out;
}

// Pitch of diatonic index `idx` (7 per octave, 0 = the tonic in MIDI octave 0).
int pitch_of(const Key& key, const std::array<int, 7>& scale, int idx) {
  const int octave = floor_div(idx, 7);
  const int d = idx - octave * 7;
  const int base = mode_intervals(key.mode)[static_cast<std::size_t>(d)];
  int delta = mod12(scale[static_cast<std::size_t>(d)] - key.pc(d));
  if (delta > 6) delta -= 12;
  return key.tonic + 12 * octave + base + delta;
}

int index_near_pitch(const Key& key, int pitch) {
  int best = 0;
  int best_d = 1000;
  const auto& plain = mode_intervals(key.mode);
  std::array<int, 7> scale{};
  for (int d = 0; d < 7; ++d)
    scale[static_cast<std::size_t>(d)] = mod12(key.tonic + plain[static_cast<std::size_t>(d)]);
  for (int idx = 0; idx < 80; ++idx) {
    const int d = std::abs(pitch_of(key, scale, idx) - pitch);
    if (d < best_d) {
      best_d = d;
      best = idx;
    }
  }
  return best;
}

struct MelodyNote {
  std::int64_t tick, duration;
  int pitch;
  int velocity;
};

struct Motif {
  std::vector<int> slots;  // durations in eighths, summing to one bar
  std::vector<int> steps;  // diatonic steps between consecutive notes
};

// `count` onsets in `total` eighths, the first on the downbeat, favouring beats.
std::vector<int> make_rhythm(int count, int total, int beats, Rng& rng) {
  count = std::clamp(count, 1, total);
  std::vector<int> chosen = {0};
  std::vector<double> w(static_cast<std::size_t>(total), 0.0);
  for (int s = 1; s < total; ++s) {
    double x = (s % 2 == 0) ? 2.0 : 0.8;
    if (s % (2 * beats) == 0 || (beats == 4 && s % (2 * beats) == 4)) x = 3.0;
    w[static_cast<std::size_t>(s)] = x;
  }
  for (int k = 1; k < count; ++k) {
    const std::size_t s = rng.pick(w);
    if (w[s] <= 0) break;
    chosen.push_back(static_cast<int>(s));
    w[s] = 0;
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<int> slots;
  for (std::size_t i = 0; i < chosen.size(); ++i)
    slots.push_back((i + 1 < chosen.size() ? chosen[i + 1] : total) - chosen[i]);
  return slots;
}

std::vector<int> make_steps(int count, double contour, Rng& rng) {
  std::vector<int> steps;
  int last = 0;
  for (int i = 0; i < count; ++i) {
    int step;
    if (std::abs(last) >= 2) {
      step = last > 0 ? -1 : 1;
    } else {
      const double r = rng.uniform();
      const int size = r < 0.68 ? 1 : (r < 0.9 ? 2 : 3);
      const double up = 0.5 + 0.25 * contour * (i < count / 2 + 1 ? 1 : -1);
      step = rng.chance(up) ? size : -size;
    }
    steps.push_back(step);
    last = step;
  }
  return steps;
}

// Strong beats: the downbeat of each bar, and beat 3 of a 4/4 bar (slots are eighths).
bool strong_slot(int slot, int beats) {
  const int in_bar = slot % (2 * beats);
  return in_bar == 0 || (beats == 4 && in_bar == 4);
}

// The span the melody moves in: about an octave and a half around the instrument's comfortable
// middle, shifted by the emotion's register (brighter higher, darker lower).
std::pair<int, int> melody_window(int program, int register_shift) {
  const InstrumentRange r = range_of(program);
  const int center = std::clamp(r.center + register_shift, r.low + 6, r.high - 6);
  return {std::max(r.low + 1, center - 8), std::min(r.high - 1, center + 9)};
}

// Where the chords and pad sit: below a high melody, above a low one, so the tune stays clear.
std::pair<int, int> accompaniment_window(const MusicParams& p, int program) {
  const auto [mlo, mhi] = melody_window(p.melody_program, p.register_shift);
  const InstrumentRange r = range_of(program);
  int lo, hi;
  if (mlo >= 62) {
    hi = mlo + 2;
    lo = std::min(hi - 16, std::max(45, hi - 22));
  } else {
    lo = mhi - 2;
    hi = lo + 22;
  }
  lo = std::max(lo, r.low);
  hi = std::min(hi, r.high);
  if (hi - lo < 14) lo = std::max(r.low, hi - 14);
  return {lo, hi};
}

class MelodyWriter {
 public:
  MelodyWriter(const Section& s, int program, Rng& rng) : s_(s), rng_(rng) {
    std::tie(lo_, hi_) = melody_window(program, s.p.register_shift);
    lo_idx_ = index_near_pitch(s.key, lo_) + 1;
    hi_idx_ = index_near_pitch(s.key, hi_) - 1;
    const int bar_slots = 2 * s.beats;
    const int count =
        std::clamp(static_cast<int>(std::lround(s.p.note_density * s.beats)), 1, bar_slots);
    motif_.slots = make_rhythm(count, bar_slots, s.beats, rng_);
    motif_.steps = make_steps(static_cast<int>(motif_.slots.size()) - 1, s.p.contour, rng_);
    // A contrasting motif for the middle of an A B A form: another rhythm, the other contour.
    const int count_b = std::clamp(count + (rng_.chance(0.5) ? 1 : -1), 1, bar_slots);
    contrast_.slots = make_rhythm(count_b, bar_slots, s.beats, rng_);
    contrast_.steps = make_steps(static_cast<int>(contrast_.slots.size()) - 1, -s.p.contour, rng_);
    idx_ = index_near_pitch(s.key, (lo_ + hi_) / 2);
  }

  std::vector<MelodyNote> write(const std::vector<int>& leitmotif) {
    for (std::size_t k = 0; k < s_.phrases.size(); ++k) {
      const std::size_t first = notes_.size();
      write_phrase(s_.phrases[k], k, leitmotif);
      single_high_point(s_.phrases[k], first);
    }
    add_chromatic_passing();
    return notes_;
  }

 private:
  std::array<int, 7> scale_at(std::int64_t tick) const {
    return local_scale(s_.key, s_.chord_at(tick));
  }
  int plain_pitch(int idx) const {
    std::array<int, 7> plain{};
    for (int d = 0; d < 7; ++d) plain[static_cast<std::size_t>(d)] = s_.key.pc(d);
    return pitch_of(s_.key, plain, idx);
  }
  int pitch(int idx, std::int64_t tick) const { return pitch_of(s_.key, scale_at(tick), idx); }
  bool chord_tone(int idx, std::int64_t tick) const {
    return s_.chord_at(tick).has(pitch(idx, tick));
  }

  int snap(int idx, std::int64_t tick, int direction) const {
    for (int d = 0; d <= 3; ++d) {
      for (int sign : {direction >= 0 ? 1 : -1, direction >= 0 ? -1 : 1}) {
        const int c = idx + sign * d;
        if (c < lo_idx_ || c > hi_idx_) continue;
        if (chord_tone(c, tick)) return c;
      }
    }
    return std::clamp(idx, lo_idx_, hi_idx_);
  }

  int velocity(std::int64_t tick, double arc) {
    double v = s_.p.velocity + 6 + 8 * arc;
    const std::int64_t in_bar = (tick - s_.start_tick) % s_.bar_ticks();
    if (in_bar == 0) v += 4;
    v += rng_.integer(-3, 3);
    return static_cast<int>(std::clamp(std::lround(v), 1L, 127L));
  }

  void emit(std::int64_t tick, int slots, int idx, double arc, bool legato) {
    const std::int64_t full = slots * kEighth;
    const double art = legato ? 0.98 : s_.p.articulation;
    const std::int64_t dur =
        std::max<std::int64_t>(90, static_cast<std::int64_t>(std::lround(full * art)));
    // A leitmotif keeps the plain notes of the mode (its identity); other notes follow the chord.
    const int p = protect_next_ ? plain_pitch(idx) : pitch(idx, tick);
    notes_.push_back({tick, std::min(dur, full), p, velocity(tick, arc)});
    idx_of_.push_back(idx);
    protected_.push_back(protect_next_);
  }

  double arc_at(const Phrase& ph, int j) const {
    const double x = (j + 0.5) / ph.bars;
    constexpr double kPeak = 0.62;
    double arc = x < kPeak ? x / kPeak : (1 - x) / (1 - kPeak);
    if (s_.p.contour < 0) arc = arc * (1 + s_.p.contour * 0.6) + (1 - x) * (-s_.p.contour * 0.6);
    return std::clamp(arc, 0.0, 1.0);
  }

  void write_phrase(const Phrase& ph, std::size_t phrase_index, const std::vector<int>& leitmotif) {
    const int B = s_.beats;
    const bool final_of_piece = ph.cadence == "authentic-final";
    for (int j = 0; j < ph.bars; ++j) {
      const std::int64_t bar_tick = s_.start_tick + (ph.first_bar + j) * s_.bar_ticks();
      const double arc = arc_at(ph, j);
      const double amp = 0.55 + 0.25 * (s_.p.contour + 1) / 2;
      const int target =
          lo_idx_ + static_cast<int>(std::lround((0.2 + amp * arc) * (hi_idx_ - lo_idx_)));
      const bool last_bar = j == ph.bars - 1;

      if (j == 0 && ph.leitmotif && !leitmotif.empty()) {
        // Calm scenes stretch the leitmotif over two bars (augmentation).
        const int span = ph.bars >= 4 ? s_.leitmotif_bars : 1;
        write_leitmotif(bar_tick, leitmotif, arc, span);
        j += span - 1;
        continue;
      }
      if (last_bar && (ph.bars > 1 || final_of_piece)) {
        write_cadence_bar(ph, bar_tick, arc, final_of_piece);
        continue;
      }
      // Bar role in the phrase: statement, repetition, variation, answer.
      // Phrase pairs follow A B A A' ...: the second pair contrasts, later ones vary the first.
      const std::size_t pair = phrase_index / 2;
      Motif m = pair % 3 == 1 ? contrast_ : motif_;
      if (pair >= 2 && pair % 3 != 1 && j == 1) m = vary(m);
      const int pos = j % 4;
      const bool second_half = ph.bars >= 8 && j >= 4;
      if (pos == 2) m = vary(m);
      if (second_half && pos == 0)
        for (int& st : m.steps) st = -st;  // the answer inverts the motif
      if (pos == 3) m = vary(vary(m));
      // Start near the previous note, drifting toward the phrase arc.
      int start = idx_ + std::clamp(target - idx_, -2, 2);
      start = snap(start, bar_tick, target - idx_);
      int cur = start;
      int slot = 0;
      for (std::size_t i = 0; i < m.slots.size(); ++i) {
        const std::int64_t tick = bar_tick + slot * kEighth;
        if (i > 0) {
          int step = m.steps[std::min(i - 1, m.steps.size() - 1)];
          if (cur + step > hi_idx_ || cur + step < lo_idx_) step = -step;
          cur += step;
          if (strong_slot(slot, B)) cur = snap(cur, tick, step);
          cur = std::clamp(cur, lo_idx_, hi_idx_);
        }
        emit(tick, m.slots[i], cur, arc, false);
        slot += m.slots[i];
      }
      idx_ = cur;
    }
  }

  Motif vary(Motif m) {
    if (m.slots.size() >= 3 && rng_.chance(0.5)) {
      // Merge the last two notes.
      m.slots[m.slots.size() - 2] += m.slots.back();
      m.slots.pop_back();
    } else {
      // Split the longest note that can be split.
      auto it = std::max_element(m.slots.begin(), m.slots.end());
      if (*it >= 2) {
        const int a = *it / 2;
        const int b = *it - a;
        *it = a;
        m.slots.insert(it + 1, b);
      }
    }
    m.steps.resize(m.slots.empty() ? 0 : m.slots.size() - 1, 1);
    if (!m.steps.empty()) {
      int& st = m.steps.back();
      st = rng_.chance(0.5) ? -st : (st > 0 ? st + 1 : st - 1);
      if (std::abs(st) > 3) st = st > 0 ? 1 : -1;
    }
    return m;
  }

  void write_leitmotif(std::int64_t bar_tick, const std::vector<int>& degrees, double arc,
                       int bars) {
    const int B = s_.beats;
    const int count = static_cast<int>(degrees.size());
    // Base: the tonic index nearest the window's lower middle.
    int base = index_near_pitch(s_.key, lo_ + (hi_ - lo_) / 3);
    base -= ((base % 7) + 7) % 7;
    const int mn = *std::min_element(degrees.begin(), degrees.end());
    const int mx = *std::max_element(degrees.begin(), degrees.end());
    while (base + mx > hi_idx_ && base + mn - 7 >= lo_idx_) base -= 7;
    while (base + mn < lo_idx_) base += 7;
    // A rhythm that puts chord tones on the strong beats (the first bar's chord is I).
    std::vector<int> slots;
    for (int attempt = 0; attempt < 60; ++attempt) {
      slots = make_rhythm(count, 2 * B * bars, B, rng_);
      int slot = 0;
      bool ok = static_cast<int>(slots.size()) == count;
      for (std::size_t i = 0; ok && i < slots.size(); ++i) {
        const std::int64_t tick = bar_tick + slot * kEighth;
        if (strong_slot(slot, B) && !s_.chord_at(tick).has(plain_pitch(base + degrees[i])))
          ok = false;
        slot += slots[i];
      }
      if (ok) break;
    }
    int slot = 0;
    for (std::size_t i = 0; i < slots.size() && i < degrees.size(); ++i) {
      protect_next_ = true;  // the leitmotif keeps its shape
      emit(bar_tick + slot * kEighth, slots[i], base + degrees[i], arc, false);
      protect_next_ = false;
      slot += slots[i];
    }
    idx_ = base + degrees[std::min(slots.size(), degrees.size()) - 1];
  }

  void write_cadence_bar(const Phrase& ph, std::int64_t bar_tick, double arc, bool final_of_piece) {
    const int B = s_.beats;
    const bool closed = ph.cadence == "authentic" || ph.cadence == "plagal" ||
                        ph.cadence == "phrygian" || final_of_piece;
    int cur;
    if (closed) {
      // Nearest tonic (or, for variety, the third) to where the line is.
      cur = idx_;
      int best = 1000;
      for (int c = lo_idx_; c <= hi_idx_; ++c) {
        const int deg = ((c % 7) + 7) % 7;
        if (deg != 0 && !(deg == 2 && !final_of_piece)) continue;
        const int d = std::abs(c - idx_) + (deg == 2 ? 1 : 0);
        if (d < best) {
          best = d;
          cur = c;
        }
      }
    } else {
      cur = snap(idx_ + (idx_ > (lo_idx_ + hi_idx_) / 2 ? -1 : 1), bar_tick, 0);
    }
    if (final_of_piece || ph.bars < 2) {
      emit(bar_tick, 2 * B, cur, arc, true);
    } else {
      emit(bar_tick, 2 * B - 2, cur, arc, true);
      // A connecting note: step toward the middle of the range (weak beat).
      int pick = cur + (cur > (lo_idx_ + hi_idx_) / 2 ? -1 : 1);
      pick = std::clamp(pick, lo_idx_, hi_idx_);
      emit(bar_tick + (2 * B - 2) * kEighth, 2, pick, arc, false);
      cur = pick;
    }
    idx_ = cur;
  }

  // One high point per phrase: the peak note nearest the phrase's planned climax stays, other
  // notes at the same height step down (to a chord tone on strong beats).
  void single_high_point(const Phrase& ph, std::size_t first) {
    if (notes_.size() <= first + 1) return;
    int top = 0;
    for (std::size_t i = first; i < notes_.size(); ++i) top = std::max(top, notes_[i].pitch);
    const std::int64_t start = s_.start_tick + ph.first_bar * s_.bar_ticks();
    const auto climax =
        static_cast<double>(start) + 0.62 * static_cast<double>(ph.bars * s_.bar_ticks());
    std::size_t keep = notes_.size();
    for (std::size_t i = first; i < notes_.size(); ++i) {
      if (notes_[i].pitch != top) continue;
      if (protected_[i]) {
        keep = i;  // a leitmotif's own peak wins
        break;
      }
      if (keep == notes_.size() || std::abs(static_cast<double>(notes_[i].tick) - climax) <
                                       std::abs(static_cast<double>(notes_[keep].tick) - climax))
        keep = i;
    }
    for (std::size_t i = first; i < notes_.size(); ++i) {
      if (i == keep || notes_[i].pitch != top || protected_[i]) continue;
      const std::int64_t tick = notes_[i].tick;
      const std::int64_t in_bar = (tick - s_.start_tick) % s_.bar_ticks();
      const bool strong = in_bar == 0 || (s_.beats == 4 && in_bar == 2 * kPpq);
      int idx = idx_of_[i] - 1;
      if (strong) {
        while (idx > lo_idx_ && !chord_tone(idx, tick)) --idx;
      }
      if (idx < lo_idx_ || pitch(idx, tick) >= top) continue;
      idx_of_[i] = idx;
      notes_[i].pitch = pitch(idx, tick);
    }
  }

  // Splits a weak-beat note that moves by a whole tone into two, through the chromatic semitone.
  void add_chromatic_passing() {
    if (s_.p.chromaticism <= 0) return;
    std::vector<MelodyNote> out;
    for (std::size_t i = 0; i < notes_.size(); ++i) {
      const MelodyNote& n = notes_[i];
      const std::int64_t in_bar = (n.tick - s_.start_tick) % s_.bar_ticks();
      const bool strong = in_bar == 0 || (s_.beats == 4 && in_bar == 2 * kPpq);
      if (i + 1 < notes_.size() && !strong && !protected_[i] && !protected_[i + 1] &&
          n.duration >= 2 * kEighth - 40 && std::abs(notes_[i + 1].pitch - n.pitch) == 2 &&
          notes_[i + 1].tick - n.tick == 2 * kEighth && rng_.chance(s_.p.chromaticism)) {
        const int mid = (n.pitch + notes_[i + 1].pitch) / 2;
        const std::int64_t half = kEighth;
        out.push_back({n.tick, std::min(n.duration, half), n.pitch, n.velocity});
        out.push_back({n.tick + half, std::min(n.duration, half), mid, n.velocity - 4});
        continue;
      }
      out.push_back(n);
    }
    notes_ = std::move(out);
  }

  const Section& s_;
  Rng& rng_;
  int lo_ = 60, hi_ = 84, lo_idx_ = 0, hi_idx_ = 0, idx_ = 0;
  Motif motif_, contrast_;
  std::vector<int> idx_of_;      // diatonic index of each note in notes_
  std::vector<bool> protected_;  // leitmotif notes, left as they are
  bool protect_next_ = false;
  std::vector<MelodyNote> notes_;
};

// ------------------------------------------------------------------------------- the builder

struct Builder {
  Score score;
  std::array<std::vector<Note>, kRoleCount> notes;
  std::array<std::vector<std::pair<std::int64_t, int>>, kRoleCount> programs;
  std::vector<int> chord_voicing, pad_voicing;

  void note(Role role, std::int64_t tick, std::int64_t dur, int pitch, int velocity) {
    if (dur <= 0 || pitch < 0 || pitch > 127) return;
    notes[role].push_back(Note{tick, dur, pitch, std::clamp(velocity, 1, 127)});
  }
  void program(Role role, std::int64_t tick, int prog) {
    auto& list = programs[role];
    if (!list.empty() && list.back().second == prog) return;
    list.emplace_back(tick, prog);
  }
};

int vel(const Section& s, const Section* next, std::int64_t tick, int offset) {
  double base = s.p.velocity;
  const std::int64_t bar = s.bar_ticks();
  // Each phrase swells toward its high point (about 60% through) and relaxes into the cadence.
  for (const Phrase& ph : s.phrases) {
    const std::int64_t start = s.start_tick + ph.first_bar * bar;
    const std::int64_t len = ph.bars * bar;
    if (tick < start || tick >= start + len) continue;
    const double x = static_cast<double>(tick - start) / static_cast<double>(len);
    base += 6.0 * (x < 0.62 ? x / 0.62 : (1 - x) / 0.38) - 3.0;
    break;
  }
  const std::int64_t swell = (s.bars >= 3 ? 2 : 1) * bar;
  if (next && tick >= s.end_tick() - swell) {
    const double frac =
        static_cast<double>(tick - (s.end_tick() - swell) + bar / 2) / static_cast<double>(swell);
    base += (next->p.velocity - base) * std::min(1.0, frac) * 0.8;  // swell (or ebb) into the next
  }
  return static_cast<int>(std::lround(base)) + offset;
}

void write_accompaniment(Builder& b, const Section& s, const Section* next, bool final_section,
                         Rng& rng) {
  const MusicParams& p = s.p;
  const int voices = p.orchestral_weight >= 0.35 ? 4 : 3;
  const auto [lo, hi] = accompaniment_window(p, p.chord_program);
  for (std::size_t c = 0; c < s.chords.size(); ++c) {
    const Harm& h = s.chords[c];
    const std::int64_t t0 = s.chord_ticks[c], dur = s.chord_durs[c];
    std::vector<int> v = voice_chord(h, voices, lo, hi, b.chord_voicing);
    if (v.empty()) v = voice_chord(h, 3, lo - 6, hi + 6, {});
    if (v.empty()) continue;
    b.chord_voicing = v;
    const bool final_bar = final_section && t0 + dur >= s.end_tick();
    Accompaniment pattern = final_bar ? Accompaniment::block : p.accompaniment;
    const int base_vel = vel(s, next, t0, -12);
    const std::int64_t beat = kPpq;
    if (!final_bar && s.in_cadence_bar(t0)) {
      // The cadence bar thins out: longer chords (or a rolled chord) instead of the running figure.
      if (pattern == Accompaniment::arpeggio) {
        for (std::size_t k = 0; k < v.size(); ++k) {
          const auto roll = static_cast<std::int64_t>(k) * kEighth / 4;
          b.note(kChords, t0 + roll, dur - roll, v[k], base_vel - 2);
        }
        pattern = Accompaniment::tremolo;  // handled: skip the switch below
        v.clear();
      } else if (pattern != Accompaniment::block && pattern != Accompaniment::tremolo) {
        const std::int64_t step =
            pattern == Accompaniment::ostinato
                ? beat
                : std::min<std::int64_t>(dur, s.beats == 3 ? 3 * beat : 2 * beat);
        for (std::int64_t t = t0; t < t0 + dur; t += step)
          for (int pitch : v)
            b.note(kChords, t,
                   static_cast<std::int64_t>(
                       std::lround(std::min(step, t0 + dur - t) * std::max(0.8, p.articulation))),
                   pitch, base_vel + ((t - s.start_tick) % s.bar_ticks() == 0 ? 6 : 0));
        pattern = Accompaniment::tremolo;
        v.clear();
      }
    }
    switch (pattern) {
      case Accompaniment::tremolo:
        if (p.chord_program != 44 && !v.empty()) {
          // Measured tremolo: the chord re-struck in sixteenths, accented on the beats.
          for (std::int64_t t = t0; t < t0 + dur; t += kEighth / 2) {
            const bool on_beat = (t - s.start_tick) % beat == 0;
            for (int pitch : v)
              b.note(kChords, t, kEighth / 2 - 10, pitch, base_vel - 10 + (on_beat ? 6 : 0));
          }
          break;
        }
        [[fallthrough]];
      case Accompaniment::block: {
        const double art = pattern == Accompaniment::tremolo || final_bar ? 1.0 : 0.97;
        for (int pitch : v)
          b.note(kChords, t0, static_cast<std::int64_t>(std::lround(dur * art)), pitch, base_vel);
        break;
      }
      case Accompaniment::pulse: {
        for (std::int64_t t = t0; t < t0 + dur; t += beat) {
          const bool down = (t - s.start_tick) % s.bar_ticks() == 0;
          for (int pitch : v)
            b.note(kChords, t, static_cast<std::int64_t>(std::lround(beat * p.articulation)), pitch,
                   base_vel + (down ? 6 : 0) + rng.integer(-2, 2));
        }
        break;
      }
      case Accompaniment::ostinato: {
        int i = 0;
        for (std::int64_t t = t0; t < t0 + dur; t += kEighth, ++i) {
          const bool on_beat = (t - s.start_tick) % beat == 0;
          // Upper voices repeated, with the bottom voice on the beats.
          for (std::size_t k = on_beat ? 0 : 1; k < v.size(); ++k)
            b.note(kChords, t, static_cast<std::int64_t>(std::lround(kEighth * p.articulation)),
                   v[k], base_vel + (on_beat ? 8 : 0) + rng.integer(-2, 2));
        }
        break;
      }
      case Accompaniment::alberti: {
        const std::array<std::size_t, 4> order = {0, v.size() - 1, v.size() / 2, v.size() - 1};
        int i = 0;
        for (std::int64_t t = t0; t < t0 + dur; t += kEighth, ++i) {
          const int pitch = v[order[static_cast<std::size_t>(i) % 4]];
          b.note(kChords, t, kEighth - 10, pitch, base_vel - 4 + (i % 4 == 0 ? 6 : 0));
        }
        break;
      }
      case Accompaniment::arpeggio: {
        // Rising and falling broken chord; each note rings on like a sustained piano or harp.
        const std::int64_t step = p.tempo_bpm < 70 && p.note_density < 0.7 ? beat : kEighth;
        std::vector<int> cycle(v.begin(), v.end());
        for (std::size_t k = v.size() - 1; k-- > 1;) cycle.push_back(v[k]);
        int i = 0;
        for (std::int64_t t = t0; t < t0 + dur; t += step, ++i) {
          const int pitch = cycle[static_cast<std::size_t>(i) % cycle.size()];
          const std::int64_t ring = std::min<std::int64_t>(3 * step, t0 + dur - t);
          b.note(kChords, t, ring, pitch, base_vel - 4 + (i == 0 ? 6 : 0));
        }
        break;
      }
    }

    // Pad: a sustained, softer voicing above.
    if (p.pad_program >= 0) {
      const InstrumentRange pr = range_of(p.pad_program);
      const auto [plo, phi] = accompaniment_window(p, p.pad_program);
      std::vector<int> pv = voice_chord(h, 3, plo, phi, b.pad_voicing);
      if (pv.empty()) pv = voice_chord(h, 3, pr.low, pr.high, {});
      b.pad_voicing = pv;
      for (int pitch : pv) b.note(kPad, t0, dur, pitch, vel(s, next, t0, -20));
    }
  }
}

int bass_pitch(int pc, int lo) {
  return lo + mod12(pc - lo);
}

void write_bass(Builder& b, const Section& s, const Section* next, bool final_section) {
  const MusicParams& p = s.p;
  const InstrumentRange r = range_of(p.bass_program);
  const int lo = std::max(r.low, 36);
  const double a = (p.note_density - 0.5) / 1.5;  // 0..1, tracks arousal
  for (const Phrase& ph : s.phrases) {
    const std::int64_t ph_start = s.start_tick + ph.first_bar * s.bar_ticks();
    const std::int64_t pedal_end = ph_start + (ph.bars - 1) * s.bar_ticks();
    for (std::size_t c = 0; c < s.chords.size(); ++c) {
      const std::int64_t t0 = s.chord_ticks[c], dur = s.chord_durs[c];
      if (t0 < ph_start || t0 >= ph_start + ph.bars * s.bar_ticks()) continue;
      const Harm& h = s.chords[c];
      const bool pedal = ph.pedal && t0 < pedal_end;
      const int root = bass_pitch(pedal ? s.key.tonic : h.root, lo);
      const int base_vel = vel(s, next, t0, -4);
      const bool final_bar = final_section && t0 + dur >= s.end_tick();
      if (final_bar || pedal || a < 0.25) {
        b.note(kBass, t0, dur, root, base_vel);
      } else if (a < 0.6) {
        // Root, then the fifth halfway (or the root again under a short chord).
        const std::int64_t half = dur >= s.bar_ticks() ? (s.beats == 3 ? 2 * kPpq : 2 * kPpq) : dur;
        b.note(kBass, t0, static_cast<std::int64_t>(half * 0.95), root, base_vel);
        if (half < dur) {
          const int fifth = h.has(h.root + 7) ? root + 7 : root + 12;
          b.note(kBass, t0 + half, static_cast<std::int64_t>((dur - half) * 0.95), fifth,
                 base_vel - 6);
        }
      } else {
        // Driving eighths with octave leaps and a step into the next chord.
        int i = 0;
        const int next_root = c + 1 < s.chords.size() ? bass_pitch(s.chords[c + 1].root, lo) : root;
        for (std::int64_t t = t0; t < t0 + dur; t += kEighth, ++i) {
          int pitch = (i % 4 == 2) ? root + 12 : root;
          if (t + kEighth >= t0 + dur && next_root != root)
            pitch = next_root + (next_root > root ? -1 : (next_root < root ? 2 : 0));
          b.note(kBass, t, static_cast<std::int64_t>(kEighth * p.articulation), pitch,
                 base_vel + (i % 2 == 0 ? 4 : -2));
        }
      }
    }
  }
}

void write_drums(Builder& b, const Section& s, const Section* next, bool final_section, Rng& rng) {
  const MusicParams& p = s.p;
  const double a = (p.note_density - 0.5) / 1.5;
  const bool toms = s.cue->target.valence < -0.2;
  constexpr int kKick = 36, kSnare = 38, kHat = 42, kCrash = 49, kLowTom = 45, kFloorTom = 41;
  for (const Phrase& ph : s.phrases) {
    for (int j = 0; j < ph.bars; ++j) {
      const std::int64_t bar = s.start_tick + (ph.first_bar + j) * s.bar_ticks();
      const int v = vel(s, next, bar, -6);
      const bool last_bar = final_section && ph.first_bar + j == s.bars - 1;
      if (j == 0) b.note(kDrums, bar, kEighth, kCrash, v + 8);
      if (last_bar) {
        b.note(kDrums, bar, kEighth, kCrash, v + 10);
        b.note(kDrums, bar, kEighth, kKick, v + 10);
        continue;
      }
      const bool fill = j == ph.bars - 1;
      for (int e = 0; e < 2 * s.beats; ++e) {
        const std::int64_t t = bar + e * kEighth;
        const bool beat = e % 2 == 0;
        const int bi = e / 2;
        if (fill && e >= 2 * s.beats - 2) {
          b.note(kDrums, t, kEighth / 2, toms ? kFloorTom : kSnare, v + 4);
          b.note(kDrums, t + kEighth / 2, kEighth / 2, toms ? kLowTom : kSnare, v);
          continue;
        }
        if (toms) {
          if (beat && (bi == 0 || bi == 2)) b.note(kDrums, t, kEighth / 2, kKick, v + 6);
          b.note(kDrums, t, kEighth / 2, bi == 0 && beat ? kFloorTom : kLowTom,
                 v - 6 + (beat ? 6 : 0) + rng.integer(-3, 3));
        } else if (s.beats == 3) {
          if (e == 0) b.note(kDrums, t, kEighth / 2, kKick, v + 6);
          if (beat && bi > 0) b.note(kDrums, t, kEighth / 2, kSnare, v - 8);
          b.note(kDrums, t, kEighth / 2, kHat, v - 12 + rng.integer(-3, 3));
        } else {
          if (beat && (bi == 0 || bi == 2)) b.note(kDrums, t, kEighth / 2, kKick, v + 6);
          if (!beat && bi == 2 && a > 0.8) b.note(kDrums, t, kEighth / 2, kKick, v);
          if (beat && (bi == 1 || bi == 3)) b.note(kDrums, t, kEighth / 2, kSnare, v + 2);
          b.note(kDrums, t, kEighth / 2, kHat, v - 12 + (beat ? 4 : 0) + rng.integer(-3, 3));
          if (a > 0.85) b.note(kDrums, t + kEighth / 2, kEighth / 2, kHat, v - 18);
        }
      }
    }
  }
}

void write_timpani(Builder& b, const Section& s, const Section* next, bool final_section) {
  const int tonic = bass_pitch(s.key.tonic, 41);
  const int dominant = bass_pitch(s.key.tonic + 7, 41);
  for (const Phrase& ph : s.phrases) {
    const std::int64_t start = s.start_tick + ph.first_bar * s.bar_ticks();
    b.note(kTimpani, start, kPpq, tonic, vel(s, next, start, 0));
    // A roll over the last two beats of the phrase, crescendo; on the final bar a roll and hit.
    const std::int64_t last = start + (ph.bars - 1) * s.bar_ticks();
    const bool final_phrase = final_section && ph.first_bar + ph.bars == s.bars;
    const int pitch = final_phrase ? tonic : dominant;
    const std::int64_t roll_start =
        final_phrase ? last - 2 * kPpq : last + s.bar_ticks() - 2 * kPpq;
    if (roll_start <= start) continue;
    int k = 0;
    for (std::int64_t t = roll_start; t < roll_start + 2 * kPpq; t += kPpq / 4, ++k)
      b.note(kTimpani, t, kPpq / 4, pitch, vel(s, next, t, -16 + k * 2));
    if (final_phrase) b.note(kTimpani, last, s.bar_ticks(), tonic, vel(s, next, last, 6));
  }
}

}  // namespace

namespace {

// A section's random stream. The parent is advanced the same way whatever the variation, so a
// variation on one section never changes another section's notes.
Rng section_rng(Rng& parent, std::uint64_t salt, std::uint64_t variation) {
  Rng r = parent.fork(salt);
  return variation == 0 ? r : Rng(r.next() ^ (variation * 0xD1B54A32D192ED03ull));
}

}  // namespace

MusicParams adjusted_params(const Emotion& target, const CueAdjust& adjust) {
  Emotion steered = target;
  steered.valence += adjust.valence;
  steered.arousal += adjust.arousal;
  steered.tension += adjust.tension;
  MusicParams p = map_emotion(steered);  // clamps the steered emotion into range
  if (std::isfinite(adjust.tempo_scale))
    p.tempo_bpm = std::clamp(p.tempo_bpm * std::clamp(adjust.tempo_scale, 0.5, 2.0), 40.0, 200.0);
  p.velocity = std::clamp(p.velocity + std::clamp(adjust.velocity, -40, 40), 20, 127);
  p.register_shift += std::clamp(adjust.register_shift, -12, 12);
  if (std::isfinite(adjust.density_scale))
    p.note_density =
        std::clamp(p.note_density * std::clamp(adjust.density_scale, 0.5, 2.0), 0.25, 3.0);
  if (std::isfinite(adjust.articulation))
    p.articulation =
        std::clamp(p.articulation + std::clamp(adjust.articulation, -0.4, 0.2), 0.35, 1.0);
  return p;
}

Score compose(const CueSheet& cues, const ComposeOptions& options) {
  double duration = cues.duration_s;
  if (duration <= 0 && !cues.cues.empty()) duration = cues.cues.back().end_s;
  if (!(duration > 0) || !std::isfinite(duration))
    fail_usage("the piece needs a positive duration (got " + std::to_string(duration) + " s)",
               "give --duration SECONDS or a cue sheet whose cues end after 0 s");
  Rng rng(options.seed != 0 ? options.seed : cues.seed);

  // The cues, or one neutral cue when there are none.
  std::vector<Cue> cue_list = cues.cues;
  if (cue_list.empty()) cue_list.push_back(Cue{"Section 1", 0, duration, Emotion{}, {}, {}});
  // Planned boundaries: each cue's start, clamped into order; the end is the duration.
  std::vector<double> bounds;
  for (const Cue& c : cue_list)
    bounds.push_back(std::isfinite(c.start_s) ? std::clamp(c.start_s, 0.0, duration) : 0.0);
  bounds.front() = 0;
  bounds.push_back(duration);
  for (std::size_t i = 1; i < bounds.size(); ++i) bounds[i] = std::max(bounds[i], bounds[i - 1]);
  // A cue too short for a bar of music joins its neighbour (the longer of the two sets the
  // emotion); its boundary could not be kept on a downbeat at any sane tempo.
  constexpr double kMinSection = 1.5;
  for (std::size_t i = 0; cue_list.size() > 1 && i < cue_list.size();) {
    if (bounds[i + 1] - bounds[i] >= kMinSection) {
      ++i;
      continue;
    }
    const std::size_t keep = i > 0 ? i - 1 : i + 1;  // merge into the previous cue, or the next
    const double len_keep = bounds[keep + 1] - bounds[keep];
    const double len_drop = bounds[i + 1] - bounds[i];
    Cue& kept = cue_list[keep];
    if (len_drop > len_keep) kept.target = cue_list[i].target;
    for (const std::string& who : cue_list[i].characters)
      if (std::find(kept.characters.begin(), kept.characters.end(), who) == kept.characters.end())
        kept.characters.push_back(who);
    // Into the previous cue: its end moves to this cue's end (drop bound i). Into the next
    // (only for the first cue): the next starts where this one did (drop bound i + 1).
    bounds.erase(bounds.begin() + static_cast<std::ptrdiff_t>(keep < i ? i : i + 1));
    cue_list.erase(cue_list.begin() + static_cast<std::ptrdiff_t>(i));
  }

  std::vector<Section> sections(cue_list.size());
  std::optional<Key> previous;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Section& s = sections[i];
    s.cue = &cue_list[i];
    s.p = adjusted_params(cue_list[i].target, cue_list[i].adjust);
    s.key = Key{choose_tonic(s.p, previous), s.p.mode};
    s.p.tonic = s.key.tonic;
    s.beats = s.p.beats_per_bar;
    if (!cue_list[i].characters.empty()) s.leitmotif_owner = cue_list[i].characters.front();
    s.leitmotif_bars = s.p.note_density < 0.8 ? 2 : 1;
    previous = s.key;
  }

  Builder b;
  Score& score = b.score;
  score.title = cues.title.empty() ? "tonepoem" : cues.title;
  score.ppq = kPpq;

  // Time: bars and tempo per section so that each ends on its planned time.
  double now = 0;
  std::int64_t tick = 0;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Section& s = sections[i];
    const bool last = i + 1 == sections.size();
    const double span = bounds[i + 1] - now;
    const double t0 = s.p.tempo_bpm;
    s.bars = std::max(1, static_cast<int>(std::lround(span * t0 / 60.0 / s.beats)));
    const int n_beats = s.bars * s.beats;
    s.beat_mult.assign(static_cast<std::size_t>(n_beats), 1.0);
    if (!last && s.bars >= 2) {
      // Ramp over the last bar toward the next section's tempo.
      const double ratio = sections[i + 1].p.tempo_bpm / t0;
      if (std::abs(ratio - 1) > 0.06) {
        for (int k = 0; k < s.beats; ++k)
          s.beat_mult[static_cast<std::size_t>(n_beats - s.beats + k)] =
              std::pow(ratio, 0.6 * (k + 1) / (s.beats + 1));
      }
    }
    if (last) {
      // Ritardando over the last two bars (one when short), down to about two thirds.
      const int rit = std::min(n_beats, s.bars >= 3 ? 2 * s.beats : s.beats);
      for (int k = 0; k < rit; ++k)
        s.beat_mult[static_cast<std::size_t>(n_beats - rit + k)] =
            1.0 - 0.33 * std::pow((k + 1.0) / rit, 1.4);
    }
    double eff = 0;
    for (double m : s.beat_mult) eff += 1.0 / m;
    s.bpm = span > 0 ? std::clamp(60.0 * eff / span, 20.0, 400.0) : t0;
    s.p.tempo_bpm = s.bpm;
    s.start_tick = tick;
    // Tempo events: the section's tempo, then every beat whose multiplier changes.
    double last_bpm = -1;
    for (int k = 0; k < n_beats; ++k) {
      const double bpm = quantize_bpm(s.bpm * s.beat_mult[static_cast<std::size_t>(k)]);
      if (bpm != last_bpm) score.tempo.push_back({tick + k * kPpq, bpm});
      now += 60.0 / bpm;
      last_bpm = bpm;
    }
    if (score.keys.empty() || score.keys.back().tonic != s.key.tonic ||
        score.keys.back().mode != s.key.mode)
      score.keys.push_back({tick, s.key.tonic, s.key.mode});
    if (score.meters.empty() || score.meters.back().numerator != s.beats)
      score.meters.push_back({tick, s.beats, 4});
    score.markers.push_back(
        {tick, cue_list[i].name.empty() ? "Section " + std::to_string(i + 1) : cue_list[i].name});
    tick = s.end_tick();
  }
  score.end_tick = tick;

  // Phrases and harmony.
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Section& s = sections[i];
    Rng srng = section_rng(rng, i + 1, s.cue->adjust.variation);
    const bool last_section = i + 1 == sections.size();
    const int length = (s.bars >= 16 && s.cue->target.arousal < 0.2) ? 8 : 4;
    s.phrases = cut_phrases(s.bars, length);
    std::optional<Key> next_key;
    if (!last_section) next_key = sections[i + 1].key;
    const bool key_changes =
        next_key && (next_key->tonic != s.key.tonic || next_key->mode != s.key.mode);
    for (std::size_t k = 0; k < s.phrases.size(); ++k) {
      Phrase& ph = s.phrases[k];
      const bool last_phrase = k + 1 == s.phrases.size();
      if (last_phrase) {
        if (last_section)
          ph.cadence = "authentic";
        else if (key_changes)
          ph.cadence = "modulating";
        else
          ph.cadence = sections[i + 1].p.velocity > s.p.velocity + 10 ? "half" : "authentic";
      } else if (k % 2 == 0) {
        ph.cadence = "half";
      } else {
        const double r = srng.uniform();
        const double plagal =
            (s.cue->target.valence > 0.3 && s.cue->target.arousal < 0) ? 0.25 : 0.08;
        ph.cadence = r < 0.15 ? "deceptive" : (r < 0.15 + plagal ? "plagal" : "authentic");
      }
      ph.leitmotif = !s.leitmotif_owner.empty() && k % 2 == 0;
      ph.pedal = srng.chance(s.p.pedal) && !(last_section && last_phrase) && ph.bars >= 3;
      auto bars = phrase_harmony(s, ph, next_key, last_section && last_phrase, srng);
      for (int j = 0; j < ph.bars; ++j) {
        const auto& chords = bars[static_cast<std::size_t>(j)];
        const std::int64_t bar_tick = s.start_tick + (ph.first_bar + j) * s.bar_ticks();
        const std::int64_t first =
            chords.size() == 1 ? s.bar_ticks() : (s.beats == 3 ? 2 * kPpq : s.bar_ticks() / 2);
        for (std::size_t c = 0; c < chords.size(); ++c) {
          s.chords.push_back(chords[c]);
          s.chord_ticks.push_back(bar_tick + (c == 0 ? 0 : first));
          s.chord_durs.push_back(c == 0 ? first : s.bar_ticks() - first);
        }
      }
    }
    for (std::size_t c = 0; c < s.chords.size(); ++c) {
      ChordEvent ev;
      ev.tick = s.chord_ticks[c];
      ev.duration = s.chord_durs[c];
      ev.root = s.chords[c].root;
      ev.pitch_classes = s.chords[c].pcs();
      ev.roman = s.chords[c].roman;
      ev.cadence = s.chords[c].cadence;
      score.chords.push_back(ev);
    }
  }

  // Notes.
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Section& s = sections[i];
    const Section* next = i + 1 < sections.size() ? &sections[i + 1] : nullptr;
    const bool final_section = next == nullptr;
    Rng srng = section_rng(rng, 1000 + i, s.cue->adjust.variation);
    const std::int64_t t0 = s.start_tick;
    b.program(kMelody, t0, s.p.melody_program);
    b.program(kChords, t0, s.p.chord_program);
    b.program(kBass, t0, s.p.bass_program);
    if (s.p.pad_program >= 0) b.program(kPad, t0, s.p.pad_program);
    if (s.p.doubling_program >= 0) b.program(kDoubling, t0, s.p.doubling_program);
    if (s.p.timpani) b.program(kTimpani, t0, 47);

    // The final phrase of the piece holds its last note.
    if (final_section) s.phrases.back().cadence = "authentic-final";
    std::vector<int> leit;
    if (!s.leitmotif_owner.empty())
      leit = leitmotif_degrees(s.leitmotif_owner, options.seed != 0 ? options.seed : cues.seed);
    MelodyWriter mw(s, s.p.melody_program, srng);
    const std::vector<MelodyNote> melody = mw.write(leit);
    if (final_section) s.phrases.back().cadence = "authentic";
    const InstrumentRange dr = range_of(std::max(0, s.p.doubling_program));
    for (std::size_t k = 0; k < melody.size(); ++k) {
      const MelodyNote& n = melody[k];
      b.note(kMelody, n.tick, n.duration, n.pitch, n.velocity);
      if (s.p.doubling_program >= 0) {
        // Double in the second half of each phrase pair, an octave or two up.
        const int bar = static_cast<int>((n.tick - s.start_tick) / s.bar_ticks());
        if ((bar / 4) % 2 == 1 || s.bars < 8) {
          int pitch = n.pitch;
          while (pitch < dr.low) pitch += 12;
          if (pitch <= dr.high) b.note(kDoubling, n.tick, n.duration, pitch, n.velocity - 18);
        }
      }
    }
    write_accompaniment(b, s, next, final_section, srng);
    write_bass(b, s, next, final_section);
    if (s.p.timpani) write_timpani(b, s, next, final_section);
    if (s.p.percussion) write_drums(b, s, next, final_section, srng);

    ScoreSection out;
    out.name = score.markers[i].text;
    out.start_tick = s.start_tick;
    out.end_tick = s.end_tick();
    out.tonic = s.key.tonic;
    out.mode = s.key.mode;
    out.tempo_bpm = quantize_bpm(s.bpm);
    out.beats_per_bar = s.beats;
    out.target = s.cue->target;
    for (int prog : {s.p.melody_program, s.p.doubling_program, s.p.chord_program, s.p.pad_program,
                     s.p.bass_program, s.p.timpani ? 47 : -1}) {
      if (prog < 0) continue;
      const std::string name(gm_program_name(prog));
      if (std::find(out.instruments.begin(), out.instruments.end(), name) == out.instruments.end())
        out.instruments.push_back(name);
    }
    if (s.p.percussion) out.instruments.emplace_back("Standard Drum Kit");
    score.sections.push_back(out);
  }
  for (auto& sec : score.sections) {
    sec.start_s = score.seconds_at(sec.start_tick);
    sec.end_s = score.seconds_at(sec.end_tick);
  }

  // Tracks, in a fixed order; only those that play.
  for (int r = 0; r < kRoleCount; ++r) {
    auto& ns = b.notes[static_cast<std::size_t>(r)];
    if (ns.empty()) continue;
    std::stable_sort(ns.begin(), ns.end(), [](const Note& x, const Note& y) {
      return x.tick != y.tick ? x.tick < y.tick : x.pitch < y.pitch;
    });
    Track t;
    t.role = std::string(kRoleNames[static_cast<std::size_t>(r)]);
    t.channel = kRoleChannel[static_cast<std::size_t>(r)];
    t.pan = kRolePan[static_cast<std::size_t>(r)];
    t.gain = kRoleGain[static_cast<std::size_t>(r)];
    const auto& progs = b.programs[static_cast<std::size_t>(r)];
    t.program = r == kDrums ? 0 : (progs.empty() ? 0 : progs.front().second);
    for (std::size_t k = 1; k < progs.size(); ++k) t.program_changes.push_back(progs[k]);
    t.name = std::string(kRoleTitles[static_cast<std::size_t>(r)]) + " (" +
             (r == kDrums ? std::string("Drums") : std::string(gm_program_name(t.program))) + ")";
    // One pitch never overlaps itself on a channel: cut a note where the next one starts.
    std::vector<Note> clean;
    std::vector<std::int64_t> busy_until(128, -1);
    std::vector<std::size_t> last_index(128, 0);
    for (const Note& n : ns) {
      const auto p = static_cast<std::size_t>(n.pitch);
      if (busy_until[p] > n.tick) {
        Note& prev = clean[last_index[p]];
        if (prev.tick == n.tick) continue;
        prev.duration = n.tick - prev.tick;
      }
      last_index[p] = clean.size();
      busy_until[p] = n.tick + n.duration;
      clean.push_back(n);
    }
    t.notes = std::move(clean);
    score.tracks.push_back(std::move(t));
  }
  return score;
}

}  // namespace tonepoem
