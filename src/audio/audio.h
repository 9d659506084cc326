// Stage 6, synthesize and master: a Score into PCM through FluidSynth and a General MIDI
// SoundFont, then loudness-normalised (EBU R128 via libebur128) with a peak ceiling.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/progress.h"
#include "music/score.h"

namespace tonepoem {

struct AudioBuffer {
  int sample_rate = 44100;
  int channels = 2;
  std::vector<float> samples;  // interleaved, nominally in [-1, 1]
  std::size_t frames() const { return channels ? samples.size() / static_cast<std::size_t>(channels) : 0; }
  double duration_s() const { return sample_rate ? static_cast<double>(frames()) / sample_rate : 0.0; }
};

// The SoundFont to use: `requested` if non-empty (must exist and be a readable SF2), else the first
// installed General MIDI SoundFont among Debian's paths (fluid-soundfont-gm's FluidR3_GM.sf2, then
// timgm6mb's TimGM6mb.sf2, then /usr/share/sounds/sf2/default-GM.sf2).
// Throws Error(missing_resource) naming the file (or the paths searched) and the package to install.
std::filesystem::path find_soundfont(const std::filesystem::path& requested);

struct SynthOptions {
  std::filesystem::path soundfont;  // resolved path (find_soundfont)
  int sample_rate = 44100;
  double tail_s = 1.0;              // rendered past the score's end so the last notes decay
};

// Renders the score offline (events in time order, fluid_synth_write_float between them).
// Output: stereo float, duration = score.duration_s() + tail_s. Throws Error(missing_resource)
// if the SoundFont cannot be loaded. Calls check_interrupted() periodically.
AudioBuffer synthesize(const Score& score, const SynthOptions& options, const ProgressFn& progress = {});

struct LoudnessReport {
  double integrated_lufs = 0;
  double true_peak_dbtp = 0;
  double gain_db = 0;          // gain applied by master()
};
LoudnessReport measure_loudness(const AudioBuffer& audio);

struct MasterOptions {
  double target_lufs = -14.0;
  double true_peak_ceiling_dbtp = -1.0;
  double fade_in_s = 0.01, fade_out_s = 0.5;
};
// Gain to the target loudness, a limiter that keeps true peak at or below the ceiling, and short
// fades. Returns the measurement after mastering (gain_db = gain applied).
LoudnessReport master(AudioBuffer& audio, const MasterOptions& options);

// 16-bit PCM WAV through libsndfile, written atomically. Throws Error(output).
void write_wav(const AudioBuffer& audio, const std::filesystem::path& path);
// Reads any file libsndfile knows into float samples. Throws Error(bad_input).
AudioBuffer read_audio(const std::filesystem::path& path);

void to_json(nlohmann::json& j, const LoudnessReport& r);

}  // namespace tonepoem
