#include "video/spectrum.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numbers>

namespace tonepoem::video {
namespace {

// FFTW's planner is not thread-safe; execution of an existing plan is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

constexpr std::size_t kFftSize = 4096;
constexpr double kMinDb = -66.0, kMaxDb = -6.0;

}  // namespace

SpectrumAnalyzer::SpectrumAnalyzer(const PcmSource& audio, int bars)
    : audio_(audio), size_(kFftSize), window_(kFftSize) {
  double sum = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    window_[i] = static_cast<float>(
        0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / (size_ - 1)));
    sum += window_[i];
  }
  window_sum_ = static_cast<float>(sum);
  {
    std::lock_guard lock(planner_mutex());
    in_ = fftwf_alloc_real(size_);
    auto* out = fftwf_alloc_complex(size_ / 2 + 1);
    out_ = out;
    plan_ = fftwf_plan_dft_r2c_1d(static_cast<int>(size_), in_, out, FFTW_ESTIMATE);
  }
  const double rate = audio.sample_rate() > 0 ? audio.sample_rate() : 44100;
  const double lo_hz = 40.0, hi_hz = std::min(16000.0, rate * 0.5 * 0.95);
  const double bin_hz = rate / static_cast<double>(size_);
  bars = std::max(bars, 1);
  for (int b = 0; b < bars; ++b) {
    const double f0 = lo_hz * std::pow(hi_hz / lo_hz, static_cast<double>(b) / bars);
    const double f1 = lo_hz * std::pow(hi_hz / lo_hz, static_cast<double>(b + 1) / bars);
    auto lo = static_cast<std::size_t>(std::lround(f0 / bin_hz));
    auto hi = static_cast<std::size_t>(std::lround(f1 / bin_hz));
    lo = std::clamp<std::size_t>(lo, 1, size_ / 2);
    hi = std::clamp<std::size_t>(hi, lo, size_ / 2);
    band_lo_.push_back(lo);
    band_hi_.push_back(hi);
    // Music loses energy toward the treble; lift it by 3 dB per octave above 1 kHz so the upper
    // bars move too (the usual tilt of analyser displays).
    band_gain_db_.push_back(3.0 * std::max(0.0, std::log2(std::sqrt(f0 * f1) / 1000.0)));
  }
}

SpectrumAnalyzer::~SpectrumAnalyzer() {
  std::lock_guard lock(planner_mutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  fftwf_free(in_);
  fftwf_free(out_);
}

std::vector<float> SpectrumAnalyzer::analyze(double t, float* rms) {
  const std::size_t frames = audio_.frames();
  const int channels = std::max(audio_.channels(), 1);
  const auto centre = static_cast<long long>(std::llround(t * audio_.sample_rate()));
  const long long first = centre - static_cast<long long>(size_ / 2);
  frames_.resize(size_ * static_cast<std::size_t>(channels));
  audio_.read(first, size_, frames_.data());
  double energy = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    const long long k = first + static_cast<long long>(i);
    float v = 0;
    if (k >= 0 && static_cast<std::size_t>(k) < frames) {
      const float* s = frames_.data() + i * static_cast<std::size_t>(channels);
      for (int c = 0; c < channels; ++c) v += s[c];
      v /= static_cast<float>(channels);
    }
    energy += static_cast<double>(v) * v;
    in_[i] = v * window_[i];
  }
  if (rms) *rms = static_cast<float>(std::sqrt(energy / static_cast<double>(size_)));
  fftwf_execute(static_cast<fftwf_plan>(plan_));
  const auto* out = static_cast<const fftwf_complex*>(out_);
  std::vector<float> levels(band_lo_.size());
  const float scale = 2.0f / window_sum_;
  for (std::size_t b = 0; b < band_lo_.size(); ++b) {
    float peak = 0;
    for (std::size_t k = band_lo_[b]; k <= band_hi_[b]; ++k)
      peak = std::max(peak, std::hypot(out[k][0], out[k][1]) * scale);
    const double db = 20.0 * std::log10(static_cast<double>(peak) + 1e-9) + band_gain_db_[b];
    levels[b] = static_cast<float>(std::clamp((db - kMinDb) / (kMaxDb - kMinDb), 0.0, 1.0));
  }
  return levels;
}

SpectrumSmoother::SpectrumSmoother(double fps, double release_s)
    : decay_(static_cast<float>(std::exp(-1.0 / (std::max(fps, 1.0) * release_s)))) {}

const std::vector<float>& SpectrumSmoother::update(const std::vector<float>& raw) {
  if (value_.size() != raw.size()) value_.assign(raw.size(), 0.0f);
  for (std::size_t i = 0; i < raw.size(); ++i)
    value_[i] = std::max(raw[i], value_[i] * decay_ + raw[i] * (1.0f - decay_));
  return value_;
}

}  // namespace tonepoem::video
