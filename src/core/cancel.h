// Cooperative cancellation, one token per job. A front-end makes a token for each job it runs and
// cancels it when the user (Ctrl-C, an HTTP DELETE) asks; long loops in the stages call
// `throw_if_cancelled()` now and then, which throws Error{ExitCode::interrupted}. Temporary
// outputs are removed by the destructors of AtomicOutput as the exception unwinds. Cancelling one
// token never touches another job's.
#pragma once

#include <atomic>
#include <memory>

namespace tonepoem {

class CancelToken {
 public:
  // A fresh token, not cancelled. Copies share the same state (hand a copy to another thread).
  CancelToken();
  // A token that is never cancelled, for callers with nothing to cancel.
  static const CancelToken& never();

  // Thread-safe and async-signal-safe (one lock-free atomic store).
  void cancel() const;
  bool cancelled() const;
  // Throws Error(ExitCode::interrupted) once cancel() was called. Cheap: one atomic load.
  void throw_if_cancelled() const;

 private:
  friend void cancel_on_signals(const CancelToken& token);
  std::shared_ptr<std::atomic<bool>> flag_;
};

// The CLI's binding of SIGINT and SIGTERM to its one job: installs handlers that cancel `token`.
// `token` must outlive the process's use of the handlers (the CLI keeps it in main()).
void cancel_on_signals(const CancelToken& token);

}  // namespace tonepoem
