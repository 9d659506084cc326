// Internal to the text stage: sentence segmentation, the Document builder, and the parsers of the
// input formats (input_formats.h) that share them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/document.h"

namespace tonepoem::text {

// Longest sentence kept whole, in bytes; longer ones (a 5 MB line without punctuation) are cut at
// the last clause or word boundary before the limit.
inline constexpr std::size_t kMaxSentenceBytes = 600;

// One line of a paragraph, with its 1-based line number in the source.
struct SourceLine {
  std::string_view text;
  std::size_t line = 0;
};

// Collects sentences into scenes. Scenes are only opened when a sentence arrives, so breaks in a
// row never leave empty scenes behind.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(std::string_view source);

  // Starts a new scene before the next sentence. A title given to a scene that has no sentences
  // yet is added to that scene's title.
  void break_scene(std::string_view title = {});
  // Splits a paragraph (consecutive non-blank lines) into sentences with ICU and adds them.
  // When none of several lines ends a sentence (verse, lyrics), each line is its own sentence.
  void add_paragraph(const std::vector<SourceLine>& lines, std::string_view speaker = {});
  // Adds one unit as a single sentence (subtitle cue, lyric line); cut only if too long.
  void add_unit(std::string_view text, std::size_t line, std::optional<double> start_s = {},
                std::optional<double> end_s = {}, std::string_view speaker = {});
  void set_title(std::string_view title);
  bool has_title() const { return !doc_.title.empty(); }
  std::size_t sentence_count() const { return doc_.sentences.size(); }

  // Finishes the document: language, default titles. Throws Error(bad_input) when it holds no
  // sentence. `lang` forces the language unless automatic.
  Document finish(LanguageChoice lang, std::string_view stem);

 private:
  void push_sentence(std::string text, std::size_t line, std::optional<double> start_s,
                     std::optional<double> end_s, std::string_view speaker);
  Document doc_;
  std::size_t paragraph_ = 0;  // of the next sentence; a new one at each paragraph or unit
  bool in_paragraph_ = false;  // add_unit called by add_paragraph: same paragraph
  bool scene_open_ = false;
  std::string pending_title_;
};

// Splits `text` into sentences with ICU (byte ranges into `text`).
std::vector<std::pair<std::size_t, std::size_t>> icu_sentences(std::string_view text);

// Cuts an over-long sentence into pieces of at most `max_bytes` at clause, then word, then
// character boundaries (never inside a UTF-8 sequence).
std::vector<std::string_view> cut_long(std::string_view text, std::size_t max_bytes);

// The parsers of the input formats, one per row of the table in input_formats.cpp (plain text
// and Markdown in formats.cpp; Fountain, SRT, WebVTT, ASS/SSA and LRC in timed.cpp). Each reads
// `text` (UTF-8 without BOM, LF line ends) into the builder; `source` names the file in errors.
void parse_plain(std::string_view text, std::string_view source, DocumentBuilder& builder);
void parse_markdown(std::string_view text, std::string_view source, DocumentBuilder& builder);
void parse_fountain(std::string_view text, std::string_view source, DocumentBuilder& builder);
void parse_srt(std::string_view text, std::string_view source, DocumentBuilder& builder);
void parse_vtt(std::string_view text, std::string_view source, DocumentBuilder& builder);
void parse_ass(std::string_view text, std::string_view source, DocumentBuilder& builder);
void parse_lrc(std::string_view text, std::string_view source, DocumentBuilder& builder);

// Chapter or heading line ("Chapter 3", "CHAPTER IV. The Storm", "第三章 风暴", "Part Two").
bool is_chapter_line(std::string_view trimmed);
// A line of only `*`, `-`, `_`, `~`, `=` or `#` (with spaces), three or more of them.
bool is_rule_line(std::string_view trimmed);
std::string_view trim(std::string_view s);

}  // namespace tonepoem::text
