#include "server/job_store.h"

#include <sqlite3.h>

#include <array>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/files.h"

namespace tonepoem {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  options TEXT NOT NULL,
  state TEXT NOT NULL,
  stage TEXT NOT NULL DEFAULT '',
  stage_progress REAL NOT NULL DEFAULT 0,
  stages TEXT NOT NULL DEFAULT '[]',
  error TEXT NOT NULL DEFAULT '',
  exit_code INTEGER NOT NULL DEFAULT 0,
  outputs TEXT NOT NULL DEFAULT '[]',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, seq);
)";

constexpr const char* kColumns =
    "id, kind, options, state, stage, stage_progress, stages, error, exit_code, outputs, "
    "attempts, created_ms, started_ms, finished_ms";

// One prepared statement, finalized on scope exit; bind() and step() throw Error(output) naming
// the database file on failure.
class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& file, const char* sql)
      : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail();
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text) {
    check(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                            SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Statement& bind(int index, double value) {
    check(sqlite3_bind_double(stmt_, index, value));
    return *this;
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail();
  }
  [[noreturn]] void fail() {
    fail_output(file_.string(), fmt::format("the job database failed: {}", sqlite3_errmsg(db_)),
                "check that the --data folder is writable and its disk not full");
  }
  sqlite3* db_;
  const std::filesystem::path& file_;
  sqlite3_stmt* stmt_ = nullptr;
};

JobRecord read_record(const Statement& row) {
  JobRecord r;
  r.id = row.text(0);
  r.kind = row.text(1);
  r.options = nlohmann::json::parse(row.text(2), nullptr, false);
  r.state = parse_job_state(row.text(3));
  r.stage = row.text(4);
  r.stage_progress = row.real(5);
  r.stages = nlohmann::json::parse(row.text(6), nullptr, false);
  r.error = row.text(7);
  r.exit_code = static_cast<int>(row.integer(8));
  r.outputs = nlohmann::json::parse(row.text(9), nullptr, false);
  r.attempts = static_cast<int>(row.integer(10));
  r.created_ms = row.integer(11);
  r.started_ms = row.integer(12);
  r.finished_ms = row.integer(13);
  return r;
}

}  // namespace

JobStore::JobStore(const std::filesystem::path& file) : file_(file) {
  ensure_writable_dir(file.has_parent_path() ? file.parent_path() : std::filesystem::path("."));
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    fail_output(file.string(), "cannot open the job database: " + why,
                "check that the --data folder is writable");
  }
  sqlite3_busy_timeout(db_, 5000);
  char* message = nullptr;
  if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
                   nullptr) != SQLITE_OK ||
      sqlite3_exec(db_, kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    sqlite3_close(db_);
    db_ = nullptr;
    fail_input(file.string(), "is not a tonepoem job database: " + why,
               "give another --data folder, or move this file away");
  }
}

JobStore::~JobStore() {
  sqlite3_close(db_);
}

void JobStore::changed() {
  ++version_;
  change_.notify_all();
}

std::vector<std::string> JobStore::recover() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  bool any = false;
  Statement spent(db_, file_,
                  "UPDATE jobs SET state = 'failed', stage = '', error = ?, exit_code = ?, "
                  "finished_ms = ? WHERE state = 'running' AND attempts >= ?");
  spent.bind(1, too_many_attempts_error(kMaxJobAttempts))
      .bind(2, static_cast<std::int64_t>(ExitCode::internal))
      .bind(3, unix_now_ms())
      .bind(4, static_cast<std::int64_t>(kMaxJobAttempts));
  spent.step();
  any = sqlite3_changes(db_) > 0;
  Statement running(db_, file_, "SELECT id FROM jobs WHERE state = 'running' ORDER BY seq");
  while (running.step()) ids.push_back(running.text(0));
  Statement requeue(db_, file_,
                    "UPDATE jobs SET state = 'queued', stage = '', stage_progress = 0, "
                    "stages = '[]' WHERE state = 'running'");
  requeue.step();
  if (any || !ids.empty()) changed();
  return ids;
}

std::optional<JobRecord> JobStore::enqueue(std::string_view kind, const nlohmann::json& options,
                                           int queue_limit) {
  std::lock_guard lock(mutex_);
  Statement count(db_, file_, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'");
  count.step();
  if (count.integer(0) >= queue_limit) return std::nullopt;
  JobRecord record = new_job_record(kind, options);
  Statement insert(db_, file_,
                   "INSERT INTO jobs (id, kind, options, state, created_ms) "
                   "VALUES (?, ?, ?, 'queued', ?)");
  insert.bind(1, record.id).bind(2, kind).bind(3, options.dump()).bind(4, record.created_ms);
  insert.step();
  changed();
  return record;
}

std::optional<JobRecord> JobStore::claim_next() {
  std::lock_guard lock(mutex_);
  std::string id;
  {
    Statement next(db_, file_, "SELECT id FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 1");
    if (!next.step()) return std::nullopt;
    id = next.text(0);
  }
  Statement claim(db_, file_,
                  "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_ms = ?, "
                  "stage = '', stage_progress = 0, stages = '[]' WHERE id = ?");
  claim.bind(1, unix_now_ms()).bind(2, id);
  claim.step();
  changed();
  Statement row(db_, file_, fmt::format("SELECT {} FROM jobs WHERE id = ?", kColumns).c_str());
  row.bind(1, id);
  row.step();
  return read_record(row);
}

void JobStore::set_progress(std::string_view id, std::string_view stage, double fraction,
                            const nlohmann::json& stages) {
  std::lock_guard lock(mutex_);
  Statement update(db_, file_,
                   "UPDATE jobs SET stage = ?, stage_progress = ?, stages = ? "
                   "WHERE id = ? AND state = 'running'");
  update.bind(1, stage).bind(2, fraction).bind(3, stages.dump()).bind(4, id);
  update.step();
  changed();
}

bool JobStore::finish(std::string_view id, JobState state, std::string_view error, int exit_code,
                      const nlohmann::json& outputs) {
  std::lock_guard lock(mutex_);
  Statement update(db_, file_,
                   "UPDATE jobs SET state = ?, stage = '', error = ?, exit_code = ?, outputs = ?, "
                   "finished_ms = ? WHERE id = ? AND state = 'running'");
  update.bind(1, job_state_name(state))
      .bind(2, error)
      .bind(3, std::int64_t{exit_code})
      .bind(4, outputs.dump())
      .bind(5, unix_now_ms())
      .bind(6, id);
  update.step();
  const bool finished = sqlite3_changes(db_) > 0;
  changed();
  return finished;
}

void JobStore::requeue(std::string_view id) {
  std::lock_guard lock(mutex_);
  Statement update(db_, file_,
                   "UPDATE jobs SET state = 'queued', stage = '', stage_progress = 0, "
                   "stages = '[]' WHERE id = ? AND state = 'running'");
  update.bind(1, id);
  update.step();
  changed();
}

bool JobStore::cancel_queued(std::string_view id) {
  std::lock_guard lock(mutex_);
  Statement update(db_, file_,
                   "UPDATE jobs SET state = 'cancelled', finished_ms = ? "
                   "WHERE id = ? AND state = 'queued'");
  update.bind(1, unix_now_ms()).bind(2, id);
  update.step();
  const bool cancelled = sqlite3_changes(db_) > 0;
  if (cancelled) changed();
  return cancelled;
}

bool JobStore::remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  Statement del(db_, file_, "DELETE FROM jobs WHERE id = ? AND state != 'running'");
  del.bind(1, id);
  del.step();
  const bool removed = sqlite3_changes(db_) > 0;
  if (removed) changed();
  return removed;
}

std::optional<JobRecord> JobStore::get(std::string_view id) const {
  std::lock_guard lock(mutex_);
  Statement row(db_, file_, fmt::format("SELECT {} FROM jobs WHERE id = ?", kColumns).c_str());
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return read_record(row);
}

std::vector<JobRecord> JobStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<JobRecord> records;
  Statement rows(db_, file_, fmt::format("SELECT {} FROM jobs ORDER BY seq", kColumns).c_str());
  while (rows.step()) records.push_back(read_record(rows));
  return records;
}

void JobStore::set_progress(const JobRecord& claim, std::string_view stage, double fraction,
                            const nlohmann::json& stages) {
  set_progress(claim.id, stage, fraction, stages);
}

bool JobStore::finish(const JobRecord& claim, JobState state, std::string_view error, int exit_code,
                      const nlohmann::json& outputs) {
  return finish(claim.id, state, error, exit_code, outputs);
}

void JobStore::requeue(const JobRecord& claim) {
  requeue(claim.id);
}

void JobStore::wait_for_work(std::chrono::milliseconds timeout) {
  wait_for_change(version(), timeout);
}

std::uint64_t JobStore::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::uint64_t JobStore::wait_for_change(std::uint64_t seen,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  change_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

}  // namespace tonepoem
