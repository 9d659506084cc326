// The file system at the program's edges: reading user text safely, writing outputs atomically,
// and finding the data folder (word lists, dictionaries).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tonepoem {

// Reads a user's text file as UTF-8. Strips a UTF-8 BOM and turns CRLF/CR line ends into LF.
// Throws Error(bad_input) naming the file when it is missing, unreadable, a folder, empty (or only
// whitespace), larger than `max_bytes`, binary (NUL bytes), or not valid UTF-8 (with the line of
// the first bad byte).
std::string read_text_file(const std::filesystem::path& path,
                           std::uintmax_t max_bytes = 64ull * 1024 * 1024);

// Byte offset of the first invalid UTF-8 sequence, or nullopt when `text` is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// Creates `dir` (and parents) if needed and checks that a file can be created in it.
// Throws Error(output) naming the folder and the fix otherwise.
void ensure_writable_dir(const std::filesystem::path& dir);

// An output written under a temporary name in the same folder (".NAME.partial-PID") and renamed to
// its final name by commit(). If commit() is never reached (error, Ctrl-C), the destructor deletes
// the temporary, so a half-written file never appears under the final name.
class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path final_path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Renames the temporary to the final name. Throws Error(output) if the temporary is missing.
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

// Writes bytes to `path` atomically (AtomicOutput). Throws Error(output) on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The data folder search path, in order (documented in README.md, "Data folder"):
//   1. $TONEPOEM_DATA
//   2. beside the binary: <exe dir>/data, then <exe dir>/../share/tonepoem
//   3. the install prefix: <prefix>/share/tonepoem
// A folder counts when it holds lexicons/en-vader.tsv.
std::vector<std::filesystem::path> data_dir_candidates();
// The first candidate that holds the word lists. Throws Error(missing_resource) listing the places
// searched and saying to run scripts/setup.
std::filesystem::path find_data_dir();
// The same search over the given candidates (for tests and tools).
std::filesystem::path find_data_dir(const std::vector<std::filesystem::path>& candidates);

// Path of the running executable (from /proc/self/exe), empty if unknown.
std::filesystem::path executable_path();

}  // namespace tonepoem
