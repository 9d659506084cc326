#include "text/analyze.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/characters.h"
#include "text/lexicons.h"
#include "text/sentiment.h"
#include "text/unicode.h"

namespace tonepoem {
namespace {

// The language a sentence is read in: the document's, unless the sentence is clearly in the
// other script (a Chinese line in an English story, or the reverse).
Language sentence_language(std::string_view s, Language doc) {
  const text::ScriptCounts c = text::count_scripts(s);
  if (doc == Language::en && c.han > 0 && c.han * 4 > c.latin) return Language::zh;
  if (doc == Language::zh && c.han == 0 && c.latin > 0) return Language::en;
  return doc;
}

// A sentence's evidence in its language; `words` (optional) receives its word tokens.
text::Evidence read_evidence(std::string_view sentence, Language language, const Lexicons& lex,
                             std::vector<std::string>* words) {
  return language == Language::zh ? text::chinese_evidence(sentence, lex, words)
                                  : text::english_evidence(sentence, lex, words);
}

// What one pass over the sentences finds: their emotions and the recurring names.
struct SentencePass {
  std::vector<Emotion> emotions;
  std::vector<text::FoundCharacter> names;  // most mentioned first
};

// A villain's threat hangs over the sentences after it (the wolf at the door, the witch's
// house) until it is beaten or the scene changes: each sentence it fades by kMenaceFade, and it
// raises arousal by kMenaceArousal at full strength (stakes). On bench/arcs dev it raised the
// text's arousal r 0.38 -> 0.45 (fade 0.6 .. 0.8, gain 0.2 .. 0.3 alike); lowering valence with
// it lost valence r (the villain is as present in the scene of its downfall).
constexpr double kMenaceArousal = 0.25;
constexpr double kMenaceFade = 0.7;

// The weight of the ending: a story whose last part holds a happy event (a wedding, a reunion,
// "lived happily") ends happily, and all of that part is its resolution: the villain's
// punishment, the tears at a reunion and the retelling of old wrongs in it belong to the happy
// ending, though their words are dark. Its sentences are lifted by kResolutionLift. A story
// whose last part has no happy event (a tragedy) is read as it is. On bench/arcs dev, the
// annotated last parts sit at +0.3 on median while the text read them near 0; a ridge fit of the
// annotation on the smoothed text valence and this flag, held out by tale, raised the median
// r 0.49 -> 0.57 and weighed the flag 0.35 units of text valence.
constexpr double kResolutionShare = 0.15;  // the last 15% of the sentences
constexpr double kResolutionLift = 0.35;
constexpr std::size_t kMinResolutionSentences = 20;  // a story, not a verse or a line

SentencePass read_sentences(const Document& document, const Lexicons& lex) {
  SentencePass pass;
  pass.emotions.reserve(document.sentences.size());
  text::CharacterFinder characters(lex);
  std::vector<std::string> words;
  double menace = 0.0;
  const std::size_t n = document.sentences.size();
  const auto resolution_start =
      static_cast<std::size_t>(std::ceil((1.0 - kResolutionShare) * static_cast<double>(n)));
  bool happy_event = false;
  for (std::size_t si = 0; si < document.sentences.size(); ++si) {
    const Sentence& s = document.sentences[si];
    words.clear();
    const Language lang = sentence_language(s.text, document.language);
    if (si > 0 && s.scene != document.sentences[si - 1].scene) menace = 0.0;
    if (s.text.empty()) {
      pass.emotions.push_back(Emotion{});
    } else {
      // Read as a line of a story: narrative events and tempo dominate (Evidence::finish).
      const text::Evidence ev = read_evidence(s.text, lang, lex, &words);
      Emotion e = ev.finish(text::Evidence::Reading::story);
      happy_event = happy_event || (si >= resolution_start && ev.has_happy_event());
      using M = text::Evidence::Menace;
      menace = ev.menace == M::threat ? 1.0 : ev.menace == M::beaten ? 0.0 : kMenaceFade * menace;
      e.arousal = std::clamp(e.arousal + kMenaceArousal * menace, -1.0, 1.0);
      pass.emotions.push_back(e);
    }
    characters.add(si, s.text, lang, std::move(words));
  }
  if (happy_event && n >= kMinResolutionSentences)
    for (std::size_t si = resolution_start; si < n; ++si)
      pass.emotions[si].valence = std::min(1.0, pass.emotions[si].valence + kResolutionLift);
  pass.names = characters.finish();
  return pass;
}

// Per scene emotions, smoothing, climax and the characters' scenes.
EmotionArc build_arc(const Document& document, const SentencePass& pass) {
  EmotionArc arc;
  arc.sentences = pass.emotions;
  for (const auto& n : pass.names) {
    Character c{n.name, {}, n.mentions};
    for (std::size_t si : n.sentences) {
      const std::size_t scene = document.sentences[si].scene;
      if (c.scenes.empty() || c.scenes.back() != scene) c.scenes.push_back(scene);
    }
    arc.characters.push_back(std::move(c));
  }
  // Per scene: confidence-weighted mean; tension also remembers the scene's sharpest moment.
  std::vector<Emotion> raw;
  for (const Scene& scene : document.scenes) {
    std::vector<double> weights;
    double peak_tension = 0.0;
    for (std::size_t i = scene.first_sentence; i < scene.first_sentence + scene.sentence_count;
         ++i) {
      weights.push_back(0.15 + arc.sentences[i].confidence);
      peak_tension = std::max(peak_tension, arc.sentences[i].tension);
    }
    if (weights.empty()) {
      raw.push_back(Emotion{});
      continue;
    }
    Emotion e =
        weighted_mean(arc.sentences.data() + scene.first_sentence, weights.data(), weights.size());
    e.tension = 0.7 * e.tension + 0.3 * peak_tension;
    raw.push_back(e);
  }
  // Smoothing: each scene moves up to 30% toward its neighbours' mean, less the further it stands
  // from them, so noise is softened while a real turn (a jump of 0.4 or more) stays nearly whole.
  arc.scenes = raw;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::vector<Emotion> nb;
    if (i > 0) nb.push_back(raw[i - 1]);
    if (i + 1 < raw.size()) nb.push_back(raw[i + 1]);
    if (nb.empty()) break;
    const std::vector<double> w(nb.size(), 1.0);
    const Emotion m = weighted_mean(nb.data(), w.data(), nb.size());
    const double delta = std::fabs(raw[i].valence - m.valence) +
                         std::fabs(raw[i].arousal - m.arousal) +
                         std::fabs(raw[i].tension - m.tension);
    const double alpha = 0.3 * std::exp(-std::pow(delta / 0.4, 2.0));
    Emotion& e = arc.scenes[i];
    e.valence += alpha * (m.valence - e.valence);
    e.arousal += alpha * (m.arousal - e.arousal);
    e.tension += alpha * (m.tension - e.tension);
    for (std::size_t c = 0; c < kCategoryCount; ++c)
      e.categories[c] += alpha * (m.categories[c] - e.categories[c]);
    e = e.clamped();
  }
  arc.climax_scene = 0;
  for (std::size_t i = 0; i < arc.scenes.size(); ++i) {
    if (arc.scenes[i].tension >= arc.scenes[arc.climax_scene].tension) arc.climax_scene = i;
  }
  return arc;
}

}  // namespace

Emotion analyze_sentence(std::string_view sentence, Language language, const Lexicons& lexicons) {
  if (sentence.empty()) return Emotion{};
  return read_evidence(sentence, language, lexicons, nullptr)
      .finish(text::Evidence::Reading::sentence);
}

EmotionArc analyze(const Document& document, const AnalyzeOptions& options) {
  if (!options.lexicons) throw Error(ExitCode::internal, "analyze() called without lexicons");
  return build_arc(document, read_sentences(document, *options.lexicons));
}

}  // namespace tonepoem
