// Plain text and Markdown: paragraphs, scene breaks and headings.
#include <algorithm>
#include <string>

#include "text/segment.h"
#include "text/unicode.h"

namespace tonepoem::text {
namespace {

std::vector<SourceLine> split_lines(std::string_view text) {
  std::vector<SourceLine> lines;
  std::size_t line = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back({text.substr(start, end - start), line++});
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

// "# Title" (Markdown ATX heading): returns the title, or nullopt.
std::optional<std::string_view> atx_heading(std::string_view t) {
  std::size_t n = 0;
  while (n < t.size() && t[n] == '#') ++n;
  if (n == 0 || n > 6) return std::nullopt;
  if (n < t.size() && t[n] != ' ' && t[n] != '\t') return std::nullopt;
  std::string_view title = trim(t.substr(n));
  while (!title.empty() && title.back() == '#') title.remove_suffix(1);
  return trim(title);
}

// A short line in capitals standing alone between blank lines ("THE GOLDEN BIRD").
bool is_caps_heading(std::string_view t) {
  if (t.size() > 60) return false;
  std::size_t upper = 0;
  for (char c : t) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') ++upper;
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return upper >= 3 && t.find(". ") == std::string_view::npos;
}

// A line that reads as a title: short (at most 80 bytes: a dozen English words, 26 Chinese
// characters) and not ending like a sentence (. ! ? … and their CJK forms, closing quotes).
bool looks_like_title(std::string_view t) {
  if (t.empty() || t.size() > 80) return false;
  for (std::string_view end :
       {".", "!", "?", ":", ";", ",", "\"", "'", "\u2026", "\u3002", "\uFF01", "\uFF1F", "\uFF1A",
        "\uFF1B", "\uFF0C", "\u201D", "\u2019", "\u300D", "\u300F"})
    if (t.ends_with(end)) return false;
  return true;
}

// Markdown inline markup removed: emphasis marks, inline code ticks, links and images keep their
// text, list bullets and quote marks at the start go.
std::string strip_markdown(std::string_view t) {
  while (!t.empty() && t[0] == '>') t = trim(t.substr(1));
  if (t.size() > 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ')
    t = trim(t.substr(2));
  std::size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  if (digits > 0 && digits + 1 < t.size() && (t[digits] == '.' || t[digits] == ')') &&
      t[digits + 1] == ' ')
    t = trim(t.substr(digits + 2));
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '*' || c == '`' ||
        (c == '_' && (i == 0 || i + 1 == t.size() || t[i - 1] == ' ' || t[i + 1] == ' ' ||
                      t[i + 1] == '_' || t[i - 1] == '_')))
      continue;
    if (c == '!' && i + 1 < t.size() && t[i + 1] == '[') continue;  // image: keep alt text
    if (c == ']' && i + 1 < t.size() && t[i + 1] == '(') {
      const std::size_t close = t.find(')', i + 2);
      if (close != std::string_view::npos) {
        i = close;
        continue;
      }
    }
    if (c == '[') continue;
    out += c;
  }
  return out;
}

// Plain text, or Markdown when `markdown`.
void parse_paragraphs(std::string_view text, DocumentBuilder& builder, bool markdown) {
  const std::vector<SourceLine> lines = split_lines(text);
  std::vector<SourceLine> paragraph;
  std::vector<std::string> stripped;  // owns Markdown-cleaned lines referenced by `paragraph`
  stripped.reserve(lines.size());
  std::size_t blank_run = 0;
  bool in_fence = false;
  auto flush = [&] {
    builder.add_paragraph(paragraph);
    paragraph.clear();
  };
  auto blank_at = [&](std::size_t i) { return i >= lines.size() || trim(lines[i].text).empty(); };
  std::size_t first_text = 0;
  while (first_text < lines.size() && blank_at(first_text)) ++first_text;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = trim(lines[i].text);
    if (markdown && t.substr(0, 3) == "```") {
      in_fence = !in_fence;
      flush();
      continue;
    }
    if (in_fence) continue;
    if (t.empty()) {
      flush();
      if (++blank_run == 2) builder.break_scene();
      continue;
    }
    const bool after_blank = i == 0 || blank_run > 0;
    blank_run = 0;
    if (auto heading = atx_heading(t)) {
      flush();
      if (!builder.has_title() && builder.sentence_count() == 0) builder.set_title(*heading);
      builder.break_scene(*heading);
      continue;
    }
    if (is_rule_line(t)) {
      flush();
      builder.break_scene();
      continue;
    }
    // Plain text: a first line standing alone, before more text, shaped like a title, is the
    // story's title, not its first sentence.
    if (!markdown && i == first_text && blank_at(i + 1) && !builder.has_title() &&
        looks_like_title(t) && !is_chapter_line(t)) {
      bool more = false;
      for (std::size_t j = i + 1; j < lines.size() && !more; ++j) more = !blank_at(j);
      if (more) {
        builder.set_title(t);
        continue;
      }
    }
    if (is_chapter_line(t) || (!markdown && after_blank && blank_at(i + 1) && is_caps_heading(t))) {
      flush();
      builder.break_scene(t);
      continue;
    }
    if (markdown) {
      if (t.substr(0, 4) == "<!--" || (t.front() == '<' && t.back() == '>')) continue;  // HTML
      stripped.push_back(strip_markdown(t));
      paragraph.push_back({stripped.back(), lines[i].line});
    } else {
      paragraph.push_back({t, lines[i].line});
    }
  }
  flush();
}

}  // namespace

void parse_plain(std::string_view text, std::string_view /*source*/, DocumentBuilder& builder) {
  parse_paragraphs(text, builder, false);
}

void parse_markdown(std::string_view text, std::string_view /*source*/, DocumentBuilder& builder) {
  parse_paragraphs(text, builder, true);
}

}  // namespace tonepoem::text
