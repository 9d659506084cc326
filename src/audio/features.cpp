// Audio features for the judge: level, dynamics, brightness, noisiness and onset rate, measured
// on a mono mix-down in 2048-sample Hann frames with a 1024-sample hop.
#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "audio/audio.h"
#include "core/error.h"

namespace tonepoem {
namespace {

constexpr std::size_t kFrame = 2048, kHop = 1024;
// Frames more than this far below the loudest frame (or under -100 dBFS) count as silent and are
// left out of the averages.
constexpr double kGateBelowLoudestDb = 50.0;

// In-place iterative radix-2 FFT; `data.size()` must be a power of two.
void fft(std::vector<std::complex<double>>& data) {
  const std::size_t n = data.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(data[i], data[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double angle = -2 * std::numbers::pi / static_cast<double>(len);
    const std::complex<double> step(std::cos(angle), std::sin(angle));
    for (std::size_t i = 0; i < n; i += len) {
      std::complex<double> w(1, 0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        const auto u = data[i + k], v = data[i + k + len / 2] * w;
        data[i + k] = u + v;
        data[i + k + len / 2] = u - v;
        w *= step;
      }
    }
  }
}

}  // namespace

AudioFeatures extract_audio_features(const AudioBuffer& audio) {
  return extract_audio_features(BufferSource(audio), 0, audio.frames());
}

AudioFeatures extract_audio_features(const PcmSource& audio, std::size_t first_frame,
                                     std::size_t count) {
  AudioFeatures f;
  const std::size_t frames =
      first_frame < audio.frames() ? std::min(count, audio.frames() - first_frame) : 0;
  const int sample_rate = audio.sample_rate();
  f.duration_s = sample_rate > 0 ? static_cast<double>(frames) / sample_rate : 0.0;
  if (frames == 0 || audio.channels() <= 0) return f;
  const auto ch = static_cast<std::size_t>(audio.channels());
  // One analysis frame of the mono mix-down at a time, read from the source: a long film's sound
  // is never held whole.
  std::vector<float> block(kFrame * ch);
  std::vector<double> mono(kFrame);
  const auto read_mono = [&](std::size_t start) {
    const std::size_t n = std::min(kFrame, frames - start);
    audio.read(static_cast<std::int64_t>(first_frame + start), n, block.data());
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (std::size_t c = 0; c < ch; ++c) sum += block[i * ch + c];
      mono[i] = sum / static_cast<double>(ch);
    }
    return n;
  };
  double power = 0;  // over every sample once, in order: the first hop of each analysis frame

  std::vector<double> window(kFrame);
  for (std::size_t i = 0; i < kFrame; ++i)
    window[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) / kFrame);
  std::vector<std::complex<double>> spectrum(kFrame);
  std::vector<double> previous(kFrame / 2 + 1, 0.0), flux;
  std::vector<double> levels;
  struct FrameStats {
    double level, power, centroid, zcr;
  };
  std::vector<FrameStats> frame_stats;
  double centroid_sum = 0, centroid_weight = 0, zcr_sum = 0;
  int zcr_frames = 0;
  const double bin_hz = static_cast<double>(sample_rate) / kFrame;
  for (std::size_t start = 0; start < frames; start += kHop) {
    double frame_power = 0;
    int crossings = 0;
    const std::size_t held = read_mono(start);
    for (std::size_t i = 0; i < std::min(held, kHop); ++i) power += mono[i] * mono[i];
    for (std::size_t i = 0; i < kFrame; ++i) {
      const double x = i < held ? mono[i] : 0.0;
      frame_power += x * x;
      if (i > 0 && i < held && (x >= 0) != (mono[i - 1] >= 0)) ++crossings;
      spectrum[i] = {x * window[i], 0.0};
    }
    frame_power /= kFrame;
    const double level = frame_power > 0 ? 10 * std::log10(frame_power) : -120.0;
    fft(spectrum);
    double mag_sum = 0, weighted = 0, rise = 0;
    for (std::size_t k = 0; k <= kFrame / 2; ++k) {
      const double mag = std::abs(spectrum[k]);
      mag_sum += mag;
      weighted += mag * static_cast<double>(k) * bin_hz;
      // Spectral flux on compressed magnitudes, rises only.
      const double compressed = std::log1p(100.0 * mag);
      rise += std::max(0.0, compressed - previous[k]);
      previous[k] = compressed;
    }
    flux.push_back(rise);
    frame_stats.push_back({level, frame_power, mag_sum > 0 ? weighted / mag_sum : 0.0,
                           static_cast<double>(crossings) / kFrame});
  }
  power /= static_cast<double>(frames);
  f.rms_db = power > 0 ? std::max(-120.0, 10 * std::log10(power)) : -120.0;
  double loudest = -120;
  for (const FrameStats& s : frame_stats) loudest = std::max(loudest, s.level);
  const double gate = std::max(-100.0, loudest - kGateBelowLoudestDb);
  for (const FrameStats& s : frame_stats) {
    if (s.level < gate) continue;
    levels.push_back(s.level);
    centroid_sum += s.power * s.centroid;
    centroid_weight += s.power;
    zcr_sum += s.zcr;
    ++zcr_frames;
  }
  if (centroid_weight > 0) f.spectral_centroid_hz = centroid_sum / centroid_weight;
  if (zcr_frames > 0) f.zero_crossing_rate = zcr_sum / zcr_frames;
  if (!levels.empty()) {
    double mean = 0, sq = 0;
    for (double l : levels) mean += l;
    mean /= static_cast<double>(levels.size());
    for (double l : levels) sq += (l - mean) * (l - mean);
    f.rms_spread_db = std::sqrt(sq / static_cast<double>(levels.size()));
  }
  // Onsets: local maxima of the flux above a moving median (+-8 frames) times 1.5 plus a floor,
  // at least 50 ms apart.
  const double frame_s = static_cast<double>(kHop) / sample_rate;
  double floor = 0;
  for (double x : flux) floor = std::max(floor, x);
  floor *= 0.05;
  int onsets = 0;
  double last_onset = -1.0;
  std::vector<double> neighbourhood;
  for (std::size_t i = 1; i + 1 < flux.size(); ++i) {
    if (flux[i] < flux[i - 1] || flux[i] < flux[i + 1]) continue;
    const std::size_t lo = i >= 8 ? i - 8 : 0, hi = std::min(flux.size(), i + 9);
    neighbourhood.assign(flux.begin() + static_cast<std::ptrdiff_t>(lo),
                         flux.begin() + static_cast<std::ptrdiff_t>(hi));
    std::nth_element(neighbourhood.begin(),
                     neighbourhood.begin() + static_cast<std::ptrdiff_t>(neighbourhood.size() / 2),
                     neighbourhood.end());
    const double median = neighbourhood[neighbourhood.size() / 2];
    const double t = static_cast<double>(i) * frame_s;
    if (flux[i] > 1.5 * median + floor && (last_onset < 0 || t - last_onset >= 0.05)) {
      ++onsets;
      last_onset = t;
    }
  }
  if (f.duration_s > 0) f.onset_rate = onsets / f.duration_s;
  return f;
}

AudioBuffer audio_slice(const AudioBuffer& audio, double start_s, double end_s) {
  AudioBuffer slice;
  slice.sample_rate = audio.sample_rate;
  slice.channels = audio.channels;
  const auto ch = static_cast<std::size_t>(std::max(1, audio.channels));
  const auto frame_at = [&](double t) {
    return std::min(audio.samples.size(),
                    static_cast<std::size_t>(std::max(0.0, t) * audio.sample_rate) * ch);
  };
  const std::size_t first = frame_at(start_s), last = std::max(first, frame_at(end_s));
  slice.samples.assign(audio.samples.begin() + static_cast<std::ptrdiff_t>(first),
                       audio.samples.begin() + static_cast<std::ptrdiff_t>(last));
  return slice;
}

std::vector<TimedAudioFeatures> audio_feature_windows(const AudioBuffer& audio, double window_s,
                                                      double hop_s) {
  if (!(window_s > 0) || !(hop_s > 0))
    fail_usage("the analysis window and hop must be positive seconds",
               "give a window of e.g. 4 seconds");
  std::vector<TimedAudioFeatures> out;
  const double total = audio.duration_s();
  for (double start = 0; start < total; start += hop_s) {
    const double end = std::min(total, start + window_s);
    out.push_back({start, end, extract_audio_features(audio_slice(audio, start, end))});
    if (end >= total) break;
  }
  return out;
}

}  // namespace tonepoem
