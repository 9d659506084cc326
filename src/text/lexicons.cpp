#include "text/lexicons.h"

#include <charconv>
#include <fstream>
#include <future>
#include <sstream>

#include <opencc/opencc.h>
#include <cppjieba/MixSegment.hpp>

#include "core/files.h"
#include "text/unicode.h"

namespace tonepoem {
namespace text {
namespace {

std::string read_whole(const std::filesystem::path& path, ExitCode code) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(code, "cannot read this word list", path.string(),
                code == ExitCode::missing_resource ? "run scripts/setup to install the word lists"
                                                   : "check the path given to --lexicon");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool parse_float(std::string_view field, float& out) {
  if (!field.empty() && field[0] == '+') field.remove_prefix(1);
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void row_error(std::string_view source, std::size_t line, const std::string& what,
                            ExitCode code) {
  throw Error(code, "line " + std::to_string(line) + ": " + what, std::string(source),
              "each row is: term<TAB>valence in [-1,1]<TAB>arousal in [-1,1] or empty<TAB>"
              "categories (joy,tenderness,sadness,fear,anger,surprise,disgust) or empty");
}

}  // namespace

void parse_lexicon_tsv(std::string_view text, std::string_view source, WordMap& map, bool lower,
                       ExitCode code) {
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (strip(line).empty() || line[0] == '#') continue;
    const auto fields = split_tabs(line);
    if (fields.size() < 2)
      row_error(source, line_no,
                "expected at least 2 tab-separated fields (term, valence), found 1", code);
    if (fields.size() > 4)
      row_error(source, line_no,
                "expected at most 4 tab-separated fields, found " + std::to_string(fields.size()),
                code);
    const std::string_view term = strip(fields[0]);
    if (term.empty()) row_error(source, line_no, "the term is empty", code);
    WordInfo info;
    const std::string_view v = strip(fields[1]);
    if (!v.empty()) {
      if (!parse_float(v, info.valence) || info.valence < -1.0f || info.valence > 1.0f)
        row_error(source, line_no, "valence \"" + std::string(v) + "\" is not a number in [-1, 1]",
                  code);
    }
    if (fields.size() >= 3) {
      const std::string_view a = strip(fields[2]);
      if (!a.empty() &&
          (!parse_float(a, info.arousal) || info.arousal < -1.0f || info.arousal > 1.0f))
        row_error(source, line_no, "arousal \"" + std::string(a) + "\" is not a number in [-1, 1]",
                  code);
    }
    if (fields.size() >= 4) {
      std::string_view cats = strip(fields[3]);
      while (!cats.empty()) {
        const std::size_t comma = cats.find(',');
        const std::string_view name = strip(cats.substr(0, comma));
        cats = comma == std::string_view::npos ? std::string_view{} : cats.substr(comma + 1);
        if (name.empty()) continue;
        std::size_t c = 0;
        while (c < kCategoryCount && kCategoryNames[c] != name) ++c;
        if (c == kCategoryCount)
          row_error(source, line_no, "unknown category \"" + std::string(name) + "\"", code);
        info.categories |= static_cast<std::uint8_t>(1u << c);
      }
    }
    if (!info.has_valence() && !info.has_arousal() && info.categories == 0)
      row_error(source, line_no, "the row gives no valence, arousal or category", code);
    const std::string key = lower ? ascii_lower(term) : std::string(term);
    auto [it, inserted] = map.try_emplace(key, info);
    if (!inserted) {
      WordInfo& old = it->second;
      if (info.has_valence()) old.valence = info.valence;
      if (info.has_arousal()) old.arousal = info.arousal;
      if (info.categories) old.categories = info.categories;
    }
  }
}

void load_lexicon_tsv(const std::filesystem::path& path, WordMap& map, bool lower, ExitCode code) {
  const std::string text = read_whole(path, code);
  if (auto bad = find_invalid_utf8(text)) {
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
    throw Error(code, "invalid UTF-8 at line " + std::to_string(line), path.string(),
                "save the lexicon as UTF-8");
  }
  parse_lexicon_tsv(text, path.string(), map, lower, code);
}

void load_modifier_tsv(const std::filesystem::path& path, ModifierMap& map) {
  const std::string text = read_whole(path, ExitCode::missing_resource);
  std::size_t line_no = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (strip(line).empty() || line[0] == '#') continue;
    const auto fields = split_tabs(line);
    Modifier m;
    if (fields.size() != 3 || !parse_float(strip(fields[2]), m.factor)) {
      throw Error(ExitCode::missing_resource,
                  "line " + std::to_string(line_no) + ": expected term<TAB>kind<TAB>factor",
                  path.string(), "run scripts/setup to rebuild the word lists");
    }
    const std::string_view kind = strip(fields[1]);
    if (kind == "negator")
      m.kind = ModifierKind::negator;
    else if (kind == "booster")
      m.kind = ModifierKind::booster;
    else if (kind == "dampener")
      m.kind = ModifierKind::dampener;
    else if (kind == "contrast")
      m.kind = ModifierKind::contrast;
    else
      throw Error(
          ExitCode::missing_resource,
          "line " + std::to_string(line_no) + ": unknown kind \"" + std::string(kind) + "\"",
          path.string(), "kinds are negator, booster, dampener, contrast");
    map.insert_or_assign(std::string(strip(fields[0])), m);
  }
}

ChineseResources::ChineseResources() = default;
ChineseResources::~ChineseResources() = default;

namespace {

std::unique_ptr<ChineseResources> load_chinese(const std::filesystem::path& dir,
                                               bool permissive_only) {
  auto zh = std::make_unique<ChineseResources>();
  const auto jieba = dir / "jieba";
  for (const char* f : {"jieba.dict.utf8", "hmm_model.utf8", "user.dict.utf8"}) {
    // cppjieba aborts the process on a missing file: check first.
    if (!std::filesystem::is_regular_file(jieba / f))
      fail_resource((jieba / f).string(), "Chinese dictionary missing", "run scripts/setup");
  }
  // cppjieba's dictionary takes most of the load time: build it on a second thread while the
  // word lists load on this one.
  auto segmenter = std::async(std::launch::async, [jieba] {
    return std::make_unique<cppjieba::MixSegment>((jieba / "jieba.dict.utf8").string(),
                                                  (jieba / "hmm_model.utf8").string(),
                                                  (jieba / "user.dict.utf8").string());
  });
  const auto lex = dir / "lexicons";
  // Research-use lists (BosonNLP, HowNet, DUTIR) unless the permissive sources are asked for or
  // those lists are absent; then CC-CEDICT glosses scored with VADER/AFINN (zh-cedict.tsv).
  const bool research = !permissive_only && (std::filesystem::exists(lex / "zh-boson.tsv") ||
                                             std::filesystem::exists(lex / "zh-hownet.tsv") ||
                                             std::filesystem::exists(lex / "zh-dutir.tsv"));
  // Later lists override earlier ones field by field: BosonNLP (broad, noisy scores), then
  // HowNet (curated polarity), then DUTIR (curated categories with valence/arousal priors).
  WordMap boson;
  if (research && std::filesystem::exists(lex / "zh-boson.tsv")) {
    load_lexicon_tsv(lex / "zh-boson.tsv", boson, false, ExitCode::missing_resource);
    zh->sources.push_back("zh-boson.tsv");
  }
  WordMap curated;
  const std::vector<const char*> lists =
      research ? std::vector<const char*>{"zh-hownet.tsv", "zh-dutir.tsv"}
               : std::vector<const char*>{"zh-cedict.tsv"};
  for (const char* f : lists) {
    if (!std::filesystem::exists(lex / f)) continue;
    WordMap one;
    load_lexicon_tsv(lex / f, one, false, ExitCode::missing_resource);
    for (auto& [term, info] : one) {
      auto [it, inserted] = curated.try_emplace(term, info);
      if (!inserted) {
        // Both HowNet and DUTIR know the word: average their valence, keep DUTIR's categories.
        if (info.has_valence() && it->second.has_valence())
          it->second.valence = 0.5f * (it->second.valence + info.valence);
        if (info.has_arousal()) it->second.arousal = info.arousal;
        if (info.categories) it->second.categories = info.categories;
      }
    }
    zh->sources.push_back(f);
  }
  if (zh->sources.empty())
    fail_resource(lex.string(), "no Chinese word list (zh-*.tsv) found",
                  "run scripts/setup (it builds zh-cedict.tsv and the other Chinese lists)");
  if (std::filesystem::exists(jieba / "stop_words.utf8")) {
    std::ifstream in(jieba / "stop_words.utf8");
    std::string w;
    while (std::getline(in, w)) {
      if (!w.empty()) zh->stop_words.insert(w);
    }
  }
  // Function words carry no sentiment of their own (HowNet lists 和 "harmony" as positive).
  for (auto it = curated.begin(); it != curated.end();) {
    if (it->second.categories == 0 && zh->stop_words.count(it->first)) {
      it = curated.erase(it);
    } else {
      ++it;
    }
  }
  zh->words = std::move(curated);
  for (auto& [term, info] : boson) {
    // BosonNLP scores function words too (我 -0.16, 了 +0.13): only content words with a clear
    // score count, and a score shared with a curated list is blended in at a third.
    if (zh->stop_words.count(term) || std::fabs(info.valence) < 0.25f) continue;
    auto it = zh->words.find(term);
    if (it == zh->words.end()) {
      WordInfo w;
      w.valence = 0.8f * info.valence;
      zh->words.emplace(term, w);
    } else if (it->second.has_valence()) {
      it->second.valence = (2.0f * it->second.valence + info.valence) / 3.0f;
    }
  }
  add_chinese_emotion_words(zh->words);
  zh->sources.push_back("tonepoem Chinese word table");
  add_builtin_chinese_modifiers(zh->modifiers);
  if (research && std::filesystem::exists(lex / "zh-modifiers.tsv")) {
    load_modifier_tsv(lex / "zh-modifiers.tsv", zh->modifiers);
    zh->sources.push_back("zh-modifiers.tsv");
  }
  // Degree words that double as sentiment words in BosonNLP (很 +0.17, 非常 +0.32) are modifiers
  // only.
  for (const auto& [term, m] : zh->modifiers) {
    auto it = zh->words.find(term);
    if (it != zh->words.end() && m.kind != ModifierKind::booster)
      zh->words.erase(it);
    else if (it != zh->words.end() && it->second.categories == 0)
      zh->words.erase(it);
  }
  zh->segmenter = segmenter.get();
  return zh;
}

}  // namespace
}  // namespace text

Lexicons::Lexicons() = default;
Lexicons::~Lexicons() {
  if (opencc_ && opencc_ != reinterpret_cast<void*>(-1))
    opencc_close(static_cast<opencc_t>(opencc_));
}

const text::ChineseResources& Lexicons::chinese() const {
  std::lock_guard lock(zh_mutex_);
  if (!zh_) {
    zh_ = text::load_chinese(data_dir, permissive_only);
    // User entries take part in Chinese lookups through `user`; nothing to merge here.
  }
  return *zh_;
}

bool Lexicons::chinese_loaded() const {
  std::lock_guard lock(zh_mutex_);
  return zh_ != nullptr;
}

std::vector<std::string> Lexicons::sources() const {
  std::vector<std::string> out = english_sources;
  std::lock_guard lock(zh_mutex_);
  if (zh_) out.insert(out.end(), zh_->sources.begin(), zh_->sources.end());
  return out;
}

std::string Lexicons::to_simplified(std::string_view text) const {
  std::lock_guard lock(cc_mutex_);
  if (!opencc_tried_) {
    opencc_tried_ = true;
    opencc_t od = opencc_open("t2s.json");
    opencc_ = od == reinterpret_cast<opencc_t>(-1) ? nullptr : od;
  }
  if (!opencc_) return std::string(text);
  char* out = opencc_convert_utf8(static_cast<opencc_t>(opencc_), text.data(), text.size());
  if (!out) return std::string(text);
  std::string result(out);
  opencc_convert_utf8_free(out);
  return result;
}

std::shared_ptr<const Lexicons> load_lexicons(const LexiconOptions& options) {
  auto lex = std::make_shared<Lexicons>();
  lex->data_dir = options.data_dir.empty() ? find_data_dir() : options.data_dir;
  const auto dir = lex->data_dir / "lexicons";
  const auto vader = dir / "en-vader.tsv";
  if (!std::filesystem::is_regular_file(vader))
    fail_resource(vader.string(), "the VADER word list is missing",
                  "run scripts/setup (it installs the word lists)");
  lex->permissive_only = options.permissive_only;
  text::load_lexicon_tsv(vader, lex->english, true, ExitCode::missing_resource);
  lex->english_sources = {"en-vader.tsv", "tonepoem English word table"};
  if (std::filesystem::is_regular_file(dir / "en-afinn.tsv")) {
    text::WordMap afinn;
    text::load_lexicon_tsv(dir / "en-afinn.tsv", afinn, true, ExitCode::missing_resource);
    for (auto& [term, info] : afinn) lex->english[term].alt_valence = info.valence;
    lex->english_sources.push_back("en-afinn.tsv");
  }
  text::add_english_emotion_words(lex->english);
  text::parse_learned_table(text::learned_table_text(), lex->learned_english);
  if (!lex->learned_english.empty())
    lex->english_sources.push_back("tonepoem word table learned from EmoBank (CC BY-SA 4.0)");
  text::add_emoji(lex->emoji);
  for (const auto& b : text::kEnglishBoosters)
    lex->en_boosters.emplace(std::string(b.word), b.delta);
  for (auto n : text::kEnglishNegations) lex->en_negations.emplace(n);
  for (const auto& path : options.user_lexicons) {
    if (!std::filesystem::is_regular_file(path))
      fail_input(path.string(), "lexicon file not found", "check the path given to --lexicon");
    text::load_lexicon_tsv(path, lex->user, true, ExitCode::bad_input);
    lex->english_sources.push_back(path.string());
  }
  return lex;
}

}  // namespace tonepoem
