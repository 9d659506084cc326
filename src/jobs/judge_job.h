// The `judge` job: the emotion a MIDI file or an audio file carries, per section or per window.
// A MIDI file with its rendering (`audio`) is judged from both, combined (judge.h:
// combine_judgements).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "core/error.h"
#include "jobs/job.h"

namespace tonepoem {

struct JudgeJobOptions {
  std::filesystem::path file;   // .mid/.midi: a score; anything else: audio (FFmpeg decodes it)
  std::filesystem::path audio;  // optional, with a MIDI file: its rendering, judged alongside
  double segments_s = 0;        // windows of this length; 0: the MIDI's sections or whole audio

  // Fields: "file", "audio", "segments".
  OptionProblems validate() const;
};

struct JudgedSpan {
  double start_s = 0, end_s = 0;
  std::string section;  // the MIDI section's name, when judging sections
  Emotion emotion;
  std::string source;  // "score", "audio" or "score+audio"
};

// Throws InvalidOptions, Error(bad_input) naming an unreadable file.
std::vector<JudgedSpan> run_judge(const JudgeJobOptions& options, JobContext& context);

// {"start", "end", "valence", "arousal", "tension", "confidence", "quadrant", "source",
//  ["section"]}
void to_json(nlohmann::json& j, const JudgedSpan& span);

}  // namespace tonepoem
