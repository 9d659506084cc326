// The job table on a real SQLite file: order, the queue bound, cancellation of queued jobs only,
// and recovery of jobs left running by a process that died.
#include "server/job_store.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

fs::path fresh_db(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-store-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir / "jobs.sqlite3";
}

TEST(JobStore, JobsAreTakenOldestFirstAndTheQueueIsBounded) {
  JobStore store(fresh_db("order"));
  const auto a = store.enqueue("make", {{"story", "a"}}, 2);
  const auto b = store.enqueue("make", {{"story", "b"}}, 2);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(valid_job_id(a->id));
  EXPECT_NE(a->id, b->id);
  EXPECT_FALSE(store.enqueue("make", {{"story", "c"}}, 2));  // two queued: full
  const auto first = store.claim_next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, a->id);
  EXPECT_EQ(first->state, JobState::running);
  EXPECT_EQ(first->attempts, 1);
  EXPECT_EQ(first->options["story"], "a");
  EXPECT_TRUE(store.enqueue("make", {{"story", "c"}}, 2));  // one queued again: room
  EXPECT_EQ(store.claim_next()->id, b->id);
}

TEST(JobStore, OnlyQueuedJobsAreCancelledAndOnlyIdleOnesRemoved) {
  JobStore store(fresh_db("cancel"));
  const auto a = store.enqueue("make", {}, 10);
  const auto b = store.enqueue("make", {}, 10);
  store.claim_next();  // a runs
  EXPECT_FALSE(store.cancel_queued(a->id));
  EXPECT_TRUE(store.cancel_queued(b->id));
  EXPECT_EQ(store.get(b->id)->state, JobState::cancelled);
  EXPECT_EQ(store.get(a->id)->state, JobState::running);  // untouched
  EXPECT_FALSE(store.remove(a->id));
  store.finish(a->id, JobState::done, "", 0, {"score.mid"});
  EXPECT_EQ(store.get(a->id)->outputs, nlohmann::json({"score.mid"}));
  EXPECT_TRUE(store.remove(a->id));
  EXPECT_FALSE(store.get(a->id));
  EXPECT_EQ(store.list().size(), 1u);
}

TEST(JobStore, JobsLeftRunningAreQueuedAgainWhenReopened) {
  const fs::path file = fresh_db("recover");
  std::string running, queued;
  {
    JobStore store(file);
    running = store.enqueue("make", {}, 10)->id;
    queued = store.enqueue("make", {}, 10)->id;
    store.claim_next();
    store.set_progress(running, "synthesize", 0.5, nlohmann::json::array());
  }  // as if the process died here
  JobStore store(file);
  EXPECT_EQ(store.recover(), std::vector<std::string>{running});
  EXPECT_EQ(store.get(running)->state, JobState::queued);
  EXPECT_EQ(store.get(running)->stage, "");
  EXPECT_EQ(store.claim_next()->id, running);  // keeps its place
  EXPECT_EQ(store.get(running)->attempts, 2);
  EXPECT_EQ(store.claim_next()->id, queued);
  EXPECT_EQ(store.get(queued)->attempts, 1);
}

TEST(JobStore, AJobWhoseProcessDiedOnEachOfItsTriesEndsFailed) {
  const fs::path file = fresh_db("spent");
  std::string id;
  for (int attempt = 1; attempt <= kMaxJobAttempts; ++attempt) {
    JobStore store(file);
    store.recover();
    if (id.empty()) id = store.enqueue("make", {}, 10)->id;
    const auto claim = store.claim_next();
    ASSERT_TRUE(claim);
    EXPECT_EQ(claim->attempts, attempt);
  }  // the process dies with the job running, each time
  JobStore store(file);
  EXPECT_TRUE(store.recover().empty()) << "not queued a fourth time";
  const JobRecord job = *store.get(id);
  EXPECT_EQ(job.state, JobState::failed);
  EXPECT_NE(job.error.find("stopped 3 times"), std::string::npos) << job.error;
  EXPECT_FALSE(store.claim_next());
}

TEST(JobStore, WaitingForAChangeWakesOnAWrite) {
  JobStore store(fresh_db("wait"));
  const std::uint64_t seen = store.version();
  EXPECT_EQ(store.wait_for_change(seen, std::chrono::milliseconds(10)), seen);
  store.enqueue("make", {}, 10);
  EXPECT_NE(store.wait_for_change(seen, std::chrono::seconds(5)), seen);
}

TEST(JobStore, AFileThatIsNotADatabaseIsNamed) {
  const fs::path file = fresh_db("garbage");
  fs::create_directories(file.parent_path());
  std::ofstream(file) << std::string(5000, 'x');
  try {
    JobStore store(file);
    FAIL() << "opened a file of garbage";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.file(), file.string());
  }
}

TEST(JobStore, IdsAreCheckedForTheirForm) {
  EXPECT_TRUE(valid_job_id("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(valid_job_id("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(valid_job_id("../../etc/passwd"));
  EXPECT_FALSE(valid_job_id(std::string("0123456789abcdef0123456789abcde\0", 32)));
  EXPECT_FALSE(valid_job_id(""));
}

}  // namespace
}  // namespace tonepoem
