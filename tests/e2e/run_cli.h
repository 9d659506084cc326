// What the end-to-end tests share: the real binary run through the shell, and what it said.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace tonepoem::e2e {

struct RunResult {
  int exit_code = -1;  // -1: it did not exit normally (or could not start)
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, stderr folded into stdout, and waits for it.
inline RunResult run_shell(const std::string& command) {
  RunResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) result.output += buffer;
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A path in single quotes for the shell (the tests' paths hold no quote).
inline std::string quote(const std::filesystem::path& p) {
  // Appended piece by piece: "'" + std::string&& trips a GCC 12 -Wrestrict false positive at -O3.
  std::string quoted = "'";
  quoted += p.string();
  quoted += '\'';
  return quoted;
}

}  // namespace tonepoem::e2e
