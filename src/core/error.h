// Errors: thrown inside the library, caught at the boundary (CLI) and turned into a message and
// a documented exit code. Every message says what is wrong, which file, and what to do.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tonepoem {

// Process exit codes, documented in README.md ("Exit codes"). Stable: scripts depend on them.
enum class ExitCode : int {
  ok = 0,
  internal = 1,          // a bug or an unexpected library failure
  usage = 2,             // bad command line or option value
  bad_input = 3,         // input file missing, unreadable, empty, binary, not UTF-8, malformed
  missing_resource = 4,  // SoundFont, font or data folder (lexicons) not found or unusable
  output = 5,            // output folder or file cannot be written
  interrupted = 130      // Ctrl-C (SIGINT) or SIGTERM; no partial outputs are left behind
};

class Error : public std::runtime_error {
 public:
  // `what` says what is wrong; `file` names the file concerned (may be empty); `fix` says what to
  // do.
  Error(ExitCode code, std::string what, std::string file = {}, std::string fix = {});
  ExitCode code() const { return code_; }
  const std::string& file() const { return file_; }
  const std::string& fix() const { return fix_; }
  // "FILE: WHAT\n  fix: FIX" (parts omitted when empty).
  std::string describe() const;

 private:
  ExitCode code_;
  std::string file_;
  std::string fix_;
};

// A problem with one field of a job's options. `field` names it as the options struct and its JSON
// form do ("duration", "video.resolution"); each front-end maps it to its own words (the CLI to
// "--duration", a server to the request's JSON field). `message` says what is wrong and what is
// accepted, without naming any front-end's syntax.
struct OptionProblem {
  std::string field;
  std::string message;
  bool operator==(const OptionProblem&) const = default;
};
using OptionProblems = std::vector<OptionProblem>;

// Error(usage) carrying every problem with a job's options; describe() lists them as
// "field: message", one per line.
class InvalidOptions : public Error {
 public:
  explicit InvalidOptions(OptionProblems problems);
  const OptionProblems& problems() const { return problems_; }

 private:
  OptionProblems problems_;
};
// Throws InvalidOptions when `problems` is not empty.
void throw_if_invalid(OptionProblems problems);

// Shorthands for the common kinds.
[[noreturn]] void fail_input(std::string_view file, std::string_view what, std::string_view fix);
[[noreturn]] void fail_resource(std::string_view file, std::string_view what, std::string_view fix);
[[noreturn]] void fail_output(std::string_view file, std::string_view what, std::string_view fix);
[[noreturn]] void fail_usage(std::string_view what, std::string_view fix);

}  // namespace tonepoem
