#include "text/report.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/unicode.h"

namespace tonepoem {
namespace {

void put_emotion(nlohmann::json& o, const Emotion& e) {
  const nlohmann::json ej = e;
  for (const char* key : {"valence", "arousal", "tension", "emotion", "confidence", "categories"})
    o[key] = ej[key];
}

std::string fixed(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", x);
  return buf;
}

// TSV cells hold no tabs or newlines.
std::string cell(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return out;
}

nlohmann::json sentence_view(const Document& d, const EmotionArc& arc, std::size_t i) {
  const Sentence& s = d.sentences[i];
  nlohmann::json o{{"index", i}, {"scene", s.scene}, {"line", s.line}, {"text", s.text}};
  if (s.start_s) o["start_s"] = *s.start_s;
  if (s.end_s) o["end_s"] = *s.end_s;
  if (!s.speaker.empty()) o["speaker"] = s.speaker;
  if (i < arc.sentences.size()) put_emotion(o, arc.sentences[i]);
  return o;
}

nlohmann::json scene_view(const Document& d, const EmotionArc& arc, std::size_t k) {
  const Scene& s = d.scenes[k];
  nlohmann::json names = nlohmann::json::array();
  for (const Character& c : arc.characters)
    if (std::find(c.scenes.begin(), c.scenes.end(), k) != c.scenes.end()) names.push_back(c.name);
  nlohmann::json o{{"index", k},
                   {"title", s.title},
                   {"first_sentence", s.first_sentence},
                   {"sentence_count", s.sentence_count},
                   {"characters", std::move(names)}};
  if (k < arc.scenes.size()) put_emotion(o, arc.scenes[k]);
  return o;
}

}  // namespace

ArcFormat parse_arc_format(std::string_view name) {
  if (name == "json") return ArcFormat::json;
  if (name == "jsonl") return ArcFormat::jsonl;
  if (name == "tsv") return ArcFormat::tsv;
  fail_usage("unknown format \"" + std::string(name) + "\"", "use one of: json, jsonl, tsv");
}

nlohmann::json arc_view(const Document& document, const EmotionArc& arc) {
  nlohmann::json scenes = nlohmann::json::array();
  for (std::size_t k = 0; k < document.scenes.size(); ++k)
    scenes.push_back(scene_view(document, arc, k));
  nlohmann::json sentences = nlohmann::json::array();
  for (std::size_t i = 0; i < document.sentences.size(); ++i)
    sentences.push_back(sentence_view(document, arc, i));
  return nlohmann::json{{"title", document.title},
                        {"source", document.source},
                        {"language", language_name(document.language)},
                        {"climax_scene", arc.climax_scene},
                        {"scenes", std::move(scenes)},
                        {"sentences", std::move(sentences)},
                        {"characters", arc.characters}};
}

void write_arc(std::ostream& out, const Document& document, const EmotionArc& arc,
               ArcFormat format) {
  switch (format) {
    case ArcFormat::json:
      out << arc_view(document, arc).dump(2) << '\n';
      return;
    case ArcFormat::jsonl:
      for (std::size_t i = 0; i < document.sentences.size(); ++i) {
        nlohmann::json o = sentence_view(document, arc, i);
        o["kind"] = "sentence";
        out << o.dump() << '\n';
      }
      for (std::size_t k = 0; k < document.scenes.size(); ++k) {
        nlohmann::json o = scene_view(document, arc, k);
        o["kind"] = "scene";
        o["climax"] = k == arc.climax_scene;
        out << o.dump() << '\n';
      }
      return;
    case ArcFormat::tsv:
      out << "index\tscene\tline\tvalence\tarousal\ttension\temotion\tconfidence\ttext\n";
      for (std::size_t i = 0; i < document.sentences.size(); ++i) {
        const Sentence& s = document.sentences[i];
        const Emotion e = i < arc.sentences.size() ? arc.sentences[i] : Emotion{};
        out << i << '\t' << s.scene << '\t' << s.line << '\t' << fixed(e.valence) << '\t'
            << fixed(e.arousal) << '\t' << fixed(e.tension) << '\t' << e.dominant_name() << '\t'
            << fixed(e.confidence) << '\t' << cell(s.text) << '\n';
      }
      return;
  }
}

void analyze_per_line(std::string_view text, LanguageChoice language, const Lexicons& lexicons,
                      std::ostream& out, ArcFormat format) {
  if (format == ArcFormat::tsv) out << "line\tvalence\tarousal\ttension\temotion\tconfidence\n";
  if (format == ArcFormat::json) out << '[';
  std::size_t line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    Language lang = language == LanguageChoice::zh ? Language::zh : Language::en;
    if (language == LanguageChoice::automatic) {
      const auto c = text::count_scripts(raw);
      lang = c.han * 4 > c.latin ? Language::zh : Language::en;
    }
    const Emotion e = analyze_sentence(raw, lang, lexicons);
    if (format == ArcFormat::tsv) {
      out << line << '\t' << fixed(e.valence) << '\t' << fixed(e.arousal) << '\t'
          << fixed(e.tension) << '\t' << e.dominant_name() << '\t' << fixed(e.confidence) << '\n';
    } else {
      nlohmann::json o{{"line", line}, {"language", language_name(lang)}};
      put_emotion(o, e);
      if (format == ArcFormat::json) out << (line > 1 ? ",\n " : "\n ");
      out << o.dump();
      if (format == ArcFormat::jsonl) out << '\n';
    }
  }
  if (format == ArcFormat::json) out << (line > 0 ? "\n]\n" : "]\n");
}

}  // namespace tonepoem
