// A job in a process of its own, for a per-job memory cap (tonepoem serve / worker --job-memory).
// Worker threads share one address space, where no limit can be put on one job; a child process
// can be watched and stopped alone. The runner starts this program again as `tonepoem
// job-process --out DIR` (no shell; the job's kind and options as JSON on its stdin), reads its
// progress and its result as JSON lines on its stdout, and kills it when its resident memory passes
// the cap. Without a cap, jobs run in the runner's threads (job_runner.h), with their SoundFont
// kept loaded between jobs, which a child process cannot do (each child loads it again: about 1 s
// more a job).
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cancel.h"
#include "core/error.h"
#include "core/progress.h"
#include "jobs/make_request.h"

namespace tonepoem {

struct JobIsolation {
  std::filesystem::path executable;    // this program; run as `EXE job-process --out DIR`
  std::size_t memory_limit_bytes = 0;  // resident memory a job may use; 0: jobs run in threads
  bool enabled() const { return memory_limit_bytes > 0; }
};

// How often the child's resident memory is read: a job is stopped within this of passing the cap
// (plus what it allocates meanwhile).
inline constexpr int kMemoryCheckMs = 50;

// A job's error as its record shows it: an InvalidOptions with the request's field names, else
// Error::describe().
std::string describe_job_error(const Error& e);

// What a job made from uploaded files keeps in the queue: its options and where the files were
// stored, under <data>/uploads/<upload>/ with names the server made (never a client's path).
// Kind "mv": `file` the song, `text` the lyrics, pictures in images/; kind "score": `file` the
// film, `text` its subtitles.
struct UploadRecord {
  nlohmann::json request = nlohmann::json::object();  // the job's options (mv/score_request_fields)
  std::string upload;                                 // 32 hex digits: the folder's name
  std::string file;                                   // file names inside it
  std::string text;                                   // empty: none
  bool images = false;                                // mv: pictures in its images/ folder
  bool clips = false;                                 // mv: video clips in its clips/ folder
  // The stored files' paths under `data_dir`.
  MvUploads mv_files(const std::filesystem::path& data_dir) const;
  ScoreUploads score_files(const std::filesystem::path& data_dir) const;
  nlohmann::json to_json() const;
  // Throws Error(bad_input) for a record that is not one (a queue written by something else).
  static UploadRecord from_json(const nlohmann::json& j);
};

// Runs a queued job in this thread: kind "make" (options: the JSON of POST /api/jobs), "mv" or
// "score" (options: an UploadRecord, its files under `data_dir`), writing its outputs into `dir`.
// Returns the outputs as FolderSink::files() lists them; throws what the job throws, and
// Error(bad_input) for an unknown kind.
nlohmann::json run_job_of_kind(const std::string& kind, const nlohmann::json& options,
                               const std::filesystem::path& data_dir,
                               const std::filesystem::path& dir, ProgressSink& progress,
                               const CancelToken& cancel);

// Runs the same in a child process that writes its outputs into `dir` (created; emptied by the
// caller before), forwarding its stages to `progress`.
// Returns the outputs as FolderSink::files() lists them. Throws:
// - Error(interrupted) once `cancel` is cancelled: the child gets SIGTERM (it removes partial
//   outputs and exits 130), SIGKILL if it has not exited 10 s later;
// - Error(missing_resource) naming the cap when the child's resident memory passed
//   `isolation.memory_limit_bytes` (it is killed at once and `dir` removed);
// - the child's own error (its exit code and message) when the job failed;
// - Error(internal) when the child could not be started or died by a signal.
nlohmann::json run_job_in_child(const JobIsolation& isolation, const std::string& kind,
                                const nlohmann::json& options,
                                const std::filesystem::path& data_dir,
                                const std::filesystem::path& dir, ProgressSink& progress,
                                const CancelToken& cancel);

// The child's side (`tonepoem job-process`): reads {"kind", "options", "data"} from `in`, runs
// the job into `dir` and
// writes to `out` one JSON line per event: {"started": STAGE}, {"progress": FRACTION},
// {"finished": STAGE, "seconds": S}, then {"outputs": [...]} or {"error": MESSAGE, "code": N}.
// Returns the process's exit code (0, or the error's).
int run_job_here(std::istream& in, std::ostream& out, const std::filesystem::path& dir,
                 const CancelToken& cancel);

}  // namespace tonepoem
