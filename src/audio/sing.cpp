// The sung guide vocal (sing.h). espeak-ng with a pitch range of 0 speaks on one steady pitch set
// by its pitch parameter; the pitch each parameter gives is measured once per call, each note is
// spoken at the parameter nearest its pitch (so the shift left to Rubber Band is small), then
// shifted by the remaining ratio and stretched to the note's length in one offline pass.
#include "audio/sing.h"

#include <rubberband/RubberBandStretcher.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "audio/espeak_engine.h"
#include "core/error.h"

namespace tonepoem {
namespace {

constexpr float kSilence = 1e-3f;  // -60 dBFS: espeak-ng pads with digital silence
constexpr std::array kPitchParameters = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99};

double midi_hz(int pitch) {
  return 440.0 * std::pow(2.0, (pitch - 69) / 12.0);
}

// The samples between the first and the last that sound.
std::vector<float> trimmed(const std::vector<float>& samples) {
  std::size_t first = 0, last = samples.size();
  while (first < last && std::abs(samples[first]) < kSilence) ++first;
  while (last > first && std::abs(samples[last - 1]) < kSilence) --last;
  return {samples.begin() + static_cast<std::ptrdiff_t>(first),
          samples.begin() + static_cast<std::ptrdiff_t>(last)};
}

// `input` at `pitch_scale` times its pitch and `time_ratio` times its length (formants kept).
std::vector<float> shift_and_stretch(const std::vector<float>& input, int sample_rate,
                                     double time_ratio, double pitch_scale) {
  using RubberBand::RubberBandStretcher;
  RubberBandStretcher stretcher(
      static_cast<std::size_t>(sample_rate), 1,
      RubberBandStretcher::OptionProcessOffline | RubberBandStretcher::OptionEngineFaster |
          RubberBandStretcher::OptionFormantPreserved | RubberBandStretcher::OptionPitchHighQuality,
      time_ratio, pitch_scale);
  stretcher.setExpectedInputDuration(input.size());
  constexpr std::size_t kBlock = 1024;
  for (std::size_t at = 0; at < input.size(); at += kBlock) {
    const float* block = input.data() + at;
    const std::size_t n = std::min(kBlock, input.size() - at);
    stretcher.study(&block, n, at + n >= input.size());
  }
  std::vector<float> out;
  std::vector<float> chunk;
  auto drain = [&] {
    for (int available = stretcher.available(); available > 0; available = stretcher.available()) {
      chunk.resize(static_cast<std::size_t>(available));
      float* into = chunk.data();
      const std::size_t got = stretcher.retrieve(&into, chunk.size());
      out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    }
  };
  for (std::size_t at = 0; at < input.size(); at += kBlock) {
    const float* block = input.data() + at;
    const std::size_t n = std::min(kBlock, input.size() - at);
    stretcher.process(&block, n, at + n >= input.size());
    drain();
  }
  drain();
  return out;
}

// espeak-ng's pitch and range parameters back as they were however singing ends, so that a
// narration after it speaks with its usual intonation.
class SpeakingVoiceRestorer {
 public:
  explicit SpeakingVoiceRestorer(EspeakSession& espeak)
      : espeak_(espeak),
        pitch_(espeak.parameter(espeakPITCH)),
        range_(espeak.parameter(espeakRANGE)) {}
  SpeakingVoiceRestorer(const SpeakingVoiceRestorer&) = delete;
  SpeakingVoiceRestorer& operator=(const SpeakingVoiceRestorer&) = delete;
  ~SpeakingVoiceRestorer() {
    espeak_.set_parameter(espeakPITCH, pitch_);
    espeak_.set_parameter(espeakRANGE, range_);
  }

 private:
  EspeakSession& espeak_;
  int pitch_, range_;
};

void check_notes(const std::vector<SungNote>& notes) {
  for (std::size_t i = 0; i < notes.size(); ++i) {
    const SungNote& n = notes[i];
    const bool has_text = n.text.find_first_not_of(" \t\n") != std::string::npos;
    if (!has_text || n.pitch < 0 || n.pitch > 127 || !std::isfinite(n.start_s) ||
        !std::isfinite(n.end_s) || n.start_s < 0 || !(n.end_s > n.start_s))
      fail_usage(fmt::format("sung note {} (\"{}\", pitch {}, {:.3f}..{:.3f} s) cannot be sung", i,
                             n.text, n.pitch, n.start_s, n.end_s),
                 "give each note a syllable, a MIDI pitch 0..127 and an end after its start");
  }
}

}  // namespace

std::vector<std::string> SingOptions::validate() const {
  std::vector<std::string> problems;
  if (voice.empty())
    problems.emplace_back("voice is empty (accepted: an espeak-ng voice such as en+f3)");
  if (!(breath_s >= 0 && breath_s <= 0.5))
    problems.push_back(fmt::format("breath_s = {} (accepted: 0 to 0.5)", breath_s));
  return problems;
}

double steady_pitch_hz(const std::vector<float>& mono, int sample_rate, double low_hz,
                       double high_hz) {
  if (sample_rate <= 0 || !(low_hz > 0) || !(high_hz > low_hz)) return 0;
  const auto window = static_cast<std::size_t>(0.03 * sample_rate);
  const auto lag_min = static_cast<std::size_t>(sample_rate / high_hz);
  const auto lag_max = static_cast<std::size_t>(std::ceil(sample_rate / low_hz));
  if (window == 0 || lag_min < 2 || mono.size() < window + lag_max + 1) return 0;
  std::vector<double> pitches, difference(lag_max + 1);
  for (std::size_t start = 0; start + window + lag_max < mono.size(); start += window / 2) {
    double energy = 0;
    for (std::size_t i = 0; i < window; ++i) energy += double(mono[start + i]) * mono[start + i];
    if (energy / static_cast<double>(window) < 1e-4) continue;  // under -40 dBFS
    for (std::size_t lag = 1; lag <= lag_max; ++lag) {
      double d = 0;
      for (std::size_t i = 0; i < window; ++i) {
        const double q = double(mono[start + i]) - mono[start + i + lag];
        d += q * q;
      }
      difference[lag] = d;
    }
    // Cumulative mean normalised difference; the first dip under 0.15, taken to its bottom.
    double running = 0;
    std::size_t found = 0;
    std::vector<double> normalised(lag_max + 1, 1.0);
    for (std::size_t lag = 1; lag <= lag_max; ++lag) {
      running += difference[lag];
      normalised[lag] = running > 0 ? difference[lag] * static_cast<double>(lag) / running : 1.0;
    }
    for (std::size_t lag = lag_min; lag <= lag_max; ++lag) {
      if (normalised[lag] >= 0.15) continue;
      while (lag + 1 <= lag_max && normalised[lag + 1] < normalised[lag]) ++lag;
      found = lag;
      break;
    }
    if (found == 0) continue;
    // Parabolic interpolation around the dip for a fraction of a sample.
    double lag = static_cast<double>(found);
    if (found > 1 && found < lag_max) {
      const double a = normalised[found - 1], b = normalised[found], c = normalised[found + 1];
      const double denominator = a - 2 * b + c;
      if (denominator > 0) lag += 0.5 * (a - c) / denominator;
    }
    pitches.push_back(sample_rate / lag);
  }
  if (pitches.empty()) return 0;
  std::nth_element(pitches.begin(),
                   pitches.begin() + static_cast<std::ptrdiff_t>(pitches.size() / 2),
                   pitches.end());
  return pitches[pitches.size() / 2];
}

AudioBuffer sing(const std::vector<SungNote>& notes, const SingOptions& options,
                 const CancelToken& cancel) {
  if (const auto problems = options.validate(); !problems.empty())
    fail_usage("invalid singing options:\n    " + fmt::format("{}", fmt::join(problems, "\n    ")),
               "correct the values listed above");
  check_notes(notes);
  AudioBuffer out;
  out.channels = 1;
  double end_s = 0;
  for (const SungNote& n : notes) end_s = std::max(end_s, n.end_s);

  // espeak-ng, one caller at a time: every syllable spoken at the pitch parameter nearest its
  // note, and the shift left for Rubber Band.
  struct Spoken {
    std::vector<float> samples;
    double pitch_scale = 1;
  };
  std::vector<Spoken> spoken(notes.size());
  {
    EspeakSession espeak;
    const SpeakingVoiceRestorer restore(espeak);
    if (!espeak.select_voice(options.voice))
      fail_resource(options.voice, "espeak-ng has no such voice",
                    "use en+f3 (English) or cmn-latn-pinyin+f3 (Mandarin); espeak-ng --voices "
                    "lists them all");
    espeak.set_parameter(espeakRANGE, 0);  // one steady pitch: the melody is Rubber Band's
    out.sample_rate = espeak.sample_rate();
    // The steady pitch of each parameter, measured on "la" (read alike by the English and pinyin
    // voices): espeak-ng's pitch for a parameter depends on the voice, not on the words.
    std::array<double, kPitchParameters.size()> parameter_hz{};
    for (std::size_t i = 0; i < kPitchParameters.size(); ++i) {
      espeak.set_parameter(espeakPITCH, kPitchParameters[i]);
      parameter_hz[i] = steady_pitch_hz(trimmed(espeak.synthesize("la").samples), out.sample_rate);
    }
    for (std::size_t k = 0; k < notes.size(); ++k) {
      cancel.throw_if_cancelled();
      const double target_hz = midi_hz(notes[k].pitch);
      std::size_t nearest = kPitchParameters.size();
      for (std::size_t i = 0; i < kPitchParameters.size(); ++i)
        if (parameter_hz[i] > 0 && (nearest == kPitchParameters.size() ||
                                    std::abs(std::log(parameter_hz[i] / target_hz)) <
                                        std::abs(std::log(parameter_hz[nearest] / target_hz))))
          nearest = i;
      if (nearest == kPitchParameters.size())
        throw Error(ExitCode::internal, "espeak-ng's voice has no measurable pitch", options.voice);
      espeak.set_parameter(espeakPITCH, kPitchParameters[nearest]);
      spoken[k] = {trimmed(espeak.synthesize(notes[k].text).samples),
                   target_hz / parameter_hz[nearest]};
    }
  }
  const double sr = out.sample_rate;
  out.samples.assign(static_cast<std::size_t>(std::ceil(end_s * sr)), 0.0f);

  // Rubber Band, note by note on every core: each note is shifted alone, so the result does not
  // depend on how many threads there are.
  std::vector<std::vector<float>> sung(notes.size());
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto work = [&] {
    try {
      for (std::size_t k = next++; k < notes.size() && !cancel.cancelled(); k = next++) {
        if (spoken[k].samples.empty()) continue;  // nothing to say (punctuation)
        const double length_s = notes[k].end_s - notes[k].start_s;
        const double sounding_s = length_s - std::min(options.breath_s, 0.2 * length_s);
        const auto wanted = static_cast<std::size_t>(std::llround(sounding_s * sr));
        if (wanted == 0) continue;
        sung[k] = shift_and_stretch(
            spoken[k].samples, out.sample_rate,
            static_cast<double>(wanted) / static_cast<double>(spoken[k].samples.size()),
            spoken[k].pitch_scale);
        sung[k].resize(std::min(wanted, sung[k].size()));
      }
    } catch (...) {
      const std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& w : workers) w.join();
  if (error) std::rethrow_exception(error);
  cancel.throw_if_cancelled();

  for (std::size_t k = 0; k < notes.size(); ++k) {
    const std::vector<float>& note = sung[k];
    const std::size_t count = note.size();
    const auto first = static_cast<std::size_t>(std::llround(notes[k].start_s * sr));
    // Short fades: no click where a syllable is cut to its note.
    const double fade_in = 0.005 * sr, fade_out = std::min(0.025 * sr, count / 3.0);
    for (std::size_t i = 0; i < count && first + i < out.samples.size(); ++i) {
      double gain = 1.0;
      if (static_cast<double>(i) < fade_in) gain = static_cast<double>(i) / fade_in;
      const double from_end = static_cast<double>(count - i);
      if (from_end < fade_out) gain = std::min(gain, from_end / fade_out);
      out.samples[first + i] += static_cast<float>(note[i] * gain);
    }
  }
  return out;
}

}  // namespace tonepoem
