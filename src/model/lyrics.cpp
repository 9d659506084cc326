#include "model/lyrics.h"

#include <nlohmann/json.hpp>

namespace tonepoem {

std::string LyricLine::text() const {
  std::string out;
  bool after_latin = false;
  for (const LyricWord& w : words) {
    // Chinese words are written without spaces between them; English ones with, and a space
    // parts an English word from a Chinese one on either side.
    const bool latin = !w.text.empty() && static_cast<unsigned char>(w.text[0]) < 0x80;
    if (!out.empty() && (latin || after_latin)) out += ' ';
    out += w.text;
    after_latin = latin;
  }
  return out;
}

std::size_t LyricLine::syllable_count() const {
  std::size_t n = 0;
  for (const LyricWord& w : words) n += w.syllables.size();
  return n;
}

std::string lyrics_text(const SongLyrics& lyrics) {
  std::string out = lyrics.title + "\n";
  for (const LyricSection& s : lyrics.sections) {
    out += "\n[" + s.name + "]\n";
    for (const LyricLine& l : s.lines) out += l.text() + "\n";
  }
  return out;
}

void to_json(nlohmann::json& j, const LyricSyllable& s) {
  j = {{"text", s.text}, {"stressed", s.stressed}};
  if (!s.pinyin.empty()) j["pinyin"] = s.pinyin;
}

void to_json(nlohmann::json& j, const LyricWord& w) {
  j = {{"text", w.text}, {"syllables", w.syllables}};
  if (!w.in_dictionary) j["in_dictionary"] = false;
}

void to_json(nlohmann::json& j, const LyricLine& l) {
  j = {{"text", l.text()},
       {"syllable_count", l.syllable_count()},
       {"rhyme", l.rhyme},
       {"sentence", l.sentence},
       {"words", l.words}};
}

void to_json(nlohmann::json& j, const LyricSection& s) {
  j = {{"kind", s.kind}, {"name", s.name}, {"cue", s.cue}, {"lines", s.lines}};
}

void to_json(nlohmann::json& j, const SongLyrics& l) {
  j = {{"title", l.title},
       {"language", std::string(language_name(l.language))},
       {"sections", l.sections}};
}

}  // namespace tonepoem
