// Melody: motifs (rhythm and steps), the MelodyWriter that states, repeats, varies and answers
// them phrase by phrase, and the characters' leitmotifs.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "compose_internal.h"
#include "core/rng.h"
#include "music/compose.h"

namespace tonepoem {
namespace composer {
namespace {

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

class MelodyWriter {
 public:
  MelodyWriter(const Section& s, int program, bool final_section, Rng& rng)
      : s_(s), rng_(rng), final_section_(final_section) {
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
    return local_scale(s_.key_at(tick), s_.chord_at(tick));
  }
  int plain_pitch(int idx, std::int64_t tick) const {
    const Key& key = s_.key_at(tick);
    std::array<int, 7> plain{};
    for (int d = 0; d < 7; ++d) plain[static_cast<std::size_t>(d)] = key.pc(d);
    return pitch_of(key, plain, idx);
  }
  int pitch(int idx, std::int64_t tick) const {
    return pitch_of(s_.key_at(tick), scale_at(tick), idx);
  }
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
    double v = s_.p.velocity + 6 + 8 * arc + 16 * s_.intensity_at(tick) + s_.entry_offset(tick);
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
    const int p = protect_next_ ? plain_pitch(idx, tick) : pitch(idx, tick);
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
    const bool final_of_piece = final_section_ && &ph == &s_.phrases.back();
    for (int j = 0; j < ph.bars; ++j) {
      const std::int64_t bar_tick = s_.start_tick + (ph.first_bar + j) * s_.bar_ticks();
      const double arc = arc_at(ph, j);
      const double amp = 0.55 + 0.25 * (s_.p.contour + 1) / 2;
      // The line climbs at the story's peaks and sinks at its quiet lines; every 8-bar block of a
      // long section restates the material a step or two higher or lower (a sequence).
      constexpr std::array<int, 6> kBlockShift = {0, 2, -1, 3, 1, -2};
      const int block = s_.block_of(bar_tick);
      const int target = std::clamp(
          lo_idx_ + static_cast<int>(std::lround((0.2 + amp * arc) * (hi_idx_ - lo_idx_))) +
              static_cast<int>(std::lround(2 * s_.intensity_at(bar_tick))) +
              kBlockShift[static_cast<std::size_t>(block) % kBlockShift.size()],
          lo_idx_, hi_idx_);
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
      write_motif_bar(develop(motif_for_bar(ph, phrase_index, j), bar_tick), bar_tick, target, arc);
    }
  }

  // The motif of bar `j`, by its role in the phrase: statement, repetition, variation, answer.
  // Phrase pairs follow A B A A' ...: the second pair contrasts, later ones vary the first.
  Motif motif_for_bar(const Phrase& ph, std::size_t phrase_index, int j) {
    const std::size_t pair = phrase_index / 2;
    Motif m = pair % 3 == 1 ? contrast_ : motif_;
    if (pair >= 2 && pair % 3 != 1 && j == 1) m = vary(m);
    const int pos = j % 4;
    const bool second_half = ph.bars >= 8 && j >= 4;
    if (pos == 2) m = vary(m);
    if (second_half && pos == 0)
      for (int& st : m.steps) st = -st;  // the answer inverts the motif
    if (pos == 3) m = vary(vary(m));
    return m;
  }

  // The motif as the moment asks: more notes at a peak, fewer at a quiet line; in the later
  // blocks of a long section fragmented (its head repeated) or with its intervals widened.
  Motif develop(Motif m, std::int64_t bar_tick) const {
    const double i = s_.intensity_at(bar_tick);
    if (i > 0.4) split_longest(m);
    if (i < -0.4) merge_last(m);
    if (i < -0.75) merge_last(m);
    const int block = s_.block_of(bar_tick);
    if (block % 3 == 1 && m.slots.size() >= 4) {
      // Fragmentation: the first half of the motif twice.
      const std::size_t half = m.slots.size() / 2;
      int head = 0;
      for (std::size_t k = 0; k < half; ++k) head += m.slots[k];
      const int total = 2 * s_.beats;
      if (2 * head == total) {
        std::vector<int> slots(m.slots.begin(),
                               m.slots.begin() + static_cast<std::ptrdiff_t>(half));
        slots.insert(slots.end(), slots.begin(), slots.end());
        std::vector<int> steps(m.steps.begin(),
                               m.steps.begin() + static_cast<std::ptrdiff_t>(half - 1));
        steps.push_back(1);
        steps.insert(steps.end(), m.steps.begin(),
                     m.steps.begin() + static_cast<std::ptrdiff_t>(half - 1));
        m.slots = slots;
        m.steps = steps;
      }
    } else if (block % 3 == 2) {
      for (int& st : m.steps)
        if (std::abs(st) == 1) st *= 2;  // widened intervals
    }
    return m;
  }
  static void split_longest(Motif& m) {
    auto it = std::max_element(m.slots.begin(), m.slots.end());
    if (it == m.slots.end() || *it < 2) return;
    const int a = *it / 2;
    const int b = *it - a;
    *it = a;
    m.slots.insert(it + 1, b);
    m.steps.push_back(m.steps.empty() ? 1 : -m.steps.back());
    m.steps.resize(m.slots.size() - 1);
  }
  static void merge_last(Motif& m) {
    if (m.slots.size() < 2) return;
    m.slots[m.slots.size() - 2] += m.slots.back();
    m.slots.pop_back();
    m.steps.resize(m.slots.size() - 1);
  }

  // One bar of motif `m`: starts near the previous note, drifting toward the phrase arc's
  // `target`, with chord tones on the strong beats.
  void write_motif_bar(const Motif& m, std::int64_t bar_tick, int target, double arc) {
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
        if (strong_slot(slot, s_.beats)) cur = snap(cur, tick, step);
        cur = std::clamp(cur, lo_idx_, hi_idx_);
      }
      emit(tick, m.slots[i], cur, arc, false);
      slot += m.slots[i];
    }
    idx_ = cur;
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
        if (strong_slot(slot, B) && !s_.chord_at(tick).has(plain_pitch(base + degrees[i], tick)))
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
  bool final_section_;  // the last phrase ends the piece
  int lo_ = 60, hi_ = 84, lo_idx_ = 0, hi_idx_ = 0, idx_ = 0;
  Motif motif_, contrast_;
  std::vector<int> idx_of_;      // diatonic index of each note in notes_
  std::vector<bool> protected_;  // leitmotif notes, left as they are
  bool protect_next_ = false;
  std::vector<MelodyNote> notes_;
};

}  // namespace

std::pair<int, int> melody_window(int program, int register_shift) {
  const InstrumentRange r = range_of(program);
  const int center = std::clamp(r.center + register_shift, r.low + 6, r.high - 6);
  return {std::max(r.low + 1, center - 8), std::min(r.high - 1, center + 9)};
}

std::vector<MelodyNote> compose_melody(const Section& s, int program,
                                       const std::vector<int>& leitmotif, bool final_section,
                                       Rng& rng) {
  MelodyWriter writer(s, program, final_section, rng);
  return writer.write(leitmotif);
}

}  // namespace composer

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

}  // namespace tonepoem
