// Narrative cues: the events of a sentence (death, capture, rescue, a wedding), its tempo (a
// chase, sleep) and its weather and light, read from the tables in en_words.cpp and
// zh_words.cpp. They outweigh the pleasant or unpleasant words around them in Evidence::finish.
#include <algorithm>
#include <cmath>

#include "text/sentiment.h"
#include "text/unicode.h"

namespace tonepoem::text {

CueMap build_cue_map(std::span<const CueRow> rows) {
  CueMap map;
  for (const CueRow& row : rows) {
    std::string_view words = row.words;
    while (!words.empty()) {
      const std::size_t space = words.find(' ');
      std::string w(words.substr(0, space));
      words = space == std::string_view::npos ? std::string_view{} : words.substr(space + 1);
      if (w.empty()) continue;
      std::replace(w.begin(), w.end(), '_', ' ');
      map.insert_or_assign(std::move(w),
                           NarrativeCue{row.kind, row.valence, row.valence_weight, row.arousal,
                                        row.arousal_weight, row.tension, row.category});
    }
  }
  return map;
}

void Evidence::add_cue(const NarrativeCue& cue, double sign) {
  const double scale = std::fabs(sign);
  story_valence += scale * cue.valence_weight * (sign < 0 ? -cue.valence : cue.valence);
  story_valence_weight += scale * cue.valence_weight;
  // Under negation the event did not happen: its tempo and stakes mostly go with it.
  const double aw = scale * cue.arousal_weight * (sign < 0 ? 0.3 : 1.0);
  story_arousal += aw * cue.arousal;
  story_arousal_weight += aw;
  story_tension += scale * cue.tension * (sign < 0 ? 0.3 : 1.0);
  if (cue.category >= 0 && sign > 0)
    story_categories[static_cast<std::size_t>(cue.category)] += 0.6 * scale * cue.valence_weight;
}

namespace {

constexpr double kNegated = -0.5;  // a negated event: weaker and turned ("no one came to save her")
constexpr std::size_t kVillainReach = 4;  // tokens after a harm verb where its object may stand

// A harm cue turned into good news: the villain is beaten.
NarrativeCue triumph_over(const NarrativeCue& harm) {
  NarrativeCue c = harm;
  c.kind = CueKind::event;
  c.valence = 0.7f;
  c.tension *= 0.5f;
  c.category = static_cast<int>(Category::joy);
  return c;
}

template <typename IsVillain>
bool harm_to_villain(std::size_t i, std::size_t span, std::size_t n, bool passive,
                     IsVillain&& is_villain) {
  if (passive) {  // "the wolf was killed", 狼被杀死了 (a villain after it is the doer: "by the
                  // wolf")
    for (std::size_t k = 2; k <= 5 && k <= i; ++k)
      if (is_villain(i - k)) return true;
    return false;
  }
  for (std::size_t j = i + span; j < n && j < i + span + kVillainReach; ++j)
    if (is_villain(j)) return true;
  return false;
}

}  // namespace

void add_english_narrative(const std::vector<std::string>& keys, const Lexicons& lex,
                           Evidence& ev) {
  const CueMap& cues = english_narrative_cues();
  const std::size_t n = keys.size();
  auto find = [&](std::string_view w) -> const NarrativeCue* {
    const auto it = cues.find(w);
    return it == cues.end() ? nullptr : &it->second;
  };
  auto is_villain = [&](std::size_t j) {
    const NarrativeCue* c = find(keys[j]);
    return c && c->kind == CueKind::villain;
  };
  std::string pair;
  for (std::size_t i = 0; i < n; ++i) {
    const NarrativeCue* cue = nullptr;
    std::size_t span = 1;
    if (i + 1 < n) {
      pair = keys[i];
      pair += ' ';
      pair += keys[i + 1];
      if ((cue = find(pair))) span = 2;
    }
    if (!cue) cue = find(keys[i]);
    if (!cue || cue->kind == CueKind::villain || cue->kind == CueKind::none) continue;
    double sign = 1.0;
    bool escaped = false;
    for (std::size_t k = 1; k <= 3 && k <= i; ++k) {
      if (is_english_negation(keys[i - k], lex)) sign = kNegated;
      if (keys[i - k] == "from") escaped = true;
    }
    if (escaped && cue->valence < 0) continue;  // "saved her from death", "fled from the wolf"
    NarrativeCue c = *cue;
    if (c.kind == CueKind::harm) {
      const bool passive = i > 0 && (keys[i - 1] == "was" || keys[i - 1] == "were" ||
                                     keys[i - 1] == "been" || keys[i - 1] == "be");
      if (harm_to_villain(i, span, n, passive, is_villain)) c = triumph_over(c);
    }
    ev.add_cue(c, sign);
    i += span - 1;
  }
}

void add_chinese_narrative(const std::vector<std::string>& tokens, const Lexicons& lex,
                           Evidence& ev) {
  const CueMap& cues = chinese_narrative_cues();
  const ChineseResources& zh = lex.chinese();
  const std::size_t n = tokens.size();
  auto find = [&](std::string_view w) -> const NarrativeCue* {
    const auto it = cues.find(w);
    return it == cues.end() ? nullptr : &it->second;
  };
  auto is_villain = [&](std::size_t j) {
    const NarrativeCue* c = find(tokens[j]);
    return c && c->kind == CueKind::villain;
  };
  auto is_negator = [&](std::string_view w) {
    const auto m = zh.modifiers.find(w);
    return m != zh.modifiers.end() && m->second.kind == ModifierKind::negator;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& t = tokens[i];
    const NarrativeCue* cue = nullptr;
    std::size_t span = 1;
    double scale = 1.0;
    if (i + 1 < n && (cue = find(t + tokens[i + 1]))) span = 2;
    if (!cue) cue = find(t);
    if (!cue) {
      // A one-character event inside a longer token (哭着, 饿坏): weaker, it may be a compound.
      const std::size_t chars = count_scripts(t).han;
      if (chars < 2 || chars > 3) continue;
      for (std::size_t pos = 0; pos < t.size() && !cue;) {
        const std::size_t from = pos;
        next_code_point(t, pos);
        const NarrativeCue* c = find(std::string_view(t).substr(from, pos - from));
        if (c && c->kind != CueKind::villain && c->kind != CueKind::none) cue = c;
      }
      scale = 0.6;
    }
    if (!cue || cue->kind == CueKind::villain || cue->kind == CueKind::none) continue;
    if (cue->kind == CueKind::intensifier_after_emotion && i > 0 && zh.words.count(tokens[i - 1]) &&
        !find(tokens[i - 1]))
      continue;  // 高兴死了: "happy to death"
    double sign = 1.0;
    bool escaped = false;
    for (std::size_t k = 1; k <= 2 && k <= i; ++k) {
      if (is_negator(tokens[i - k])) sign = kNegated;
      if (tokens[i - k] == "从") escaped = true;
    }
    if (escaped && cue->valence < 0) continue;
    NarrativeCue c = *cue;
    if (c.kind == CueKind::harm) {
      const bool passive = i > 0 && tokens[i - 1] == "被";
      if (harm_to_villain(i, span, n, passive, is_villain)) c = triumph_over(c);
    }
    ev.add_cue(c, sign * scale);
    i += span - 1;
  }
}

}  // namespace tonepoem::text
