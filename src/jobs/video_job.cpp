#include "jobs/video_job.h"

#include <fmt/format.h>

#include "core/files.h"
#include "model/timeline.h"
#include "music/midi.h"

namespace fs = std::filesystem;

namespace tonepoem {

OptionProblems VideoJobOptions::validate() const {
  OptionProblems problems;
  if (make_dir.empty()) problems.push_back({"make_dir", "give the folder written by make"});
  if (output_name.empty()) problems.push_back({"output_name", "give the file to write"});
  if (snapshot_s && !(*snapshot_s >= 0))
    problems.push_back({"snapshot", fmt::format("{} is not a time in seconds", *snapshot_s)});
  for (OptionProblem& p : video.validate()) problems.push_back(std::move(p));
  return problems;
}

void run_video(const VideoJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  for (const char* name : {"score.wav", "score.mid", "cues.json"})
    if (!std::filesystem::exists(options.make_dir / name))
      fail_input((options.make_dir / name).string(), "not found",
                 "give a folder written by tonepoem make (one made without video is fine)");
  context.outputs().check_writable();
  context.stage("read");
  const fs::path wav = options.make_dir / "score.wav";
  const Score score = load_midi(options.make_dir / "score.mid");
  const Timeline timeline =
      timeline_from_score(load_cue_sheet(options.make_dir / "cues.json"), score);
  if (options.snapshot_s) {
    context.stage("snapshot");
    write_snapshot(read_audio(wav), timeline, options.video, *options.snapshot_s,
                   context.outputs().path_for(options.output_name));
    context.outputs().written(options.output_name);
  } else {
    const ProgressFn progress = context.stage("video");
    // Read from the file as the frames need it: memory stays flat for an hours-long score.
    render_video(*open_audio(wav), timeline, options.video,
                 context.outputs().path_for(options.output_name), progress, context.cancel());
    context.outputs().written(options.output_name);
    if (options.captions != CaptionFormat::none) {
      const bool srt = options.captions == CaptionFormat::srt;
      const std::string name = srt ? "captions.srt" : "captions.ass";
      write_file_atomically(context.outputs().path_for(name),
                            srt ? captions_srt(timeline) : captions_ass(timeline, options.video));
      context.outputs().written(name);
    }
  }
  context.finish_stage();
}

}  // namespace tonepoem
