// Audio analysis for the visuals: a log-frequency spectrum of the actual audio around a frame's
// time (FFTW on a Hann window of the mono mix), mapped to [0, 1] per bar (-66..-6 dBFS, with a
// +3 dB/octave tilt above 1 kHz).
#pragma once

#include <cstddef>
#include <vector>

#include "audio/audio.h"

namespace tonepoem::video {

class SpectrumAnalyzer {
 public:
  // `bars` log-spaced bands between 40 Hz and min(16 kHz, Nyquist). The audio must outlive this.
  SpectrumAnalyzer(const PcmSource& audio, int bars);
  ~SpectrumAnalyzer();
  SpectrumAnalyzer(const SpectrumAnalyzer&) = delete;
  SpectrumAnalyzer& operator=(const SpectrumAnalyzer&) = delete;

  int bars() const { return static_cast<int>(band_lo_.size()); }
  // Raw (unsmoothed) bar levels in [0, 1] for a window centred at `t` seconds (silence outside the
  // audio). Also sets *rms to the window's RMS level (linear) when non-null. Thread-compatible: one
  // analyzer per thread.
  std::vector<float> analyze(double t, float* rms = nullptr);

 private:
  const PcmSource& audio_;
  std::size_t size_;
  std::vector<float> frames_;  // the window's frames, read from audio_
  std::vector<float> window_;
  float window_sum_ = 1;
  float* in_ = nullptr;
  void* out_ = nullptr;                         // fftwf_complex*
  void* plan_ = nullptr;                        // fftwf_plan
  std::vector<std::size_t> band_lo_, band_hi_;  // FFT bin ranges per bar, inclusive
  std::vector<double> band_gain_db_;            // display tilt per bar
};

// Smooths bar levels over frames: instant attack, exponential release. Deterministic: the state
// after frame n depends only on frames before it.
class SpectrumSmoother {
 public:
  explicit SpectrumSmoother(double fps, double release_s = 0.25);
  const std::vector<float>& update(const std::vector<float>& raw);
  const std::vector<float>& value() const { return value_; }

 private:
  float decay_;
  std::vector<float> value_;
};

}  // namespace tonepoem::video
