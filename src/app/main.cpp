// tonepoem: a thin CLI over the library. Parses the command line, runs one subcommand from the
// table in commands.cpp, and turns errors into a message and a documented exit code.
#include <cstdio>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "core/cancel.h"
#include "core/error.h"

int main(int argc, char** argv) {
  using tonepoem::ExitCode;
  CLI::App app{
      "tonepoem: turn a story into an emotion-matched score and music video, offline.\n"
      "Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad input, 4 missing resource, "
      "5 output not writable, 130 interrupted."};
  app.set_version_flag("--version", "tonepoem 0.1.0");
  app.require_subcommand(1);
  std::map<std::string, tonepoem::CommandRun> runs;
  for (const auto& spec : tonepoem::commands()) {
    CLI::App* sub = app.add_subcommand(std::string(spec.name), std::string(spec.summary));
    if (spec.summary.empty()) sub->group("");  // run by other commands, not listed
    runs[std::string(spec.name)] = spec.define(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  // Ctrl-C and SIGTERM cancel the one job this process runs.
  static const tonepoem::CancelToken cancel;
  tonepoem::cancel_on_signals(cancel);
  try {
    for (CLI::App* sub : app.get_subcommands()) return runs.at(sub->get_name())(cancel);
    return static_cast<int>(ExitCode::usage);
  } catch (const tonepoem::InvalidOptions& e) {
    std::fprintf(stderr, "\ntonepoem: error: invalid options:\n");
    for (const tonepoem::OptionProblem& p : e.problems())
      std::fprintf(stderr, "  %s: %s\n", tonepoem::cli_flag_for(p.field).c_str(),
                   p.message.c_str());
    std::fprintf(stderr, "  fix: see tonepoem %s --help\n",
                 app.get_subcommands().empty() ? "" : app.get_subcommands()[0]->get_name().c_str());
    return static_cast<int>(e.code());
  } catch (const tonepoem::Error& e) {
    std::fprintf(stderr, "\ntonepoem: error: %s\n", e.describe().c_str());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "\ntonepoem: internal error: %s\n  please report it with the command you ran\n",
                 e.what());
    return static_cast<int>(ExitCode::internal);
  }
}
