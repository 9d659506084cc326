// Progress of long stages, shown on stderr: a redrawn bar on a terminal, plain lines otherwise
// (one line per 10%), so logs in CI stay readable.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tonepoem {

// What a stage calls with its completion fraction in [0, 1]. May be empty (no reporting).
using ProgressFn = std::function<void(double fraction)>;

class ProgressReporter {
 public:
  // `enabled` false makes every call a no-op (--quiet, or tests).
  explicit ProgressReporter(bool enabled = true);
  // Starts a named stage; returns the callback that stage should call.
  ProgressFn stage(const std::string& name);
  // Ends the current stage and records its wall time (also printed).
  void finish_stage();
  // Wall seconds per finished stage, in order.
  const std::vector<std::pair<std::string, double>>& timings() const { return timings_; }

 private:
  void draw(double fraction);
  bool enabled_;
  bool terminal_;
  std::string name_;
  int last_step_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::pair<std::string, double>> timings_;
};

}  // namespace tonepoem
