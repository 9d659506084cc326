// The subcommands of the `tonepoem` program, as an explicit table. Each entry defines its options
// on a CLI11 subcommand and returns the function that runs it (returning the exit code).
#pragma once

#include <functional>
#include <span>
#include <string_view>

namespace CLI {
class App;
}

namespace tonepoem {

using CommandRun = std::function<int()>;

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  CommandRun (*define)(CLI::App& command);
};

std::span<const CommandSpec> commands();

}  // namespace tonepoem
