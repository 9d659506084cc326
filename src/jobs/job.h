// What every job runs with. A job (make, compose, render, judge, video, analyze, and those to
// come) is a function `Result run_X(const XOptions&, JobContext&)` in this library: its options
// struct has `validate()` returning every problem (core/error.h: OptionProblem), and the context
// carries the outside world: where progress goes, the job's own cancellation token, and where its
// files go. Front-ends (the CLI in src/app, a server) only fill options, make a context and show
// the result; they hold no behaviour of their own.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/cancel.h"
#include "core/output_sink.h"
#include "core/progress.h"

namespace tonepoem {

class JobContext {
 public:
  // The sinks must outlive the context. Jobs in one process each get their own context (and
  // token), so cancelling one never stops another.
  JobContext(ProgressSink& progress, CancelToken cancel, OutputSink& outputs);

  // Ends the current stage (recording its wall time), checks the token (throws
  // Error(interrupted) when cancelled), starts `name` and returns the callback its work reports
  // through.
  ProgressFn stage(const std::string& name);
  // Ends the current stage, if any.
  void finish_stage();
  // Wall seconds per finished stage, in order.
  const std::vector<std::pair<std::string, double>>& timings() const { return timings_; }

  const CancelToken& cancel() const { return cancel_; }
  OutputSink& outputs() { return outputs_; }

 private:
  ProgressSink& progress_;
  CancelToken cancel_;
  OutputSink& outputs_;
  std::string stage_;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::pair<std::string, double>> timings_;
};

}  // namespace tonepoem
