#include "server/pg_job_queue.h"

#include <libpq-fe.h>
#include <poll.h>

#include <memory>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace tonepoem {
namespace {

constexpr const char* kUrlForm =
    "give --database postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (the database must exist "
    "and accept that user)";

// Serialised by an advisory lock: two processes starting at once would otherwise race on
// CREATE ... IF NOT EXISTS.
constexpr const char* kSchema = R"(
SET client_min_messages = warning;
SELECT pg_advisory_lock(7365290117);
CREATE SEQUENCE IF NOT EXISTS tonepoem_job_changes;
CREATE TABLE IF NOT EXISTS tonepoem_jobs (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  options TEXT NOT NULL,
  state TEXT NOT NULL,
  stage TEXT NOT NULL DEFAULT '',
  stage_progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  stages TEXT NOT NULL DEFAULT '[]',
  error TEXT NOT NULL DEFAULT '',
  exit_code INTEGER NOT NULL DEFAULT 0,
  outputs TEXT NOT NULL DEFAULT '[]',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  started_ms BIGINT NOT NULL DEFAULT 0,
  finished_ms BIGINT NOT NULL DEFAULT 0,
  worker TEXT NOT NULL DEFAULT '',
  lease_until TIMESTAMPTZ,
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
  change BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tonepoem_jobs_by_state ON tonepoem_jobs (state, seq);
SELECT pg_advisory_unlock(7365290117);
)";

constexpr const char* kColumns =
    "id, kind, options, state, stage, stage_progress, stages, error, exit_code, outputs, "
    "attempts, created_ms, started_ms, finished_ms";

constexpr const char* kNextChange = "nextval('tonepoem_job_changes')";

std::int64_t to_int(const std::string& text) {
  return text.empty() ? 0 : std::stoll(text);
}

JobRecord read_record(const std::vector<std::string>& row) {
  JobRecord r;
  r.id = row.at(0);
  r.kind = row.at(1);
  r.options = nlohmann::json::parse(row.at(2), nullptr, false);
  r.state = parse_job_state(row.at(3));
  r.stage = row.at(4);
  r.stage_progress = row.at(5).empty() ? 0 : std::stod(row.at(5));
  r.stages = nlohmann::json::parse(row.at(6), nullptr, false);
  r.error = row.at(7);
  r.exit_code = static_cast<int>(to_int(row.at(8)));
  r.outputs = nlohmann::json::parse(row.at(9), nullptr, false);
  r.attempts = static_cast<int>(to_int(row.at(10)));
  r.created_ms = to_int(row.at(11));
  r.started_ms = to_int(row.at(12));
  r.finished_ms = to_int(row.at(13));
  return r;
}

// "HOST:PORT/DATABASE" of a connection string (no user, no password), or the problem with it.
std::string describe_url(const std::string& url, std::string& problem) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    problem = error ? error : "it cannot be parsed";
    PQfreemem(error);
    while (!problem.empty() && (problem.back() == '\n' || problem.back() == ' '))
      problem.pop_back();
    return {};
  }
  std::string host = "localhost", port = "5432", db;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    const std::string_view key = o->keyword;
    if (key == "host" || (key == "hostaddr" && host == "localhost"))
      host = o->val;
    else if (key == "port")
      port = o->val;
    else if (key == "dbname")
      db = o->val;
  }
  PQconninfoFree(options);
  return fmt::format("{}:{}/{}", host, port, db);
}

std::string last_error(const pg_conn* conn) {
  std::string text = conn ? PQerrorMessage(conn) : "out of memory";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n') c = ' ';
  return text;
}

}  // namespace

PgJobQueue::PgJobQueue(std::string url, double lease_s, std::string worker)
    : url_(std::move(url)), lease_s_(lease_s), worker_(std::move(worker)) {
  const bool url_form = url_.rfind("postgresql://", 0) == 0 || url_.rfind("postgres://", 0) == 0;
  const bool keyword_form = !url_form && url_.find('=') != std::string::npos;
  std::string problem;
  if (!url_form && !keyword_form)
    problem = "it is neither a postgresql:// URL nor libpq's KEY=VALUE form";
  else
    where_ = describe_url(url_, problem);
  if (!problem.empty()) fail_usage(fmt::format("--database: {}", problem), kUrlForm);
  pg_conn* conn = connect();
  PGresult* result = PQexec(conn, kSchema);
  const bool ok =
      PQresultStatus(result) == PGRES_TUPLES_OK || PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  if (!ok) {
    const std::string why = last_error(conn);
    PQfinish(conn);
    fail_resource("--database " + where_, "cannot create the job table tonepoem_jobs: " + why,
                  "give a database where this user may create tables");
  }
  release(conn);
}

PgJobQueue::~PgJobQueue() {
  for (pg_conn* conn : idle_) PQfinish(conn);
  if (listener_) PQfinish(listener_);
}

pg_conn* PgJobQueue::connect() const {
  pg_conn* conn = PQconnectdb(url_.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string why = last_error(conn);
    PQfinish(conn);
    fail_resource("--database " + where_, "cannot connect to the job database: " + why,
                  "check that PostgreSQL runs there and accepts this user and password; " +
                      std::string(kUrlForm));
  }
  return conn;
}

pg_conn* PgJobQueue::acquire() const {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      pg_conn* conn = idle_.back();
      idle_.pop_back();
      return conn;
    }
  }
  return connect();
}

void PgJobQueue::release(pg_conn* conn) const {
  if (PQstatus(conn) != CONNECTION_OK) {
    PQfinish(conn);
    return;
  }
  std::lock_guard lock(pool_mutex_);
  idle_.push_back(conn);
}

PgJobQueue::Rows PgJobQueue::exec(const char* sql, const std::vector<std::string>& params) const {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  for (int attempt = 0;; ++attempt) {
    pg_conn* conn = acquire();
    PGresult* result = PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                    values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      Rows rows(static_cast<std::size_t>(PQntuples(result)));
      const int columns = PQnfields(result);
      for (int r = 0; r < PQntuples(result); ++r)
        for (int c = 0; c < columns; ++c)
          rows[static_cast<std::size_t>(r)].emplace_back(PQgetvalue(result, r, c),
                                                         PQgetlength(result, r, c));
      PQclear(result);
      release(conn);
      return rows;
    }
    PQclear(result);
    const std::string why = last_error(conn);
    const bool broken = PQstatus(conn) != CONNECTION_OK;
    PQfinish(conn);  // a fresh connection next time
    if (!broken || attempt >= 1)
      fail_resource("--database " + where_, "the job database failed: " + why,
                    "check that PostgreSQL runs and that this user may use tonepoem_jobs");
  }
}

std::optional<JobRecord> PgJobQueue::enqueue(std::string_view kind, const nlohmann::json& options,
                                             int queue_limit) {
  JobRecord record = new_job_record(kind, options);
  const Rows rows = exec(
      fmt::format("WITH added AS (INSERT INTO tonepoem_jobs (id, kind, options, state, created_ms, "
                  "change) SELECT $1, $2, $3, 'queued', $4::bigint, {} WHERE (SELECT count(*) FROM "
                  "tonepoem_jobs WHERE state = 'queued') < $5::bigint RETURNING id) "
                  "SELECT id, pg_notify('tonepoem_jobs', id) FROM added",
                  kNextChange)
          .c_str(),
      {record.id, std::string(kind), options.dump(), std::to_string(record.created_ms),
       std::to_string(queue_limit)});
  if (rows.empty()) return std::nullopt;
  return record;
}

std::optional<JobRecord> PgJobQueue::claim_next() {
  // A job whose worker died after a cancel was asked for ends cancelled, not run again.
  exec(fmt::format("UPDATE tonepoem_jobs SET state = 'cancelled', stage = '', finished_ms = "
                   "$1::bigint, lease_until = NULL, change = {} WHERE state = 'running' AND "
                   "cancel_requested AND lease_until < clock_timestamp()",
                   kNextChange)
           .c_str(),
       {std::to_string(unix_now_ms())});
  // A job whose worker died on each of its tries ends failed.
  exec(fmt::format("UPDATE tonepoem_jobs SET state = 'failed', stage = '', error = $2, exit_code = "
                   "$3::integer, finished_ms = $1::bigint, lease_until = NULL, change = {} WHERE "
                   "state = 'running' AND lease_until < clock_timestamp() AND attempts >= "
                   "$4::integer",
                   kNextChange)
           .c_str(),
       {std::to_string(unix_now_ms()), too_many_attempts_error(kMaxJobAttempts),
        std::to_string(static_cast<int>(ExitCode::internal)), std::to_string(kMaxJobAttempts)});
  const Rows rows = exec(
      fmt::format(
          "UPDATE tonepoem_jobs SET state = 'running', attempts = attempts + 1, "
          "started_ms = $1::bigint, worker = $2, lease_until = clock_timestamp() + "
          "make_interval(secs => $3::float8), stage = '', stage_progress = 0, stages = '[]', "
          "cancel_requested = FALSE, change = {} "
          "WHERE seq = (SELECT seq FROM tonepoem_jobs WHERE state = 'queued' OR (state = "
          "'running' AND lease_until < clock_timestamp()) ORDER BY seq LIMIT 1 FOR UPDATE SKIP "
          "LOCKED) RETURNING {}",
          kNextChange, kColumns)
          .c_str(),
      {std::to_string(unix_now_ms()), worker_, fmt::format("{}", lease_s_)});
  if (rows.empty()) return std::nullopt;
  return read_record(rows.front());
}

LeaseState PgJobQueue::heartbeat(const JobRecord& claim) {
  const Rows rows = exec(
      "UPDATE tonepoem_jobs SET lease_until = clock_timestamp() + make_interval(secs => "
      "$3::float8) WHERE id = $1 AND attempts = $2::integer AND state = 'running' "
      "RETURNING cancel_requested",
      {claim.id, std::to_string(claim.attempts), fmt::format("{}", lease_s_)});
  if (rows.empty()) return LeaseState::lost;
  return rows.front().at(0) == "t" ? LeaseState::cancel_requested : LeaseState::held;
}

bool PgJobQueue::request_cancel(std::string_view id) {
  return !exec(fmt::format("UPDATE tonepoem_jobs SET cancel_requested = TRUE, change = {} WHERE "
                           "id = $1 AND state = 'running' RETURNING id",
                           kNextChange)
                   .c_str(),
               {std::string(id)})
              .empty();
}

void PgJobQueue::set_progress(const JobRecord& claim, std::string_view stage, double fraction,
                              const nlohmann::json& stages) {
  exec(fmt::format("UPDATE tonepoem_jobs SET stage = $3, stage_progress = $4::float8, stages = $5, "
                   "change = {} WHERE id = $1 AND attempts = $2::integer AND state = 'running'",
                   kNextChange)
           .c_str(),
       {claim.id, std::to_string(claim.attempts), std::string(stage), fmt::format("{}", fraction),
        stages.dump()});
}

bool PgJobQueue::finish(const JobRecord& claim, JobState state, std::string_view error,
                        int exit_code, const nlohmann::json& outputs) {
  return !exec(fmt::format("UPDATE tonepoem_jobs SET state = $3, stage = '', error = $4, "
                           "exit_code = $5::integer, outputs = $6, finished_ms = $7::bigint, "
                           "lease_until = NULL, change = {} WHERE id = $1 AND attempts = "
                           "$2::integer AND state = 'running' RETURNING id",
                           kNextChange)
                   .c_str(),
               {claim.id, std::to_string(claim.attempts), std::string(job_state_name(state)),
                std::string(error), std::to_string(exit_code), outputs.dump(),
                std::to_string(unix_now_ms())})
              .empty();
}

void PgJobQueue::requeue(const JobRecord& claim) {
  exec(fmt::format("WITH back AS (UPDATE tonepoem_jobs SET state = 'queued', stage = '', "
                   "stage_progress = 0, stages = '[]', lease_until = NULL, worker = '', "
                   "change = {} WHERE id = $1 AND attempts = $2::integer AND state = 'running' "
                   "RETURNING id) SELECT pg_notify('tonepoem_jobs', id) FROM back",
                   kNextChange)
           .c_str(),
       {claim.id, std::to_string(claim.attempts)});
}

bool PgJobQueue::cancel_queued(std::string_view id) {
  return !exec(
              fmt::format("UPDATE tonepoem_jobs SET state = 'cancelled', finished_ms = "
                          "$2::bigint, change = {} WHERE id = $1 AND state = 'queued' RETURNING id",
                          kNextChange)
                  .c_str(),
              {std::string(id), std::to_string(unix_now_ms())})
              .empty();
}

bool PgJobQueue::remove(std::string_view id) {
  return !exec(fmt::format("WITH gone AS (DELETE FROM tonepoem_jobs WHERE id = $1 AND state != "
                           "'running' RETURNING id) SELECT id, {} FROM gone",
                           kNextChange)
                   .c_str(),
               {std::string(id)})
              .empty();
}

std::optional<JobRecord> PgJobQueue::get(std::string_view id) const {
  const Rows rows =
      exec(fmt::format("SELECT {} FROM tonepoem_jobs WHERE id = $1", kColumns).c_str(),
           {std::string(id)});
  if (rows.empty()) return std::nullopt;
  return read_record(rows.front());
}

std::vector<JobRecord> PgJobQueue::list() const {
  std::vector<JobRecord> records;
  for (const auto& row :
       exec(fmt::format("SELECT {} FROM tonepoem_jobs ORDER BY seq", kColumns).c_str(), {}))
    records.push_back(read_record(row));
  return records;
}

std::uint64_t PgJobQueue::version() const {
  const Rows rows = exec("SELECT last_value FROM tonepoem_job_changes", {});
  return rows.empty() ? 0 : static_cast<std::uint64_t>(to_int(rows.front().at(0)));
}

std::uint64_t PgJobQueue::wait_for_change(std::uint64_t seen,
                                          std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::uint64_t now = version();
    if (now != seen || std::chrono::steady_clock::now() >= deadline) return now;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void PgJobQueue::wait_for_work(std::chrono::milliseconds timeout) {
  std::lock_guard lock(listen_mutex_);
  if (listener_ && PQstatus(listener_) != CONNECTION_OK) {
    PQfinish(listener_);
    listener_ = nullptr;
  }
  if (!listener_) {
    pg_conn* conn = PQconnectdb(url_.c_str());
    PGresult* result =
        PQstatus(conn) == CONNECTION_OK ? PQexec(conn, "LISTEN tonepoem_jobs") : nullptr;
    const bool ok = result && PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok) {  // the database is away: the workers' polling goes on; try again later
      PQfinish(conn);
      std::this_thread::sleep_for(timeout);
      return;
    }
    listener_ = conn;
  }
  auto drain = [this] {
    bool any = false;
    PQconsumeInput(listener_);
    while (PGnotify* n = PQnotifies(listener_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  };
  if (drain()) return;
  pollfd p{PQsocket(listener_), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) > 0) drain();
}

}  // namespace tonepoem
