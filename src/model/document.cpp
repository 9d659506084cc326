#include "model/document.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/json_fields.h"

namespace tonepoem {

std::string_view language_name(Language lang) {
  return lang == Language::zh ? "zh" : "en";
}

void to_json(nlohmann::json& j, const Document& d) {
  nlohmann::json sentences = nlohmann::json::array();
  for (const Sentence& s : d.sentences) {
    nlohmann::json o{
        {"text", s.text}, {"line", s.line}, {"scene", s.scene}, {"paragraph", s.paragraph}};
    if (s.start_s) o["start_s"] = *s.start_s;
    if (s.end_s) o["end_s"] = *s.end_s;
    if (!s.speaker.empty()) o["speaker"] = s.speaker;
    sentences.push_back(std::move(o));
  }
  nlohmann::json scenes = nlohmann::json::array();
  for (const Scene& s : d.scenes) {
    scenes.push_back({{"title", s.title},
                      {"first_sentence", s.first_sentence},
                      {"sentence_count", s.sentence_count}});
  }
  j = nlohmann::json{{"source", d.source},
                     {"title", d.title},
                     {"language", language_name(d.language)},
                     {"sentences", std::move(sentences)},
                     {"scenes", std::move(scenes)}};
}

void from_json(const nlohmann::json& j, Document& d) {
  const std::string where = "document JSON";
  auto bad = [&](const std::string& what) -> void {
    fail_input(where, what, "write the document as `tonepoem analyze --format json` does");
  };
  if (!j.is_object()) bad("expected an object");
  d = Document{};
  d.source = j.value("source", std::string());
  d.title = j.value("title", std::string());
  const std::string lang = j.value("language", std::string("en"));
  if (lang != "en" && lang != "zh") bad("language must be \"en\" or \"zh\", not \"" + lang + "\"");
  d.language = lang == "zh" ? Language::zh : Language::en;
  if (!j.contains("sentences") || !j["sentences"].is_array()) bad("missing array \"sentences\"");
  for (const auto& o : j["sentences"]) {
    if (!o.is_object() || !o.contains("text") || !o["text"].is_string())
      bad("each sentence needs a \"text\" string");
    Sentence s;
    s.text = o["text"].get<std::string>();
    s.line = model_json::whole_number(o, "line", std::size_t{0}, where);
    s.scene = model_json::whole_number(o, "scene", std::size_t{0}, where);
    s.paragraph = model_json::whole_number(o, "paragraph", d.sentences.size(),
                                           where);  // absent: each its own
    if (o.contains("start_s") && o["start_s"].is_number()) s.start_s = o["start_s"].get<double>();
    if (o.contains("end_s") && o["end_s"].is_number()) s.end_s = o["end_s"].get<double>();
    s.speaker = o.value("speaker", std::string());
    d.sentences.push_back(std::move(s));
  }
  if (d.sentences.empty()) bad("\"sentences\" is empty");
  if (j.contains("scenes") && j["scenes"].is_array() && !j["scenes"].empty()) {
    for (const auto& o : j["scenes"]) {
      Scene s;
      s.title = o.value("title", std::string());
      s.first_sentence = model_json::whole_number(o, "first_sentence", std::size_t{0}, where);
      s.sentence_count = model_json::whole_number(o, "sentence_count", std::size_t{0}, where);
      d.scenes.push_back(std::move(s));
    }
  } else {
    // No scenes given: one scene per distinct `scene` index, in order.
    for (std::size_t i = 0; i < d.sentences.size(); ++i) {
      if (i == 0 || d.sentences[i].scene != d.sentences[i - 1].scene) {
        d.scenes.push_back(Scene{"Scene " + std::to_string(d.scenes.size() + 1), i, 0});
      }
      ++d.scenes.back().sentence_count;
    }
  }
  // Scenes must cover the sentences in order; sentence scene indices follow from them.
  std::size_t next = 0;
  for (std::size_t k = 0; k < d.scenes.size(); ++k) {
    const Scene& s = d.scenes[k];
    if (s.first_sentence != next || s.sentence_count == 0)
      bad("scene " + std::to_string(k + 1) + " does not continue where the previous one ended");
    for (std::size_t i = s.first_sentence;
         i < s.first_sentence + s.sentence_count && i < d.sentences.size(); ++i)
      d.sentences[i].scene = k;
    next += s.sentence_count;
  }
  if (next != d.sentences.size())
    bad("scenes cover " + std::to_string(next) + " sentences, not " +
        std::to_string(d.sentences.size()));
}

}  // namespace tonepoem
