// Arrangement: compose() itself. Sections and their timing (bars, tempo, ramps, ritardando),
// phrases and their harmony, then each section's parts written into the Score's tracks.

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

#include "core/error.h"
#include "core/rng.h"
#include "music/compose.h"
#include "music/compose/compose_internal.h"

namespace tonepoem {
namespace composer {
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

// A section's random stream. The parent is advanced the same way whatever the variation, so a
// variation on one section never changes another section's notes.
Rng section_rng(Rng& parent, std::uint64_t salt, std::uint64_t variation) {
  Rng r = parent.fork(salt);
  return variation == 0 ? r : Rng(r.next() ^ (variation * 0xD1B54A32D192ED03ull));
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

Score compose(const CueSheet& cues, const ComposeOptions& options) {
  double duration = cues.duration_s;
  if (duration <= 0 && !cues.cues.empty()) duration = cues.cues.back().end_s;
  using namespace composer;
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
    const std::vector<MelodyNote> melody = compose_melody(s, s.p.melody_program, leit, srng);
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
