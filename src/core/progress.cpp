#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace tonepoem {

TerminalProgress::TerminalProgress() : terminal_(::isatty(STDERR_FILENO) == 1) {}

void TerminalProgress::stage_started(const std::string& name) {
  name_ = name;
  last_step_ = -1;
  if (!terminal_) std::fprintf(stderr, "[tonepoem] %s ...\n", name.c_str());
}

void TerminalProgress::stage_progress(double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (terminal_) {
    const int step = static_cast<int>(fraction * 40);
    if (step == last_step_) return;
    last_step_ = step;
    std::fprintf(stderr, "\r%-10s [%-40s] %3d%%", name_.c_str(), std::string(step, '#').c_str(),
                 static_cast<int>(fraction * 100));
  } else {
    const int step = static_cast<int>(fraction * 10);
    if (step == last_step_ || step == 0 || step == 10) return;
    last_step_ = step;
    std::fprintf(stderr, "[tonepoem] %s %d%%\n", name_.c_str(), step * 10);
  }
  std::fflush(stderr);
}

void TerminalProgress::stage_finished(const std::string& name, double seconds) {
  if (terminal_)
    std::fprintf(stderr, "\r%-10s [%-40s] done in %.2f s\n", name.c_str(),
                 std::string(40, '#').c_str(), seconds);
  else
    std::fprintf(stderr, "[tonepoem] %s done in %.2f s\n", name.c_str(), seconds);
  name_.clear();
}

}  // namespace tonepoem
