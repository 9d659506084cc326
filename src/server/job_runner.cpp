#include "server/job_runner.h"

#include <chrono>
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

namespace tonepoem {
namespace {

// A job's progress, written to its row in the store: every stage start and end, and the current
// stage's fraction at most every 200 ms (the store wakes the event streams on each write).
class StoreProgress final : public ProgressSink {
 public:
  StoreProgress(JobStore& store, std::string id) : store_(store), id_(std::move(id)) {}
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
    store_.set_progress(id_, stage_, fraction, stages_);
  }
  JobStore& store_;
  std::string id_;
  std::string stage_;
  nlohmann::json stages_ = nlohmann::json::array();
  std::chrono::steady_clock::time_point last_{};
};

// The message of an InvalidOptions with the request's field names, else describe().
std::string describe_error(const Error& e) {
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

}  // namespace

JobRunner::JobRunner(JobStore& store, std::filesystem::path jobs_dir, int workers,
                     double job_timeout_s)
    : store_(store), jobs_dir_(std::move(jobs_dir)), job_timeout_s_(job_timeout_s) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  if (job_timeout_s_ > 0) threads_.emplace_back([this] { watch_deadlines(); });
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
  return CancelOutcome::not_active;
}

std::filesystem::path JobRunner::job_dir(std::string_view id) const {
  return jobs_dir_ / std::string(id);
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
      job = store_.claim_next();
      if (!job) {
        // The timeout also picks up jobs queued by another path than wake().
        wake_.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      running_.emplace(
          job->id,
          Running{token, std::chrono::steady_clock::now() +
                             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(job_timeout_s_))});
    }
    run(*job, token);
    std::lock_guard lock(mutex_);
    running_.erase(job->id);
  }
}

void JobRunner::run(const JobRecord& job, const CancelToken& token) {
  const std::filesystem::path dir = job_dir(job.id);
  try {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);  // what an earlier, crashed attempt left
    const MakeOptions options = make_options_from_request(job.options);
    StoreProgress progress(store_, job.id);
    FolderSink sink(dir);
    JobContext context(progress, token, sink);
    run_make(options, context);
    nlohmann::json outputs = sink.files();
    store_.finish(job.id, JobState::done, "", 0, outputs);
  } catch (const Error& e) {
    if (e.code() == ExitCode::interrupted) {
      bool requeue = false, timed_out = false;
      {
        std::lock_guard lock(mutex_);
        const Running& running = running_.at(job.id);
        timed_out = running.timed_out;
        requeue = stopping_ && !running.cancelled_by_user && !timed_out;
      }
      if (timed_out)
        store_.finish(job.id, JobState::failed,
                      fmt::format("the job ran longer than this server's limit of {} s and was "
                                  "stopped; ask for a shorter piece, or raise tonepoem serve "
                                  "--job-timeout",
                                  job_timeout_s_),
                      static_cast<int>(e.code()), nlohmann::json::array());
      else if (requeue)
        store_.requeue(job.id);
      else
        store_.finish(job.id, JobState::cancelled, "", static_cast<int>(e.code()),
                      nlohmann::json::array());
    } else {
      store_.finish(job.id, JobState::failed, describe_error(e), static_cast<int>(e.code()),
                    nlohmann::json::array());
    }
  } catch (const std::exception& e) {
    store_.finish(job.id, JobState::failed, std::string("internal error: ") + e.what(),
                  static_cast<int>(ExitCode::internal), nlohmann::json::array());
  }
}

}  // namespace tonepoem
