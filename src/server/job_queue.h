// The contract between the server's workers and wherever its jobs are kept. Two backends implement
// it: JobStore (job_store.h: one SQLite file under --data, the default; one process runs the jobs)
// and PgJobQueue (pg_job_queue.h: a PostgreSQL database that any number of `tonepoem serve` and
// `tonepoem worker` processes, on any machines, share).
//
// A job is queued, then claimed by one worker (running, attempts + 1), then finished once (done,
// failed or cancelled: it never changes again). A claim is the JobRecord claim_next() returned: its
// id and attempt number. Writes made under a claim (progress, finish, requeue) take effect only
// while that claim still holds the job: once the job was taken again (attempts moved on) or
// finished, they change nothing and say so. Every method is safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tonepoem {

enum class JobState { queued, running, done, failed, cancelled };
std::string_view job_state_name(JobState state);
// The state named `name`; failed for an unknown name.
JobState parse_job_state(std::string_view name);
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

// A job is tried at most this many times: one whose worker dies on every try (killed, out of
// memory, a crash) ends failed with too_many_attempts_error() instead of taking workers down
// for ever.
constexpr int kMaxJobAttempts = 3;
inline std::string too_many_attempts_error(int attempts) {
  return "its worker stopped " + std::to_string(attempts) +
         " times while running it (killed, out of memory or crashed: the workers' logs say "
         "which), so it is not tried again; submit it again, shorter or without video, once "
         "the cause is mended";
}
// A fresh job id (128 random bits as 32 hex digits).
std::string new_job_id();
// Unix time in milliseconds.
std::int64_t unix_now_ms();
// A job as both stores enqueue it: a fresh id, queued now, no stages or outputs yet.
JobRecord new_job_record(std::string_view kind, const nlohmann::json& options);

// What a heartbeat learned about a claim.
enum class LeaseState {
  held,              // the lease is renewed; keep running
  cancel_requested,  // renewed, but someone asked to cancel the job (POST .../cancel elsewhere)
  lost,              // the job was taken again or is over: stop, and write nothing
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // Jobs left `running` by a process that died go back to the queue (in their old order); returns
  // their ids. Call once at start, before any worker runs. A backend with leases returns nothing:
  // a dead worker's job is taken again when its lease ends.
  virtual std::vector<std::string> recover() = 0;

  // A new queued job with a fresh id, unless `queue_limit` jobs are already queued (nullopt).
  virtual std::optional<JobRecord> enqueue(std::string_view kind, const nlohmann::json& options,
                                           int queue_limit) = 0;
  // The oldest job that is queued (or, with leases, running under an expired lease), now running
  // under a new claim (attempts + 1), or nullopt when there is none. No two callers, in any
  // process, get the same claim.
  virtual std::optional<JobRecord> claim_next() = 0;
  // True when the backend has leases: a claim must be renewed with heartbeat() more often than
  // lease_seconds(), or the job is given to another worker.
  virtual bool has_leases() const { return false; }
  virtual double lease_seconds() const { return 0; }
  // Renews the claim's lease (without leases: always held).
  virtual LeaseState heartbeat(const JobRecord& claim) {
    (void)claim;
    return LeaseState::held;
  }
  // A running job (of another process) is asked to stop; its worker sees cancel_requested at its
  // next heartbeat. False when the job is not running, or the backend runs jobs only in-process.
  virtual bool request_cancel(std::string_view id) {
    (void)id;
    return false;
  }

  virtual void set_progress(const JobRecord& claim, std::string_view stage, double fraction,
                            const nlohmann::json& stages) = 0;
  // The claimed job is over: done (with its outputs), failed (with the error) or cancelled. False
  // when the claim no longer holds the job (nothing was written).
  virtual bool finish(const JobRecord& claim, JobState state, std::string_view error, int exit_code,
                      const nlohmann::json& outputs) = 0;
  // The claimed job goes back to the queue (its process is stopping and cancelled it).
  virtual void requeue(const JobRecord& claim) = 0;
  // A queued job becomes cancelled; false when it is not queued (running, over, unknown).
  virtual bool cancel_queued(std::string_view id) = 0;
  // Removes a job that is not running; false when unknown or running.
  virtual bool remove(std::string_view id) = 0;

  virtual std::optional<JobRecord> get(std::string_view id) const = 0;
  virtual std::vector<JobRecord> list() const = 0;  // oldest first

  // A number that changes at every change to any job; wait_for_change returns once it differs
  // from `seen` or after `timeout`, whichever is first, with the current value.
  virtual std::uint64_t version() const = 0;
  virtual std::uint64_t wait_for_change(std::uint64_t seen,
                                        std::chrono::milliseconds timeout) const = 0;
  // Blocks until a job may have been queued by any process (or `timeout`); a backend that cannot
  // tell just sleeps. Workers call it when claim_next() found nothing.
  virtual void wait_for_work(std::chrono::milliseconds timeout) = 0;
};

}  // namespace tonepoem
