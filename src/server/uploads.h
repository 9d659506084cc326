// Files sent to the server (POST /api/jobs as multipart/form-data: a song with its lyrics and
// pictures for an mv job, a film with its subtitles for a score job) stored for the job that will
// read them, under <data>/uploads/<32 hex digits>/ with names the server makes: song.EXT,
// lyrics.EXT, images/001.EXT; video.EXT, subtitles.EXT. Each file's type is read from its first
// bytes, never from the name or type the client gave, and the client's names are never used as
// paths (only a lyrics or subtitles file's extension, from a fixed list, which decides how it is
// read).
#pragma once

#include <httplib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/error.h"
#include "server/job_process.h"

namespace tonepoem {

// The extension a song is stored under, from its first bytes: .wav, .flac, .ogg, .mp3, .aac,
// .m4a (also MP4 and QuickTime), .mkv (also WebM); empty for anything else.
std::string sniff_song(std::string_view bytes);
// A picture's: .png, .jpg, .webp, .bmp; empty for anything else.
std::string sniff_image(std::string_view bytes);
// A film's: .mp4 (also QuickTime), .mkv (also WebM), .avi, .ts; empty for anything else.
std::string sniff_video(std::string_view bytes);

// Pictures one request may carry at most.
inline constexpr std::size_t kMaxUploadedImages = 500;

// Text a request may hold in memory: a JSON body, or a form's kind, options, lyrics or subtitles
// part (the CLI reads stories of up to 64 MiB too). Files are never held in memory.
inline constexpr std::size_t kMaxTextBody = 64u << 20;

// One part of a form as it arrived: a text part whole; a file part (song, video, images, clips)
// written to a staging file as its bytes came, its first bytes kept for sniffing.
struct ReceivedPart {
  std::string name, filename;
  std::string content;           // a text part: all of it; a file part: its first kSniffBytes
  std::filesystem::path staged;  // a file part: its bytes; empty for a text part
  std::uint64_t size = 0;        // bytes received
  bool over_limit = false;       // a text part over kMaxTextBody (the rest of it dropped)
};
using ReceivedForm = std::multimap<std::string, ReceivedPart>;  // same names in arrival order

// Receives a multipart form as httplib reads it (its ContentReader's two callbacks), so that a
// request's files go to disk as they arrive and never sit in memory: into
// <data>/uploads/<32 hex>.partial/, which store_upload turns into the job's upload folder and which
// is removed with whatever is left in it when the receiver goes (a refused or broken upload).
class FormReceiver {
 public:
  // `max_bytes`: the body's limit (tonepoem serve --max-upload), counted here as well, since
  // httplib does not limit a body sent in chunks.
  FormReceiver(std::filesystem::path data_dir, std::uint64_t max_bytes);
  ~FormReceiver();
  FormReceiver(const FormReceiver&) = delete;
  FormReceiver& operator=(const FormReceiver&) = delete;

  bool begin_part(const httplib::MultipartFormData& header);  // a new part starts
  bool append(const char* data, std::size_t size);            // its next bytes
  // After the last part: whether the body went over max_bytes, or a file could not be written.
  bool too_large() const { return too_large_; }
  bool failed() const { return failed_; }
  bool too_many_parts() const { return too_many_; }
  ReceivedForm& parts() { return parts_; }
  const std::filesystem::path& folder() const { return folder_; }
  const std::string& id() const { return id_; }

 private:
  void close_file();

  std::filesystem::path data_dir_, folder_;
  std::string id_;
  std::uint64_t max_bytes_ = 0, received_ = 0;
  ReceivedForm parts_;
  ReceivedPart* current_ = nullptr;
  std::FILE* file_ = nullptr;
  std::size_t files_ = 0;
  bool too_large_ = false, failed_ = false, too_many_ = false;
};

// Removes the staging folders an earlier process left (killed in the middle of an upload): those
// in which nothing was written for an hour (the folder and the files in it).
void remove_stale_uploads(const std::filesystem::path& data_dir);

struct StoredUpload {
  int status = 0;           // 0: stored; else the HTTP status to answer (400, 415, 507)
  std::string message;      // with status: what is wrong
  OptionProblems problems;  // with status: each part's problem, named by the part
  std::string kind;         // "mv" or "score"
  UploadRecord record;      // when stored (record.request: the "options" part, not yet checked)
};

// Stores the parts of a form: "kind" ("mv", the default, or "score"), "options" (JSON text of the
// kind's request fields, optional), and the files: for mv "song" (one, required), "lyrics" (at most
// one), "images" (up to kMaxUploadedImages); for score "video" (one, required), "subtitles" (at
// most one: SRT, WebVTT, ASS/SSA). The files are moved from the receiver's staging folder into
// <data>/uploads/<its id>/. Nothing is left on disk unless it answers stored.
StoredUpload store_upload(FormReceiver& received, const std::filesystem::path& data_dir);

// Removes the files of a job's upload (when the job is deleted, or its request refused).
void remove_upload(const std::filesystem::path& data_dir, const UploadRecord& record);

}  // namespace tonepoem
