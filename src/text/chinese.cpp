// Chinese sentence emotion: OpenCC Traditional->Simplified, cppjieba MixSegment tokens, then
// lexicon lookups with negators (不, 没有), degree words (很, 非常, 有点), contrast (但是, 可是)
// and sentence punctuation (！, ？).
#include <algorithm>
#include <cmath>

#include <cppjieba/MixSegment.hpp>

#include "text/sentiment.h"
#include "text/unicode.h"

namespace tonepoem::text {
namespace {

constexpr double kNegationScalar = -0.74;
constexpr int kNegationScope = 4;  // tokens a negator or degree word reaches forward

bool is_clause_break(std::string_view w) {
  static constexpr std::string_view kBreaks[] = {"，", ",",  "；", ";", "：",
                                                 ":",  "、", "。", "—", "…"};
  return std::find(std::begin(kBreaks), std::end(kBreaks), w) != std::end(kBreaks);
}

bool is_ascii_word(std::string_view w) {
  return w.size() >= 2 && std::all_of(w.begin(), w.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
         });
}

// Online writing repeats a syllable for emphasis (哈哈哈哈, 呜呜呜呜, 嘻嘻嘻嘻) and jieba keeps
// the run as one token, which no list holds. For a token of at least three characters that is
// one character or a pair repeated, returns the forms the lists hold (哈哈 then 哈; 嘻嘻),
// longest first; otherwise nothing.
std::vector<std::string> reduplication_bases(std::string_view w) {
  std::vector<char32_t> cps;
  for (std::size_t pos = 0; pos < w.size();) cps.push_back(next_code_point(w, pos));
  if (cps.size() < 3) return {};
  for (std::size_t unit : {std::size_t{1}, std::size_t{2}}) {
    if (cps.size() % unit != 0) continue;
    bool periodic = true;
    for (std::size_t i = unit; i < cps.size() && periodic; ++i) periodic = cps[i] == cps[i - unit];
    if (!periodic) continue;
    std::string once;
    for (std::size_t i = 0; i < unit; ++i) append_utf8(once, cps[i]);
    return unit == 1 ? std::vector<std::string>{once + once, once} : std::vector<std::string>{once};
  }
  return {};
}

}  // namespace

Evidence chinese_evidence(std::string_view sentence, const Lexicons& lex,
                          std::vector<std::string>* out_words) {
  const ChineseResources& zh = lex.chinese();
  const std::string simple = lex.to_simplified(sentence);
  std::vector<std::string> tokens;
  zh.segmenter->Cut(simple, tokens, true);
  if (!lex.user.empty()) {
    // A user's multi-word term ("喵喵星人") that jieba cut apart is joined back (longest first).
    std::vector<std::string> joined;
    for (std::size_t i = 0; i < tokens.size();) {
      std::size_t take = 1;
      for (std::size_t k = std::min<std::size_t>(5, tokens.size() - i); k >= 2; --k) {
        std::string cand;
        for (std::size_t j = i; j < i + k; ++j) cand += tokens[j];
        if (lex.user.count(cand)) {
          take = k;
          break;
        }
      }
      std::string t;
      for (std::size_t j = i; j < i + take; ++j) t += tokens[j];
      joined.push_back(std::move(t));
      i += take;
    }
    tokens = std::move(joined);
  }
  if (out_words) out_words->insert(out_words->end(), tokens.begin(), tokens.end());

  Evidence ev;
  ev.chinese = true;
  for (const std::string& t : tokens) ev.words += has_word_character(t) ? 1 : 0;
  // Contrast: the first 但是/可是/然而... splits the sentence; weight moves to what follows.
  std::size_t contrast = tokens.size();
  double contrast_factor = 1.0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    auto m = zh.modifiers.find(tokens[i]);
    if (m != zh.modifiers.end() && m->second.kind == ModifierKind::contrast) {
      contrast = i;
      contrast_factor = m->second.factor;
      break;
    }
  }
  int negations = 0;
  double degree = 1.0;
  int since_modifier = 0;  // tokens since the last negator/degree word
  bool negator_before_degree = false;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& w = tokens[i];
    if (w == "！" || w == "!") ++ev.exclamations;
    if (w == "？" || w == "?") ++ev.questions;
    if (is_clause_break(w) || w == "！" || w == "!" || w == "？" || w == "?") {
      negations = 0;
      degree = 1.0;
      negator_before_degree = false;
      continue;
    }
    if (w == " ") continue;
    const WordInfo* info = nullptr;
    if (auto u = lex.user.find(w); u != lex.user.end()) info = &u->second;
    if (!info && is_ascii_word(w)) {
      // English inside Chinese text (code-switching, common on social media): English lists.
      const std::string lower = ascii_lower(w);
      if (lex.en_negations.count(lower)) {
        ++negations;
        since_modifier = 0;
        continue;
      }
      if (auto b = lex.en_boosters.find(lower); b != lex.en_boosters.end()) {
        degree *= b->second > 0 ? 1.5 : 0.6;
        since_modifier = 0;
        continue;
      }
      if (auto e = lex.english.find(lower); e != lex.english.end()) info = &e->second;
    }
    if (auto m = zh.modifiers.find(w); !info && m != zh.modifiers.end()) {
      switch (m->second.kind) {
        case ModifierKind::negator:
          ++negations;
          break;
        case ModifierKind::booster:
        case ModifierKind::dampener:
          if (negations > 0 && m->second.kind == ModifierKind::booster)
            negator_before_degree = true;
          degree *= m->second.factor;
          break;
        case ModifierKind::contrast:
          break;
      }
      since_modifier = 0;
      // A degree word that is also an emotion word (死, 痛) counts only as the modifier.
      continue;
    }
    if (!info && w.size() >= 6 && !zh.words.count(w)) {
      // jieba keeps some modified forms whole: 不太 (negated degree), 不开心 (negated word),
      // 太高兴 (degree + word). Split one or two leading characters that are a modifier.
      for (std::size_t cut : {std::size_t{3}, std::size_t{6}}) {
        if (w.size() <= cut) break;
        auto m = zh.modifiers.find(std::string_view(w).substr(0, cut));
        if (m == zh.modifiers.end() || m->second.kind == ModifierKind::contrast) continue;
        const std::string_view rest = std::string_view(w).substr(cut);
        // A one-character rest after a degree word is more often a name (老王) than a phrase.
        if (rest.size() < 6 && m->second.kind != ModifierKind::negator) continue;
        auto rm = zh.modifiers.find(rest);
        auto e = zh.words.find(rest);
        if (rm == zh.modifiers.end() && e == zh.words.end()) continue;
        if (m->second.kind == ModifierKind::negator) {
          ++negations;
        } else {
          if (negations > 0 && m->second.kind == ModifierKind::booster)
            negator_before_degree = true;
          degree *= m->second.factor;
        }
        if (rm != zh.modifiers.end() && rm->second.kind == ModifierKind::booster) {
          if (negations > 0) negator_before_degree = true;
          degree *= rm->second.factor;
        } else if (rm != zh.modifiers.end() && rm->second.kind == ModifierKind::negator) {
          ++negations;
        } else if (e != zh.words.end()) {
          info = &e->second;
        }
        break;
      }
      if (!info && (negations > 0 || degree != 1.0)) {
        since_modifier = 0;
        continue;
      }
    }
    if (!info) {
      if (auto e = zh.words.find(w); e != zh.words.end())
        info = &e->second;
      else if (auto j = lex.emoji.find(w); j != lex.emoji.end())
        info = &j->second;
      // A repeated function word (啊啊啊) keeps only an entry with a category: BosonNLP's
      // valence for 啊啊 (-0.65) is noise.
      const auto bases = info ? std::vector<std::string>{} : reduplication_bases(w);
      const bool function_word = std::any_of(
          bases.begin(), bases.end(), [&](const auto& b) { return zh.stop_words.count(b) > 0; });
      for (const std::string& base : bases) {
        auto e = zh.words.find(base);
        if (e != zh.words.end() && (!function_word || e->second.categories != 0)) {
          info = &e->second;
          break;
        }
      }
    }
    if (!info) {
      if (++since_modifier > kNegationScope) {
        negations = 0;
        degree = 1.0;
        negator_before_degree = false;
      }
      continue;
    }
    double v = info->has_valence() ? info->valence * 4.0 : 0.0;
    double weight = 1.0;
    bool is_negated = false;
    if (negator_before_degree) {
      // 不太好 / 不很高兴: "not very good" is mildly negative, not strongly.
      v *= kNegationScalar * 0.6;
      weight *= 0.6;
      is_negated = true;
    } else {
      v *= degree;
      weight *= std::clamp(degree, 0.3, 2.0);
      if (negations % 2 == 1) {
        v *= kNegationScalar;
        is_negated = true;
      }
    }
    if (contrast < tokens.size()) {
      if (i < contrast) {
        v *= 0.5;
        weight *= 0.5;
      } else if (i > contrast) {
        v *= contrast_factor;
        weight *= contrast_factor;
      }
    }
    ev.add_word(*info, v, weight, is_negated);
    negations = 0;
    degree = 1.0;
    negator_before_degree = false;
    since_modifier = 0;
  }
  add_chinese_narrative(tokens, lex, ev);
  return ev;
}

}  // namespace tonepoem::text
