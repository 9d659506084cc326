#include "plan/cue_sheet.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"

namespace tonepoem {
namespace {

// Reading pace used when the story carries no timings of its own.
constexpr double kEnglishWordsPerSecond = 2.5;
constexpr double kChineseCharsPerSecond = 6.0;
constexpr double kMinSentenceSeconds = 1.5;
constexpr double kMinPieceSeconds = 20.0;
// The text engine's valence is a least-squares calibration (EmoBank, r about 0.58), and such
// predictions are shrunk toward neutral by roughly r. The music should carry the story's contrast,
// so the plan undoes that shrinkage for its targets (1 / 0.58); the analysis output stays
// calibrated.
constexpr double kValenceExpression = 1.7;
// A section shorter than this cannot hold a musical phrase; short scenes borrow time from long
// ones.
constexpr double kMinSectionSeconds = 6.0;

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::size_t count_code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

double reading_seconds(const Sentence& s, Language lang) {
  const double raw = lang == Language::zh
                         ? static_cast<double>(count_code_points(s.text)) / kChineseCharsPerSecond
                         : static_cast<double>(count_words(s.text)) / kEnglishWordsPerSecond;
  return std::max(kMinSentenceSeconds, raw);
}

// Scales `lengths` to sum to `total`, lifting each to at least `floor` (taken from the others).
std::vector<double> fit_lengths(std::vector<double> lengths, double total, double floor) {
  const std::size_t n = lengths.size();
  floor = std::min(floor, total / static_cast<double>(n));
  std::vector<bool> pinned(n, false);
  for (int round = 0; round < 8; ++round) {
    double free_sum = 0, pinned_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (pinned[i])
        pinned_sum += floor;
      else
        free_sum += lengths[i];
    }
    const double scale = free_sum > 0 ? (total - pinned_sum) / free_sum : 0;
    bool changed = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (pinned[i]) continue;
      if (lengths[i] * scale < floor) {
        pinned[i] = true;
        changed = true;
      }
    }
    if (!changed) {
      std::vector<double> out(n);
      for (std::size_t i = 0; i < n; ++i) out[i] = pinned[i] ? floor : lengths[i] * scale;
      return out;
    }
  }
  return std::vector<double>(n, total / static_cast<double>(n));
}

bool document_has_timings(const Document& d) {
  return std::all_of(d.sentences.begin(), d.sentences.end(), [](const Sentence& s) {
    return s.start_s && s.end_s && *s.end_s > *s.start_s;
  });
}

}  // namespace

CueSheet plan(const Document& document, const EmotionArc& arc, const PlanOptions& options) {
  CueSheet sheet;
  sheet.title = document.title;
  sheet.language = document.language;
  sheet.seed = options.seed;
  const std::size_t scene_count = document.scenes.size();
  if (scene_count == 0 || document.sentences.empty())
    fail_input(document.source, "the story has no sentences to plan",
               "give a story with text in it");

  // Natural start and length of every sentence: the story's own timings, or reading time.
  std::vector<double> sentence_len(document.sentences.size());
  std::vector<double> sentence_start(document.sentences.size());
  double natural_total = 0;
  if (document_has_timings(document)) {
    for (std::size_t i = 0; i < document.sentences.size(); ++i) {
      sentence_start[i] = *document.sentences[i].start_s;
      sentence_len[i] = *document.sentences[i].end_s - *document.sentences[i].start_s;
    }
    natural_total = *document.sentences.back().end_s;
  } else {
    for (std::size_t i = 0; i < document.sentences.size(); ++i) {
      sentence_start[i] = natural_total;
      sentence_len[i] = reading_seconds(document.sentences[i], document.language);
      natural_total += sentence_len[i];
    }
  }
  sheet.duration_s =
      options.duration_s > 0 ? options.duration_s : std::max(kMinPieceSeconds, natural_total);

  // Scene lengths: from the sentences, fitted to the requested duration.
  std::vector<double> scene_len(scene_count, 0.0);
  for (std::size_t s = 0; s < scene_count; ++s) {
    const Scene& scene = document.scenes[s];
    if (scene.sentence_count == 0) continue;
    const std::size_t first = scene.first_sentence, last = first + scene.sentence_count - 1;
    const double next_start = s + 1 < scene_count && document.scenes[s + 1].sentence_count > 0
                                  ? sentence_start[document.scenes[s + 1].first_sentence]
                                  : sentence_start[last] + sentence_len[last];
    scene_len[s] = std::max(0.1, next_start - sentence_start[first]);
  }
  scene_len = fit_lengths(scene_len, sheet.duration_s, kMinSectionSeconds);

  double t = 0;
  for (std::size_t s = 0; s < scene_count; ++s) {
    Cue cue;
    cue.name = document.scenes[s].title;
    cue.start_s = t;
    cue.end_s = s + 1 == scene_count ? sheet.duration_s : t + scene_len[s];
    cue.target = s < arc.scenes.size() ? arc.scenes[s] : Emotion{};
    cue.target.valence = std::clamp(cue.target.valence * kValenceExpression, -1.0, 1.0);
    for (const Character& c : arc.characters)
      if (std::find(c.scenes.begin(), c.scenes.end(), s) != c.scenes.end())
        cue.characters.push_back(c.name);

    // Captions share the scene's span in proportion to their natural lengths.
    const Scene& scene = document.scenes[s];
    double scene_natural = 0;
    for (std::size_t i = 0; i < scene.sentence_count; ++i)
      scene_natural += sentence_len[scene.first_sentence + i];
    double caption_t = cue.start_s;
    for (std::size_t i = 0; i < scene.sentence_count; ++i) {
      const std::size_t k = scene.first_sentence + i;
      Caption caption;
      caption.text = document.sentences[k].text;
      caption.start_s = caption_t;
      caption.end_s = i + 1 == scene.sentence_count
                          ? cue.end_s
                          : caption_t + (cue.end_s - cue.start_s) * sentence_len[k] / scene_natural;
      caption.emotion = k < arc.sentences.size() ? arc.sentences[k] : Emotion{};
      caption_t = caption.end_s;
      sheet.captions.push_back(std::move(caption));
    }
    t = cue.end_s;
    sheet.cues.push_back(std::move(cue));
  }
  return sheet;
}

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

void to_json(nlohmann::json& j, const CueSheet& c) {
  j = nlohmann::json{
      {"format", "tonepoem-cues/1"}, {"title", c.title}, {"language", language_name(c.language)},
      {"duration_s", c.duration_s},  {"seed", c.seed},   {"cues", c.cues},
      {"captions", c.captions}};
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
    Caption cap;
    cap.text = jc.value("text", "");
    cap.start_s = jc.value("start_s", 0.0);
    cap.end_s = jc.value("end_s", 0.0);
    if (jc.contains("emotion")) cap.emotion = jc.at("emotion").get<Emotion>();
    for (const auto& jw : jc.value("words", nlohmann::json::array()))
      cap.words.push_back({jw.value("text", ""), jw.value("start_s", 0.0), jw.value("end_s", 0.0)});
    c.captions.push_back(std::move(cap));
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
