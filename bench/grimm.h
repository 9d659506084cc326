// Tales cut out of the shared Grimm file (../shared/data/stories-en, Project Gutenberg #2591) by
// their title lines, for the benchmarks that run on real prose (arc_bench, song_bench). The file
// is not in the repository: callers check grimm_file() exists and skip cleanly when it does not.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace tonepoem::bench {

inline std::filesystem::path grimm_file() {
  return std::filesystem::path(TONEPOEM_SHARED_DATA) / "stories-en" /
         "grimms_fairy_tales_pg2591.txt";
}

// The file's lines, a UTF-8 BOM and carriage returns removed.
inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      lines.push_back(std::move(line));
      line.clear();
    } else {
      line += c;
    }
  }
  lines.push_back(std::move(line));
  return lines;
}

inline bool blank(const std::string& s) {
  return s.find_first_not_of(" \t") == std::string::npos;
}

// A tale's title line in the body: not indented (the table of contents indents its titles), no
// lower-case letter, at least one capital, blank lines around it. The licence's "*** END OF ..."
// line is one too, which ends the last tale.
inline bool title_line(const std::vector<std::string>& lines, std::size_t i) {
  const std::string& s = lines[i];
  if (s.empty() || s[0] == ' ' || s[0] == '\t') return false;
  if (i == 0 || !blank(lines[i - 1]) || i + 1 >= lines.size() || !blank(lines[i + 1])) return false;
  bool upper = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
    upper |= c >= 'A' && c <= 'Z';
  }
  return upper;
}

// The text of the tale titled `title`: its title line, then everything up to the next title line.
// The occurrence taken is the one followed by prose (a line with lower-case letters before the next
// title line), not the table of contents' entry. None when no such title line exists.
inline std::optional<std::string> grimm_tale(const std::vector<std::string>& lines,
                                             const std::string& title) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != title || !title_line(lines, i)) continue;
    std::size_t end = i + 1;
    bool prose = false;
    while (end < lines.size() && !title_line(lines, end)) {
      prose |= std::any_of(lines[end].begin(), lines[end].end(),
                           [](char c) { return c >= 'a' && c <= 'z'; });
      ++end;
    }
    if (!prose) continue;
    std::string text = title + "\n\n";
    for (std::size_t k = i + 2; k < end; ++k) text += lines[k] + "\n";
    return text;
  }
  return std::nullopt;
}

}  // namespace tonepoem::bench
