#include "footage/voice_activity.h"

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/tx.h>
}

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "audio/audio.h"

namespace tonepoem {
namespace {

struct TxFreer {
  void operator()(AVTXContext* c) const { av_tx_uninit(&c); }
};

// Per frame: speech-band level (dB), its spectral flatness.
struct BandFrames {
  std::vector<double> level_db, flatness;
};

BandFrames band_frames(const PcmSource& audio, const VoiceActivityOptions& o) {
  BandFrames out;
  const int rate = audio.sample_rate();
  const std::size_t channels = static_cast<std::size_t>(std::max(1, audio.channels()));
  const std::size_t frames = audio.frames();
  const auto window = static_cast<std::size_t>(std::lround(o.window_s * rate));
  const auto hop = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(o.hop_s * rate)));
  if (window < 16 || frames < window) return out;
  int size = 1;
  while (static_cast<std::size_t>(size) < window) size *= 2;
  AVTXContext* raw = nullptr;
  av_tx_fn fft = nullptr;
  const float scale = 1.0f;
  // std::vector gives no SIMD alignment: the transform must not assume it.
  if (av_tx_init(&raw, &fft, AV_TX_FLOAT_FFT, 0, size, &scale, AV_TX_UNALIGNED) < 0)
    throw std::runtime_error("libavutil cannot make an FFT");
  std::unique_ptr<AVTXContext, TxFreer> tx(raw);
  std::vector<AVComplexFloat> in(static_cast<std::size_t>(size)), spectrum(in.size());
  std::vector<float> hann(window);
  for (std::size_t i = 0; i < window; ++i)
    hann[i] = static_cast<float>(
        0.5 - 0.5 * std::cos(2 * M_PI * static_cast<double>(i) / static_cast<double>(window - 1)));
  const auto bin_of = [&](double hz) {
    return std::clamp(static_cast<int>(std::lround(hz * size / rate)), 1, size / 2);
  };
  const int lo = bin_of(o.band_low_hz), hi = bin_of(o.band_high_hz);
  // Frame f covers [f * hop - window / 2, f * hop + window / 2): centred on its time.
  const std::size_t count = (frames + hop - 1) / hop;
  out.level_db.reserve(count);
  out.flatness.reserve(count);
  // A frame's window read from the source (zeros past either end): the sound is never held whole.
  std::vector<float> held(window * channels);
  for (std::size_t f = 0; f < count; ++f) {
    const auto centre = static_cast<std::int64_t>(f * hop);
    audio.read(centre - static_cast<std::int64_t>(window / 2), window, held.data());
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = {0, 0};
    for (std::size_t i = 0; i < window; ++i) {
      float mono = 0;
      for (std::size_t c = 0; c < channels; ++c) mono += held[i * channels + c];
      in[i].re = hann[i] * mono / static_cast<float>(channels);
    }
    fft(tx.get(), spectrum.data(), in.data(), sizeof(AVComplexFloat));
    double power = 0, log_sum = 0;
    for (int b = lo; b <= hi; ++b) {
      const double p = static_cast<double>(spectrum[b].re) * spectrum[b].re +
                       static_cast<double>(spectrum[b].im) * spectrum[b].im + 1e-12;
      power += p;
      log_sum += std::log(p);
    }
    const double bins = hi - lo + 1;
    out.level_db.push_back(10 * std::log10(power / (size * static_cast<double>(window)) + 1e-12));
    out.flatness.push_back(std::exp(log_sum / bins) / (power / bins));
  }
  return out;
}

// The `p` quantile of `values` over a window of `half` frames either side of each frame.
std::vector<double> running_quantile(const std::vector<double>& values, std::size_t half,
                                     double p) {
  std::vector<double> out(values.size()), scratch;
  // Every 10th frame computed, the rest held: the background moves slowly.
  constexpr std::size_t kStride = 10;
  for (std::size_t i = 0; i < values.size(); i += kStride) {
    const std::size_t a = i > half ? i - half : 0, b = std::min(values.size(), i + half + 1);
    scratch.assign(values.begin() + static_cast<std::ptrdiff_t>(a),
                   values.begin() + static_cast<std::ptrdiff_t>(b));
    const auto k = static_cast<std::size_t>(p * static_cast<double>(scratch.size() - 1));
    std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k),
                     scratch.end());
    for (std::size_t j = i; j < std::min(values.size(), i + kStride); ++j) out[j] = scratch[k];
  }
  return out;
}

// Standard deviation of `values` over `half` frames either side.
std::vector<double> running_spread(const std::vector<double>& values, std::size_t half) {
  std::vector<double> out(values.size());
  double sum = 0, sum2 = 0;
  std::size_t a = 0, b = 0;  // the window [a, b)
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t want_a = i > half ? i - half : 0,
                      want_b = std::min(values.size(), i + half + 1);
    for (; b < want_b; ++b) sum += values[b], sum2 += values[b] * values[b];
    for (; a < want_a; ++a) sum -= values[a], sum2 -= values[a] * values[a];
    const double n = static_cast<double>(b - a), mean = sum / n;
    out[i] = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
  }
  return out;
}

}  // namespace

VoiceActivity detect_voice_activity(const AudioBuffer& audio, const VoiceActivityOptions& options) {
  return detect_voice_activity(BufferSource(audio), options);
}

VoiceActivity detect_voice_activity(const PcmSource& audio, const VoiceActivityOptions& options) {
  VoiceActivity result;
  result.hop_s = options.hop_s;
  const BandFrames band = band_frames(audio, options);
  const std::size_t n = band.level_db.size();
  if (n == 0) return result;
  const auto frames_of = [&](double s) {
    return static_cast<std::size_t>(std::lround(s / options.hop_s));
  };
  const std::vector<double> background = running_quantile(
      band.level_db, frames_of(options.background_window_s / 2), options.background_percentile);
  const std::vector<double> spread =
      running_spread(band.level_db, frames_of(options.modulation_window_s / 2));
  std::vector<bool> like(n);
  for (std::size_t i = 0; i < n; ++i)
    like[i] = band.level_db[i] > -90 && band.level_db[i] - background[i] >= options.min_snr_db &&
              band.flatness[i] <= options.max_flatness && spread[i] >= options.min_modulation_db;
  // Hangover: speech goes on a little after its last speech-like frame.
  std::vector<bool> speech(n);
  const std::size_t hang = frames_of(options.hangover_s);
  for (std::size_t i = 0, last = 0; i < n; ++i) {
    if (like[i]) last = i + 1;
    speech[i] = like[i] || (last > 0 && i < last + hang);
  }
  // Runs, with short pauses bridged and short bursts dropped.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t i = 0; i < n;) {
    if (!speech[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && speech[j]) ++j;
    if (!runs.empty() && i - runs.back().second < frames_of(options.bridge_s))
      runs.back().second = j;
    else
      runs.emplace_back(i, j);
    i = j;
  }
  std::erase_if(
      runs, [&](const auto& r) { return r.second - r.first < frames_of(options.min_speech_s); });
  result.speech.assign(n, false);
  for (const auto& [a, b] : runs) {
    for (std::size_t i = a; i < b; ++i) result.speech[i] = true;
    Caption span;
    span.start_s = static_cast<double>(a) * options.hop_s;
    span.end_s = std::min(audio.duration_s(), static_cast<double>(b) * options.hop_s);
    result.spans.push_back(span);
  }
  return result;
}

}  // namespace tonepoem
