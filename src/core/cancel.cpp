#include "core/cancel.h"

#include <atomic>
#include <csignal>

#include "core/error.h"

namespace tonepoem {
namespace {
volatile std::sig_atomic_t g_signal = 0;
std::atomic<bool> g_test_flag{false};
extern "C" void on_signal(int sig) {
  g_signal = sig;
}
}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() {
  return g_signal != 0 || g_test_flag.load(std::memory_order_relaxed);
}

void check_interrupted() {
  if (interrupted())
    throw Error(ExitCode::interrupted, "interrupted; partial outputs were removed", {},
                "run the command again");
}

void set_interrupted_for_test(bool value) {
  g_test_flag = value;
}

}  // namespace tonepoem
