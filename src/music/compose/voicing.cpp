// Voicing: where the chord instruments sit and which notes of a chord they play.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <vector>

#include "compose_internal.h"

namespace tonepoem::composer {

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

}  // namespace tonepoem::composer
