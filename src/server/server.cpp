#include "server/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>

#include <openssl/evp.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/files.h"
#include "jobs/make_request.h"
#include "server/blob_store.h"
#include "server/http_answers.h"
#include "server/job_runner.h"
#include "server/job_store.h"
#include "server/live_sessions.h"
#include "server/pg_job_queue.h"
#include "server/studio_assets.h"
#include "server/uploads.h"

namespace tonepoem {
namespace {

// The problem with a file name asked for (empty when its form is acceptable); the job's list of
// outputs is checked afterwards.
std::string file_name_problem(std::string_view name) {
  if (name.empty()) return "is empty; give one of the job's outputs (GET /api/jobs/{id})";
  if (name.size() > 255) return fmt::format("is {} characters long; at most 255", name.size());
  if (name.find('\0') != std::string_view::npos) return "contains a NUL byte";
  if (name.front() == '/') return "is an absolute path; give a name from the job's outputs";
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      return "may not contain empty, '.' or '..' parts; give a name from the job's outputs";
    start = end + 1;
  }
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-' || c == '/'))
      return "may hold only letters, digits, '.', '_', '-' and '/'";
  return {};
}

std::string content_type_for(std::string_view name) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes = {{
      {".svg", "image/svg+xml"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".mid", "audio/midi"},
      {".wav", "audio/wav"},
      {".mp4", "video/mp4"},
      {".json", "application/json"},
      {".musicxml", "application/vnd.recordare.musicxml+xml"},
      {".srt", "application/x-subrip"},
      {".ass", "text/x-ssa; charset=utf-8"},
      {".flac", "audio/flac"},
      {".ogg", "audio/ogg"},
      {".opus", "audio/ogg"},
      {".mp3", "audio/mpeg"},
      {".m4a", "audio/mp4"},
      {".html", "text/html; charset=utf-8"},
  }};
  for (const auto& [extension, type] : kTypes)
    if (name.size() >= extension.size() && name.substr(name.size() - extension.size()) == extension)
      return std::string(type);
  return "application/octet-stream";
}

constexpr int kListenBacklog = 256;  // connections waiting to be accepted

// The studio page may load only its own files and talk only to this server: no inline script or
// style, no plugins, no framing.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

// A job's file opened in the browser (a self-contained report.html) runs sandboxed, in an origin
// of its own: its inline script and style work, but it can load nothing and read nothing of this
// server's.
constexpr const char* kJobFilePolicy =
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data:; media-src data:";

void send_asset(httplib::Response& res, const StudioAsset& asset) {
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_content(std::string(asset.body), content_type_for(asset.name));
}

// Whether `given` is `expected`, compared in time independent of where they differ.
bool same_secret(const std::string& given, const std::string& expected) {
  if (given.size() != expected.size() || expected.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

// The value of cookie `name` in a Cookie header ("a=1; tonepoem_token=c2VjcmV0"), empty when
// absent. The page writes the token in base64url ("-" and "_", no padding): Debian's httplib
// percent-decodes header values before anyone reads them, so an encoded ";" would split the
// header.
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = std::min(header.find(';'), header.size());
    std::string_view part = header.substr(0, end);
    header.remove_prefix(std::min(end + 1, header.size()));
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
  }
  return {};
}

// base64url (RFC 4648 section 5, padding optional) decoded; empty when malformed.
std::string from_base64url(std::string text) {
  for (char& c : text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
  }
  while (text.size() % 4 != 0) text += '=';
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t size = static_cast<std::size_t>(n);  // EVP_DecodeBlock counts the padding's zeros
  for (std::size_t k = text.size(); k > 0 && text[k - 1] == '=' && size > 0; --k) --size;
  out.resize(size);
  return out;
}

// "HOST:PID": this process in the job table.
std::string worker_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host, ::getpid());
}

// Jobs in child processes of this program under a memory cap of `mb` MiB (0: in threads).
JobIsolation job_isolation(std::size_t mb) {
  if (mb == 0) return {};
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error)
    throw Error(ExitCode::missing_resource, "cannot find this program's own file to run jobs in",
                "/proc/self/exe", "mount /proc, or run without --job-memory");
  return {std::move(self), mb << 20};
}

// The problem with a --job-memory of `mb` MiB (empty when accepted).
std::string job_memory_problem(std::size_t mb) {
  if (mb == 0 || (mb >= 32 && mb <= (std::size_t{1} << 20))) return {};
  return fmt::format(
      "{} MB is out of range; accepts 0 (no cap: jobs run in this process's "
      "threads) or 32..1048576 MB",
      mb);
}

// The job queue the options name: PostgreSQL with a --database, else SQLite under --data.
std::unique_ptr<JobQueue> open_queue(const ServeOptions& options) {
  if (!options.database.empty())
    return std::make_unique<PgJobQueue>(options.database, options.lease_s, worker_name());
  return std::make_unique<JobStore>(options.data_dir / "jobs.sqlite3");
}

class Service {
 public:
  explicit Service(const ServeOptions& options)
      : options_(options),
        store_holder_(open_queue(options)),
        store_(*store_holder_),
        requeued_(store_.recover()),
        runner_(store_, options.data_dir / "jobs", options.workers, options.job_timeout_s,
                job_isolation(options.job_memory_mb)) {
    // Event streams hold a thread each for as long as they last.
    http_.new_task_queue = [] { return new httplib::ThreadPool(64); };
    http_.set_payload_max_length(options.max_upload_bytes);
    remove_stale_uploads(options.data_dir);
    // SO_REUSEADDR only: httplib's default, SO_REUSEPORT, would let a second server (or another
    // user's program) bind the same port and take half the requests.
    http_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_socket_ = sock;  // the last one offered is the one bound
    });
    http_.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
    http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return authorized(req, res) && body_acceptable(req, res)
                 ? httplib::Server::HandlerResponse::Unhandled
                 : httplib::Server::HandlerResponse::Handled;
    });
    http_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 413)
        send_error(res, 413,
                   fmt::format("the request body is larger than the limit of {} bytes "
                               "(tonepoem serve --max-upload)",
                               options_.max_upload_bytes));
      else if (res.status == 404)
        send_error(res, 404,
                   fmt::format("no such endpoint: {} {} (see GET /api/openapi.json)", req.method,
                               req.path));
      else
        send_error(res, res.status,
                   fmt::format("the request failed with HTTP status {}", res.status));
    });
    http_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
          std::string what = "unknown";
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            what = ex.what();
          } catch (...) {
          }
          send_error(res, 500, "internal error: " + what);
        });
    routes();
  }

  // Binds, then serves until `stop` is cancelled.
  void run(const CancelToken& stop, const std::function<void(const std::string&)>& listening) {
    int port = options_.port;
    if (port == 0)
      port = http_.bind_to_any_port(options_.host);
    else if (!http_.bind_to_port(options_.host, port))
      port = -1;
    if (port < 0)
      fail_usage(fmt::format("cannot listen on {}:{} (the address is in use or not this "
                             "machine's)",
                             options_.host, options_.port),
                 "choose another --listen HOST:PORT (port 0 takes any free one)");
    // Debian's httplib (0.11) listens with a backlog of 5, compiled into the library: a burst of
    // clients connecting at once (bench/load_bench: 64) overflowed it and some had their request
    // dropped unanswered. Listening again on the bound socket only sets a longer backlog.
    if (listen_socket_ >= 0) ::listen(listen_socket_, kListenBacklog);
    std::thread server([this] { http_.listen_after_bind(); });
    const std::string host =
        options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
    if (!requeued_.empty())
      std::fprintf(stderr,
                   "tonepoem serve: %zu job(s) left running by the last process are queued "
                   "again\n",
                   requeued_.size());
    if (listening) listening(fmt::format("http://{}:{}", host, port));
    while (!stop.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    live_.close_all();
    http_.stop();
    server.join();
    runner_.stop();
  }

 private:
  // With --token, every request but the studio page's own files (the same for everyone, holding
  // nothing of the server's) carries the token: as "Authorization: Bearer <token>" (programs), or
  // as the cookie tonepoem_token (the page sets it when the user types the token, and the browser
  // sends it with the requests no script can add a header to: media, downloads, event streams).
  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    if (options_.token.empty() || req.path == "/" || req.path.rfind("/studio/", 0) == 0)
      return true;
    if (same_secret(req.get_header_value("Authorization"), "Bearer " + options_.token) ||
        same_secret(from_base64url(cookie_value(req.get_header_value("Cookie"), "tonepoem_token")),
                    options_.token))
      return true;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401,
               "this server needs a token: send the header \"Authorization: Bearer <token>\" "
               "with the token given to tonepoem serve --token (the studio page asks for it)");
    return false;
  }

  // Every route but POST /api/jobs (which reads as the body arrives and counts it) gets its body
  // read whole into memory by httplib, which limits a body with a Content-Length
  // (--max-upload) but not one sent in chunks: those need a length, and one of text_body_limit()
  // at most. False after answering 411 or 413.
  bool body_acceptable(const httplib::Request& req, httplib::Response& res) const {
    if (req.method == "POST" && req.path == "/api/jobs") return true;
    if (req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
      res.set_header("Connection", "close");
      send_error(res, 411, "send this request's body with a Content-Length, not in chunks");
      return false;
    }
    const std::string length = req.get_header_value("Content-Length");
    std::size_t bytes = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), bytes);
    if (!length.empty() && (ec != std::errc{} || bytes > text_body_limit())) {
      refuse_too_large(res, "the request body", text_body_limit(),
                       "a JSON body is at most 64 MiB (and tonepoem serve --max-upload)");
      return false;
    }
    return true;
  }

  // The job named by the path's id, or nullopt after answering 400 (malformed id) or 404.
  std::optional<JobRecord> find_job(const std::string& id, httplib::Response& res) const {
    if (!valid_job_id(id)) {
      send_error(res, 400, "the job id is malformed",
                 {{"id", "must be 32 lowercase hex digits, as POST /api/jobs returned"}});
      return std::nullopt;
    }
    auto job = store_.get(id);
    if (!job) send_error(res, 404, fmt::format("no job {} (GET /api/jobs lists them)", id));
    return job;
  }

  void routes() {
    // The studio page (src/server/studio), embedded in the binary.
    http_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      for (const StudioAsset& asset : studio_assets())
        if (asset.name == "index.html") return send_asset(res, asset);
    });
    http_.Get(R"(/studio/([^/]+))", [](const httplib::Request& req, httplib::Response& res) {
      for (const StudioAsset& asset : studio_assets())
        if (asset.name == req.matches[1].str()) return send_asset(res, asset);
      send_error(res, 404, fmt::format("no studio file {}", req.matches[1].str()));
    });
    http_.Get("/api/openapi.json", [](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, openapi_document());
    });
    // Read as it arrives: an upload's files go to disk, never into memory.
    http_.Post("/api/jobs",
               [this](const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) { create(req, res, reader); });
    http_.Get("/api/jobs", [this](const httplib::Request&, httplib::Response& res) {
      nlohmann::json jobs = nlohmann::json::array();
      for (const JobRecord& job : store_.list()) jobs.push_back(job.to_json());
      send_json(res, 200, {{"jobs", jobs}});
    });
    http_.Get(R"(/api/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (auto job = find_job(req.matches[1], res)) send_json(res, 200, job->to_json());
    });
    http_.Delete(R"(/api/jobs/([^/]+))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   const auto job = find_job(req.matches[1], res);
                   if (!job) return;
                   if (!store_.remove(job->id))
                     return send_error(res, 409,
                                       "the job is running; cancel it first (POST "
                                       "/api/jobs/{id}/cancel), then delete it");
                   runner_.remove_outputs(job->id);
                   if (job->kind == "mv" || job->kind == "score") {
                     try {
                       remove_upload(options_.data_dir, UploadRecord::from_json(job->options));
                     } catch (const Error&) {  // not a record of ours: nothing of ours to remove
                     }
                   }
                   res.status = 204;
                 });
    http_.Post(R"(/api/jobs/([^/]+)/cancel)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 const auto job = find_job(req.matches[1], res);
                 if (!job) return;
                 const CancelOutcome outcome = runner_.cancel(job->id);
                 if (outcome == CancelOutcome::not_active)
                   return send_error(res, 409,
                                     fmt::format("the job is already {}; only a queued or "
                                                 "running job can be cancelled",
                                                 job_state_name(job->state)));
                 send_json(res, outcome == CancelOutcome::cancelled ? 200 : 202,
                           store_.get(job->id).value_or(*job).to_json());
               });
    http_.Get(R"(/api/jobs/([^/]+)/files/(.*))",
              [this](const httplib::Request& req, httplib::Response& res) { file(req, res); });
    http_.Get(R"(/api/jobs/([^/]+)/events)",
              [this](const httplib::Request& req, httplib::Response& res) { events(req, res); });
    live_.add_routes(http_);
  }

  void create(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader) {
    if (req.is_multipart_form_data()) return create_from_upload(res, reader);
    std::string text;
    bool too_large = false;
    const bool read = reader([&](const char* data, std::size_t size) {
      too_large = text.size() + size > text_body_limit();
      if (!too_large) text.append(data, size);
      return !too_large;
    });
    if (too_large)
      return refuse_too_large(res, "the JSON body", text_body_limit(),
                              "a JSON body is at most 64 MiB (and tonepoem serve --max-upload)");
    if (!read) return;  // httplib's own answer (413 over --max-upload, 400 a broken body)
    nlohmann::json body;
    try {
      body = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      return send_error(res, 400, "the body is not valid JSON",
                        {{"body", fmt::format("not JSON at byte {}: send a JSON object of "
                                              "options with at least \"story\"",
                                              e.byte)}});
    }
    try {
      make_options_from_request(body);
    } catch (const InvalidOptions& e) {
      return send_error(res, 400, "invalid options", e.problems());
    }
    queue_job("make", body, res);
  }

  // Files as multipart/form-data (uploads.h): a song (+ lyrics, pictures), an mv job; a film
  // (+ subtitles), a score job.
  void create_from_upload(httplib::Response& res, const httplib::ContentReader& reader) {
    FormReceiver received(options_.data_dir, options_.max_upload_bytes);
    const bool read =
        reader([&](const httplib::MultipartFormData& part) { return received.begin_part(part); },
               [&](const char* data, std::size_t size) { return received.append(data, size); });
    if (received.too_large())
      return refuse_too_large(res, "the upload", options_.max_upload_bytes,
                              "send smaller files, or start the server with a larger "
                              "--max-upload");
    if (received.too_many_parts())
      return send_error(res, 400, "the upload has too many parts",
                        {{"body", fmt::format("send one song or film, its lyrics or subtitles, "
                                              "options and at most {} pictures or clips",
                                              kMaxUploadedImages)}});
    if (received.failed()) {
      res.set_header("Connection", "close");
      return send_error(res, 507,
                        fmt::format("the upload could not be written under {} (is the disk "
                                    "full?)",
                                    (options_.data_dir / "uploads").string()));
    }
    if (!read) return;  // httplib's own answer (413 over --max-upload, 400 a broken form)
    const StoredUpload stored = store_upload(received, options_.data_dir);
    if (stored.status != 0) return send_error(res, stored.status, stored.message, stored.problems);
    const UploadRecord& record = stored.record;
    try {
      if (stored.kind == "mv")
        mv_options_from_request(record.request, record.mv_files(options_.data_dir));
      else
        score_options_from_request(record.request, record.score_files(options_.data_dir));
    } catch (const InvalidOptions& e) {
      remove_upload(options_.data_dir, record);
      OptionProblems problems = e.problems();
      for (OptionProblem& p : problems)
        if (p.field != "images" && p.field != "clips") p.field = "options." + p.field;
      return send_error(res, 400, "invalid options", problems);
    }
    if (!queue_job(stored.kind, record.to_json(), res)) remove_upload(options_.data_dir, record);
  }

  // 413 for a body over `limit` (read in part: the connection closes, the rest unread).
  static void refuse_too_large(httplib::Response& res, std::string_view what, std::size_t limit,
                               std::string_view fix) {
    res.set_header("Connection", "close");
    send_error(res, 413, fmt::format("{} is larger than the limit of {} bytes", what, limit),
               {{"body", std::string(fix)}});
  }

  // What a body read whole into memory may hold: JSON, a cue sheet.
  std::size_t text_body_limit() const {
    return std::min<std::size_t>(kMaxTextBody, options_.max_upload_bytes);
  }

  // Queues a job of `kind` and answers 201, or 429 when the queue is full (returns false).
  bool queue_job(std::string_view kind, const nlohmann::json& options, httplib::Response& res) {
    const auto job = store_.enqueue(kind, options, options_.queue_limit);
    if (!job) {
      res.set_header("Retry-After", "10");
      send_error(res, 429,
                 fmt::format("the queue is full: {} jobs are waiting (tonepoem serve "
                             "--queue); try again later",
                             options_.queue_limit));
      return false;
    }
    runner_.wake();
    res.set_header("Location", "/api/jobs/" + job->id);
    send_json(res, 201, job->to_json());
    return true;
  }

  void file(const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    const std::string name = req.matches[2];
    if (!valid_job_id(id))
      return send_error(res, 400, "the job id is malformed",
                        {{"id", "must be 32 lowercase hex digits, as POST /api/jobs returned"}});
    if (std::string problem = file_name_problem(name); !problem.empty())
      return send_error(res, 400, "the file name is not accepted", {{"name", problem}});
    const auto job = find_job(id, res);
    if (!job) return;
    const bool listed =
        job->outputs.is_array() &&
        std::any_of(job->outputs.begin(), job->outputs.end(),
                    [&](const nlohmann::json& n) { return n.is_string() && n == name; });
    if (!listed)
      return send_error(res, 404,
                        fmt::format("{} is not an output of job {} ({}); it wrote: {}", name, id,
                                    job_state_name(job->state), job->outputs.dump()));
    const std::filesystem::path path = runner_.job_dir(id) / name;
    std::error_code error;
    const auto status = std::filesystem::symlink_status(path, error);
    if (error || !std::filesystem::is_regular_file(status))
      return send_error(res, 404,
                        fmt::format("{} of job {} is gone from the data folder", name, id));
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
    if (error || !*in)
      return send_error(res, 500, fmt::format("cannot read {} of job {}", name, id));
    // Outputs are stored by content: the SHA-256 is the file's ETag, the same for the same bytes
    // in any job, so a client holding them asks with If-None-Match and gets 304.
    res.set_header("Content-Security-Policy", kJobFilePolicy);
    const auto digests = BlobStore::digests(runner_.job_dir(id));
    if (const auto it = digests.find(name); it != digests.end()) {
      const std::string etag = "\"" + it->second + "\"";
      res.set_header("ETag", etag);
      if (req.get_header_value("If-None-Match") == etag) {
        res.status = 304;
        return;
      }
    }
    // The status is left to httplib: 200, or 206 for a Range request (a player seeking).
    res.set_content_provider(
        static_cast<std::size_t>(size), content_type_for(name),
        [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          std::array<char, 64 * 1024> buffer{};
          in->seekg(static_cast<std::streamoff>(offset));
          in->read(buffer.data(), static_cast<std::streamsize>(std::min(length, buffer.size())));
          const std::streamsize got = in->gcount();
          return got > 0 && sink.write(buffer.data(), static_cast<std::size_t>(got));
        });
  }

  // Server-sent events: "event: job" with the job's JSON whenever it changes, then "event: end"
  // with its final state.
  void events(const httplib::Request& req, httplib::Response& res) {
    const auto job = find_job(req.matches[1], res);
    if (!job) return;
    res.set_header("Cache-Control", "no-cache");
    auto last = std::make_shared<std::string>();
    res.set_chunked_content_provider(
        "text/event-stream", [this, id = job->id, last](std::size_t, httplib::DataSink& sink) {
          const std::uint64_t seen = store_.version();
          const auto now = store_.get(id);
          if (!now) {
            const std::string gone = "event: end\ndata: {\"deleted\": true}\n\n";
            sink.write(gone.data(), gone.size());
            sink.done();
            return true;
          }
          std::string data = now->to_json().dump();
          if (data != *last) {
            const std::string event = "event: job\ndata: " + data + "\n\n";
            if (!sink.write(event.data(), event.size())) return false;
            *last = std::move(data);
          }
          if (is_final(now->state)) {
            const std::string end = "event: end\ndata: " + *last + "\n\n";
            sink.write(end.data(), end.size());
            sink.done();
            return true;
          }
          // Short waits, so that a stopping server ends the stream promptly.
          store_.wait_for_change(seen, std::chrono::milliseconds(500));
          return true;
        });
  }

  ServeOptions options_;
  std::unique_ptr<JobQueue> store_holder_;
  JobQueue& store_;
  std::vector<std::string> requeued_;
  JobRunner runner_;
  LiveSessions live_;
  httplib::Server http_;
  socket_t listen_socket_ = -1;
};

}  // namespace

OptionProblems ServeOptions::validate() const {
  OptionProblems problems;
  if (host.empty()) problems.push_back({"listen", "the host is empty; give HOST:PORT"});
  if (port < 0 || port > 65535)
    problems.push_back({"listen", fmt::format("port {} is out of range; accepts 0..65535 (0: any "
                                              "free port)",
                                              port)});
  if (database.empty() && (workers < 1 || workers > 64))
    problems.push_back({"workers", fmt::format("{} is out of range; accepts 1..64 (0 only with "
                                               "--database, where tonepoem worker runs the jobs)",
                                               workers)});
  if (!database.empty() && (workers < 0 || workers > 64))
    problems.push_back({"workers", fmt::format("{} is out of range; accepts 0..64", workers)});
  if (!database.empty() && !(lease_s >= 2 && lease_s <= 3600))
    problems.push_back(
        {"lease", fmt::format("{} s is out of range; accepts 2..3600 seconds", lease_s)});
  if (max_upload_bytes < 1024 || max_upload_bytes > (std::size_t{1} << 30))
    problems.push_back({"max_upload", fmt::format("{} bytes is out of range; accepts 1024 .. "
                                                  "1073741824 bytes",
                                                  max_upload_bytes)});
  if (queue_limit < 1 || queue_limit > 100000)
    problems.push_back(
        {"queue", fmt::format("{} is out of range; accepts 1..100000 queued jobs", queue_limit)});
  if (!(job_timeout_s >= 0))
    problems.push_back({"job_timeout", fmt::format("{} is out of range; accepts 0 (no limit) or "
                                                   "more seconds",
                                                   job_timeout_s)});
  if (std::string problem = job_memory_problem(job_memory_mb); !problem.empty())
    problems.push_back({"job_memory", problem});
  if (!host.empty() && !is_loopback_host(host) && token.empty())
    problems.push_back({"token", fmt::format("is needed to listen on {} (reachable from other "
                                             "machines); clients then send Authorization: Bearer "
                                             "TOKEN",
                                             host)});
  if (std::any_of(token.begin(), token.end(), [](unsigned char c) { return c <= ' ' || c >= 127; }))
    problems.push_back({"token", "may hold only visible ASCII characters (no spaces)"});
  return problems;
}

std::string parse_listen(std::string_view text, ServeOptions& options) {
  const std::string problem = fmt::format(
      "'{}' is not HOST:PORT (for example 127.0.0.1:8080, [::1]:8080, 0.0.0.0:0)", text);
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return problem;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    return problem;  // IPv6 without brackets
  int port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || error != std::errc() || end != port_text.data() + port_text.size())
    return problem;
  options.host = std::string(host);
  options.port = port;
  return {};
}

bool is_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

OptionProblems WorkerOptions::validate() const {
  OptionProblems problems;
  if (database.empty())
    problems.push_back({"database",
                        "is required: the PostgreSQL URL that tonepoem serve "
                        "--database was given (postgresql://USER@HOST:PORT/DATABASE)"});
  if (workers < 1 || workers > 64)
    problems.push_back({"workers", fmt::format("{} is out of range; accepts 1..64", workers)});
  if (!(job_timeout_s >= 0))
    problems.push_back({"job_timeout", fmt::format("{} is out of range; accepts 0 (no limit) or "
                                                   "more seconds",
                                                   job_timeout_s)});
  if (std::string problem = job_memory_problem(job_memory_mb); !problem.empty())
    problems.push_back({"job_memory", problem});
  if (!(lease_s >= 2 && lease_s <= 3600))
    problems.push_back(
        {"lease", fmt::format("{} s is out of range; accepts 2..3600 seconds", lease_s)});
  return problems;
}

void run_workers(const WorkerOptions& options, const CancelToken& stop,
                 const std::function<void(const std::string& where)>& ready) {
  throw_if_invalid(options.validate());
  keep_soundfonts_loaded();  // one job after another: the SoundFont is read once
  PgJobQueue queue(options.database, options.lease_s, worker_name());
  ensure_writable_dir(options.data_dir / "jobs");
  JobRunner runner(queue, options.data_dir / "jobs", options.workers, options.job_timeout_s,
                   job_isolation(options.job_memory_mb));
  if (ready) ready(queue.where());
  while (!stop.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  runner.stop();
}

void serve(const ServeOptions& options, const CancelToken& stop,
           const std::function<void(const std::string& url)>& listening) {
  throw_if_invalid(options.validate());
  keep_soundfonts_loaded();  // one job after another: the SoundFont is read once
  Service service(options);
  service.run(stop, listening);
}

}  // namespace tonepoem
