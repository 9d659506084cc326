// Progress of a job's stages. A job reports to a ProgressSink (an interface: the terminal bar is
// one implementation, a server's job record another); JobContext (jobs/job.h) names the stages,
// times them and hands each stage a ProgressFn.
#pragma once

#include <functional>
#include <string>

namespace tonepoem {

// What a stage calls with its completion fraction in [0, 1]. May be empty (no reporting).
using ProgressFn = std::function<void(double fraction)>;

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void stage_started(const std::string& name) = 0;
  // The current stage's completion, in [0, 1]; called often (implementations throttle).
  virtual void stage_progress(double fraction) = 0;
  virtual void stage_finished(const std::string& name, double seconds) = 0;
};

// Reports nothing (--quiet, tests, benchmarks).
class SilentProgress final : public ProgressSink {
 public:
  void stage_started(const std::string&) override {}
  void stage_progress(double) override {}
  void stage_finished(const std::string&, double) override {}
};

// On stderr: a redrawn bar on a terminal, plain lines otherwise (one per 10%), so logs in CI stay
// readable; each finished stage prints its wall time.
class TerminalProgress final : public ProgressSink {
 public:
  TerminalProgress();
  void stage_started(const std::string& name) override;
  void stage_progress(double fraction) override;
  void stage_finished(const std::string& name, double seconds) override;

 private:
  bool terminal_;
  std::string name_;
  int last_step_ = -1;
};

}  // namespace tonepoem
