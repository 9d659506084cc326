// The jobs in PostgreSQL (libpq): one table, tonepoem_jobs, shared by any number of `tonepoem
// serve` and `tonepoem worker` processes on any machines, so that the work scales out.
//
// - Claim: one statement, UPDATE ... WHERE seq = (SELECT ... ORDER BY seq LIMIT 1 FOR UPDATE SKIP
//   LOCKED): two workers never get the same job and never wait on each other.
// - Lease: a claim holds the job until lease_until (the database's clock, so the machines' clocks
//   do not matter); the worker's heartbeat renews it while the job runs. A job whose lease ran
//   out (its worker died or lost the database) is claimed again, attempts + 1.
// - Fencing: every write under a claim (progress, finish, requeue) names the claim's attempt
//   number and changes nothing once the job was claimed again or finished, so a worker that lost
//   its lease cannot overwrite a result, and a finished job is never run again.
// - Wake-up: enqueue and requeue send NOTIFY tonepoem_jobs; idle workers LISTEN (wait_for_work),
//   so a queued job starts without polling delay. Progress for the event streams is polled
//   (version() reads the tonepoem_job_changes sequence that every change advances).
//
// Connections come from a small pool (one per thread in use); a broken connection is reset and
// the statement tried once more.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "server/job_queue.h"

struct pg_conn;

namespace tonepoem {

class PgJobQueue final : public JobQueue {
 public:
  // Connects to `url` (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS], or libpq's
  // KEY=VALUE form) and creates the table when missing. `worker` names this process in the table
  // (host:pid). Throws Error(usage) naming --database for a malformed URL, and
  // Error(missing_resource) naming --database (and the server, not the password) when the
  // database cannot be reached or used.
  PgJobQueue(std::string url, double lease_s, std::string worker);
  ~PgJobQueue() override;
  PgJobQueue(const PgJobQueue&) = delete;
  PgJobQueue& operator=(const PgJobQueue&) = delete;

  std::vector<std::string> recover() override { return {}; }
  std::optional<JobRecord> enqueue(std::string_view kind, const nlohmann::json& options,
                                   int queue_limit) override;
  std::optional<JobRecord> claim_next() override;
  bool has_leases() const override { return true; }
  double lease_seconds() const override { return lease_s_; }
  LeaseState heartbeat(const JobRecord& claim) override;
  bool request_cancel(std::string_view id) override;
  void set_progress(const JobRecord& claim, std::string_view stage, double fraction,
                    const nlohmann::json& stages) override;
  bool finish(const JobRecord& claim, JobState state, std::string_view error, int exit_code,
              const nlohmann::json& outputs) override;
  void requeue(const JobRecord& claim) override;
  bool cancel_queued(std::string_view id) override;
  bool remove(std::string_view id) override;
  std::optional<JobRecord> get(std::string_view id) const override;
  std::vector<JobRecord> list() const override;
  std::uint64_t version() const override;
  std::uint64_t wait_for_change(std::uint64_t seen,
                                std::chrono::milliseconds timeout) const override;
  void wait_for_work(std::chrono::milliseconds timeout) override;

  // "HOST:PORT/DATABASE" of the URL, without user or password (for messages).
  const std::string& where() const { return where_; }

  // One result's rows as text (NULL as ""); rows()[r][c].
  using Rows = std::vector<std::vector<std::string>>;

 private:
  pg_conn* connect() const;
  pg_conn* acquire() const;
  void release(pg_conn* conn) const;
  Rows exec(const char* sql, const std::vector<std::string>& params) const;

  std::string url_;
  std::string where_;
  double lease_s_;
  std::string worker_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<pg_conn*> idle_;
  std::mutex listen_mutex_;
  pg_conn* listener_ = nullptr;
};

}  // namespace tonepoem
