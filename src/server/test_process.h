// For the server's tests: a child process running a program (no shell), its stdout and stderr on
// pipes, killed when the object goes.
#pragma once

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tonepoem::testing {

class Child {
 public:
  // Runs argv[0] (a path) with the arguments.
  explicit Child(std::vector<std::string> argv) {
    int out[2], err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, err[0]);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // True once the child has exited (its code kept for finish()).
  bool exited() {
    if (pid_ <= 0 || exit_status_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    exit_status_ = status;
    return true;
  }

  // The next line of stdout, or nullopt at its end or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
        std::string line = out_buffer_.substr(0, nl);
        out_buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(out_, buffer, sizeof buffer);
      if (n <= 0) return std::nullopt;
      out_buffer_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // Sends `signal` (0: none) and waits for the exit (two minutes at most, then SIGKILL); the exit
  // code, or 128 + the signal.
  int finish(int signal = 0) {
    if (pid_ <= 0) return -1;
    int status = 0;
    if (exit_status_) {
      status = *exit_status_;
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (signal) ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // What is left on stderr (call after finish(); a running child's stderr may fill its pipe, so
  // keep children that write much to it short-lived or drain it).
  std::string stderr_text() {
    std::string text;
    char buffer[4096];
    ssize_t n;
    pollfd p{err_, POLLIN, 0};
    // Non-blocking: a daemon the child started may hold the pipe open.
    while (::poll(&p, 1, 100) > 0 && (n = ::read(err_, buffer, sizeof buffer)) > 0)
      text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  std::string out_buffer_;
  std::optional<int> exit_status_;
};

// Runs a program to its end; its exit code (128 + signal when killed), stdout+stderr in `output`.
inline int run_program(const std::vector<std::string>& argv, std::string* output = nullptr) {
  Child child(argv);
  std::string out;
  // Until it exits, not until its stdout closes: pg_ctl's server keeps the pipe open.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!child.exited() && std::chrono::steady_clock::now() < deadline)
    if (auto line = child.read_line(std::chrono::milliseconds(50))) out += *line + "\n";
  while (auto line = child.read_line(std::chrono::milliseconds(10))) out += *line + "\n";
  const int code = child.finish();
  out += child.stderr_text();
  if (output) *output = out;
  return code;
}

}  // namespace tonepoem::testing
