#include "plan/plan.h"

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

}  // namespace tonepoem
