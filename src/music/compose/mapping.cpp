// Emotion to music: map_emotion and adjusted_params, the orchestration palettes and the
// instruments' ranges.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "compose_internal.h"
#include "core/error.h"
#include "music/compose.h"

namespace tonepoem {

// ---------------------------------------------------------------------------------------------
// Emotion -> music (v = valence -1..1, a = arousal -1..1, t = tension 0..1, e = (a+1)/2).
//
//   parameter            formula / rule                                   low end      high end
//   tempo (bpm)          110 + 50a + 14v - 15 d max(-a,0), clamped 56..166 ~56 calm     ~166
//                        (d = min(1, 3 max(-v,0)): darkness, full from v -0.33; sad is slower)
//   melody density       (0.5 + 1.5 e^1.3)(1 + 0.3 min(v,0)) notes/beat  0.35         2.0
//   velocity             48 + 56e + 10t, clamped 30..120                   48 (p)       114 (ff)
//   articulation         0.97 - 0.4 max(a,0) - 0.1t (fraction sounded)     legato       staccato
//   accompaniment        a<-0.55 arpeggio; <-0.05 Alberti (piano) or       arpeggio     ostinato
//                        arpeggio; <0.35 block/pulse; else ostinato;
//                        tremolo strings play tremolo; strings measured
//                        tremolo when t >= 0.6
//   percussion           drums when a > 0.35 (backbeat if v >= -0.2, toms otherwise)
//   orchestral weight    0.15 + 0.7e + 0.15t: pad layer from 0.3, doubling from 0.6, 4-voice
//                        chords from 0.35
//   mode                 family by the sign of v (the plan's quadrant); b = v - 0.15t inside it:
//                        v>=0: b>=0.55 lydian, >=0.1 ionian, else mixolydian; v<0: dorian only
//                        for -0.05<v<0 with t<0.4, phrygian below b -0.8 (locrian if t>=0.75,
//                        b<-1.05), else aeolian (cadences and in-phrase dominants: major V).
//                        So v -0.2 (cue targets spread about +-0.3) is already aeolian.
//   register             melody window shifted round(10v - 2t) semitones, within +-8
//   contour              0.8v + 0.2a: rising arcs when bright, falling lines when dark
//   dissonance           0.1 + 0.75t + 0.1 max(-v,0) + 0.3 d max(a,0): 7ths, then 9ths above 0.5
//                        (tense: dark and aroused)
//   pedal points         probability per phrase (t - 0.35) * 1.2, at most 0.8
//   secondary dominants  probability per chord change 0.1 + 0.45t + 0.1e, at most 0.6
//   chromaticism         passing semitones with probability 0.5t - 0.05
//   meter                3/4 for gentle pleasant music (v > 0.25, -0.5 < a < -0.05, t < 0.4)
//   key                  major family: D (a>0.3), G, F (a<-0.3); minor family: C (a>0.3), A,
//                        D (a<-0.3); phrygian E, locrian B; later sections move to the nearest
//                        key signature (choose_tonic, arrange.cpp).
//
// Orchestration (General MIDI), nearest region in (clamp(1.6v), a, 0.8t):
//   region      v     a    t  melody      chords         bass         pad         extra
//   serene    0.6  -0.6  0.0  Flute       Piano          Cello        Strings     -
//   tender    0.5  -0.1  0.0  Violin      Harp           Cello        Strings 2   -
//   playful   0.5  0.35  0.0  Clarinet    Pizzicato Str. Acoust. Bass -           Marimba
//   joyful    0.7   0.7  0.0  Trumpet     Strings        Acoust. Bass Brass Sect. Glock., timpani
//   pensive   0.0  -0.3  0.2  Clarinet    Piano          Cello        Strings     -
//   wistful  -0.3  -0.1  0.2  Oboe        Piano          Cello        Strings     -
//   sad      -0.6  -0.6  0.2  Cello       Piano          Contrabass   Strings 2   -
//   suspense -0.3  -0.2  0.7  Bassoon     Strings 2      Contrabass   Choir Aahs  -
//   fearful  -0.6   0.5  0.8  French Horn Tremolo Str.   Contrabass   Trombone    timpani
//   angry    -0.7  0.85  0.5  Trombone    Strings        Contrabass   Brass Sect. timpani
// ---------------------------------------------------------------------------------------------

namespace composer {
namespace {

constexpr std::array<InstrumentRange, 32> kRanges = {{
    {0, 21, 108, 67},
    {9, 79, 108, 90},
    {12, 45, 96, 74},
    {32, 28, 60, 40},
    {40, 55, 103, 76},
    {41, 48, 91, 67},
    {42, 36, 76, 57},
    {43, 28, 67, 40},
    {44, 28, 103, 64},
    {45, 28, 103, 64},
    {46, 24, 103, 65},
    {47, 40, 57, 48},
    {48, 28, 103, 64},
    {49, 28, 103, 64},
    {52, 48, 81, 64},
    {56, 54, 82, 70},
    {57, 40, 72, 58},
    {58, 28, 58, 40},
    {60, 34, 77, 60},
    {61, 34, 82, 64},
    {68, 58, 91, 74},
    {69, 52, 81, 66},
    {70, 34, 75, 52},
    {71, 50, 94, 70},
    {72, 74, 108, 88},
    {73, 60, 96, 79},
    {11, 53, 89, 72},
    // The styles' synthesizers (music_styles): leads, synth bass and pads.
    {80, 48, 96, 72},
    {81, 40, 96, 66},
    {38, 28, 60, 40},
    {89, 36, 96, 64},
    {95, 36, 96, 64},
}};

}  // namespace

InstrumentRange range_of(int program) {
  for (const auto& r : kRanges)
    if (r.program == program) return r;
  return {program, 36, 96, 66};
}

}  // namespace composer

namespace {

using composer::InstrumentRange;
using composer::range_of;

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

// The family follows the sign of valence (the plan's quadrant): v >= 0 major family, v < 0 minor
// family, so that a cue planned at v -0.2 is plainly minor rather than a modal shade the ear (and
// a key-profile judge) hears as major. Inside a family, b = v - 0.15t darkens monotonically.
Mode mode_for(double v, double t) {
  const double b = v - 0.15 * t;
  if (v >= 0) {
    if (b >= 0.55) return Mode::lydian;
    if (b >= 0.1) return Mode::ionian;
    return Mode::mixolydian;
  }
  if (v > -0.05 && t < 0.4) return Mode::dorian;  // a shade below neutral, untroubled
  if (t >= 0.75 && b < -1.05) return Mode::locrian;
  if (b < -0.8) return Mode::phrygian;
  return Mode::aeolian;
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

// Valence counts 1.6 times (clamped) when choosing a region: cue targets sit within about +-0.3
// of neutral, and v -0.2 should already sound in a dark region (wistful, sad), not a pensive one.
const Palette& palette_for(const Emotion& e) {
  const double v = std::clamp(1.6 * e.valence, -1.0, 1.0), a = e.arousal, t = e.tension;
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
  const double dark = std::min(1.0, 3 * std::max(-v, 0.0));  // 1 from v -0.33 down
  p.tempo_bpm = std::clamp(110 + 50 * a + 14 * v - 15 * dark * std::max(-a, 0.0), 56.0, 166.0);
  p.beats_per_bar = (v > 0.25 && a > -0.5 && a < -0.05 && t < 0.4) ? 3 : 4;
  p.note_density = (0.5 + 1.5 * std::pow(energy, 1.3)) * (1 + 0.3 * std::min(v, 0.0));
  p.velocity = static_cast<int>(std::lround(std::clamp(48 + 56 * energy + 10 * t, 30.0, 120.0)));
  p.articulation = std::clamp(0.97 - 0.4 * std::max(a, 0.0) - 0.1 * t, 0.5, 0.98);
  p.register_shift = static_cast<int>(std::lround(std::clamp(10 * v - 2 * t, -8.0, 8.0)));
  p.percussion = a > 0.35;
  p.dissonance = std::clamp(
      0.1 + 0.75 * t + 0.1 * std::max(-v, 0.0) + 0.3 * dark * std::max(a, 0.0), 0.0, 1.0);
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
  // The full orchestra's counterline: horn when bright, trombone when dark and tense, else cello.
  p.counter_program = p.orchestral_weight < 0.7 ? -1 : v >= 0 ? 60 : t >= 0.5 ? 57 : 42;
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

// ---------------------------------------------------------------------------------------------
// Music styles: each re-orchestrates the emotion's MusicParams (General MIDI programs). A new
// style is a function here and a row in kStyleTable; music_styles() and the check of
// ComposeOptions::style follow from the table.
//
//   style     melody         chords         bass          pad             other
//   default   the emotion's own palette (table above)
//   piano     Piano          Piano          Piano         -               no drums, no timpani;
//                                                                         tremolo -> arpeggio
//   strings   Violin         Strings        Contrabass    Strings 2       no drums; broken chords
//                                          (Cello where  (where the        -> block (as the string
//                                           the palette   emotion had      palettes play them)
//                                           had it)       a pad)
//   chiptune  Square Lead    Saw Lead       Synth Bass 1  -               no timpani; notes at most
//                                                                         3/4 of their value
//   ambient   Vibraphone     Warm Pad       Acoust. Bass  Sweep Pad       no drums, no timpani;
//                                                          (where a pad)  tempo x0.85, density
//                                                                         x0.7, legato; block or
//                                                                         arpeggio only
// ---------------------------------------------------------------------------------------------

namespace {

void style_default(MusicParams& /*p*/) {}

void style_piano(MusicParams& p) {
  p.melody_program = p.chord_program = p.bass_program = 0;
  p.pad_program = p.doubling_program = p.counter_program = -1;
  p.percussion = p.timpani = false;
  if (p.accompaniment == Accompaniment::tremolo) p.accompaniment = Accompaniment::arpeggio;
}

void style_strings(MusicParams& p) {
  p.melody_program = 40;
  p.chord_program = 48;
  p.bass_program = p.bass_program == 42 ? 42 : 43;
  if (p.pad_program >= 0) p.pad_program = 49;
  if (p.counter_program >= 0) p.counter_program = 42;
  p.doubling_program = -1;
  p.percussion = false;
  if (p.accompaniment == Accompaniment::alberti || p.accompaniment == Accompaniment::arpeggio)
    p.accompaniment = Accompaniment::block;
}

void style_chiptune(MusicParams& p) {
  p.melody_program = 80;
  p.chord_program = 81;
  p.bass_program = 38;
  p.pad_program = p.doubling_program = p.counter_program = -1;
  p.articulation = std::min(p.articulation, 0.75);
  p.timpani = false;
}

void style_ambient(MusicParams& p) {
  p.melody_program = 11;
  p.chord_program = 89;
  p.bass_program = 32;
  if (p.pad_program >= 0) p.pad_program = 95;
  p.doubling_program = p.counter_program = -1;
  p.percussion = p.timpani = false;
  p.tempo_bpm = std::clamp(p.tempo_bpm * 0.85, 40.0, 200.0);
  p.note_density = std::clamp(p.note_density * 0.7, 0.25, 3.0);
  p.articulation = 0.98;
  p.accompaniment =
      p.accompaniment == Accompaniment::arpeggio || p.accompaniment == Accompaniment::alberti
          ? Accompaniment::arpeggio
          : Accompaniment::block;
}

struct StyleRow {
  MusicStyle style;
  void (*apply)(MusicParams& p);
  bool holds_accompaniment;  // style_holds_accompaniment (compose_internal.h)
};

constexpr std::array<StyleRow, 5> kStyleTable = {{
    {{"default", "each emotion's own orchestral palette"}, style_default, false},
    {{"piano", "solo piano: melody, chords and bass on one piano, no percussion"},
     style_piano,
     false},
    {{"strings", "string orchestra: violin melody, string ensemble, contrabass or cello"},
     style_strings,
     false},
    {{"chiptune", "square and saw leads over a synth bass, short notes, drums when excited"},
     style_chiptune,
     false},
    {{"ambient", "vibraphone over warm and sweep pads, slower, sparser, legato, no percussion"},
     style_ambient,
     true},
}};

const StyleRow* find_style(std::string_view name) {
  if (name.empty()) name = "default";
  for (const StyleRow& row : kStyleTable)
    if (row.style.name == name) return &row;
  return nullptr;
}

std::string style_names() {
  std::string out;
  for (const StyleRow& row : kStyleTable)
    out += (out.empty() ? "" : ", ") + std::string(row.style.name);
  return out;
}

}  // namespace

const std::vector<MusicStyle>& music_styles() {
  static const std::vector<MusicStyle> styles = [] {
    std::vector<MusicStyle> out;
    for (const StyleRow& row : kStyleTable) out.push_back(row.style);
    return out;
  }();
  return styles;
}

bool is_music_style(std::string_view name) {
  return find_style(name) != nullptr;
}

std::string style_problem(std::string_view name) {
  if (is_music_style(name)) return {};
  return "unknown music style \"" + std::string(name) + "\"; accepted: " + style_names();
}

namespace composer {
bool style_holds_accompaniment(std::string_view style) {
  const StyleRow* row = find_style(style);
  return row != nullptr && row->holds_accompaniment;
}
}  // namespace composer

void apply_style(std::string_view style, MusicParams& p) {
  const StyleRow* row = find_style(style);
  if (row == nullptr) throw Error(ExitCode::usage, style_problem(style));
  row->apply(p);
}

OptionProblems ComposeOptions::validate() const {
  OptionProblems problems;
  if (!is_music_style(style)) problems.push_back({"style", style_problem(style)});
  if (!std::isfinite(previous_tempo_bpm) || previous_tempo_bpm < 0)
    problems.push_back(
        {"previous_tempo_bpm", "the previous tempo must be 0 (none) or positive (got " +
                                   std::to_string(previous_tempo_bpm) + ")"});
  if (previous_velocity < -1 || previous_velocity > 127)
    problems.push_back(
        {"previous_velocity", "the previous velocity must be -1 (none) or 0..127 (got " +
                                  std::to_string(previous_velocity) + ")"});
  return problems;
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
      {"counter", p.counter_program >= 0 ? gm_program_name(p.counter_program) : ""},
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

}  // namespace tonepoem
