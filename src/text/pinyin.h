// Internal to the text stage: the pinyin table narration reads Chinese with (text/reading.h).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "model/reading.h"
#include "text/lexicons.h"

namespace tonepoem::text {

struct PinyinTable {
  // Simplified or Traditional word -> tone-numbered syllables separated by spaces ("zhang3 da4").
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> words;
  std::size_t longest = 1;  // code points in the longest word
};

// Parses zh-pinyin.tsv text (`#` comments; rows `term<TAB>syllables`, each syllable lower-case
// letters and a tone digit 1-5) into `table`; later rows override earlier ones. Throws
// Error(missing_resource) naming `source` and the line on a malformed row.
void parse_pinyin_tsv(std::string_view text, std::string_view source, PinyinTable& table);

// The reading of a single character alone, where it differs from the one zh-pinyin.tsv gives
// (function characters: 的 de5, 了 le5, 着 zhe5, 地 de5, 得 de5); empty when there is none.
std::string_view function_character_pinyin(std::string_view character);

// Tone sandhi of 不 and 一 on a pinyin run, across its words, where a word's syllables pair one
// for one with its characters: 不 bu4 -> bu2 before a fourth tone (不是); 一 yi1 -> yi2 before a
// fourth tone (一个), yi4 before a first, second or third (一天, 一年, 一起), but yi1 in digits and
// ordinals (第一, 十一, 一九四九) and before a neutral tone or a pause.
void apply_tone_sandhi(ReadingRun& run);

// Code points in UTF-8 `s` (an invalid byte counts as one, as next_code_point reads it).
std::size_t code_points(std::string_view s);

// Tone-numbered pinyin of a run of ASCII digits, syllables joined: a Chinese number below 10000
// (2025 -> er4qian1ling2er4shi2wu3, 10 -> shi2), longer runs digit by digit.
std::string number_pinyin(std::string_view digits);

}  // namespace tonepoem::text
