// Content-addressed outputs: each finished job's files are kept once, under their SHA-256, in
// <data>/blobs/<first two hex digits>/<64 hex digits>, and the job's folder (<data>/jobs/<id>/)
// holds hard links to them under their names, with <id>/.digests.json mapping each name to its
// digest. A job retried after a crash, or the same request with the same seed, writes the same
// bytes and so links the same blobs: identical files, stored once, with the same ETag.
//
// Hard links rather than symbolic ones: the file server serves only regular files, so a link can
// never point a download outside the data folder. Blobs are removed with the last job folder that
// links them (remove_job_dir).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tonepoem {

// The SHA-256 of a file's bytes, as 64 lowercase hex digits. Throws Error(bad_input) naming the
// file when it cannot be read.
std::string sha256_hex(const std::filesystem::path& file);

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path root);  // <data>/blobs (created when first needed)

  // Stores the files `names` of the finished job folder `dir` by content: each becomes a hard
  // link to its blob (where those bytes are stored already, to that blob: the new copy is
  // dropped), and `dir`/.digests.json maps each name to its digest. Throws Error(output) naming
  // the path when the store cannot be written.
  void adopt(const std::filesystem::path& dir, const std::vector<std::string>& names) const;

  // Removes the job folder `dir` and every blob of it that no other job folder links.
  void remove_job_dir(const std::filesystem::path& dir) const;

  // The digests adopt() recorded for `dir` (name -> hex; empty when none were).
  static std::map<std::string, std::string> digests(const std::filesystem::path& dir);

  std::filesystem::path blob_path(const std::string& digest) const;

 private:
  std::filesystem::path root_;
};

}  // namespace tonepoem
