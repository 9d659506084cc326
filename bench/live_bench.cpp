// The live engine under a real-time load: a composer thread and an "audio thread" that renders
// 256-frame blocks at 48 kHz, paced at `--speed` times real time (default 4), while a
// seeded random walk changes the emotion every 5 s (+- 0.5 s) (alternately at the next beat and the
// next bar) and fires a hit every 10 s.
//
//   build/bench/live_bench [--seconds 600] [--speed 4] [--seed 1] [--normal-priority]
//                          [--full-orchestra]
//
// --full-orchestra keeps the walk excited and bright (valence 0.4 or more, arousal 0.5 or more,
// tension 0.2: the "joyful" palette), where the composer writes every part it has (8: melody,
// doubling, chords, pad, bass, timpani, drums, counterline), and moves it every 15 s with a hit
// every 30 s, so that the parts that enter with a section's second phrase (doubling,
// counterline) get to play: the heaviest load on the audio thread.
//
// The audio thread asks for real-time scheduling (SCHED_FIFO, priority 70), as the callback
// threads of sound servers (PipeWire, JACK, PulseAudio) and SDL's audio thread run; the composer
// thread keeps the normal priority. --normal-priority leaves the audio thread at the normal
// priority, to see what preemption by other work on the machine does.
//
// At --speed 4 the audio thread asks for blocks four times as fast as a sound card would, so the
// composer has a quarter of the time it has in real use.
//
// Prints: the soak checks (clicks: the largest sample-to-sample jump in each block of the live
// stream against the offline render of the same synthesizer calls, render_synth_calls; drift:
// calls made away from the frame the composer scheduled, notes late; memory: resident set size
// every 10 s of music), latency from set_emotion to the first note of the new music (from the
// played-note log against the command's frame), whether each change landed on the first beat / bar
// line after the command plus the guard (the host's block + 128 frames), the time to compose (per
// composition and per bar), the render time per 256-frame block against its 5.33 ms budget, and
// notes that reached the audio thread late. Baseline in the same run: the offline composer
// (compose()) on a 30-second cue.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
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

// Resident set size of this process in MB (Linux /proc), 0 where unknown.
double rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0;
}

// Per block of 256 frames: the largest jump between neighbouring samples of a channel (the
// first sample against the last of the block before) and a hash of the block's bytes.
// The vectors are filled in place, so the resident set the soak watches does not grow with them.
class BlockScan {
 public:
  explicit BlockScan(std::size_t blocks) : jumps(blocks, 0.0f), hashes(blocks, 0) {}
  void add(const float* stereo, std::size_t frames) {
    for (std::size_t i = 0; i < frames; ++i) {
      for (int c = 0; c < 2; ++c) {
        const float x = stereo[2 * i + static_cast<std::size_t>(c)];
        jump_ = std::max(jump_, std::abs(x - last_[c]));
        last_[c] = x;
        std::uint32_t bits;
        std::memcpy(&bits, &x, sizeof bits);
        hash_ = (hash_ ^ bits) * 0x100000001B3ull;
      }
      if (++filled_ < 256) continue;
      if (blocks_ < jumps.size()) {
        jumps[blocks_] = jump_;
        hashes[blocks_++] = hash_;
      }
      jump_ = 0;
      hash_ = 0xCBF29CE484222325ull;
      filled_ = 0;
    }
  }
  std::size_t blocks() const { return blocks_; }
  std::vector<float> jumps;
  std::vector<std::uint64_t> hashes;

 private:
  std::size_t blocks_ = 0;
  float last_[2] = {0, 0};
  float jump_ = 0;
  std::uint64_t hash_ = 0xCBF29CE484222325ull;
  std::size_t filled_ = 0;
};

void row(const char* what, const std::vector<double>& v, const char* unit) {
  std::printf("  %-44s n=%-5zu p50 %7.3f  p99 %7.3f  max %7.3f %s\n", what, v.size(),
              percentile(v, 50), percentile(v, 99),
              v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()), unit);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 600, speed = 4;
  std::uint64_t seed = 1;
  bool realtime_priority = true;
  bool full = false;
  bool keep = false;  // --keep-audio: hold the live stream to report how far a differing block is
  std::vector<float>
      kept;  // --full-orchestra: the walk stays excited and bright, so every part plays
  for (int i = 1; i < argc; ++i) {
    const bool value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--normal-priority")) realtime_priority = false;
    if (!std::strcmp(argv[i], "--full-orchestra")) full = true;
    if (!std::strcmp(argv[i], "--keep-audio")) keep = true;
    if (value && !std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[++i]);
    if (value && !std::strcmp(argv[i], "--speed")) speed = std::atof(argv[++i]);
    if (value && !std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[++i], nullptr, 10);
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
  o.call_log_capacity = 1 << 21;
  live::Engine engine(o);
  // After the engine started its composer thread, which keeps the normal priority.
  std::string priority = "normal";
  if (realtime_priority) {
    sched_param param{};
    param.sched_priority = 70;
    const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
    priority = rc == 0 ? "SCHED_FIFO 70"
                       : std::string("normal (SCHED_FIFO refused: ") + std::strerror(rc) + ")";
  }
  const auto total = static_cast<std::int64_t>(seconds * kRate);
  const auto n_blocks = static_cast<std::size_t>((total + kBlock - 1) / kBlock);
  BlockScan live_scan(n_blocks);
  std::vector<std::pair<double, double>> rss;  // (seconds of music, MB)
  rss.reserve(static_cast<std::size_t>(seconds / 10) + 4);

  Rng rng(seed);
  double v = full ? 0.7 : 0.3, a = full ? 0.7 : -0.2;
  std::vector<float> block(2 * kBlock);
  std::vector<double> render_ms(n_blocks, 0.0);
  // What the audio thread itself spent on each block and what interrupted it: a block whose
  // thread time is far below its wall time waited for the CPU (preempted, or the machine's
  // hypervisor ran someone else), one with page faults waited for memory.
  struct BlockCost {
    double cpu_ms = 0;
    long minor_faults = 0, major_faults = 0, involuntary_switches = 0;
  };
  std::vector<BlockCost> block_cost(n_blocks);
  auto thread_cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  std::size_t blocks_rendered = 0;
  std::int64_t next_change = 2 * kRate, next_hit = 10 * kRate;
  int changes = 0;
  const auto start = Clock::now();
  for (std::int64_t f = 0; f < total; f += kBlock) {
    if (f >= next_change) {
      v = std::clamp(v + rng.uniform(-0.6, 0.6), full ? 0.4 : -1.0, 1.0);
      a = std::clamp(a + rng.uniform(-0.6, 0.6), full ? 0.5 : -1.0, 1.0);
      const double t = full ? 0.2 : std::clamp((a - v) / 2, 0.0, 1.0);
      engine.set_emotion(Emotion::at(v, a, t), changes++ % 2 == 0 ? live::At::beat : live::At::bar);
      next_change +=
          (full ? 15 : 5) * kRate + static_cast<std::int64_t>(rng.uniform(-0.5, 0.5) * kRate);
    }
    if (f >= next_hit) {
      engine.hit("accent");
      next_hit += (full ? 30 : 10) * kRate;
    }
    rusage before{}, after{};
    getrusage(RUSAGE_THREAD, &before);
    const double cpu0 = thread_cpu_ms();
    const auto t0 = Clock::now();
    engine.render(block.data(), kBlock);
    const auto t1 = Clock::now();
    const double cpu1 = thread_cpu_ms();
    getrusage(RUSAGE_THREAD, &after);
    block_cost[blocks_rendered] = {cpu1 - cpu0, after.ru_minflt - before.ru_minflt,
                                   after.ru_majflt - before.ru_majflt,
                                   after.ru_nivcsw - before.ru_nivcsw};
    render_ms[blocks_rendered++] = std::chrono::duration<double, std::milli>(t1 - t0).count();
    live_scan.add(block.data(), kBlock);
    if (keep) kept.insert(kept.end(), block.begin(), block.end());
    if (f % (10 * kRate) == 0) rss.emplace_back(static_cast<double>(f) / kRate, rss_mb());
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                    static_cast<double>(f + static_cast<std::int64_t>(kBlock)) / kRate / speed));
    std::this_thread::sleep_until(deadline);
  }

  rss.emplace_back(seconds, rss_mb());
  const live::EngineStats st = engine.stats();
  const std::vector<live::PlayedNote> notes = engine.played_notes();
  const std::vector<live::SynthCall> calls = engine.synth_calls();

  // The offline render of the same synthesizer calls, scanned the same way.
  render_ms.resize(blocks_rendered);
  BlockScan offline_scan(n_blocks);
  std::size_t at = 0;
  float worst = 0;
  std::size_t worst_at = 0;
  live::render_synth_calls(calls, o, total, [&](const float* stereo, std::size_t frames) {
    offline_scan.add(stereo, frames);
    for (std::size_t i = 0; keep && i < 2 * frames && at + i < kept.size(); ++i)
      if (std::abs(kept[at + i] - stereo[i]) > worst) {
        worst = std::abs(kept[at + i] - stereo[i]);
        worst_at = (at + i) / 2;
      }
    at += 2 * frames;
  });
  if (keep)
    std::printf("largest difference live - offline: %g at frame %zu (%.3f s)\n",
                static_cast<double>(worst), worst_at, static_cast<double>(worst_at) / kRate);
  float offline_max = 0;
  for (float j : offline_scan.jumps) offline_max = std::max(offline_max, j);
  std::size_t clicks = 0, louder_blocks = 0, differing_blocks = 0;
  float live_max = 0;
  for (std::size_t b = 0; b < live_scan.blocks(); ++b) {
    live_max = std::max(live_max, live_scan.jumps[b]);
    clicks += live_scan.jumps[b] > offline_max ? 1 : 0;
    const bool there = b < offline_scan.blocks();
    louder_blocks += !there || live_scan.jumps[b] > offline_scan.jumps[b] ? 1 : 0;
    differing_blocks += !there || live_scan.hashes[b] != offline_scan.hashes[b] ? 1 : 0;
  }
  // Parts playing: the channels that start a note in each 10 s of music (the composer writes at
  // most 7: melody, doubling, chords, pad, bass, timpani, drums).
  std::vector<unsigned> window_channels(static_cast<std::size_t>(seconds / 10) + 1, 0);
  for (const live::SynthCall& c : calls)
    if (c.kind == live::SynthCall::Kind::note_on) {
      const auto w = static_cast<std::size_t>(c.frame / (10 * kRate));
      if (w < window_channels.size()) window_channels[w] |= 1u << (c.channel & 15);
    }
  std::vector<double> parts;
  for (unsigned bits : window_channels) parts.push_back(std::popcount(bits));
  std::size_t off_schedule = 0, scheduled_calls = 0;
  for (const live::SynthCall& c : calls) {
    if (c.kind == live::SynthCall::Kind::note_off) continue;  // an ending or a repeated key
    ++scheduled_calls;
    off_schedule += c.frame != c.scheduled ? 1 : 0;
  }
  std::vector<double> lat_beat, lat_bar, on_grid_beat, on_grid_bar, beats_beat, beyond_beat;
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
    if (t.at == live::At::beat) {
      beats_beat.push_back(ms / 1000.0 / t.beat_s);
      beyond_beat.push_back(ms - 1000.0 * t.beat_s);
    }
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
      "48 kHz, %zu emotion changes, seed %llu, %u hardware threads, audio thread priority %s\n",
      seconds, speed, wall, st.transitions.size(), static_cast<unsigned long long>(seed),
      std::thread::hardware_concurrency(), priority.c_str());
  std::printf("soak:\n");
  row("parts playing per 10 s of music", parts, "parts");
  {
    // Which channels: in how many of the 10 s windows each played (channel 9 is the drums).
    std::string per_channel;
    for (int ch = 0; ch < 16; ++ch) {
      std::size_t n = 0;
      for (unsigned bits : window_channels) n += (bits >> ch) & 1u;
      if (n > 0) per_channel += " ch" + std::to_string(ch) + " " + std::to_string(n);
    }
    std::printf("  windows each channel played in (of %zu):%s\n", window_channels.size(),
                per_channel.c_str());
  }
  std::printf(
      "  clicks: largest sample-to-sample jump %.4f live, %.4f in the offline render of the same "
      "%zu synthesizer calls%s; live blocks above the offline render's largest jump: %zu; blocks "
      "whose largest jump exceeds the offline render's in the same block: %zu; blocks that "
      "differ at all: %zu of %zu\n",
      static_cast<double>(live_max), static_cast<double>(offline_max), calls.size(),
      calls.size() == static_cast<std::size_t>(o.call_log_capacity) ? " (log full)" : "", clicks,
      louder_blocks, differing_blocks, live_scan.blocks());
  std::printf(
      "  drift: %zu of %zu note-ons, program and controller changes away from the frame the "
      "composer scheduled; %zu notes late; %lld frames rendered for %lld asked\n",
      off_schedule, scheduled_calls, st.late_events,
      static_cast<long long>(engine.frames_rendered()), static_cast<long long>(total));
  double at_minute = 0, peak_after = 0;
  for (const auto& [t, mb] : rss) {
    if (t <= 60) at_minute = mb;
    if (t >= 60) peak_after = std::max(peak_after, mb);
  }
  std::printf(
      "  memory (resident set, every 10 s of music): %.1f MB at 0 s, %.1f MB at 1 min, peak "
      "after 1 min %.1f MB, %.1f MB at the end (%+.1f MB from 1 min)\n",
      rss.front().second, at_minute, peak_after, rss.back().second, rss.back().second - at_minute);
  std::printf("latency from set_emotion to the first note of the new music:\n");
  row("at the next beat", lat_beat, "ms");
  row("  the same in beats of the music playing", beats_beat, "beats");
  row("  the same minus one beat (target: one buffer)", beyond_beat, "ms");
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
  // Where the blocks over budget were: the synthesizer calls made in each (a burst of note-ons
  // costs voice set-up), against the median block's.
  std::vector<std::size_t> calls_in(render_ms.size(), 0);
  for (const live::SynthCall& c : calls) {
    const auto b = static_cast<std::size_t>(c.frame) / kBlock;
    if (b < calls_in.size()) ++calls_in[b];
  }
  std::vector<double> calls_over, calls_all(calls_in.begin(), calls_in.end());
  for (std::size_t b = 0; b < render_ms.size(); ++b)
    if (render_ms[b] > budget_ms) {
      calls_over.push_back(static_cast<double>(calls_in[b]));
      if (calls_over.size() <= 10)
        std::printf(
            "  over budget: block %zu (%.2f s) took %.2f ms (%.2f ms on the thread's own clock; "
            "%ld minor and %ld major page faults; preempted %ld times) with %zu synthesizer "
            "calls\n",
            b, static_cast<double>(b * kBlock) / kRate, render_ms[b], block_cost[b].cpu_ms,
            block_cost[b].minor_faults, block_cost[b].major_faults,
            block_cost[b].involuntary_switches, calls_in[b]);
    }
  row("synthesizer calls in a block over budget", calls_over, "calls");
  std::vector<double> cpu_ms;
  std::size_t over_cpu = 0;
  for (std::size_t b = 0; b < render_ms.size(); ++b) {
    cpu_ms.push_back(block_cost[b].cpu_ms);
    over_cpu += block_cost[b].cpu_ms > budget_ms ? 1 : 0;
  }
  row("the same on the thread's own clock", cpu_ms, "ms");
  std::printf("  synthesizer voices sounding at once: at most %d\n", st.peak_voices);
  std::printf("  blocks over budget on the thread's own clock: %zu of %zu\n", over_cpu,
              render_ms.size());
  row("synthesizer calls in any block", calls_all, "calls");
  std::printf(
      "  blocks over budget: %zu of %zu; notes late: %zu; notes dropped: %zu; changes "
      "before their grid point: %d\n",
      over, render_ms.size(), st.late_events, st.dropped_notes, missed);
  return 0;
}
