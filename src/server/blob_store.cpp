#include "server/blob_store.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem {
namespace {

constexpr const char* kDigestsFile = ".digests.json";
constexpr int kLinkAttempts = 8;  // a blob removed between our two steps by another job's removal

[[noreturn]] void fail_store(const std::filesystem::path& path, const std::string& what) {
  fail_output(path.string(), what, "free space in the data folder (--data) or make it writable");
}

}  // namespace

std::string sha256_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail_input(file.string(), "cannot be read to take its digest", "check the data folder");
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ExitCode::internal, "OpenSSL could not start a SHA-256 digest");
  std::array<char, 64 * 1024> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    if (in.gcount() > 0)
      EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) fail_input(file.string(), "could not be read to the end", "check the data folder");
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &size);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

BlobStore::BlobStore(std::filesystem::path root) : root_(std::move(root)) {}

std::filesystem::path BlobStore::blob_path(const std::string& digest) const {
  return root_ / digest.substr(0, 2) / digest;
}

void BlobStore::adopt(const std::filesystem::path& dir,
                      const std::vector<std::string>& names) const {
  nlohmann::json recorded = nlohmann::json::object();
  for (const std::string& name : names) {
    const std::filesystem::path file = dir / name;
    const std::string digest = sha256_hex(file);
    const std::filesystem::path blob = blob_path(digest);
    std::error_code error;
    std::filesystem::create_directories(blob.parent_path(), error);
    if (error) fail_store(blob.parent_path(), "cannot be created: " + error.message());
    bool stored = false;
    for (int attempt = 0; attempt < kLinkAttempts && !stored; ++attempt) {
      // New bytes: the job's file becomes the blob.
      if (::link(file.c_str(), blob.c_str()) == 0) {
        stored = true;
        break;
      }
      if (errno != EEXIST)
        fail_store(blob, std::string("cannot be linked: ") + std::strerror(errno));
      // Bytes stored already: the job's name is linked to that blob, replacing the new copy.
      const std::filesystem::path temporary = file.string() + ".link";
      ::unlink(temporary.c_str());
      if (::link(blob.c_str(), temporary.c_str()) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile: store ours after all
        fail_store(temporary, std::string("cannot be linked: ") + std::strerror(errno));
      }
      std::filesystem::rename(temporary, file, error);
      if (error) fail_store(file, "cannot be replaced: " + error.message());
      ::unlink(temporary.c_str());  // left where the file was that blob already (rename: no-op)
      stored = true;
    }
    if (!stored) fail_store(blob, "kept disappearing while it was linked");
    recorded[name] = digest;
  }
  const std::filesystem::path partial = dir / (std::string(kDigestsFile) + ".partial");
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << recorded.dump(1) << '\n';
    if (!out.flush()) fail_store(partial, "cannot be written");
  }
  std::error_code error;
  std::filesystem::rename(partial, dir / kDigestsFile, error);
  if (error) fail_store(dir / kDigestsFile, "cannot be written: " + error.message());
}

std::map<std::string, std::string> BlobStore::digests(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  std::ifstream in(dir / kDigestsFile, std::ios::binary);
  if (!in) return out;
  const nlohmann::json recorded = nlohmann::json::parse(in, nullptr, false);
  if (!recorded.is_object()) return out;
  for (const auto& [name, digest] : recorded.items())
    if (digest.is_string() && digest.get<std::string>().size() == 64) out[name] = digest;
  return out;
}

void BlobStore::remove_job_dir(const std::filesystem::path& dir) const {
  const auto recorded = digests(dir);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  for (const auto& [name, digest] : recorded) {
    const std::filesystem::path blob = blob_path(digest);
    std::error_code error;
    // Linked by no job folder any more: only the store's own name is left.
    if (std::filesystem::hard_link_count(blob, error) == 1 && !error)
      std::filesystem::remove(blob, ignored);
  }
}

}  // namespace tonepoem
