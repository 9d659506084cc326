#include "jobs/job.h"

namespace tonepoem {

JobContext::JobContext(ProgressSink& progress, CancelToken cancel, OutputSink& outputs)
    : progress_(progress), cancel_(std::move(cancel)), outputs_(outputs) {}

ProgressFn JobContext::stage(const std::string& name) {
  finish_stage();
  cancel_.throw_if_cancelled();
  stage_ = name;
  start_ = std::chrono::steady_clock::now();
  progress_.stage_started(name);
  return [this](double fraction) { progress_.stage_progress(fraction); };
}

void JobContext::finish_stage() {
  if (stage_.empty()) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  timings_.emplace_back(stage_, seconds);
  progress_.stage_finished(stage_, seconds);
  stage_.clear();
}

}  // namespace tonepoem
