// Lyrics: the words of a song distilled from a story (lyrics/lyrics.h writes them), in sections of
// lines of words of syllables. `tonepoem lyrics` prints them; `make --song` sets them to a melody.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/document.h"

namespace tonepoem {

struct LyricSyllable {
  std::string text;       // the letters (English, split by vowel groups) or the character (Chinese)
  bool stressed = false;  // English: CMUdict primary stress of a content word; Chinese: false
  std::string pinyin;     // Chinese: tone-numbered ("yue4"); English: empty
};

struct LyricWord {
  std::string text;                      // as written in the story
  std::vector<LyricSyllable> syllables;  // at least one
  bool in_dictionary = true;             // false: English syllables from letter-to-sound rules
};

struct LyricLine {
  std::vector<LyricWord> words;
  std::string rhyme;  // rhyme key of the last word: CMUdict phones from the last stressed
                      // vowel ("AO1 R D" -> "AO R D"), or the final's 十三辙 group (Chinese)
  std::size_t sentence = 0;  // Document::sentences index the line was taken from
  std::string text() const;  // words joined as the language writes them
  std::size_t syllable_count() const;
};

struct LyricSection {
  std::string kind;     // "verse", "chorus" or "bridge" (at the climax)
  std::string name;     // "Verse 1 (The Storm)", "Chorus"
  std::size_t cue = 0;  // CueSheet::cues index whose scene the section sings
  std::vector<LyricLine> lines;
};

struct SongLyrics {
  std::string title;
  Language language = Language::en;
  std::vector<LyricSection> sections;  // in the order they are sung; the chorus returns
};

// Plain text: the title, then each section as "[Name]" and its lines, a blank line between.
std::string lyrics_text(const SongLyrics& lyrics);

void to_json(nlohmann::json& j, const LyricSyllable& s);
void to_json(nlohmann::json& j, const LyricWord& w);
void to_json(nlohmann::json& j, const LyricLine& l);
void to_json(nlohmann::json& j, const LyricSection& s);
void to_json(nlohmann::json& j, const SongLyrics& l);

}  // namespace tonepoem
