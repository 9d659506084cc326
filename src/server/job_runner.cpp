#include "server/job_runner.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/output_sink.h"
#include "core/progress.h"
#include "jobs/job.h"
#include "jobs/make_job.h"
#include "jobs/make_request.h"
#include "server/job_process.h"

namespace tonepoem {
namespace {

// A job's progress, written to its row in the store: every stage start and end, and the current
// stage's fraction at most every 200 ms (the store wakes the event streams on each write).
class StoreProgress final : public ProgressSink {
 public:
  StoreProgress(JobQueue& store, JobRecord claim) : store_(store), claim_(std::move(claim)) {}
  void stage_started(const std::string& name) override {
    stage_ = name;
    write(0);
  }
  void stage_progress(double fraction) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    write(fraction);
  }
  void stage_finished(const std::string& name, double seconds) override {
    stages_.push_back({{"name", name}, {"seconds", seconds}});
    stage_.clear();
    write(0);
  }

 private:
  void write(double fraction) {
    last_ = std::chrono::steady_clock::now();
    try {
      store_.set_progress(claim_, stage_, fraction, stages_);
    } catch (const std::exception& e) {  // progress lost; the job goes on
      std::fprintf(stderr, "tonepoem: %s\n", e.what());
    }
  }
  JobQueue& store_;
  JobRecord claim_;
  std::string stage_;
  nlohmann::json stages_ = nlohmann::json::array();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

JobRunner::JobRunner(JobQueue& store, std::filesystem::path jobs_dir, int workers,
                     double job_timeout_s, JobIsolation isolation)
    : store_(store),
      jobs_dir_(std::move(jobs_dir)),
      job_timeout_s_(job_timeout_s),
      isolation_(std::move(isolation)),
      blobs_(jobs_dir_.parent_path() / "blobs") {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  if (job_timeout_s_ > 0) threads_.emplace_back([this] { watch_deadlines(); });
  if (store_.has_leases()) {
    if (workers > 0) threads_.emplace_back([this] { keep_leases(); });
    if (workers > 0) threads_.emplace_back([this] { listen_for_work(); });
  }
}

// The database may be away for a while (a restart, the network): a failed call is reported and
// tried again later; a job whose lease runs out meanwhile is taken again by another worker.
static void report_queue_error(const std::exception& e) {
  std::fprintf(stderr, "tonepoem: %s (trying again)\n", e.what());
}

void JobRunner::keep_leases() {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(store_.lease_seconds() / 3));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::vector<JobRecord> claims;
    for (const auto& [id, running] : running_)
      if (!running.lost) claims.push_back(running.claim);
    lock.unlock();
    std::vector<std::pair<std::string, LeaseState>> states;
    for (const JobRecord& claim : claims) {
      try {
        states.emplace_back(claim.id, store_.heartbeat(claim));
      } catch (const std::exception& e) {
        report_queue_error(e);
      }
    }
    lock.lock();
    for (const auto& [id, state] : states) {
      auto it = running_.find(id);
      if (it == running_.end() || state == LeaseState::held) continue;
      if (state == LeaseState::lost) {
        it->second.lost = true;
      } else {
        it->second.cancelled_by_user = true;
      }
      it->second.token.cancel();
    }
    wake_.wait_for(lock, period);
  }
}

void JobRunner::listen_for_work() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    try {
      store_.wait_for_work(std::chrono::milliseconds(500));
    } catch (const std::exception& e) {
      report_queue_error(e);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::lock_guard lock(mutex_);
    wake_.notify_all();
  }
}

void JobRunner::watch_deadlines() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, running] : running_)
      if (!running.timed_out && now >= running.deadline) {
        running.timed_out = true;
        running.token.cancel();
      }
    wake_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

JobRunner::~JobRunner() {
  stop();
  for (std::thread& t : threads_) t.join();
}

void JobRunner::wake() {
  std::lock_guard lock(mutex_);
  wake_.notify_one();
}

CancelOutcome JobRunner::cancel(std::string_view id) {
  std::lock_guard lock(mutex_);
  if (store_.cancel_queued(id)) return CancelOutcome::cancelled;
  if (auto it = running_.find(id); it != running_.end()) {
    it->second.cancelled_by_user = true;
    it->second.token.cancel();
    return CancelOutcome::cancelling;
  }
  if (store_.request_cancel(id)) return CancelOutcome::cancelling;
  return CancelOutcome::not_active;
}

std::filesystem::path JobRunner::job_dir(std::string_view id) const {
  return jobs_dir_ / std::string(id);
}

void JobRunner::remove_outputs(std::string_view id) const {
  blobs_.remove_job_dir(job_dir(id));
}

void JobRunner::stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& [id, running] : running_) running.token.cancel();
  wake_.notify_all();
}

void JobRunner::work() {
  for (;;) {
    std::optional<JobRecord> job;
    CancelToken token;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      // Claimed under the runner's lock: cancel() finds the job either queued or with its token.
      try {
        job = store_.claim_next();
      } catch (const std::exception& e) {
        report_queue_error(e);
        wake_.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      if (!job) {
        // The timeout also picks up jobs queued by another path than wake().
        wake_.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      running_.emplace(job->id,
                       Running{token,
                               std::chrono::steady_clock::now() +
                                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(job_timeout_s_)),
                               false, false, *job, false});
    }
    try {
      run(*job, token);
    } catch (const std::exception& e) {  // the queue failed: the job's lease runs out
      report_queue_error(e);
    }
    std::lock_guard lock(mutex_);
    running_.erase(job->id);
  }
}

void JobRunner::run(const JobRecord& job, const CancelToken& token) {
  const std::filesystem::path dir = job_dir(job.id);
  nlohmann::json outputs;
  bool made = false;
  try {
    blobs_.remove_job_dir(dir);  // what an earlier, crashed attempt left
    StoreProgress progress(store_, job);
    const std::filesystem::path data_dir = jobs_dir_.parent_path();
    outputs =
        isolation_.enabled()
            ? run_job_in_child(isolation_, job.kind, job.options, data_dir, dir, progress, token)
            : run_job_of_kind(job.kind, job.options, data_dir, dir, progress, token);
    blobs_.adopt(dir, outputs.get<std::vector<std::string>>());
    made = true;
  } catch (const Error& e) {
    if (e.code() == ExitCode::interrupted) {
      bool requeue = false, timed_out = false, lost = false;
      {
        std::lock_guard lock(mutex_);
        const Running& running = running_.at(job.id);
        timed_out = running.timed_out;
        lost = running.lost;
        requeue = stopping_ && !running.cancelled_by_user && !timed_out;
      }
      if (lost)
        std::fprintf(stderr,
                     "tonepoem: job %s was taken by another worker (this one's lease ran out); "
                     "stopped here\n",
                     job.id.c_str());
      else if (timed_out)
        store_.finish(job, JobState::failed,
                      fmt::format("the job ran longer than this server's limit of {} s and was "
                                  "stopped; ask for a shorter piece, or raise tonepoem serve "
                                  "--job-timeout",
                                  job_timeout_s_),
                      static_cast<int>(e.code()), nlohmann::json::array());
      else if (requeue)
        store_.requeue(job);
      else
        store_.finish(job, JobState::cancelled, "", static_cast<int>(e.code()),
                      nlohmann::json::array());
    } else {
      store_.finish(job, JobState::failed, describe_job_error(e), static_cast<int>(e.code()),
                    nlohmann::json::array());
    }
  } catch (const std::exception& e) {
    store_.finish(job, JobState::failed, std::string("internal error: ") + e.what(),
                  static_cast<int>(ExitCode::internal), nlohmann::json::array());
  }
  // Outside the try: a queue failure here is not the job's failure (the lease runs out instead).
  if (made) store_.finish(job, JobState::done, "", 0, outputs);
}

}  // namespace tonepoem
