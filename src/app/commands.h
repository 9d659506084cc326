// The subcommands of the `tonepoem` program, as an explicit table. Each entry defines its options
// on a CLI11 subcommand and returns the function that runs it: it fills the job's options from
// the flags, runs the library job (src/jobs) with the process's cancellation token, prints the
// result and returns the exit code. Behaviour lives in the jobs, not here.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/cancel.h"

namespace CLI {
class App;
}

namespace tonepoem {

using CommandRun = std::function<int(const CancelToken& cancel)>;

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  CommandRun (*define)(CLI::App& command);
};

std::span<const CommandSpec> commands();

// The command-line spelling of a job option's field (core/error.h: OptionProblem::field):
// "duration" -> "--duration", "story" -> "STORY", "width" -> "--resolution".
std::string cli_flag_for(std::string_view field);

}  // namespace tonepoem
