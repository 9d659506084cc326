#include "model/cue_sheet.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"

namespace tonepoem {

bool CueAdjust::is_default() const {
  return variation == 0 && valence == 0 && arousal == 0 && tension == 0 && tempo_scale == 1.0 &&
         velocity == 0 && register_shift == 0 && density_scale == 1.0 && articulation == 0;
}

void to_json(nlohmann::json& j, const Cue& c) {
  j = nlohmann::json{{"name", c.name},
                     {"start_s", c.start_s},
                     {"end_s", c.end_s},
                     {"target", c.target},
                     {"characters", c.characters}};
  if (!c.music) j["music"] = false;
  if (!c.adjust.is_default()) {
    const CueAdjust& a = c.adjust;
    j["adjust"] = {{"variation", a.variation},
                   {"valence", a.valence},
                   {"arousal", a.arousal},
                   {"tension", a.tension},
                   {"tempo_scale", a.tempo_scale},
                   {"velocity", a.velocity},
                   {"register_shift", a.register_shift},
                   {"density_scale", a.density_scale},
                   {"articulation", a.articulation}};
  }
}

void to_json(nlohmann::json& j, const Caption& c) {
  j = nlohmann::json{
      {"text", c.text}, {"start_s", c.start_s}, {"end_s", c.end_s}, {"emotion", c.emotion}};
  if (!c.words.empty()) {
    nlohmann::json words = nlohmann::json::array();
    for (const WordTiming& w : c.words)
      words.push_back({{"text", w.text}, {"start_s", w.start_s}, {"end_s", w.end_s}});
    j["words"] = std::move(words);
  }
}

void to_json(nlohmann::json& j, const HitPoint& h) {
  j = nlohmann::json{{"time_s", h.time_s}, {"kind", h.kind}, {"text", h.text}};
}

void from_json(const nlohmann::json& j, HitPoint& h) {
  h = HitPoint{j.value("time_s", 0.0), j.value("kind", "accent"), j.value("text", "")};
}

void from_json(const nlohmann::json& j, Caption& c) {
  c = Caption{};
  c.text = j.value("text", "");
  c.start_s = j.value("start_s", 0.0);
  c.end_s = j.value("end_s", 0.0);
  if (j.contains("emotion")) c.emotion = j.at("emotion").get<Emotion>();
  for (const auto& jw : j.value("words", nlohmann::json::array()))
    c.words.push_back({jw.value("text", ""), jw.value("start_s", 0.0), jw.value("end_s", 0.0)});
}

void to_json(nlohmann::json& j, const CueSheet& c) {
  j = nlohmann::json{
      {"format", "tonepoem-cues/1"}, {"title", c.title}, {"language", language_name(c.language)},
      {"duration_s", c.duration_s},  {"seed", c.seed},   {"cues", c.cues},
      {"captions", c.captions}};
  if (!c.hits.empty()) {
    j["hits"] = c.hits;
  }
  if (!c.arc.empty()) {
    auto& arc = j["arc"] = nlohmann::json::array();
    for (const ArcPoint& p : c.arc)
      arc.push_back({{"time_s", p.time_s}, {"valence", p.valence}, {"arousal", p.arousal}});
  }
  if (!c.style.empty()) j["style"] = c.style;
}

namespace {

double number_in(const nlohmann::json& j, const char* key, const std::string& where, double lo,
                 double hi) {
  if (!j.contains(key) || !j.at(key).is_number())
    fail_input("", fmt::format("{}: '{}' is missing or not a number", where, key),
               "see README.md, 'Cue sheet format'");
  const double v = j.at(key).get<double>();
  if (!(v >= lo && v <= hi))
    fail_input("", fmt::format("{}: '{}' is {}, outside [{}, {}]", where, key, v, lo, hi),
               "see README.md, 'Cue sheet format'");
  return v;
}

Emotion emotion_in(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object())
    fail_input("", where + ": expected an object with valence, arousal, tension",
               "see README.md, 'Cue sheet format'");
  Emotion e = j.get<Emotion>();
  e.valence = number_in(j, "valence", where, -1, 1);
  e.arousal = number_in(j, "arousal", where, -1, 1);
  if (j.contains("tension")) e.tension = number_in(j, "tension", where, 0, 1);
  return e;
}

}  // namespace

void from_json(const nlohmann::json& j, CueSheet& c) {
  c = CueSheet{};
  if (!j.is_object())
    fail_input("", "a cue sheet must be a JSON object", "see README.md, 'Cue sheet format'");
  c.title = j.value("title", "");
  c.language = j.value("language", "en") == "zh" ? Language::zh : Language::en;
  c.duration_s = number_in(j, "duration_s", "cue sheet", 1, 3 * 3600);
  const double seed = number_in(j, "seed", "cue sheet", 0, 1.8e19);
  c.seed = static_cast<std::uint64_t>(seed);
  if (j.contains("style")) {
    if (!j.at("style").is_string())
      fail_input("", "cue sheet: 'style' must be a string (a music style's name)",
                 "remove it, or give default, piano, strings, chiptune or ambient");
    c.style = j.at("style").get<std::string>();
  }
  if (!j.contains("cues") || !j.at("cues").is_array() || j.at("cues").empty())
    fail_input("", "cue sheet: 'cues' must be a non-empty array",
               "see README.md, 'Cue sheet format'");
  double expected_start = 0;
  for (std::size_t i = 0; i < j.at("cues").size(); ++i) {
    const auto& jc = j.at("cues")[i];
    const std::string where = fmt::format("cues[{}]", i);
    Cue cue;
    cue.name = jc.value("name", fmt::format("Section {}", i + 1));
    cue.start_s = number_in(jc, "start_s", where, 0, c.duration_s);
    cue.end_s = number_in(jc, "end_s", where, 0, c.duration_s + 1e-6);
    if (std::abs(cue.start_s - expected_start) > 1e-3)
      fail_input("",
                 fmt::format("{}: starts at {} s but the previous cue ends at {} s", where,
                             cue.start_s, expected_start),
                 "cues must be contiguous and in order");
    if (cue.end_s <= cue.start_s)
      fail_input(
          "",
          fmt::format("{}: end_s ({}) is not after start_s ({})", where, cue.end_s, cue.start_s),
          "give every cue a positive length");
    cue.target =
        emotion_in(jc.contains("target") ? jc.at("target") : nlohmann::json{}, where + ".target");
    cue.characters = jc.value("characters", std::vector<std::string>{});
    if (jc.contains("music")) {
      if (!jc.at("music").is_boolean())
        fail_input("", where + ": 'music' must be true or false",
                   "write \"music\": false for a cue without music, or leave it out");
      cue.music = jc.at("music").get<bool>();
    }
    if (jc.contains("adjust")) {
      const auto& ja = jc.at("adjust");
      const std::string aw = where + ".adjust";
      if (!ja.is_object())
        fail_input("", aw + ": expected an object", "see README, \"Cue sheet format\"");
      CueAdjust& a = cue.adjust;
      a.variation = ja.value("variation", std::uint64_t{0});
      a.valence = ja.contains("valence") ? number_in(ja, "valence", aw, -2, 2) : 0.0;
      a.arousal = ja.contains("arousal") ? number_in(ja, "arousal", aw, -2, 2) : 0.0;
      a.tension = ja.contains("tension") ? number_in(ja, "tension", aw, -1, 1) : 0.0;
      a.tempo_scale = ja.contains("tempo_scale") ? number_in(ja, "tempo_scale", aw, 0.5, 2) : 1.0;
      a.velocity =
          ja.contains("velocity") ? static_cast<int>(number_in(ja, "velocity", aw, -40, 40)) : 0;
      a.register_shift = ja.contains("register_shift")
                             ? static_cast<int>(number_in(ja, "register_shift", aw, -12, 12))
                             : 0;
      a.density_scale =
          ja.contains("density_scale") ? number_in(ja, "density_scale", aw, 0.5, 2) : 1.0;
      a.articulation =
          ja.contains("articulation") ? number_in(ja, "articulation", aw, -0.4, 0.2) : 0.0;
    }
    expected_start = cue.end_s;
    c.cues.push_back(std::move(cue));
  }
  if (std::abs(expected_start - c.duration_s) > 1e-3)
    fail_input("",
               fmt::format("cue sheet: the last cue ends at {} s but duration_s is {}",
                           expected_start, c.duration_s),
               "make the last cue end at duration_s");
  for (const auto& jc : j.value("captions", nlohmann::json::array())) {
    c.captions.push_back(jc.get<Caption>());
  }
  const auto hits = j.value("hits", nlohmann::json::array());
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const std::string where = fmt::format("hits[{}]", i);
    HitPoint h;
    h.time_s = number_in(hits[i], "time_s", where, 0, c.duration_s);
    h.kind = hits[i].value("kind", "accent");
    h.text = hits[i].value("text", "");
    if (!c.hits.empty() && h.time_s < c.hits.back().time_s)
      fail_input("", where + ": hits must be in time order", "sort the hits by time_s");
    c.hits.push_back(std::move(h));
  }
  const auto arc = j.value("arc", nlohmann::json::array());
  for (std::size_t i = 0; i < arc.size(); ++i) {
    const std::string where = fmt::format("arc[{}]", i);
    ArcPoint p;
    p.time_s = number_in(arc[i], "time_s", where, 0, c.duration_s);
    p.valence = number_in(arc[i], "valence", where, -1, 1);
    p.arousal = number_in(arc[i], "arousal", where, -1, 1);
    if (!c.arc.empty() && p.time_s < c.arc.back().time_s)
      fail_input("", where + ": arc points must be in time order", "sort the arc by time_s");
    c.arc.push_back(p);
  }
}

CueSheet load_cue_sheet(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail_input(path.string(), fmt::format("not valid JSON (byte {}): {}", e.byte, e.what()),
               "fix the JSON syntax, or write the cue sheet again with tonepoem make");
  }
  try {
    return j.get<CueSheet>();
  } catch (const Error& e) {
    throw Error(e.code(), e.what(), path.string(), e.fix());
  } catch (const nlohmann::json::exception& e) {
    fail_input(path.string(), fmt::format("unexpected value: {}", e.what()),
               "see README.md, 'Cue sheet format'");
  }
}

void save_cue_sheet(const CueSheet& cues, const std::filesystem::path& path) {
  write_file_atomically(path, nlohmann::json(cues).dump(2) + "\n");
}

}  // namespace tonepoem
