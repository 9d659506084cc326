// The `score` job: a film (and its subtitles, if any) -> music that follows the picture and the
// dialogue: scored.mp4 (the film's video stream copied packet for packet, the original audio
// mixed with the score and mastered), score.mid, music.wav (the music alone, ducked, at its gain
// in the mix), cues.json and report.json, written through the job's OutputSink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "core/error.h"
#include "footage/film_cues.h"
#include "footage/footage.h"
#include "jobs/job.h"
#include "model/score.h"
#include "text/analyze.h"
#include "text/document.h"

namespace tonepoem {

struct ScoreOptions {
  std::filesystem::path video;      // any file FFmpeg opens with a video stream
  std::filesystem::path subtitles;  // SRT or WebVTT; empty: none (the picture alone drives)
  double duck_db = 10;              // how far the music drops under each subtitle, 0 .. 40 dB
  std::uint64_t seed = 1;
  std::filesystem::path soundfont;  // empty: the installed GM SoundFont (find_soundfont)
  LanguageChoice language = LanguageChoice::automatic;
  ShotOptions shots;
  FitOptions fit;
  // The music's loudness under the original audio (when the film has some), in LU before ducking.
  double music_under_original_lu = 3.0;

  // Every problem, each naming its field ("video", "subtitles", "duck") and what it accepts.
  OptionProblems validate() const;
};

struct ScoreResult {
  FootageAnalysis film;
  bool dialogue = false;  // subtitles drove the arc
  Document document;
  EmotionArc arc;
  CueSheet cues;
  std::vector<BoundaryPlacement> boundaries;  // with dialogue: where each cue boundary went
  Score score;
  LoudnessReport loudness;   // the mastered mix
  LoudnessReport delivered;  // the AAC audio decoded back from scored.mp4
  double original_lufs = 0;  // of the film's own audio (-inf when silent; 0 when none)
  std::filesystem::path soundfont;
  nlohmann::json outputs = nlohmann::json::object();
  nlohmann::json report;
};

// Reads the subtitles (fast, so a bad file fails before the film is decoded), analyses the
// picture, plans (subtitles: plan/plan.h over the film's length, fitted to it with
// fit_cues_to_film; none: picture_cues), composes, synthesizes, ducks, mixes and masters to -14
// LUFS, then writes cues.json, score.mid, music.wav, scored.mp4 and report.json last, each
// atomically. Resources are checked before slow work. Throws InvalidOptions for bad options,
// Error(bad_input) naming the file for a file that is not a video, has no video stream, or
// subtitles with no timings or a line that starts after the film ends (nothing is written then),
// Error(interrupted) once the token is cancelled.
ScoreResult run_score(const ScoreOptions& options, JobContext& context);

}  // namespace tonepoem
