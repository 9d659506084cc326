#include "audio_analysis/analysis.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "audio_analysis/aubio_handles.h"

namespace tonepoem {
namespace {

// The channels averaged.
std::vector<float> mono_of(const AudioBuffer& audio) {
  const std::size_t frames = audio.frames();
  const int ch = std::max(1, audio.channels);
  std::vector<float> mono(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    float sum = 0;
    for (int c = 0; c < ch; ++c) sum += audio.samples[i * ch + c];
    mono[i] = sum / static_cast<float>(ch);
  }
  return mono;
}

// A hop of about 11.6 ms (512 samples at 44.1 kHz), a power of two.
unsigned hop_for(int sample_rate) {
  unsigned hop = 64;
  while (hop * 2 <= static_cast<unsigned>(sample_rate) / 86 + 1) hop *= 2;
  return hop;
}

// What one pass of the phase vocoder measures, one value (or chroma vector) per hop.
struct Frames {
  double rate = 0;               // hops per second
  double latency_s = 0;          // a frame's novelty describes the signal this much earlier
  std::vector<double> flux;      // log-magnitude spectral flux, all bands up to 8 kHz
  std::vector<double> low_flux;  // the same below 250 Hz (bass, kick)
  std::vector<double> energy;    // mean square of the hop's samples
  std::vector<std::array<float, 12>> chroma;
};

Frames measure_frames(const std::vector<float>& mono, int sample_rate, const CancelToken& cancel) {
  const unsigned hop = hop_for(sample_rate), win = hop * 4;
  Frames f;
  f.rate = static_cast<double>(sample_rate) / hop;
  // The newest hop is the last quarter of the window; a step in level weighs most once it
  // reaches the window's centre, a hop and a half before the window's end.
  f.latency_s = 1.5 * hop / sample_rate;
  // aubio's phase vocoder, less the phases (atan2 per bin was half the time): a Hann-windowed
  // frame of `win` samples every `hop`, its magnitude spectrum from aubio's real FFT.
  AubioPtr<aubio_fft_t> fft(new_aubio_fft(win));
  AubioPtr<fvec_t> window(new_aubio_window(const_cast<char*>("hanningz"), win));
  AubioPtr<fvec_t> frame(new_fvec(win));
  AubioPtr<fvec_t> spectrum(new_fvec(win));
  std::vector<float> recent(win, 0.0f);
  std::vector<float> norm(win / 2 + 1);
  const unsigned bins = win / 2 + 1;
  const double bin_hz = static_cast<double>(sample_rate) / win;
  const unsigned top = std::min<unsigned>(bins, static_cast<unsigned>(8000 / bin_hz));
  const unsigned low_top = std::min<unsigned>(bins, static_cast<unsigned>(250 / bin_hz) + 1);
  std::vector<int> pitch_class(bins, -1);
  for (unsigned k = 1; k < bins; ++k) {
    const double hz = k * bin_hz;
    if (hz < 80 || hz > 4000) continue;
    const int midi = static_cast<int>(std::lround(69 + 12 * std::log2(hz / 440.0)));
    pitch_class[k] = midi % 12;
  }
  std::vector<float> previous(bins, 0.0f), current(bins);
  const std::size_t count = (mono.size() + hop - 1) / hop;
  f.flux.reserve(count);
  for (std::size_t n = 0; n < count; ++n) {
    if (n % 4096 == 0) cancel.throw_if_cancelled();
    double energy = 0;
    std::copy(recent.begin() + hop, recent.end(), recent.begin());
    for (unsigned i = 0; i < hop; ++i) {
      const std::size_t at = n * hop + i;
      const float s = at < mono.size() ? mono[at] : 0.0f;
      recent[win - hop + i] = s;
      energy += static_cast<double>(s) * s;
    }
    for (unsigned i = 0; i < win; ++i) frame->data[i] = recent[i] * window->data[i];
    aubio_fft_do_complex(fft.get(), frame.get(), spectrum.get());
    // aubio's packing: real parts at 0..win/2, imaginary parts mirrored from the end.
    const float* c = spectrum->data;
    norm[0] = std::abs(c[0]);
    for (unsigned k = 1; k < bins - 1; ++k)
      norm[k] = std::sqrt(c[k] * c[k] + c[win - k] * c[win - k]);
    norm[bins - 1] = std::abs(c[win / 2]);
    double flux = 0, low = 0;
    std::array<float, 12> chroma{};
    for (unsigned k = 0; k < bins; ++k) {
      current[k] = std::log1p(10.0f * norm[k]);
      const float rise = std::max(0.0f, current[k] - previous[k]);
      if (k >= 1 && k < top) flux += rise;
      if (k >= 1 && k < low_top) low += rise;
      if (pitch_class[k] >= 0) chroma[pitch_class[k]] += norm[k];
    }
    std::swap(previous, current);
    f.flux.push_back(flux);
    f.low_flux.push_back(low);
    f.energy.push_back(energy / hop);
    f.chroma.push_back(chroma);
  }
  return f;
}

// The novelty with its local mean (about 0.3 s around) removed, half-wave rectified, unit
// standard deviation: beats are where it peaks above its surroundings.
std::vector<double> onset_strength(const std::vector<double>& flux, double rate) {
  const std::size_t n = flux.size();
  const auto half = static_cast<std::ptrdiff_t>(std::lround(0.15 * rate));
  std::vector<double> prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + flux[i];
  std::vector<double> out(n);
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) {
    const std::ptrdiff_t a = std::max<std::ptrdiff_t>(0, i - half);
    const std::ptrdiff_t b = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(n), i + half + 1);
    const double mean = (prefix[b] - prefix[a]) / static_cast<double>(b - a);
    out[i] = std::max(0.0, flux[i] - mean);
  }
  double sq = 0;
  for (double v : out) sq += v * v;
  const double sd = n ? std::sqrt(sq / static_cast<double>(n)) : 0.0;
  if (sd > 1e-12)
    for (double& v : out) v /= sd;
  return out;
}

// Autocorrelation of `x` (mean removed) in [from, to), normalised so that lag 0 gives 1, at lags
// 0 .. max_lag.
std::vector<double> autocorrelation(const std::vector<double>& x, std::size_t from, std::size_t to,
                                    std::size_t max_lag) {
  std::vector<double> acf(max_lag + 1, 0.0);
  if (to <= from + 1) return acf;
  double mean = 0;
  for (std::size_t i = from; i < to; ++i) mean += x[i];
  mean /= static_cast<double>(to - from);
  for (std::size_t lag = 0; lag <= max_lag; ++lag) {
    double sum = 0;
    for (std::size_t i = from; i + lag < to; ++i) sum += (x[i] - mean) * (x[i + lag] - mean);
    acf[lag] = sum;
  }
  if (acf[0] > 1e-12)
    for (double& v : acf) v /= acf[0];
  return acf;
}

// The autocorrelation at a fractional lag (linear interpolation; 0 beyond the end).
double acf_at(const std::vector<double>& acf, double lag) {
  if (lag < 0 || lag >= static_cast<double>(acf.size() - 1)) return 0.0;
  const auto i = static_cast<std::size_t>(lag);
  const double w = lag - static_cast<double>(i);
  return acf[i] * (1 - w) + acf[i + 1] * w;
}

// How much a beat period (frames) is supported: the autocorrelation at the period and its
// multiples (a beat grid repeats at every beat), weighted by a log-normal tempo prior around
// 110 bpm (listeners tap between about 60 and 180 bpm).
double period_score(const std::vector<double>& acf, double period, double rate) {
  constexpr double kCentreBpm = 110, kSigmaOctaves = 0.9;
  double comb = 0;
  for (int k = 1; k <= 4; ++k) comb += acf_at(acf, period * k) / k;
  const double bpm = 60.0 * rate / period;
  const double octaves = std::log2(bpm / kCentreBpm);
  return comb * std::exp(-0.5 * octaves * octaves / (kSigmaOctaves * kSigmaOctaves));
}

// The best period (frames) in [lo, hi] by period_score, searched in quarter-frame steps.
double best_period(const std::vector<double>& acf, double lo, double hi, double rate,
                   bool with_prior) {
  double best = lo, best_score = -1e300;
  for (double p = lo; p <= hi; p += 0.25) {
    const double s = with_prior ? period_score(acf, p, rate) : acf_at(acf, p);
    if (s > best_score) {
      best_score = s;
      best = p;
    }
  }
  return best;
}

// The beat period at every frame: the global period, refined in 8 s windows (2 s apart) within
// -20%..+25% of it, median-smoothed over three windows, interpolated between window centres.
std::vector<double> local_periods(const std::vector<double>& strength, double global, double rate) {
  const std::size_t n = strength.size();
  const auto window = static_cast<std::size_t>(std::max(8.0 * rate, 4.0 * global));
  const auto step = static_cast<std::size_t>(2.0 * rate);
  std::vector<double> centres, periods;
  const auto max_lag = static_cast<std::size_t>(std::ceil(global * 1.25)) + 2;
  for (std::size_t from = 0; from + window / 2 < n || from == 0; from += step) {
    const std::size_t to = std::min(n, from + window);
    const auto acf = autocorrelation(strength, from, to, max_lag);
    centres.push_back(0.5 * static_cast<double>(from + to));
    periods.push_back(best_period(acf, global * 0.8, global * 1.25, rate, false));
    if (to == n) break;
  }
  std::vector<double> smooth = periods;
  for (std::size_t i = 1; i + 1 < periods.size(); ++i) {
    std::array<double, 3> w{periods[i - 1], periods[i], periods[i + 1]};
    std::sort(w.begin(), w.end());
    smooth[i] = w[1];
  }
  std::vector<double> out(n, global);
  std::size_t j = 0;
  for (std::size_t t = 0; t < n; ++t) {
    const double x = static_cast<double>(t);
    while (j + 1 < centres.size() && centres[j + 1] < x) ++j;
    if (smooth.empty()) break;
    if (x <= centres.front()) {
      out[t] = smooth.front();
    } else if (j + 1 >= centres.size()) {
      out[t] = smooth.back();
    } else {
      const double w = (x - centres[j]) / (centres[j + 1] - centres[j]);
      out[t] = smooth[j] * (1 - w) + smooth[j + 1] * w;
    }
  }
  return out;
}

// The beat grid that best fits the onset strength (Ellis 2007): each beat adds the strength at
// its frame and pays tightness * log(interval / period)^2 for straying from the local period.
std::vector<std::size_t> dynamic_beats(const std::vector<double>& strength,
                                       const std::vector<double>& period) {
  constexpr double kTightness = 100.0;
  const std::size_t n = strength.size();
  std::vector<double> score(n);
  std::vector<std::ptrdiff_t> back(n, -1);
  for (std::size_t t = 0; t < n; ++t) {
    const double p = period[t];
    const auto lo =
        static_cast<std::ptrdiff_t>(t) - static_cast<std::ptrdiff_t>(std::lround(2 * p));
    const auto hi =
        static_cast<std::ptrdiff_t>(t) - static_cast<std::ptrdiff_t>(std::lround(p / 2));
    double best = 0;
    std::ptrdiff_t arg = -1;
    for (std::ptrdiff_t q = std::max<std::ptrdiff_t>(0, lo); q <= hi; ++q) {
      const double d = std::log(static_cast<double>(static_cast<std::ptrdiff_t>(t) - q) / p);
      const double s = score[q] - kTightness * d * d;
      if (arg < 0 || s > best) {
        best = s;
        arg = q;
      }
    }
    score[t] = strength[t] + (arg >= 0 ? std::max(0.0, best) : 0.0);
    back[t] = arg >= 0 && best > 0 ? arg : -1;
  }
  // The last beat: the best-scoring frame within the last period.
  if (n == 0) return {};
  const auto last_from =
      static_cast<std::size_t>(std::max<double>(0.0, static_cast<double>(n) - period.back() - 1));
  std::size_t end = last_from;
  for (std::size_t t = last_from; t < n; ++t)
    if (score[t] > score[end]) end = t;
  std::vector<std::size_t> beats;
  for (std::ptrdiff_t t = static_cast<std::ptrdiff_t>(end); t >= 0; t = back[t])
    beats.push_back(static_cast<std::size_t>(t));
  std::reverse(beats.begin(), beats.end());
  return beats;
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void standardise(std::vector<double>& v) {
  const double m = mean_of(v);
  double sq = 0;
  for (double x : v) sq += (x - m) * (x - m);
  const double sd = v.empty() ? 0.0 : std::sqrt(sq / static_cast<double>(v.size()));
  for (double& x : v) x = sd > 1e-12 ? (x - m) / sd : 0.0;
}

std::array<double, 12> mean_chroma(const Frames& f, std::size_t from, std::size_t to) {
  std::array<double, 12> c{};
  for (std::size_t n = from; n < to && n < f.chroma.size(); ++n)
    for (int k = 0; k < 12; ++k) c[k] += f.chroma[n][k];
  double norm = 0;
  for (double v : c) norm += v * v;
  norm = std::sqrt(norm);
  if (norm > 1e-12)
    for (double& v : c) v /= norm;
  return c;
}

double cosine(const std::array<double, 12>& a, const std::array<double, 12>& b) {
  double s = 0;
  for (int k = 0; k < 12; ++k) s += a[k] * b[k];
  return s;
}

struct MeterChoice {
  int beats_per_bar = 4;
  int phase = 0;  // index of the first beat that starts a bar
};

// The meter and bar phase whose bar-start beats stand out most from the other beats on
// low-frequency onsets and harmonic change (each standardised over the beats).
MeterChoice choose_meter(const Frames& f, const std::vector<std::size_t>& beats) {
  const std::size_t count = beats.size();
  if (count < 6) return {};
  std::vector<double> low(count), change(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t b = beats[i];
    double peak = 0;
    for (std::size_t n = b >= 2 ? b - 2 : 0; n <= b + 2 && n < f.low_flux.size(); ++n)
      peak = std::max(peak, f.low_flux[n]);
    low[i] = peak;
    const std::size_t before = i > 0 ? beats[i - 1] : (b > 0 ? b / 2 : 0);
    const std::size_t after =
        i + 1 < count ? beats[i + 1] : std::min(f.chroma.size(), 2 * b - before);
    change[i] = 1.0 - cosine(mean_chroma(f, before, b), mean_chroma(f, b, after));
  }
  standardise(low);
  standardise(change);
  MeterChoice best;
  double best_score = -1e300;
  for (int meter : {4, 3}) {
    for (int phase = 0; phase < meter; ++phase) {
      double on = 0, off = 0;
      std::size_t n_on = 0, n_off = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const double v = low[i] + change[i];
        if (static_cast<int>(i % meter) == phase) {
          on += v;
          ++n_on;
        } else {
          off += v;
          ++n_off;
        }
      }
      const double score =
          on / std::max<std::size_t>(1, n_on) - off / std::max<std::size_t>(1, n_off);
      if (score > best_score + 1e-9) {
        best_score = score;
        best = {meter, phase};
      }
    }
  }
  return best;
}

// Sections: peaks of a checkerboard novelty over the bars' chroma and loudness, at least
// `min_s` apart, each starting on a downbeat.
std::vector<TimelineSection> find_sections(const Frames& f, const std::vector<std::size_t>& bars,
                                           const std::vector<double>& bar_db,
                                           const std::vector<double>& downbeat_s, double duration_s,
                                           double min_s) {
  std::vector<TimelineSection> sections;
  const std::size_t count = bars.size();
  constexpr int kHalf = 4;  // bars each side of a boundary
  std::vector<double> boundaries;
  if (min_s > 0 && count > 2 * kHalf + 2) {
    std::vector<std::array<double, 12>> chroma(count);
    for (std::size_t j = 0; j < count; ++j)
      chroma[j] = mean_chroma(f, bars[j], j + 1 < count ? bars[j + 1] : f.chroma.size());
    auto similarity = [&](std::size_t a, std::size_t b) {
      return cosine(chroma[a], chroma[b]) - std::min(1.0, std::abs(bar_db[a] - bar_db[b]) / 12.0);
    };
    std::vector<double> novelty(count, 0.0);
    for (std::size_t j = kHalf; j + kHalf <= count; ++j) {
      double s = 0;
      for (int a = -kHalf; a < kHalf; ++a)
        for (int b = -kHalf; b < kHalf; ++b) {
          const double sign = (a < 0) == (b < 0) ? 1.0 : -1.0;
          s += sign * similarity(j + a, j + b);
        }
      novelty[j] = s;  // high where each side is like itself and unlike the other
    }
    const double m = mean_of(novelty);
    double sq = 0;
    for (double v : novelty) sq += (v - m) * (v - m);
    const double threshold = m + std::sqrt(sq / static_cast<double>(count));
    double last = 0;
    for (std::size_t j = kHalf; j + kHalf <= count; ++j) {
      const bool peak = novelty[j] >= novelty[j - 1] && novelty[j] >= novelty[j + 1];
      if (peak && novelty[j] > threshold && downbeat_s[j] - last >= min_s &&
          duration_s - downbeat_s[j] >= min_s) {
        boundaries.push_back(downbeat_s[j]);
        last = downbeat_s[j];
      }
    }
  }
  double start = 0;
  for (std::size_t k = 0; k <= boundaries.size(); ++k) {
    const double end = k < boundaries.size() ? boundaries[k] : duration_s;
    sections.push_back({fmt::format("section {}", k + 1), start, end, Emotion{}});
    start = end;
  }
  return sections;
}

}  // namespace

OptionProblems AudioAnalysisOptions::validate() const {
  OptionProblems problems;
  if (!(min_bpm >= 30 && min_bpm <= 300))
    problems.push_back({"min_bpm", fmt::format("{} is outside 30..300", min_bpm)});
  if (!(max_bpm >= 30 && max_bpm <= 300))
    problems.push_back({"max_bpm", fmt::format("{} is outside 30..300", max_bpm)});
  if (min_bpm * 1.5 > max_bpm)
    problems.push_back({"max_bpm", "must be at least 1.5 times min_bpm (an octave search)"});
  if (!(min_section_s >= 0))
    problems.push_back({"min_section_s", "must be 0 (no sections) or more seconds"});
  return problems;
}

std::vector<double> aubio_beats(const AudioBuffer& audio) {
  std::vector<double> beats;
  if (audio.sample_rate <= 0 || audio.frames() == 0) return beats;
  const std::vector<float> mono = mono_of(audio);
  constexpr unsigned kWin = 1024, kHop = 512;
  AubioPtr<aubio_tempo_t> tempo(
      new_aubio_tempo("default", kWin, kHop, static_cast<uint_t>(audio.sample_rate)));
  AubioPtr<fvec_t> in(new_fvec(kHop));
  AubioPtr<fvec_t> out(new_fvec(2));
  for (std::size_t at = 0; at < mono.size(); at += kHop) {
    for (unsigned i = 0; i < kHop; ++i) in->data[i] = at + i < mono.size() ? mono[at + i] : 0.0f;
    aubio_tempo_do(tempo.get(), in.get(), out.get());
    if (out->data[0] != 0) beats.push_back(aubio_tempo_get_last_s(tempo.get()));
  }
  return beats;
}

AudioAnalysis analyze_audio(const AudioBuffer& audio, const AudioAnalysisOptions& options,
                            const CancelToken& cancel) {
  throw_if_invalid(options.validate());
  AudioAnalysis result;
  result.timeline.duration_s = audio.duration_s();
  if (audio.sample_rate <= 0 || audio.frames() == 0) return result;
  const std::vector<float> mono = mono_of(audio);
  const Frames frames = measure_frames(mono, audio.sample_rate, cancel);
  result.raw_beats = aubio_beats(audio);
  cancel.throw_if_cancelled();

  const std::vector<double> strength = onset_strength(frames.flux, frames.rate);
  const double rate = frames.rate;
  auto time_of = [&](std::size_t frame) {
    return std::max(0.0, static_cast<double>(frame) / rate - frames.latency_s);
  };
  // Where there is sound at all: beats are kept between the first and last frame within 50 dB of
  // the loudest.
  const double peak_energy = *std::max_element(frames.energy.begin(), frames.energy.end());
  if (peak_energy < 1e-10) return result;  // silence (-100 dBFS)
  std::size_t first = 0, last = frames.energy.size() - 1;
  while (first < last && frames.energy[first] < peak_energy * 1e-5) ++first;
  while (last > first && frames.energy[last] < peak_energy * 1e-5) --last;

  const double lo = 60.0 * rate / options.max_bpm, hi = 60.0 * rate / options.min_bpm;
  const auto acf = autocorrelation(strength, first, last + 1, static_cast<std::size_t>(hi * 4) + 2);
  // Beats in the silence before the first sound or in the decay after the music are dropped
  // while the onset strength around them is weak.
  auto strength_near = [&](std::size_t b) {
    double s = 0;
    for (std::size_t n = b >= 2 ? b - 2 : 0; n <= b + 2 && n < strength.size(); ++n)
      s = std::max(s, strength[n]);
    return s;
  };
  auto track = [&](double global_period) {
    std::vector<std::size_t> found =
        dynamic_beats(strength, local_periods(strength, global_period, rate));
    while (!found.empty() && (found.front() + 2 < first || strength_near(found.front()) < 0.3))
      found.erase(found.begin());
    while (!found.empty() && (found.back() > last + 2 || strength_near(found.back()) < 0.3))
      found.pop_back();
    return found;
  };
  double global = best_period(acf, lo, hi, rate, true);
  std::vector<std::size_t> beats = track(global);
  // The autocorrelation cannot tell a beat from two (or a bar of 3/4 heard as two dotted beats):
  // when the points halfway between the beats carry nearly as much onset strength as the beats
  // (snare back beats, a bass on every beat), the beat is twice as fast; when the thirds do, it
  // is three halves as fast. Thresholds from bench/beat_bench (halves: 0.16..0.65 when right,
  // 0.71..0.99 at half tempo; thirds: up to 0.28 when right, 0.68..0.70 at two-thirds tempo).
  if (beats.size() > 8) {
    double on = 0, half = 0, third = 0;
    for (std::size_t i = 0; i + 1 < beats.size(); ++i) {
      const double d = static_cast<double>(beats[i + 1] - beats[i]);
      auto at = [&](double fraction) {
        return strength_near(beats[i] + static_cast<std::size_t>(std::lround(d * fraction)));
      };
      on += strength_near(beats[i]);
      half += at(0.5);
      third += 0.5 * (at(1.0 / 3) + at(2.0 / 3));
    }
    double faster = 1;
    if (half > 0.7 * on && global / 2 >= lo)
      faster = 2;
    else if (third > 0.5 * on && global / 1.5 >= lo)
      faster = 1.5;
    if (faster > 1) {
      global /= faster;
      beats = track(global);
    }
  }
  cancel.throw_if_cancelled();

  for (std::size_t b : beats) result.timeline.beats.push_back(time_of(b));
  if (beats.size() >= 2) {
    std::vector<double> intervals;
    for (std::size_t i = 1; i < beats.size(); ++i)
      intervals.push_back(static_cast<double>(beats[i] - beats[i - 1]) / rate);
    std::nth_element(intervals.begin(), intervals.begin() + intervals.size() / 2, intervals.end());
    result.tempo_bpm = 60.0 / intervals[intervals.size() / 2];
  }
  const MeterChoice meter = choose_meter(frames, beats);
  result.beats_per_bar = meter.beats_per_bar;
  std::vector<std::size_t> bar_frames;
  for (std::size_t i = static_cast<std::size_t>(meter.phase); i < beats.size();
       i += static_cast<std::size_t>(meter.beats_per_bar)) {
    bar_frames.push_back(beats[i]);
    result.timeline.downbeats.push_back(time_of(beats[i]));
  }
  for (std::size_t j = 0; j < bar_frames.size(); ++j) {
    const std::size_t to = j + 1 < bar_frames.size() ? bar_frames[j + 1] : frames.energy.size();
    double sum = 0;
    for (std::size_t n = bar_frames[j]; n < to; ++n) sum += frames.energy[n];
    const double ms = to > bar_frames[j] ? sum / static_cast<double>(to - bar_frames[j]) : 0.0;
    result.bar_loudness_db.push_back(10 * std::log10(std::max(ms, 1e-12)));
  }
  for (std::size_t n = 3; n + 3 < strength.size(); ++n) {
    if (strength[n] < 1.5) continue;
    bool is_peak = true;
    for (std::size_t m = n - 3; m <= n + 3; ++m)
      if (strength[m] > strength[n] || (m < n && strength[m] == strength[n])) is_peak = false;
    if (is_peak) result.onsets.push_back(time_of(n));
  }
  result.timeline.sections =
      find_sections(frames, bar_frames, result.bar_loudness_db, result.timeline.downbeats,
                    result.timeline.duration_s, options.min_section_s);
  return result;
}

BeatAccuracy beat_accuracy(const std::vector<double>& reference,
                           const std::vector<double>& estimate, double window_s) {
  BeatAccuracy acc;
  if (reference.empty() && estimate.empty()) {
    acc.f_measure = acc.precision = acc.recall = 1;
    return acc;
  }
  if (reference.empty() || estimate.empty()) return acc;
  // Both lists ascending: greedy matching of each reference to the nearest unused estimate.
  std::vector<bool> used(estimate.size(), false);
  std::size_t matches = 0;
  double error = 0;
  for (double r : reference) {
    auto it = std::lower_bound(estimate.begin(), estimate.end(), r - window_s);
    std::ptrdiff_t best = -1;
    for (; it != estimate.end() && *it <= r + window_s; ++it) {
      const auto i = it - estimate.begin();
      if (used[i]) continue;
      if (best < 0 || std::abs(*it - r) < std::abs(estimate[best] - r)) best = i;
    }
    if (best >= 0) {
      used[best] = true;
      ++matches;
      error += std::abs(estimate[best] - r);
    }
  }
  acc.precision = static_cast<double>(matches) / static_cast<double>(estimate.size());
  acc.recall = static_cast<double>(matches) / static_cast<double>(reference.size());
  acc.f_measure = matches ? 2 * acc.precision * acc.recall / (acc.precision + acc.recall) : 0.0;
  acc.mean_abs_error_s = matches ? error / static_cast<double>(matches) : 0.0;
  return acc;
}

}  // namespace tonepoem
