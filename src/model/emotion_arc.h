// The story's emotion: per sentence and per scene, the climax and the characters, as the text
// stage reads them (text/analyze.h: analyze) and the plan takes them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"

namespace tonepoem {

struct Character {
  std::string name;
  std::vector<std::size_t> scenes;  // scene indices where the name occurs, ascending
  std::size_t mentions = 0;
};

struct EmotionArc {
  std::vector<Emotion> sentences;     // one per Document::sentences
  std::vector<Emotion> scenes;        // one per Document::scenes, aggregated and smoothed
  std::size_t climax_scene = 0;       // the scene of highest tension (ties: later wins)
  std::vector<Character> characters;  // recurring named characters, most mentioned first
};

void to_json(nlohmann::json& j, const Character& c);
void from_json(const nlohmann::json& j, Character& c);
void to_json(nlohmann::json& j, const EmotionArc& arc);
void from_json(const nlohmann::json& j, EmotionArc& arc);

}  // namespace tonepoem
