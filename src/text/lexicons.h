// Internal to the text stage: the loaded word lists behind `Lexicons` (see analyze.h).
//
// Lexicon TSV format (README.md, "Lexicon files"), one entry a line, UTF-8, `#` starts a comment:
//   term <TAB> valence in [-1, 1] <TAB> arousal in [-1, 1] or empty <TAB> categories or empty
// Categories are a comma list of joy, tenderness, sadness, fear, anger, surprise, disgust.
// Terms are matched lower-cased (English) or exactly (Chinese). Modifier files:
//   term <TAB> negator|booster|dampener|contrast <TAB> factor
#pragma once

#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/emotion.h"
#include "core/error.h"
#include "text/analyze.h"

namespace cppjieba {
class MixSegment;
}

namespace tonepoem::text {

inline constexpr float kNone = std::numeric_limits<float>::quiet_NaN();

// What a word list says about one term. Any field may be absent (NaN / 0).
struct WordInfo {
  float valence = kNone;        // [-1, 1] from the primary list (VADER, DUTIR/HowNet/Boson, user)
  float alt_valence = kNone;    // [-1, 1] from a second list (AFINN), used as arousal evidence
  float arousal = kNone;        // [-1, 1]
  float tension = 0.0f;         // [0, 1] threat or suspense the word carries
  std::uint8_t categories = 0;  // bit (1 << Category)

  bool has_valence() const { return !std::isnan(valence); }
  bool has_arousal() const { return !std::isnan(arousal); }
  bool has(Category c) const { return (categories >> static_cast<unsigned>(c)) & 1u; }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using WordMap = std::unordered_map<std::string, WordInfo, StringHash, std::equal_to<>>;

// One row of the learned English word table (en_learned.inc), in EmoBank rating units (1..5):
// how far sentences holding the word were rated from the corpus mean, shrunk toward 0 for rare
// words (`in_corpus`: the word was frequent enough in EmoBank train), and the word's projection
// through the ridge model of ratings on mean GloVe word vectors (`embedded`: the word is among
// the GloVe words kept), which also speaks for words EmoBank never saw.
struct LearnedWord {
  float valence = 0.0f;
  float arousal = 0.0f;
  float embed_valence = 0.0f;
  float embed_arousal = 0.0f;
  float embed_weight = 1.0f;
  bool in_corpus = false;
  bool embedded = false;
};
using LearnedMap = std::unordered_map<std::string, LearnedWord, StringHash, std::equal_to<>>;
// Parses the learned table's text (`#` comments; rows
// `word<TAB>valence<TAB>arousal[<TAB>embed_valence<TAB>embed_arousal[<TAB>embed_weight]]`, a
// pair of fields left empty where the word has no such value, the weight 1 when absent) into
// `map`.
void parse_learned_table(std::string_view text, LearnedMap& map);
// The compiled-in learned table (en_learned.inc).
std::string_view learned_table_text();

enum class ModifierKind : std::uint8_t { negator, booster, dampener, contrast };
struct Modifier {
  ModifierKind kind = ModifierKind::booster;
  float factor = 1.0f;
};
using ModifierMap = std::unordered_map<std::string, Modifier, StringHash, std::equal_to<>>;

// Chinese resources: loaded on first use (several MB of dictionaries).
struct ChineseResources {
  ChineseResources();
  ~ChineseResources();
  std::unique_ptr<cppjieba::MixSegment> segmenter;
  WordMap words;          // DUTIR (categories), HowNet and BosonNLP merged
  ModifierMap modifiers;  // negators, degree words, contrast words
  std::unordered_set<std::string, StringHash, std::equal_to<>> stop_words;
  std::vector<std::string> sources;  // the files used, for reports
};

// Reads a lexicon TSV into `map` (later entries override earlier ones field by field; `lower`
// lower-cases ASCII in terms). Throws Error(code) naming the file and line on a malformed row.
void load_lexicon_tsv(const std::filesystem::path& path, WordMap& map, bool lower, ExitCode code);
// Parses lexicon TSV text (for tests and for load_lexicon_tsv); `source` names it in errors.
void parse_lexicon_tsv(std::string_view text, std::string_view source, WordMap& map, bool lower,
                       ExitCode code);
void load_modifier_tsv(const std::filesystem::path& path, ModifierMap& map);

// Built-in English tables (en_words.cpp), written for tonepoem.
struct EnglishBooster {
  std::string_view word;
  float delta;  // added to a word's VADER-scale valence magnitude (+ intensifies, - dampens)
};
extern const std::vector<EnglishBooster> kEnglishBoosters;
extern const std::vector<std::string_view> kEnglishNegations;
// Adds emotion categories, arousal and tension of common English emotion words into `map`
// (without touching valence).
void add_english_emotion_words(WordMap& map);
// tonepoem's Chinese corrections and additions (zh_words.cpp), applied over the registry lists.
void add_chinese_emotion_words(WordMap& map);
// tonepoem's own Chinese negators, degree and contrast words (used under zh-modifiers.tsv, and
// alone with the permissive lists).
void add_builtin_chinese_modifiers(ModifierMap& map);
// Emoji and emoticons with their emotion (valence, arousal, categories).
void add_emoji(WordMap& map);

// Narrative cues (narrative.cpp): what happens in a sentence, which outweighs the pleasant or
// unpleasant words around it ("froze to death on the bright, warm morning"). A cue pulls the
// sentence's valence toward `valence` with strength `valence_weight` and its arousal (narrative
// tempo and stakes: a chase or a fight high, sleep and stillness low) toward `arousal` with
// `arousal_weight`; `tension` and `category` (Category index, -1 none) add to the sentence's.
enum class CueKind : std::uint8_t {
  event,    // death, injury, loss, capture, cruelty, rescue, reunion, triumph, marriage, reward
  mood,     // weather and light: a storm, a dark night, sunshine (weaker than events)
  tempo,    // arousal only: pursuit, flight, sleep, silence
  harm,     // an event done to someone: good news when done to a villain ("killed the wolf")
  mocking,  // laughter at someone, scorn: no joy
  fate,     // an event that befalls its subject (death): good news when a villain meets it
  villain,  // a villain noun: a little menace, once a sentence, unless a harm or fate beats it
  hypothetical,  // "if", "might", 如果: an event in the next few words may not happen (weaker)
  intensifier_after_emotion,  // a death word that after an emotion word only intensifies it
                              // (高兴死了 "happy to death"); otherwise read as `fate`
  none,                       // explicitly not an event (an idiom that contains one: 笑死)
};
struct NarrativeCue {
  CueKind kind = CueKind::event;
  float valence = 0.0f, valence_weight = 0.0f;
  float arousal = 0.0f, arousal_weight = 0.0f;
  float tension = 0.0f;
  int category = -1;
  bool starts_phrase = false;  // a phrase of the table begins with this word ("laughed" at)
};
using CueMap = std::unordered_map<std::string, NarrativeCue, StringHash, std::equal_to<>>;
// One row of a cue table: space-separated words sharing the cue ('_' stands for a space inside
// a phrase: "laughed_at"). A phrase's first word is entered too (kind `none` when it has no cue
// of its own) with `starts_phrase` set, so that a reader looks up a pair only after such a word.
struct CueRow {
  std::string_view words;
  CueKind kind;
  float valence, valence_weight, arousal, arousal_weight, tension;
  int category;
};
CueMap build_cue_map(std::span<const CueRow> rows);
// The built-in cue tables (en_words.cpp: lower-case words and two-word phrases "laughed at";
// zh_words.cpp: simplified Chinese words, also matched inside jieba tokens for one-character
// cues such as 死, and across two tokens (被 + 打)). Built on first use.
const CueMap& english_narrative_cues();
const CueMap& chinese_narrative_cues();

}  // namespace tonepoem::text

namespace tonepoem {

class Lexicons {
 public:
  std::filesystem::path data_dir;
  text::WordMap english;  // VADER valence, AFINN as alt_valence, tonepoem's emotion words
  text::WordMap user;     // --lexicon entries (both languages), consulted first
  text::WordMap emoji;    // emoji and emoticons (both languages)
  text::LearnedMap learned_english;  // word table learned from EmoBank train (en_learned.inc)
  std::unordered_map<std::string, float, text::StringHash, std::equal_to<>> en_boosters;
  std::unordered_set<std::string, text::StringHash, std::equal_to<>> en_negations;

  // The Chinese resources, loaded on first call (thread-safe; a failure is rethrown each call).
  const text::ChineseResources& chinese() const;
  // Whether chinese() has loaded (for tests and reports).
  bool chinese_loaded() const;
  // The word lists in use: English ones, user lexicons, and the Chinese ones once loaded.
  std::vector<std::string> sources() const;
  std::vector<std::string> english_sources;
  bool permissive_only = false;  // LexiconOptions::permissive_only
  // Traditional -> Simplified Chinese (OpenCC t2s); returns the input when OpenCC is unavailable.
  std::string to_simplified(std::string_view text) const;

  Lexicons();
  ~Lexicons();

 private:
  mutable std::mutex zh_mutex_;
  mutable std::unique_ptr<text::ChineseResources> zh_;
  mutable std::mutex cc_mutex_;
  mutable void* opencc_ = nullptr;  // opencc_t
  mutable bool opencc_tried_ = false;
};

}  // namespace tonepoem
