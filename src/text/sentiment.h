// Internal to the text stage: per-sentence analysers for each language and the evidence
// accumulator they share.
#pragma once

#include <array>
#include <cstddef>
#include <span>
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
  // Learned word table (en_learned.inc): sums of the words' valence and arousal deviations
  // (EmoBank rating units) over the tokens found in it, valence flipped under negation.
  double learned_valence = 0.0, learned_arousal = 0.0;
  int learned_hits = 0;
  // The table's GloVe projections summed over the tokens that have one (valence flipped under
  // negation as above).
  double embed_valence = 0.0, embed_arousal = 0.0;
  double embed_weight = 0.0;  // the sum of those tokens' weights (frequent words weigh less)
  int embed_hits = 0;
  int negated_words = 0;  // word tokens within a negation's scope (learned keys with sign < 0)
  // The lowest and highest signed valence among the tokens' table entries and among their GloVe
  // projections (0 without one).
  double learned_min = 0.0, learned_max = 0.0, embed_min = 0.0, embed_max = 0.0;
  // Whether the learned table was consulted (English with the table loaded): finish() then uses
  // the calibration fitted with it, otherwise the one fitted on the word lists alone.
  bool learned = false;
  // Chinese text: finish() takes valence from the Chinese calibration (zh_learned.inc).
  bool chinese = false;
  // Narrative cues (narrative.cpp), kept out of features() so that the calibrations stay as
  // fitted: finish() pulls the calibrated valence and arousal toward the cues' weighted means,
  // the more the stronger the cues (an event outweighs the words around it).
  double story_valence = 0.0, story_valence_weight = 0.0;  // sum of weight x cue valence; weight
  double story_arousal = 0.0, story_arousal_weight = 0.0;
  double story_tension = 0.0;
  std::array<double, kCategoryCount> story_categories{};
  // A villain in the sentence: still a threat (nothing beat it), or beaten (killed, drowned,
  // punished). The story pass carries the threat over the sentences after it (analyze.cpp).
  enum class Menace { none, threat, beaten };
  Menace menace = Menace::none;

  // Adds one word's emotion. `weight` carries degree words and contrast; `negated` flips valence
  // (applied by the caller) and moves categories (not happy -> some sadness; not afraid -> calm).
  void add_word(const WordInfo& info, double valence_scaled, double weight, bool negated);
  // Adds one token's learned-table entry (valence already signed by negation) or GloVe
  // projection.
  void add_learned(double valence, double arousal);
  void add_embedded(double valence, double arousal, double weight);
  // Adds one narrative cue; `sign` is -0.5 under negation ("did not die"), else 1.
  void add_cue(const NarrativeCue& cue, double sign);

  // How a sentence is read: alone (a review, a post, a line of a benchmark) or as a line of a
  // story, where what happens outweighs the words around it far more and arousal is the
  // story's tempo and stakes (a chase high, sleep and grief low) rather than EmoBank's.
  enum class Reading { sentence, story };
  Emotion finish(Reading reading = Reading::sentence) const;
  // Whether a strongly good event happened in the sentence (a wedding, a rescue, "lived
  // happily"): the narrative cues' pull toward good news is at least kHappyEvent.
  bool has_happy_event() const;
  // VADER's compound score from the valence evidence alone (the published algorithm's output).
  double vader_compound() const;
  // valence_sum with VADER's '!' and '?' emphasis added in its direction.
  double emphasised_sum() const;
  // The raw evidence as a feature vector (for calibration; see kFeatureNames).
  std::vector<double> features() const;
};
inline constexpr std::size_t kFeatureCount = 35;
inline constexpr std::array<std::string_view, kFeatureCount> kFeatureNames = {
    "compound",      "arousal_words", "intensity", "tension_words", "exclaim",     "question",
    "caps",          "pos_cats",      "neg_cats",  "hits",          "pos_sum",     "neg_sum",
    "afinn_sum",     "log_words",     "joy",       "tenderness",    "sadness",     "fear",
    "anger",         "surprise",      "mean_val",  "mean_afinn",    "learned_val", "learned_aro",
    "learned_val_n", "learned_aro_n", "embed_val", "embed_aro",     "embed_val_n", "embed_aro_n",
    "learned_min",   "learned_max",   "embed_min", "embed_max",     "negated"};

inline constexpr std::size_t kLengthFeature = 13;  // log_words: the sentence, not its emotion
static_assert(kFeatureNames[kLengthFeature] == "log_words");

// One rating (valence or arousal, EmoBank units around the mean) from a sentence's features: a
// ridge regression fitted by `text_bench --fit` (numbers in en_learned.inc) on the chosen
// features, each standardised ((f - mean) / scale) and clipped to [-clip, clip], and, when
// `terms` holds more than one weight per feature, on their pairwise products too.
struct Calibration {
  std::span<const std::size_t> features;  // indices into Evidence::features()
  std::span<const double> mean, scale;    // one per chosen feature
  // One weight per chosen feature, then (quadratic) one per pair i <= j in row order:
  // (0,0) (0,1) ... (0,k-1) (1,1) ... (k-1,k-1).
  std::span<const double> terms;
  double clip = 0;  // 0: no clipping

  bool quadratic() const { return terms.size() > features.size(); }
  // The regression's value less its value for the same sentence without evidence (every feature
  // 0 but its length), so that a sentence carrying no evidence reads exactly neutral.
  // Precondition: `all` has kFeatureCount values; terms.size() is k or k + k(k+1)/2.
  double predict(const std::vector<double>& all) const;
};

// The compiled-in valence calibration of the word lists alone (English without the table), for
// text_bench, which scales the Chinese calibration to it.
const Calibration& list_valence_calibration();

// The key under which an English word token is looked up: curly apostrophes made straight, ASCII
// lower case.
std::string english_key(std::string_view word);
// Whether the English word lists treat `key` as a negation ("not", "never", "don't").
bool is_english_negation(std::string_view key, const Lexicons& lex);
// Whether keys[i] stands in the scope of a negation: one up to 3 tokens before it with no word
// between that opens another clause ("and", "but", "when", "who" ...).
bool negated_in_clause(const std::vector<std::string>& keys, std::size_t i, const Lexicons& lex);

// A word key of a sentence and the sign the learned table's valence takes there (VADER's -0.74
// when "not", "never", "n't" ... stands within the three words before it, else 1).
struct LearnedKey {
  std::string key;
  double sign = 1.0;
};
// The learned-table lookups of a sentence whose word keys (english_key) are `keys`, in order.
std::vector<LearnedKey> english_learned_keys(const std::vector<std::string>& keys,
                                             const Lexicons& lex);

// Adds the narrative cues of a sentence's tokens to `ev`. English: `keys` are english_key()
// forms; a cue within three words after a negation is weakened and turned ("never came home"),
// a negative cue after "from" is what someone escapes ("saved her from death") and is dropped,
// a harm done to a villain ("killed the wolf", "the witch was burned") reads as triumph, a
// mocking cue ("laughed at") cancels the joy of laughter. Chinese: jieba tokens, the same rules
// with 不/没/没有 (the lists' negators) and 从 (from).
// `named[i]` (optional): token i is a character's name (a capitalised word inside the sentence).
// An event's subject is the character named last before it, over pronouns: a death, or a harm
// suffered ("was drowned"), whose subject is a villain reads as triumph, a villain's good fortune
// as bad news.
void add_english_narrative(const std::vector<std::string>& keys, const Lexicons& lex, Evidence& ev,
                           const std::vector<bool>& named = {});
void add_chinese_narrative(const std::vector<std::string>& tokens, const Lexicons& lex,
                           Evidence& ev);

// English: ICU word tokens, VADER's rules. `words` (optional) receives the word tokens as written.
Evidence english_evidence(std::string_view sentence, const Lexicons& lex,
                          std::vector<std::string>* words);
// Chinese: OpenCC t2s, cppjieba MixSegment, lexicon rules. `words` receives the jieba tokens.
Evidence chinese_evidence(std::string_view sentence, const Lexicons& lex,
                          std::vector<std::string>* words);

}  // namespace tonepoem::text
