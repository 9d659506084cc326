// Mixing helpers: sample-rate conversion and music ducked under narration.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/error.h"

namespace tonepoem {
namespace {

double sinc(double x) {
  return x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
}

}  // namespace

namespace {

// Lanczos-windowed sinc conversion from one rate to another, cut off at the lower Nyquist
// frequency. Output n sits at input position n * M / L (rates reduced to L/M): there are only L
// distinct fractional positions, so the kernel is tabulated per phase when L is small (44.1k <->
// 48k, 22.05k -> 44.1k), else computed per output sample.
class Resampler {
 public:
  Resampler(int in_rate, int out_rate)
      : ratio_(static_cast<double>(out_rate) / in_rate),
        cutoff_(std::min(1.0, ratio_)),
        half_width_(kLobes / cutoff_) {
    const long long g = std::gcd(in_rate, out_rate);
    L_ = out_rate / g;
    M_ = in_rate / g;
    k_lo_ = static_cast<long long>(std::floor(-half_width_)) - 1;
    taps_ = static_cast<std::size_t>(2 * (-k_lo_) + 2);
    if (L_ <= 4096) {
      table_.assign(static_cast<std::size_t>(L_) * taps_, 0.0);
      for (long long p = 0; p < L_; ++p)
        for (std::size_t j = 0; j < taps_; ++j) {
          const double d = static_cast<double>(k_lo_ + static_cast<long long>(j)) -
                           static_cast<double>(p) / static_cast<double>(L_);
          if (std::abs(d) <= half_width_)
            table_[static_cast<std::size_t>(p) * taps_ + j] =
                sinc(d * cutoff_) * sinc(d * cutoff_ / kLobes);
        }
    }
  }

  std::size_t out_frames(std::size_t in_frames) const {
    return static_cast<std::size_t>(std::llround(static_cast<double>(in_frames) * ratio_));
  }
  // The input frames output frames [n0, n1) read: [first, last).
  std::pair<long long, long long> inputs_of(std::size_t n0, std::size_t n1) const {
    if (!table_.empty())
      return {static_cast<long long>(n0) * M_ / L_ + k_lo_,
              static_cast<long long>(n1) * M_ / L_ + k_lo_ + static_cast<long long>(taps_)};
    return {static_cast<long long>(std::ceil(static_cast<double>(n0) / ratio_ - half_width_)),
            static_cast<long long>(std::floor(static_cast<double>(n1) / ratio_ + half_width_)) + 1};
  }
  // Output frames [n0, n1) into `out` ((n1 - n0) * ch floats, left as they are where no input
  // reaches), from `in`, which holds the input frames [in_first, ...) up to inputs_of(n0, n1)'s
  // last; the input has `in_count` frames in all.
  void run(const float* in, long long in_first, long long in_count, std::size_t ch, std::size_t n0,
           std::size_t n1, float* out) const {
    std::vector<double> acc(ch);
    const auto sample = [&](long long i, std::size_t c) {
      return in[static_cast<std::size_t>(i - in_first) * ch + c];
    };
    for (std::size_t n = n0; n < n1; ++n) {
      double norm = 0;
      std::fill(acc.begin(), acc.end(), 0.0);
      if (!table_.empty()) {
        const long long pos = static_cast<long long>(n) * M_;
        const long long base = pos / L_, phase = pos % L_;
        const double* w = table_.data() + static_cast<std::size_t>(phase) * taps_;
        for (std::size_t j = 0; j < taps_; ++j) {
          const long long i = base + k_lo_ + static_cast<long long>(j);
          if (i < 0 || i >= in_count || w[j] == 0) continue;
          norm += w[j];
          for (std::size_t c = 0; c < ch; ++c) acc[c] += w[j] * sample(i, c);
        }
      } else {
        const double centre = static_cast<double>(n) / ratio_;
        const auto first = static_cast<long long>(std::ceil(centre - half_width_));
        const auto last = static_cast<long long>(std::floor(centre + half_width_));
        for (long long i = std::max(0LL, first); i <= last && i < in_count; ++i) {
          const double x = (static_cast<double>(i) - centre) * cutoff_;
          const double w = sinc(x) * sinc(x / kLobes);
          norm += w;
          for (std::size_t c = 0; c < ch; ++c) acc[c] += w * sample(i, c);
        }
      }
      if (norm == 0) continue;
      for (std::size_t c = 0; c < ch; ++c)
        out[(n - n0) * ch + c] = static_cast<float>(acc[c] / norm);
    }
  }

 private:
  static constexpr int kLobes = 8;
  double ratio_, cutoff_, half_width_;
  long long L_ = 1, M_ = 1, k_lo_ = 0;
  std::size_t taps_ = 0;
  std::vector<double> table_;
};

void check_rates(int from, int to, int channels) {
  if (to <= 0 || from <= 0 || channels <= 0)
    fail_usage(fmt::format("cannot resample from {} Hz to {} Hz", from, to),
               "use positive sample rates");
}

}  // namespace

AudioBuffer resample(const AudioBuffer& in, int sample_rate) {
  check_rates(in.sample_rate, sample_rate, in.channels);
  if (sample_rate == in.sample_rate) return in;
  AudioBuffer out;
  out.sample_rate = sample_rate;
  out.channels = in.channels;
  const Resampler resampler(in.sample_rate, sample_rate);
  const std::size_t out_frames = resampler.out_frames(in.frames());
  const auto ch = static_cast<std::size_t>(in.channels);
  out.samples.assign(out_frames * ch, 0.0f);
  resampler.run(in.samples.data(), 0, static_cast<long long>(in.frames()), ch, 0, out_frames,
                out.samples.data());
  return out;
}

std::size_t resample_to(const PcmSource& in, int sample_rate, const AudioSink& sink,
                        const CancelToken& cancel) {
  check_rates(in.sample_rate(), sample_rate, in.channels());
  const auto ch = static_cast<std::size_t>(in.channels());
  constexpr std::size_t kBlock = 16384;
  std::vector<float> out, window;
  if (sample_rate == in.sample_rate()) {
    for (std::size_t n = 0; n < in.frames(); n += kBlock) {
      cancel.throw_if_cancelled();
      const std::size_t count = std::min(kBlock, in.frames() - n);
      out.resize(count * ch);
      in.read(static_cast<std::int64_t>(n), count, out.data());
      sink(out.data(), count);
    }
    return in.frames();
  }
  const Resampler resampler(in.sample_rate(), sample_rate);
  const std::size_t out_frames = resampler.out_frames(in.frames());
  for (std::size_t n0 = 0; n0 < out_frames; n0 += kBlock) {
    cancel.throw_if_cancelled();
    const std::size_t n1 = std::min(out_frames, n0 + kBlock);
    const auto [first, last] = resampler.inputs_of(n0, n1);
    window.resize(static_cast<std::size_t>(last - first) * ch);
    in.read(first, static_cast<std::size_t>(last - first), window.data());
    out.assign((n1 - n0) * ch, 0.0f);
    resampler.run(window.data(), first, static_cast<long long>(in.frames()), ch, n0, n1,
                  out.data());
    sink(out.data(), n1 - n0);
  }
  return out_frames;
}

std::vector<float> ducking_gain(const AudioBuffer& speech, const DuckOptions& options) {
  const std::size_t frames = speech.frames();
  std::vector<float> gain(frames, 1.0f);
  if (frames == 0) return gain;
  const auto ch = static_cast<std::size_t>(speech.channels);
  const double sr = speech.sample_rate;
  // Speech activity from the RMS of 20 ms windows, held open for `hold_s`.
  const auto window = std::max<std::size_t>(1, static_cast<std::size_t>(0.02 * sr));
  const double threshold = std::pow(10.0, options.threshold_db / 20.0);
  const auto hold = static_cast<std::size_t>(options.hold_s * sr);
  std::vector<float> active(frames, 0.0f);
  std::size_t open_until = 0;
  for (std::size_t start = 0; start < frames; start += window) {
    const std::size_t end = std::min(frames, start + window);
    double power = 0;
    for (std::size_t n = start; n < end; ++n)
      for (std::size_t c = 0; c < ch; ++c)
        power += double(speech.samples[n * ch + c]) * speech.samples[n * ch + c];
    power /= static_cast<double>((end - start) * ch);
    if (std::sqrt(power) > threshold) open_until = std::max(open_until, end + hold);
    for (std::size_t n = start; n < end; ++n) active[n] = n < open_until ? 1.0f : 0.0f;
  }
  // Look ahead by the attack time so the music is already down when a sentence starts.
  const auto attack = std::max<std::size_t>(1, static_cast<std::size_t>(options.attack_s * sr));
  for (std::size_t n = 0; n < frames; ++n)
    if (active[n] > 0 && n >= attack && active[n - attack] == 0) {
      for (std::size_t k = n - attack; k < n; ++k) active[k] = 1.0f;
    }
  // Smooth: attack and release ramps (one-pole), then depth.
  const double a_attack = 1.0 - std::exp(-1.0 / (options.attack_s * sr / 3));
  const double a_release = 1.0 - std::exp(-1.0 / std::max(1.0, options.release_s * sr / 3));
  const double depth = 1.0 - std::pow(10.0, -options.depth_db / 20.0);
  double env = 0;
  for (std::size_t n = 0; n < frames; ++n) {
    const double target = active[n];
    env += (target - env) * (target > env ? a_attack : a_release);
    gain[n] = static_cast<float>(1.0 - depth * env);
  }
  return gain;
}

namespace {

AudioBuffer speech_at(const AudioBuffer& music, const AudioBuffer& speech) {
  if (music.channels <= 0 || music.sample_rate <= 0)
    fail_usage("the music to mix has no channels or sample rate", "render the music first");
  return speech.sample_rate == music.sample_rate || speech.frames() == 0
             ? speech
             : resample(speech, music.sample_rate);
}

// The music (padded to the speech's length) times the ducking gain of `voice`, at one rate.
AudioBuffer duck(const AudioBuffer& music, const AudioBuffer& voice, const DuckOptions& options) {
  AudioBuffer out = music;
  const std::size_t frames = std::max(music.frames(), voice.frames());
  const auto ch = static_cast<std::size_t>(music.channels);
  out.samples.resize(frames * ch, 0.0f);
  if (voice.frames() == 0) return out;
  const std::vector<float> gain = ducking_gain(voice, options);
  for (std::size_t n = 0; n < gain.size() && n < frames; ++n)
    for (std::size_t c = 0; c < ch; ++c) out.samples[n * ch + c] *= gain[n];
  return out;
}

}  // namespace

AudioBuffer duck_music(const AudioBuffer& music, const AudioBuffer& speech,
                       const DuckOptions& options) {
  return duck(music, speech_at(music, speech), options);
}

AudioBuffer mix_with_narration(const AudioBuffer& music, const AudioBuffer& speech,
                               const DuckOptions& options) {
  const AudioBuffer voice = speech_at(music, speech);
  AudioBuffer out = duck(music, voice, options);
  if (voice.frames() == 0) return out;
  const auto ch = static_cast<std::size_t>(out.channels);
  const auto vch = static_cast<std::size_t>(voice.channels);
  const auto speech_gain = static_cast<float>(std::pow(10.0, options.speech_gain_db / 20.0));
  for (std::size_t n = 0; n < voice.frames(); ++n)
    for (std::size_t c = 0; c < ch; ++c)
      out.samples[n * ch + c] += voice.samples[n * vch + std::min(c, vch - 1)] * speech_gain;
  return out;
}

}  // namespace tonepoem

namespace tonepoem {

NarrationMix::NarrationMix(const PcmSource& music, const AudioBuffer& speech,
                           const DuckOptions& options)
    : music_(music) {
  if (music.channels() <= 0 || music.sample_rate() <= 0)
    fail_usage("the music to mix has no channels or sample rate", "render the music first");
  voice_ = speech.sample_rate == music.sample_rate() || speech.frames() == 0
               ? speech
               : resample(speech, music.sample_rate());
  if (voice_.frames() > 0) gain_ = ducking_gain(voice_, options);
  speech_gain_ = static_cast<float>(std::pow(10.0, options.speech_gain_db / 20.0));
  frames_ = std::max(music.frames(), voice_.frames());
}

void NarrationMix::read(std::int64_t first, std::size_t count, float* out) const {
  // As duck() then mix_with_narration(): music * gain, then + voice * speech gain.
  music_.read(first, count, out);
  const auto ch = static_cast<std::size_t>(music_.channels());
  const auto vch = static_cast<std::size_t>(voice_.channels);
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t n = first + static_cast<std::int64_t>(i);
    if (n < 0 || static_cast<std::size_t>(n) >= frames_) {
      for (std::size_t c = 0; c < ch; ++c) out[i * ch + c] = 0.0f;
      continue;
    }
    const auto k = static_cast<std::size_t>(n);
    if (k >= voice_.frames()) continue;
    for (std::size_t c = 0; c < ch; ++c) out[i * ch + c] *= gain_[k];
    for (std::size_t c = 0; c < ch; ++c)
      out[i * ch + c] += voice_.samples[k * vch + std::min(c, vch - 1)] * speech_gain_;
  }
}

}  // namespace tonepoem
