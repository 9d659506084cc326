// The server's jobs, kept in one SQLite file (a table `jobs`), so that they outlive the process:
// a job queued before a crash is still queued after it, and a job that was running when the
// process died is queued again when the store is next opened (recover()).
//
// Thread-safe: one connection behind a mutex; every method is one transaction. Every change bumps
// a version number that wait_for_change() waits on (the server's event streams).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace tonepoem {

enum class JobState { queued, running, done, failed, cancelled };
std::string_view job_state_name(JobState state);
// done, failed and cancelled: the job will not change again.
bool is_final(JobState state);

struct JobRecord {
  std::string id;    // 32 lowercase hex digits (valid_job_id)
  std::string kind;  // "make"
  nlohmann::json options;
  JobState state = JobState::queued;
  std::string stage;             // the stage running now ("" before the first and when over)
  double stage_progress = 0;     // of `stage`, in [0, 1]
  nlohmann::json stages;         // finished stages: [{"name", "seconds"}]
  std::string error;             // failed: what went wrong and the fix
  int exit_code = 0;             // failed: the CLI's exit code for the same error (core/error.h)
  nlohmann::json outputs;        // done: the files written, in order ("score.mid", ...)
  int attempts = 0;              // times a worker took it (more than 1 after a crash)
  std::int64_t created_ms = 0;   // Unix milliseconds
  std::int64_t started_ms = 0;   // last taken by a worker; 0: never
  std::int64_t finished_ms = 0;  // 0: not final

  nlohmann::json to_json() const;
};

// True for ids this store makes: 32 lowercase hex digits.
bool valid_job_id(std::string_view id);

class JobStore {
 public:
  // Opens (creating it and its folder) the SQLite file. Throws Error(output) naming the file when
  // it cannot be opened or written, Error(bad_input) when it is not a job database.
  explicit JobStore(const std::filesystem::path& file);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Jobs left `running` by a process that died go back to the queue (in their old order); returns
  // their ids. Call once at start, before any worker runs.
  std::vector<std::string> recover();

  // A new queued job with a fresh id, unless `queue_limit` jobs are already queued (nullopt).
  std::optional<JobRecord> enqueue(std::string_view kind, const nlohmann::json& options,
                                   int queue_limit);
  // The oldest queued job, now running (attempts + 1), or nullopt when none is queued.
  std::optional<JobRecord> claim_next();
  void set_progress(std::string_view id, std::string_view stage, double fraction,
                    const nlohmann::json& stages);
  // A running job is over: done (with its outputs), failed (with the error) or cancelled.
  void finish(std::string_view id, JobState state, std::string_view error, int exit_code,
              const nlohmann::json& outputs);
  // A running job goes back to the queue (the server is stopping and cancelled it).
  void requeue(std::string_view id);
  // A queued job becomes cancelled; false when it is not queued (running, over, unknown).
  bool cancel_queued(std::string_view id);
  // Removes a job that is not running; false when unknown or running.
  bool remove(std::string_view id);

  std::optional<JobRecord> get(std::string_view id) const;
  std::vector<JobRecord> list() const;  // oldest first

  // The version after the latest change; wait_for_change returns once it differs from `seen` or
  // after `timeout`, whichever is first, with the current version.
  std::uint64_t version() const;
  std::uint64_t wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;

 private:
  void changed();  // bumps the version; call with mutex_ held

  mutable std::mutex mutex_;
  mutable std::condition_variable change_;
  std::uint64_t version_ = 0;
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

}  // namespace tonepoem
