// Internal to the text stage: per-sentence analysers for each language and the evidence
// accumulator they share.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/emotion.h"
#include "text/lexicons.h"

namespace tonepoem::text {

// Evidence gathered over one sentence, turned into an Emotion by finish().
struct Evidence {
  double valence_sum = 0.0;  // on VADER's [-4, 4] per-word scale, after rules
  double arousal_sum = 0.0;  // weighted word arousal
  double intensity = 0.0;    // sum of |word valence| in [0, 1] units (AFINN magnitude)
  double tension_sum = 0.0;
  std::array<double, kCategoryCount> categories{};
  int hits = 0;  // words that carried any emotion
  int exclamations = 0;
  int questions = 0;
  int caps_words = 0;
  int words = 0;                                  // word tokens in the sentence
  double positive_sum = 0.0, negative_sum = 0.0;  // valence_sum split by sign
  double alt_sum = 0.0;                           // signed AFINN evidence after rules

  // Adds one word's emotion. `weight` carries degree words and contrast; `negated` flips valence
  // (applied by the caller) and moves categories (not happy -> some sadness; not afraid -> calm).
  void add_word(const WordInfo& info, double valence_scaled, double weight, bool negated);

  Emotion finish() const;
  // VADER's compound score from the valence evidence alone (the published algorithm's output).
  double vader_compound() const;
  // valence_sum with VADER's '!' and '?' emphasis added in its direction.
  double emphasised_sum() const;
  // The raw evidence as a feature vector (for calibration; see kFeatureNames).
  std::vector<double> features() const;
};
inline constexpr std::size_t kFeatureCount = 22;
inline constexpr std::array<std::string_view, kFeatureCount> kFeatureNames = {
    "compound",  "arousal_words", "intensity", "tension_words", "exclaim", "question",
    "caps",      "pos_cats",      "neg_cats",  "hits",          "pos_sum", "neg_sum",
    "afinn_sum", "log_words",     "joy",       "tenderness",    "sadness", "fear",
    "anger",     "surprise",      "mean_val",  "mean_afinn"};

// English: ICU word tokens, VADER's rules. `words` (optional) receives the word tokens as written.
Evidence english_evidence(std::string_view sentence, const Lexicons& lex,
                          std::vector<std::string>* words);
// Chinese: OpenCC t2s, cppjieba MixSegment, lexicon rules. `words` receives the jieba tokens.
Evidence chinese_evidence(std::string_view sentence, const Lexicons& lex,
                          std::vector<std::string>* words);

}  // namespace tonepoem::text
