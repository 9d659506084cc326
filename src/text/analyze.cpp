#include "text/analyze.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <cppjieba/MixSegment.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/lexicons.h"
#include "text/sentiment.h"
#include "text/unicode.h"

namespace tonepoem {
namespace {

// The language a sentence is read in: the document's, unless the sentence is clearly in the
// other script (a Chinese line in an English story, or the reverse).
Language sentence_language(std::string_view s, Language doc) {
  const text::ScriptCounts c = text::count_scripts(s);
  if (doc == Language::en && c.han > 0 && c.han * 4 > c.latin) return Language::zh;
  if (doc == Language::zh && c.han == 0 && c.latin > 0) return Language::en;
  return doc;
}

// `reading`: alone (analyze_sentence) or as a line of a story (the sentence pass), where
// narrative events and tempo dominate (text::Evidence::finish).
Emotion analyze_with_words(std::string_view sentence, Language language, const Lexicons& lex,
                           std::vector<std::string>* words, text::Evidence::Reading reading) {
  if (sentence.empty()) return Emotion{};
  return language == Language::zh ? text::chinese_evidence(sentence, lex, words).finish(reading)
                                  : text::english_evidence(sentence, lex, words).finish(reading);
}

bool is_capitalised_name(std::string_view w) {
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

// English function words and sentence openers that are capitalised for other reasons.
bool is_english_stop_name(std::string_view w) {
  static constexpr std::string_view kStop[] = {
      "The",        "A",         "An",        "And",      "But",       "Or",         "So",
      "Then",       "When",      "While",     "What",     "Who",       "Why",        "How",
      "Where",      "Oh",        "Ah",        "Yes",      "No",        "Not",        "If",
      "It",         "He",        "She",       "They",     "We",        "You",        "His",
      "Her",        "Their",     "Our",       "Your",     "My",        "This",       "That",
      "These",      "Those",     "There",     "Here",     "Now",       "One",        "All",
      "At",         "In",        "On",        "Of",       "To",        "For",        "With",
      "As",         "By",        "From",      "After",    "Before",    "Once",       "Upon",
      "Chapter",    "Mr",        "Mrs",       "Ms",       "Dr",        "Miss",       "Sir",
      "Monday",     "Tuesday",   "Wednesday", "Thursday", "Friday",    "Saturday",   "Sunday",
      "January",    "February",  "March",     "April",    "June",      "July",       "August",
      "September",  "October",   "November",  "December", "Well",      "Come",       "Let",
      "Do",         "Don't",     "Is",        "Are",      "Was",       "Will",       "Can",
      "Good",       "Alas",      "Goodbye",   "Hello",    "Please",    "Thank",      "Thanks",
      "Underneath", "Meanwhile", "Perhaps",   "Project",  "Gutenberg", "Foundation", "Literary",
      "Archive",    "License",   "Internet",  "United",   "States",    "Ebook",      "EBook",
      "Copyright",  "Section",   "English",   "Contents"};
  return std::find(std::begin(kStop), std::end(kStop), w) != std::end(kStop);
}

// Joins word tokens written with a hyphen between them and nothing else ("Red-Cap",
// "Snow-white", "mother-in-law"): ICU splits them, but a name keeps its hyphen. `words` are the
// word tokens of `sentence` in order.
void join_hyphenated(std::string_view sentence, std::vector<std::string>& words) {
  std::vector<std::string> out;
  out.reserve(words.size());
  std::size_t cursor = 0;
  std::size_t prev_end = std::string_view::npos;  // where the last token ended in `sentence`
  for (std::string& w : words) {
    const std::size_t at = w.empty() ? std::string_view::npos : sentence.find(w, cursor);
    if (at == std::string_view::npos) {  // not found as written: keep it, join nothing
      out.push_back(std::move(w));
      prev_end = std::string_view::npos;
      continue;
    }
    const std::size_t end = at + w.size();
    if (!out.empty() && prev_end != std::string_view::npos && at == prev_end + 1 &&
        sentence[prev_end] == '-') {
      out.back() += '-';
      out.back() += w;
    } else {
      out.push_back(std::move(w));
    }
    prev_end = end;
    cursor = end;
  }
  words = std::move(out);
}

struct NameStats {
  std::size_t mentions = 0;
  std::size_t non_initial = 0;
  std::size_t first_seen = 0;
  std::vector<std::size_t> sentences;  // where the name occurs, ascending
};

void note(std::map<std::string, NameStats>& names, const std::string& name, std::size_t sentence,
          std::size_t order, bool initial) {
  NameStats& st = names[name];
  if (st.mentions == 0) st.first_seen = order;
  ++st.mentions;
  if (!initial) ++st.non_initial;
  if (st.sentences.empty() || st.sentences.back() != sentence) st.sentences.push_back(sentence);
}

// What one pass over the sentences finds: their emotions and the recurring names.
struct SentencePass {
  std::vector<Emotion> emotions;
  struct Name {
    std::string name;
    std::size_t mentions = 0;
    std::vector<std::size_t> sentences;
  };
  std::vector<Name> names;  // most mentioned first
};

SentencePass read_sentences(const Document& document, const Lexicons& lex) {
  SentencePass pass;
  pass.emotions.reserve(document.sentences.size());
  std::map<std::string, NameStats> names;
  std::unordered_map<std::string, std::size_t> lower_counts;  // English words in lower case
  std::vector<std::string> words;
  std::size_t order = 0;
  for (std::size_t si = 0; si < document.sentences.size(); ++si) {
    const Sentence& s = document.sentences[si];
    words.clear();
    const Language lang = sentence_language(s.text, document.language);
    pass.emotions.push_back(
        analyze_with_words(s.text, lang, lex, &words, text::Evidence::Reading::story));
    if (lang == Language::en) {
      join_hyphenated(s.text, words);
      for (std::size_t i = 0; i < words.size(); ++i) {
        std::string w = words[i];
        // Possessives count as the name ("Gretel's"); other contractions ("I'll") are no names.
        for (std::string_view suffix : {"'s", "\xE2\x80\x99s"}) {
          if (w.size() > suffix.size() + 1 &&
              w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0)
            w.resize(w.size() - suffix.size());
        }
        if (w.find('\'') != std::string::npos || w.find("\xE2\x80\x99") != std::string::npos)
          continue;
        if (is_capitalised_name(w) && !is_english_stop_name(w.substr(0, w.find('-')))) {
          note(names, w, si, order++, i == 0);
        } else if (!w.empty() && w[0] >= 'a' && w[0] <= 'z') {
          ++lower_counts[w];
        }
      }
    } else {
      const auto& seg = *lex.chinese().segmenter;
      for (const std::string& w : words) {
        const std::size_t chars = text::count_scripts(w).han;
        if (chars < 2 || chars > 4) continue;
        const std::string tag = seg.LookupTag(w);
        const bool familiar =
            (w.rfind("小", 0) == 0 || w.rfind("老", 0) == 0 || w.rfind("阿", 0) == 0) && tag == "x";
        if (tag == "nr" || familiar) note(names, w, si, order++, false);
      }
    }
  }
  std::vector<std::pair<std::size_t, SentencePass::Name>> found;  // (first seen, name)
  for (auto& [name, st] : names) {
    if (st.mentions < 2 || st.non_initial == 0) continue;
    const auto lc = lower_counts.find(text::ascii_lower(name));
    if (lc != lower_counts.end() && lc->second * 2 >= st.mentions) continue;  // a common word
    found.push_back({st.first_seen, {name, st.mentions, st.sentences}});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    if (a.second.mentions != b.second.mentions) return a.second.mentions > b.second.mentions;
    return a.first < b.first;
  });
  for (auto& f : found) pass.names.push_back(std::move(f.second));
  return pass;
}

// Per scene emotions, smoothing, climax and the characters' scenes.
EmotionArc build_arc(const Document& document, const SentencePass& pass) {
  EmotionArc arc;
  arc.sentences = pass.emotions;
  for (const auto& n : pass.names) {
    Character c{n.name, {}, n.mentions};
    for (std::size_t si : n.sentences) {
      const std::size_t scene = document.sentences[si].scene;
      if (c.scenes.empty() || c.scenes.back() != scene) c.scenes.push_back(scene);
    }
    arc.characters.push_back(std::move(c));
  }
  // Per scene: confidence-weighted mean; tension also remembers the scene's sharpest moment.
  std::vector<Emotion> raw;
  for (const Scene& scene : document.scenes) {
    std::vector<double> weights;
    double peak_tension = 0.0;
    for (std::size_t i = scene.first_sentence; i < scene.first_sentence + scene.sentence_count;
         ++i) {
      weights.push_back(0.15 + arc.sentences[i].confidence);
      peak_tension = std::max(peak_tension, arc.sentences[i].tension);
    }
    if (weights.empty()) {
      raw.push_back(Emotion{});
      continue;
    }
    Emotion e =
        weighted_mean(arc.sentences.data() + scene.first_sentence, weights.data(), weights.size());
    e.tension = 0.7 * e.tension + 0.3 * peak_tension;
    raw.push_back(e);
  }
  // Smoothing: each scene moves up to 30% toward its neighbours' mean, less the further it stands
  // from them, so noise is softened while a real turn (a jump of 0.4 or more) stays nearly whole.
  arc.scenes = raw;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::vector<Emotion> nb;
    if (i > 0) nb.push_back(raw[i - 1]);
    if (i + 1 < raw.size()) nb.push_back(raw[i + 1]);
    if (nb.empty()) break;
    const std::vector<double> w(nb.size(), 1.0);
    const Emotion m = weighted_mean(nb.data(), w.data(), nb.size());
    const double delta = std::fabs(raw[i].valence - m.valence) +
                         std::fabs(raw[i].arousal - m.arousal) +
                         std::fabs(raw[i].tension - m.tension);
    const double alpha = 0.3 * std::exp(-std::pow(delta / 0.4, 2.0));
    Emotion& e = arc.scenes[i];
    e.valence += alpha * (m.valence - e.valence);
    e.arousal += alpha * (m.arousal - e.arousal);
    e.tension += alpha * (m.tension - e.tension);
    for (std::size_t c = 0; c < kCategoryCount; ++c)
      e.categories[c] += alpha * (m.categories[c] - e.categories[c]);
    e = e.clamped();
  }
  arc.climax_scene = 0;
  for (std::size_t i = 0; i < arc.scenes.size(); ++i) {
    if (arc.scenes[i].tension >= arc.scenes[arc.climax_scene].tension) arc.climax_scene = i;
  }
  return arc;
}

}  // namespace

Emotion analyze_sentence(std::string_view sentence, Language language, const Lexicons& lexicons) {
  return analyze_with_words(sentence, language, lexicons, nullptr,
                            text::Evidence::Reading::sentence);
}

EmotionArc analyze(const Document& document, const AnalyzeOptions& options) {
  if (!options.lexicons) throw Error(ExitCode::internal, "analyze() called without lexicons");
  return build_arc(document, read_sentences(document, *options.lexicons));
}

Document split_at_change_points(const Document& document,
                                const std::vector<Emotion>& sentence_emotions,
                                std::size_t max_sentences) {
  if (sentence_emotions.size() != document.sentences.size())
    throw Error(ExitCode::internal, "split_at_change_points: one emotion per sentence expected");
  if (max_sentences < 4) max_sentences = 4;
  const std::size_t min_piece = std::max<std::size_t>(2, max_sentences / 4);
  // The signal: each sentence's (valence, arousal, tension), lightly smoothed (5-sentence window)
  // so that one odd sentence does not make a scene.
  const std::size_t n = sentence_emotions.size();
  std::vector<std::array<double, 3>> sig(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::array<double, 3> sum{};
    double w = 0;
    for (std::size_t j = i >= 2 ? i - 2 : 0; j <= std::min(n - 1, i + 2); ++j) {
      const Emotion& e = sentence_emotions[j];
      const double wj = 0.2 + e.confidence;
      sum[0] += wj * e.valence;
      sum[1] += wj * e.arousal;
      sum[2] += wj * e.tension;
      w += wj;
    }
    for (double& x : sum) x /= w;
    sig[i] = sum;
  }
  // Prefix sums for O(1) segment means.
  std::vector<std::array<double, 3>> pre(n + 1, std::array<double, 3>{});
  for (std::size_t i = 0; i < n; ++i)
    for (int d = 0; d < 3; ++d) pre[i + 1][d] = pre[i][d] + sig[i][d];
  auto mean = [&](std::size_t a, std::size_t b, int d) {
    return (pre[b][d] - pre[a][d]) / static_cast<double>(b - a);
  };
  // Binary segmentation: split a too-long segment where the mean shift is largest (CUSUM-style
  // statistic weighted by the sizes of the two sides), until every piece fits.
  std::vector<std::size_t> cuts;
  std::vector<std::pair<std::size_t, std::size_t>> todo;
  for (const Scene& sc : document.scenes)
    todo.emplace_back(sc.first_sentence, sc.first_sentence + sc.sentence_count);
  std::vector<std::size_t> scene_starts;
  for (const Scene& sc : document.scenes) scene_starts.push_back(sc.first_sentence);
  while (!todo.empty()) {
    auto [a, b] = todo.back();
    todo.pop_back();
    if (b - a <= max_sentences || b - a < 2 * min_piece) continue;
    std::size_t best = a + (b - a) / 2;
    double best_score = -1;
    for (std::size_t k = a + min_piece; k + min_piece <= b; ++k) {
      double dist = 0;
      for (int d = 0; d < 3; ++d) dist += std::pow(mean(a, k, d) - mean(k, b, d), 2.0);
      const double score = dist * static_cast<double>(k - a) * static_cast<double>(b - k);
      if (score > best_score) best_score = score, best = k;
    }
    cuts.push_back(best);
    todo.emplace_back(a, best);
    todo.emplace_back(best, b);
  }
  if (cuts.empty()) return document;
  Document out = document;
  std::vector<std::size_t> starts = scene_starts;
  starts.insert(starts.end(), cuts.begin(), cuts.end());
  std::sort(starts.begin(), starts.end());
  out.scenes.clear();
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : n;
    Scene sc;
    const auto orig = std::find(scene_starts.begin(), scene_starts.end(), starts[k]);
    sc.title = orig != scene_starts.end()
                   ? document.scenes[static_cast<std::size_t>(orig - scene_starts.begin())].title
                   : std::string();
    sc.first_sentence = starts[k];
    sc.sentence_count = end - starts[k];
    out.scenes.push_back(std::move(sc));
  }
  // Scenes found this way are numbered afresh where they had a default title.
  for (std::size_t k = 0; k < out.scenes.size(); ++k) {
    Scene& sc = out.scenes[k];
    if (sc.title.empty() || sc.title.rfind("Scene ", 0) == 0)
      sc.title = "Scene " + std::to_string(k + 1);
    for (std::size_t i = sc.first_sentence; i < sc.first_sentence + sc.sentence_count; ++i)
      out.sentences[i].scene = k;
  }
  return out;
}

EmotionArc analyze_story(Document& document, const AnalyzeOptions& options) {
  if (!options.lexicons) throw Error(ExitCode::internal, "analyze_story() called without lexicons");
  const SentencePass pass = read_sentences(document, *options.lexicons);
  if (document.scenes.size() == 1 && options.change_point_sentences > 0 &&
      document.sentences.size() > options.change_point_sentences) {
    document = split_at_change_points(document, pass.emotions, options.change_point_sentences);
  }
  return build_arc(document, pass);
}

}  // namespace tonepoem
