// Composer benchmarks: how long a 10-minute score takes to compose and write as MIDI, then the
// objective metrics of our pieces beside the same metrics on the VGMIDI human pieces
// (../shared/data/vgmidi; that half is skipped, saying so, when the folder is absent).
//
//   build/bench/compose_bench                      # timings and the metrics table
//   build/bench/compose_bench --benchmark_filter=X # Google Benchmark options work as usual
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "music/compose.h"
#include "music/metrics.h"
#include "music/midi.h"

namespace {

using tonepoem::CueSheet;
using tonepoem::Emotion;

Emotion emotion(double v, double a, double t) {
  Emotion e;
  e.valence = v;
  e.arousal = a;
  e.tension = t;
  return e;
}

// A 10-minute story in 12 scenes that walks around the emotion plane, two recurring characters.
CueSheet ten_minute_story(std::uint64_t seed) {
  CueSheet c;
  c.title = "Ten minutes";
  c.duration_s = 600;
  c.seed = seed;
  const double arc[12][3] = {{0.6, -0.5, 0.0},  {0.4, 0.2, 0.1},  {0.0, -0.2, 0.4},
                             {-0.4, 0.4, 0.7},  {-0.7, 0.8, 0.9}, {-0.6, -0.6, 0.2},
                             {-0.2, -0.3, 0.5}, {0.3, 0.5, 0.3},  {0.8, 0.8, 0.0},
                             {0.5, -0.1, 0.0},  {-0.5, 0.6, 0.8}, {0.7, -0.6, 0.0}};
  for (int i = 0; i < 12; ++i) {
    tonepoem::Cue cue;
    cue.name = "Scene " + std::to_string(i + 1);
    cue.start_s = i * 50.0;
    cue.end_s = (i + 1) * 50.0;
    cue.target = emotion(arc[i][0], arc[i][1], arc[i][2]);
    if (i % 3 == 0) cue.characters.push_back("Ada");
    if (i % 4 == 1) cue.characters.push_back("Grim");
    c.cues.push_back(cue);
  }
  return c;
}

void BM_Compose10Minutes(benchmark::State& state) {
  const CueSheet sheet = ten_minute_story(1);
  std::size_t notes = 0;
  for (auto _ : state) {
    const tonepoem::Score s = tonepoem::compose(sheet, {});
    notes = 0;
    for (const auto& t : s.tracks) notes += t.notes.size();
    benchmark::DoNotOptimize(notes);
  }
  state.counters["notes"] = static_cast<double>(notes);
}
BENCHMARK(BM_Compose10Minutes)->Unit(benchmark::kMillisecond);

void BM_WriteMidi10Minutes(benchmark::State& state) {
  const tonepoem::Score s = tonepoem::compose(ten_minute_story(1), {});
  for (auto _ : state) benchmark::DoNotOptimize(tonepoem::write_midi(s));
}
BENCHMARK(BM_WriteMidi10Minutes)->Unit(benchmark::kMillisecond);

void BM_ReadMidi10Minutes(benchmark::State& state) {
  const std::string bytes = tonepoem::write_midi(tonepoem::compose(ten_minute_story(1), {}));
  for (auto _ : state) benchmark::DoNotOptimize(tonepoem::read_midi(bytes));
}
BENCHMARK(BM_ReadMidi10Minutes)->Unit(benchmark::kMillisecond);

// Median and the 10th and 90th percentiles of one metric over many pieces.
struct Spread {
  double p10 = 0, median = 0, p90 = 0;
};
Spread spread(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
  };
  return {at(0.1), at(0.5), at(0.9)};
}

void print_metrics() {
  std::vector<tonepoem::ScoreMetrics> ours;
  for (double v : {-0.7, 0.0, 0.7})
    for (double a : {-0.7, 0.0, 0.7})
      for (std::uint64_t seed : {1u, 2u}) {
        const double t = v < 0 && a > 0 ? 0.8 : 0.1;
        ours.push_back(tonepoem::measure(
            tonepoem::compose(tonepoem::single_emotion_cues(emotion(v, a, t), 60, seed), {})));
      }

  std::vector<tonepoem::ScoreMetrics> human;
  const std::filesystem::path vgmidi = std::filesystem::path(TONEPOEM_SHARED_DATA) / "vgmidi";
  std::size_t unreadable = 0;
  if (std::filesystem::is_directory(vgmidi)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(vgmidi)) {
      if (e.path().extension() != ".mid") continue;
      try {
        const tonepoem::ScoreMetrics m = tonepoem::measure(tonepoem::load_midi(e.path()));
        if (m.notes > 0) human.push_back(m);
      } catch (const tonepoem::Error&) {
        ++unreadable;
      }
    }
  }

  std::printf(
      "\nObjective metrics: ours (%zu pieces, 9 emotions x 2 seeds, 60 s) vs VGMIDI (%zu human "
      "pieces%s)\n",
      ours.size(), human.size(), human.empty() ? ", folder absent: skipped" : "");
  if (unreadable) std::printf("  (%zu VGMIDI files could not be read)\n", unreadable);
  std::printf("%-20s %26s %26s  %s\n", "metric", "ours p10 / median / p90",
              "human p10 / median / p90", "our median inside human p10..p90");
  const auto names = tonepoem::metric_values(tonepoem::ScoreMetrics{});
  for (std::size_t k = 0; k < names.size(); ++k) {
    std::vector<double> a, b;
    for (const auto& m : ours) a.push_back(tonepoem::metric_values(m)[k].second);
    for (const auto& m : human) b.push_back(tonepoem::metric_values(m)[k].second);
    const Spread x = spread(a), y = spread(b);
    const bool inside = !b.empty() && x.median >= y.p10 && x.median <= y.p90;
    std::printf("%-20s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f  %s\n",
                std::string(names[k].first).c_str(), x.p10, x.median, x.p90, y.p10, y.median, y.p90,
                b.empty() ? "-" : (inside ? "yes" : "no"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_metrics();
  return 0;
}
