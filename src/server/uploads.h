// Files sent to the server (POST /api/jobs as multipart/form-data: a song with its lyrics and
// pictures for an mv job, a film with its subtitles for a score job) stored for the job that will
// read them, under <data>/uploads/<32 hex digits>/ with names the server makes: song.EXT,
// lyrics.EXT, images/001.EXT; video.EXT, subtitles.EXT. Each file's type is read from its first
// bytes, never from the name or type the client gave, and the client's names are never used as
// paths (only a lyrics or subtitles file's extension, from a fixed list, which decides how it is
// read).
#pragma once

#include <httplib.h>

#include <filesystem>
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
// most one: SRT, WebVTT, ASS/SSA). Nothing is left on disk unless it answers stored.
StoredUpload store_upload(const httplib::MultipartFormDataMap& parts,
                          const std::filesystem::path& data_dir);

// Removes the files of a job's upload (when the job is deleted, or its request refused).
void remove_upload(const std::filesystem::path& data_dir, const UploadRecord& record);

}  // namespace tonepoem
