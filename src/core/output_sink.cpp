#include "core/output_sink.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "core/files.h"

namespace tonepoem {

void OutputSink::written(const std::string& name) {
  files_.push_back(name);
}

FolderSink::FolderSink(std::filesystem::path dir) : dir_(std::move(dir)) {}

void FolderSink::check_writable() {
  ensure_writable_dir(dir_);
}

std::filesystem::path FolderSink::path_for(const std::string& name) {
  const std::filesystem::path path = dir_ / name;
  if (path.parent_path() != dir_) ensure_writable_dir(path.parent_path());
  return path;
}

MemorySink::MemorySink() {
  static std::atomic<int> counter{0};
  scratch_ = std::filesystem::temp_directory_path() /
             ("tonepoem-memory-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

MemorySink::~MemorySink() {
  std::error_code ignored;
  std::filesystem::remove_all(scratch_, ignored);
}

void MemorySink::check_writable() {
  ensure_writable_dir(scratch_);
}

std::filesystem::path MemorySink::path_for(const std::string& name) {
  const std::filesystem::path path = scratch_ / name;
  ensure_writable_dir(path.parent_path());
  return path;
}

void MemorySink::written(const std::string& name) {
  const std::filesystem::path path = scratch_ / name;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof())
    fail_output(path.string(), "cannot read back a finished output", "check the temporary folder");
  bytes_[name] = std::move(bytes).str();
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  OutputSink::written(name);
}

}  // namespace tonepoem
