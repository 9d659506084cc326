#include "lyrics/lyrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "text/reading.h"

namespace tonepoem {
namespace {

// Words sung unstressed and never left at a line's end.
const std::set<std::string, std::less<>>& function_words() {
  static const std::set<std::string, std::less<>> words = {
      "a",     "an",     "the",  "and",   "or",    "but",   "of",   "to",   "in",   "on",
      "at",    "by",     "for",  "with",  "from",  "as",    "is",   "was",  "were", "be",
      "been",  "are",    "am",   "it",    "its",   "it's",  "he",   "she",  "his",  "her",
      "him",   "they",   "them", "their", "we",    "us",    "our",  "you",  "your", "i",
      "me",    "my",     "that", "this",  "these", "those", "so",   "then", "if",   "than",
      "there", "had",    "has",  "have",  "do",    "did",   "does", "not",  "no",   "would",
      "could", "should", "will", "can",   "into",  "onto",  "upon", "over", "very", "who",
      "which", "what",   "when", "where", "while", "until", "up",   "out",  "off",  "all",
      "some",  "any",    "each", "such",  "one",   "just",  "too",  "also", "said", "every"};
  return words;
}

bool is_function_word(std::string_view lower) {
  return function_words().contains(lower);
}

// Words that belong to the word after them (determiners, prepositions): a line may not start
// just after one.
bool binds_forward(std::string_view key) {
  static const std::set<std::string, std::less<>> words = {
      "the",   "a",    "an",   "his",   "her",   "my",   "their", "our",  "its",  "your",
      "every", "this", "that", "these", "those", "some", "no",    "of",   "to",   "very",
      "in",    "on",   "at",   "by",    "for",   "with", "from",  "into", "onto", "upon",
      "over",  "as",   "than", "在",    "的",    "一个", "这",    "那",   "把",   "被",
      "从",    "向",   "给",   "很",    "和",    "跟"};
  return words.contains(key);
}

// Words that need the words after them: a line cut inside its clause may not end on one ("the
// light bob along the bank through", "thought it the most", "小红觉得"); at the clause's end
// they stand.
bool needs_what_follows(std::string_view key) {
  static const std::set<std::string, std::less<>> words = {
      "through", "along", "across", "behind", "beneath", "under", "toward", "towards", "against",
      "among", "between", "beside", "without", "within", "beyond", "like", "most", "more", "near",
      "past", "whose",
      // Chinese verbs that take what follows as their object or clause ("小红觉得 | ...").
      "觉得", "认为", "以为", "知道", "发现", "看见", "听见", "希望", "只有", "没有", "像", "是",
      "有", "想"};
  return words.contains(key);
}

// Chinese particles and place words that finish the phrase before them: a line is not cut just
// before one ("讲好听 | 的故事", "这是世界 | 上最美的").
bool binds_backward(std::string_view key) {
  static const std::set<std::string, std::less<>> words = {"的", "之", "上", "里", "下", "中",
                                                           "地", "得", "了", "着", "过"};
  return words.contains(key);
}

// Pronouns that follow their verb as its object: a line cut before one drops the verb's object
// ("lit the lantern and hung | it by the ford").
bool is_object_pronoun(std::string_view key) {
  return key == "it" || key == "him" || key == "them" || key == "me" || key == "us";
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_vowel_letter(char c) {
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// Letter groups: vowel runs in the spelling.
std::vector<std::pair<std::size_t, std::size_t>> vowel_groups(std::string_view w) {
  std::vector<std::pair<std::size_t, std::size_t>> groups;
  for (std::size_t i = 0; i < w.size();) {
    if (!is_vowel_letter(w[i]) || (w[i] == 'y' && i == 0)) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < w.size() && is_vowel_letter(w[j])) ++j;
    groups.push_back({i, j});
    i = j;
  }
  return groups;
}

// Letter-to-sound fallback: vowel groups, a silent final "e" (not "-le") dropped, at least one.
std::size_t letter_syllables(std::string_view lower) {
  auto groups = vowel_groups(lower);
  std::size_t n = groups.size();
  if (n > 1 && lower.size() > 2 && lower.back() == 'e' && groups.back().first == lower.size() - 1 &&
      !(lower[lower.size() - 2] == 'l' && !is_vowel_letter(lower[lower.size() - 3])))
    --n;
  return std::max<std::size_t>(n, 1);
}

// The spelling cut into `n` pieces: at the middle of the consonants between vowel groups when the
// groups match, else into equal runs of letters (karaoke text, not a dictionary hyphenation).
std::vector<std::string> split_letters(std::string_view word, std::size_t n) {
  if (n <= 1 || word.size() < n) return {std::string(word)};
  auto groups = vowel_groups(word);
  std::vector<std::size_t> cuts;
  if (groups.size() >= n) {
    for (std::size_t k = 1; k < n; ++k) {
      const std::size_t end = groups[k - 1].second, next = groups[k].first;
      cuts.push_back(end + (next - end) / 2);
    }
  } else {
    for (std::size_t k = 1; k < n; ++k) cuts.push_back(word.size() * k / n);
  }
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (std::size_t c : cuts) {
    parts.emplace_back(word.substr(from, c - from));
    from = c;
  }
  parts.emplace_back(word.substr(from));
  return parts;
}

bool is_arpabet_vowel(std::string_view phone) {
  return !phone.empty() && std::isdigit(static_cast<unsigned char>(phone.back()));
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// One word or its inflection ("evening", "evenings"): an identity, not a rhyme.
bool same_word(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  // ... or a compound ending in the other ("grandmother", "mother"; "wood", "firewood").
  return a == b || (a.size() >= 3 && b.starts_with(a) && b.size() <= a.size() + 3) ||
         (a.size() >= 3 && b.ends_with(a));
}

// The vowel of a rhyme key, what a slant rhyme shares: English, the last stressed vowel ("AO R D"
// -> "AO"); Chinese, the 十三辙 group's main vowel with its nasal coda dropped, as Mandarin songs
// rhyme -n with -ng and with none (发花 a, 言前 an, 江阳 ang; 人辰 en/in, 中东 eng/ing/ong); the
// other groups are their own vowel.
std::string rhyme_vowel(const std::string& key) {
  if (key == "发花" || key == "言前" || key == "江阳") return "a";
  if (key == "人辰" || key == "中东") return "e";
  return key.substr(0, key.find(' '));
}

}  // namespace

Pronouncer::Pronouncer(const std::filesystem::path& tsv) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(tsv, ec))
    throw Error(ExitCode::missing_resource, "the pronouncing dictionary is missing", tsv.string(),
                "run scripts/setup to build en-cmudict.tsv in the data folder");
  const std::string text = read_text_file(tsv);
  std::size_t line_no = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + at, end - at);
    at = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0 || tab + 1 >= line.size())
      throw Error(ExitCode::missing_resource,
                  "malformed row at line " + std::to_string(line_no) + " (want word<TAB>phones)",
                  tsv.string(), "rebuild it with scripts/setup");
    phones_.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
  }
  if (phones_.empty())
    throw Error(ExitCode::missing_resource, "the pronouncing dictionary has no entries",
                tsv.string(), "rebuild it with scripts/setup");
}

LyricWord Pronouncer::pronounce(std::string_view word, std::string* rhyme) const {
  LyricWord out;
  out.text = std::string(word);
  std::string lower = lower_ascii(word);
  const bool function = is_function_word(lower);
  auto found = phones_.find(lower);
  if (found == phones_.end() && lower.size() > 2 && lower.ends_with("'s"))
    found = phones_.find(lower.substr(0, lower.size() - 2));
  if (found != phones_.end()) {
    const std::vector<std::string> phones = split_spaces(found->second);
    std::vector<int> stress;
    std::size_t last_stressed = phones.size();
    for (std::size_t i = 0; i < phones.size(); ++i) {
      if (!is_arpabet_vowel(phones[i])) continue;
      stress.push_back(phones[i].back() - '0');
      if (phones[i].back() != '0') last_stressed = i;
    }
    if (last_stressed == phones.size())  // no stressed vowel: rhyme from the last vowel
      for (std::size_t i = 0; i < phones.size(); ++i)
        if (is_arpabet_vowel(phones[i])) last_stressed = i;
    const std::vector<std::string> parts =
        split_letters(word, std::max<std::size_t>(stress.size(), 1));
    for (std::size_t k = 0; k < parts.size(); ++k)
      out.syllables.push_back({parts[k], !function && k < stress.size() && stress[k] == 1, ""});
    if (rhyme) {
      rhyme->clear();
      for (std::size_t i = last_stressed; i < phones.size(); ++i) {
        std::string p = phones[i];
        if (is_arpabet_vowel(p)) p.pop_back();
        if (!rhyme->empty()) *rhyme += ' ';
        *rhyme += p;
      }
    }
    return out;
  }
  out.in_dictionary = false;
  const std::vector<std::string> parts = split_letters(word, letter_syllables(lower));
  for (std::size_t k = 0; k < parts.size(); ++k)
    out.syllables.push_back({parts[k], !function && k == 0, ""});
  if (rhyme) {  // the spelling from the last vowel group stands in for the phones
    auto groups = vowel_groups(lower);
    *rhyme = groups.empty() ? lower : "~" + lower.substr(groups.back().first);
  }
  return out;
}

std::string_view pinyin_rhyme_group(std::string_view syllable) {
  std::string s(syllable);
  while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.back()))) s.pop_back();
  static constexpr std::array<std::string_view, 23> kInitials = {
      "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g",
      "k",  "h",  "j",  "q", "x", "r", "z", "c", "s", "y", "w"};
  std::string initial;
  for (std::string_view i : kInitials)
    if (s.starts_with(i)) {
      initial = std::string(i);
      break;
    }
  std::string f = s.substr(initial.size());
  const bool palatal = initial == "j" || initial == "q" || initial == "x" || initial == "y";
  if (palatal && f.starts_with('u')) f = "v" + f.substr(1);  // ju, que, xun, yu: ü
  if (initial == "y" && (f == "e" || f == "ve")) return "乜斜";
  if (f.empty()) return "一七";
  if (f == "a" || f == "ia" || f == "ua") return "发花";
  if (f == "o" || f == "e" || f == "uo") return "梭波";
  if (f == "ie" || f == "ve" || f == "ue") return "乜斜";
  if (f == "i" || f == "v" || f == "er") return "一七";
  if (f == "u") return "姑苏";
  if (f == "ai" || f == "uai") return "怀来";
  if (f == "ei" || f == "ui" || f == "uei") return "灰堆";
  if (f == "ao" || f == "iao") return "遥条";
  if (f == "ou" || f == "iu" || f == "iou") return "油求";
  if (f.ends_with("ng")) {
    if (f == "ang" || f == "iang" || f == "uang") return "江阳";
    return "中东";
  }
  if (f.ends_with('n')) {
    if (f == "an" || f == "ian" || f == "uan" || f == "van") return "言前";
    return "人辰";
  }
  return "一七";
}

namespace {

// A word of a clause as the line writer sees it.
struct Token {
  LyricWord word;
  std::string key;    // lower-case lookup form
  std::string rhyme;  // the word's rhyme key
  bool content = true;
  bool name = false;
};

struct Clause {
  std::size_t sentence = 0;
  std::size_t cue = 0;
  std::vector<Token> tokens;
};

// A candidate line: tokens [from, to) of one clause.
struct Window {
  std::size_t clause = 0, from = 0, to = 0;
  double score = 0;
};

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes read as U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool is_han(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF);
}

// A stanza of the user's lyrics: lines [first_line, first_line + line_count) of the document
// read_given_lyrics builds, its heading, whether it is a chorus.
struct GivenStanza {
  std::string name;
  std::size_t first_line = 0, line_count = 0;
  bool chorus = false;
  bool bridge = false;          // sung once, like a verse, over its own cue
  bool named_kind = false;      // a heading said what it is
  std::size_t verse_count = 1;  // verses in the whole song (for spreading them over the cues)
};

// Syllables a given line may have before it is sung as two.
constexpr std::size_t kLongestGivenLine = 16;

class LineWriter {
 public:
  LineWriter(const Document& doc, const CueSheet& cues, std::shared_ptr<const Lexicons> lexicons,
             const LyricsOptions& options)
      : doc_(doc), cues_(cues), lexicons_(std::move(lexicons)), options_(options) {
    for (const Cue& cue : cues_.cues)
      for (const std::string& name : cue.characters) names_.insert(lower_ascii(name));
  }

  SongLyrics write() {
    load_pronunciation();
    for (std::size_t s = 0; s < doc_.sentences.size(); ++s) split_sentence(s);
    count_recurrence();

    SongLyrics lyrics;
    lyrics.title = doc_.title;
    lyrics.language = doc_.language;
    std::vector<LyricSection> verses;
    for (std::size_t c = 0; c < cues_.cues.size(); ++c) {
      LyricSection verse = write_verse(c);
      if (verse.lines.empty()) continue;
      verses.push_back(std::move(verse));
    }
    // A bridge at the climax: the section sung over the cue that holds the story's climax (its
    // hit point), when verses and a chorus have come before it; a chorus follows it.
    const std::optional<std::size_t> climax = climax_cue();
    std::size_t numbered = 0;
    for (std::size_t v = 0; v < verses.size(); ++v) {
      LyricSection& section = verses[v];
      const std::string& scene = cues_.cues[section.cue].name;
      if (climax && section.cue == *climax && v > 0 && verses.size() >= 3) {
        section.kind = "bridge";
        section.name = "Bridge (" + scene + ")";
      } else {
        section.name = "Verse " + std::to_string(++numbered) + " (" + scene + ")";
      }
    }
    if (verses.empty())
      fail_input(doc_.source,
                 "no sentence has a clause of " + std::to_string(options_.min_syllables) + " to " +
                     std::to_string(options_.max_syllables) +
                     " syllables that lyrics can be made from",
                 "give a story in sentences of words (prose or verse), not lists, numbers or "
                 "symbols");
    const LyricSection chorus = write_chorus();
    const std::size_t every = verses.size() > 4 ? 2 : 1;
    for (std::size_t v = 0; v < verses.size(); ++v) {
      const bool bridge = verses[v].kind == "bridge";
      lyrics.sections.push_back(std::move(verses[v]));
      if (!chorus.lines.empty() && ((v + 1) % every == 0 || v + 1 == verses.size() || bridge))
        lyrics.sections.push_back(chorus);
    }
    return lyrics;
  }

  // The user's own words (`doc_`'s sentences are their lines, in order): each line whole, in its
  // stanza; see read_given_lyrics.
  SongLyrics write_given(const std::vector<GivenStanza>& stanzas) {
    load_pronunciation();
    SongLyrics lyrics;
    lyrics.title = doc_.title;
    lyrics.language = doc_.language;
    std::size_t verses = 0;
    for (const GivenStanza& g : stanzas) {
      LyricSection section{g.chorus ? "chorus" : g.bridge ? "bridge" : "verse", g.name, 0, {}};
      if (section.name.empty())
        section.name = g.chorus ? "Chorus" : "Verse " + std::to_string(verses + 1);
      // Verses spread over the cues in order; a chorus sings over the cue it follows.
      if (!g.chorus) {
        section.cue = cues_.cues.empty() ? 0 : verses * cues_.cues.size() / g.verse_count;
        ++verses;
      } else if (!lyrics.sections.empty()) {
        section.cue = lyrics.sections.back().cue;
      }
      for (std::size_t s = g.first_line; s < g.first_line + g.line_count; ++s) {
        const std::size_t before = clauses_.size();
        split_sentence(s);
        LyricLine line;
        line.sentence = s;
        for (std::size_t c = before; c < clauses_.size(); ++c)
          for (const Token& t : clauses_[c].tokens) {
            line.words.push_back(t.word);
            line.rhyme = t.rhyme;
          }
        clauses_.resize(before);
        for (LyricLine& part : split_long_line(std::move(line)))
          if (!part.words.empty()) section.lines.push_back(std::move(part));
      }
      if (!section.lines.empty()) lyrics.sections.push_back(std::move(section));
    }
    if (lyrics.sections.empty())
      fail_input(doc_.source, "has no line with a word that can be sung",
                 "give the lyrics as lines of words (plain text, one sung line a line, a blank "
                 "line between stanzas; or LRC)");
    return lyrics;
  }

 private:
  // The readers the text needs: CMUdict for English words, the narration reader for Han
  // characters (both for text in both scripts).
  void load_pronunciation() {
    bool latin = doc_.language == Language::en, han = doc_.language == Language::zh;
    for (const Sentence& sentence : doc_.sentences)
      for (std::size_t i = 0; i < sentence.text.size() && !(latin && han);) {
        const char32_t c = next_code_point(sentence.text, i);
        latin = latin || (c < 0x80 && std::isalpha(static_cast<int>(c)));
        han = han || is_han(c);
      }
    if (latin) {
      pronouncer_ = options_.pronouncer
                        ? options_.pronouncer
                        : std::make_shared<const Pronouncer>(
                              (options_.data_dir.empty() ? find_data_dir() : options_.data_dir) /
                              "lexicons" / "en-cmudict.tsv");
    }
    if (han) {
      reader_ =
          options_.reader ? options_.reader : std::make_shared<const NarrationReader>(lexicons_);
    }
  }

  // A line longer than a phrase carries is sung as two, cut at the word boundary nearest its
  // middle syllable (each part again if still too long).
  std::vector<LyricLine> split_long_line(LyricLine line) const {
    if (line.syllable_count() <= kLongestGivenLine || line.words.size() < 2) return {line};
    const std::size_t half = line.syllable_count() / 2;
    auto distance = [half](std::size_t n) { return n > half ? n - half : half - n; };
    std::size_t at = 1, before = line.words[0].syllables.size(), best = before;
    for (std::size_t w = 1; w < line.words.size(); ++w) {
      if (distance(before) < distance(best)) {
        best = before;
        at = w;
      }
      before += line.words[w].syllables.size();
    }
    LyricLine first, second;
    first.sentence = second.sentence = line.sentence;
    first.words.assign(line.words.begin(), line.words.begin() + std::ptrdiff_t(at));
    second.words.assign(line.words.begin() + std::ptrdiff_t(at), line.words.end());
    second.rhyme = line.rhyme;
    if (doc_.language == Language::en) {
      pronouncer_->pronounce(first.words.back().text, &first.rhyme);
    } else {
      first.rhyme = std::string(pinyin_rhyme_group(first.words.back().syllables.back().pinyin));
    }
    std::vector<LyricLine> out = split_long_line(std::move(first));
    for (LyricLine& l : split_long_line(std::move(second))) out.push_back(std::move(l));
    return out;
  }

  // The cue whose span holds the sentence's caption (plan: one caption per sentence, in order).
  std::size_t cue_of(std::size_t sentence) const {
    if (cues_.captions.size() != doc_.sentences.size() || cues_.cues.empty()) return 0;
    const double t = cues_.captions[sentence].start_s;
    for (std::size_t c = cues_.cues.size(); c-- > 0;)
      if (t >= cues_.cues[c].start_s) return c;
    return 0;
  }

  // A sentence into clauses of tokens (punctuation and digits end a clause). English words are
  // read with CMUdict, runs of Han characters as jieba words with their pinyin, whichever the
  // text's language: a Chinese line keeps its English words ("月亮 shining 在湖上") and an
  // English one its Chinese.
  void split_sentence(std::size_t s) {
    const std::string& text = doc_.sentences[s].text;
    const bool english = doc_.language == Language::en;
    Clause clause{s, cue_of(s), {}};
    auto flush = [&] {
      if (!clause.tokens.empty()) clauses_.push_back(clause);
      clause.tokens.clear();
    };
    std::string word, han;
    bool sentence_start = true;
    auto end_word = [&] {
      while (!word.empty() && word.back() == '\'') word.pop_back();
      while (!word.empty() && word.front() == '\'') word.erase(0, 1);
      if (!word.empty()) {
        Token t;
        t.word = pronouncer_->pronounce(word, &t.rhyme);
        t.key = lower_ascii(word);
        t.content = !is_function_word(t.key);
        t.name = names_.contains(t.key) ||
                 (english && !sentence_start && std::isupper(static_cast<unsigned char>(word[0])) &&
                  t.content && word != "I");
        if (t.name) capitalised_.insert(t.key);
        clause.tokens.push_back(std::move(t));
        sentence_start = false;
      }
      word.clear();
    };
    auto end_han = [&] {
      if (han.empty()) return;
      const SentenceReading reading = reader_->read(han, Language::zh);
      for (const ReadingRun& r : reading.runs)
        for (const ReadingWord& w : r.words) add_chinese_word(clause, w);
      han.clear();
      sentence_start = false;
    };
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t at = i;
      const char32_t c = next_code_point(text, i);
      const bool letter = c < 0x80 && std::isalpha(static_cast<int>(c));
      if (is_han(c) && reader_) {
        end_word();
        han.append(text, at, i - at);
      } else if ((letter || (c == '-' && !word.empty())) && pronouncer_) {
        end_han();
        word += static_cast<char>(c);
      } else if (c == '\'' || c == 0x2019) {
        if (!word.empty()) word += '\'';  // inside a word; a quote mark alone is passed over
      } else if (c == ' ' && (english || !word.empty())) {
        end_word();  // a space between words (in Chinese text, after an English word)
      } else if (c == ' ' && i < text.size() && static_cast<unsigned char>(text[i]) < 0x80 &&
                 std::isalpha(static_cast<unsigned char>(text[i]))) {
        end_han();  // Chinese text: a space before an English word
      } else {
        end_word();  // punctuation, digits (not sung as digits), dashes, quotes, other scripts,
        end_han();   // a space between Chinese words: the clause ends
        flush();
      }
    }
    end_word();
    end_han();
    flush();
  }

  void add_chinese_word(Clause& clause, const ReadingWord& w) {
    std::vector<std::string> syllables;
    std::string cur;
    for (char ch : w.spoken) {
      cur += ch;
      if (ch >= '1' && ch <= '5') {
        syllables.push_back(cur);
        cur.clear();
      }
    }
    std::vector<std::string> chars;
    for (std::size_t i = 0; i < w.text.size();) {
      const std::size_t at = i;
      next_code_point(w.text, i);
      chars.push_back(w.text.substr(at, i - at));
    }
    if (chars.empty() || syllables.size() != chars.size()) return;
    Token t;
    t.word.text = w.text;
    for (std::size_t k = 0; k < chars.size(); ++k)
      t.word.syllables.push_back({chars[k], false, syllables[k]});
    t.key = w.text;
    t.rhyme = std::string(pinyin_rhyme_group(syllables.back()));
    static const std::set<std::string, std::less<>> kFunction = {
        "的", "了", "着", "地", "得",   "和",   "在", "是", "就", "也", "都", "又",
        "把", "被", "吗", "呢", "吧",   "啊",   "去", "来", "上", "下", "里", "会",
        "给", "这", "那", "个", "很",   "从",   "向", "对", "跟", "与", "而", "但",
        "却", "才", "还", "再", "这是", "那是", "最", "更", "们"};
    t.content = !kFunction.contains(t.key);
    t.name = names_.contains(t.key);
    clause.tokens.push_back(std::move(t));
  }

  // How often each content word (and name) recurs across the story.
  void count_recurrence() {
    for (const Clause& c : clauses_)
      for (const Token& t : c.tokens)
        if (t.content) ++recurrence_[t.key];
  }

  double token_weight(const Token& t) const {
    if (!t.content) return 0;
    const auto r = recurrence_.find(t.key);
    const double recurs = r == recurrence_.end() ? 0 : std::log2(double(r->second));
    return 1.0 + recurs + (t.name ? 2.0 : 0.0);
  }

  // Every window of the clause within the syllable bounds that does not end on a function word;
  // scored by the weight of its words per syllable^0.5, whole clauses and clause starts preferred.
  std::vector<Window> windows(std::size_t ci) const {
    const Clause& c = clauses_[ci];
    std::vector<Window> out;
    for (std::size_t a = 0; a < c.tokens.size(); ++a) {
      std::size_t syl = 0;
      double weight = 0;
      bool has_word = false;  // a content word that is not a name: a line is more than a name
      for (std::size_t b = a; b < c.tokens.size(); ++b) {
        syl += c.tokens[b].word.syllables.size();
        weight += token_weight(c.tokens[b]);
        if (syl > options_.max_syllables) break;
        // English: a content word written in lower case ("Little Red-Cap" is a name however
        // it is cut).
        if (!c.tokens[b].name && c.tokens[b].content &&
            (doc_.language != Language::en ||
             !std::isupper(static_cast<unsigned char>(c.tokens[b].word.text[0]))))
          has_word = true;
        if (syl < options_.min_syllables || !c.tokens[b].content || !has_word) continue;
        if (b + 1 < c.tokens.size() && needs_what_follows(c.tokens[b].key)) continue;
        if (b + 1 < c.tokens.size() && binds_backward(c.tokens[b + 1].key)) continue;
        double score = weight / std::sqrt(double(syl));
        if (a == 0) score += 0.5;
        if (a == 0 && b + 1 == c.tokens.size()) score += 1.0;
        if (c.tokens[a].key == "and" || c.tokens[a].key == "but" || c.tokens[a].key == "then" ||
            c.tokens[a].key == "so")
          score -= 0.75;
        // A line cut inside its clause starts and ends at a phrase boundary: after a function
        // word that does not bind forward ("the", "her", "every" would be dropped) and before a
        // function word ("Wren walked | with her goat"), never between two content words ("she
        // lit the old | brass lantern", "the old | shepherd") nor before an object pronoun
        // ("hung | it by the ford").
        if (a > 0 && (c.tokens[a - 1].content || binds_forward(c.tokens[a - 1].key))) continue;
        if (b + 1 < c.tokens.size() &&
            (c.tokens[b + 1].content || is_object_pronoun(c.tokens[b + 1].key)))
          continue;
        out.push_back({ci, a, b + 1, score});
      }
    }
    return out;
  }

  const std::string& end_rhyme(const Window& w) const {
    return clauses_[w.clause].tokens[w.to - 1].rhyme;
  }
  const std::string& end_key(const Window& w) const {
    return clauses_[w.clause].tokens[w.to - 1].key;
  }

  // What a rhyme is worth beside a line's own score (a window's score is its words' weight per
  // syllable, about 1 to 6): more than any line's, so that a verse or chorus gives up a
  // stronger line for a rhyme. A perfect rhyme of different words, then the same vowel (slant);
  // 0 otherwise.
  double rhyme_bonus(const Window& a, const Window& b) const {
    if (same_word(end_key(a), end_key(b))) return 0;
    if (end_rhyme(a) == end_rhyme(b)) return 10.0;
    if (rhyme_vowel(end_rhyme(a)) == rhyme_vowel(end_rhyme(b))) return 7.0;
    return 0;
  }

  LyricLine make_line(const Window& w) const {
    LyricLine line;
    const Clause& c = clauses_[w.clause];
    for (std::size_t k = w.from; k < w.to; ++k) line.words.push_back(c.tokens[k].word);
    line.rhyme = end_rhyme(w);
    line.sentence = c.sentence;
    return line;
  }

  Window best_window(std::size_t ci) const {
    Window best{ci, 0, 0, -1e9};
    double top = -1e18;
    for (const Window& w : windows(ci))
      if (fit(w) > top) {
        top = fit(w);
        best = w;
      }
    return best;
  }

  // How well a clause's sentence carries its cue's mood: the product of their valences (a dark
  // line in a dark scene, a bright one in a bright scene), 0 without sentence emotions. Weighed
  // like about one recurring word, so the story's own salient lines still win.
  double mood_fit(std::size_t ci) const {
    const Clause& c = clauses_[ci];
    if (c.sentence >= options_.sentence_emotions.size() || c.cue >= cues_.cues.size()) return 0;
    constexpr double kMoodWeight = 3.0;
    return kMoodWeight * cues_.cues[c.cue].target.valence *
           options_.sentence_emotions[c.sentence].valence;
  }

  // The cue holding the plan's climax hit point, if it marked one.
  std::optional<std::size_t> climax_cue() const {
    for (const HitPoint& hit : cues_.hits) {
      if (hit.kind != "climax") continue;
      for (std::size_t c = 0; c < cues_.cues.size(); ++c)
        if (hit.time_s >= cues_.cues[c].start_s && hit.time_s < cues_.cues[c].end_s) return c;
    }
    return std::nullopt;
  }

  LyricSection write_verse(std::size_t cue) {
    LyricSection verse{"verse", "", cue, {}};
    std::vector<std::size_t> usable;
    for (std::size_t ci = 0; ci < clauses_.size(); ++ci)
      if (clauses_[ci].cue == cue && !windows(ci).empty()) usable.push_back(ci);
    if (usable.empty()) return verse;
    std::vector<Window> lines = options_.verse_lines == 4 && usable.size() >= 4
                                    ? rhymed_quatrain(usable)
                                    : strongest_lines(usable);
    for (const Window& w : lines) {
      verse.lines.push_back(make_line(w));
      in_verses_.insert(w.clause);
      sung_texts_.insert(text_of(w));
    }
    return verse;
  }

  // A line's worth in a verse: its own score, its mood, less a repeat of a line already sung
  // in a verse before (a verse tells its own part of the story).
  double fit(const Window& w) const {
    return w.score + mood_fit(w.clause) - (sung_texts_.contains(text_of(w)) ? 4.0 : 0.0);
  }

  // The clauses that carry the most (their best windows), kept in story order.
  std::vector<Window> strongest_lines(std::vector<std::size_t> ranked) const {
    std::stable_sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) {
      return fit(best_window(a)) > fit(best_window(b));
    });
    ranked.resize(std::min(ranked.size(), options_.verse_lines));
    std::sort(ranked.begin(), ranked.end());
    std::vector<Window> lines;
    for (std::size_t ci : ranked) lines.push_back(best_window(ci));
    return lines;
  }

  // Four lines from four of the cue's clauses in story order, lines 2 and 4 rhyming: the
  // best-scoring set with the rhyme weighed above any line's own score (a songwriter gives up a
  // stronger line for the rhyme), so a verse goes unrhymed only where no two of its clauses can
  // end on rhyming words.
  std::vector<Window> rhymed_quatrain(const std::vector<std::size_t>& usable) const {
    const std::size_t n = usable.size();
    // Per clause, the best window ending on each word (the rhyme candidates), each with its
    // fit computed once (fit() builds the line's text).
    struct Candidate {
      Window window;
      double fit = 0;
    };
    std::vector<Window> best(n);
    std::vector<double> best_fit(n);
    std::vector<std::vector<Candidate>> endings(n);
    for (std::size_t i = 0; i < n; ++i) {
      best[i] = best_window(usable[i]);
      best_fit[i] = fit(best[i]);
      std::map<std::size_t, Candidate> by_end;
      for (const Window& w : windows(usable[i])) {
        const Candidate c{w, fit(w)};
        auto [it, fresh] = by_end.try_emplace(w.to, c);
        if (!fresh && c.fit > it->second.fit) it->second = c;
      }
      for (const auto& [to, c] : by_end) endings[i].push_back(c);
    }
    // between[i][j]: the best single line from the clauses strictly between positions i and j.
    std::vector<std::vector<std::optional<std::size_t>>> between(
        n, std::vector<std::optional<std::size_t>>(n));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 2; j < n; ++j) {
        const auto& prev = between[i][j - 1];
        between[i][j] = prev && best_fit[*prev] >= best_fit[j - 1] ? prev : j - 1;
      }
    std::vector<Window> lines;
    double top = -1e18;
    for (std::size_t b = 1; b + 2 < n; ++b) {  // line 2's clause position
      std::size_t first = 0;                   // the best line before b
      for (std::size_t k = 1; k < b; ++k)
        if (best_fit[k] > best_fit[first]) first = k;
      for (std::size_t d = b + 2; d < n; ++d) {  // line 4's clause position
        const std::size_t third = *between[b][d];
        const double frame = best_fit[first] + best_fit[third];
        for (const auto& [w2, fit2] : endings[b])
          for (const auto& [w4, fit4] : endings[d]) {
            const double s = frame + fit2 + fit4 + rhyme_bonus(w2, w4);
            if (s > top + 1e-9 && !repeats_a_line({best[first], w2, best[third], w4})) {
              top = s;
              lines = {best[first], w2, best[third], w4};
            }
          }
      }
    }
    return lines.empty() ? strongest_lines(usable) : lines;
  }

  // The words of a candidate line, lower case: what makes two lines the same line.
  std::string text_of(const Window& w) const {
    std::string text;
    for (std::size_t k = w.from; k < w.to; ++k) text += clauses_[w.clause].tokens[k].key + " ";
    return text;
  }

  // Whether two of these lines say the same words ("Little Red-Cap" from two greetings).
  bool repeats_a_line(const std::vector<Window>& lines) const {
    std::set<std::string> seen;
    for (const Window& w : lines)
      if (!seen.insert(text_of(w)).second) return true;
    return false;
  }

  // Hook: the best window holding the story's most recurring content word; then two lines from
  // other clauses holding recurring words, chosen together for their rhyme: hook, A, hook, B.
  LyricSection write_chorus() const {
    LyricSection chorus{"chorus", "Chorus", 0, {}};
    // The central image: the title's most recurring word ("The Lantern at the Ford"); else the
    // story's most recurring content word that is not a name (a name when no other word recurs);
    // ties go to the first in alphabetical order.
    std::string central;
    const std::string title =
        doc_.language == Language::en ? " " + lower_ascii(doc_.title) + " " : doc_.title;
    std::size_t in_title = 1;
    for (const auto& [word, n] : recurrence_) {
      const bool named = doc_.language == Language::en
                             ? title.find(" " + word + " ") != std::string::npos ||
                                   title.find(" " + word + "'") != std::string::npos
                             : word.size() >= 6 && title.find(word) != std::string::npos;
      if (named && n > in_title) {
        central = word;
        in_title = n;
      }
    }
    for (const bool names_too : {false, true}) {
      if (!central.empty()) break;
      std::size_t top = 1;  // a word must recur to be the central image
      for (const auto& [word, n] : recurrence_)
        if (n > top && (names_too || (!names_.contains(word) && !capitalised_.contains(word)))) {
          central = word;
          top = n;
        }
      if (!central.empty()) break;
    }
    if (central.empty()) return chorus;
    Window hook{0, 0, 0, -1e9};
    std::vector<Window> others;
    for (std::size_t ci = 0; ci < clauses_.size(); ++ci) {
      // The chorus says what the verses do not, where the story allows.
      const double sung = in_verses_.contains(ci) ? 3.0 : 0.0;
      for (Window w : windows(ci)) {
        w.score -= sung;
        bool has_central = false;
        for (std::size_t k = w.from; k < w.to; ++k)
          has_central = has_central || clauses_[ci].tokens[k].key == central;
        if (has_central && w.score > hook.score) hook = w;
        others.push_back(w);
      }
    }
    if (hook.score < -1e8) return chorus;
    std::erase_if(others, [&](const Window& w) { return w.clause == hook.clause; });
    std::sort(others.begin(), others.end(),
              [](const Window& a, const Window& b) { return a.score > b.score; });
    if (others.size() > 60) others.resize(60);  // the strongest lines only
    chorus.cue = clauses_[hook.clause].cue;
    chorus.lines.push_back(make_line(hook));
    if (others.size() >= 2) {
      std::size_t best_a = 0, best_b = 1;
      double best = -1e9;
      for (std::size_t a = 0; a < others.size(); ++a)
        for (std::size_t b = 0; b < others.size(); ++b) {
          if (others[a].clause == others[b].clause) continue;
          const double s = others[a].score + others[b].score + rhyme_bonus(others[a], others[b]);
          if (s > best + 1e-9) {
            best = s;
            best_a = a;
            best_b = b;
          }
        }
      // Sung in story order.
      if (others[best_b].clause < others[best_a].clause) std::swap(best_a, best_b);
      chorus.lines.push_back(make_line(others[best_a]));
      chorus.lines.push_back(make_line(hook));
      chorus.lines.push_back(make_line(others[best_b]));
    }
    return chorus;
  }

  const Document& doc_;
  const CueSheet& cues_;
  std::shared_ptr<const Lexicons> lexicons_;
  LyricsOptions options_;
  std::set<std::string, std::less<>> names_;
  std::shared_ptr<const Pronouncer> pronouncer_;
  std::shared_ptr<const NarrationReader> reader_;
  std::vector<Clause> clauses_;
  std::set<std::size_t> in_verses_;                 // clauses the verses sing
  std::set<std::string, std::less<>> sung_texts_;   // their lines' words (text_of)
  std::set<std::string, std::less<>> capitalised_;  // words written as names mid-sentence
  std::map<std::string, std::size_t, std::less<>> recurrence_;
};

}  // namespace

SongLyrics write_lyrics(const Document& document, const CueSheet& cues,
                        std::shared_ptr<const Lexicons> lexicons, const LyricsOptions& options) {
  return LineWriter(document, cues, std::move(lexicons), options).write();
}

namespace {

// "00:12.34" (in "[00:12.34]" or "<00:12.34>"): an LRC time (minutes, seconds, a fraction).
bool is_time_tag(std::string_view tag) {
  const std::size_t colon = tag.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == tag.size()) return false;
  for (std::size_t i = 0; i < tag.size(); ++i)
    if (i != colon && !std::isdigit(static_cast<unsigned char>(tag[i])) && tag[i] != '.')
      return false;
  return true;
}

// The line without its LRC time tags ("[mm:ss.xx]" line times, "<mm:ss.xx>" word times), trimmed.
std::string without_time_tags(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size();) {
    const char open = line[i];
    if (open == '[' || open == '<') {
      const std::size_t close = line.find(open == '[' ? ']' : '>', i);
      if (close != std::string_view::npos && is_time_tag(line.substr(i + 1, close - i - 1))) {
        i = close + 1;
        continue;
      }
    }
    out += line[i++];
  }
  const std::size_t a = out.find_first_not_of(" \t");
  if (a == std::string::npos) return {};
  return out.substr(a, out.find_last_not_of(" \t") - a + 1);
}

// "[ti:Title]", "[ar:Artist]", "[offset:+120]": LRC metadata; `key` and `value` receive it.
bool is_lrc_metadata(std::string_view line, std::string_view& key, std::string_view& value) {
  if (line.size() < 4 || line.front() != '[' || line.back() != ']') return false;
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon < 2 || colon > 10) return false;
  key = line.substr(1, colon - 1);
  value = line.substr(colon + 1, line.size() - colon - 2);
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

// "[Chorus]", "[Verse 2]", "Chorus:", "副歌：": the heading's name, else empty.
std::string heading_of(const std::string& line) {
  if (line.size() > 2 && line.front() == '[' && line.back() == ']')
    return line.substr(1, line.size() - 2);
  const bool short_line = line.size() <= 24 && std::count(line.begin(), line.end(), ' ') <= 1;
  if (short_line && line.size() > 1 && line.back() == ':') return line.substr(0, line.size() - 1);
  if (short_line && line.size() > 3 && line.ends_with("：")) return line.substr(0, line.size() - 3);
  return {};
}

bool names_a_chorus(std::string_view heading) {
  const std::string lower = lower_ascii(heading);
  return lower.starts_with("chorus") || lower.starts_with("refrain") || heading.starts_with("副歌");
}

bool names_a_bridge(std::string_view heading) {
  return lower_ascii(heading).starts_with("bridge") || heading.starts_with("桥段");
}

}  // namespace

SongLyrics read_given_lyrics(std::string_view text, const std::filesystem::path& source,
                             const std::string& title, const CueSheet& cues,
                             std::shared_ptr<const Lexicons> lexicons,
                             const LyricsOptions& options) {
  Document doc;
  doc.source = source.string();
  doc.title = title;
  std::vector<GivenStanza> stanzas;
  bool open = false;  // the last stanza takes the next line
  std::size_t han = 0, latin = 0;
  auto begin_stanza = [&](std::string name) {
    if (open && stanzas.back().line_count == 0) {  // a heading over a heading: the last wins
      stanzas.back().name = std::move(name);
      return;
    }
    GivenStanza g;
    g.name = std::move(name);
    g.first_line = doc.sentences.size();
    stanzas.push_back(std::move(g));
    open = true;
  };
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    std::string_view key, value;
    if (is_lrc_metadata(raw, key, value) && !is_time_tag(raw.substr(1, raw.size() - 2))) {
      if (key == "ti" && !value.empty()) doc.title = std::string(value);
      continue;
    }
    const std::string line = without_time_tags(raw);
    if (line.empty()) {
      if (open && stanzas.back().line_count > 0) open = false;  // a blank line ends a stanza
      continue;
    }
    if (const std::string heading = heading_of(line); !heading.empty()) {
      begin_stanza(heading);
      stanzas.back().chorus = names_a_chorus(heading);
      stanzas.back().bridge = names_a_bridge(heading);
      stanzas.back().named_kind = true;
      continue;
    }
    if (!open) begin_stanza("");
    for (std::size_t i = 0; i < line.size();) {
      const char32_t c = next_code_point(line, i);
      if (is_han(c)) ++han;
      if (c < 0x80 && std::isalpha(static_cast<int>(c))) ++latin;
    }
    Sentence sentence;
    sentence.text = line;
    doc.sentences.push_back(std::move(sentence));
    ++stanzas.back().line_count;
  }
  std::erase_if(stanzas, [](const GivenStanza& g) { return g.line_count == 0; });
  if (stanzas.empty())
    fail_input(source.string(), "has no lines to sing",
               "give the lyrics as lines of words (plain text, one sung line a line, a blank line "
               "between stanzas; or LRC)");
  doc.language = han * 3 >= latin ? Language::zh : Language::en;
  // A stanza sung again word for word is the chorus (unless a heading said otherwise).
  std::map<std::string, std::size_t> first_seen;
  for (std::size_t k = 0; k < stanzas.size(); ++k) {
    std::string joined;
    for (std::size_t s = stanzas[k].first_line; s < stanzas[k].first_line + stanzas[k].line_count;
         ++s)
      joined += doc.sentences[s].text + "\n";
    const auto [it, fresh] = first_seen.emplace(joined, k);
    if (fresh) continue;
    for (GivenStanza* g : {&stanzas[k], &stanzas[it->second]})
      if (!g->named_kind) g->chorus = true;
  }
  std::size_t verse_count = 0;
  for (const GivenStanza& g : stanzas) verse_count += g.chorus ? 0 : 1;
  for (GivenStanza& g : stanzas) g.verse_count = std::max<std::size_t>(1, verse_count);
  return LineWriter(doc, cues, std::move(lexicons), options).write_given(stanzas);
}

RhymeStats rhyme_stats(const SongLyrics& lyrics) {
  RhymeStats stats;
  std::set<std::string> choruses_seen;
  for (const LyricSection& s : lyrics.sections) {
    if (s.lines.size() < 4) continue;
    if (s.kind == "chorus" && !choruses_seen.insert(s.name).second) continue;  // count it once
    const LyricLine& a = s.lines[1];
    const LyricLine& b = s.lines[3];
    ++stats.pairs;
    const bool identity =
        !a.words.empty() && !b.words.empty() &&
        same_word(lower_ascii(a.words.back().text), lower_ascii(b.words.back().text));
    if (a.rhyme == b.rhyme && !identity)
      ++stats.perfect;
    else if (!identity && rhyme_vowel(a.rhyme) == rhyme_vowel(b.rhyme))
      ++stats.slant;
  }
  return stats;
}

double dictionary_coverage(const SongLyrics& lyrics) {
  std::size_t all = 0, known = 0;
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines)
      for (const LyricWord& w : l.words) {
        all += w.syllables.size();
        if (w.in_dictionary) known += w.syllables.size();
      }
  return all ? double(known) / double(all) : 1.0;
}

}  // namespace tonepoem
