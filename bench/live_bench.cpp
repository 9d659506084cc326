// The live engine under a real-time load: a composer thread and an "audio thread" that renders
// 256-frame blocks at 48 kHz, paced at `--speed` times real time (default 1: real time), while a
// seeded random walk changes the emotion every 5 s (+- 0.5 s) (alternately at the next beat and the
// next bar) and fires a hit every 10 s.
//
//   build/bench/live_bench [--seconds 600] [--speed 4] [--seed 1]
//
// At --speed 4 the audio thread asks for blocks four times as fast as a sound card would, so the
// composer has a quarter of the time it has in real use.
//
// Prints: latency from set_emotion to the first note of the new music (from the played-note log
// against the command's frame), whether each change landed on the first beat / bar line after
// the command plus the 1024-frame guard, the time to compose (per composition and per bar), the
// render time per 256-frame block against its 5.33 ms budget, and notes that reached the audio
// thread late. Baseline in the same run: the offline composer (compose()) on a 30-second cue.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/rng.h"
#include "live/engine.h"
#include "music/compose.h"

namespace {

using namespace tonepoem;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void row(const char* what, const std::vector<double>& v, const char* unit) {
  std::printf("  %-44s n=%-5zu p50 %7.3f  p99 %7.3f  max %7.3f %s\n", what, v.size(),
              percentile(v, 50), percentile(v, 99),
              v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()), unit);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 600, speed = 4;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--speed")) speed = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  constexpr int kRate = 48000;
  constexpr std::size_t kBlock = 256;
  const double budget_ms = 1000.0 * kBlock / kRate;

  // Baseline: the offline composer on one 30 s cue.
  std::vector<double> offline_ms;
  for (int k = 0; k < 20; ++k) {
    const auto t0 = Clock::now();
    const Score s = compose(single_emotion_cues(Emotion::at(-0.3, 0.5, 0.4), 30, 1 + k), {});
    offline_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (s.tracks.empty()) return 1;
  }

  live::EngineOptions o;
  o.sample_rate = kRate;
  o.seed = seed;
  o.threaded = true;
  o.note_log_capacity = 1 << 20;
  live::Engine engine(o);

  Rng rng(seed);
  double v = 0.3, a = -0.2;
  const auto total = static_cast<std::int64_t>(seconds * kRate);
  std::vector<float> block(2 * kBlock);
  std::vector<double> render_ms;
  render_ms.reserve(static_cast<std::size_t>(total / static_cast<std::int64_t>(kBlock)) + 1);
  std::int64_t next_change = 2 * kRate, next_hit = 10 * kRate;
  int changes = 0;
  const auto start = Clock::now();
  for (std::int64_t f = 0; f < total; f += kBlock) {
    if (f >= next_change) {
      v = std::clamp(v + rng.uniform(-0.6, 0.6), -1.0, 1.0);
      a = std::clamp(a + rng.uniform(-0.6, 0.6), -1.0, 1.0);
      engine.set_emotion(Emotion::at(v, a, std::clamp((a - v) / 2, 0.0, 1.0)),
                         changes++ % 2 == 0 ? live::At::beat : live::At::bar);
      next_change += 5 * kRate + static_cast<std::int64_t>(rng.uniform(-0.5, 0.5) * kRate);
    }
    if (f >= next_hit) {
      engine.hit("accent");
      next_hit += 10 * kRate;
    }
    const auto t0 = Clock::now();
    engine.render(block.data(), kBlock);
    const auto t1 = Clock::now();
    render_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                    static_cast<double>(f + static_cast<std::int64_t>(kBlock)) / kRate / speed));
    std::this_thread::sleep_until(deadline);
  }

  const live::EngineStats st = engine.stats();
  const std::vector<live::PlayedNote> notes = engine.played_notes();
  std::vector<double> lat_beat, lat_bar, on_grid_beat, on_grid_bar, beats_beat;
  int missed = 0;
  for (const live::Transition& t : st.transitions) {
    const live::PlayedNote* first = nullptr;
    for (const live::PlayedNote& n : notes)
      if (n.generation == t.generation && n.channel != 9) {
        first = &n;
        break;
      }
    if (!first) continue;
    const double ms = 1000.0 * static_cast<double>(first->frame - t.command_frame) / kRate;
    (t.at == live::At::beat ? lat_beat : lat_bar).push_back(ms);
    if (t.at == live::At::beat) beats_beat.push_back(ms / 1000.0 / t.beat_s);
    // Where the new music started against where it was asked to (the grid point itself).
    (t.at == live::At::beat ? on_grid_beat : on_grid_bar)
        .push_back(1000.0 * static_cast<double>(first->frame - t.change_frame) / kRate);
    if (first->frame < t.change_frame) ++missed;
  }
  // The bar length around each bar transition, to express the latency in bars.
  std::vector<double> bar_fraction;
  for (const live::Transition& t : st.transitions) {
    if (t.at != live::At::bar) continue;
    const auto& b = st.bar_frames;
    auto it = std::lower_bound(b.begin(), b.end(), t.command_frame);
    if (it == b.begin() || it == b.end()) continue;
    const double bar = static_cast<double>(*it - *(it - 1));
    bar_fraction.push_back(static_cast<double>(t.change_frame - t.command_frame) / bar);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();

  std::printf(
      "live_bench: %.0f s of music at %.0fx real time (%.1f s wall), 256-frame blocks at "
      "48 kHz, %zu emotion changes, seed %llu, %u hardware threads\n",
      seconds, speed, wall, st.transitions.size(), static_cast<unsigned long long>(seed),
      std::thread::hardware_concurrency());
  std::printf("latency from set_emotion to the first note of the new music:\n");
  row("at the next beat", lat_beat, "ms");
  row("  the same in beats of the music playing", beats_beat, "beats");
  row("at the next bar", lat_bar, "ms");
  row("  (change frame - command) / bar length", bar_fraction, "bars");
  row("first new note - the grid point (beat)", on_grid_beat, "ms");
  row("first new note - the grid point (bar)", on_grid_bar, "ms");
  std::printf("composition (worker thread):\n");
  row("per composition (16 bars + tail)", st.compose_ms, "ms");
  row("per bar", st.compose_ms_per_bar, "ms");
  row("baseline: offline compose() of a 30 s cue", offline_ms, "ms");
  std::printf("audio thread (budget %.2f ms per block):\n", budget_ms);
  row("render per 256-frame block", render_ms, "ms");
  std::size_t over = 0;
  for (double ms : render_ms) over += ms > budget_ms ? 1 : 0;
  std::printf(
      "  blocks over budget: %zu of %zu; notes late: %zu; notes dropped: %zu; changes "
      "before their grid point: %d\n",
      over, render_ms.size(), st.late_events, st.dropped_notes, missed);
  return 0;
}
