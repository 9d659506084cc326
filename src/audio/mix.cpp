// Mixing helpers: sample-rate conversion and music ducked under narration.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
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

AudioBuffer resample(const AudioBuffer& in, int sample_rate) {
  if (sample_rate <= 0 || in.sample_rate <= 0 || in.channels <= 0)
    fail_usage(fmt::format("cannot resample from {} Hz to {} Hz", in.sample_rate, sample_rate),
               "use positive sample rates");
  if (sample_rate == in.sample_rate) return in;
  AudioBuffer out;
  out.sample_rate = sample_rate;
  out.channels = in.channels;
  const std::size_t in_frames = in.frames();
  const double ratio = static_cast<double>(sample_rate) / in.sample_rate;
  const auto out_frames =
      static_cast<std::size_t>(std::llround(static_cast<double>(in_frames) * ratio));
  out.samples.assign(out_frames * static_cast<std::size_t>(in.channels), 0.0f);
  // Lanczos-windowed sinc, cut off at the lower Nyquist frequency.
  constexpr int kLobes = 8;
  const double cutoff = std::min(1.0, ratio);  // in units of the input Nyquist
  const double half_width = kLobes / cutoff;   // in input samples
  const auto ch = static_cast<std::size_t>(in.channels);
  std::vector<double> acc(ch);
  // Output n sits at input position n * M / L (rates reduced to L/M): there are only L distinct
  // fractional positions, so the kernel is tabulated per phase when L is small (44.1k <-> 48k,
  // 22.05k -> 44.1k), else computed per output sample.
  const long long g = std::gcd(in.sample_rate, sample_rate);
  const long long L = sample_rate / g, M = in.sample_rate / g;
  const auto k_lo = static_cast<long long>(std::floor(-half_width)) - 1;
  const auto taps = static_cast<std::size_t>(2 * (-k_lo) + 2);
  std::vector<double> table;
  if (L <= 4096) {
    table.assign(static_cast<std::size_t>(L) * taps, 0.0);
    for (long long p = 0; p < L; ++p)
      for (std::size_t j = 0; j < taps; ++j) {
        const double d =
            static_cast<double>(k_lo + static_cast<long long>(j)) - static_cast<double>(p) / L;
        if (std::abs(d) <= half_width)
          table[static_cast<std::size_t>(p) * taps + j] =
              sinc(d * cutoff) * sinc(d * cutoff / kLobes);
      }
  }
  const auto in_count = static_cast<long long>(in_frames);
  for (std::size_t n = 0; n < out_frames; ++n) {
    double norm = 0;
    std::fill(acc.begin(), acc.end(), 0.0);
    if (!table.empty()) {
      const long long pos = static_cast<long long>(n) * M;
      const long long base = pos / L, phase = pos % L;
      const double* w = table.data() + static_cast<std::size_t>(phase) * taps;
      for (std::size_t j = 0; j < taps; ++j) {
        const long long i = base + k_lo + static_cast<long long>(j);
        if (i < 0 || i >= in_count || w[j] == 0) continue;
        norm += w[j];
        for (std::size_t c = 0; c < ch; ++c)
          acc[c] += w[j] * in.samples[static_cast<std::size_t>(i) * ch + c];
      }
    } else {
      const double centre = static_cast<double>(n) / ratio;
      const auto first = static_cast<long long>(std::ceil(centre - half_width));
      const auto last = static_cast<long long>(std::floor(centre + half_width));
      for (long long i = std::max(0LL, first); i <= last && i < in_count; ++i) {
        const double x = (static_cast<double>(i) - centre) * cutoff;
        const double w = sinc(x) * sinc(x / kLobes);
        norm += w;
        for (std::size_t c = 0; c < ch; ++c)
          acc[c] += w * in.samples[static_cast<std::size_t>(i) * ch + c];
      }
    }
    if (norm == 0) continue;
    for (std::size_t c = 0; c < ch; ++c)
      out.samples[n * ch + c] = static_cast<float>(acc[c] / norm);
  }
  return out;
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
