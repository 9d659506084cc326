// Arrangement: compose() itself, as a sequence of named steps. The cues become sections with
// keys, bars and tempi that land each section on its planned time; the sections become phrases
// and harmony; then each section's parts are written by the rows of kParts, one track per row.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compose_internal.h"
#include "core/error.h"
#include "core/rng.h"
#include "music/compose.h"

namespace tonepoem {
namespace composer {
namespace {

// ------------------------------------------------------------------------------------ the parts

// One row per part of the piece: the track it becomes and the function that writes it.
struct Part {
  std::string_view role;   // Track::role
  std::string_view title;  // Track::name is "<title> (<instrument>)"
  int channel;             // MIDI channel; 9 is General MIDI percussion
  double pan, gain;
  // The General MIDI program the part plays in a section with these parameters; -1 where the
  // part rests.
  int (*program)(const MusicParams& p);
  bool drum_kit;  // on the percussion channel: no program, named "Drums"
  PartWriter write;
};

constexpr int kTimpaniProgram = 47;

int melody_program(const MusicParams& p) {
  return p.melody_program;
}
int doubling_program(const MusicParams& p) {
  return p.doubling_program;
}
int chord_program(const MusicParams& p) {
  return p.chord_program;
}
int pad_program(const MusicParams& p) {
  return p.pad_program;
}
int bass_program(const MusicParams& p) {
  return p.bass_program;
}
int timpani_program(const MusicParams& p) {
  return p.timpani ? kTimpaniProgram : -1;
}
int drum_kit_program(const MusicParams& p) {
  return p.percussion ? 0 : -1;
}
int counter_program(const MusicParams& p) {
  return p.counter_program;
}

// The parts, in track order. Each section's parts are written in row order, which is also the
// order in which they draw from the section's Rng, and a row may read what an earlier row of the
// same section left in SharedLines (doubling reads the melody, pad the chords' voicings). A new
// part is a writer (compose_internal.h) and a row here.
// clang-format off
constexpr std::array<Part, 8> kParts = {{
    // role       title       ch   pan    gain  program           drums  writer
    {"melody",   "Melody",   0,  0.1,   1.0,  melody_program,   false, write_melody},
    {"doubling", "Doubling", 1,  0.35,  0.7,  doubling_program, false, write_doubling},
    {"chords",   "Chords",   2, -0.3,   0.8,  chord_program,    false, write_chords},
    {"pad",      "Pad",      3,  0.3,   0.7,  pad_program,      false, write_pad},
    {"bass",     "Bass",     4, -0.05,  0.9,  bass_program,     false, write_bass},
    {"timpani",  "Timpani",  5, -0.2,   0.8,  timpani_program,  false, write_timpani},
    {"drums",    "Drums",    9,  0.0,   0.8,  drum_kit_program, true,  write_drums},
    {"counter",  "Counter",  6,  0.25,  0.75, counter_program,  false, write_counter},
}};
// clang-format on

// ------------------------------------------------------------------------------- the sections

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

// A section's random stream. The parent is advanced the same way whatever the variation, so a
// variation on one section never changes another section's notes.
Rng section_rng(Rng& parent, std::uint64_t salt, std::uint64_t variation) {
  Rng r = parent.fork(salt);
  return variation == 0 ? r : Rng(r.next() ^ (variation * 0xD1B54A32D192ED03ull));
}

// The cues as sections will play them, and the planned time of each boundary (bounds[i] is where
// cue i starts, the last bound the piece's end).
struct CuePlan {
  std::vector<Cue> cues;
  std::vector<double> bounds;
};

// The piece's length: the sheet's duration, or the end of its last cue; fails when not positive.
double piece_duration(const CueSheet& cues) {
  double duration = cues.duration_s;
  if (duration <= 0 && !cues.cues.empty()) duration = cues.cues.back().end_s;
  if (!(duration > 0) || !std::isfinite(duration))
    fail_usage("the piece needs a positive duration (got " + std::to_string(duration) + " s)",
               "give --duration SECONDS or a cue sheet whose cues end after 0 s");
  return duration;
}

// The cues (one neutral cue when there are none) with their boundaries clamped into order; a cue
// too short for a bar joins a neighbour.
CuePlan plan_cues(const CueSheet& cues, double duration) {
  CuePlan plan;
  std::vector<Cue>& cue_list = plan.cues;
  std::vector<double>& bounds = plan.bounds;
  cue_list = cues.cues;
  if (cue_list.empty()) cue_list.push_back(Cue{"Section 1", 0, duration, Emotion{}, {}, {}});
  // Planned boundaries: each cue's start, clamped into order; the end is the duration.
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

  return plan;
}

// One section per cue: its parameters (in options.style), and a key near the previous section's
// key signature (the first near options.previous_tonic when given); the first section enters
// from options.previous_tempo_bpm and previous_velocity.
// The sections point into `cue_list`, which must outlive them.
std::vector<Section> plan_sections(const std::vector<Cue>& cue_list,
                                   const ComposeOptions& options) {
  std::vector<Section> sections(cue_list.size());
  std::optional<Key> previous;
  if (options.previous_tonic >= 0)
    previous = Key{mod12(options.previous_tonic), options.previous_mode};
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Section& s = sections[i];
    s.cue = &cue_list[i];
    s.p = adjusted_params(cue_list[i].target, cue_list[i].adjust);
    apply_style(options.style, s.p);
    s.hold_accompaniment = style_holds_accompaniment(options.style);
    s.key = Key{choose_tonic(s.p, previous), s.p.mode};
    s.p.tonic = s.key.tonic;
    s.beats = s.p.beats_per_bar;
    if (!cue_list[i].characters.empty()) s.leitmotif_owner = cue_list[i].characters.front();
    s.leitmotif_bars = s.p.note_density < 0.8 ? 2 : 1;
    previous = s.key;
  }
  if (!sections.empty()) {
    sections.front().entry_bpm = options.previous_tempo_bpm;
    sections.front().entry_velocity = options.previous_velocity;
  }

  return sections;
}

// Bars and tempo per section so that each ends on its planned time (the ramp in from the music
// the piece continues, the ramp into the next section and the final ritardando included); writes
// the tempo, key and meter maps, the markers and the score's end.
void fit_time(std::vector<Section>& sections, const std::vector<double>& bounds, Score& score) {
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
    if (s.entry_bpm > 0 && s.bars >= 2) {
      // Ease in over the first bar from the tempo of the music this piece continues.
      const double ratio = s.entry_bpm / t0;
      if (std::abs(ratio - 1) > 0.06) {
        for (int k = 0; k < s.beats; ++k)
          s.beat_mult[static_cast<std::size_t>(k)] =
              std::pow(ratio, 0.6 * (s.beats - k) / (s.beats + 1));
      }
    }
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
    s.bar_start_s.clear();
    for (int k = 0; k < n_beats; ++k) {
      if (k % s.beats == 0) s.bar_start_s.push_back(now);
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
        {tick, s.cue->name.empty() ? "Section " + std::to_string(i + 1) : s.cue->name});
    tick = s.end_tick();
  }
  score.end_tick = tick;
}

// The moments that shape the music inside the cues, (time, arousal) in time order: the cue
// sheet's arc when it has one (a film's shots), else the middle of each caption (its sentence).
std::vector<std::pair<double, double>> shaping_points(const CueSheet& cues) {
  std::vector<std::pair<double, double>> points;
  if (!cues.arc.empty()) {
    for (const ArcPoint& p : cues.arc)
      if (std::isfinite(p.time_s) && std::isfinite(p.arousal))
        points.emplace_back(p.time_s, p.arousal);
    return points;
  }
  for (const Caption& c : cues.captions) {
    const double mid = (c.start_s + c.end_s) / 2;
    if (std::isfinite(mid) && std::isfinite(c.emotion.arousal))
      points.emplace_back(mid, c.emotion.arousal);
  }
  return points;
}

// Each section's intensity curve (Section::intensity): the arousal of the points (sentences or
// shots) inside it, smoothed over a few seconds around each bar, minus the section's mean, so that
// the section keeps its planned level and its bars rise and fall with what happens under them.
void shape_sections(std::vector<Section>& sections,
                    const std::vector<std::pair<double, double>>& points) {
  constexpr double kSigma = 6.0;   // seconds of smoothing either side
  constexpr double kScale = 0.22;  // an arousal this far above the section's mean is the peak
  std::size_t first = 0;
  for (Section& s : sections) {
    s.intensity.assign(static_cast<std::size_t>(s.bars), 0.0);
    if (s.bar_start_s.empty()) continue;
    const double t0 = s.bar_start_s.front();
    const double bar_s = s.bar_start_s.size() > 1 ? s.bar_start_s[1] - s.bar_start_s[0] : 2.0;
    const double t1 = s.bar_start_s.back() + bar_s;
    while (first < points.size() && points[first].first < t0) ++first;
    std::vector<std::pair<double, double>> lines;  // (middle, arousal)
    for (std::size_t k = first; k < points.size() && points[k].first < t1; ++k)
      lines.push_back(points[k]);
    if (lines.size() < 2) continue;
    std::vector<double> level(s.intensity.size(), 0.0);
    double mean = 0;
    for (std::size_t b = 0; b < level.size(); ++b) {
      const double tc = (b < s.bar_start_s.size() ? s.bar_start_s[b] : t0) + bar_s / 2;
      double sum = 0, weight = 0;
      for (const auto& [mid, arousal] : lines) {
        const double z = (mid - tc) / kSigma;
        const double w = std::exp(-0.5 * z * z) + 1e-9;
        sum += w * arousal;
        weight += w;
      }
      level[b] = sum / weight;
      mean += level[b];
    }
    mean /= static_cast<double>(level.size());
    for (std::size_t b = 0; b < level.size(); ++b)
      s.intensity[b] = std::clamp((level[b] - mean) / kScale, -1.0, 1.0);
  }
}

// The cadence that closes phrase `k` of section `i`: half and authentic (sometimes deceptive or
// plagal) in turn; the section's last phrase modulates when the next key differs, opens onto a
// louder next section with a half cadence, and closes the piece with an authentic one.
std::string phrase_cadence(const std::vector<Section>& sections, std::size_t i, std::size_t k,
                           bool key_changes, Rng& rng) {
  const Section& s = sections[i];
  const bool last_section = i + 1 == sections.size();
  if (k + 1 == s.phrases.size()) {
    if (last_section) return "authentic";
    if (key_changes) return "modulating";
    return sections[i + 1].p.velocity > s.p.velocity + 10 ? "half" : "authentic";
  }
  if (k % 2 == 0) return "half";
  const double r = rng.uniform();
  const double plagal = (s.cue->target.valence > 0.3 && s.cue->target.arousal < 0) ? 0.25 : 0.08;
  return r < 0.15 ? "deceptive" : (r < 0.15 + plagal ? "plagal" : "authentic");
}

// ---- Development by modulation
// A section of at least kExcursionMinBars moves to another key for the phrases that start in one
// of its middle 8-bar blocks, the one where the story's curve runs highest (the third block when
// the curve is flat), and comes home before its last phrase, both ways by the pivot cadence that
// joins sections in different keys. The new key is the subdominant in the same mode (the plan's
// mode family stays). Measured on bench/arcs dev with --judge the same day (music = plan quadrant,
// no excursion 0.894): a whole step up (bright) / minor third up (dark) 0.806; the dominant 0.894
// but barely audible (its one new pitch class sounded in under 1% of the excursion's notes in
// dark music); the subdominant 0.863, and its new pitch class is clearly there (compose_test).
constexpr int kExcursionMinBars = 32;
constexpr int kBlockBars = 8;

std::optional<KeyExcursion> choose_excursion(const Section& s) {
  const int blocks = s.bars / kBlockBars;
  if (s.bars < kExcursionMinBars || s.phrases.size() < 3) return std::nullopt;
  int best = -1;
  double best_level = -1e9;
  for (int b = 1; b + 1 < blocks; ++b) {
    double level = 0;
    for (int bar = b * kBlockBars; bar < (b + 1) * kBlockBars; ++bar)
      level += s.intensity.empty() ? 0.0 : s.intensity[static_cast<std::size_t>(bar)];
    // Ties (a flat curve) go to the third block, the classic place for a restatement up.
    level += b == 2 ? 1e-6 : 0.0;
    if (level > best_level) best_level = level, best = b;
  }
  if (best < 0) return std::nullopt;
  // The phrases starting inside the block, never the section's first or last phrase.
  KeyExcursion out;
  out.first_bar = out.end_bar = -1;
  for (std::size_t k = 1; k + 1 < s.phrases.size(); ++k) {
    const Phrase& ph = s.phrases[k];
    if (ph.first_bar < best * kBlockBars || ph.first_bar >= (best + 1) * kBlockBars) continue;
    if (out.first_bar < 0) out.first_bar = ph.first_bar;
    out.end_bar = ph.first_bar + ph.bars;
  }
  if (out.first_bar < 0) return std::nullopt;
  out.key = Key{s.key.tonic + 5, s.key.mode};
  return out;
}

// Appends a phrase's chords (one per bar, or two splitting it) to the section's chord list.
void add_phrase_chords(Section& s, const Phrase& ph, const std::vector<std::vector<Harm>>& bars) {
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

// Each section cut into phrases with their cadences, and each phrase's chords (into the
// sections and score.chords). Draws from one forked Rng per section.
void plan_harmony(std::vector<Section>& sections, Rng& rng, Score& score) {
  for (std::size_t i = 0; i < sections.size(); ++i) {
    Section& s = sections[i];
    Rng srng = section_rng(rng, i + 1, s.cue->adjust.variation);
    const bool last_section = i + 1 == sections.size();
    const int length = (s.bars >= 16 && s.cue->target.arousal < 0.2) ? 8 : 4;
    s.phrases = cut_phrases(s.bars, length);
    s.excursion = choose_excursion(s);
    std::optional<Key> next_key;
    if (!last_section) next_key = sections[i + 1].key;
    const bool key_changes =
        next_key && (next_key->tonic != s.key.tonic || next_key->mode != s.key.mode);
    auto key_of = [&](const Phrase& ph) -> const Key& {
      return s.key_at(s.start_tick + ph.first_bar * s.bar_ticks());
    };
    for (std::size_t k = 0; k < s.phrases.size(); ++k) {
      Phrase& ph = s.phrases[k];
      const bool last_phrase = k + 1 == s.phrases.size();
      ph.cadence = phrase_cadence(sections, i, k, key_changes, srng);
      ph.leitmotif = !s.leitmotif_owner.empty() && k % 2 == 0;
      ph.pedal = srng.chance(s.p.pedal) && !(last_section && last_phrase) && ph.bars >= 3;
      // Into and out of the excursion: the phrase before the change modulates to the next key.
      std::optional<Key> to = next_key;
      if (!last_phrase && key_of(s.phrases[k + 1]).tonic != key_of(ph).tonic) {
        ph.cadence = "modulating";
        to = key_of(s.phrases[k + 1]);
      }
      add_phrase_chords(s, ph, phrase_harmony(s, ph, to, last_section && last_phrase, srng));
    }
    if (s.excursion) {
      const std::int64_t from = s.start_tick + s.excursion->first_bar * s.bar_ticks();
      const std::int64_t back = s.start_tick + s.excursion->end_bar * s.bar_ticks();
      score.keys.push_back({from, mod12(s.excursion->key.tonic), s.excursion->key.mode});
      score.keys.push_back({back, s.key.tonic, s.key.mode});
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
  std::stable_sort(score.keys.begin(), score.keys.end(),
                   [](const KeyEvent& a, const KeyEvent& b) { return a.tick < b.tick; });
}

// The section as the Score lists it: name, span, key, tempo and the instruments of the parts
// that play in it, in row order (times in seconds are left to the caller).
ScoreSection score_section(const Section& s, const std::string& name) {
  ScoreSection out;
  out.name = name;
  out.start_tick = s.start_tick;
  out.end_tick = s.end_tick();
  out.tonic = s.key.tonic;
  out.mode = s.key.mode;
  out.tempo_bpm = quantize_bpm(s.bpm);
  out.beats_per_bar = s.beats;
  out.target = s.cue->target;
  for (const Part& part : kParts) {
    const int program = part.program(s.p);
    if (program < 0) continue;
    const std::string instrument =
        part.drum_kit ? "Standard Drum Kit" : std::string(gm_program_name(program));
    if (std::find(out.instruments.begin(), out.instruments.end(), instrument) ==
        out.instruments.end())
      out.instruments.push_back(instrument);
  }
  return out;
}

// Every section's parts, row by row of kParts, into `parts` (one per row). Draws from one forked
// Rng per section, after plan_harmony's.
void write_parts(const std::vector<Section>& sections, std::uint64_t seed, Rng& rng,
                 std::vector<PartNotes>& parts, Score& score) {
  SharedLines shared;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const Section& s = sections[i];
    const Section* next = i + 1 < sections.size() ? &sections[i + 1] : nullptr;
    Rng srng = section_rng(rng, 1000 + i, s.cue->adjust.variation);
    const PartContext ctx{s, next, next == nullptr, seed, shared};
    shared.melody.clear();
    shared.chord_voicings.clear();
    for (std::size_t r = 0; r < kParts.size(); ++r) {
      const Part& part = kParts[r];
      const int program = part.program(s.p);
      if (program < 0) continue;  // the part rests in this section
      if (!part.drum_kit) parts[r].program(s.start_tick, program);
      part.write(ctx, parts[r], srng);
    }
    score.sections.push_back(score_section(s, score.markers[i].text));
  }
  for (auto& sec : score.sections) {
    sec.start_s = score.seconds_at(sec.start_tick);
    sec.end_s = score.seconds_at(sec.end_tick);
  }
}

// Rows of kParts that hit points write into.
constexpr std::size_t kMelodyRow = 0, kChordsRow = 2, kPadRow = 3, kBassRow = 4, kDrumsRow = 6;

// Notes of every part that start in [from, to) are removed; notes sounding into `from` stop there.
void clear_span(std::vector<PartNotes>& parts, std::int64_t from, std::int64_t to,
                std::size_t skip_row = kParts.size()) {
  for (std::size_t r = 0; r < parts.size(); ++r) {
    if (r == skip_row) continue;
    auto& ns = parts[r].notes;
    std::erase_if(ns, [&](const Note& n) { return n.tick >= from && n.tick < to; });
    for (Note& n : ns)
      if (n.tick < from && n.tick + n.duration > from) n.duration = from - n.tick;
    std::erase_if(ns, [](const Note& n) { return n.duration <= 0; });
  }
}

// A hit's note: it replaces a note of the same pitch that the part already starts at `tick`
// (which would otherwise swallow it when the track is written, leaving the accent unheard).
void strike(PartNotes& part, std::int64_t tick, std::int64_t dur, int pitch, int velocity) {
  std::erase_if(part.notes, [&](const Note& n) { return n.tick == tick && n.pitch == pitch; });
  part.note(tick, dur, pitch, velocity);
}

// Each hit point of the cue sheet as a musical event on the beat nearest its time (so within
// half a beat of it), listed in Score::hits as "hit: <kind>".
// With `only_playing_parts` (a music style), a hit writes nothing into a part that rests in the
// section (no cymbal where the style has no drums, no pad where it has none).
void apply_hits(const std::vector<HitPoint>& hits, const std::vector<Section>& sections,
                bool only_playing_parts, std::vector<PartNotes>& parts, Score& score) {
  constexpr int kCrash = 49, kKick = 36, kTam = 52;
  for (const HitPoint& hit : hits) {
    if (!std::isfinite(hit.time_s) || sections.empty()) continue;
    const std::int64_t tick =
        std::clamp<std::int64_t>(score.tick_at(hit.time_s), 0, score.end_tick - 1);
    std::size_t i = 0;
    while (i + 1 < sections.size() && sections[i + 1].start_tick <= tick) ++i;
    const Section& s = sections[i];
    const std::int64_t beat =
        std::clamp<std::int64_t>(s.start_tick + (tick - s.start_tick + kPpq / 2) / kPpq * kPpq,
                                 s.start_tick, s.end_tick() - kPpq);
    const Harm& h = s.chord_at(beat);
    const auto [lo, hi] = accompaniment_window(s.p, s.p.chord_program);
    std::vector<int> v = voice_chord(h, 4, lo, hi, {});
    if (v.empty()) v = voice_chord(h, 3, lo - 6, hi + 6, {});
    const int loud = std::clamp(s.p.velocity + 35, 90, 127);
    const int root = 36 + mod12(h.root - 36);
    auto plays = [&](std::size_t row) {
      return !only_playing_parts || kParts[row].program(s.p) >= 0;
    };
    switch (hit_kind(hit.kind)) {
      case HitKind::silence: {
        // A beat of silence, then a soft, low re-entry on the chord.
        const std::int64_t back = std::min(beat + kPpq, s.end_tick());
        clear_span(parts, beat, back);
        if (back < s.end_tick()) {
          const std::int64_t dur = std::min<std::int64_t>(s.bar_ticks(), s.end_tick() - back);
          for (int pitch : v)
            parts[kChordsRow].note(back, dur, pitch, std::max(30, s.p.velocity - 25));
          parts[kBassRow].note(back, dur, root, std::max(30, s.p.velocity - 20));
        }
        break;
      }
      case HitKind::held: {
        // The rhythm stops under a chord held two beats, loud, with the bass and a cymbal.
        const std::int64_t until = std::min(beat + 2 * kPpq, s.end_tick());
        clear_span(parts, beat, until, kMelodyRow);
        for (int pitch : v) strike(parts[kChordsRow], beat, until - beat, pitch, loud);
        if (plays(kPadRow))
          for (int pitch : v) strike(parts[kPadRow], beat, until - beat, pitch + 12, loud - 25);
        strike(parts[kBassRow], beat, until - beat, root, loud - 10);
        if (plays(kDrumsRow)) strike(parts[kDrumsRow], beat, kPpq, kCrash, loud - 15);
        break;
      }
      case HitKind::stinger: {
        // Three rising semitones in sixteenths into a dissonant accent (the chord and a second).
        const int top = v.empty() ? 72 : v.back() + 12;
        for (int k = 0; k < 3; ++k)
          if (beat - (3 - k) * kPpq / 4 >= 0)  // a hit on the first beat has no pickup
            parts[kMelodyRow].note(beat - (3 - k) * kPpq / 4, kPpq / 4, top - 3 + k,
                                   loud - 20 + 5 * k);
        for (int pitch : v) strike(parts[kChordsRow], beat, kPpq, pitch, loud);
        if (!v.empty()) strike(parts[kChordsRow], beat, kPpq, v.front() + 1, loud);
        strike(parts[kBassRow], beat, kPpq, root, loud);
        if (plays(kDrumsRow)) strike(parts[kDrumsRow], beat, 2 * kPpq, kTam, loud);
        break;
      }
      case HitKind::accent: {
        for (int pitch : v) strike(parts[kChordsRow], beat, kPpq, pitch, loud);
        strike(parts[kBassRow], beat, kPpq, root, loud);
        if (plays(kDrumsRow)) {
          strike(parts[kDrumsRow], beat, 2 * kPpq, kCrash, loud);
          strike(parts[kDrumsRow], beat, kPpq / 2, kKick, loud);
        }
        break;
      }
    }
    score.hits.push_back({beat, "hit: " + hit.kind});
  }
  std::stable_sort(score.hits.begin(), score.hits.end(),
                   [](const Marker& a, const Marker& b) { return a.tick < b.tick; });
}

// One track per part that plays, in row order: notes sorted, and a note cut where the next note
// of the same pitch starts.
void add_tracks(std::vector<PartNotes>& parts, Score& score) {
  for (std::size_t r = 0; r < kParts.size(); ++r) {
    const Part& part = kParts[r];
    auto& ns = parts[r].notes;
    if (ns.empty()) continue;
    std::stable_sort(ns.begin(), ns.end(), [](const Note& x, const Note& y) {
      return x.tick != y.tick ? x.tick < y.tick : x.pitch < y.pitch;
    });
    Track t;
    t.role = std::string(part.role);
    t.channel = part.channel;
    t.pan = part.pan;
    t.gain = part.gain;
    const auto& progs = parts[r].programs;
    t.program = part.drum_kit ? 0 : (progs.empty() ? 0 : progs.front().second);
    for (std::size_t k = 1; k < progs.size(); ++k) t.program_changes.push_back(progs[k]);
    t.name = std::string(part.title) + " (" +
             (part.drum_kit ? std::string("Drums") : std::string(gm_program_name(t.program))) + ")";
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
}

}  // namespace
}  // namespace composer

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

// Cues without music (Cue::music false) are gaps: no note starts in one, and a note from before
// ends where it begins (its release rings on a moment: the music goes out, not off).
void rest_in_gaps(const CueSheet& cues, Score& score) {
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps;  // ticks [from, to)
  for (const Cue& cue : cues.cues)
    if (!cue.music) gaps.emplace_back(score.tick_at(cue.start_s), score.tick_at(cue.end_s));
  if (gaps.empty()) return;
  for (Track& track : score.tracks) {
    std::vector<Note> kept;
    kept.reserve(track.notes.size());
    for (Note note : track.notes) {
      bool silent = false;
      for (const auto& [from, to] : gaps) {
        if (note.tick >= from && note.tick < to) silent = true;
        if (note.tick < from && note.tick + note.duration > from) note.duration = from - note.tick;
      }
      if (!silent) kept.push_back(note);
    }
    track.notes = std::move(kept);
  }
}

}  // namespace

Score compose(const CueSheet& cues, const ComposeOptions& given) {
  using namespace composer;
  ComposeOptions options = given;
  if (options.style.empty()) options.style = cues.style;
  throw_if_invalid(options.validate());
  const double duration = piece_duration(cues);
  const std::uint64_t seed = options.seed != 0 ? options.seed : cues.seed;
  Rng rng(seed);
  const CuePlan plan = plan_cues(cues, duration);
  std::vector<Section> sections = plan_sections(plan.cues, options);

  Score score;
  score.title = cues.title.empty() ? "tonepoem" : cues.title;
  score.ppq = kPpq;
  fit_time(sections, plan.bounds, score);
  shape_sections(sections, shaping_points(cues));
  plan_harmony(sections, rng, score);
  std::vector<PartNotes> parts(kParts.size());
  write_parts(sections, seed, rng, parts, score);
  const bool styled = !options.style.empty() && options.style != "default";
  apply_hits(cues.hits, sections, styled, parts, score);
  add_tracks(parts, score);
  rest_in_gaps(cues, score);
  return score;
}

HitKind hit_kind(std::string_view kind) {
  if (kind == "death" || kind == "silence") return HitKind::silence;
  if (kind == "cry" || kind == "revelation" || kind == "hold") return HitKind::held;
  if (kind == "danger" || kind == "stinger") return HitKind::stinger;
  return HitKind::accent;  // "climax", "rescue", "accent" and anything else
}

}  // namespace tonepoem
