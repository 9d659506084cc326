#include "audio_analysis/vocal_accuracy.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "audio_analysis/aubio_handles.h"

namespace tonepoem {
namespace {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at =
      static_cast<std::size_t>(std::llround(p * static_cast<double>(values.size() - 1)));
  return values[at];
}

}  // namespace

VocalAccuracy vocal_accuracy(const AudioBuffer& voice, const std::vector<SungNote>& notes) {
  VocalAccuracy result;
  result.notes = notes.size();
  if (voice.sample_rate <= 0 || voice.frames() == 0 || notes.empty()) return result;
  const std::size_t frames = voice.frames();
  const int ch = std::max(1, voice.channels);
  std::vector<float> mono(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    float sum = 0;
    for (int c = 0; c < ch; ++c) sum += voice.samples[i * static_cast<std::size_t>(ch) + c];
    mono[i] = sum / static_cast<float>(ch);
  }
  const auto sr = static_cast<uint_t>(voice.sample_rate);
  constexpr uint_t kWin = 2048, kHop = 256;
  AubioPtr<aubio_pitch_t> pitch(new_aubio_pitch("yin", kWin, kHop, sr));
  aubio_pitch_set_unit(pitch.get(), "Hz");
  aubio_pitch_set_silence(pitch.get(), -50);
  AubioPtr<aubio_onset_t> onset(new_aubio_onset("complex", 1024, kHop, sr));
  aubio_onset_set_minioi_ms(onset.get(), 60);
  AubioPtr<fvec_t> in(new_fvec(kHop)), pitch_out(new_fvec(1)), onset_out(new_fvec(1));

  struct Frame {
    double time_s, hz, confidence;
  };
  std::vector<Frame> tracked;
  std::vector<double> onsets;
  for (std::size_t at = 0; at < mono.size(); at += kHop) {
    for (uint_t i = 0; i < kHop; ++i) in->data[i] = at + i < mono.size() ? mono[at + i] : 0.0f;
    aubio_pitch_do(pitch.get(), in.get(), pitch_out.get());
    // YIN reports the pitch of the window ending at this hop: its middle is half a window back.
    tracked.push_back({(static_cast<double>(at + kHop) - kWin / 2.0) / sr, pitch_out->data[0],
                       aubio_pitch_get_confidence(pitch.get())});
    aubio_onset_do(onset.get(), in.get(), onset_out.get());
    if (onset_out->data[0] != 0) onsets.push_back(aubio_onset_get_last_s(onset.get()));
  }

  std::vector<double> pitch_errors, onset_errors;
  for (const SungNote& n : notes) {
    const double length = n.end_s - n.start_s;
    std::vector<double> voiced;
    for (const Frame& f : tracked)
      if (f.time_s >= n.start_s + 0.25 * length && f.time_s <= n.end_s - 0.25 * length &&
          f.confidence >= 0.7 && f.hz > 0)
        voiced.push_back(f.hz);
    if (!voiced.empty()) {
      const double hz = percentile(voiced, 0.5);
      const double target = 440.0 * std::pow(2.0, (n.pitch - 69) / 12.0);
      pitch_errors.push_back(std::abs(1200.0 * std::log2(hz / target)));
    }
    double nearest = 1e9;
    for (double t : onsets)
      if (std::abs(t - n.start_s) < std::abs(nearest)) nearest = t - n.start_s;
    if (std::abs(nearest) <= 0.1) onset_errors.push_back(std::abs(nearest) * 1000.0);
  }
  result.pitched = pitch_errors.size();
  result.median_pitch_error_cents = percentile(pitch_errors, 0.5);
  result.p90_pitch_error_cents = percentile(pitch_errors, 0.9);
  result.within_50_cents = static_cast<std::size_t>(
      std::count_if(pitch_errors.begin(), pitch_errors.end(), [](double e) { return e <= 50; }));
  result.onsets_found = onset_errors.size();
  result.median_onset_error_ms = percentile(onset_errors, 0.5);
  result.p90_onset_error_ms = percentile(onset_errors, 0.9);
  return result;
}

}  // namespace tonepoem
