#include "music/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

namespace tonepoem {

namespace {

// Bar starts (ticks) through the meter map, up to end.
std::vector<std::pair<std::int64_t, std::int64_t>> bars_of(const Score& s, std::int64_t end) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;  // (start, length)
  std::int64_t tick = 0;
  std::size_t m = 0;
  while (tick < end) {
    while (m + 1 < s.meters.size() && s.meters[m + 1].tick <= tick) ++m;
    const MeterEvent meter = s.meters.empty() ? MeterEvent{} : s.meters[m];
    const std::int64_t len = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(meter.numerator) * s.ppq * 4 / std::max(1, meter.denominator));
    out.emplace_back(tick, len);
    tick += len;
  }
  return out;
}

}  // namespace

std::map<std::string, double> bar_repetition(const Score& score, std::int64_t from,
                                             std::int64_t to) {
  to = std::min(to, score.end_tick);
  const auto bars = bars_of(score, to);
  std::map<std::string, std::pair<int, int>> counts;  // role -> (bars played, bars repeated)
  for (const Track& t : score.tracks) {
    // Bars of one track; several tracks may share a role (they count together, each on its own).
    std::set<std::vector<std::array<std::int64_t, 3>>> seen;
    std::size_t n = 0;
    for (const auto& [start, len] : bars) {
      if (start < from) continue;
      std::vector<std::array<std::int64_t, 3>> content;
      while (n < t.notes.size() && t.notes[n].tick < start) ++n;
      for (std::size_t k = n; k < t.notes.size() && t.notes[k].tick < start + len; ++k)
        content.push_back({t.notes[k].tick - start, t.notes[k].pitch, t.notes[k].duration});
      if (content.empty()) continue;
      std::sort(content.begin(), content.end());
      auto& [played, repeated] = counts[t.role];
      ++played;
      if (!seen.insert(std::move(content)).second) ++repeated;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [role, c] : counts)
    out[role] = c.first > 0 ? static_cast<double>(c.second) / c.first : 0.0;
  return out;
}

ScoreMetrics measure(const Score& score) {
  ScoreMetrics m;
  std::vector<const Note*> pitched;
  std::int64_t end = score.end_tick;
  for (const Track& t : score.tracks)
    for (const Note& n : t.notes) {
      end = std::max(end, n.tick + 1);
      if (t.channel != 9) pitched.push_back(&n);
    }
  m.notes = pitched.size();
  if (pitched.empty() || end <= 0) return m;

  // Pitch classes.
  std::array<double, 12> hist{};
  int lo = 127, hi = 0;
  for (const Note* n : pitched) {
    hist[static_cast<std::size_t>(n->pitch % 12)] += 1;
    lo = std::min(lo, n->pitch);
    hi = std::max(hi, n->pitch);
  }
  const auto total = static_cast<double>(pitched.size());
  for (double h : hist)
    if (h > 0) m.pitch_class_entropy -= (h / total) * std::log2(h / total);
  m.pitch_range = hi - lo;
  static constexpr std::array<int, 7> kMajor = {0, 2, 4, 5, 7, 9, 11};
  static constexpr std::array<int, 7> kMinor = {0, 2, 3, 5, 7, 8, 10};
  double best = 0;
  for (int tonic = 0; tonic < 12; ++tonic)
    for (const auto* scale : {&kMajor, &kMinor}) {
      double in = 0;
      for (int d : *scale) in += hist[static_cast<std::size_t>((tonic + d) % 12)];
      best = std::max(best, in / total);
    }
  m.in_scale_ratio = best;
  m.note_density = total / std::max(1e-9, score.seconds_at(end));

  // Beats with no onset.
  const auto bars = bars_of(score, end);
  std::set<std::int64_t> onsets;
  for (const Note* n : pitched) onsets.insert(n->tick);
  std::size_t beats = 0, empty = 0;
  for (const auto& [start, len] : bars) {
    std::size_t m_idx = 0;
    while (m_idx + 1 < score.meters.size() && score.meters[m_idx + 1].tick <= start) ++m_idx;
    const int denominator = score.meters.empty() ? 4 : score.meters[m_idx].denominator;
    const std::int64_t beat = std::max<std::int64_t>(1, score.ppq * 4 / std::max(1, denominator));
    for (std::int64_t b = start; b < start + len; b += beat) {
      ++beats;
      auto it = onsets.lower_bound(b);
      if (it == onsets.end() || *it >= b + beat) ++empty;
    }
  }
  m.empty_beat_rate = beats ? static_cast<double>(empty) / static_cast<double>(beats) : 0;

  // Groove: onset patterns per bar on a 16th grid, all tracks including drums.
  std::vector<std::vector<bool>> patterns;
  for (const auto& [start, len] : bars)
    patterns.emplace_back(static_cast<std::size_t>(std::max<std::int64_t>(1, len * 4 / score.ppq)),
                          false);
  for (const Track& t : score.tracks)
    for (const Note& n : t.notes) {
      const auto it =
          std::upper_bound(bars.begin(), bars.end(), n.tick,
                           [](std::int64_t tick, const auto& bar) { return tick < bar.first; });
      if (it == bars.begin()) continue;
      const std::size_t bar = static_cast<std::size_t>(it - bars.begin() - 1);
      const auto pos = static_cast<std::size_t>((n.tick - bars[bar].first) * 4 / score.ppq);
      if (pos < patterns[bar].size()) patterns[bar][pos] = true;
    }
  double distance = 0;
  std::size_t pairs = 0;
  for (std::size_t b = 1; b < patterns.size(); ++b) {
    if (patterns[b].size() != patterns[b - 1].size()) continue;
    std::size_t diff = 0;
    for (std::size_t k = 0; k < patterns[b].size(); ++k)
      diff += patterns[b][k] != patterns[b - 1][k];
    distance += static_cast<double>(diff) / static_cast<double>(patterns[b].size());
    ++pairs;
  }
  m.groove_consistency = pairs ? 1.0 - distance / static_cast<double>(pairs) : 1.0;

  // Voice leading between successive onset sets.
  std::map<std::int64_t, std::vector<int>> sets;
  for (const Note* n : pitched) sets[n->tick].push_back(n->pitch);
  double moved = 0;
  std::size_t voices = 0;
  const std::vector<int>* prev = nullptr;
  for (const auto& [tick, set] : sets) {
    if (prev) {
      for (int p : set) {
        int nearest = 128;
        for (int q : *prev) nearest = std::min(nearest, std::abs(p - q));
        moved += nearest;
        ++voices;
      }
    }
    prev = &set;
  }
  m.voice_leading = voices ? moved / static_cast<double>(voices) : 0;
  return m;
}

std::vector<std::pair<std::string_view, double>> metric_values(const ScoreMetrics& m) {
  return {{"pitch_class_entropy", m.pitch_class_entropy},
          {"in_scale_ratio", m.in_scale_ratio},
          {"empty_beat_rate", m.empty_beat_rate},
          {"groove_consistency", m.groove_consistency},
          {"voice_leading", m.voice_leading},
          {"note_density", m.note_density},
          {"pitch_range", m.pitch_range}};
}

}  // namespace tonepoem
