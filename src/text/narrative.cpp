// Narrative cues: the events of a sentence (death, capture, rescue, a wedding), its tempo (a
// chase, sleep) and its weather and light, read from the tables in en_words.cpp and
// zh_words.cpp. They outweigh the pleasant or unpleasant words around them in Evidence::finish.
#include <algorithm>
#include <cmath>

#include "text/characters.h"
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
      const std::size_t first = w.find(' ');
      NarrativeCue& cue = map[w];
      const bool starts = cue.starts_phrase;
      cue = NarrativeCue{row.kind,           row.valence, row.valence_weight, row.arousal,
                         row.arousal_weight, row.tension, row.category,       starts};
      if (first != std::string::npos) {
        auto [it, added] = map.try_emplace(w.substr(0, first));
        if (added) it->second.kind = CueKind::none;
        it->second.starts_phrase = true;
      }
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
constexpr std::size_t kNoToken = static_cast<std::size_t>(-1);
constexpr std::size_t kVillainReach = 4;  // tokens after a harm verb where its object may stand
constexpr std::size_t kHypotheticalReach = 4;  // tokens an "if" or "might" reaches forward
constexpr std::size_t kMaxPairBytes = 12;      // 4 CJK characters in UTF-8
constexpr double kHypothetical = 0.5;          // an event that may not happen weighs this much
constexpr float kVillainsJoy = -0.5f;          // a villain's good fortune, for the story
constexpr double kBeforeContrast = 0.5;        // events before a "but" in the sentence
constexpr double kAfterContrast = 1.5;         // and after it

// A harm or fate turned into good news: the villain is beaten.
NarrativeCue triumph_over(const NarrativeCue& harm) {
  NarrativeCue c = harm;
  c.kind = CueKind::event;
  c.valence = 0.7f;
  c.tension *= 0.5f;
  c.category = static_cast<int>(Category::joy);
  return c;
}

// The rules both languages share, over a sentence's tokens: `cue_at(i)` is the cue read at
// token i (nullptr for none), and `span` the tokens it covers.
class SentenceReader {
 public:
  // `cue_at[i]`: the cue of token i alone (nullptr for none); `person_at[i]`: token i names a
  // character who is no villain (a role noun, a name).
  SentenceReader(Evidence& ev, const std::vector<const NarrativeCue*>& cue_at,
                 const std::vector<bool>& person_at)
      : ev_(ev), cue_at_(cue_at), person_at_(person_at), n_(cue_at.size()) {}

  // Reads the cue `cue` found at token i (covering `span` tokens); `sign` carries negation and
  // any weakening, `escaped` a preceding "from", `passive` a preceding "was", 被 or 把, whose
  // sufferer is the last character named before token `sufferer_at` (i when not given; 被's own
  // position in 被狼吃掉, where the wolf between is the doer).
  void read(const NarrativeCue& cue, std::size_t i, std::size_t span, double sign, bool escaped,
            bool passive, std::size_t sufferer_at = kNoToken) {
    switch (cue.kind) {
      case CueKind::villain:
        if (!villain_) villain_ = &cue;
        return;
      case CueKind::none:
      case CueKind::hypothetical:
        return;
      default:
        break;
    }
    if (escaped && cue.valence < 0) return;  // "saved her from death", "fled from the wolf"
    NarrativeCue c = cue;
    bool beaten = false;
    // Whose fate: the character named last before the event, over pronouns ("the wolf woke,
    // and he fell down dead" is the wolf's; "Red-Cap was swallowed by the wolf" is Red-Cap's).
    const bool villain_subject = nearest_actor_is_villain(i);
    if (c.kind == CueKind::harm) {
      // "the wolf was killed", 狼被杀死了: the villain before it suffers it (a villain after it
      // is the doer: "eaten by the wolf"); otherwise the villain after it ("killed the wolf").
      beaten = passive ? nearest_actor_is_villain(sufferer_at == kNoToken ? i : sufferer_at)
                       : kind_after(i + span, kVillainReach, CueKind::villain);
    } else if (c.kind == CueKind::fate || c.kind == CueKind::intensifier_after_emotion) {
      beaten = villain_subject;  // "the wolf fell down dead"
    } else if (c.kind == CueKind::event && c.valence > 0 && villain_subject) {
      c.valence *= kVillainsJoy;  // "the robbers feasted": their good fortune is no one else's
    }
    if (beaten) {
      c = triumph_over(c);
      villain_beaten_ = true;
    }
    if (kind_before(i, kHypotheticalReach, CueKind::hypothetical)) sign *= kHypothetical;
    ev_.add_cue(c, sign);
  }

  // A villain in the sentence that nothing beat: a little menace.
  void finish() {
    if (villain_beaten_) ev_.menace = Evidence::Menace::beaten;
    if (villain_ && !villain_beaten_) {
      ev_.add_cue(*villain_, 1.0);
      ev_.menace = Evidence::Menace::threat;
    }
  }

 private:
  bool kind_before(std::size_t i, std::size_t reach, CueKind kind) const {
    for (std::size_t k = 1; k <= reach && k <= i; ++k) {
      const NarrativeCue* c = cue_at_[i - k];
      if (c && c->kind == kind) return true;
    }
    return false;
  }
  // Whether the last character named before token i (a villain noun, or a person: a role noun
  // or a name) is a villain; pronouns and other words are passed over.
  bool nearest_actor_is_villain(std::size_t i) const {
    for (std::size_t k = i; k-- > 0;) {
      if (person_at_[k]) return false;
      const NarrativeCue* c = cue_at_[k];
      if (c && c->kind == CueKind::villain) return true;
    }
    return false;
  }
  bool kind_after(std::size_t from, std::size_t reach, CueKind kind) const {
    for (std::size_t j = from; j < n_ && j < from + reach; ++j) {
      const NarrativeCue* c = cue_at_[j];
      if (c && c->kind == kind) return true;
    }
    return false;
  }

  Evidence& ev_;
  const std::vector<const NarrativeCue*>& cue_at_;
  const std::vector<bool>& person_at_;
  std::size_t n_;
  const NarrativeCue* villain_ = nullptr;
  bool villain_beaten_ = false;
};

// Chinese verbs that undo what follows them (破除魔咒, 解除魔法, 摆脱危险).
// They reach to the end of their clause (破除了她残酷的魔咒: jieba may cut 魔咒 in two).
constexpr std::size_t kBreakReach = 8;
bool is_breaking_verb(std::string_view w) {
  return w == "破除" || w == "解除" || w == "摆脱" || w == "打破" || w == "解开";
}
bool is_clause_end(std::string_view w) {
  return w == "，" || w == "。" || w == "；" || w == "！" || w == "？" || w == "：";
}

// Plain verbs that are a harm when suffered (被 ... 打, 被人骗了), not when done (打开, 卖菜); and
// how many tokens back a 被 or 把 may stand (over adverbs and a named doer: 被狼狠狠地咬).
constexpr std::size_t kPassiveReach = 4;
bool is_passive_harm_verb(std::string_view w) {
  static constexpr std::string_view kVerbs[] = {"打", "骂", "咬", "踢", "骗",   "卖",  "抢",
                                                "烧", "砍", "刺", "偷", "赶走", "赶出"};
  return std::find(std::begin(kVerbs), std::end(kVerbs), w) != std::end(kVerbs);
}

// Laughter, and the verbs that turn it on someone (围着她, 指着他, 冲着他们; not 对着她, which
// is as often a smile).
bool is_laughter(std::string_view w) {
  static constexpr std::string_view kWords[] = {"笑",       "大笑",   "哈哈大笑", "哄堂大笑",
                                                "笑个不停", "笑起来", "哈哈",     "嘻嘻哈哈"};
  return std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}
bool is_directing_verb(std::string_view w) {
  return w == "围着" || w == "指着" || w == "冲着";
}
bool is_pronoun(std::string_view w) {
  return w == "她" || w == "他" || w == "它" || w == "她们" || w == "他们" || w == "你" ||
         w == "你们" || w == "我";
}

// "wolf's", "wolf’s" -> "wolf"; other words unchanged.
std::string_view without_possessive(std::string_view key) {
  for (std::string_view suffix : {std::string_view("'s"), std::string_view("\u2019s")})
    if (key.size() > suffix.size() && key.ends_with(suffix))
      return key.substr(0, key.size() - suffix.size());
  return key;
}

// Verbs that end the state or event after them: "ceased (to weep)", "stopped", "left off".
bool ends_what_follows(const std::vector<std::string>& keys, std::size_t k) {
  const std::string& w = keys[k];
  return w == "ceased" || w == "ceases" || w == "stopped" || w == "dried" ||
         (w == "off" && k > 0 && keys[k - 1] == "left");
}

// Adjectives that make the character they name a villain.
bool is_wicked(std::string_view key) {
  return key == "wicked" || key == "false" || key == "evil" || key == "cruel" ||
         key == "treacherous" || key == "godless" || key == "envious" || key == "jealous";
}

}  // namespace

void add_english_narrative(const std::vector<std::string>& keys, const Lexicons& lex, Evidence& ev,
                           const std::vector<bool>& named) {
  const CueMap& cues = english_narrative_cues();
  const std::size_t n = keys.size();
  auto find = [&](std::string_view w) -> const NarrativeCue* {
    const auto it = cues.find(w);
    return it == cues.end() ? nullptr : &it->second;
  };
  std::vector<const NarrativeCue*> alone(n);
  std::vector<bool> person(n);
  const NarrativeCue* villain_cue = find("villain");
  for (std::size_t i = 0; i < n; ++i) {
    alone[i] = find(keys[i]);
    // "the wolf's belly": a possessive names its character ("wolf's" is no key of its own).
    const std::string_view owner = without_possessive(keys[i]);
    if (!alone[i] && owner.size() < keys[i].size()) alone[i] = find(owner);
    // "the wicked queen", "the false bride": a character named by wickedness is a villain.
    if (!alone[i] && is_person_noun(owner) &&
        ((i >= 1 && is_wicked(keys[i - 1])) || (i >= 2 && is_wicked(keys[i - 2]))))
      alone[i] = villain_cue;
    const bool villain = alone[i] && alone[i]->kind == CueKind::villain;
    person[i] = !villain && (is_person_noun(owner) || (i < named.size() && named[i]));
  }
  SentenceReader reader(ev, alone, person);
  // "..., but Snowdrop awoke": what follows a contrast is how the sentence turns out (VADER's
  // rule for words, here for events).
  const std::size_t contrast = static_cast<std::size_t>(
      std::find_if(keys.begin(), keys.end(),
                   [](const std::string& k) { return k == "but" || k == "however"; }) -
      keys.begin());
  std::string pair;
  for (std::size_t i = 0; i < n; ++i) {
    const NarrativeCue* cue = nullptr;
    std::size_t span = 1;
    if (alone[i] && alone[i]->starts_phrase && i + 1 < n) {
      pair = keys[i];
      pair += ' ';
      pair += keys[i + 1];
      if ((cue = find(pair))) span = 2;
    }
    if (!cue) cue = alone[i];
    if (!cue) continue;
    double sign = 1.0;
    bool escaped = false;
    bool ended = false;
    for (std::size_t k = 1; k <= 3 && k <= i; ++k) {
      if (keys[i - k] == "from") escaped = true;
      ended |= ends_what_follows(keys, i - k);
    }
    if (negated_in_clause(keys, i, lex)) sign = kNegated;
    // "the princess left off weeping", "ceased to mourn": the sorrow ends, which is relief.
    NarrativeCue undone;
    if (ended && cue->valence < 0) {
      undone = triumph_over(*cue);
      cue = &undone;
    }
    const bool passive = i > 0 && (keys[i - 1] == "was" || keys[i - 1] == "were" ||
                                   keys[i - 1] == "been" || keys[i - 1] == "be");
    if (contrast < n && i != contrast) sign *= i < contrast ? kBeforeContrast : kAfterContrast;
    reader.read(*cue, i, span, sign, escaped, passive);
    i += span - 1;
  }
  reader.finish();
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
  auto is_negator = [&](std::string_view w) {
    const auto m = zh.modifiers.find(w);
    return m != zh.modifiers.end() && m->second.kind == ModifierKind::negator;
  };
  std::vector<const NarrativeCue*> alone(n);
  std::vector<bool> person(n);
  for (std::size_t i = 0; i < n; ++i) {
    alone[i] = find(tokens[i]);
    person[i] = !(alone[i] && alone[i]->kind == CueKind::villain) && is_person_noun(tokens[i]);
  }
  SentenceReader reader(ev, alone, person);
  const NarrativeCue* beaten = find("被打");
  auto passive_before = [&](std::size_t i) {
    for (std::size_t k = 1; k <= kPassiveReach && k <= i; ++k) {
      if (is_clause_end(tokens[i - k])) return false;
      if (tokens[i - k] == "被") return true;
    }
    return false;
  };
  // Laughter turned on someone (围着她哈哈大笑, 指着他笑) is mockery, not joy.
  bool laughter_at_someone = false;
  for (std::size_t i = 0; i + 1 < n && !laughter_at_someone; ++i)
    laughter_at_someone = is_directing_verb(tokens[i]) &&
                          (is_person_noun(tokens[i + 1]) || is_pronoun(tokens[i + 1]));
  const NarrativeCue* mockery = find("嘲笑");
  std::string pair;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& t = tokens[i];
    const NarrativeCue* cue = nullptr;
    std::size_t span = 1;
    double scale = 1.0;
    // Two tokens read together (被 + 打, 笑 + 她): the table's entries are at most 4 characters.
    if (i + 1 < n && t.size() + tokens[i + 1].size() <= kMaxPairBytes) {
      pair = t;
      pair += tokens[i + 1];
      if ((cue = find(pair))) span = 2;
    }
    if (!cue) cue = alone[i];
    if (!cue && is_passive_harm_verb(t) && passive_before(i)) cue = beaten;  // 被狠狠地打了
    if (!cue && laughter_at_someone && is_laughter(t)) cue = mockery;
    if (!cue) {
      // A one-character event inside a longer token (哭着, 饿坏): weaker, it may be a compound.
      const std::size_t chars = count_scripts(t).han;
      if (chars < 2 || chars > 3) continue;
      for (std::size_t pos = 0; pos < t.size() && !cue;) {
        const std::size_t from = pos;
        next_code_point(t, pos);
        const NarrativeCue* c = find(std::string_view(t).substr(from, pos - from));
        if (c && c->kind != CueKind::villain && c->kind != CueKind::none &&
            c->kind != CueKind::hypothetical)
          cue = c;
      }
      scale = 0.6;
    }
    if (!cue) continue;
    if (cue->kind == CueKind::intensifier_after_emotion && i > 0 && zh.words.count(tokens[i - 1]) &&
        !find(tokens[i - 1]))
      continue;  // 高兴死了: "happy to death"
    double sign = 1.0;
    bool escaped = false;
    for (std::size_t k = 1; k <= 2 && k <= i; ++k) {
      if (is_negator(tokens[i - k])) sign = kNegated;
      if (tokens[i - k] == "从") escaped = true;
    }
    // 破除了她残酷的魔咒 "broke her cruel spell": a harm after a breaking verb is undone, which
    // is deliverance.
    NarrativeCue undone;
    for (std::size_t k = 1; k <= kBreakReach && k <= i && cue->valence < 0; ++k) {
      if (is_clause_end(tokens[i - k])) break;
      if (is_breaking_verb(tokens[i - k])) {
        undone = triumph_over(*cue);
        cue = &undone;
      }
    }
    // 被 reaches over adverbs (被狠狠地打了); 把 puts the one who suffers before the verb
    // (猎人把狼打死了: the wolf dies), which reads like the passive: the last character named.
    // Under 把 the sufferer is named between 把 and the verb: a villain there is beaten; a
    // pronoun or a person there (它准会把她吃掉) suffers it.
    bool passive = false;
    std::size_t sufferer_at = i;
    for (std::size_t k = 1; k <= kPassiveReach && k <= i && !passive; ++k) {
      if (is_clause_end(tokens[i - k])) break;
      if (tokens[i - k] == "被") {
        passive = true;
        sufferer_at = i - k;
      } else if (tokens[i - k] == "把") {
        passive = true;
        for (std::size_t j = i - k + 1; j < i; ++j)
          if (is_pronoun(tokens[j]) || person[j]) passive = false;
        for (std::size_t j = i - k + 1; j < i; ++j)
          if (alone[j] && alone[j]->kind == CueKind::villain) passive = true;
      }
    }
    reader.read(*cue, i, span, sign * scale, escaped, passive, sufferer_at);
    i += span - 1;
  }
  reader.finish();
}

}  // namespace tonepoem::text
