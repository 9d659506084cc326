// The `compose` job: one emotion, or a cue sheet (cues.json, possibly edited by a person) -> a
// MIDI score (and MusicXML when asked), written through the job's OutputSink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/error.h"
#include "jobs/job.h"
#include "model/cue_sheet.h"
#include "model/score.h"

namespace tonepoem {

// An emotion target as a front-end gives it. Without a tension, a negative high-arousal emotion
// implies some threat: tension = clamp((arousal - valence) / 2, 0, 1).
struct EmotionTarget {
  double valence = 0, arousal = 0;  // [-1, 1]
  std::optional<double> tension;    // [0, 1]
  Emotion emotion() const;
};

struct ComposeJobOptions {
  std::filesystem::path cues;            // a cue sheet, or
  std::optional<EmotionTarget> emotion;  // one emotion for duration_s
  double duration_s = 30;                // with `emotion`: 5 .. 3600
  std::optional<std::uint64_t> seed;     // default: the cue sheet's seed, or 1
  std::string style;                     // a music style; "": the cue sheet's (default: default)
  std::string midi_name = "score.mid";   // the MIDI file's name in the sink
  std::string musicxml_name;             // empty: no MusicXML

  // Fields: "cues" (with "emotion": exactly one of them), "emotion", "duration", "style",
  // "midi_name".
  OptionProblems validate() const;
};

struct ComposeJobResult {
  CueSheet cues;
  Score score;
};

// Throws InvalidOptions, Error(bad_input) for a cue sheet that does not load (naming the file and
// the cue), Error(output) when the sink cannot take the files.
ComposeJobResult run_compose(const ComposeJobOptions& options, JobContext& context);

}  // namespace tonepoem
