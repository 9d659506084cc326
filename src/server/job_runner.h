// The server's workers: N threads in this process that take queued jobs from a JobQueue (SQLite
// or PostgreSQL, job_queue.h), oldest first, and run them through the library (jobs/make_job.h:
// run_make) with their own CancelToken, a progress sink that writes to the store, and a FolderSink
// on <jobs_dir>/<id>/. With a memory cap (JobIsolation, job_process.h) each job runs instead in a
// child process of this program, watched and stopped alone; no shell is ever involved.
//
// A job's folder is emptied before each attempt, so a job re-run after a crash starts clean; its
// outputs are written atomically, so a cancelled or crashed attempt leaves no half-written file.
// A finished job's outputs are stored by their content (blob_store.h) before it is marked done.
//
// With a queue that has leases (PostgreSQL), a heartbeat thread renews the lease of every job
// running here every third of the lease; a job whose lease was lost (taken again elsewhere) is
// stopped and writes nothing to the queue, and a cancel asked for by another process (seen at the
// heartbeat) stops it. A listener thread wakes the idle workers when any process queues a job.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/cancel.h"
#include "server/blob_store.h"
#include "server/job_process.h"
#include "server/job_queue.h"

namespace tonepoem {

enum class CancelOutcome {
  cancelled,   // it was queued; it is now cancelled
  cancelling,  // it was running here; its token is cancelled and it ends as cancelled shortly
  not_active,  // unknown, or already done, failed or cancelled
};

class JobRunner {
 public:
  // Starts `workers` threads (0: this process runs no job; other processes sharing the queue do).
  // `store` must outlive the runner. A job running longer
  // than `job_timeout_s` seconds (0: no limit) is cancelled and ends failed, saying so. With
  // `isolation` enabled each job runs in a child process under its memory cap.
  JobRunner(JobQueue& store, std::filesystem::path jobs_dir, int workers, double job_timeout_s = 0,
            JobIsolation isolation = {});
  // stop(), then joins the threads.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // A job was queued: wake an idle worker.
  void wake();
  // Cancels one job, touching no other: a queued job is marked cancelled at once, a running one
  // has its own token cancelled (running in another process: the queue asks its worker).
  CancelOutcome cancel(std::string_view id);
  // The job's folder (it may not exist yet).
  std::filesystem::path job_dir(std::string_view id) const;
  // Removes the job's folder and the stored outputs no other job shares (blob_store.h).
  void remove_outputs(std::string_view id) const;
  // Cancels every running job and puts it back in the queue (it runs again on the next start),
  // and stops the workers. Idempotent.
  void stop();

 private:
  void work();
  void watch_deadlines();
  void keep_leases();
  void listen_for_work();
  void run(const JobRecord& job, const CancelToken& token);

  JobQueue& store_;
  std::filesystem::path jobs_dir_;
  std::mutex mutex_;  // guards running_, stopping_, and claiming (so cancel() sees no gap)
  std::condition_variable wake_;
  bool stopping_ = false;
  struct Running {
    CancelToken token;
    std::chrono::steady_clock::time_point deadline;  // with a timeout
    bool cancelled_by_user = false;  // ends cancelled even when the server stops meanwhile
    bool timed_out = false;          // ends failed
    JobRecord claim;                 // as claimed (its id and attempt number)
    bool lost = false;               // its lease was lost: it ends writing nothing
  };
  double job_timeout_s_;
  JobIsolation isolation_;
  BlobStore blobs_;  // <data>/blobs, beside jobs_dir_
  std::map<std::string, Running, std::less<>> running_;
  std::vector<std::thread> threads_;
};

}  // namespace tonepoem
