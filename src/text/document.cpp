#include "text/document.h"

#include <algorithm>
#include <memory>

#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "text/input_formats.h"
#include "text/segment.h"
#include "text/unicode.h"

namespace tonepoem {

namespace text {

std::string_view trim(std::string_view s) {
  // ASCII white space plus the ideographic space and NBSP, which Chinese text uses for indents.
  auto starts_space = [](std::string_view v) -> std::size_t {
    if (v.empty()) return 0;
    const auto c = static_cast<unsigned char>(v[0]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n') return 1;
    if (v.size() >= 3 && v.substr(0, 3) == "\xE3\x80\x80") return 3;  // U+3000
    if (v.size() >= 2 && v.substr(0, 2) == "\xC2\xA0") return 2;      // U+00A0
    return 0;
  };
  auto ends_space = [](std::string_view v) -> std::size_t {
    if (v.empty()) return 0;
    const auto c = static_cast<unsigned char>(v.back());
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n') return 1;
    if (v.size() >= 3 && v.substr(v.size() - 3) == "\xE3\x80\x80") return 3;
    if (v.size() >= 2 && v.substr(v.size() - 2) == "\xC2\xA0") return 2;
    return 0;
  };
  while (std::size_t n = starts_space(s)) s.remove_prefix(n);
  while (std::size_t n = ends_space(s)) s.remove_suffix(n);
  return s;
}

bool is_rule_line(std::string_view t) {
  if (t.size() < 3) return false;
  std::size_t marks = 0;
  for (char c : t) {
    if (c == '*' || c == '-' || c == '_' || c == '~' || c == '=' || c == '#') {
      ++marks;
    } else if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return marks >= 3;
}

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool is_number_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "one",       "two",      "three",    "four",   "five",     "six",      "seven",   "eight",
      "nine",      "ten",      "eleven",   "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
      "seventeen", "eighteen", "nineteen", "twenty", "first",    "second",   "third",   "fourth",
      "fifth",     "sixth",    "seventh",  "eighth", "ninth",    "tenth",    "last",    "final"};
  const std::string lower = ascii_lower(w);
  if (std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords)) return true;
  if (!lower.empty() &&
      std::all_of(lower.begin(), lower.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return true;
  // Roman numerals.
  return !lower.empty() && lower.size() <= 8 && std::all_of(lower.begin(), lower.end(), [](char c) {
    return c == 'i' || c == 'v' || c == 'x' || c == 'l' || c == 'c';
  });
}

}  // namespace

bool is_chapter_line(std::string_view t) {
  if (t.empty() || t.size() > 120) return false;
  // Chinese: 第 + numeral + 章/节/回/幕/卷/部/篇/集/场.
  if (t.substr(0, 3) == "第") {
    std::size_t pos = 3;
    std::size_t digits = 0;
    while (pos < t.size()) {
      std::size_t next = pos;
      const char32_t cp = next_code_point(t, next);
      static constexpr std::u32string_view kNumerals =
          U"一二三四五六七八九十百千零〇两0123456789０１２３４５６７８９";
      if (kNumerals.find(cp) == std::u32string_view::npos) break;
      ++digits;
      pos = next;
    }
    if (digits == 0 || pos >= t.size()) return false;
    std::size_t next = pos;
    const char32_t unit = next_code_point(t, next);
    static constexpr std::u32string_view kUnits = U"章节回幕卷部篇集场";
    return kUnits.find(unit) != std::u32string_view::npos;
  }
  // English: keyword + number (digits, roman or a number word), optional title after it.
  static constexpr std::string_view kKeys[] = {"chapter", "part",     "book",     "act",
                                               "scene",   "prologue", "epilogue", "interlude"};
  for (std::string_view key : kKeys) {
    if (!starts_with_ci(t, key)) continue;
    std::string_view rest = t.substr(key.size());
    if (key == "prologue" || key == "epilogue" || key == "interlude") {
      return rest.empty() || rest[0] == ' ' || rest[0] == ':' || rest[0] == '.';
    }
    if (rest.empty() || (rest[0] != ' ' && rest[0] != '\t')) return false;
    rest = trim(rest);
    std::size_t end = 0;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != '.' && rest[end] != ':' &&
           rest[end] != ',' && rest[end] != '-')
      ++end;
    if (end == 0 || !is_number_word(rest.substr(0, end))) return false;
    // "Part two of the plan was simple." is prose: a chapter line does not end like a sentence
    // unless it is short.
    return t.size() <= 60 || (t.back() != '.' && t.back() != '!' && t.back() != '?');
  }
  return false;
}

namespace {
// One sentence iterator per thread: opening one (with its abbreviation filter) costs far more than
// segmenting a paragraph.
struct SentenceIterator {
  UBreakIterator* bi = nullptr;
  SentenceIterator() {
    UErrorCode status = U_ZERO_ERROR;
    // "ss=standard" suppresses breaks after common abbreviations ("Mr.", "Dr.").
    bi = ubrk_open(UBRK_SENTENCE, "en@ss=standard", nullptr, 0, &status);
    if (U_FAILURE(status)) bi = nullptr;
  }
  ~SentenceIterator() {
    if (bi) ubrk_close(bi);
  }
  SentenceIterator(const SentenceIterator&) = delete;
  SentenceIterator& operator=(const SentenceIterator&) = delete;
};
}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> icu_sentences(std::string_view text) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  if (text.empty()) return out;
  static thread_local SentenceIterator it;
  UErrorCode status = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (it.bi && U_SUCCESS(status)) ubrk_setUText(it.bi, ut, &status);
  if (!it.bi || U_FAILURE(status)) {
    if (ut) utext_close(ut);
    out.emplace_back(0, text.size());  // ICU unusable: keep the text whole (cut_long follows)
    return out;
  }
  int32_t start = ubrk_first(it.bi);
  for (int32_t end = ubrk_next(it.bi); end != UBRK_DONE; start = end, end = ubrk_next(it.bi)) {
    out.emplace_back(static_cast<std::size_t>(start), static_cast<std::size_t>(end));
  }
  utext_close(ut);
  return out;
}

std::vector<std::string_view> cut_long(std::string_view text, std::size_t max_bytes) {
  std::vector<std::string_view> out;
  while (text.size() > max_bytes) {
    // Find the last clause mark, else the last space, within the limit.
    std::size_t cut = std::string_view::npos;
    std::size_t space = std::string_view::npos;
    std::size_t pos = 0;
    while (pos < max_bytes) {
      std::size_t next = pos;
      const char32_t cp = next_code_point(text, next);
      if (next > max_bytes) break;
      if (cp == ',' || cp == ';' || cp == ':' || cp == 0xFF0C || cp == 0xFF1B || cp == 0x3001 ||
          cp == 0xFF1A || cp == 0x2014)
        cut = next;
      else if (cp == ' ')
        space = next;
      pos = next;
    }
    if (cut == std::string_view::npos || cut < max_bytes / 3) cut = space;
    if (cut == std::string_view::npos || cut < max_bytes / 3) cut = pos;  // character boundary
    if (cut == 0) cut = std::min(text.size(), max_bytes);
    out.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  if (!text.empty()) out.push_back(text);
  return out;
}

DocumentBuilder::DocumentBuilder(std::string_view source) {
  doc_.source = std::string(source);
}

void DocumentBuilder::break_scene(std::string_view title) {
  const std::string t = normalize_space(title);
  if (scene_open_ && doc_.scenes.back().sentence_count > 0) scene_open_ = false;
  if (!t.empty()) {
    if (!pending_title_.empty()) pending_title_ += ": ";
    pending_title_ += t;
  }
}

void DocumentBuilder::set_title(std::string_view title) {
  doc_.title = normalize_space(title);
}

void DocumentBuilder::push_sentence(std::string text, std::size_t line,
                                    std::optional<double> start_s, std::optional<double> end_s,
                                    std::string_view speaker) {
  if (!has_word_character(text)) {
    // Only punctuation ("...", "!!"): belongs to the sentence before it, if any in this scene.
    if (scene_open_ && doc_.scenes.back().sentence_count > 0 && !start_s) {
      std::string& prev = doc_.sentences.back().text;
      if (prev.size() + text.size() <= kMaxSentenceBytes) prev += text;
    }
    return;
  }
  if (!scene_open_) {
    Scene scene;
    scene.title = std::move(pending_title_);
    pending_title_.clear();
    scene.first_sentence = doc_.sentences.size();
    doc_.scenes.push_back(std::move(scene));
    scene_open_ = true;
  }
  Sentence s;
  s.text = std::move(text);
  s.line = line;
  s.scene = doc_.scenes.size() - 1;
  s.paragraph = paragraph_;
  s.start_s = start_s;
  s.end_s = end_s;
  s.speaker = std::string(speaker);
  doc_.sentences.push_back(std::move(s));
  ++doc_.scenes.back().sentence_count;
}

void DocumentBuilder::add_unit(std::string_view text, std::size_t line,
                               std::optional<double> start_s, std::optional<double> end_s,
                               std::string_view speaker) {
  if (!in_paragraph_ && !doc_.sentences.empty() && doc_.sentences.back().paragraph == paragraph_)
    ++paragraph_;
  const std::string norm = normalize_space(text);
  const auto pieces = cut_long(norm, kMaxSentenceBytes);
  if (pieces.size() <= 1 || !start_s || !end_s) {
    for (std::string_view p : pieces)
      push_sentence(std::string(trim(p)), line, start_s, end_s, speaker);
    return;
  }
  // Spread the unit's time over its pieces by length.
  const double span = *end_s - *start_s;
  double t = *start_s;
  for (std::string_view p : pieces) {
    const double d = span * static_cast<double>(p.size()) / static_cast<double>(norm.size());
    push_sentence(std::string(trim(p)), line, t, t + d, speaker);
    t += d;
  }
}

void DocumentBuilder::add_paragraph(const std::vector<SourceLine>& lines,
                                    std::string_view speaker) {
  if (lines.empty()) return;
  if (!doc_.sentences.empty() && doc_.sentences.back().paragraph == paragraph_) ++paragraph_;
  struct InParagraph {
    bool& flag;
    explicit InParagraph(bool& f) : flag(f) { flag = true; }
    ~InParagraph() { flag = false; }
  } in_paragraph(in_paragraph_);
  auto ends_sentence = [](std::string_view l) {
    static constexpr std::string_view kTerminals[] = {
        ".", "!", "?", "\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F", "\xE2\x80\xA6"};
    for (std::string_view t : kTerminals)
      if (l.find(t) != std::string_view::npos) return true;
    return false;
  };
  if (lines.size() > 1 && std::none_of(lines.begin(), lines.end(), [&](const SourceLine& l) {
        return ends_sentence(l.text);
      })) {
    for (const SourceLine& l : lines) add_unit(l.text, l.line, {}, {}, speaker);
    return;
  }
  std::string joined;
  std::vector<std::pair<std::size_t, std::size_t>> line_starts;  // (offset, line)
  for (const SourceLine& l : lines) {
    // Wrapped lines join with a space, except between CJK text (written without spaces).
    if (!joined.empty()) {
      std::size_t p = joined.size();
      while (p > 0 && (static_cast<unsigned char>(joined[p - 1]) & 0xC0) == 0x80) --p;
      if (p > 0) --p;
      std::size_t q = p;
      const char32_t last = next_code_point(joined, q);
      std::size_t r = 0;
      const char32_t first = l.text.empty() ? U' ' : next_code_point(l.text, r);
      if (!(is_cjk(last) && is_cjk(first))) joined += ' ';
    }
    line_starts.emplace_back(joined.size(), l.line);
    joined.append(l.text);
  }
  for (auto [begin, end] : icu_sentences(joined)) {
    auto it = std::upper_bound(line_starts.begin(), line_starts.end(), begin,
                               [](std::size_t off, const auto& ls) { return off < ls.first; });
    std::size_t line = std::prev(it)->second;
    std::string_view raw(joined.data() + begin, end - begin);
    const std::string norm = normalize_space(raw);
    if (norm.size() <= kMaxSentenceBytes) {
      push_sentence(norm, line, {}, {}, speaker);
      continue;
    }
    // Too long: cut, keeping track of the line each piece starts on.
    std::size_t offset = begin;
    for (std::string_view piece : cut_long(raw, kMaxSentenceBytes)) {
      auto it2 = std::upper_bound(line_starts.begin(), line_starts.end(), offset,
                                  [](std::size_t off, const auto& ls) { return off < ls.first; });
      push_sentence(normalize_space(piece), std::prev(it2)->second, {}, {}, speaker);
      offset += piece.size();
    }
  }
}

Document DocumentBuilder::finish(LanguageChoice lang, std::string_view stem) {
  if (doc_.sentences.empty()) {
    fail_input(doc_.source, "no sentence found (the text holds no words)",
               "give a story with at least one word of English or Chinese");
  }
  for (std::size_t i = 0; i < doc_.scenes.size(); ++i) {
    if (doc_.scenes[i].title.empty()) doc_.scenes[i].title = "Scene " + std::to_string(i + 1);
  }
  if (doc_.title.empty()) doc_.title = std::string(stem);
  if (doc_.title.empty()) doc_.title = "Untitled";
  if (lang == LanguageChoice::en) {
    doc_.language = Language::en;
  } else if (lang == LanguageChoice::zh) {
    doc_.language = Language::zh;
  } else {
    ScriptCounts counts;
    for (const Sentence& s : doc_.sentences) {
      const ScriptCounts c = count_scripts(s.text);
      counts.han += c.han;
      counts.latin += c.latin;
    }
    // A Han character carries about as much as a short English word: compare characters with
    // letters scaled to words.
    doc_.language = counts.han * 4 > counts.latin ? Language::zh : Language::en;
  }
  return std::move(doc_);
}

namespace {

std::string stem_of(std::string_view source) {
  if (source.empty() || source == "-") return {};
  return std::filesystem::path(std::string(source)).stem().string();
}

}  // namespace
}  // namespace text

Document parse_text(std::string_view input, std::string_view source, const ParseOptions& options) {
  using namespace text;
  std::string_view body = input;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  std::string lf;
  if (body.find('\r') != std::string_view::npos) {
    lf.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\r') {
        lf += '\n';
        if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      } else {
        lf += body[i];
      }
    }
    body = lf;
  }
  if (auto bad = find_invalid_utf8(body)) {
    const auto line =
        1 + static_cast<std::size_t>(
                std::count(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(*bad), '\n'));
    fail_input(source, "invalid UTF-8 at line " + std::to_string(line),
               "save the file as UTF-8 (for example: iconv -f GB18030 -t UTF-8)");
  }
  DocumentBuilder builder(source);
  detect_input_format(body, source).parse(body, source, builder);
  return builder.finish(options.language, stem_of(source));
}

Document parse_file(const std::filesystem::path& path, const ParseOptions& options) {
  const std::string text = read_text_file(path);
  return parse_text(text, path.string(), options);
}

}  // namespace tonepoem
