// The service scaled out on a real PostgreSQL (a throwaway cluster, test_cluster.h) with the real
// binary: `tonepoem serve --database URL --workers 0` and three `tonepoem worker` processes run 50
// jobs while one worker is killed (SIGKILL) in the middle of a job and the server is restarted.
// Every job ends done exactly once (a trigger in the database logs every claim and every finish),
// and every job's files are byte for byte those of a single `tonepoem make` of the same request.
#include <libpq-fe.h>
#include <signal.h>

#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/test_cluster.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace tonepoem {
namespace {

using testing::Child;
using testing::PgCluster;

const std::string kBinary = TONEPOEM_BINARY;

const std::string kStory =
    "The boat left the harbour at dawn.\n"
    "A storm broke over the grey sea and the sailors were afraid.\n"
    "At last the sun came out and they sang their way home.\n";

constexpr int kJobs = 50;
constexpr int kRequests = 5;  // distinct requests (seeds 1..5), each asked for 10 times

json request_for(int seed) {
  return {{"story", kStory}, {"duration", 5}, {"video", false}, {"refine", false}, {"seed", seed}};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Runs SQL on the cluster; the rows as text, or a failed test.
std::vector<std::vector<std::string>> sql(const std::string& url, const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* result = PQexec(conn, text.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    ADD_FAILURE() << text << ": " << PQerrorMessage(conn);
  for (int r = 0; r < PQntuples(result); ++r) {
    rows.emplace_back();
    for (int c = 0; c < PQnfields(result); ++c) rows.back().push_back(PQgetvalue(result, r, c));
  }
  PQclear(result);
  PQfinish(conn);
  return rows;
}

// `tonepoem serve` on a free loopback port; port() is 0 when it did not start.
class Server {
 public:
  explicit Server(std::vector<std::string> args) {
    args.insert(args.begin(), {kBinary, "serve", "--listen", "127.0.0.1:0"});
    child_ = std::make_unique<Child>(args);
    const auto line = child_->read_line(60s);
    const std::string prefix = "tonepoem serve: listening on http://127.0.0.1:";
    if (line && line->rfind(prefix, 0) == 0) port_ = std::stoi(line->substr(prefix.size()));
  }
  int port() const { return port_; }
  Child& child() { return *child_; }

 private:
  std::unique_ptr<Child> child_;
  int port_ = 0;
};

TEST(PgWorkers, FiftyJobsThreeWorkersOneKilledServerRestartedEachDoneOnceWithIdenticalFiles) {
  PgCluster cluster;
  ASSERT_EQ(cluster.error(), "");
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-pgworkers-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string> serve_args = {
      "--data", (dir / "data").string(), "--database", cluster.url(), "--workers", "0", "--lease",
      "2"};
  auto server = std::make_unique<Server>(serve_args);
  ASSERT_GT(server->port(), 0) << server->child().finish(SIGKILL) << server->child().stderr_text();

  // Every claim and every finish, logged by the database itself.
  sql(cluster.url(), R"(
CREATE TABLE claims (id TEXT, attempts INT);
CREATE TABLE finishes (id TEXT, state TEXT, attempts INT);
CREATE FUNCTION log_claim() RETURNS trigger AS $$
BEGIN INSERT INTO claims VALUES (NEW.id, NEW.attempts); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE FUNCTION log_finish() RETURNS trigger AS $$
BEGIN INSERT INTO finishes VALUES (NEW.id, NEW.state, NEW.attempts); RETURN NEW; END $$
LANGUAGE plpgsql;
CREATE TRIGGER claimed AFTER UPDATE ON tonepoem_jobs FOR EACH ROW
  WHEN (NEW.attempts <> OLD.attempts) EXECUTE FUNCTION log_claim();
CREATE TRIGGER finished AFTER UPDATE ON tonepoem_jobs FOR EACH ROW
  WHEN (NEW.state IN ('done', 'failed', 'cancelled') AND NEW.state <> OLD.state)
  EXECUTE FUNCTION log_finish();
)");

  std::vector<std::unique_ptr<Child>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<Child>(
        std::vector<std::string>{kBinary, "worker", "--database", cluster.url(), "--data",
                                 (dir / "data").string(), "--workers", "1", "--lease", "2"}));
    const auto line = workers.back()->read_line(60s);
    ASSERT_TRUE(line && line->find("taking jobs from 127.0.0.1:") != std::string::npos)
        << line.value_or("(nothing)") << workers.back()->stderr_text();
  }

  std::map<std::string, int> seed_of;  // job id -> its request's seed
  {
    httplib::Client c("127.0.0.1", server->port());
    for (int i = 0; i < kJobs; ++i) {
      const int seed = 1 + i % kRequests;
      auto r = c.Post("/api/jobs", request_for(seed).dump(), "application/json");
      ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
      seed_of[json::parse(r->body)["id"]] = seed;
    }
  }

  // Once a few jobs are done, the worker running a job is killed in the middle of it.
  std::string victim_job;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (victim_job.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    if (std::stoi(sql(cluster.url(),
                      "SELECT count(*) FROM tonepoem_jobs WHERE state = 'done'")[0][0]) < 3)
      continue;
    const auto running = sql(cluster.url(),
                             "SELECT id, worker FROM tonepoem_jobs WHERE state = 'running' AND "
                             "stage = 'synthesize'");
    for (const auto& row : running) {
      const pid_t pid = std::stoi(row[1].substr(row[1].rfind(':') + 1));
      for (auto& w : workers)
        if (w->pid() == pid) {
          EXPECT_EQ(w->finish(SIGKILL), 128 + SIGKILL);
          victim_job = row[0];
          break;
        }
      if (!victim_job.empty()) break;
    }
  }
  ASSERT_FALSE(victim_job.empty()) << "no worker was seen running a job";

  // The server restarts while the two other workers go on.
  EXPECT_EQ(server->child().finish(SIGTERM), 0);
  server = std::make_unique<Server>(serve_args);
  ASSERT_GT(server->port(), 0);
  httplib::Client c("127.0.0.1", server->port());
  json jobs;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c.Get("/api/jobs");
    ASSERT_TRUE(r && r->status == 200);
    jobs = json::parse(r->body)["jobs"];
    if (std::all_of(jobs.begin(), jobs.end(), [](const json& j) {
          return j["state"] == "done" || j["state"] == "failed" || j["state"] == "cancelled";
        }))
      break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(jobs.size(), static_cast<std::size_t>(kJobs));

  // Every job done, once; the killed worker's job taken again (attempts 2), the others once.
  std::map<std::string, int> finishes, claims;
  for (const auto& row : sql(cluster.url(), "SELECT id, state FROM finishes")) {
    ++finishes[row[0]];
    EXPECT_EQ(row[1], "done") << row[0];
  }
  for (const auto& row : sql(cluster.url(), "SELECT id FROM claims")) ++claims[row[0]];
  for (const json& job : jobs) {
    const std::string id = job["id"];
    ASSERT_EQ(job["state"], "done") << job.dump(2);
    EXPECT_EQ(finishes[id], 1) << id;
    EXPECT_EQ(job["attempts"], id == victim_job ? 2 : 1) << id;
    EXPECT_EQ(claims[id], job["attempts"].get<int>()) << id;
  }

  // A single run of each request: the CLI's make, one process, one job.
  std::ofstream(dir / "story.txt") << kStory;
  std::map<int, fs::path> single;
  for (int seed = 1; seed <= kRequests; ++seed) {
    single[seed] = dir / ("single-" + std::to_string(seed));
    ASSERT_EQ(testing::run_program({kBinary, "make", (dir / "story.txt").string(), "-o",
                                    single[seed].string(), "--duration", "5", "--no-video",
                                    "--no-refine", "--seed", std::to_string(seed), "-q"}),
              0);
  }
  for (const json& job : jobs) {
    const std::string id = job["id"];
    const fs::path folder = dir / "data" / "jobs" / id;
    std::set<std::string> present;
    for (const auto& entry : fs::directory_iterator(folder))
      present.insert(entry.path().filename().string());
    std::set<std::string> listed(job["outputs"].begin(), job["outputs"].end());
    listed.insert(".digests.json");  // each output's SHA-256 (blob_store.h)
    EXPECT_EQ(present, listed) << id << ": no file left over from an earlier attempt";
    ASSERT_TRUE(listed.count("score.mid")) << job.dump(2);
    // Stored by content: each output is a link to the blob its digest names.
    const json digests = json::parse(read_file(folder / ".digests.json"), nullptr, false);
    for (const std::string name : job["outputs"]) {
      const std::string digest = digests.value(name, "");
      ASSERT_EQ(digest.size(), 64u) << name << " of job " << id;
      EXPECT_TRUE(
          fs::equivalent(folder / name, dir / "data" / "blobs" / digest.substr(0, 2) / digest))
          << name << " of job " << id;
    }
    for (const char* name : {"score.mid", "score.wav", "cues.json"})
      EXPECT_TRUE(read_file(folder / name) == read_file(single[seed_of[id]] / name))
          << name << " of job " << id << (id == victim_job ? " (the retried one)" : "")
          << " differs from the single run's";
  }

  for (auto& w : workers) {
    if (w->pid() > 0) {
      EXPECT_EQ(w->finish(SIGTERM), 0);
    }
  }
  EXPECT_EQ(server->child().finish(SIGTERM), 0);
  fs::remove_all(dir);
}

// `tonepoem serve --database` and `tonepoem worker` name --database when the URL is malformed (2)
// or the database cannot be reached (4); --workers 0 needs a database.
TEST(PgWorkers, DatabaseProblemsExitWithTheirDocumentedCodesNamingTheFlag) {
  const fs::path data =
      fs::temp_directory_path() / ("tonepoem-pgbad-" + std::to_string(::getpid()));
  int port = 0;
  {
    PgCluster stopped;  // started and stopped: nothing listens on its port now
    ASSERT_EQ(stopped.error(), "");
    port = stopped.port();
  }
  const std::string unreachable = "postgresql://tonepoem@127.0.0.1:" + std::to_string(port) + "/x";
  std::string output;
  for (const std::string command : {"serve", "worker"}) {
    std::vector<std::string> base = {kBinary, command, "--data", data.string()};
    if (command == "serve") base.insert(base.end(), {"--listen", "127.0.0.1:0"});
    auto with = [&](std::vector<std::string> extra) {
      std::vector<std::string> all = base;
      all.insert(all.end(), extra.begin(), extra.end());
      return all;
    };
    EXPECT_EQ(testing::run_program(with({"--database", "mysql://h/db"}), &output), 2) << output;
    EXPECT_NE(output.find("--database"), std::string::npos) << output;
    EXPECT_EQ(testing::run_program(with({"--database", unreachable}), &output), 4) << output;
    EXPECT_NE(output.find("--database 127.0.0.1:" + std::to_string(port) + "/x"), std::string::npos)
        << output;
    EXPECT_NE(output.find("cannot connect"), std::string::npos) << output;
  }
  EXPECT_EQ(testing::run_program({kBinary, "worker", "--data", data.string()}, &output), 2);
  EXPECT_NE(output.find("--database"), std::string::npos) << output;
  EXPECT_EQ(testing::run_program({kBinary, "serve", "--listen", "127.0.0.1:0", "--data",
                                  data.string(), "--workers", "0"},
                                 &output),
            2);
  EXPECT_NE(output.find("0 only with --database"), std::string::npos) << output;
  fs::remove_all(data);
}

}  // namespace
}  // namespace tonepoem
