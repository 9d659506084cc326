// Internal to the text stage: who the story is about. A CharacterFinder is fed the story sentence
// by sentence (with the word tokens the emotion pass already cut) and then names the characters:
//
// - Named people and animals. English: runs of capitalised words ("Gretel", "Red-Cap", "Briar
//   Rose") with titles and epithets stripped from the front ("King Thrushbeard" -> "Thrushbeard",
//   "Little Red-Cap" -> "Red-Cap"); a name must recur (2+ mentions), at least once right after
//   another word (a capital after a word, not after punctuation or a quote, is a name's), and not
//   be a common word the story also writes in lower case. Honorifics ("Majesty", "Highness"),
//   holidays, days, months, God and Heaven, nationalities, archaic words ("Thou", "Lo") and roles
//   standing alone ("King", "Queen") are no names; a run holding one of them is dropped whole
//   ("Christmas Tree"), and a name mostly met after "in", "at", "from"... is a place. Chinese: two
//   or three characters beginning with a surname from the table ("王小明", "欧阳锋") or ending in
//   a kinship word (祥林嫂), or a nickname (阿Q, 小红, 老王), recurring.
// - Roles: defined noun phrases on a person or animal noun from a table ("the little girl", "her
//   grandmother", "the king's son", "the wolf"; Chinese 老太太, 孩子, 国王...), counted when they
//   recur 3+ times. English mentions are keyed by the noun, so "the little girl" and "the girl"
//   are one character, named after the most used form with "the" ("her grandmother" ->
//   "the grandmother").
//
// Names whose words are a run of another name's words merge ("Snow White", "White"), under the
// more mentioned form. Deterministic; no state outside the object.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/document.h"

namespace tonepoem {
class Lexicons;
}

namespace tonepoem::text {

struct FoundCharacter {
  std::string name;
  std::size_t mentions = 0;
  std::vector<std::size_t> sentences;  // indices of the sentences that mention it, ascending
};

class CharacterFinder {
 public:
  // `lexicons` gives the Chinese segmenter's dictionary tags (used for Chinese sentences only);
  // it must outlive the finder.
  explicit CharacterFinder(const Lexicons& lexicons) : lexicons_(lexicons) {}

  // Feeds sentence `index` (ascending across calls), written in `language`, whose word tokens in
  // order are `words` (as the emotion pass cut them: ICU words for English, jieba for Chinese).
  void add(std::size_t index, std::string_view text, Language language,
           std::vector<std::string> words);

  // The characters found so far, most mentioned first (ties: first met first).
  std::vector<FoundCharacter> finish() const;

  // What is counted for one candidate (public for the implementation's helpers).
  struct Stats {
    std::size_t mentions = 0;
    std::size_t after_word = 0;  // English names: mentions right after another word
    std::size_t at_place = 0;    // English names: mentions after "in", "at", "from"...
    std::size_t first_seen = 0;
    std::vector<std::size_t> sentences;
    std::map<std::string, std::size_t> forms;  // roles: how each written form was counted
  };

 private:
  void add_english(std::size_t index, std::string_view text, std::vector<std::string> words);
  void add_chinese(std::size_t index, const std::vector<std::string>& words);
  Stats& note(std::map<std::string, Stats>& table, const std::string& key, std::size_t sentence);

  const Lexicons& lexicons_;
  std::map<std::string, Stats> names_;  // English and Chinese names
  std::map<std::string, Stats> roles_;  // English role keys ("girl", "king's son"), Chinese roles
  std::map<std::string, std::size_t> lower_counts_;  // English words seen in lower case
  std::size_t order_ = 0;
};

// Whether `word` is a person or animal noun of the role tables: an English lower-case word
// ("girl", "huntsman", "goose-girl", "wolf") or a Chinese role (孩子, 猎人, 狼).
bool is_person_noun(std::string_view word);

}  // namespace tonepoem::text
