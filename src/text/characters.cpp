#include "text/characters.h"

#include <algorithm>

#include <cppjieba/MixSegment.hpp>

#include "text/lexicons.h"
#include "text/unicode.h"

namespace tonepoem::text {
namespace {

template <std::size_t N>
bool in(const std::string_view (&table)[N], std::string_view w) {
  return std::find(std::begin(table), std::end(table), w) != std::end(table);
}

// ---- English tables -----------------------------------------------------------------------------

// Capitalised for other reasons: function words, sentence openers, greetings, licence boilerplate.
// They end a run of capitalised words and are never part of a name.
constexpr std::string_view kStop[] = {
    "The",       "A",          "An",       "And",        "But",       "Or",       "So",
    "Then",      "When",       "While",    "What",       "Who",       "Why",      "How",
    "Where",     "Oh",         "Ah",       "Yes",        "No",        "Not",      "If",
    "It",        "He",         "She",      "They",       "We",        "You",      "His",
    "Her",       "Their",      "Our",      "Your",       "My",        "This",     "That",
    "These",     "Those",      "There",    "Here",       "Now",       "One",      "All",
    "At",        "In",         "On",       "Of",         "To",        "For",      "With",
    "As",        "By",         "From",     "After",      "Before",    "Once",     "Upon",
    "Chapter",   "Well",       "Come",     "Let",        "Do",        "Don't",    "Is",
    "Are",       "Was",        "Will",     "Can",        "Good",      "Goodbye",  "Hello",
    "Please",    "Thank",      "Thanks",   "Underneath", "Meanwhile", "Perhaps",  "Project",
    "Gutenberg", "Foundation", "Literary", "Archive",    "License",   "Internet", "United",
    "States",    "Ebook",      "EBook",    "Copyright",  "Section",   "Contents", "I",
    "Me",        "Him",        "Them",     "Us",         "Some",      "Every",    "Each",
    "Into",      "Out",        "Up",       "Down",       "Off",       "Over",     "Just",
    "Only",      "Even",       "Still",    "Yet",        "Soon",      "Again",    "Very",
    "Whereupon", "Presently",  "Suddenly", "Instead",    "Indeed"};

// Never a character, and a run holding one is dropped whole ("Christmas Tree", "Your Royal
// Highness", "Imperial Majesty"): honorifics, holidays, days, months, God and Heaven as
// exclamations, nationalities and adjectives of state, archaic pronouns and interjections.
constexpr std::string_view kNotNames[] = {
    // honorifics and adjectives of state
    "Majesty", "Majesties", "Highness", "Highnesses", "Excellency", "Lordship", "Ladyship",
    "Imperial", "Royal", "Serene", "Honour", "Honor", "Worship", "Reverence",
    // holidays and seasons
    "Christmas", "Xmas", "Easter", "Whitsuntide", "Whitsun", "Advent", "Lent", "Yule", "Michaelmas",
    "Candlemas", "Sabbath", "Halloween", "Midsummer", "Eve",
    // days and months
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
    "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
    // God and Heaven
    "God", "Gods", "Heaven", "Heavens", "Jesus", "Christ", "Providence", "Lord's", "Paradise",
    "Hell", "Amen",
    // nationalities and languages
    "English", "French", "German", "Germans", "Dutch", "Spanish", "Italian", "Russian", "Chinese",
    "Japanese", "Danish", "Swedish", "Norwegian", "Irish", "Scottish", "Scots", "Welsh", "British",
    "American", "European", "Turkish", "Greek", "Roman", "Jewish", "Arabian", "Persian", "Indian",
    "Egyptian", "Latin", "Moorish",
    // archaic pronouns and interjections (verse and dialogue start lines with them)
    "Thou", "Thee", "Thy", "Thine", "Ye", "Lo", "Hark", "Nay", "Aye", "Yea", "Pray", "Behold",
    "Hurrah", "Hush", "Bless", "Alas", "O", "Ha", "Ho", "Hi", "Hey", "Fie", "Ay"};

// Stripped from the front of a name: titles ("King Thrushbeard", "Mother Holle") and epithets
// ("Little Red-Cap"). Alone they are roles, not names.
constexpr std::string_view kTitles[] = {
    "King",    "Queen",       "Prince",      "Princess", "Lord",    "Lady",      "Sir",
    "Dame",    "Mr",          "Mrs",         "Ms",       "Miss",    "Master",    "Mistress",
    "Dr",      "Doctor",      "Saint",       "St",       "Count",   "Countess",  "Duke",
    "Duchess", "Baron",       "Captain",     "Father",   "Mother",  "Brother",   "Sister",
    "Uncle",   "Aunt",        "Granny",      "Madam",    "Madame",  "Monsieur",  "Emperor",
    "Empress", "Grandmother", "Grandfather", "Little",   "Old",     "Young",     "Poor",
    "Dear",    "Great",       "Big",         "Wicked",   "Fair",    "Sweet",     "Clever",
    "Lazy",    "Faithful",    "Brave",       "Wise",     "General", "Professor", "Colonel"};

// Words after which a capitalised word is mostly a place ("in London", "from Paris").
constexpr std::string_view kPlacePrepositions[] = {
    "in", "at", "from", "into", "near", "through", "across", "toward", "towards", "within"};

// Determiners of a defined noun phrase that names someone already met.
constexpr std::string_view kDeterminers[] = {"the", "her",  "his", "their",
                                             "my",  "your", "our", "thy"};

// Adjectives allowed between the determiner and the noun ("the wicked old woman").
constexpr std::string_view kAdjectives[] = {
    "little",     "old",      "young",   "poor",     "wicked",   "good",     "beautiful", "pretty",
    "dear",       "fair",     "wise",    "clever",   "cruel",    "proud",    "faithful",  "kind",
    "true",       "false",    "eldest",  "youngest", "elder",    "younger",  "second",    "third",
    "two",        "three",    "four",    "five",     "six",      "seven",    "twelve",    "first",
    "great",      "big",      "small",   "tiny",     "grey",     "gray",     "black",     "white",
    "red",        "green",    "golden",  "ugly",     "bad",      "evil",     "jealous",   "royal",
    "sly",        "lovely",   "fine",    "brave",    "sweet",    "cunning",  "silly",     "foolish",
    "lazy",       "naughty",  "hungry",  "sick",     "dead",     "happy",    "unhappy",   "sad",
    "honest",     "greedy",   "envious", "rich",     "wretched", "handsome", "noble",     "humble",
    "gentle",     "tall",     "stout",   "fat",      "thin",     "grim",     "own",       "real",
    "wild",       "mighty",   "strong",  "stupid",   "strange",  "only",     "worthy",    "aged",
    "frightened", "innocent", "godless"};

// Adjectives that pick one of several ("the first little child") rather than describe: left out of
// the name shown.
constexpr std::string_view kCountingWords[] = {"first", "second", "third", "two",   "three",
                                               "four",  "five",   "six",   "seven", "twelve",
                                               "only",  "own",    "real",  "true",  "false"};

// Person and animal nouns: the heads of role phrases ("the little girl", "the wolf").
constexpr std::string_view kRoleNouns[] = {
    "girl",       "boy",         "child",      "children",   "maiden",      "maid",
    "lad",        "lass",        "man",        "woman",      "grandmother", "grandfather",
    "granny",     "mother",      "father",     "stepmother", "stepfather",  "stepdaughter",
    "stepsister", "stepsisters", "sister",     "sisters",    "brother",     "brothers",
    "son",        "sons",        "daughter",   "daughters",  "wife",        "husband",
    "bride",      "bridegroom",  "king",       "queen",      "prince",      "princess",
    "emperor",    "empress",     "knight",     "soldier",    "soldiers",    "huntsman",
    "hunter",     "woodcutter",  "woodman",    "miller",     "tailor",      "shoemaker",
    "fisherman",  "farmer",      "peasant",    "shepherd",   "gardener",    "cook",
    "servant",    "servants",    "dwarf",      "dwarfs",     "dwarves",     "giant",
    "witch",      "wizard",      "fairy",      "fairies",    "robber",      "robbers",
    "thief",      "thieves",     "merchant",   "beggar",     "nurse",       "stranger",
    "traveller",  "youth",       "widow",      "orphan",     "baby",        "devil",
    "mermaid",    "ogre",        "troll",      "elf",        "elves",       "ghost",
    "wolf",       "fox",         "frog",       "bear",       "cat",         "dog",
    "horse",      "goose",       "bird",       "raven",      "ravens",      "dove",
    "doves",      "duck",        "hen",        "cock",       "donkey",      "ass",
    "lion",       "mouse",       "rat",        "pig",        "goat",        "hare",
    "owl",        "eagle",       "swan",       "swans",      "toad",        "snake",
    "serpent",    "dragon",      "lord",       "lady",       "master",      "mistress",
    "landlord",   "innkeeper",   "smith",      "captain",    "general",     "doctor",
    "priest",     "monk",        "nun",        "hermit",     "pedlar",      "musician",
    "companion",  "comrade",     "apprentice", "godmother",  "godfather",   "fiddler"};

// ---- Chinese tables -----------------------------------------------------------------------------

constexpr std::string_view kSurnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
    "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹",
    "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵",
    "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤", "鲁", "闰", "赵", "柳", "祝",
    "单", "鲍", "华", "温", "葛", "庞", "樊", "兰", "殷", "施", "牛", "洪", "齐", "乔", "常"};
constexpr std::string_view kCompoundSurnames[] = {"欧阳", "司马", "诸葛", "上官", "东方",
                                                  "皇甫", "慕容", "令狐", "公孙", "夏侯",
                                                  "尉迟", "长孙", "宇文", "司徒", "端木"};
// Prefixes of familiar names: 阿Q, 小红, 老王.
constexpr std::string_view kNicknamePrefixes[] = {"阿", "小", "老"};
// Endings of names by kinship or address (祥林嫂, 柳妈, 七斤嫂), for names without a table surname.
constexpr std::string_view kKinshipSuffixes[] = {"嫂", "婶", "妈", "伯", "叔", "姑", "公"};
// Place words end in a locative (林子里 "in the woods", 山上, 河边): a dictionary word and one of
// these is no name, though its first character is a surname and jieba's dictionary tags some of
// them (林子里, 林子) as names. (中 and 下 end too many given names: 建中.)
constexpr std::string_view kLocatives[] = {"里", "上", "外", "边", "内", "旁"};
// Dictionary tags of a name, or of a word the dictionary does not know.
constexpr std::string_view kNameTags[] = {"nr", "nrfg", "nrt", "x"};

constexpr std::string_view kChineseRoles[] = {
    "老太太", "老太婆", "老婆婆", "老奶奶", "老头", "老头子", "老头儿", "老爷爷", "老人",
    "老人家", "老妇人", "老汉",   "孩子",   "小孩", "女孩",   "小女孩", "男孩",   "小男孩",
    "姑娘",   "小姑娘", "母亲",   "父亲",   "妈妈", "爸爸",   "继母",   "后母",   "祖母",
    "祖父",   "奶奶",   "爷爷",   "外婆",   "外公", "国王",   "王后",   "王子",   "公主",
    "皇帝",   "皇后",   "女王",   "士兵",   "猎人", "巫婆",   "女巫",   "魔鬼",   "狼",
    "狐狸",   "青蛙",   "哥哥",   "姐姐",   "弟弟", "妹妹",   "丈夫",   "妻子",   "女儿",
    "儿子",   "新娘",   "新郎",   "仆人",   "主人", "老爷",   "少爷",   "小姐",   "和尚",
    "尼姑",   "掌柜",   "伙计",   "渔夫",   "农夫", "樵夫",   "裁缝",   "强盗",   "小偷",
    "巨人",   "矮人",   "小矮人", "仙女",   "老师", "继女",   "猎户",   "磨坊主"};

// ---- English tokens -----------------------------------------------------------------------------

struct Token {
  std::string text;          // as written, hyphenated parts joined ("Red-Cap"), possessive stripped
  std::string lower;         // ASCII lower case of `text`
  bool possessive = false;   // written with 's
  bool contraction = false;  // another apostrophe ("I'll"): no name, no noun
  std::size_t begin = 0, end = 0;  // bytes in the sentence (end: after any possessive)
};

// Locates `words` in `sentence` in order and joins tokens written with a hyphen between them and
// nothing else ("Red-Cap", "mother-in-law"): ICU splits them, but a name keeps its hyphen.
std::vector<Token> locate(std::string_view sentence, std::vector<std::string>& words) {
  std::vector<Token> out;
  out.reserve(words.size());
  std::size_t cursor = 0;
  bool joinable = false;  // the last token was found as written
  for (std::string& w : words) {
    const std::size_t at = w.empty() ? std::string_view::npos : sentence.find(w, cursor);
    if (at == std::string_view::npos) {  // not found as written: keep it, join nothing
      out.push_back({std::move(w), {}, false, false, cursor, cursor});
      joinable = false;
      continue;
    }
    const std::size_t end = at + w.size();
    if (joinable && !out.empty() && at == out.back().end + 1 && sentence[out.back().end] == '-') {
      out.back().text += '-';
      out.back().text += w;
      out.back().end = end;
    } else {
      out.push_back({std::move(w), {}, false, false, at, end});
    }
    joinable = true;
    cursor = end;
  }
  for (Token& t : out) {
    for (std::string_view suffix : {"'s", "\xE2\x80\x99s"}) {
      if (t.text.size() > suffix.size() + 1 &&
          t.text.compare(t.text.size() - suffix.size(), suffix.size(), suffix) == 0) {
        t.text.resize(t.text.size() - suffix.size());
        t.possessive = true;
        break;
      }
    }
    t.contraction =
        t.text.find('\'') != std::string::npos || t.text.find("\xE2\x80\x99") != std::string::npos;
    t.lower = ascii_lower(t.text);
  }
  return out;
}

bool is_capitalised(std::string_view w) {
  if (w.size() < 2 || w[0] < 'A' || w[0] > 'Z') return false;
  bool lower = false;
  for (std::size_t i = 1; i < w.size(); ++i) {
    const char c = w[i];
    if (c >= 'a' && c <= 'z')
      lower = true;
    else if (!(c >= 'A' && c <= 'Z') && c != '-' && static_cast<unsigned char>(c) < 0x80)
      return false;
  }
  return lower;
}

// Only spaces between two tokens (no comma, quote or dash).
bool adjacent(std::string_view sentence, const Token& a, const Token& b) {
  if (b.begin < a.end) return false;
  for (std::size_t i = a.end; i < b.begin; ++i)
    if (sentence[i] != ' ') return false;
  return true;
}

// The character just before byte `at`, skipping spaces, is a letter or digit: the word there
// follows another word, not the sentence start, a quote or punctuation.
bool after_word(std::string_view sentence, std::size_t at) {
  while (at > 0 && sentence[at - 1] == ' ') --at;
  if (at == 0) return false;
  const auto c = static_cast<unsigned char>(sentence[at - 1]);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The noun of a role phrase: a role noun, or a hyphenated word ending in one ("goose-girl",
// "step-mother"), keyed as written.
bool role_noun(std::string_view lower) {
  if (in(kRoleNouns, lower)) return true;
  const std::size_t dash = lower.rfind('-');
  return dash != std::string_view::npos && in(kRoleNouns, lower.substr(dash + 1));
}

std::vector<std::string> split_words(std::string_view name) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    const std::size_t sp = std::min(name.find(' ', pos), name.size());
    out.emplace_back(name.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

bool contains_run(const std::vector<std::string>& whole, const std::vector<std::string>& part) {
  if (part.size() >= whole.size()) return false;
  return std::search(whole.begin(), whole.end(), part.begin(), part.end()) != whole.end();
}

void merge_into(CharacterFinder::Stats& to, const CharacterFinder::Stats& from) {
  to.mentions += from.mentions;
  to.after_word += from.after_word;
  to.at_place += from.at_place;
  to.first_seen = std::min(to.first_seen, from.first_seen);
  std::vector<std::size_t> all;
  std::merge(to.sentences.begin(), to.sentences.end(), from.sentences.begin(), from.sentences.end(),
             std::back_inserter(all));
  all.erase(std::unique(all.begin(), all.end()), all.end());
  to.sentences = std::move(all);
}

}  // namespace

CharacterFinder::Stats& CharacterFinder::note(std::map<std::string, Stats>& table,
                                              const std::string& key, std::size_t sentence) {
  Stats& st = table[key];
  if (st.mentions == 0) st.first_seen = order_;
  ++order_;
  ++st.mentions;
  if (st.sentences.empty() || st.sentences.back() != sentence) st.sentences.push_back(sentence);
  return st;
}

void CharacterFinder::add(std::size_t index, std::string_view text, Language language,
                          std::vector<std::string> words) {
  if (language == Language::en)
    add_english(index, text, std::move(words));
  else
    add_chinese(index, words);
}

void CharacterFinder::add_english(std::size_t index, std::string_view text,
                                  std::vector<std::string> words) {
  const std::vector<Token> toks = locate(text, words);
  for (const Token& t : toks)
    if (!t.contraction && !t.text.empty() && t.text[0] >= 'a' && t.text[0] <= 'z')
      ++lower_counts_[t.text];

  // Names: runs of capitalised words with only spaces between them, a possessive ending the run.
  for (std::size_t i = 0; i < toks.size();) {
    auto usable = [&](const Token& t) {
      return !t.contraction && is_capitalised(t.text) &&
             !in(kStop, std::string_view(t.text).substr(0, t.text.find('-')));
    };
    if (!usable(toks[i])) {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < toks.size() && !toks[end - 1].possessive && usable(toks[end]) &&
           adjacent(text, toks[end - 1], toks[end]))
      ++end;
    const std::size_t run_begin = i;
    i = end;
    bool dropped = false;
    for (std::size_t k = run_begin; k < end; ++k)
      dropped |= in(kNotNames, toks[k].text) ||
                 in(kNotNames, std::string_view(toks[k].text).substr(0, toks[k].text.find('-')));
    if (dropped) continue;
    std::size_t first = run_begin;
    while (first < end && in(kTitles, toks[first].text)) ++first;
    if (first == end) continue;  // a title or role alone ("King", "Mother")
    // A role noun standing alone, capitalised ("Wolf", "Frog") is counted as a role, not a name.
    if (first == run_begin && end - first == 1 && role_noun(toks[first].lower)) continue;
    std::string name;
    for (std::size_t k = first; k < end; ++k) name += (k > first ? " " : "") + toks[k].text;
    Stats& st = note(names_, name, index);
    if (after_word(text, toks[first].begin)) ++st.after_word;
    if (run_begin > 0 && in(kPlacePrepositions, toks[run_begin - 1].lower)) ++st.at_place;
  }

  // Roles: a determiner, adjectives, then a person or animal noun ("the king's son").
  for (std::size_t i = 0; i + 1 < toks.size(); ++i) {
    if (!in(kDeterminers, toks[i].lower) || toks[i].possessive) continue;
    std::string adjectives;
    for (std::size_t j = i + 1; j < toks.size() && j <= i + 3; ++j) {
      const Token& t = toks[j];
      if (t.contraction || !adjacent(text, toks[j - 1], t)) break;
      if (role_noun(t.lower)) {
        std::string key = t.lower;
        if (t.possessive) {
          // "the king's son": a role of its own; "the king's castle": the king.
          if (j + 1 < toks.size() && role_noun(toks[j + 1].lower) && !toks[j + 1].possessive &&
              adjacent(text, t, toks[j + 1]))
            key += "'s " + toks[j + 1].lower;
        } else if (j + 1 < toks.size() && role_noun(toks[j + 1].lower) &&
                   adjacent(text, t, toks[j + 1])) {
          key += " " + toks[j + 1].lower;  // "the robber bridegroom", "the frog prince"
        }
        Stats& st = note(roles_, key, index);
        ++st.forms[adjectives + key];
        i = j;
        break;
      }
      if (t.possessive || !in(kAdjectives, t.lower)) break;
      if (!in(kCountingWords, t.lower)) adjectives += t.lower + " ";
    }
  }
}

void CharacterFinder::add_chinese(std::size_t index, const std::vector<std::string>& words) {
  const auto& seg = *lexicons_.chinese().segmenter;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    // Roles first (老太太 and 王子 are tagged as names): two tokens joined, then one.
    if (i + 1 < words.size() && in(kChineseRoles, w + words[i + 1])) {
      note(roles_, w + words[i + 1], index);
      ++i;
      continue;
    }
    if (in(kChineseRoles, w)) {
      note(roles_, w, index);
      continue;
    }
    if (w.size() > 3 && w.compare(w.size() - 3, 3, "们") == 0 &&
        in(kChineseRoles, std::string_view(w).substr(0, w.size() - 3))) {  // 孩子们
      note(roles_, w.substr(0, w.size() - 3), index);
      continue;
    }
    // 阿Q: the prefix and a Latin letter, one token or two.
    if (w == "阿" && i + 1 < words.size() && !words[i + 1].empty() && words[i + 1].size() <= 2 &&
        words[i + 1][0] >= 'A' && words[i + 1][0] <= 'Z') {
      note(names_, w + words[i + 1], index);
      ++i;
      continue;
    }
    const ScriptCounts sc = count_scripts(w);
    if (w.rfind("阿", 0) == 0 && sc.han == 1 && sc.latin >= 1 && sc.latin <= 2) {
      note(names_, w, index);
      continue;
    }
    if (sc.han != w.size() / 3 || sc.han < 2 || sc.han > 4) continue;  // Han only, 2-4 characters
    const std::string tag = seg.LookupTag(w);
    if (!in(kNameTags, tag)) continue;
    const std::string_view stem = std::string_view(w).substr(0, w.size() - 3);
    if (sc.han >= 3 && in(kLocatives, std::string_view(w).substr(w.size() - 3)) &&
        seg.LookupTag(std::string(stem)) != "x")
      continue;
    const std::string_view first = std::string_view(w).substr(0, 3);
    const bool compound = sc.han >= 3 && in(kCompoundSurnames, std::string_view(w).substr(0, 6));
    const bool surname = (sc.han <= 3 && in(kSurnames, first)) || compound;
    const bool nickname = sc.han == 2 && in(kNicknamePrefixes, first);
    const bool kinship =
        sc.han <= 3 && in(kKinshipSuffixes, std::string_view(w).substr(w.size() - 3));
    if (surname || nickname || kinship) note(names_, w, index);
  }
}

std::vector<FoundCharacter> CharacterFinder::finish() const {
  // Aliases: a name whose words are a run of a longer name's words ("White" in "Snow White") is
  // one character, under the more mentioned form (ties: the shorter).
  std::map<std::string, Stats> names = names_;
  std::vector<std::string> keys;
  for (const auto& [name, st] : names)
    if (name.find(' ') != std::string::npos) keys.push_back(name);
  for (const std::string& longer : keys) {
    if (!names.count(longer)) continue;
    const std::vector<std::string> whole = split_words(longer);
    std::string best;
    for (const auto& [name, st] : names) {
      if (name == longer || !contains_run(whole, split_words(name))) continue;
      if (best.empty() || st.mentions > names[best].mentions) best = name;
    }
    if (best.empty()) continue;
    const bool keep_longer = names[longer].mentions > names[best].mentions;
    const std::string from = keep_longer ? best : longer, to = keep_longer ? longer : best;
    merge_into(names[to], names[from]);
    names.erase(from);
  }

  // Names recur and, in English, were met at least once right after another word, are not mostly
  // places, and are not common words the story also writes in lower case. Roles recur 3 times.
  std::vector<std::pair<std::size_t, FoundCharacter>> found;  // (first seen, character)
  for (const auto& [name, st] : names) {
    if (st.mentions < 2) continue;
    if (!name.empty() && static_cast<unsigned char>(name[0]) < 0x80) {  // English
      if (st.after_word == 0 || st.at_place * 2 >= st.mentions) continue;
      const auto lc = lower_counts_.find(ascii_lower(name));
      if (lc != lower_counts_.end() && lc->second * 2 >= st.mentions) continue;  // a common word
    }
    found.push_back({st.first_seen, {name, st.mentions, st.sentences}});
  }
  for (const auto& [key, st] : roles_) {
    if (st.mentions < 3) continue;
    std::string name = key;
    if (!st.forms.empty()) {  // English: the most used form ("the little girl"; ties: shorter)
      const std::pair<const std::string, std::size_t>* best = nullptr;
      for (const auto& form : st.forms)
        if (!best || form.second > best->second ||
            (form.second == best->second && form.first.size() < best->first.size()))
          best = &form;
      name = "the " + best->first;
    }
    found.push_back({st.first_seen, {name, st.mentions, st.sentences}});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    if (a.second.mentions != b.second.mentions) return a.second.mentions > b.second.mentions;
    return a.first < b.first;
  });
  std::vector<FoundCharacter> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

bool is_person_noun(std::string_view word) {
  return role_noun(word) || in(kChineseRoles, word);
}

}  // namespace tonepoem::text
