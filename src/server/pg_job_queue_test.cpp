// The jobs in a real PostgreSQL (a throwaway cluster, test_cluster.h): claims never shared, a dead
// worker's job taken again after its lease, a worker that lost its lease unable to overwrite the
// result, a finished job never claimed again, and --database problems named.
#include "server/pg_job_queue.h"

#include <libpq-fe.h>

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "server/test_cluster.h"

namespace tonepoem {
namespace {

using namespace std::chrono_literals;
using testing::PgCluster;

TEST(PgJobQueue, ClaimsAreNeverSharedAndGoOldestFirst) {
  PgCluster cluster;
  ASSERT_EQ(cluster.error(), "");
  PgJobQueue a(cluster.url(), 30, "a"), b(cluster.url(), 30, "b");
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(a.enqueue("make", {{"n", i}}, 1000)->id);
  EXPECT_EQ(a.claim_next()->id, ids[0]);
  // Two processes' worth of threads claiming at once: every job once, none twice.
  std::vector<std::string> claimed[8];
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      PgJobQueue& queue = t % 2 ? a : b;
      while (auto job = queue.claim_next()) claimed[t].push_back(job->id);
    });
  for (auto& t : threads) t.join();
  std::multiset<std::string> all;
  for (const auto& c : claimed) all.insert(c.begin(), c.end());
  EXPECT_EQ(all.size(), 39u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 39u);
  for (const JobRecord& job : b.list()) {
    EXPECT_EQ(job.state, JobState::running);
    EXPECT_EQ(job.attempts, 1);
  }
}

TEST(PgJobQueue, AJobWhoseLeaseRanOutIsTakenAgainAndTheOldClaimCannotFinishIt) {
  PgCluster cluster;
  ASSERT_EQ(cluster.error(), "");
  PgJobQueue dead(cluster.url(), 2, "dead"), alive(cluster.url(), 2, "alive");
  const std::string id = dead.enqueue("make", {}, 10)->id;
  const JobRecord first = *dead.claim_next();
  EXPECT_EQ(first.attempts, 1);
  EXPECT_FALSE(alive.claim_next());     // held
  std::this_thread::sleep_for(2500ms);  // no heartbeat: the lease runs out
  const auto second = alive.claim_next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, id);
  EXPECT_EQ(second->attempts, 2);
  // The first worker comes back: its lease is lost, its writes change nothing.
  EXPECT_EQ(dead.heartbeat(first), LeaseState::lost);
  dead.set_progress(first, "synthesize", 0.5, nlohmann::json::array());
  EXPECT_FALSE(dead.finish(first, JobState::failed, "stale", 3, nlohmann::json::array()));
  EXPECT_EQ(alive.get(id)->state, JobState::running);
  EXPECT_EQ(alive.get(id)->stage, "");
  // The holder keeps it with heartbeats past the lease, then finishes it, once.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(alive.heartbeat(*second), LeaseState::held);
    std::this_thread::sleep_for(700ms);
  }
  EXPECT_FALSE(dead.claim_next());
  EXPECT_TRUE(alive.finish(*second, JobState::done, "", 0, {"score.mid"}));
  EXPECT_FALSE(alive.finish(*second, JobState::failed, "again", 1, nlohmann::json::array()));
  const JobRecord done = *alive.get(id);
  EXPECT_EQ(done.state, JobState::done);
  EXPECT_EQ(done.outputs, nlohmann::json({"score.mid"}));
  EXPECT_EQ(done.attempts, 2);
  // A finished job is never claimed again, lease or not.
  std::this_thread::sleep_for(2100ms);
  EXPECT_FALSE(dead.claim_next());
  EXPECT_FALSE(alive.claim_next());
}

TEST(PgJobQueue, AJobWhoseWorkerDiedOnEachOfItsTriesEndsFailed) {
  PgCluster cluster;
  ASSERT_EQ(cluster.error(), "");
  PgJobQueue queue(cluster.url(), 0.3, "w");
  const std::string id = queue.enqueue("make", {}, 10)->id;
  for (int attempt = 1; attempt <= kMaxJobAttempts; ++attempt) {
    const auto claim = queue.claim_next();
    ASSERT_TRUE(claim) << attempt;
    EXPECT_EQ(claim->attempts, attempt);
    std::this_thread::sleep_for(500ms);  // no heartbeat: as if the worker was killed
  }
  EXPECT_FALSE(queue.claim_next()) << "not claimed a fourth time";
  const JobRecord job = *queue.get(id);
  EXPECT_EQ(job.state, JobState::failed);
  EXPECT_EQ(job.attempts, kMaxJobAttempts);
  EXPECT_NE(job.error.find("stopped 3 times"), std::string::npos) << job.error;
}

TEST(PgJobQueue, CancelAndRemoveReachJobsOfOtherProcesses) {
  PgCluster cluster;
  ASSERT_EQ(cluster.error(), "");
  PgJobQueue server(cluster.url(), 30, "server"), worker(cluster.url(), 30, "worker");
  const std::string running = server.enqueue("make", {}, 2)->id;
  const std::string queued = server.enqueue("make", {}, 2)->id;
  EXPECT_FALSE(server.enqueue("make", {}, 2));  // two queued: the bound
  const JobRecord claim = *worker.claim_next();
  EXPECT_EQ(claim.id, running);
  const std::uint64_t seen = server.version();
  EXPECT_TRUE(server.cancel_queued(queued));
  EXPECT_NE(server.wait_for_change(seen, 5s), seen);  // event streams see the change
  EXPECT_FALSE(server.cancel_queued(running));
  EXPECT_FALSE(server.remove(running));
  EXPECT_TRUE(server.request_cancel(running));
  EXPECT_EQ(worker.heartbeat(claim), LeaseState::cancel_requested);
  EXPECT_TRUE(worker.finish(claim, JobState::cancelled, "", 130, nlohmann::json::array()));
  EXPECT_FALSE(server.request_cancel(running));
  EXPECT_TRUE(server.remove(running));
  EXPECT_TRUE(server.remove(queued));
  EXPECT_TRUE(server.list().empty());
}

TEST(PgJobQueue, AQueuedJobWakesAWaitingWorkerAtOnce) {
  PgCluster cluster;
  ASSERT_EQ(cluster.error(), "");
  PgJobQueue server(cluster.url(), 30, "server"), worker(cluster.url(), 30, "worker");
  worker.wait_for_work(10ms);  // listening from now on
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    server.enqueue("make", {}, 10);
  });
  const auto start = std::chrono::steady_clock::now();
  worker.wait_for_work(10s);
  const auto waited = std::chrono::steady_clock::now() - start;
  later.join();
  EXPECT_LT(waited, 5s);  // woken by the NOTIFY, not by the timeout
  EXPECT_TRUE(worker.claim_next());
}

TEST(PgJobQueue, ABadOrUnreachableDatabaseIsNamedWithItsExitCode) {
  try {
    PgJobQueue queue("mysql://localhost/jobs", 30, "w");
    FAIL() << "accepted a mysql URL";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(e.describe().find("--database"), std::string::npos) << e.describe();
  }
  try {
    PgJobQueue queue("postgresql://u@127.0.0.1:99999999/db", 30, "w");
    FAIL() << "accepted a port out of range";
  } catch (const Error& e) {
    EXPECT_NE(e.describe().find("--database"), std::string::npos) << e.describe();
  }
  // Nothing listens on this port (a cluster that was stopped).
  int port = 0;
  {
    PgCluster cluster;
    ASSERT_EQ(cluster.error(), "");
    port = cluster.port();
  }
  try {
    PgJobQueue queue("postgresql://tonepoem:secret@127.0.0.1:" + std::to_string(port) + "/jobs", 30,
                     "w");
    FAIL() << "connected to nothing";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    const std::string text = e.describe();
    EXPECT_NE(text.find("--database 127.0.0.1:" + std::to_string(port) + "/jobs"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("secret"), std::string::npos) << "the password is not shown: " << text;
  }
}

}  // namespace
}  // namespace tonepoem
