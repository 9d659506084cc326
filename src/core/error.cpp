#include "core/error.h"

namespace tonepoem {

Error::Error(ExitCode code, std::string what, std::string file, std::string fix)
    : std::runtime_error(std::move(what)),
      code_(code),
      file_(std::move(file)),
      fix_(std::move(fix)) {}

std::string Error::describe() const {
  std::string out;
  if (!file_.empty()) out += file_ + ": ";
  out += what();
  if (!fix_.empty()) out += "\n  fix: " + fix_;
  return out;
}

namespace {
std::string list_problems(const OptionProblems& problems) {
  std::string out;
  for (const OptionProblem& p : problems)
    out += (out.empty() ? "" : "\n  ") + (p.field.empty() ? p.message : p.field + ": " + p.message);
  return out;
}
}  // namespace

InvalidOptions::InvalidOptions(OptionProblems problems)
    : Error(ExitCode::usage, list_problems(problems)), problems_(std::move(problems)) {}

void throw_if_invalid(OptionProblems problems) {
  if (!problems.empty()) throw InvalidOptions(std::move(problems));
}

void fail_input(std::string_view file, std::string_view what, std::string_view fix) {
  throw Error(ExitCode::bad_input, std::string(what), std::string(file), std::string(fix));
}
void fail_resource(std::string_view file, std::string_view what, std::string_view fix) {
  throw Error(ExitCode::missing_resource, std::string(what), std::string(file), std::string(fix));
}
void fail_output(std::string_view file, std::string_view what, std::string_view fix) {
  throw Error(ExitCode::output, std::string(what), std::string(file), std::string(fix));
}
void fail_usage(std::string_view what, std::string_view fix) {
  throw Error(ExitCode::usage, std::string(what), {}, std::string(fix));
}

}  // namespace tonepoem
