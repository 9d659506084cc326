// Internal to the text stage: per-sentence analysers for each language and the evidence
// accumulator they share.
#pragma once

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

  // Adds one word's emotion. `weight` carries degree words and contrast; `negated` flips valence
  // (applied by the caller) and moves categories (not happy -> some sadness; not afraid -> calm).
  void add_word(const WordInfo& info, double valence_scaled, double weight, bool negated);
  Emotion finish() const;
};

// English: ICU word tokens, VADER's rules. `words` (optional) receives the word tokens as written.
Emotion analyze_english(std::string_view sentence, const Lexicons& lex,
                        std::vector<std::string>* words);
// Chinese: OpenCC t2s, cppjieba MixSegment, lexicon rules. `words` receives the jieba tokens.
Emotion analyze_chinese(std::string_view sentence, const Lexicons& lex,
                        std::vector<std::string>* words);

}  // namespace tonepoem::text
