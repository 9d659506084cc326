// Narration readings: Chinese through jieba words and CC-CEDICT pinyin (text/reading.h).
#include "text/reading.h"

#include <array>
#include <cppjieba/MixSegment.hpp>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "text/lexicons.h"
#include "text/pinyin.h"
#include "text/unicode.h"

namespace tonepoem {
namespace text {
namespace {

bool is_syllable(std::string_view s) {
  if (s.size() < 2 || s.back() < '1' || s.back() > '5') return false;
  for (std::size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] < 'a' || s[i] > 'z') return false;
  return true;
}

}  // namespace

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < s.size();) {
    next_code_point(s, pos);
    ++n;
  }
  return n;
}

std::string number_pinyin(std::string_view digits) {
  static constexpr std::array<std::string_view, 10> kDigit = {
      "ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"};
  static constexpr std::array<std::string_view, 4> kUnit = {"", "shi2", "bai3", "qian1"};
  std::string out;
  while (digits.size() > 1 && digits.size() <= 4 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 4 || digits.size() == 1) {
    for (char d : digits) out += kDigit[static_cast<std::size_t>(d - '0')];
    return out;
  }
  bool zero_pending = false;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const int d = digits[i] - '0';
    const std::size_t place = digits.size() - 1 - i;
    if (d == 0) {
      zero_pending = true;
      continue;
    }
    if (zero_pending && !out.empty()) out += kDigit[0];
    zero_pending = false;
    // 10..19 read 十, 十一 ... (not 一十).
    if (!(d == 1 && place == 1 && digits.size() == 2)) out += kDigit[static_cast<std::size_t>(d)];
    out += kUnit[place];
  }
  return out;
}

namespace {

// A pause mark for punctuation the voice should hear; empty for marks it should not read.
std::string_view pause_of(char32_t cp) {
  switch (cp) {
    case U'，':
    case U'、':
    case U'；':
    case U'：':
    case U',':
    case U';':
    case U':':
    case U'—':
    case U'－':
    case U'-':
      return ",";
    case U'。':
    case U'．':
    case U'.':
    case U'…':
      return ".";
    case U'！':
    case U'!':
      return "!";
    case U'？':
    case U'?':
      return "?";
    default:
      return {};
  }
}

enum class Kind { han, latin, digit, pause, other };

Kind kind_of(char32_t cp) {
  if (is_han(cp)) return Kind::han;
  if (is_latin_letter(cp) || cp == U'\'') return Kind::latin;
  if ((cp >= U'0' && cp <= U'9') || (cp >= U'０' && cp <= U'９')) return Kind::digit;
  if (!pause_of(cp).empty()) return Kind::pause;
  return Kind::other;
}

}  // namespace

void parse_pinyin_tsv(std::string_view text, std::string_view source, PinyinTable& table) {
  std::size_t line_no = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t tab = line.find('\t');
    auto bad = [&](const std::string& what) {
      throw Error(ExitCode::missing_resource, "line " + std::to_string(line_no) + ": " + what,
                  std::string(source),
                  "each row is: term<TAB>pinyin syllables such as zhang3 da4; run scripts/setup "
                  "to rebuild zh-pinyin.tsv");
    };
    if (tab == std::string_view::npos || tab == 0) bad("expected term<TAB>pinyin");
    const std::string_view term = line.substr(0, tab);
    const std::string_view pinyin = line.substr(tab + 1);
    std::size_t syllables = 0;
    for (std::size_t p = 0; p <= pinyin.size();) {
      std::size_t space = pinyin.find(' ', p);
      if (space == std::string_view::npos) space = pinyin.size();
      if (!is_syllable(pinyin.substr(p, space - p))) {
        // Built by appending: GCC 12 -O3 sees a false -Wrestrict overlap in "\"" + std::string.
        std::string what(1, '"');
        what.append(pinyin.substr(p, space - p));
        what.append("\" is not a tone-numbered syllable (letters a-z and a tone 1-5)");
        bad(what);
      }
      ++syllables;
      p = space + 1;
    }
    const std::size_t chars = code_points(term);
    if (chars != syllables)
      bad(std::to_string(chars) + " characters but " + std::to_string(syllables) + " syllables");
    table.words.insert_or_assign(std::string(term), std::string(pinyin));
    table.longest = std::max(table.longest, chars);
  }
}

std::string_view function_character_pinyin(std::string_view character) {
  // Characters with several readings whose most common one alone (as its own jieba word) is not
  // the one they most often have inside words.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kAlone = {{
      {"了", "le5"},
      {"得", "de5"},
      {"地", "de5"},
      {"还", "hai2"},
      {"都", "dou1"},
      {"为", "wei4"},
      {"更", "geng4"},
      {"将", "jiang1"},
      {"差", "cha4"},
      {"吗", "ma5"},
      {"呢", "ne5"},
      {"吧", "ba5"},
      {"啊", "a5"},
      {"干", "gan4"},
      {"应", "ying1"},
      {"薄", "bao2"},
      {"嘛", "ma5"},
      {"着", "zhe5"},
  }};
  for (const auto& [c, p] : kAlone)
    if (c == character) return p;
  return {};
}

void apply_tone_sandhi(ReadingRun& run) {
  struct Syllable {
    ReadingWord* word;
    std::size_t begin, end;  // the syllable's bytes in word->spoken
    std::string_view written;
  };
  // The run's syllables in order, each with the character it reads; a pause or a word whose
  // characters and syllables do not pair one for one breaks the chain.
  std::vector<std::vector<Syllable>> chains(1);
  for (ReadingWord& w : run.words) {
    std::vector<Syllable> syllables;
    std::size_t from = 0, at = 0;
    bool paired = true;
    for (std::size_t i = 0; i < w.spoken.size() && paired; ++i) {
      const char c = w.spoken[i];
      if (c >= '1' && c <= '5') {
        if (at >= w.text.size() || i == from) {
          paired = false;
          break;
        }
        const std::size_t begin = at;
        next_code_point(w.text, at);
        syllables.push_back({&w, from, i + 1, std::string_view(w.text).substr(begin, at - begin)});
        from = i + 1;
      } else if (c < 'a' || c > 'z') {
        paired = false;
      }
    }
    if (!paired || syllables.empty() || from != w.spoken.size() || at != w.text.size()) {
      chains.emplace_back();
      continue;
    }
    chains.back().insert(chains.back().end(), syllables.begin(), syllables.end());
  }
  auto tone = [](const Syllable& s) { return s.word->spoken[s.end - 1]; };
  auto set_tone = [](const Syllable& s, char t) { s.word->spoken[s.end - 1] = t; };
  auto is_digit = [](std::string_view c) {
    static constexpr std::string_view kDigits[] = {"零", "一", "二", "三", "四", "五",
                                                   "六", "七", "八", "九", "十"};
    return std::find(std::begin(kDigits), std::end(kDigits), c) != std::end(kDigits);
  };
  for (const auto& chain : chains)
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
      const Syllable& s = chain[i];
      const char next = tone(chain[i + 1]);
      if (s.written == "不" && tone(s) == '4' && next == '4') {
        set_tone(s, '2');  // 不是 bu2 shi4
      } else if (s.written == "一" && tone(s) == '1' &&
                 (next != '5' || chain[i + 1].written == "个")) {
        // Digits and ordinals keep yi1 (第一, 十一, 一九四九); a count takes the sandhi: before
        // a fourth tone yi2 (一个, 一样, 一万), before the others yi4 (一天, 一起, 一百).
        if (i > 0 && (is_digit(chain[i - 1].written) || chain[i - 1].written == "第" ||
                      chain[i - 1].written == "百" || chain[i - 1].written == "千"))
          continue;
        if (is_digit(chain[i + 1].written)) continue;
        // 个 is often written neutral (yi1 ge5) but is a fourth tone underneath: yi2 ge5.
        set_tone(s, next == '4' || next == '5' ? '2' : '4');
      }
    }
}

}  // namespace text

NarrationReader::NarrationReader(std::shared_ptr<const Lexicons> lexicons)
    : lexicons_(std::move(lexicons)) {}
NarrationReader::~NarrationReader() = default;

SentenceReading NarrationReader::read(std::string_view sentence, Language language) const {
  using text::Kind;
  if (language != Language::zh) return reading_as_written(std::string(sentence));
  const text::PinyinTable* table = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!pinyin_) {
      const auto path = lexicons_->data_dir / "lexicons" / "zh-pinyin.tsv";
      if (!std::filesystem::is_regular_file(path))
        fail_resource(path.string(), "the pinyin table for Chinese narration is missing",
                      "run scripts/setup (it builds zh-pinyin.tsv from CC-CEDICT)");
      auto loaded = std::make_unique<text::PinyinTable>();
      text::parse_pinyin_tsv(read_text_file(path), path.string(), *loaded);
      pinyin_ = std::move(loaded);
    }
    table = pinyin_.get();
  }
  const auto& segmenter = *lexicons_->chinese().segmenter;

  SentenceReading out;
  auto add = [&](std::string_view voice, std::string written, std::string spoken) {
    if (out.runs.empty() || out.runs.back().voice != voice)
      out.runs.push_back({std::string(voice), {}});
    out.runs.back().words.push_back({std::move(written), std::move(spoken)});
  };
  // Pinyin of one Simplified word: its own entry, else the longest entries from its start, else
  // character by character; a character the table lacks is not read.
  auto pinyin_of = [&](std::string_view word) {
    if (text::code_points(word) == 1)
      if (auto p = text::function_character_pinyin(word); !p.empty()) return std::string(p);
    std::vector<std::size_t> starts;  // byte offsets of the code points
    for (std::size_t pos = 0; pos < word.size();) {
      starts.push_back(pos);
      text::next_code_point(word, pos);
    }
    starts.push_back(word.size());
    std::string spoken;
    for (std::size_t i = 0; i + 1 < starts.size();) {
      std::size_t take = std::min(table->longest, starts.size() - 1 - i);
      for (; take > 0; --take) {
        const auto it = table->words.find(word.substr(starts[i], starts[i + take] - starts[i]));
        if (it == table->words.end()) continue;
        for (char c : it->second)
          if (c != ' ') spoken += c;
        break;
      }
      i += std::max<std::size_t>(take, 1);
    }
    return spoken;
  };

  // Walk the sentence in stretches of one kind.
  std::size_t pos = 0;
  while (pos < sentence.size()) {
    const std::size_t begin = pos;
    const Kind kind = text::kind_of(text::next_code_point(sentence, pos));
    std::size_t end = pos;
    while (end < sentence.size()) {
      std::size_t next = end;
      const Kind k = text::kind_of(text::next_code_point(sentence, next));
      // Latin words stay together with the spaces between them ("New York").
      std::size_t after = next;
      const bool joins =
          k == kind || (kind == Kind::latin && sentence[end] == ' ' && after < sentence.size() &&
                        text::kind_of(text::next_code_point(sentence, after)) == Kind::latin);
      if (!joins || kind == Kind::pause || kind == Kind::other) break;
      end = next;
    }
    pos = end;
    const std::string_view written = sentence.substr(begin, end - begin);
    switch (kind) {
      case Kind::latin:
        add(kEnglishVoice, std::string(written), std::string(written));
        break;
      case Kind::digit: {
        std::string digits;
        for (std::size_t p = 0; p < written.size();) {
          const char32_t cp = text::next_code_point(written, p);
          digits += static_cast<char>('0' + (cp >= U'０' ? cp - U'０' : cp - U'0'));
        }
        add(kPinyinVoice, std::string(written), text::number_pinyin(digits));
        break;
      }
      case Kind::pause: {
        std::size_t p = 0;
        const auto mark = text::pause_of(text::next_code_point(written, p));
        // Pauses go with the words before them, whichever voice reads those.
        add(out.runs.empty() ? kPinyinVoice : std::string_view(out.runs.back().voice),
            std::string(written), std::string(mark));
        break;
      }
      case Kind::other:
        break;  // spaces, quotes, brackets: not read
      case Kind::han: {
        // jieba cuts Simplified text; when conversion keeps the character count (as t2s does for
        // nearly all text), words map back onto the written characters one for one.
        std::string simple = lexicons_->to_simplified(written);
        const bool aligned = text::code_points(simple) == text::code_points(written);
        if (!aligned) simple = std::string(written);
        std::vector<std::string> words;
        segmenter.Cut(simple, words, true);
        std::size_t at = 0;  // byte offset in `written`
        for (const std::string& w : words) {
          const std::size_t n = text::code_points(w);
          std::size_t to = at;
          for (std::size_t k = 0; k < n && to < written.size(); ++k)
            text::next_code_point(written, to);
          add(kPinyinVoice, std::string(written.substr(at, to - at)), pinyin_of(w));
          at = to;
        }
        break;
      }
    }
  }
  for (ReadingRun& run : out.runs)
    if (run.voice == kPinyinVoice) text::apply_tone_sandhi(run);
  return out;
}

}  // namespace tonepoem
