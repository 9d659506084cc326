// The server's jobs, kept in one SQLite file (a table `jobs`): the default JobQueue (job_queue.h),
// for one `tonepoem serve` that runs its jobs itself. The jobs outlive the process: a job queued
// before a crash is still queued after it, and a job that was running when the
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

#include "server/job_queue.h"

struct sqlite3;

namespace tonepoem {

class JobStore final : public JobQueue {
 public:
  // Opens (creating it and its folder) the SQLite file. Throws Error(output) naming the file when
  // it cannot be opened or written, Error(bad_input) when it is not a job database.
  explicit JobStore(const std::filesystem::path& file);
  ~JobStore() override;
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Jobs left `running` by a process that died go back to the queue (in their old order); returns
  // their ids. Call once at start, before any worker runs.
  std::vector<std::string> recover() override;

  // A new queued job with a fresh id, unless `queue_limit` jobs are already queued (nullopt).
  std::optional<JobRecord> enqueue(std::string_view kind, const nlohmann::json& options,
                                   int queue_limit) override;
  // The oldest queued job, now running (attempts + 1), or nullopt when none is queued.
  std::optional<JobRecord> claim_next() override;
  void set_progress(std::string_view id, std::string_view stage, double fraction,
                    const nlohmann::json& stages);
  // A running job is over: done (with its outputs), failed (with the error) or cancelled; false
  // when it was not running.
  bool finish(std::string_view id, JobState state, std::string_view error, int exit_code,
              const nlohmann::json& outputs);
  // A running job goes back to the queue (the server is stopping and cancelled it).
  void requeue(std::string_view id);
  // A queued job becomes cancelled; false when it is not queued (running, over, unknown).
  bool cancel_queued(std::string_view id) override;
  // Removes a job that is not running; false when unknown or running.
  bool remove(std::string_view id) override;

  std::optional<JobRecord> get(std::string_view id) const override;
  std::vector<JobRecord> list() const override;  // oldest first

  // JobQueue's writes under a claim: one process runs every job of this store, so a claim always
  // holds its running job (finish is false only when the job is no longer running).
  void set_progress(const JobRecord& claim, std::string_view stage, double fraction,
                    const nlohmann::json& stages) override;
  bool finish(const JobRecord& claim, JobState state, std::string_view error, int exit_code,
              const nlohmann::json& outputs) override;
  void requeue(const JobRecord& claim) override;
  // Waits for any change (a job queued wakes it), at most `timeout`.
  void wait_for_work(std::chrono::milliseconds timeout) override;

  // The version after the latest change; wait_for_change returns once it differs from `seen` or
  // after `timeout`, whichever is first, with the current version.
  std::uint64_t version() const override;
  std::uint64_t wait_for_change(std::uint64_t seen,
                                std::chrono::milliseconds timeout) const override;

 private:
  void changed();  // bumps the version; call with mutex_ held

  mutable std::mutex mutex_;
  mutable std::condition_variable change_;
  std::uint64_t version_ = 0;
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

}  // namespace tonepoem
