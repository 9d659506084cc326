#include "core/files.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace tonepoem {

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::nullopt;
}

std::string read_text_file(const fs::path& path, std::uintmax_t max_bytes) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    fail_input(name, "file not found", "check the path; give a UTF-8 text file");
  if (fs::is_directory(status))
    fail_input(name, "is a folder, not a file", "give the path of a UTF-8 text file");
  const auto size = fs::file_size(path, ec);
  if (!ec && size > max_bytes)
    fail_input(
        name,
        fmt::format("file is too large ({} MB; the limit is {} MB)", size >> 20, max_bytes >> 20),
        "split the story into smaller files");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(name, "cannot open the file for reading", "check its permissions");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = std::move(buffer).str();
  if (in.bad()) fail_input(name, "read error", "check the file and the disk");

  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  if (text.find('\0') != std::string::npos)
    fail_input(name, "looks like a binary file (it contains NUL bytes), not text",
               "give a plain-text story (.txt, .md) saved as UTF-8");
  if (auto bad = find_invalid_utf8(text)) {
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
    fail_input(name, fmt::format("line {}: invalid UTF-8 (byte offset {})", line, *bad),
               "save the file as UTF-8 (for example: iconv -f GB18030 -t UTF-8 in.txt > out.txt)");
  }
  // Normalise line ends to LF.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  if (out.find_first_not_of(" \t\n\f\v") == std::string::npos)
    fail_input(name, "the file is empty (no text to read)",
               "give a story with at least one sentence");
  return out;
}

void ensure_writable_dir(const fs::path& dir) {
  const std::string name = dir.string();
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    fail_output(name, "exists and is not a folder", "choose another output folder with -o");
  fs::create_directories(dir, ec);
  if (ec)
    fail_output(name, fmt::format("cannot create the output folder ({})", ec.message()),
                "choose a folder you can write to with -o");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail_output(name, "the output folder is not writable",
                "choose a folder you can write to with -o");
}

AtomicOutput::AtomicOutput(fs::path final_path) : final_(std::move(final_path)) {
  const fs::path dir = final_.has_parent_path() ? final_.parent_path() : fs::path(".");
  temp_ = dir / fmt::format(".{}.partial-{}", final_.filename().string(), ::getpid());
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicOutput::commit() {
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec)
    fail_output(final_.string(),
                fmt::format("cannot move the finished file into place ({})", ec.message()),
                "check the output folder's permissions and free space");
  committed_ = true;
}

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary | std::ios::trunc);
    if (!f) fail_output(path.string(), "cannot create the file", "check the folder's permissions");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) fail_output(path.string(), "write failed", "check free disk space");
  }
  out.commit();
}

fs::path executable_path() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : p;
}

std::vector<fs::path> data_dir_candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("TONEPOEM_DATA"); env && *env) out.emplace_back(env);
  if (auto exe = executable_path(); !exe.empty()) {
    out.push_back(exe.parent_path() / "data");
    out.push_back(exe.parent_path().parent_path() / "share" / "tonepoem");
  }
#ifdef TONEPOEM_INSTALL_DATA_DIR
  out.emplace_back(TONEPOEM_INSTALL_DATA_DIR);
#endif
  return out;
}

fs::path find_data_dir() {
  return find_data_dir(data_dir_candidates());
}

fs::path find_data_dir(const std::vector<fs::path>& candidates) {
  std::string searched;
  for (const auto& dir : candidates) {
    std::error_code ec;
    if (fs::exists(dir / "lexicons" / "en-vader.tsv", ec)) return dir;
    searched += "\n    " + dir.string();
  }
  throw Error(ExitCode::missing_resource,
              "the data folder (word lists) was not found; searched:" + searched, {},
              "run scripts/setup, or set TONEPOEM_DATA to the folder it printed");
}

}  // namespace tonepoem
