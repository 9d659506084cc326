// The part writers: one function per row of kParts (arrange.cpp), each writing its part of one
// section (melody, doubling, chords, pad, bass, timpani, drums).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compose_internal.h"
#include "core/rng.h"
#include "music/compose.h"

namespace tonepoem::composer {

void PartNotes::note(std::int64_t tick, std::int64_t dur, int pitch, int velocity) {
  if (dur <= 0 || pitch < 0 || pitch > 127) return;
  notes.push_back(Note{tick, dur, pitch, std::clamp(velocity, 1, 127)});
}

void PartNotes::program(std::int64_t tick, int prog) {
  if (!programs.empty() && programs.back().second == prog) return;
  programs.emplace_back(tick, prog);
}

namespace {

// The loudness at `tick` plus `offset`: the section's velocity shaped by each phrase's swell, by
// the entry from the music the piece continues and by the approach to the next section's
// loudness.
int vel(const Section& s, const Section* next, std::int64_t tick, int offset) {
  // The story inside the section: louder at its peaks, softer at its quiet lines.
  double base = s.p.velocity + 16.0 * s.intensity_at(tick);
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
  base += s.entry_offset(tick);
  const std::int64_t swell = (s.bars >= 3 ? 2 : 1) * bar;
  if (next && tick >= s.end_tick() - swell) {
    const double frac =
        static_cast<double>(tick - (s.end_tick() - swell) + bar / 2) / static_cast<double>(swell);
    base += (next->p.velocity - base) * std::min(1.0, frac) * 0.8;  // swell (or ebb) into the next
  }
  return static_cast<int>(std::lround(base)) + offset;
}

// One chord of the chords part: its voicing, where it sounds, and its base velocity.
struct ChordSlot {
  const std::vector<int>& v;
  std::int64_t t0, dur;
  int base_vel;
};

// In a phrase's cadence bar the running figures thin out: a rolled chord for an arpeggio, longer
// chords for the others. Returns false, writing nothing, for block chords and tremolo, which
// play on as they are.
bool play_cadence_chord(const Section& s, Accompaniment pattern, const ChordSlot& slot,
                        PartNotes& out) {
  const MusicParams& p = s.p;
  const auto& [v, t0, dur, base_vel] = slot;
  const std::int64_t beat = kPpq;
  if (pattern == Accompaniment::arpeggio) {
    for (std::size_t k = 0; k < v.size(); ++k) {
      const auto roll = static_cast<std::int64_t>(k) * kEighth / 4;
      out.note(t0 + roll, dur - roll, v[k], base_vel - 2);
    }
    return true;
  }
  if (pattern == Accompaniment::block || pattern == Accompaniment::tremolo) return false;
  const std::int64_t step = pattern == Accompaniment::ostinato
                                ? beat
                                : std::min<std::int64_t>(dur, s.beats == 3 ? 3 * beat : 2 * beat);
  for (std::int64_t t = t0; t < t0 + dur; t += step)
    for (int pitch : v)
      out.note(t,
               static_cast<std::int64_t>(
                   std::lround(std::min(step, t0 + dur - t) * std::max(0.8, p.articulation))),
               pitch, base_vel + ((t - s.start_tick) % s.bar_ticks() == 0 ? 6 : 0));
  return true;
}

// The chord played in `pattern` (block chords held to the end when `final_bar`).
void play_pattern(const Section& s, Accompaniment pattern, bool final_bar, const ChordSlot& slot,
                  PartNotes& out, Rng& rng) {
  const MusicParams& p = s.p;
  const auto& [v, t0, dur, base_vel] = slot;
  const std::int64_t beat = kPpq;
  switch (pattern) {
    case Accompaniment::tremolo:
      if (p.chord_program != 44) {
        // Measured tremolo: the chord re-struck in sixteenths, accented on the beats.
        for (std::int64_t t = t0; t < t0 + dur; t += kEighth / 2) {
          const bool on_beat = (t - s.start_tick) % beat == 0;
          for (int pitch : v)
            out.note(t, kEighth / 2 - 10, pitch, base_vel - 10 + (on_beat ? 6 : 0));
        }
        break;
      }
      [[fallthrough]];
    case Accompaniment::block: {
      const double art = pattern == Accompaniment::tremolo || final_bar ? 1.0 : 0.97;
      for (int pitch : v)
        out.note(t0, static_cast<std::int64_t>(std::lround(dur * art)), pitch, base_vel);
      break;
    }
    case Accompaniment::pulse: {
      for (std::int64_t t = t0; t < t0 + dur; t += beat) {
        const bool down = (t - s.start_tick) % s.bar_ticks() == 0;
        for (int pitch : v)
          out.note(t, static_cast<std::int64_t>(std::lround(beat * p.articulation)), pitch,
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
          out.note(t, static_cast<std::int64_t>(std::lround(kEighth * p.articulation)), v[k],
                   base_vel + (on_beat ? 8 : 0) + rng.integer(-2, 2));
      }
      break;
    }
    case Accompaniment::alberti: {
      const std::array<std::size_t, 4> order = {0, v.size() - 1, v.size() / 2, v.size() - 1};
      int i = 0;
      for (std::int64_t t = t0; t < t0 + dur; t += kEighth, ++i) {
        const int pitch = v[order[static_cast<std::size_t>(i) % 4]];
        out.note(t, kEighth - 10, pitch, base_vel - 4 + (i % 4 == 0 ? 6 : 0));
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
        out.note(t, ring, pitch, base_vel - 4 + (i == 0 ? 6 : 0));
      }
      break;
    }
  }
}

// The accompaniment pattern at `tick`: the section's, re-orchestrated in every other 8-bar block
// of a long section, held to plain chords under a quiet line and driven at a peak (a style that
// holds its pattern only thins to plain chords).
Accompaniment pattern_at(const Section& s, std::int64_t tick) {
  Accompaniment a = s.p.accompaniment;
  if (s.hold_accompaniment)
    return s.intensity_at(tick) < -0.3 ? Accompaniment::block : a;  // the style's pattern
  if (s.block_of(tick) % 2 == 1) {
    switch (a) {
      case Accompaniment::arpeggio:
        a = Accompaniment::alberti;
        break;
      case Accompaniment::alberti:
        a = Accompaniment::arpeggio;
        break;
      case Accompaniment::block:
        a = s.p.tempo_bpm < 80 ? Accompaniment::arpeggio : Accompaniment::pulse;
        break;
      case Accompaniment::pulse:
        a = Accompaniment::ostinato;
        break;
      case Accompaniment::ostinato:
        a = Accompaniment::pulse;
        break;
      case Accompaniment::tremolo:
        break;
    }
  }
  const double i = s.intensity_at(tick);
  if (i < -0.3 && a != Accompaniment::tremolo) return Accompaniment::block;
  if (i > 0.4 && a == Accompaniment::block) return Accompaniment::pulse;
  if (i > 0.4 && a == Accompaniment::arpeggio) return Accompaniment::alberti;
  return a;
}

// The pitch of class `pc` at or just above `lo`.
int bass_pitch(int pc, int lo) {
  return lo + mod12(pc - lo);
}

}  // namespace

// The melody line (compose_melody), which it also leaves in `shared` for the doubling.
void write_melody(const PartContext& ctx, PartNotes& out, Rng& rng) {
  const Section& s = ctx.section;
  std::vector<int> leitmotif;
  if (!s.leitmotif_owner.empty()) leitmotif = leitmotif_degrees(s.leitmotif_owner, ctx.seed);
  ctx.shared.melody = compose_melody(s, s.p.melody_program, leitmotif, ctx.final_section, rng);
  for (const MelodyNote& n : ctx.shared.melody) out.note(n.tick, n.duration, n.pitch, n.velocity);
}

// The melody doubled an octave or two up, in the second half of each phrase pair (throughout a
// section under 8 bars).
void write_doubling(const PartContext& ctx, PartNotes& out, Rng& /*rng*/) {
  const Section& s = ctx.section;
  const InstrumentRange dr = range_of(s.p.doubling_program);
  // In the odd 8-bar blocks of a long section a countermelody enters instead: chord tones in
  // half bars, moving by the smallest step to a tone other than the last.
  int counter = std::clamp((dr.low + dr.high) / 2, dr.low, dr.high);
  for (std::size_t c = 0; c < s.chords.size(); ++c) {
    const std::int64_t t0 = s.chord_ticks[c], dur = s.chord_durs[c];
    if (s.block_of(t0) % 2 == 0 || s.solo_at(t0)) continue;
    const std::int64_t step = dur >= s.bar_ticks() && s.beats == 4 ? dur / 2 : dur;
    for (std::int64_t t = t0; t + step <= t0 + dur; t += step) {
      int best = -1;
      for (int pitch = dr.low; pitch <= dr.high; ++pitch)
        if (s.chords[c].has(pitch) && pitch != counter &&
            (best < 0 || std::abs(pitch - counter) < std::abs(best - counter)))
          best = pitch;
      if (best < 0) break;
      counter = best;
      out.note(t, static_cast<std::int64_t>(step * 0.95), counter, vel(s, ctx.next, t, -14));
    }
  }
  for (const MelodyNote& n : ctx.shared.melody) {
    const int bar = static_cast<int>((n.tick - s.start_tick) / s.bar_ticks());
    if (s.block_of(n.tick) % 2 == 1 || s.solo_at(n.tick)) continue;
    if ((bar / 4) % 2 == 1 || s.bars < 8 || s.peak_at(n.tick)) {
      int pitch = n.pitch;
      while (pitch < dr.low) pitch += 12;
      if (pitch <= dr.high) out.note(n.tick, n.duration, pitch, n.velocity - 18);
    }
  }
}

void write_chords(const PartContext& ctx, PartNotes& out, Rng& rng) {
  const Section& s = ctx.section;
  const MusicParams& p = s.p;
  const int voices = p.orchestral_weight >= 0.35 ? 4 : 3;
  const auto [lo, hi] = accompaniment_window(p, p.chord_program);
  ctx.shared.chord_voicings.assign(s.chords.size(), {});
  for (std::size_t c = 0; c < s.chords.size(); ++c) {
    const Harm& h = s.chords[c];
    std::vector<int> v = voice_chord(h, voices, lo, hi, ctx.shared.chord_voicing);
    if (v.empty()) v = voice_chord(h, 3, lo - 6, hi + 6, {});
    if (v.empty()) continue;  // no voicing fits: the chords (and the pad) rest
    ctx.shared.chord_voicing = v;
    ctx.shared.chord_voicings[c] = v;
    const ChordSlot slot{v, s.chord_ticks[c], s.chord_durs[c],
                         vel(s, ctx.next, s.chord_ticks[c], -12)};
    const bool final_bar = ctx.final_section && slot.t0 + slot.dur >= s.end_tick();
    if (!final_bar && s.solo_at(slot.t0)) {
      ctx.shared.chord_voicings[c].clear();  // a quiet line: the melody alone (and no pad)
      continue;
    }
    const Accompaniment pattern = pattern_at(s, slot.t0);
    if (final_bar) {
      play_pattern(s, Accompaniment::block, true, slot, out, rng);
    } else if (!s.in_cadence_bar(slot.t0) || !play_cadence_chord(s, pattern, slot, out)) {
      play_pattern(s, pattern, false, slot, out, rng);
    }
  }
}

// A sustained, softer voicing above (or below) the chords, under every chord they play.
void write_pad(const PartContext& ctx, PartNotes& out, Rng& /*rng*/) {
  const Section& s = ctx.section;
  const MusicParams& p = s.p;
  const InstrumentRange pr = range_of(p.pad_program);
  const auto [plo, phi] = accompaniment_window(p, p.pad_program);
  const std::vector<std::vector<int>>& chords_played = ctx.shared.chord_voicings;
  for (std::size_t c = 0; c < s.chords.size(); ++c) {
    if (c >= chords_played.size() || chords_played[c].empty()) continue;
    const Harm& h = s.chords[c];
    const std::int64_t t0 = s.chord_ticks[c], dur = s.chord_durs[c];
    std::vector<int> pv = voice_chord(h, 3, plo, phi, ctx.shared.pad_voicing);
    if (pv.empty()) pv = voice_chord(h, 3, pr.low, pr.high, {});
    ctx.shared.pad_voicing = pv;
    for (int pitch : pv) out.note(t0, dur, pitch, vel(s, ctx.next, t0, -20));
  }
}

void write_bass(const PartContext& ctx, PartNotes& out, Rng& /*rng*/) {
  const Section& s = ctx.section;
  const Section* next = ctx.next;
  const bool final_section = ctx.final_section;
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
      const bool final_bar = final_section && t0 + dur >= s.end_tick();
      if (!final_bar && s.solo_at(t0)) continue;
      const Harm& h = s.chords[c];
      const bool pedal = ph.pedal && t0 < pedal_end;
      // The energy of the moment: the section's, raised at a peak and lowered at a quiet line;
      // every other 8-bar block of a long section the bass changes its figure.
      const double energy = a + 0.35 * s.intensity_at(t0);
      const bool alt = s.block_of(t0) % 2 == 1;
      const int root = bass_pitch(pedal ? s.key_at(t0).tonic : h.root, lo);
      const int base_vel = vel(s, next, t0, -4);
      if (final_bar || pedal || energy < 0.25) {
        if (alt && !final_bar && !pedal && dur >= 2 * kPpq) {
          // A sustained root answered by the octave below on the last beat.
          out.note(t0, dur - kPpq, root, base_vel);
          out.note(t0 + dur - kPpq, kPpq, root >= lo + 12 ? root - 12 : root + 12, base_vel - 8);
        } else {
          out.note(t0, dur, root, base_vel);
        }
      } else if (energy < 0.6 && alt) {
        // Walking quarters: root, third or fifth, fifth, and a step into the next chord.
        const int next_root = c + 1 < s.chords.size() ? bass_pitch(s.chords[c + 1].root, lo) : root;
        const int third = h.intervals.size() > 1 ? root + h.intervals[1] : root + 7;
        const int fifth = h.has(h.root + 7) ? root + 7 : root + 12;
        const std::array<int, 4> walk = {root, third, fifth,
                                         next_root + (next_root > root ? -1 : 1)};
        int i = 0;
        for (std::int64_t t = t0; t < t0 + dur; t += kPpq, ++i)
          out.note(t, static_cast<std::int64_t>(kPpq * 0.9),
                   walk[static_cast<std::size_t>(std::min(i, 3))], base_vel - (i == 0 ? 0 : 5));
      } else if (energy < 0.6) {
        // Root, then the fifth halfway (or the root again under a short chord).
        const std::int64_t half = dur >= s.bar_ticks() ? (s.beats == 3 ? 2 * kPpq : 2 * kPpq) : dur;
        out.note(t0, static_cast<std::int64_t>(half * 0.95), root, base_vel);
        if (half < dur) {
          const int fifth = h.has(h.root + 7) ? root + 7 : root + 12;
          out.note(t0 + half, static_cast<std::int64_t>((dur - half) * 0.95), fifth, base_vel - 6);
        }
      } else {
        // Driving eighths with octave leaps and a step into the next chord.
        int i = 0;
        const int next_root = c + 1 < s.chords.size() ? bass_pitch(s.chords[c + 1].root, lo) : root;
        for (std::int64_t t = t0; t < t0 + dur; t += kEighth, ++i) {
          // Every other block of a long section: root, fifth, octave, fifth instead.
          const int fifth = h.has(h.root + 7) ? root + 7 : root + 12;
          int pitch = alt ? std::array<int, 4>{root, fifth, root + 12, fifth}[i % 4]
                          : ((i % 4 == 2) ? root + 12 : root);
          if (t + kEighth >= t0 + dur && next_root != root)
            pitch = next_root + (next_root > root ? -1 : (next_root < root ? 2 : 0));
          out.note(t, static_cast<std::int64_t>(kEighth * p.articulation), pitch,
                   base_vel + (i % 2 == 0 ? 4 : -2));
        }
      }
    }
  }
}

void write_drums(const PartContext& ctx, PartNotes& out, Rng& rng) {
  const Section& s = ctx.section;
  const Section* next = ctx.next;
  const bool final_section = ctx.final_section;
  const MusicParams& p = s.p;
  const double a = (p.note_density - 0.5) / 1.5;
  const bool toms = s.cue->target.valence < -0.2;
  constexpr int kKick = 36, kSnare = 38, kHat = 42, kCrash = 49, kLowTom = 45, kFloorTom = 41;
  constexpr int kRide = 51, kOpenHat = 46, kSideStick = 37;
  for (const Phrase& ph : s.phrases) {
    for (int j = 0; j < ph.bars; ++j) {
      const std::int64_t bar = s.start_tick + (ph.first_bar + j) * s.bar_ticks();
      const int v = vel(s, next, bar, -6);
      const bool last_bar = final_section && ph.first_bar + j == s.bars - 1;
      const double energy = s.intensity_at(bar);
      if (!last_bar && energy < Section::kSoloBelow) continue;  // a quiet line: no drums
      if (!last_bar && energy < -0.25) {
        // Thinned: a soft kick on the downbeat and a side stick on the backbeat.
        out.note(bar, kEighth / 2, kKick, v - 6);
        out.note(bar + (s.beats == 3 ? 2 : s.beats / 2) * kPpq, kEighth / 2, kSideStick, v - 14);
        continue;
      }
      // Every 8-bar block of a long section varies the kit: the ride instead of the hats, then
      // a syncopated kick with an open hat closing the bar.
      const int block = s.block_of(bar) % 3;
      const int hat = block == 1 ? kRide : kHat;
      if (j == 0) out.note(bar, kEighth, kCrash, v + 8);
      if (energy > 0.4 && j != 0) out.note(bar, kEighth, kCrash, v + 4);
      if (last_bar) {
        out.note(bar, kEighth, kCrash, v + 10);
        out.note(bar, kEighth, kKick, v + 10);
        continue;
      }
      const bool fill = j == ph.bars - 1;
      // Now and then a ghost snare on an offbeat, so that no two bars are played quite alike.
      const int ghost = rng.chance(0.4) ? 2 * rng.integer(0, s.beats - 1) + 1 : -1;
      for (int e = 0; e < 2 * s.beats; ++e) {
        const std::int64_t t = bar + e * kEighth;
        const bool beat = e % 2 == 0;
        const int bi = e / 2;
        if (fill && e >= 2 * s.beats - 2) {
          out.note(t, kEighth / 2, toms ? kFloorTom : kSnare, v + 4);
          out.note(t + kEighth / 2, kEighth / 2, toms ? kLowTom : kSnare, v);
          continue;
        }
        if (toms) {
          if (beat && (bi == 0 || bi == 2)) out.note(t, kEighth / 2, kKick, v + 6);
          out.note(t, kEighth / 2, bi == 0 && beat ? kFloorTom : kLowTom,
                   v - 6 + (beat ? 6 : 0) + rng.integer(-3, 3));
        } else if (s.beats == 3) {
          if (e == 0) out.note(t, kEighth / 2, kKick, v + 6);
          if (beat && bi > 0) out.note(t, kEighth / 2, kSnare, v - 8);
          out.note(t, kEighth / 2, hat, v - 12 + rng.integer(-3, 3));
        } else {
          if (beat && (bi == 0 || bi == 2)) out.note(t, kEighth / 2, kKick, v + 6);
          if (!beat && bi == 2 && (a > 0.8 || block == 2)) out.note(t, kEighth / 2, kKick, v);
          if (beat && (bi == 1 || bi == 3)) out.note(t, kEighth / 2, kSnare, v + 2);
          if (!beat && j % 4 == 2 && bi == 1) out.note(t, kEighth / 2, kKick, v - 2);
          if (!beat && e == ghost) out.note(t, kEighth / 2, kSnare, v - 24);  // a ghost note
          const bool open = block == 2 && e == 2 * s.beats - 1;
          out.note(t, kEighth / 2, open ? kOpenHat : hat,
                   v - 12 + (beat ? 4 : 0) + rng.integer(-3, 3));
          if (a > 0.85 || energy > 0.4) out.note(t + kEighth / 2, kEighth / 2, hat, v - 18);
        }
      }
    }
  }
}

void write_timpani(const PartContext& ctx, PartNotes& out, Rng& /*rng*/) {
  const Section& s = ctx.section;
  const Section* next = ctx.next;
  const bool final_section = ctx.final_section;
  for (const Phrase& ph : s.phrases) {
    const std::int64_t start = s.start_tick + ph.first_bar * s.bar_ticks();
    const int tonic = bass_pitch(s.key_at(start).tonic, 41);
    const int dominant = bass_pitch(s.key_at(start).tonic + 7, 41);
    if (!s.solo_at(start)) out.note(start, kPpq, tonic, vel(s, next, start, 0));
    // A roll over the last two beats of the phrase, crescendo; on the final bar a roll and hit.
    const std::int64_t last = start + (ph.bars - 1) * s.bar_ticks();
    const bool final_phrase = final_section && ph.first_bar + ph.bars == s.bars;
    const int pitch = final_phrase ? tonic : dominant;
    const std::int64_t roll_start =
        final_phrase ? last - 2 * kPpq : last + s.bar_ticks() - 2 * kPpq;
    if (roll_start <= start) continue;
    int k = 0;
    for (std::int64_t t = roll_start; t < roll_start + 2 * kPpq; t += kPpq / 4, ++k)
      out.note(t, kPpq / 4, pitch, vel(s, next, t, -16 + k * 2));
    if (final_phrase) out.note(last, s.bar_ticks(), tonic, vel(s, next, last, 6));
  }
}

// The line a film score gives its horns under the tune: for each chord the tone nearest the last
// note, a guide tone (third or seventh) before a fifth, a fifth before the root, so that the line
// moves by small steps or holds a common tone. It enters with the section's second phrase (and
// plays at its peaks), so a section gains a voice as it goes on (throughout in the fullest
// orchestra, weight 0.85 and up), and rests where the melody plays alone and under the final
// chord.
void write_counter(const PartContext& ctx, PartNotes& out, Rng& /*rng*/) {
  const Section& s = ctx.section;
  const InstrumentRange r = range_of(s.p.counter_program);
  const int lo = std::max(r.low, 48), hi = std::max(std::min(r.high, 67), lo + 11);
  int& last = ctx.shared.counter_pitch;
  const bool throughout = s.p.orchestral_weight >= 0.85;  // the fullest orchestra
  const int enters = s.phrases.size() > 1 ? s.phrases[1].first_bar : (s.bars + 1) / 2;
  if (last < lo || last > hi) last = (lo + hi) / 2;
  for (std::size_t c = 0; c < s.chords.size(); ++c) {
    const Harm& h = s.chords[c];
    // The nearest chord tone, a third or seventh counting as 1.5 semitones nearer than a fifth
    // and 3 nearer than the root.
    int pitch = -1;
    double best = 1e9;
    for (int candidate = lo; candidate <= hi; ++candidate)
      for (int i : h.intervals)
        if (mod12(candidate) == mod12(h.root + i)) {
          const bool guide = i == 3 || i == 4 || i == 10 || i == 11;
          const double cost = std::abs(candidate - last) + (guide ? 0.0 : i == 0 ? 3.0 : 1.5);
          if (cost < best) {
            best = cost;
            pitch = candidate;
          }
        }
    if (pitch < 0) continue;
    const std::int64_t t0 = s.chord_ticks[c], end = t0 + s.chord_durs[c];
    for (std::int64_t t = t0; t < end; t += s.bar_ticks()) {
      if (s.solo_at(t) || !(throughout || s.peak_at(t) || s.bar_of(t) >= enters)) continue;
      if (ctx.final_section && t + s.bar_ticks() >= s.end_tick()) break;  // the final chord
      const std::int64_t dur = std::min(end - t, s.bar_ticks());
      // A common tone is held over, not played again.
      Note* held = out.notes.empty() ? nullptr : &out.notes.back();
      if (held && held->pitch == pitch && held->tick + held->duration >= t - kPpq / 8)
        held->duration = t + dur * 98 / 100 - held->tick;
      else
        out.note(t, dur * 98 / 100, pitch, vel(s, ctx.next, t, -10));
      last = pitch;
    }
  }
}

}  // namespace tonepoem::composer
