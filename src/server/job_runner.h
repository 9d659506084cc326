// The server's workers: N threads in this process that take queued jobs from the JobStore, oldest
// first, and run them through the library (jobs/make_job.h: run_make) with their own
// CancelToken, a progress sink that writes to the store, and a FolderSink on
// <jobs_dir>/<id>/. No shell and no child process is involved.
//
// A job's folder is emptied before each attempt, so a job re-run after a crash starts clean; its
// outputs are written atomically, so a cancelled or crashed attempt leaves no half-written file.
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
#include "server/job_store.h"

namespace tonepoem {

enum class CancelOutcome {
  cancelled,   // it was queued; it is now cancelled
  cancelling,  // it was running here; its token is cancelled and it ends as cancelled shortly
  not_active,  // unknown, or already done, failed or cancelled
};

class JobRunner {
 public:
  // Starts `workers` threads (1 or more). `store` must outlive the runner. A job running longer
  // than `job_timeout_s` seconds (0: no limit) is cancelled and ends failed, saying so.
  JobRunner(JobStore& store, std::filesystem::path jobs_dir, int workers, double job_timeout_s = 0);
  // stop(), then joins the threads.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // A job was queued: wake an idle worker.
  void wake();
  // Cancels one job, touching no other: a queued job is marked cancelled at once, a running one
  // has its own token cancelled.
  CancelOutcome cancel(std::string_view id);
  // The job's folder (it may not exist yet).
  std::filesystem::path job_dir(std::string_view id) const;
  // Cancels every running job and puts it back in the queue (it runs again on the next start),
  // and stops the workers. Idempotent.
  void stop();

 private:
  void work();
  void watch_deadlines();
  void run(const JobRecord& job, const CancelToken& token);

  JobStore& store_;
  std::filesystem::path jobs_dir_;
  std::mutex mutex_;  // guards running_, stopping_, and claiming (so cancel() sees no gap)
  std::condition_variable wake_;
  bool stopping_ = false;
  struct Running {
    CancelToken token;
    std::chrono::steady_clock::time_point deadline;  // with a timeout
    bool cancelled_by_user = false;  // ends cancelled even when the server stops meanwhile
    bool timed_out = false;          // ends failed
  };
  double job_timeout_s_;
  std::map<std::string, Running, std::less<>> running_;
  std::vector<std::thread> threads_;
};

}  // namespace tonepoem
