// The `analyze-audio` job: a song (any audio FFmpeg's libraries decode) into its Timeline (beats,
// downbeats, meter, sections; audio_analysis/analysis.h) as JSON, and the song reading that
// `mv` shares: one decode, with the checks a user's file needs before any slow work.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "audio_analysis/analysis.h"
#include "core/error.h"
#include "jobs/job.h"
#include "model/audio.h"

namespace tonepoem {

// Songs shorter than this have too few beats to find a tempo; longer than kMaxSongS are refused
// before decoding finishes eating memory (about 1.3 GB of float samples an hour at 44.1 kHz).
inline constexpr double kMinSongS = 2.0;
inline constexpr double kMaxSongS = 3600.0;

// Decodes `path` (audio/audio.h: read_audio; libsndfile, else FFmpeg: mp3, flac, wav, ogg, opus,
// m4a, the audio of an mp4/mkv). Throws Error(bad_input) naming the file and the fix when it is
// missing, not audio, shorter than kMinSongS, longer than kMaxSongS, or silent (peak under
// -80 dBFS).
AudioBuffer load_song(const std::filesystem::path& path);

// The analysis as JSON: the Timeline's fields (model/timeline.h; from_json reads it back as a
// Timeline) plus tempo_bpm, beats_per_bar, aubio_beats (aubio's raw tracker), onsets and
// bar_loudness_db.
nlohmann::json analysis_json(const AudioAnalysis& analysis);

struct AnalyzeAudioJobOptions {
  std::filesystem::path song;
  std::string output_name;  // timeline JSON in the sink; empty: only returned
  AudioAnalysisOptions analysis;

  // Fields: "song", and AudioAnalysisOptions' own.
  OptionProblems validate() const;
};

struct AnalyzeAudioJobResult {
  AudioAnalysis analysis;
  std::string json;  // analysis_json, indented, with a final newline
};

// Throws InvalidOptions, Error(bad_input) from load_song or when no beat is found (the fix: give
// music with a pulse), Error(output), Error(interrupted).
AnalyzeAudioJobResult run_analyze_audio(const AnalyzeAudioJobOptions& options, JobContext& context);

}  // namespace tonepoem
