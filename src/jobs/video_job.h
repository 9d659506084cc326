// The `video` job: the video of a folder written by `make` again (another style, size or font),
// or one frame of it as a PNG, written through the job's OutputSink.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/error.h"
#include "jobs/job.h"
#include "jobs/make_job.h"
#include "video/video.h"

namespace tonepoem {

struct VideoJobOptions {
  std::filesystem::path make_dir;  // holds score.wav, score.mid and cues.json
  std::string output_name;         // the MP4 (or, with snapshot_s, the PNG) in the sink
  VideoOptions video;
  CaptionFormat captions = CaptionFormat::none;  // also captions.srt or captions.ass
  std::optional<double> snapshot_s;              // one frame at this time instead of the video

  // Fields: "make_dir", "output_name", "snapshot", and VideoOptions' own.
  OptionProblems validate() const;
};

// Throws InvalidOptions, Error(bad_input) naming a missing or unreadable input of make_dir,
// Error(missing_resource) for fonts, Error(output), Error(interrupted) leaving no file.
void run_video(const VideoJobOptions& options, JobContext& context);

}  // namespace tonepoem
