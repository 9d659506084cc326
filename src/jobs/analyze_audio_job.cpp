#include "jobs/analyze_audio_job.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "core/files.h"

namespace tonepoem {

namespace {
constexpr std::string_view kSongFix =
    "give a song file FFmpeg decodes (mp3, flac, wav, ogg, opus, m4a, or a video with sound)";
}

AudioBuffer load_song(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail_input(path.string(), "not found (or not a file)", kSongFix);
  const auto bytes = std::filesystem::file_size(path, ec);
  // 10 minutes of WAV is about 100 MB; an hour of 24-bit 96 kHz about 2 GB.
  if (!ec && bytes > 4'000'000'000ull)
    fail_input(path.string(), "is over 4 GB", "give a song of at most an hour");
  AudioBuffer audio;
  try {
    audio = read_audio(path);
  } catch (const Error& e) {
    fail_input(path.string(), "cannot be decoded as audio (" + std::string(e.what()) + ")",
               kSongFix);
  }
  const double duration = audio.duration_s();
  if (duration < kMinSongS)
    fail_input(path.string(), fmt::format("is {:.2f} s long: too short to find a beat", duration),
               fmt::format("give a song of at least {:.0f} s", kMinSongS));
  if (duration > kMaxSongS)
    fail_input(path.string(), fmt::format("is {:.0f} minutes long", duration / 60),
               fmt::format("give a song of at most {:.0f} minutes (cut it with ffmpeg -t)",
                           kMaxSongS / 60));
  float peak = 0;
  for (float s : audio.samples) peak = std::max(peak, std::abs(s));
  if (!(peak >= 1e-4f))  // -80 dBFS; also catches NaN
    fail_input(path.string(), "is silent (its loudest sample is under -80 dBFS)",
               "give the song's mastered audio, not a silent track");
  return audio;
}

nlohmann::json analysis_json(const AudioAnalysis& analysis) {
  nlohmann::json j = analysis.timeline;
  j["tempo_bpm"] = analysis.tempo_bpm;
  j["beats_per_bar"] = analysis.beats_per_bar;
  j["aubio_beats"] = analysis.raw_beats;
  j["onsets"] = analysis.onsets;
  j["bar_loudness_db"] = analysis.bar_loudness_db;
  return j;
}

OptionProblems AnalyzeAudioJobOptions::validate() const {
  OptionProblems problems;
  if (song.empty()) problems.push_back({"song", "give the song to analyse"});
  for (OptionProblem& p : analysis.validate()) problems.push_back(std::move(p));
  return problems;
}

AnalyzeAudioJobResult run_analyze_audio(const AnalyzeAudioJobOptions& options,
                                        JobContext& context) {
  throw_if_invalid(options.validate());
  if (!options.output_name.empty()) context.outputs().check_writable();
  context.stage("decode");
  const AudioBuffer audio = load_song(options.song);
  context.stage("analyze");
  AnalyzeAudioJobResult result;
  result.analysis = analyze_audio(audio, options.analysis, context.cancel());
  result.analysis.timeline.title = options.song.stem().string();
  if (result.analysis.timeline.beats.size() < 2)
    fail_input(options.song.string(), "no steady beat found",
               "give music with a pulse (beats and downbeats are what the video is cut to)");
  result.json = analysis_json(result.analysis).dump(2) + "\n";
  if (!options.output_name.empty()) {
    write_file_atomically(context.outputs().path_for(options.output_name), result.json);
    context.outputs().written(options.output_name);
  }
  context.finish_stage();
  return result;
}

}  // namespace tonepoem
