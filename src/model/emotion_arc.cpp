#include "model/emotion_arc.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/json_fields.h"

namespace tonepoem {

void to_json(nlohmann::json& j, const Character& c) {
  j = nlohmann::json{{"name", c.name}, {"scenes", c.scenes}, {"mentions", c.mentions}};
}

void from_json(const nlohmann::json& j, Character& c) {
  c = Character{};
  c.name = j.value("name", std::string());
  c.mentions = model_json::whole_number(j, "mentions", std::size_t{0}, "emotion arc JSON");
  c.scenes = model_json::index_list(j, "scenes", "emotion arc JSON");
}

void to_json(nlohmann::json& j, const EmotionArc& arc) {
  j = nlohmann::json{{"sentences", arc.sentences},
                     {"scenes", arc.scenes},
                     {"climax_scene", arc.climax_scene},
                     {"characters", arc.characters}};
}

void from_json(const nlohmann::json& j, EmotionArc& arc) {
  if (!j.is_object())
    fail_input("emotion arc JSON", "expected an object",
               "write the arc as `tonepoem analyze --format json` does");
  arc = EmotionArc{};
  if (j.contains("sentences")) arc.sentences = j["sentences"].get<std::vector<Emotion>>();
  if (j.contains("scenes")) arc.scenes = j["scenes"].get<std::vector<Emotion>>();
  arc.climax_scene =
      model_json::whole_number(j, "climax_scene", std::size_t{0}, "emotion arc JSON");
  if (j.contains("characters")) arc.characters = j["characters"].get<std::vector<Character>>();
  if (!arc.scenes.empty() && arc.climax_scene >= arc.scenes.size())
    fail_input("emotion arc JSON", "climax_scene is past the last scene",
               "give a scene index from 0");
}

}  // namespace tonepoem
