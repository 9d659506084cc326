// Loudness measurement (EBU R128 / ITU-R BS.1770 through libebur128) and mastering: gain to the
// target integrated loudness, fades, and a look-ahead true-peak limiter, verified by libebur128.
#include <ebur128.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <numbers>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "core/cancel.h"
#include "core/error.h"

namespace tonepoem {
namespace {

struct StateDeleter {
  void operator()(ebur128_state* s) const { ebur128_destroy(&s); }
};

double db_to_linear(double db) {
  return std::pow(10.0, db / 20.0);
}
double linear_to_db(double x) {
  return x > 0 ? 20.0 * std::log10(x) : -std::numeric_limits<double>::infinity();
}

using State = std::unique_ptr<ebur128_state, StateDeleter>;

// Feeds interleaved frames to a libebur128 state in chunks (results do not depend on the chunking).
void feed(ebur128_state* st, const float* samples, std::size_t frames, std::size_t channels) {
  constexpr std::size_t kChunk = 1 << 16;
  for (std::size_t f = 0; f < frames; f += kChunk)
    if (ebur128_add_frames_float(st, samples + f * channels, std::min(kChunk, frames - f)) !=
        EBUR128_SUCCESS)
      throw Error(ExitCode::internal, "libebur128 failed while measuring loudness");
}

State new_state(std::size_t channels, int sample_rate, int mode) {
  State st(
      ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(sample_rate), mode));
  if (!st) throw Error(ExitCode::internal, "libebur128 could not start a loudness measurement");
  return st;
}

// Integrated loudness of all channels together and, when asked, the true peak: each channel's
// true peak on its own thread (a mono libebur128 state), as that 4x oversampling is the slow part.
LoudnessReport measure(const AudioBuffer& audio, bool true_peak) {
  LoudnessReport r;
  r.integrated_lufs = -std::numeric_limits<double>::infinity();
  r.true_peak_dbtp = -std::numeric_limits<double>::infinity();
  if (audio.channels <= 0 || audio.sample_rate <= 0 || audio.frames() == 0) return r;
  const auto channels = static_cast<std::size_t>(audio.channels);
  const std::size_t frames = audio.frames();
  std::vector<double> peaks(channels, 0.0);
  std::vector<std::exception_ptr> errors(channels);
  std::vector<std::thread> workers;
  if (true_peak) {
    for (std::size_t c = 0; c < channels; ++c)
      workers.emplace_back([&, c] {
        try {
          // Channel c alone, a chunk at a time (no second copy of the whole signal).
          State st = new_state(1, audio.sample_rate, EBUR128_MODE_TRUE_PEAK);
          constexpr std::size_t kChunk = 1 << 16;
          std::vector<float> mono(std::min(kChunk, frames));
          for (std::size_t f = 0; f < frames; f += kChunk) {
            const std::size_t len = std::min(kChunk, frames - f);
            for (std::size_t n = 0; n < len; ++n) mono[n] = audio.samples[(f + n) * channels + c];
            feed(st.get(), mono.data(), len, 1);
          }
          if (ebur128_true_peak(st.get(), 0, &peaks[c]) != EBUR128_SUCCESS) peaks[c] = 0;
        } catch (...) {
          errors[c] = std::current_exception();
        }
      });
  }
  std::exception_ptr main_error;
  try {
    State st = new_state(channels, audio.sample_rate, EBUR128_MODE_I);
    feed(st.get(), audio.samples.data(), frames, channels);
    double lufs = 0;
    if (ebur128_loudness_global(st.get(), &lufs) == EBUR128_SUCCESS) r.integrated_lufs = lufs;
  } catch (...) {
    main_error = std::current_exception();
  }
  for (auto& w : workers) w.join();
  if (main_error) std::rethrow_exception(main_error);
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  if (true_peak) r.true_peak_dbtp = linear_to_db(*std::max_element(peaks.begin(), peaks.end()));
  return r;
}

// 4x oversampling interpolator (49-tap Hann-windowed sinc, as BS.1770 suggests) used to estimate
// the inter-sample peak of every frame. Returns per frame the largest |value| over all channels
// and the four interpolated phases around it (aligned to the frame: the filter delay is removed).
// Only values above `floor` matter to the caller: blocks whose every interpolated value is
// provably below it (the filter's gain bound times the largest input) keep their sample peaks.
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

}  // namespace

LoudnessReport measure_loudness(const AudioBuffer& audio) {
  return measure(audio, true);
}

double integrated_loudness(const AudioBuffer& audio) {
  return measure(audio, false).integrated_lufs;
}

std::vector<std::string> MasterOptions::validate() const {
  std::vector<std::string> problems;
  auto in = [&](std::string_view name, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi))
      problems.push_back(fmt::format("{} = {} (accepted: {} to {})", name, value, lo, hi));
  };
  in("target_lufs", target_lufs, -70, 0);
  in("true_peak_ceiling_dbtp", true_peak_ceiling_dbtp, -20, 0);
  in("fade_in_s", fade_in_s, 0, 60);
  in("fade_out_s", fade_out_s, 0, 60);
  in("limiter_margin_db", limiter_margin_db, 0, 6);
  in("lookahead_s", lookahead_s, 0.0001, 0.1);
  in("release_s", release_s, 0.001, 5);
  in("tolerance_lu", tolerance_lu, 0.01, 2);
  return problems;
}

LoudnessReport master(AudioBuffer& audio, const MasterOptions& options, const CancelToken& cancel) {
  if (const auto problems = options.validate(); !problems.empty())
    fail_usage(
        "invalid mastering options:\n    " + fmt::format("{}", fmt::join(problems, "\n    ")),
        "correct the values listed above");
  for (float s : audio.samples)
    if (!std::isfinite(s))
      throw Error(ExitCode::internal, "the rendered audio contains NaN or infinite samples");
  const LoudnessReport before = measure(audio, false);
  if (!std::isfinite(before.integrated_lufs)) {
    // Silent (or shorter than one 400 ms block): nothing to normalise.
    apply_fades(audio, options.fade_in_s, options.fade_out_s);
    LoudnessReport r = measure(audio, true);
    r.gain_db = 0;
    return r;
  }
  const AudioBuffer original = audio;
  double gain_db = options.target_lufs - before.integrated_lufs;
  double threshold_db = options.true_peak_ceiling_dbtp - options.limiter_margin_db;
  LoudnessReport r;
  // The gain is settled on integrated loudness alone (cheap); the true peak (4x oversampling,
  // the slow part) is measured once it has, and again only if the limiter must work harder.
  for (int attempt = 0; attempt < 12; ++attempt) {
    cancel.throw_if_cancelled();
    audio = original;
    const auto g = static_cast<float>(db_to_linear(gain_db));
    for (float& s : audio.samples) s *= g;
    apply_fades(audio, options.fade_in_s, options.fade_out_s);
    limit(audio, db_to_linear(threshold_db), options.lookahead_s, options.release_s);
    // Limiting lowers loudness: push the gain up by what is missing, within reason.
    const double lufs = measure(audio, false).integrated_lufs;
    const double missing = options.target_lufs - lufs;
    if (std::isfinite(lufs) && std::abs(missing) > options.tolerance_lu && attempt < 6) {
      gain_db += missing;
      continue;
    }
    r = measure(audio, true);
    r.gain_db = gain_db;
    if (r.true_peak_dbtp > options.true_peak_ceiling_dbtp && attempt < 11) {
      threshold_db -= r.true_peak_dbtp - options.true_peak_ceiling_dbtp + 0.05;
      continue;
    }
    break;
  }
  return r;
}

void to_json(nlohmann::json& j, const LoudnessReport& r) {
  auto finite = [](double x) {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
  };
  j = nlohmann::json{{"integrated_lufs", finite(r.integrated_lufs)},
                     {"true_peak_dbtp", finite(r.true_peak_dbtp)},
                     {"gain_db", finite(r.gain_db)}};
}

}  // namespace tonepoem
