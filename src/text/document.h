// Stage 1, parse: a story file into a Document (sentences grouped into scenes).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/document.h"

namespace tonepoem {

// Language choice on the command line: auto-detect, or forced.
enum class LanguageChoice { automatic, en, zh };

struct ParseOptions {
  LanguageChoice language = LanguageChoice::automatic;
};

// One input format that parse_text reads.
struct InputFormatInfo {
  std::string_view name;                         // "text", "markdown", "fountain", "srt", ...
  std::span<const std::string_view> extensions;  // lower case, without the dot: "md", "markdown"
  std::string_view content_sign;  // how the content is recognised without a telling extension;
                                  // empty: by extension only
  std::string_view description;   // one line: what the parser makes of the format
};

// Every input format parse_text reads, plain text (the fallback) first.
std::span<const InputFormatInfo> input_formats();

// The extensions of every input format, for messages that say what is accepted:
// ".txt, .md, …, .lrc (UTF-8)".
std::string accepted_input_formats();

// Splits `text` (UTF-8; a BOM and CRLF/CR line ends are accepted) into sentences with ICU's
// sentence break iterator and into scenes at explicit breaks (blank-line groups of 2+ empty lines,
// lines of `***` or `---`, Markdown `#` headings, chapter lines such as "Chapter 3" or "第三章",
// short ALL-CAPS title lines between blank lines).
// The format (input_formats()) follows `source`'s extension, ASCII case ignored. A `source` named
// .txt, with another extension or with none ("-" for stdin) is read in the first format whose
// content_sign its start shows, else as plain text. Screenplays: scene headings start scenes,
// character cues set Sentence::speaker. Subtitles and lyrics: their timings fill
// Sentence::start_s/end_s and silences of 5 s or more start scenes.
// Language detection: zh when Han characters number more than a quarter of the Latin letters (a
// Han character carries about as much as a short English word), else en.
// Throws Error(bad_input) naming `source` when the text is not UTF-8, when no sentence can be
// found, or (subtitles, lyrics) naming the line and the reason when a cue is malformed.
Document parse_text(std::string_view text, std::string_view source, const ParseOptions& options);

// Reads the file (core/files.h: read_text_file) and parses it.
Document parse_file(const std::filesystem::path& path, const ParseOptions& options);

}  // namespace tonepoem
