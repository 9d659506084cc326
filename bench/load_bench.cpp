// Load test of `tonepoem serve` (issue 17): a real server process on a loopback port, spoken to
// over HTTP as any client would, with jobs in SQLite and N worker threads.
//
// 1. Latency with idle workers: jobs submitted one at a time, each once the one before is done
//    (the workers are idle when it arrives); submit-to-start (`started_ms - created_ms`, the
//    server's own clock) per job: median, p95, max.
// 2. Throughput: JOBS small jobs (a 5 s piece without video) submitted at once from 16 client
//    threads, to a server with 1 worker and then to one with 3; jobs per second from the first
//    submission to the last finish, and the ratio 3 : 1. Also, per job, the dispatch gap: from the
//    moment it could have started (submitted, and a worker free: the latest finish before its
//    start, or its submission if later) to its start.
//
//   load_bench [JOBS]    (default 200; it starts the build's tonepoem)
//   TONEPOEM_BIN=/path/to/another/tonepoem load_bench ...   # the same load on another build
//   LOAD_BENCH_JOB_MEMORY=1024 load_bench ...               # each job in its own capped process
//
// Not a CI test: on this shared 2-core machine 3 workers cannot be 3 times one (each job is
// CPU-bound), and the figures move with the load beside it; it prints the cores it saw.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/test_process.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kClients = 64;  // client threads submitting at once, each its own connection

// TONEPOEM_BIN names another build to measure (a baseline), as bench/soak.sh does.
const fs::path kBinary = std::getenv("TONEPOEM_BIN") ? fs::path(std::getenv("TONEPOEM_BIN"))
                                                     : fs::path(TONEPOEM_BUILD_DIR) / "tonepoem";

// A small job: a short story, a 5 s piece, no video (about a fifth of a second of work).
json small_job(int i) {
  return {{"story",
           "The lantern was lit at the ford. A stranger crossed the river in the dark, "
           "and the children ran to meet him."},
          {"duration", 5},
          {"video", false},
          {"seed", i}};
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(at);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// The server's command line; LOAD_BENCH_JOB_MEMORY=MB adds --job-memory MB (each job in a process
// of its own).
std::vector<std::string> serve_command(const fs::path& data, int workers, std::size_t queue) {
  std::vector<std::string> args = {kBinary.string(), "serve",
                                   "--listen",       "127.0.0.1:0",
                                   "--data",         data.string(),
                                   "--workers",      std::to_string(workers),
                                   "--queue",        std::to_string(queue)};
  if (const char* mb = std::getenv("LOAD_BENCH_JOB_MEMORY")) {
    args.push_back("--job-memory");
    args.push_back(mb);
  }
  return args;
}

// `tonepoem serve` as a child process; a thread reads what it writes the whole time, so that its
// pipes never fill (a server blocked writing its log would stall the requests being measured).
class Server {
 public:
  Server(const fs::path& data, int workers, std::size_t queue)
      : child_(serve_command(data, workers, queue)) {
    const auto line = child_.read_line(60s);
    const std::string prefix = "tonepoem serve: listening on http://127.0.0.1:";
    if (line && line->rfind(prefix, 0) == 0) port_ = std::stoi(line->substr(prefix.size()));
    reader_ = std::thread([this] {
      while (!stop_) {
        while (child_.read_line(20ms)) {
        }
        (void)child_.stderr_text();
      }
    });
  }
  ~Server() {
    stop_ = true;
    reader_.join();
    child_.finish(SIGTERM);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  int port() const { return port_; }

 private:
  tonepoem::testing::Child child_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

struct Job {
  double created = 0, started = 0, finished = 0;
  std::string state, error;
};

std::string submit(int port, int i) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60s);
  const auto r = c.Post("/api/jobs", small_job(i).dump(), "application/json");
  if (!r || r->status != 201) {
    std::fprintf(stderr, "load_bench: POST /api/jobs answered %d %s\n", r ? r->status : -1,
                 r ? r->body.c_str() : httplib::to_string(r.error()).c_str());
    return {};
  }
  return json::parse(r->body).value("id", "");
}

// Every job of the server once none is queued or running (nullopt-like: empty after a timeout).
std::vector<Job> wait_for_all(Server& server, std::size_t expected, std::chrono::seconds limit) {
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60s);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = c.Get("/api/jobs");
    if (r && r->status == 200) {
      const json all = json::parse(r->body, nullptr, false);
      std::vector<Job> jobs;
      bool over = true;
      for (const json& j : all.value("jobs", json::array())) {
        Job job;
        job.state = j.value("state", "");
        job.created = j.value("created_ms", 0.0);
        job.started = j.value("started_ms", 0.0);
        job.finished = j.value("finished_ms", 0.0);
        if (j.contains("error") && j["error"].is_string()) job.error = j["error"];
        over &= job.state != "queued" && job.state != "running";
        jobs.push_back(job);
      }
      if (over && jobs.size() >= expected) return jobs;
    }
    std::this_thread::sleep_for(100ms);
  }
  return {};
}

void print_latency(const char* what, const std::vector<double>& ms) {
  std::printf("  %-44s n %3zu  median %6.1f ms  p95 %6.1f ms  max %6.1f ms\n", what, ms.size(),
              quantile(ms, 0.5), quantile(ms, 0.95),
              ms.empty() ? NAN : *std::max_element(ms.begin(), ms.end()));
}

// Phase 1: one job at a time to a server with `workers` idle workers.
void idle_latency(int workers, int count) {
  const fs::path data =
      fs::temp_directory_path() / ("tonepoem-load-idle-" + std::to_string(::getpid()));
  fs::remove_all(data);
  std::vector<double> ms;
  {
    Server server(data, workers, 1000);
    if (server.port() == 0) {
      std::fprintf(stderr, "load_bench: the server did not start\n");
      std::exit(1);
    }
    for (int i = 0; i < count; ++i) {
      if (submit(server.port(), i).empty()) std::exit(1);
      const std::vector<Job> jobs = wait_for_all(server, static_cast<std::size_t>(i + 1), 120s);
      if (jobs.empty()) std::exit(1);
    }
    for (const Job& j : wait_for_all(server, static_cast<std::size_t>(count), 120s))
      ms.push_back(j.started - j.created);
  }
  fs::remove_all(data);
  char what[96];
  std::snprintf(what, sizeof what, "submit to start, idle workers (%d)", workers);
  print_latency(what, ms);
}

struct Burst {
  double jobs_per_s = 0;
  std::size_t done = 0, failed = 0;
};

// Phase 2: `count` jobs at once from 16 client threads.
Burst burst(int workers, int count) {
  const fs::path data = fs::temp_directory_path() / ("tonepoem-load-" + std::to_string(workers) +
                                                     "-" + std::to_string(::getpid()));
  fs::remove_all(data);
  Burst b;
  std::vector<double> wait_ms, gap_ms;
  {
    Server server(data, workers, static_cast<std::size_t>(count) + 10);
    if (server.port() == 0) {
      std::fprintf(stderr, "load_bench: the server did not start\n");
      std::exit(1);
    }
    std::atomic<int> next{0}, refused{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < kClients; ++t)
      clients.emplace_back([&] {
        for (int i = next++; i < count; i = next++)
          if (submit(server.port(), i).empty()) ++refused;
      });
    for (std::thread& t : clients) t.join();
    if (refused > 0) std::fprintf(stderr, "load_bench: %d submissions refused\n", refused.load());
    const std::vector<Job> jobs = wait_for_all(server, static_cast<std::size_t>(count), 1800s);
    if (jobs.empty()) {
      std::fprintf(stderr, "load_bench: the jobs did not finish in 30 minutes\n");
      std::exit(1);
    }
    double first = INFINITY, last = 0;
    std::vector<double> finishes;
    for (const Job& j : jobs) {
      first = std::min(first, j.created);
      last = std::max(last, j.finished);
      (j.state == "done" ? b.done : b.failed) += 1;
      if (j.state != "done" && b.failed == 1)
        std::fprintf(stderr, "load_bench: a job ended %s: %s\n", j.state.c_str(), j.error.c_str());
      wait_ms.push_back(j.started - j.created);
      finishes.push_back(j.finished);
    }
    std::sort(finishes.begin(), finishes.end());
    for (const Job& j : jobs) {
      // The latest finish at or before this start freed the worker that took it (or the job came
      // after it); the first jobs found their workers free.
      const auto it = std::upper_bound(finishes.begin(), finishes.end(), j.started);
      const double freed = it != finishes.begin() ? *(it - 1) : 0.0;
      gap_ms.push_back(j.started - std::max(j.created, freed));
    }
    b.jobs_per_s = static_cast<double>(jobs.size()) / ((last - first) / 1000.0);
  }
  fs::remove_all(data);
  std::printf("  %d worker(s): %zu done, %zu failed, %.2f jobs/s\n", workers, b.done, b.failed,
              b.jobs_per_s);
  print_latency("submit to start (queued behind the others)", wait_ms);
  print_latency("dispatch gap (worker free -> job started)", gap_ms);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  ::signal(SIGPIPE, SIG_IGN);  // a closed connection is an error to count, not a crash
  const int count = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  if (!fs::exists(kBinary)) {
    std::fprintf(stderr, "load_bench: %s is absent (build tonepoem first)\n", kBinary.c_str());
    return 1;
  }
  std::printf("load_bench: %s serve, SQLite jobs, %u cores seen, %d small jobs (5 s, no video)\n",
              kBinary.c_str(), std::thread::hardware_concurrency(), count);
  const auto t0 = std::chrono::steady_clock::now();
  idle_latency(3, 50);
  const Burst one = burst(1, count);
  const Burst three = burst(3, count);
  std::printf("throughput 3 workers : 1 worker = %.2fx (%u cores)\n",
              three.jobs_per_s / one.jobs_per_s, std::thread::hardware_concurrency());
  std::printf("%.0f s wall\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return one.failed + three.failed > 0 ? 1 : 0;
}
