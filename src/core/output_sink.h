// Where a job's files go. A job names each output by a relative path ("score.wav",
// "stems/drums.wav"), asks the sink where to write it, writes it there atomically (AtomicOutput,
// write_file_atomically: a failure or cancellation never leaves a half-written file), and then
// records it as written. What a sink holds is the job's list of outputs, in order.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tonepoem {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // Checks, before any slow work, that outputs can be written. Throws Error(output) naming the
  // place and the fix.
  virtual void check_writable() = 0;
  // Where to write output `name` (its folder exists). Throws Error(output) if it cannot be made.
  virtual std::filesystem::path path_for(const std::string& name) = 0;
  // Output `name` is complete at path_for(name).
  virtual void written(const std::string& name);
  // Every output recorded as written, in order.
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::vector<std::string> files_;
};

// Outputs in one folder of the file system (the CLI's -o DIR).
class FolderSink final : public OutputSink {
 public:
  explicit FolderSink(std::filesystem::path dir);
  const std::filesystem::path& dir() const { return dir_; }
  void check_writable() override;
  std::filesystem::path path_for(const std::string& name) override;

 private:
  std::filesystem::path dir_;
};

// Outputs kept in memory (a server answering with the bytes, tests): each file is written in a
// private scratch folder, read back once complete and removed; the folder goes with the sink.
class MemorySink final : public OutputSink {
 public:
  MemorySink();
  ~MemorySink() override;
  MemorySink(const MemorySink&) = delete;
  MemorySink& operator=(const MemorySink&) = delete;
  void check_writable() override;
  std::filesystem::path path_for(const std::string& name) override;
  void written(const std::string& name) override;
  // The bytes of a written output; throws std::out_of_range for a name never written.
  const std::string& bytes(const std::string& name) const { return bytes_.at(name); }

 private:
  std::filesystem::path scratch_;
  std::map<std::string, std::string> bytes_;
};

}  // namespace tonepoem
