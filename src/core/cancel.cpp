#include "core/cancel.h"

#include <csignal>

#include "core/error.h"

namespace tonepoem {
namespace {
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
std::atomic<std::atomic<bool>*> g_signal_flag{nullptr};
extern "C" void on_signal(int) {
  if (std::atomic<bool>* flag = g_signal_flag.load()) flag->store(true);
}
}  // namespace

CancelToken::CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}

const CancelToken& CancelToken::never() {
  static const CancelToken token;
  return token;
}

void CancelToken::cancel() const {
  if (flag_ == never().flag_) return;  // shared by every caller with nothing to cancel
  flag_->store(true);
}

bool CancelToken::cancelled() const {
  return flag_->load(std::memory_order_relaxed);
}

void CancelToken::throw_if_cancelled() const {
  if (cancelled())
    throw Error(ExitCode::interrupted, "interrupted; partial outputs were removed", {},
                "run the command again");
}

void cancel_on_signals(const CancelToken& token) {
  g_signal_flag.store(token.flag_.get());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

}  // namespace tonepoem
