#include "server/job_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <istream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/output_sink.h"
#include "jobs/job.h"
#include "jobs/make_job.h"
#include "jobs/make_request.h"
#include "jobs/mv_job.h"
#include "jobs/score_job.h"

extern char** environ;

namespace tonepoem {
namespace {

constexpr auto kGraceAfterTerm = std::chrono::seconds(10);

// The child's stages as JSON lines on its stdout, the fraction at most every 100 ms.
class LineProgress final : public ProgressSink {
 public:
  explicit LineProgress(std::ostream& out) : out_(out) {}
  void stage_started(const std::string& name) override {
    out_ << nlohmann::json{{"started", name}}.dump() << std::endl;
  }
  void stage_progress(double fraction) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    out_ << nlohmann::json{{"progress", fraction}}.dump() << std::endl;
  }
  void stage_finished(const std::string& name, double seconds) override {
    out_ << nlohmann::json{{"finished", name}, {"seconds", seconds}}.dump() << std::endl;
  }

 private:
  std::ostream& out_;
  std::chrono::steady_clock::time_point last_{};
};

// The child's resident memory in bytes (0 when it cannot be read: the child is gone).
std::size_t resident_bytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::size_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Pipes whose ends do not leak into other children started meanwhile by other worker threads
// (a leaked write end would keep this child's stdout from ever reaching its end).
struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) read = fds[0], write = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return read >= 0; }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

[[noreturn]] void fail_internal(const std::string& what) {
  throw Error(ExitCode::internal, what, {}, "see the server's log; report it if it persists");
}

pid_t spawn_child(const JobIsolation& isolation, const std::filesystem::path& dir, Pipe& in,
                  Pipe& out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // no socket or database handle leaks
  // The server ignores SIGPIPE (a child that died early must not kill it while it writes the
  // request); the child starts with every signal at its default and none blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::string exe = isolation.executable.string(), command = "job-process", flag = "--out",
              folder = dir.string();
  char* argv[] = {exe.data(), command.data(), flag.data(), folder.data(), nullptr};
  pid_t pid = -1;
  const int failed = posix_spawn(&pid, exe.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (failed != 0)
    fail_internal(
        fmt::format("could not start the job's process {}: {}", exe, std::strerror(failed)));
  return pid;
}

// Writes all of `bytes`; false when the child closed its end (it died before reading).
bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string describe_job_error(const Error& e) {
  if (const auto* invalid = dynamic_cast<const InvalidOptions*>(&e)) {
    std::string text;
    for (const OptionProblem& p : invalid->problems()) {
      // Appended piece by piece: `"" + std::string` trips GCC 12's -Wrestrict at -O3.
      if (!text.empty()) text += '\n';
      text += make_request_field_for(p.field);
      text += ": ";
      text += p.message;
    }
    return text;
  }
  return e.describe();
}

MvUploads UploadRecord::mv_files(const std::filesystem::path& data_dir) const {
  const std::filesystem::path folder = data_dir / "uploads" / upload;
  MvUploads out{folder / file, {}, {}, {}};
  if (!text.empty()) out.lyrics = folder / text;
  if (images) out.images = folder / "images";
  if (clips) out.clips = folder / "clips";
  return out;
}

ScoreUploads UploadRecord::score_files(const std::filesystem::path& data_dir) const {
  const std::filesystem::path folder = data_dir / "uploads" / upload;
  return {folder / file, text.empty() ? std::filesystem::path() : folder / text};
}

nlohmann::json UploadRecord::to_json() const {
  nlohmann::json j = {{"request", request},
                      {"upload", upload},
                      {"file", file},
                      {"images", images},
                      {"clips", clips}};
  if (!text.empty()) j["text"] = text;
  return j;
}

UploadRecord UploadRecord::from_json(const nlohmann::json& j) {
  // Names as the server writes them: hex folder, plain file names (defence in depth: the queue
  // may be shared).
  auto plain = [](const std::string& name) {
    return !name.empty() && name.size() <= 64 &&
           name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos &&
           name[0] != '.';
  };
  try {
    if (j.is_object() && j.contains("request") && j["request"].is_object() &&
        j.value("upload", "").size() == 32 && plain(j.value("upload", "")) &&
        plain(j.value("file", "")) && (!j.contains("text") || plain(j.value("text", "")))) {
      UploadRecord r;
      r.request = j["request"];
      r.upload = j["upload"];
      r.file = j["file"];
      r.text = j.value("text", "");
      r.images = j.value("images", false);
      r.clips = j.value("clips", false);
      return r;
    }
  } catch (const nlohmann::json::exception&) {  // a field of another type: not one of ours
  }
  throw Error(ExitCode::bad_input, "the queued job's record of its uploaded files is malformed", {},
              "submit the job again");
}

nlohmann::json run_job_of_kind(const std::string& kind, const nlohmann::json& options,
                               const std::filesystem::path& data_dir,
                               const std::filesystem::path& dir, ProgressSink& progress,
                               const CancelToken& cancel) {
  FolderSink sink(dir);
  JobContext context(progress, cancel, sink);
  if (kind == "make") {
    run_make(make_options_from_request(options), context);
  } else if (kind == "mv") {
    const UploadRecord record = UploadRecord::from_json(options);
    run_mv(mv_options_from_request(record.request, record.mv_files(data_dir)), context);
  } else if (kind == "score") {
    const UploadRecord record = UploadRecord::from_json(options);
    run_score(score_options_from_request(record.request, record.score_files(data_dir)), context);
  } else {
    throw Error(ExitCode::bad_input,
                fmt::format("the queue holds a job of unknown kind '{}'", kind), {},
                "run it with a tonepoem that knows it");
  }
  return sink.files();
}

nlohmann::json run_job_in_child(const JobIsolation& isolation, const std::string& kind,
                                const nlohmann::json& options,
                                const std::filesystem::path& data_dir,
                                const std::filesystem::path& dir, ProgressSink& progress,
                                const CancelToken& cancel) {
  const nlohmann::json request = {{"kind", kind}, {"options", options}, {"data", data_dir}};
  ::signal(SIGPIPE, SIG_IGN);
  Pipe in, out;
  if (!in.ok() || !out.ok()) fail_internal("could not make pipes for the job's process");
  const pid_t pid = spawn_child(isolation, dir, in, out);
  in.close_read();
  out.close_write();
  write_all(in.write, request.dump());
  in.close_write();

  using Clock = std::chrono::steady_clock;
  std::string buffer;
  nlohmann::json result;
  std::optional<Clock::time_point> terminated;
  bool over_memory = false;
  std::size_t peak = 0;
  for (;;) {
    pollfd p{out.read, POLLIN, 0};
    if (::poll(&p, 1, kMemoryCheckMs) > 0) {
      char chunk[4096];
      const ssize_t n = ::read(out.read, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the child closed its stdout: it has exited or is exiting
      buffer.append(chunk, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1)) {
        const nlohmann::json line = nlohmann::json::parse(buffer.substr(0, nl), nullptr, false);
        if (!line.is_object()) continue;
        if (line.contains("started")) progress.stage_started(line["started"].get<std::string>());
        if (line.contains("progress")) progress.stage_progress(line["progress"].get<double>());
        if (line.contains("finished"))
          progress.stage_finished(line["finished"].get<std::string>(), line.value("seconds", 0.0));
        if (line.contains("outputs") || line.contains("error")) result = line;
      }
    }
    if (isolation.memory_limit_bytes > 0 && !over_memory) {
      const std::size_t now = resident_bytes(pid);
      peak = std::max(peak, now);
      if (now > isolation.memory_limit_bytes) {
        ::kill(pid, SIGKILL);
        over_memory = true;
      }
    }
    if (cancel.cancelled() && !terminated) {
      ::kill(pid, SIGTERM);
      terminated = Clock::now();
    }
    if (terminated && Clock::now() - *terminated > kGraceAfterTerm) ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (over_memory) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);  // what the killed job left half-written
    throw Error(ExitCode::missing_resource,
                fmt::format("the job used more than its memory cap of {} MB ({} MB when it was "
                            "stopped)",
                            isolation.memory_limit_bytes >> 20, peak >> 20),
                {},
                "ask for a shorter piece, a smaller video or none, or raise the cap "
                "(--job-memory)");
  }
  if (WIFSIGNALED(status)) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);  // a killed child may leave .partial files
  }
  if (cancel.cancelled() || (WIFEXITED(status) && WEXITSTATUS(status) == 130))
    throw Error(ExitCode::interrupted, "interrupted; partial outputs were removed", {},
                "run the job again");
  if (WIFSIGNALED(status))
    fail_internal(fmt::format("the job's process died of signal {} ({})", WTERMSIG(status),
                              strsignal(WTERMSIG(status))));
  if (result.contains("outputs") && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return result["outputs"];
  if (result.contains("error"))
    throw Error(static_cast<ExitCode>(result.value("code", 1)), result["error"].get<std::string>());
  fail_internal(fmt::format("the job's process exited with code {} and no result",
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

int run_job_here(std::istream& in, std::ostream& out, const std::filesystem::path& dir,
                 const CancelToken& cancel) {
  try {
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const nlohmann::json job = nlohmann::json::parse(text, nullptr, false);
    if (!job.is_object() || !job.value("kind", nlohmann::json()).is_string() ||
        !job.value("data", nlohmann::json()).is_string() || !job.contains("options"))
      fail_input("stdin", "the job is not JSON of {\"kind\", \"options\", \"data\"}",
                 "this command is run by tonepoem serve and worker");
    LineProgress progress(out);
    const nlohmann::json outputs =
        run_job_of_kind(job["kind"].get<std::string>(), job["options"],
                        job["data"].get<std::string>(), dir, progress, cancel);
    out << nlohmann::json{{"outputs", outputs}}.dump() << std::endl;
    return 0;
  } catch (const Error& e) {
    out << nlohmann::json{{"error", describe_job_error(e)}, {"code", static_cast<int>(e.code())}}
               .dump()
        << std::endl;
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    out << nlohmann::json{{"error", "out of memory"}, {"code", 1}}.dump() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    out << nlohmann::json{{"error", std::string("internal error: ") + e.what()}, {"code", 1}}.dump()
        << std::endl;
    return 1;
  }
}

}  // namespace tonepoem
