// Small UTF-8 helpers shared by the text stage (no allocation, no ICU).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tonepoem::text {

// Decodes the code point at `pos` and advances `pos` past it. Invalid bytes decode as U+FFFD and
// advance by one byte, so a loop over any input terminates.
char32_t next_code_point(std::string_view s, std::size_t& pos);

// Appends the UTF-8 encoding of `cp`.
void append_utf8(std::string& out, char32_t cp);

// CJK unified ideographs (with extensions A-G and the compatibility block).
bool is_han(char32_t cp);
// Han, CJK punctuation, kana and full-width forms: text written without spaces between words.
bool is_cjk(char32_t cp);
// Letters of the Latin script (ASCII and Latin-1/Extended letters).
bool is_latin_letter(char32_t cp);
// Unicode white space (ASCII, NBSP, ideographic space, the U+2000 block).
bool is_space(char32_t cp);
// True when `s` holds at least one letter, digit or ideograph (not only punctuation or symbols).
bool has_word_character(std::string_view s);

// Trims white space at both ends and collapses inner runs of white space into one ASCII space.
std::string normalize_space(std::string_view s);

// ASCII lower case (other bytes unchanged: enough for lexicon keys).
std::string ascii_lower(std::string_view s);

// Counts Han characters and Latin letters.
struct ScriptCounts {
  std::size_t han = 0;
  std::size_t latin = 0;
};
ScriptCounts count_scripts(std::string_view s);

}  // namespace tonepoem::text
