// Loudness measurement (EBU R128 / ITU-R BS.1770 through libebur128) and mastering: gain to the
// target integrated loudness, fades, and a look-ahead true-peak limiter, verified by libebur128.
#include <ebur128.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
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

// libebur128's true-peak estimate, computed the same way (1.2.6: a polyphase interpolator of 49
// taps, Hann-windowed sinc, 4x below 96 kHz, 2x below 192 kHz, none above; the result is the
// larger of the sample peak and every interpolated value) but in float, 64 frames at a time, and
// skipping every stretch whose interpolated values are provably below the largest value so far
// (its input's largest |x| times the filter's gain bound): exact, and a fraction of libebur128's
// time on music, whose loudest moments are rare.
class TruePeakMeter {
 public:
  TruePeakMeter(int channels, int sample_rate)
      : channels_(static_cast<std::size_t>(std::max(channels, 1))),
        factor_(sample_rate < 96000    ? 4
                : sample_rate < 192000 ? 2
                                       : 1),
        history_(channels_, std::vector<float>(kBlock + kHistory, 0.0f)) {
    constexpr int kTaps = 49;
    for (int j = 0; j < kTaps; ++j) {
      const double m = j - (kTaps - 1) / 2.0;
      double c = 1.0;
      if (std::abs(m) > 1e-6)
        c = std::sin(m * std::numbers::pi / factor_) / (m * std::numbers::pi / factor_);
      c *= 0.5 * (1 - std::cos(2 * std::numbers::pi * j / (kTaps - 1)));
      const auto k = static_cast<std::size_t>(j / factor_);
      if (std::abs(c) > 1e-6 && k < kHistory + 1)
        coeffs_[static_cast<std::size_t>(j % factor_)][k] = static_cast<float>(c);
    }
    for (int f = 0; f < factor_; ++f) {
      float sum = 0;
      for (float c : coeffs_[static_cast<std::size_t>(f)]) sum += std::abs(c);
      gain_bound_ = std::max(gain_bound_, sum);
    }
    gain_bound_ *= 1.001f;
  }

  // Interleaved frames, in order; any chunking gives the same result.
  void add(const float* frames, std::size_t count) {
    std::size_t done = 0;
    while (done < count) {
      const std::size_t len = std::min(kBlock, count - done);
      for (std::size_t c = 0; c < channels_; ++c) scan(frames + done * channels_, len, c);
      done += len;
    }
  }

  // The largest value, linear (0 before any frame).
  double peak() const { return peak_; }

 private:
  static constexpr std::size_t kBlock = 64, kHistory = 48;  // taps - 1: 2x needs 24, none 24

  void scan(const float* frames, std::size_t len, std::size_t c) {
    // y[0 .. kHistory) is the end of the previous block, y[kHistory + n] frame n of this one.
    std::vector<float>& y = history_[c];
    float loudest = 0;
    for (std::size_t n = 0; n < len; ++n) {
      y[kHistory + n] = frames[n * channels_ + c];
      loudest = std::max(loudest, std::abs(y[kHistory + n]));
    }
    for (std::size_t n = 0; n < kHistory; ++n) loudest = std::max(loudest, std::abs(y[n]));
    if (loudest * gain_bound_ > peak_) {
      float best = 0;
      std::array<float, kBlock> acc{};
      for (std::size_t f = 0; f < static_cast<std::size_t>(factor_); ++f) {
        acc.fill(0.0f);
        for (std::size_t k = 0; k <= kHistory; ++k) {
          const float coeff = coeffs_[f][k];
          if (coeff == 0.0f) continue;
          const float* in = y.data() + kHistory - k;
          for (std::size_t n = 0; n < len; ++n) acc[n] += coeff * in[n];
        }
        for (std::size_t n = 0; n < len; ++n) best = std::max(best, std::abs(acc[n]));
      }
      for (std::size_t n = 0; n < len; ++n) best = std::max(best, std::abs(y[kHistory + n]));
      peak_ = std::max(peak_, static_cast<double>(best));
    }
    // Keep the last kHistory samples (zeros before the first frame, as libebur128's delay line).
    std::copy(y.begin() + static_cast<std::ptrdiff_t>(len),
              y.begin() + static_cast<std::ptrdiff_t>(len + kHistory), y.begin());
  }

  std::size_t channels_;
  int factor_;
  std::array<std::array<float, kHistory + 1>, 4> coeffs_{};  // [phase][delay], zeros skipped
  float gain_bound_ = 0;
  std::vector<std::vector<float>> history_;
  double peak_ = 0;
};

// Integrated loudness of all channels together and, when asked, the true peak (TruePeakMeter, on
// its own thread).
LoudnessReport measure(const AudioBuffer& audio, bool true_peak) {
  LoudnessReport r;
  r.integrated_lufs = -std::numeric_limits<double>::infinity();
  r.true_peak_dbtp = -std::numeric_limits<double>::infinity();
  if (audio.channels <= 0 || audio.sample_rate <= 0 || audio.frames() == 0) return r;
  const auto channels = static_cast<std::size_t>(audio.channels);
  const std::size_t frames = audio.frames();
  double peak = 0;
  std::exception_ptr peak_error;
  std::thread worker;
  if (true_peak)
    worker = std::thread([&] {
      try {
        TruePeakMeter meter(audio.channels, audio.sample_rate);
        meter.add(audio.samples.data(), frames);
        peak = meter.peak();
      } catch (...) {
        peak_error = std::current_exception();
      }
    });
  std::exception_ptr main_error;
  try {
    State st = new_state(channels, audio.sample_rate, EBUR128_MODE_I);
    feed(st.get(), audio.samples.data(), frames, channels);
    double lufs = 0;
    if (ebur128_loudness_global(st.get(), &lufs) == EBUR128_SUCCESS) r.integrated_lufs = lufs;
  } catch (...) {
    main_error = std::current_exception();
  }
  if (worker.joinable()) worker.join();
  if (main_error) std::rethrow_exception(main_error);
  if (peak_error) std::rethrow_exception(peak_error);
  if (true_peak) r.true_peak_dbtp = linear_to_db(peak);
  return r;
}

// The look-ahead limiter of master(), streaming: frames go in, in order and in any chunks, and come
// out (about lookahead + 7 frames later) with the limiter's gain applied.
//
// Per frame, the peak is the largest |x| over all channels and the 4x oversampled values around
// it (49-tap Hann-windowed sinc, as BS.1770 suggests; stretches whose every interpolated value is
// provably below the ceiling keep their sample peaks). Required gain r[n] = min(1, ceiling /
// peak[n]); a running minimum over the next `lookahead` frames, a release that lets the gain
// recover exponentially, then a moving average over `lookahead` frames. Each averaged value is a
// mean of minima that all cover frame n, so the applied gain never exceeds r[n]: the peak estimate
// stays at or below the ceiling. The arithmetic is that of the whole-buffer limiter it replaced,
// operation for operation, so the output is the same to the bit.
class Limiter {
 public:
  Limiter(int channels, int sample_rate, std::size_t total_frames, double ceiling_linear,
          double lookahead_s, double release_s)
      : ch_(static_cast<std::size_t>(channels)),
        frames_(total_frames),
        ceiling_(ceiling_linear),
        floor_(static_cast<float>(ceiling_linear)),
        look_(std::max<std::size_t>(1, static_cast<std::size_t>(lookahead_s * sample_rate))),
        release_(1.0 - std::exp(-1.0 / std::max(1.0, release_s * sample_rate))),
        held_(look_, 0.0) {}

  // Appends `count` interleaved frames; `out(const float* frames, std::size_t count)` receives
  // every frame that is final, in order.
  template <class Out>
  void push(const float* frames, std::size_t count, Out&& out) {
    x_.insert(x_.end(), frames, frames + count * ch_);
    received_ += count;
    run(std::forward<Out>(out));
  }
  // After the last frame (total_frames in all): the rest.
  template <class Out>
  void finish(Out&& out) {
    run(std::forward<Out>(out));
  }

 private:
  static constexpr int kFactor = 4, kTaps = 49, kCenter = kTaps / 2,
                       kPerPhase = (kTaps + kFactor - 1) / kFactor;
  static constexpr std::size_t kDelay = kCenter / kFactor;  // 6 input frames
  static constexpr std::size_t kBlock = 64;
  using Coeffs = std::array<std::array<float, kPerPhase>, kFactor>;

  static const Coeffs& coeffs() {
    static const Coeffs c = [] {
      Coeffs k{};
      for (int t = 0; t < kTaps; ++t) {
        const double x = static_cast<double>(t - kCenter) / kFactor;
        const double sinc = x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
        const double window = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * (t + 1) / (kTaps + 1));
        k[static_cast<std::size_t>(t % kFactor)][static_cast<std::size_t>(t / kFactor)] =
            static_cast<float>(sinc * window);
      }
      return k;
    }();
    return c;
  }
  static float gain_bound() {
    static const float bound = [] {
      float b = 0;
      for (const auto& phase : coeffs()) {
        float sum = 0;
        for (float c : phase) sum += std::abs(c);
        b = std::max(b, sum);
      }
      return b * 1.001f;
    }();
    return bound;
  }

  // Input sample k of channel c (zero outside the signal).
  float x(std::ptrdiff_t k, std::size_t c) const {
    if (k < 0 || static_cast<std::size_t>(k) >= frames_) return 0.0f;
    return x_[(static_cast<std::size_t>(k) - x_base_) * ch_ + c];
  }
  float& peak(std::size_t k) { return peaks_[k - p_base_]; }

  template <class Out>
  void run(Out&& out) {
    if (frames_ == 0) return;
    const bool done = received_ >= frames_;
    const std::size_t outputs = frames_ + kDelay;  // oversampling outputs n = 0 .. outputs - 1
    // 1. Per-frame peaks, a 64-output block at a time (block n reads inputs up to n + 63).
    while (scanned_ < outputs && (done || scanned_ + kBlock <= received_)) {
      const std::size_t n0 = scanned_, last = std::min(n0 + kBlock, outputs);
      const std::size_t top = std::min(last + 1, frames_);
      while (peaks_.size() + p_base_ < top) peaks_.push_back(0.0f);
      for (std::size_t c = 0; c < ch_; ++c) scan(n0, last, c);
      scanned_ = last;
    }
    // Peaks of frames below scanned_ - kDelay are final (all of them at the end).
    const std::size_t final_peaks =
        scanned_ >= outputs ? frames_ : (scanned_ > kDelay ? scanned_ - kDelay : 0);
    while (need_.size() + p_base_ < final_peaks) {
      const float p = peak(need_.size() + p_base_);
      need_.push_back(p > ceiling_ ? ceiling_ / p : 1.0);
    }
    // 2. Gains: held minimum with release, averaged over the look-ahead; frame n = i + 1 - look.
    const std::size_t span = frames_ + look_ - 1;
    std::vector<float>& ready = ready_;
    ready.clear();
    const std::size_t first_out = out_;
    while (i_ < span && std::min(i_, frames_ - 1) < final_peaks) {
      const std::size_t last = std::min(i_, frames_ - 1);
      while (pushed_ <= last) {
        while (!window_.empty() && need(window_.back()) >= need(pushed_)) window_.pop_back();
        window_.push_back(pushed_++);
      }
      const std::size_t first = i_ + 1 >= look_ ? i_ + 1 - look_ : 0;
      while (window_.front() < first) window_.pop_front();
      const double m = need(window_.front());
      gain_ = std::min(m, gain_ + (1.0 - gain_) * release_);
      double& slot = held_[i_ % look_];
      const double old = slot;
      slot = gain_;
      sum_ += gain_;
      if (i_ >= look_) sum_ -= old;
      if (i_ + 1 >= look_) {
        const std::size_t n = i_ + 1 - look_;
        const double g = std::min(sum_ / static_cast<double>(look_), need(n));
        for (std::size_t c = 0; c < ch_; ++c) {
          float v = x_[(n - x_base_) * ch_ + c];
          if (g < 1.0) v *= static_cast<float>(g);
          ready.push_back(v);
        }
        out_ = n + 1;
      }
      ++i_;
    }
    if (!ready.empty()) out(ready.data(), out_ - first_out);
    compact();
  }

  double need(std::size_t k) const { return need_[k - p_base_]; }

  // Outputs n0 .. last - 1 of channel c: phase p of output n is the interpolated value at time
  // n - kDelay + p / 4, between frames n - kDelay and n - kDelay + 1, and bounds both.
  void scan(std::size_t n0, std::size_t last, std::size_t c) {
    // in[t] = x[n0 - kPerPhase + t]: the inputs outputs n0 .. last - 1 read, and one more.
    std::array<float, kBlock + kPerPhase> in{};  // zeros past `last`
    const std::size_t len = last - n0 + kPerPhase;
    float loudest = 0;
    if (n0 >= x_base_ + kPerPhase && last <= frames_) {  // all inside the signal
      const float* src = x_.data() + (n0 - kPerPhase - x_base_) * ch_ + c;
      for (std::size_t t = 0; t < len; ++t) in[t] = src[t * ch_];
    } else {
      for (std::size_t t = 0; t < len; ++t)
        in[t] = x(static_cast<std::ptrdiff_t>(n0 + t) - static_cast<std::ptrdiff_t>(kPerPhase), c);
    }
    for (std::size_t t = 0; t < len; ++t) loudest = std::max(loudest, std::abs(in[t]));
    auto at_x = [&](std::size_t k) { return in[k + kPerPhase - n0]; };  // x[k], k >= n0 - 13
    if (loudest * gain_bound() < floor_) {
      for (std::size_t m = std::max(n0, kDelay); m < last; ++m)
        peak(m - kDelay) = std::max(peak(m - kDelay), std::abs(at_x(m - kDelay)));
      return;
    }
    // best[n - n0]: the largest |phase| of output n. Each phase's sum runs over the taps in the
    // same order for every output (the loops are swapped only to run 64 outputs side by side).
    const Coeffs& phases = coeffs();
    std::array<float, kBlock> best{}, acc;
    for (const auto& phase : phases) {
      acc.fill(0.0f);
      for (std::size_t j = 0; j < kPerPhase; ++j) {
        const float cj = phase[j];
        const float* src = in.data() + kPerPhase - j;  // src[n - n0] = x[n - j]
        for (std::size_t k = 0; k < kBlock; ++k) acc[k] += cj * src[k];
      }
      for (std::size_t k = 0; k < kBlock; ++k) best[k] = std::max(best[k], std::abs(acc[k]));
    }
    for (std::size_t n = std::max(n0, kDelay); n < last; ++n) {
      const std::size_t at = n - kDelay;
      const float b = best[n - n0];
      peak(at) = std::max({peak(at), b, std::abs(at_x(at))});
      if (at + 1 < frames_) peak(at + 1) = std::max(peak(at + 1), b);
    }
  }

  // Drops what no later output reads: inputs before min(out_, scanned_ - 13 - kPerPhase), peaks
  // and needs before min(out_, window front, scanned_ - kDelay).
  void compact() {
    constexpr std::size_t kSlack = 1 << 15;
    const std::size_t scan_from = scanned_ > 2 * kPerPhase ? scanned_ - 2 * kPerPhase : 0;
    const std::size_t keep_x = std::min(out_, scan_from);
    if (keep_x > x_base_ + kSlack) {
      x_.erase(x_.begin(), x_.begin() + static_cast<std::ptrdiff_t>((keep_x - x_base_) * ch_));
      x_base_ = keep_x;
    }
    std::size_t keep_p = std::min(out_, scanned_ > kDelay + 1 ? scanned_ - kDelay - 1 : 0);
    if (!window_.empty()) keep_p = std::min(keep_p, window_.front());
    keep_p = std::min(keep_p, p_base_ + need_.size());
    if (keep_p > p_base_ + kSlack) {
      const auto drop = static_cast<std::ptrdiff_t>(keep_p - p_base_);
      peaks_.erase(peaks_.begin(), peaks_.begin() + drop);
      need_.erase(need_.begin(), need_.begin() + drop);
      p_base_ = keep_p;
    }
  }

  std::size_t ch_, frames_;
  double ceiling_;
  float floor_;
  std::size_t look_;
  double release_;
  std::vector<float> x_;  // input frames from x_base_ on
  std::size_t x_base_ = 0, received_ = 0;
  std::vector<float> peaks_;  // frames from p_base_ on
  std::vector<double> need_;  // frames from p_base_ on, as their peaks become final
  std::size_t p_base_ = 0, scanned_ = 0;
  std::deque<std::size_t> window_;  // frames with increasing need (monotone queue)
  std::size_t pushed_ = 0, i_ = 0, out_ = 0;
  double gain_ = 1.0, sum_ = 0;
  std::vector<double> held_;  // the last `look` held gains, by i % look
  std::vector<float> ready_;  // frames final in this run()
};

// Integrated loudness (libebur128) and true peak (TruePeakMeter) of a stream of interleaved
// blocks, measured on a thread of its own while the caller makes the next block. add() copies
// the block (at most kQueued wait at a time; add() blocks beyond); finish() returns the result
// and rethrows what the measuring thread threw.
class StreamMeter {
 public:
  StreamMeter(int channels, int sample_rate, bool true_peak = true)
      : channels_(static_cast<std::size_t>(channels)),
        true_peak_(true_peak),
        state_(new_state(channels_, sample_rate, EBUR128_MODE_I)),
        peak_(channels, sample_rate),
        worker_([this] { work(); }) {}
  ~StreamMeter() {
    stop();
    if (worker_.joinable()) worker_.join();
  }
  StreamMeter(const StreamMeter&) = delete;
  StreamMeter& operator=(const StreamMeter&) = delete;

  void add(const float* frames, std::size_t count) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < kQueued || error_; });
    if (error_) return;  // finish() reports it
    queue_.emplace_back(frames, frames + count * channels_);
    ready_.notify_one();
  }

  LoudnessReport finish() {
    stop();
    worker_.join();
    if (error_) std::rethrow_exception(error_);
    LoudnessReport r;
    r.integrated_lufs = -std::numeric_limits<double>::infinity();
    if (double lufs = 0; ebur128_loudness_global(state_.get(), &lufs) == EBUR128_SUCCESS)
      r.integrated_lufs = lufs;
    r.true_peak_dbtp =
        true_peak_ ? linear_to_db(peak_.peak()) : -std::numeric_limits<double>::infinity();
    return r;
  }

 private:
  static constexpr std::size_t kQueued = 4;

  void stop() {
    std::lock_guard lock(mutex_);
    done_ = true;
    ready_.notify_one();
  }
  void work() {
    for (;;) {
      std::vector<float> block;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        block = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      try {
        feed(state_.get(), block.data(), block.size() / channels_, channels_);
        if (true_peak_) peak_.add(block.data(), block.size() / channels_);
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
        queue_.clear();
        space_.notify_all();
        return;
      }
    }
  }

  std::size_t channels_;
  bool true_peak_;
  State state_;
  TruePeakMeter peak_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<std::vector<float>> queue_;
  bool done_ = false;
  std::exception_ptr error_;
  std::thread worker_;  // last: starts once the rest is set up
};

// Throws unless every sample of the block is finite (mastering NaN would spread it everywhere).
void check_finite(const std::vector<float>& block) {
  for (float s : block)
    if (!std::isfinite(s))
      throw Error(ExitCode::internal, "the rendered audio contains NaN or infinite samples");
}

constexpr std::size_t kPassChunk = 1 << 15;  // frames read at a time

// Integrated loudness (and true peak) of a source, read a block at a time.
LoudnessReport measure_source(const PcmSource& input, bool true_peak, const CancelToken& cancel) {
  const auto ch = static_cast<std::size_t>(input.channels());
  StreamMeter meter(input.channels(), input.sample_rate(), true_peak);
  std::vector<float> block;
  for (std::size_t f = 0; f < input.frames(); f += kPassChunk) {
    if ((f / kPassChunk) % 16 == 0) cancel.throw_if_cancelled();
    const std::size_t len = std::min(kPassChunk, input.frames() - f);
    block.resize(len * ch);
    input.read(static_cast<std::int64_t>(f), len, block.data());
    check_finite(block);
    meter.add(block.data(), len);
  }
  return meter.finish();
}

enum class Pass { measure, write, write_and_measure };
// One mastering pass over `input`: gain `g`, fades, the limiter at `threshold` (linear). Measuring
// passes return the result's loudness and true peak; writing ones hand it to `out` (master() writes
// it over its input, behind the reading position, which the limiter's delay keeps ahead).
LoudnessReport master_pass(const PcmSource& input, float g, double threshold,
                           const MasterOptions& options, Pass mode, const AudioSink& out,
                           const CancelToken& cancel) {
  const bool write = mode != Pass::measure, measure = mode != Pass::write;
  const std::size_t frames = input.frames();
  const auto ch = static_cast<std::size_t>(input.channels());
  const int rate = input.sample_rate();
  const auto fade_in =
      std::min(frames, static_cast<std::size_t>(std::max(0.0, options.fade_in_s) * rate));
  const auto fade_out =
      std::min(frames, static_cast<std::size_t>(std::max(0.0, options.fade_out_s) * rate));
  std::optional<StreamMeter> meter;
  if (measure) meter.emplace(input.channels(), rate);
  Limiter limiter(input.channels(), rate, frames, threshold, options.lookahead_s,
                  options.release_s);
  auto sink = [&](const float* frames_out, std::size_t count) {
    if (write) out(frames_out, count);
    if (measure) meter->add(frames_out, count);
  };
  std::vector<float> block;
  for (std::size_t f = 0; f < frames; f += kPassChunk) {
    if ((f / kPassChunk) % 16 == 0) cancel.throw_if_cancelled();
    const std::size_t len = std::min(kPassChunk, frames - f);
    block.resize(len * ch);
    input.read(static_cast<std::int64_t>(f), len, block.data());
    check_finite(block);
    for (float& s : block) s *= g;
    // Fades: sin^2 from 0 at the very start and end.
    for (std::size_t n = f; n < std::min(f + len, fade_in); ++n) {
      const auto gi = static_cast<float>(
          std::sin(0.5 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(fade_in)));
      for (std::size_t c = 0; c < ch; ++c) block[(n - f) * ch + c] *= gi * gi;
    }
    for (std::size_t n = std::max(f, frames - fade_out); n < f + len; ++n) {
      const std::size_t k = frames - 1 - n;
      const auto go = static_cast<float>(std::sin(0.5 * std::numbers::pi * static_cast<double>(k) /
                                                  static_cast<double>(fade_out)));
      for (std::size_t c = 0; c < ch; ++c) block[(n - f) * ch + c] *= go * go;
    }
    limiter.push(block.data(), len, sink);
  }
  limiter.finish(sink);
  return measure ? meter->finish() : LoudnessReport{};
}

}  // namespace

LoudnessReport measure_loudness(const AudioBuffer& audio) {
  return measure(audio, true);
}

double integrated_loudness(const AudioBuffer& audio) {
  return measure(audio, false).integrated_lufs;
}

double integrated_loudness(const PcmSource& audio, const CancelToken& cancel) {
  if (audio.channels() <= 0 || audio.sample_rate() <= 0 || audio.frames() == 0)
    return -std::numeric_limits<double>::infinity();
  return measure_source(audio, false, cancel).integrated_lufs;
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

LoudnessReport master_stream(const PcmSource& input, const AudioSink& out,
                             const MasterOptions& options, const CancelToken& cancel,
                             double input_lufs) {
  if (const auto problems = options.validate(); !problems.empty())
    fail_usage(
        "invalid mastering options:\n    " + fmt::format("{}", fmt::join(problems, "\n    ")),
        "correct the values listed above");
  const double silent = -std::numeric_limits<double>::infinity();
  if (input.channels() <= 0 || input.sample_rate() <= 0 || input.frames() == 0)
    return LoudnessReport{silent, silent, 0};
  if (std::isnan(input_lufs)) input_lufs = measure_source(input, false, cancel).integrated_lufs;
  if (!std::isfinite(input_lufs)) {
    // Silent (or shorter than one 400 ms block): nothing to normalise; fades only (a limiter with
    // an infinite ceiling passes every sample through untouched).
    LoudnessReport r = master_pass(input, 1.0f, std::numeric_limits<double>::infinity(), options,
                                   Pass::write_and_measure, out, cancel);
    r.gain_db = 0;
    return r;
  }
  double gain_db = options.target_lufs - input_lufs;
  double threshold_db = options.true_peak_ceiling_dbtp - options.limiter_margin_db;
  LoudnessReport r;
  // Every attempt is a pass over the unchanged input (gain, fades, limiter, measured as it comes
  // out); the accepted one is run again, writing. The gain is settled on integrated loudness, then
  // the limiter's threshold lowered if the true peak is still over the ceiling.
  bool accepted = false;
  for (int attempt = 0; attempt < 12 && !accepted; ++attempt) {
    cancel.throw_if_cancelled();
    const auto g = static_cast<float>(db_to_linear(gain_db));
    const double threshold = db_to_linear(threshold_db);
    // Limiting lowers loudness: push the gain up by what is missing, within reason.
    r = master_pass(input, g, threshold, options, Pass::measure, out, cancel);
    r.gain_db = gain_db;
    const double lufs = r.integrated_lufs;
    const double missing = options.target_lufs - lufs;
    if (std::isfinite(lufs) && std::abs(missing) > options.tolerance_lu && attempt < 6) {
      gain_db += missing;
      continue;
    }
    if (r.true_peak_dbtp > options.true_peak_ceiling_dbtp && attempt < 11) {
      threshold_db -= r.true_peak_dbtp - options.true_peak_ceiling_dbtp + 0.05;
      continue;
    }
    cancel.throw_if_cancelled();
    master_pass(input, g, threshold, options, Pass::write, out, cancel);
    accepted = true;
  }
  return r;
}

LoudnessReport master(AudioBuffer& audio, const MasterOptions& options, const CancelToken& cancel) {
  // In place: each pass reads a block before the limiter hands back frames, which all lie before
  // the end of that block, so the writing stays behind the reading.
  const BufferSource input(audio);
  const auto ch = static_cast<std::size_t>(std::max(audio.channels, 0));
  std::size_t written = 0;
  auto write_back = [&](const float* frames, std::size_t count) {
    std::copy(frames, frames + count * ch,
              audio.samples.begin() + static_cast<std::ptrdiff_t>(written * ch));
    written += count;
  };
  return master_stream(input, write_back, options, cancel,
                       std::numeric_limits<double>::quiet_NaN());
}

class LoudnessMeter::Impl {
 public:
  Impl(int channels, int sample_rate, bool true_peak) : meter(channels, sample_rate, true_peak) {}
  StreamMeter meter;
};

LoudnessMeter::LoudnessMeter(int channels, int sample_rate, bool true_peak)
    : impl_(std::make_unique<Impl>(channels, sample_rate, true_peak)) {}
LoudnessMeter::~LoudnessMeter() = default;
void LoudnessMeter::add(const float* frames, std::size_t count) {
  impl_->meter.add(frames, count);
}
LoudnessReport LoudnessMeter::finish() {
  return impl_->meter.finish();
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
