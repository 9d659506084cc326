#include "model/timeline.h"

#include <nlohmann/json.hpp>

#include "model/json_fields.h"

namespace tonepoem {

Timeline timeline_from_score(const CueSheet& cues, const Score& score) {
  Timeline t;
  t.title = !cues.title.empty() ? cues.title : score.title;
  t.seed = cues.seed;
  t.duration_s = cues.duration_s > 0 ? cues.duration_s : score.duration_s();
  if (!score.tempo.empty()) {
    t.beats = score.beat_times();
    t.downbeats = score.downbeat_times();
  }
  for (const Cue& cue : cues.cues)
    t.sections.push_back({cue.name, cue.start_s, cue.end_s, cue.target});
  t.captions = cues.captions;
  t.hits = cues.hits;
  for (const Caption& cap : cues.captions) t.emotion_curve.push_back({cap.start_s, cap.emotion});
  return t;
}

void to_json(nlohmann::json& j, const Timeline& t) {
  nlohmann::json sections = nlohmann::json::array();
  for (const auto& s : t.sections)
    sections.push_back(
        {{"name", s.name}, {"start_s", s.start_s}, {"end_s", s.end_s}, {"emotion", s.emotion}});
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& p : t.emotion_curve)
    curve.push_back({{"time_s", p.time_s}, {"emotion", p.emotion}});
  j = nlohmann::json{{"title", t.title},
                     {"seed", t.seed},
                     {"duration_s", t.duration_s},
                     {"beats", t.beats},
                     {"downbeats", t.downbeats},
                     {"sections", std::move(sections)},
                     {"captions", t.captions},
                     {"emotion_curve", std::move(curve)},
                     {"hits", t.hits},
                     {"cuts", t.cuts}};
  if (!t.clips.empty()) {
    nlohmann::json clips = nlohmann::json::array();
    for (const auto& c : t.clips)
      clips.push_back({{"clip", c.clip},
                       {"start_s", c.start_s},
                       {"end_s", c.end_s},
                       {"in_s", c.in_s},
                       {"out_s", c.out_s}});
    j["clips"] = std::move(clips);
  }
}

void from_json(const nlohmann::json& j, Timeline& t) {
  t = Timeline{};
  t.title = j.value("title", "");
  t.seed = model_json::whole_number(j, "seed", std::uint64_t{1}, "timeline JSON");
  t.duration_s = j.value("duration_s", 0.0);
  t.beats = j.value("beats", std::vector<double>{});
  t.downbeats = j.value("downbeats", std::vector<double>{});
  for (const auto& s : j.value("sections", nlohmann::json::array()))
    t.sections.push_back({s.value("name", ""), s.value("start_s", 0.0), s.value("end_s", 0.0),
                          s.contains("emotion") ? s.at("emotion").get<Emotion>() : Emotion{}});
  t.captions = j.value("captions", std::vector<Caption>{});
  for (const auto& p : j.value("emotion_curve", nlohmann::json::array()))
    t.emotion_curve.push_back({p.value("time_s", 0.0),
                               p.contains("emotion") ? p.at("emotion").get<Emotion>() : Emotion{}});
  t.hits = j.value("hits", std::vector<HitPoint>{});
  t.cuts = j.value("cuts", std::vector<double>{});
  for (const auto& c : j.value("clips", nlohmann::json::array()))
    t.clips.push_back({c.value("clip", ""), c.value("start_s", 0.0), c.value("end_s", 0.0),
                       c.value("in_s", 0.0), c.value("out_s", 0.0)});
}

}  // namespace tonepoem
