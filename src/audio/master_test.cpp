// Mastering against the whole-buffer implementation it replaced (kept here, verbatim in its
// arithmetic, as the reference): the streaming limiter must give the same samples to the bit, and
// the true-peak meter must agree with libebur128's.
#include <ebur128.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "audio/audio.h"

namespace tonepoem {
namespace {

// ---- The whole-buffer reference (master.cpp before streaming) ----------------------------------

struct StateDeleter {
  void operator()(ebur128_state* s) const { ebur128_destroy(&s); }
};
using State = std::unique_ptr<ebur128_state, StateDeleter>;

// libebur128's own integrated loudness and true peak (all channels, 4x oversampling).
LoudnessReport libebur128_measure(const AudioBuffer& audio) {
  State st(ebur128_init(static_cast<unsigned>(audio.channels),
                        static_cast<unsigned long>(audio.sample_rate),
                        EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK));
  ebur128_add_frames_float(st.get(), audio.samples.data(), audio.frames());
  LoudnessReport r;
  r.integrated_lufs = -std::numeric_limits<double>::infinity();
  double lufs = 0, peak = 0;
  if (ebur128_loudness_global(st.get(), &lufs) == EBUR128_SUCCESS) r.integrated_lufs = lufs;
  for (int c = 0; c < audio.channels; ++c) {
    double p = 0;
    ebur128_true_peak(st.get(), static_cast<unsigned>(c), &p);
    peak = std::max(peak, p);
  }
  r.true_peak_dbtp = peak > 0 ? 20 * std::log10(peak) : -std::numeric_limits<double>::infinity();
  return r;
}

std::vector<float> frame_true_peaks(const AudioBuffer& audio, float floor) {
  constexpr int kFactor = 4, kTaps = 49, kCenter = kTaps / 2,
                kPerPhase = (kTaps + kFactor - 1) / kFactor;
  static const auto kCoeffs = [] {
    std::array<std::array<float, kPerPhase>, kFactor> c{};
    for (int k = 0; k < kTaps; ++k) {
      const double x = static_cast<double>(k - kCenter) / kFactor;
      const double sinc = x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
      const double window = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * (k + 1) / (kTaps + 1));
      c[static_cast<std::size_t>(k % kFactor)][static_cast<std::size_t>(k / kFactor)] =
          static_cast<float>(sinc * window);
    }
    return c;
  }();
  const std::size_t frames = audio.frames();
  const auto channels = static_cast<std::size_t>(audio.channels);
  constexpr std::size_t kDelay = kCenter / kFactor;  // 6 input frames
  constexpr std::size_t kPad = kPerPhase;
  // Phase p of output n is the interpolated value at time n - kDelay + p / 4: it lies between
  // frames n - kDelay and n - kDelay + 1 and bounds both. One channel per thread.
  std::vector<std::vector<float>> per_channel(channels, std::vector<float>(frames, 0.0f));
  static const float kGainBound = [] {
    float bound = 0;
    for (const auto& phase : kCoeffs) {
      float sum = 0;
      for (float c : phase) sum += std::abs(c);
      bound = std::max(bound, sum);
    }
    return bound * 1.001f;
  }();
  constexpr std::size_t kBlock = 64;
  auto scan = [&](std::size_t c) {
    std::vector<float>& peaks = per_channel[c];
    std::vector<float> padded(frames + 2 * kPad, 0.0f);
    for (std::size_t i = 0; i < frames; ++i) padded[i + kPad] = audio.samples[i * channels + c];
    for (std::size_t n = 0; n < frames + kDelay; ++n) {
      if (n % kBlock == 0) {
        // Outputs n .. n + kBlock - 1 read inputs n - kPerPhase + 1 .. n + kBlock - 1.
        const std::size_t last = std::min(n + kBlock, frames + kDelay);
        float loudest = 0;
        for (std::size_t i = n; i < last + kPerPhase && i < frames + 2 * kPad; ++i)
          loudest = std::max(loudest, std::abs(padded[i]));
        if (loudest * kGainBound < floor) {
          for (std::size_t m = n; m < last; ++m)
            if (m >= kDelay)
              peaks[m - kDelay] = std::max(peaks[m - kDelay], std::abs(padded[m - kDelay + kPad]));
          n = last - 1;
          continue;
        }
      }
      const float* in = padded.data() + n + kPad;  // in[-j] = x[n - j]
      float best = 0;
      for (const auto& phase : kCoeffs) {
        float acc = 0;
        for (std::size_t j = 0; j < kPerPhase; ++j)
          acc += phase[j] * in[-static_cast<std::ptrdiff_t>(j)];
        best = std::max(best, std::abs(acc));
      }
      if (n < kDelay) continue;
      const std::size_t at = n - kDelay;
      peaks[at] = std::max({peaks[at], best, std::abs(padded[at + kPad])});
      if (at + 1 < frames) peaks[at + 1] = std::max(peaks[at + 1], best);
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t c = 1; c < channels; ++c) workers.emplace_back(scan, c);
    if (channels > 0) scan(0);
  }
  std::vector<float> peaks =
      channels > 0 ? std::move(per_channel[0]) : std::vector<float>(frames, 0.0f);
  for (std::size_t c = 1; c < channels; ++c)
    for (std::size_t n = 0; n < frames; ++n) peaks[n] = std::max(peaks[n], per_channel[c][n]);
  return peaks;
}

// Look-ahead limiter: required gain r[n] = min(1, ceiling / peak[n]); a running minimum over the
// next `lookahead` frames, a release that lets the gain recover exponentially, then a moving
// average over `lookahead` frames. Each averaged value is a mean of minima that all cover frame n,
// so the applied gain never exceeds r[n]: the peak estimate stays at or below the ceiling.
void limit(AudioBuffer& audio, double ceiling_linear, double lookahead_s, double release_s) {
  const std::size_t frames = audio.frames();
  if (frames == 0) return;
  const std::vector<float> peaks = frame_true_peaks(audio, static_cast<float>(ceiling_linear));
  std::vector<double> need(frames);
  bool any = false;
  for (std::size_t n = 0; n < frames; ++n) {
    need[n] = peaks[n] > ceiling_linear ? ceiling_linear / peaks[n] : 1.0;
    any = any || need[n] < 1.0;
  }
  if (!any) return;
  const auto look =
      std::max<std::size_t>(1, static_cast<std::size_t>(lookahead_s * audio.sample_rate));
  const double release = 1.0 - std::exp(-1.0 / std::max(1.0, release_s * audio.sample_rate));
  // Index i stands for frame k = i - (look - 1); m[i] = min need over [k, k + look - 1].
  const std::size_t span = frames + look - 1;
  std::vector<double> held(span);
  std::deque<std::size_t> window;  // frames with increasing need (monotone queue)
  std::size_t pushed = 0;
  double gain = 1.0;
  for (std::size_t i = 0; i < span; ++i) {
    const std::size_t last = std::min(i, frames - 1);  // k + look - 1 = i
    while (pushed <= last) {
      while (!window.empty() && need[window.back()] >= need[pushed]) window.pop_back();
      window.push_back(pushed++);
    }
    const std::size_t first = i + 1 >= look ? i + 1 - look : 0;  // k clamped to 0
    while (window.front() < first) window.pop_front();
    const double m = need[window.front()];
    gain = std::min(m, gain + (1.0 - gain) * release);
    held[i] = gain;
  }
  double sum = 0;
  const auto ch = static_cast<std::size_t>(audio.channels);
  for (std::size_t i = 0; i < span; ++i) {
    sum += held[i];
    if (i >= look) sum -= held[i - look];
    if (i + 1 < look) continue;
    const std::size_t n = i + 1 - look;
    const double g = std::min(sum / static_cast<double>(look), need[n]);
    if (g < 1.0)
      for (std::size_t c = 0; c < ch; ++c) audio.samples[n * ch + c] *= static_cast<float>(g);
  }
}

void apply_fades(AudioBuffer& audio, double fade_in_s, double fade_out_s) {
  const std::size_t frames = audio.frames();
  const auto ch = static_cast<std::size_t>(audio.channels);
  const auto in =
      std::min(frames, static_cast<std::size_t>(std::max(0.0, fade_in_s) * audio.sample_rate));
  const auto out =
      std::min(frames, static_cast<std::size_t>(std::max(0.0, fade_out_s) * audio.sample_rate));
  for (std::size_t n = 0; n < in; ++n) {
    const auto g = static_cast<float>(
        std::sin(0.5 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(in)));
    for (std::size_t c = 0; c < ch; ++c) audio.samples[n * ch + c] *= g * g;
  }
  for (std::size_t k = 0; k < out; ++k) {
    const std::size_t n = frames - 1 - k;  // k frames before the end: gain rises from 0 at the end
    const auto g = static_cast<float>(
        std::sin(0.5 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(out)));
    for (std::size_t c = 0; c < ch; ++c) audio.samples[n * ch + c] *= g * g;
  }
}

LoudnessReport reference_master(AudioBuffer& audio, const MasterOptions& options) {
  auto db_to_linear = [](double db) { return std::pow(10.0, db / 20.0); };
  const LoudnessReport before = libebur128_measure(audio);
  const AudioBuffer original = audio;
  double gain_db = options.target_lufs - before.integrated_lufs;
  double threshold_db = options.true_peak_ceiling_dbtp - options.limiter_margin_db;
  LoudnessReport r;
  for (int attempt = 0; attempt < 12; ++attempt) {
    audio = original;
    const auto g = static_cast<float>(db_to_linear(gain_db));
    for (float& s : audio.samples) s *= g;
    apply_fades(audio, options.fade_in_s, options.fade_out_s);
    limit(audio, db_to_linear(threshold_db), options.lookahead_s, options.release_s);
    const double lufs = libebur128_measure(audio).integrated_lufs;
    const double missing = options.target_lufs - lufs;
    if (std::isfinite(lufs) && std::abs(missing) > options.tolerance_lu && attempt < 6) {
      gain_db += missing;
      continue;
    }
    r = libebur128_measure(audio);
    r.gain_db = gain_db;
    if (r.true_peak_dbtp > options.true_peak_ceiling_dbtp && attempt < 11) {
      threshold_db -= r.true_peak_dbtp - options.true_peak_ceiling_dbtp + 0.05;
      continue;
    }
    break;
  }
  return r;
}

// ---- Test signals -------------------------------------------------------------------------------

// Chords with bright attacks, random loud transients and a quiet stretch (so the limiter both
// works and rests), deterministic.
AudioBuffer music_like(int rate, int channels, double seconds, std::uint32_t seed) {
  AudioBuffer a;
  a.sample_rate = rate;
  a.channels = channels;
  const auto frames = static_cast<std::size_t>(seconds * rate);
  a.samples.resize(frames * static_cast<std::size_t>(channels));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  for (std::size_t n = 0; n < frames; ++n) {
    const double t = static_cast<double>(n) / rate;
    const double env = std::fmod(t, 0.5) < 0.05 ? 1.0 : 0.35;
    const double quiet = t > seconds * 0.6 && t < seconds * 0.75 ? 0.02 : 1.0;
    for (int c = 0; c < channels; ++c) {
      double v = 0.12 * std::sin(2 * std::numbers::pi * (220.0 + 3 * c) * t) +
                 0.08 * std::sin(2 * std::numbers::pi * 277.2 * t) +
                 0.06 * std::sin(2 * std::numbers::pi * 329.6 * t + c);
      v = v * env * quiet + 0.01 * noise(rng);
      if (n % 9973 < 40) v += 0.6 * noise(rng);  // transients
      a.samples[n * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
          static_cast<float>(v);
    }
  }
  return a;
}

// ---- Tests --------------------------------------------------------------------------------------

TEST(MasterStreaming, SameSamplesAsTheWholeBufferMaster) {
  for (const auto& [rate, channels, seconds, target] :
       {std::tuple{44100, 2, 20.0, -14.0}, std::tuple{48000, 1, 7.3, -10.0},
        std::tuple{44100, 2, 3.01, -16.0}}) {
    SCOPED_TRACE(testing::Message() << rate << " Hz, " << channels << " ch, " << seconds << " s");
    const AudioBuffer in = music_like(rate, channels, seconds, 7);
    MasterOptions o;
    o.target_lufs = target;
    AudioBuffer streamed = in, whole = in;
    const LoudnessReport r = master(streamed, o);
    const LoudnessReport ref = reference_master(whole, o);
    ASSERT_EQ(streamed.samples.size(), whole.samples.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < whole.samples.size(); ++i)
      differing += streamed.samples[i] != whole.samples[i];
    EXPECT_EQ(differing, 0u) << "samples differ from the whole-buffer master";
    EXPECT_EQ(r.gain_db, ref.gain_db);
    EXPECT_NEAR(r.integrated_lufs, ref.integrated_lufs, 1e-9);
    EXPECT_NEAR(r.true_peak_dbtp, ref.true_peak_dbtp, 0.01);
    EXPECT_LE(r.true_peak_dbtp, o.true_peak_ceiling_dbtp);
    EXPECT_NEAR(r.integrated_lufs, target, 0.5);
  }
}

TEST(MasterStreaming, TruePeakAgreesWithLibebur128) {
  // An inter-sample peak: a sine at a quarter of the rate, 45 degrees off the samples, has sample
  // peaks 3 dB under its true peak.
  AudioBuffer isp;
  isp.sample_rate = 44100;
  isp.channels = 2;
  for (int n = 0; n < 44100; ++n) {
    const auto v =
        static_cast<float>(0.5 * std::sin(std::numbers::pi / 2 * n + std::numbers::pi / 4));
    isp.samples.push_back(v);
    isp.samples.push_back(0.5f * v);
  }
  for (const AudioBuffer& a : {isp, music_like(44100, 2, 6, 3), music_like(96000, 2, 2, 4),
                               music_like(22050, 1, 3, 5), music_like(192000, 1, 1, 6)}) {
    SCOPED_TRACE(testing::Message() << a.sample_rate << " Hz");
    const LoudnessReport ours = measure_loudness(a), theirs = libebur128_measure(a);
    EXPECT_NEAR(ours.true_peak_dbtp, theirs.true_peak_dbtp, 0.01);
    EXPECT_EQ(ours.integrated_lufs, theirs.integrated_lufs);
  }
  // The sample peak is 0.5 sin 45 degrees (-9.0 dBFS); the true peak about 3 dB over it.
  EXPECT_GT(measure_loudness(isp).true_peak_dbtp, 20 * std::log10(0.5 * std::sqrt(0.5)) + 2.5);
}

}  // namespace
}  // namespace tonepoem
