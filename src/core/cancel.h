// Cooperative cancellation for Ctrl-C. The CLI installs the signal handlers; long loops call
// `check_interrupted()` now and then, which throws Error{ExitCode::interrupted} once a signal came.
// Temporary outputs are removed by the destructors of AtomicFile as the exception unwinds.
#pragma once

namespace tonepoem {

// Installs SIGINT/SIGTERM handlers that only set a flag (async-signal-safe).
void install_interrupt_handlers();
bool interrupted();
// Throws Error(ExitCode::interrupted) if a signal arrived. Cheap: one atomic load.
void check_interrupted();
// For tests: set or clear the flag by hand.
void set_interrupted_for_test(bool value);

}  // namespace tonepoem
