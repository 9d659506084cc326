// The one source of randomness. Every random choice in tonepoem flows from a seed through this
// class, and it is built only on std::mt19937_64's raw output (whose sequence the standard fixes),
// never on std::*_distribution (whose results differ between standard libraries), so the same
// seed gives the same MIDI bytes everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

namespace tonepoem {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  // A new independent stream, e.g. one per section, so that changing one section's choices does
  // not shift every later one.
  Rng fork(std::uint64_t salt) { return Rng(engine_() ^ (salt * 0x9E3779B97F4A7C15ull)); }

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi] (inclusive).
  int integer(int lo, int hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<int>(engine_() % span);
  }
  bool chance(double p) { return uniform() < p; }
  // Index drawn with probability proportional to weights (all >= 0). Returns 0 if all are 0.
  std::size_t pick(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w > 0 ? w : 0;
    if (total <= 0) return 0;
    double r = uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const double w = weights[i] > 0 ? weights[i] : 0;
      if (r < w) return i;
      r -= w;
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace tonepoem
