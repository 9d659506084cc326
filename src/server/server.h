// `tonepoem serve`: the HTTP front-end over the same jobs as the CLI (src/jobs). JSON in and out;
// jobs persisted in SQLite under the data folder (job_store.h), or with --database in PostgreSQL
// (pg_job_queue.h) shared with `tonepoem worker` processes (run_workers below); run by worker
// threads (job_runner.h), outputs under <data>/jobs/<id>/. The API is described by
// openapi_document(), served at GET /api/openapi.json, and in README.md ("Service").
//
// Security: bound to 127.0.0.1 by default; any other address needs a token, then every request
// must carry "Authorization: Bearer <token>" (401 otherwise). Bodies over max_upload_bytes get 413
// naming the limit, a full queue 429, a malformed body or option 400 naming the field; ids and file
// names are checked against a strict form (400) and the job's own list of outputs (404), so no
// request reaches a file outside its job's folder. No shell is ever run.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/cancel.h"
#include "core/error.h"

namespace tonepoem {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the URL printed says which)
  std::filesystem::path data_dir = "tonepoem-data";
  // Empty: jobs in <data_dir>/jobs.sqlite3. Else a PostgreSQL URL (postgresql://...): jobs there,
  // shared with `tonepoem worker` processes.
  std::string database;
  double lease_s = 30;  // with database: a claim's lease, 2..3600 s
  int workers = 1;      // 1..64; with database 0..64 (0: workers elsewhere)
  std::size_t max_upload_bytes = std::size_t{512} << 20;  // 1 KiB .. 1 GiB
  int queue_limit = 100;                                  // queued jobs at most, 1..100000
  double job_timeout_s = 0;  // a running job is stopped (failed) after this long; 0: no limit
  // Resident memory a job may use, in MiB, 32..1048576; 0: no cap. With a cap each job runs in a
  // child process of this program (job_process.h), stopped and failed when it passes the cap.
  std::size_t job_memory_mb = 0;
  std::string token;  // required unless host is loopback

  // Fields: "listen", "workers", "max_upload", "queue", "job_timeout", "job_memory", "token",
  // "lease".
  OptionProblems validate() const;
};

// "HOST:PORT" ("127.0.0.1:8080", "[::1]:0", "0.0.0.0:9000") into host and port. Returns the
// problem (empty when parsed).
std::string parse_listen(std::string_view text, ServeOptions& options);
// 127.0.0.1, ::1 and localhost: addresses only this machine can reach.
bool is_loopback_host(std::string_view host);

// Runs the service until `stop` is cancelled (the CLI cancels it on SIGINT/SIGTERM), then stops
// accepting requests, cancels the running jobs and queues them again for the next start. Calls
// `listening` once with the base URL ("http://127.0.0.1:41234") when requests can be made.
// Throws InvalidOptions for bad options, Error(output) when the data folder is not writable,
// Error(usage) when the address cannot be bound (in use, not local).
void serve(const ServeOptions& options, const CancelToken& stop,
           const std::function<void(const std::string& url)>& listening);

// `tonepoem worker`: runs jobs from a PostgreSQL queue (no HTTP), `workers` at once, writing their
// outputs under <data_dir>/jobs/<id>/ (the folder `tonepoem serve --data` serves them from: on
// several machines, one shared folder).
struct WorkerOptions {
  std::string database;  // required: postgresql://...
  std::filesystem::path data_dir = "tonepoem-data";
  int workers = 1;                // 1..64
  double job_timeout_s = 0;       // as ServeOptions
  std::size_t job_memory_mb = 0;  // as ServeOptions
  double lease_s = 30;            // 2..3600 s: a job whose worker died is taken again after this

  // Fields: "database", "workers", "job_timeout", "job_memory", "lease".
  OptionProblems validate() const;
};

// Runs jobs until `stop` is cancelled, then cancels the running ones and queues them again. Calls
// `ready` with the database's "HOST:PORT/DATABASE" once connected. Throws InvalidOptions, and
// Error(usage) / Error(missing_resource) naming --database for a malformed URL / a database that
// cannot be reached, Error(output) when the data folder is not writable.
void run_workers(const WorkerOptions& options, const CancelToken& stop,
                 const std::function<void(const std::string& where)>& ready);

// The OpenAPI 3.0 description of the API.
nlohmann::json openapi_document();

}  // namespace tonepoem
