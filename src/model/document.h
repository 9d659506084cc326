// The parsed story: sentences grouped into scenes, as the text stage reads it (text/document.h:
// parse_text) and every later stage takes it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tonepoem {

enum class Language { en, zh };
std::string_view language_name(Language lang);  // "en", "zh"

struct Sentence {
  std::string text;           // trimmed, whitespace runs collapsed (no newlines)
  std::size_t line = 0;       // 1-based line of the source file where the sentence starts
  std::size_t scene = 0;      // index into Document::scenes
  std::size_t paragraph = 0;  // ascending from 0; sentences of one paragraph (or one subtitle cue)
                              // share it: where a story may turn without an explicit break
  std::optional<double> start_s, end_s;  // given by timed inputs (subtitles, lyrics); else empty
  std::string speaker;                   // from screenplays; else empty
};

struct Scene {
  std::string title;  // heading text if the story has one, else "Scene N"
  std::size_t first_sentence = 0;
  std::size_t sentence_count = 0;
};

struct Document {
  std::string source;  // file name, for messages
  std::string title;   // first heading or the file's stem
  Language language = Language::en;
  std::vector<Sentence> sentences;  // at least one
  std::vector<Scene> scenes;        // at least one; scenes cover the sentences in order
};

void to_json(nlohmann::json& j, const Document& d);
void from_json(const nlohmann::json& j, Document& d);

}  // namespace tonepoem
