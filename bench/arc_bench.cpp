// Story-following against hand-annotated arcs (bench/arcs/, protocol in bench/arcs/PROTOCOL.md):
// does the plan (and, with --judge, the music) follow what happens in real stories?
//
//   arc_bench [--split dev|heldout|all] [--judge] [--csv FILE] [--story SLUG] [--spans]
//             [--characters] [--plot DIR] [--check] [--lang en|zh]
//
// Each bench/arcs/*.json annotates one tale of Grimms' Fairy Tales (Project Gutenberg #2591) with
// spans of sentences (valence, arousal from the plot) and peak lines. The tale's text is cut out of
// ../shared/data/stories-en/grimms_fairy_tales_pg2591.txt at run time (it is not in the
// repository); without that file the bench says so and exits 0. `--lang zh` runs the Chinese set
// instead: bench/arcs/zh/<slug>.txt (our translations, in the repository) with <slug>.json.
//
// Per tale it runs the library as `tonepoem make` does (the tale as a .txt, default options) and
// prints: sentences, minutes of music, sections, sections per minute; Pearson r over sentences of
// the plan's per-sentence target (plan_target_at_sentence) and of the text's own sentence arc
// (smoothed over 5 sentences) against the annotation of the span holding the sentence. With
// --judge it also composes and refines (score_story) and prints the judged emotion of the music
// under each annotated span (quadrant agreement, r over spans) and the inside-cue figure: r over
// 20 s windows between the text's arousal and the music's loudness x density. Then the medians
// over tales, and the caption time of each peak line; with --characters, each tale's five most
// mentioned characters (EmotionArc::characters, what the leitmotifs follow). With --plot DIR, one
// PNG per tale (DIR/<slug>.png, drawn with Cairo): the text's smoothed arc, the plan's target, the
// annotated arc and (--judge) the judged music over time, with cue boundaries and hit points.
// Deterministic. See bench/arcs/README.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <cairo.h>
#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "core/error.h"
#include "core/output_sink.h"
#include "core/progress.h"
#include "grimm.h"
#include "jobs/make_job.h"
#include "judge/judge.h"
#include "plan/plan.h"
#include "text/analyze.h"
#include "text/document.h"

namespace fs = std::filesystem;
using namespace tonepoem;

namespace {

const fs::path kArcsDir = fs::path(TONEPOEM_SOURCE_DIR) / "bench" / "arcs";
// The Chinese set: our own translations of annotated tales, each <slug>.txt beside its <slug>.json
// (the same spans, anchored on the Chinese sentences; PROTOCOL.md, "The Chinese set").
const fs::path kArcsZhDir = kArcsDir / "zh";
const fs::path kGrimm = bench::grimm_file();

struct Span {
  std::string from;
  double valence = 0, arousal = 0;
  std::string event;
  std::size_t first = 0, last = 0;  // sentence indices in the Document, inclusive
};
struct Peak {
  std::string at, kind;
  std::size_t sentence = 0;
};
struct Tale {
  std::string slug, title, split;
  std::vector<Span> spans;
  std::vector<Peak> peaks;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "arc_bench: %s\n", message.c_str());
  std::exit(1);
}

// Pearson r; NaN under 3 points. A constant series (a plan with one section) follows nothing and
// scores 0, so that a flat plan counts against the median rather than dropping out of it.
double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 3) return NAN;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  const double tiny = 1e-12 * static_cast<double>(n);
  return sxx > tiny && syy > tiny ? sxy / std::sqrt(sxx * syy) : 0.0;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Whitespace runs collapsed to one space, trimmed; curly single and double quotes made straight,
// so an anchor matches however the parser or an editor wrote the quotes.
std::string normalise(std::string_view s) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    // U+2018/U+2019 (E2 80 98/99) and U+201C/U+201D (E2 80 9C/9D).
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
      const unsigned char d = static_cast<unsigned char>(s[i + 2]);
      if (d == 0x98 || d == 0x99 || d == 0x9C || d == 0x9D) {
        out += d <= 0x99 ? '\'' : '"';
        i += 2;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

// ---- The shared Grimm file: tales cut out by their title lines (bench/grimm.h) ----------------

std::string tale_text(const std::vector<std::string>& lines, const std::string& title) {
  if (std::optional<std::string> text = bench::grimm_tale(lines, title)) return *std::move(text);
  fail("title line \"" + title + "\" not found in " + kGrimm.string());
}

// ---- Annotations --------------------------------------------------------------------------------

Tale load_tale(const fs::path& path) {
  std::ifstream in(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    fail(path.string() + ": " + e.what());
  }
  Tale t;
  t.slug = path.stem().string();
  t.title = j.at("title").get<std::string>();
  t.split = j.at("split").get<std::string>();
  for (const auto& s : j.at("spans"))
    t.spans.push_back({s.at("from").get<std::string>(), s.at("valence").get<double>(),
                       s.at("arousal").get<double>(), s.value("event", ""), 0, 0});
  for (const auto& p : j.value("peaks", nlohmann::json::array()))
    t.peaks.push_back({p.at("at").get<std::string>(), p.at("kind").get<std::string>(), 0});
  if (t.spans.empty()) fail(path.string() + ": no spans");
  return t;
}

// Where each anchor falls in the Document: the sentences are joined (normalised, one space
// apart), each anchor is searched after the previous one, and the sentence holding its first
// character is the span's first sentence (robust to sentence splits that differ from a reader's).
struct Joined {
  std::string text;
  std::vector<std::size_t> starts;  // offset of each sentence in `text`
  std::size_t sentence_at(std::size_t offset) const {
    return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), offset) -
                                    starts.begin()) -
           1;
  }
};

Joined join_sentences(const Document& d) {
  Joined j;
  for (const Sentence& s : d.sentences) {
    if (!j.text.empty()) j.text += ' ';
    j.starts.push_back(j.text.size());
    j.text += normalise(s.text);
  }
  return j;
}

std::size_t find_anchor(const Joined& j, const Tale& t, const std::string& anchor,
                        std::size_t from) {
  const std::string a = normalise(anchor);
  const std::size_t pos = j.text.find(a, from);
  if (a.empty() || pos == std::string::npos)
    fail(t.slug + ".json (" + t.title + "): anchor \"" + anchor + "\" not found" +
         (from > 0 ? " after the previous anchor" : "") + " in the parsed tale");
  if (j.text.find(a, pos + 1) != std::string::npos)
    fail(t.slug + ".json (" + t.title + "): anchor \"" + anchor + "\" is not unique");
  return pos;
}

void place_anchors(Tale& t, const Document& d) {
  const Joined j = join_sentences(d);
  std::size_t from = 0;
  for (std::size_t k = 0; k < t.spans.size(); ++k) {
    const std::size_t pos = find_anchor(j, t, t.spans[k].from, from);
    from = pos + 1;
    t.spans[k].first = j.sentence_at(pos);
    if (k > 0) {
      if (t.spans[k].first <= t.spans[k - 1].first)
        fail(t.slug + ".json: anchor \"" + t.spans[k].from +
             "\" starts in the same sentence as the previous one");
      t.spans[k - 1].last = t.spans[k].first - 1;
    }
  }
  t.spans.back().last = d.sentences.size() - 1;
  for (Peak& p : t.peaks) p.sentence = j.sentence_at(find_anchor(j, t, p.at, 0));
}

// The annotated span holding sentence `i`, or none (the title line, before the first anchor).
const Span* span_of(const Tale& t, std::size_t i) {
  for (const Span& s : t.spans)
    if (i >= s.first && i <= s.last) return &s;
  return nullptr;
}

// ---- What the plan and the music say per sentence ----------------------------------------------

// The plan's target emotion at sentence `i`: the target of the cue whose span holds the middle of
// the sentence's caption. (If the cue sheet gains a finer per-sentence target curve, read it here.)
Emotion plan_target_at_sentence(const CueSheet& cues, std::size_t i) {
  if (i >= cues.captions.size() || cues.cues.empty()) return {};
  const double t = (cues.captions[i].start_s + cues.captions[i].end_s) / 2;
  for (const Cue& c : cues.cues)
    if (t >= c.start_s && t < c.end_s) return c.target;
  return t < cues.cues.front().start_s ? cues.cues.front().target : cues.cues.back().target;
}

// Centred moving mean over `width` sentences (fewer at the ends).
std::vector<double> smooth(const std::vector<double>& x, std::size_t width) {
  std::vector<double> out(x.size());
  const std::size_t h = width / 2;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t lo = i >= h ? i - h : 0, hi = std::min(x.size() - 1, i + h);
    double sum = 0;
    for (std::size_t k = lo; k <= hi; ++k) sum += x[k];
    out[i] = sum / static_cast<double>(hi - lo + 1);
  }
  return out;
}

bool positive(double x) {
  return x >= 0;
}

// Sign agreement of the plan with the annotation over spans: the plan's mean target over each
// span's sentences against the span's annotated valence and arousal (0 counts as positive).
struct PlanSigns {
  std::size_t spans = 0, quadrant = 0, valence = 0, arousal = 0;  // spans agreeing
  double share(std::size_t agreeing) const {
    return spans ? static_cast<double>(agreeing) / static_cast<double>(spans) : NAN;
  }
};

PlanSigns plan_signs(const Tale& t, const CueSheet& cues) {
  PlanSigns p;
  for (const Span& s : t.spans) {
    double v = 0, a = 0;
    for (std::size_t i = s.first; i <= s.last; ++i) {
      const Emotion e = plan_target_at_sentence(cues, i);
      v += e.valence, a += e.arousal;
    }
    const bool v_ok = positive(v) == positive(s.valence), a_ok = positive(a) == positive(s.arousal);
    ++p.spans;
    p.valence += v_ok;
    p.arousal += a_ok;
    p.quadrant += v_ok && a_ok;
  }
  return p;
}

// The pooled agreement over every span of the tales run, printed under the table.
void print_plan_signs(const std::vector<PlanSigns>& tales) {
  PlanSigns all;
  for (const PlanSigns& p : tales) {
    all.spans += p.spans, all.quadrant += p.quadrant;
    all.valence += p.valence, all.arousal += p.arousal;
  }
  std::printf(
      "\nplan sign agreement over all %zu spans: quadrant %.3f, valence %.3f, arousal %.3f\n",
      all.spans, all.share(all.quadrant), all.share(all.valence), all.share(all.arousal));
}

// ---- --plot DIR: one PNG per tale (text arc, plan, annotation, judged music)
// ---------------------

// What one tale's plot shows, gathered by run_tale; every time in seconds.
struct PlotSeries {
  std::vector<double> time;                          // per sentence: the middle of its caption
  std::vector<Emotion> text;                         // per sentence: the text's arc, smoothed
  std::vector<std::pair<double, double>> plan_span;  // per sentence: [caption start, next start)
  std::vector<Emotion> plan;                         // per sentence: plan_target_at_sentence
  struct Step {
    double t0, t1, valence, arousal;
  };
  std::vector<Step> annotated;  // per span
  std::vector<Step> judged;     // per span (--judge), drawn as markers at the middle
  std::vector<double> cue_starts;
  std::vector<HitPoint> hits;
  double duration_s = 0;
};

PlotSeries plot_series(const Tale& t, const MakeResult& r, bool judge) {
  PlotSeries p;
  p.duration_s = r.cues.duration_s;
  std::vector<double> v, a;
  for (const Emotion& e : r.arc.sentences) v.push_back(e.valence), a.push_back(e.arousal);
  const std::vector<double> sv = smooth(v, 5), sa = smooth(a, 5);
  const std::size_t n = std::min(r.cues.captions.size(), sv.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Caption& c = r.cues.captions[i];
    p.time.push_back((c.start_s + c.end_s) / 2);
    Emotion e;
    e.valence = sv[i], e.arousal = sa[i];
    p.text.push_back(e);
    const double next =
        i + 1 < r.cues.captions.size() ? r.cues.captions[i + 1].start_s : r.cues.duration_s;
    p.plan_span.emplace_back(c.start_s, next);
    p.plan.push_back(plan_target_at_sentence(r.cues, i));
  }
  const JudgeWeights& weights = steering_judge_weights();
  for (const Span& s : t.spans) {
    const double t0 = r.cues.captions.at(s.first).start_s, t1 = r.cues.captions.at(s.last).end_s;
    p.annotated.push_back({t0, t1, s.valence, s.arousal});
    if (!judge) continue;
    const Emotion e = judge_features(
        extract_features(r.score, r.score.tick_at(t0), r.score.tick_at(t1)), weights);
    p.judged.push_back({t0, t1, e.valence, e.arousal});
  }
  for (const Cue& c : r.cues.cues) p.cue_starts.push_back(c.start_s);
  p.hits = r.cues.hits;
  return p;
}

struct Rgb {
  double r, g, b;
};
constexpr Rgb kTextColour{0.35, 0.55, 0.85}, kPlanColour{0.90, 0.45, 0.10},
    kAnnotatedColour{0.10, 0.10, 0.10}, kJudgedColour{0.15, 0.65, 0.30},
    kHitColour{0.80, 0.10, 0.15}, kGridColour{0.85, 0.85, 0.85};

// Writes `file`: 1200x700, time (minutes) on x, a valence panel over an arousal panel in [-1, 1].
void write_plot(const fs::path& file, const std::string& heading, const PlotSeries& p) {
  constexpr int kWidth = 1200, kHeight = 700;
  constexpr double kLeft = 70, kRight = 1180, kPanelTop[2] = {80, 375}, kPanelHeight = 265;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, kHeight);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const double length = std::max(p.duration_s, 1.0);
  auto x_at = [&](double seconds) { return kLeft + (kRight - kLeft) * seconds / length; };
  auto colour = [&](Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); };
  auto text_at = [&](double x, double y, const std::string& s, double size, double align = 0) {
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s.c_str(), &ext);
    cairo_move_to(cr, x - align * ext.x_advance, y);
    cairo_show_text(cr, s.c_str());
  };

  colour(kAnnotatedColour);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  text_at(kLeft, 28, heading, 17);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

  // Legend, one row under the title.
  double lx = kLeft;
  auto legend = [&](Rgb c, const std::string& label, int symbol) {
    colour(c);
    cairo_set_line_width(cr, symbol == 1 ? 2.5 : 1.8);
    if (symbol == 2) {
      cairo_arc(cr, lx + 12, 51, 4, 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    } else if (symbol == 3) {
      cairo_move_to(cr, lx + 7, 46), cairo_line_to(cr, lx + 17, 46), cairo_line_to(cr, lx + 12, 55);
      cairo_close_path(cr);
      cairo_fill(cr);
    } else {
      cairo_move_to(cr, lx, 51), cairo_line_to(cr, lx + 24, 51);
      cairo_stroke(cr);
    }
    colour(kAnnotatedColour);
    text_at(lx + 30, 55, label, 12);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, label.c_str(), &ext);
    lx += 30 + ext.x_advance + 24;
  };
  legend(kTextColour, "text (sentences, smoothed over 5)", 0);
  legend(kPlanColour, "plan target", 0);
  legend(kAnnotatedColour, "annotated arc", 1);
  if (!p.judged.empty()) legend(kJudgedColour, "judged music (per span)", 2);
  legend(kHitColour, "hit points", 3);
  legend(kGridColour, "cue boundaries", 0);

  for (int panel = 0; panel < 2; ++panel) {
    const double top = kPanelTop[panel];
    auto y_at = [&](double value) {
      return top + kPanelHeight * (1 - (std::clamp(value, -1.0, 1.0) + 1) / 2);
    };
    auto value = [&](double v, double a) { return panel == 0 ? v : a; };
    // Grid, axis labels, cue boundaries.
    cairo_set_line_width(cr, 1);
    for (double g : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
      colour(g == 0 ? Rgb{0.6, 0.6, 0.6} : kGridColour);
      cairo_move_to(cr, kLeft, y_at(g)), cairo_line_to(cr, kRight, y_at(g));
      cairo_stroke(cr);
      colour({0.3, 0.3, 0.3});
      char buf[16];
      std::snprintf(buf, sizeof buf, "%+.1f", g);
      text_at(kLeft - 8, y_at(g) + 4, g == 0 ? "0" : buf, 11, 1);
    }
    colour(kGridColour);
    for (double c : p.cue_starts) {
      cairo_move_to(cr, x_at(c), top), cairo_line_to(cr, x_at(c), top + kPanelHeight);
      cairo_stroke(cr);
    }
    colour(kAnnotatedColour);
    cairo_save(cr);
    cairo_move_to(cr, 18, top + kPanelHeight / 2);
    cairo_rotate(cr, -std::numbers::pi / 2);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    text_at(0, 0, panel == 0 ? "valence" : "arousal", 13, 0.5);
    cairo_restore(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

    // The text's smoothed arc.
    colour(kTextColour);
    cairo_set_line_width(cr, 1.5);
    for (std::size_t i = 0; i < p.time.size(); ++i) {
      const double x = x_at(p.time[i]), y = y_at(value(p.text[i].valence, p.text[i].arousal));
      i == 0 ? cairo_move_to(cr, x, y) : cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
    // The plan's per-sentence target, as steps.
    colour(kPlanColour);
    cairo_set_line_width(cr, 2);
    for (std::size_t i = 0; i < p.plan.size(); ++i) {
      const double y = y_at(value(p.plan[i].valence, p.plan[i].arousal));
      i == 0 ? cairo_move_to(cr, x_at(p.plan_span[i].first), y)
             : cairo_line_to(cr, x_at(p.plan_span[i].first), y);
      cairo_line_to(cr, x_at(p.plan_span[i].second), y);
    }
    cairo_stroke(cr);
    // The annotated arc, steps per span.
    colour(kAnnotatedColour);
    cairo_set_line_width(cr, 2.5);
    for (std::size_t i = 0; i < p.annotated.size(); ++i) {
      const auto& s = p.annotated[i];
      const double y = y_at(value(s.valence, s.arousal));
      i == 0 ? cairo_move_to(cr, x_at(s.t0), y) : cairo_line_to(cr, x_at(s.t0), y);
      cairo_line_to(cr, x_at(s.t1), y);
    }
    cairo_stroke(cr);
    // The judged music per span.
    colour(kJudgedColour);
    for (const auto& s : p.judged) {
      cairo_arc(cr, x_at((s.t0 + s.t1) / 2), y_at(value(s.valence, s.arousal)), 4.5, 0,
                2 * std::numbers::pi);
      cairo_fill(cr);
    }
    // Hit points: small triangles on the panel's top edge.
    colour(kHitColour);
    for (const HitPoint& h : p.hits) {
      const double x = x_at(h.time_s);
      cairo_move_to(cr, x - 5, top - 9), cairo_line_to(cr, x + 5, top - 9);
      cairo_line_to(cr, x, top);
      cairo_close_path(cr);
      cairo_fill(cr);
    }
    colour({0.4, 0.4, 0.4});
    cairo_rectangle(cr, kLeft, top, kRight - kLeft, kPanelHeight);
    cairo_stroke(cr);
  }
  // Minutes on x.
  const double bottom = kPanelTop[1] + kPanelHeight;
  const int step = length > 20 * 60 ? 2 : 1;
  colour({0.3, 0.3, 0.3});
  for (int m = 0; m * 60 <= length; m += step) {
    cairo_move_to(cr, x_at(m * 60.0), bottom), cairo_line_to(cr, x_at(m * 60.0), bottom + 5);
    cairo_stroke(cr);
    text_at(x_at(m * 60.0), bottom + 19, std::to_string(m), 11, 0.5);
  }
  text_at((kLeft + kRight) / 2, bottom + 40, "time (minutes)", 13, 0.5);

  cairo_destroy(cr);
  const cairo_status_t status = cairo_surface_write_to_png(surface, file.string().c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    fail("cannot write " + file.string() + ": " + cairo_status_to_string(status));
}

// The plot of one tale as DIR/<slug>.png.
void plot_tale(const fs::path& dir, const Tale& t, const MakeResult& r, bool judge) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string heading = t.title + " (" + t.slug + ", " + t.split +
                              "): text arc, plan and annotation" +
                              (judge ? ", with the judged music" : "");
  write_plot(dir / (t.slug + ".png"), heading, plot_series(t, r, judge));
}

struct Row {
  std::string slug, split;
  std::size_t sentences = 0, spans = 0, sections = 0;
  double minutes = 0;
  double r_plan_v = NAN, r_plan_a = NAN, r_text_v = NAN, r_text_a = NAN;
  PlanSigns plan_signs;  // plan_q, plan_vs
  // --judge
  double quadrant = NAN, r_judge_v = NAN, r_judge_a = NAN, r_inside = NAN;
  double real_q = NAN, real_v = NAN, real_a = NAN;  // --judge: music against the plan (realize)
  double peak_gap = NAN;   // median seconds from a peak line's caption to the nearest cue start
  double hit_gap = NAN;    // median seconds from a peak line's caption to the nearest hit point
  std::size_t hits = 0;    // hit points the plan marked
  double seconds = 0;      // wall time of this tale
  std::string peaks;       // "death@12.3 cry@45.6 ..."
  std::string marked;      // the plan's hit points, the same way
  std::string characters;  // --characters: "name (mentions), ..." for the top five
};

struct Options {
  std::string split = "dev";
  bool judge = false;
  bool show_spans = false;  // print where each anchor landed (for annotators)
  bool check = false;       // only parse every tale and place its anchors; no figures
  bool characters = false;  // print the five most mentioned characters of each tale
  std::string csv, story;
  std::string plot;         // --plot DIR: DIR/<slug>.png per tale
  std::string lang = "en";  // en: bench/arcs/*.json on the shared Grimm file; zh: bench/arcs/zh/
};

// ---- Realization: does the music carry the PLAN's emotion? --------------------------------------

// The music judged against the plan rather than the annotation, per annotated span: real_q is the
// share of spans whose judged music lies in the quadrant of the plan's mean target over the span
// (plan_target_at_sentence averaged over the span's sentences), real_v and real_a the Pearson r
// over spans between that mean target and the judged music. This isolates the composer and the
// judge from the plan's own errors.
struct Realization {
  double quadrant = NAN, r_v = NAN, r_a = NAN;
};

Realization realization(const Tale& t, const CueSheet& cues, const Score& score,
                        const JudgeWeights& weights) {
  std::size_t agree = 0;
  std::vector<double> pv, pa, jv, ja;
  for (const Span& s : t.spans) {
    double v = 0, a = 0;
    for (std::size_t i = s.first; i <= s.last; ++i) {
      const Emotion p = plan_target_at_sentence(cues, i);
      v += p.valence, a += p.arousal;
    }
    const auto n = static_cast<double>(s.last - s.first + 1);
    v /= n, a /= n;
    const double t0 = cues.captions.at(s.first).start_s, t1 = cues.captions.at(s.last).end_s;
    const Emotion e =
        judge_features(extract_features(score, score.tick_at(t0), score.tick_at(t1)), weights);
    agree += positive(e.valence) == positive(v) && positive(e.arousal) == positive(a);
    pv.push_back(v), pa.push_back(a), jv.push_back(e.valence), ja.push_back(e.arousal);
  }
  return {static_cast<double>(agree) / static_cast<double>(t.spans.size()), pearson(pv, jv),
          pearson(pa, ja)};
}

// A CSV field in double quotes, inner quotes doubled, line breaks as spaces.
std::string csv_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out + '"';
}

Row run_tale(Tale& t, const std::string& text, const Options& o, std::ofstream* csv) {
  const double start = bench::now_s();
  MakeOptions mo;
  mo.story_text = text;
  mo.story_name = t.slug + ".txt";
  mo.video = false;
  MakeResult r;
  if (o.judge) {
    SilentProgress quiet;
    MemorySink sink;
    JobContext context(quiet, CancelToken(), sink);
    r = score_story(mo, context);
  } else {
    // score_story's stages up to the plan (no narration, default duration and seed): the same
    // Document, arc and cue sheet without composing.
    auto lexicons = load_lexicons({});
    r.document = parse_text(mo.story_text, mo.story_name, {});
    r.arc = analyze(r.document, {.lexicons = lexicons});
    r.cues = plan(r.document, r.arc, {.duration_s = mo.duration_s, .seed = mo.seed});
  }
  place_anchors(t, r.document);
  if (o.show_spans)
    for (const Span& s : t.spans)
      std::printf("  %-18s %3zu-%-3zu v %+.1f a %+.1f  %.70s\n", t.slug.c_str(), s.first, s.last,
                  s.valence, s.arousal, r.document.sentences[s.first].text.c_str());

  Row row;
  row.slug = t.slug;
  row.split = t.split;
  row.sentences = r.document.sentences.size();
  row.spans = t.spans.size();
  row.sections = r.cues.cues.size();
  row.minutes = r.cues.duration_s / 60;

  std::vector<double> text_v, text_a;
  for (const Emotion& e : r.arc.sentences) text_v.push_back(e.valence), text_a.push_back(e.arousal);
  const std::vector<double> sm_v = smooth(text_v, 5), sm_a = smooth(text_a, 5);
  std::vector<double> pv, pa, tv, ta, av, aa;
  for (std::size_t i = 0; i < row.sentences; ++i) {
    const Span* s = span_of(t, i);
    const Emotion p = plan_target_at_sentence(r.cues, i);
    const double time = i < r.cues.captions.size() ? r.cues.captions[i].start_s : NAN;
    if (csv)
      *csv << t.slug << ',' << i << ',' << time << ',' << text_v[i] << ',' << text_a[i] << ','
           << sm_v[i] << ',' << sm_a[i] << ',' << p.valence << ',' << p.arousal << ','
           << (s ? std::to_string(s->valence) : "") << ',' << (s ? std::to_string(s->arousal) : "")
           << ',' << csv_quoted(r.document.sentences[i].text) << '\n';
    if (!s) continue;
    pv.push_back(p.valence), pa.push_back(p.arousal);
    tv.push_back(sm_v[i]), ta.push_back(sm_a[i]);
    av.push_back(s->valence), aa.push_back(s->arousal);
  }
  row.r_plan_v = pearson(pv, av);
  row.r_plan_a = pearson(pa, aa);
  row.r_text_v = pearson(tv, av);
  row.r_text_a = pearson(ta, aa);
  row.plan_signs = plan_signs(t, r.cues);

  // Hit points: each peak line's caption start, and how far the nearest cue start is from it.
  std::vector<double> gaps, hit_gaps;
  for (const Peak& p : t.peaks) {
    const double at = r.cues.captions.at(p.sentence).start_s;
    double gap = INFINITY, hit_gap = INFINITY;
    for (const Cue& c : r.cues.cues) gap = std::min(gap, std::abs(c.start_s - at));
    for (const HitPoint& h : r.cues.hits) hit_gap = std::min(hit_gap, std::abs(h.time_s - at));
    gaps.push_back(gap);
    hit_gaps.push_back(hit_gap);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s@%.1fs", row.peaks.empty() ? "" : " ", p.kind.c_str(), at);
    row.peaks += buf;
  }
  row.peak_gap = median(gaps);
  row.hit_gap = median(hit_gaps);
  row.hits = r.cues.hits.size();
  for (const HitPoint& h : r.cues.hits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s@%.1fs", row.marked.empty() ? "" : " ", h.kind.c_str(),
                  h.time_s);
    row.marked += buf;
  }

  if (o.judge) {
    const Score& score = r.score;
    const JudgeWeights& weights = steering_judge_weights();
    // The music under each annotated span: the notes of the Score in its captions' time range.
    std::size_t agree = 0;
    std::vector<double> jv, ja, sv, sa;
    for (const Span& s : t.spans) {
      const double t0 = r.cues.captions.at(s.first).start_s, t1 = r.cues.captions.at(s.last).end_s;
      const MusicFeatures f = extract_features(score, score.tick_at(t0), score.tick_at(t1));
      const Emotion e = judge_features(f, weights);
      agree +=
          positive(e.valence) == positive(s.valence) && positive(e.arousal) == positive(s.arousal);
      jv.push_back(e.valence), ja.push_back(e.arousal);
      sv.push_back(s.valence), sa.push_back(s.arousal);
    }
    row.quadrant = static_cast<double>(agree) / static_cast<double>(t.spans.size());
    row.r_judge_v = pearson(jv, sv);
    row.r_judge_a = pearson(ja, sa);
    // Inside-cue: 20 s windows; the text's arousal (mean over captions whose middle is in the
    // window) against the music's loudness x density (mean velocity x notes per second).
    std::vector<double> wa, wm;
    const double length = score.duration_s();
    for (double w0 = 0; w0 + 1e-9 < length; w0 += 20) {
      const double w1 = std::min(w0 + 20, length);
      double sum = 0;
      int n = 0;
      for (std::size_t i = 0; i < r.cues.captions.size() && i < r.arc.sentences.size(); ++i) {
        const Caption& c = r.cues.captions[i];
        const double mid = (c.start_s + c.end_s) / 2;
        if (mid >= w0 && mid < w1) sum += r.arc.sentences[i].arousal, ++n;
      }
      if (n == 0 || w1 - w0 < 5) continue;
      const MusicFeatures f = extract_features(score, score.tick_at(w0), score.tick_at(w1));
      wa.push_back(sum / n);
      wm.push_back(f.mean_velocity * f.notes_per_second);
    }
    row.r_inside = pearson(wa, wm);
    const Realization real = realization(t, r.cues, score, weights);
    row.real_q = real.quadrant, row.real_v = real.r_v, row.real_a = real.r_a;
  }
  if (o.characters) {
    std::string who;
    for (std::size_t i = 0; i < r.arc.characters.size() && i < 5; ++i)
      who += (i ? ", " : "") + r.arc.characters[i].name + " (" +
             std::to_string(r.arc.characters[i].mentions) + ")";
    row.characters = who;
  }
  if (!o.plot.empty()) plot_tale(o.plot, t, r, o.judge);
  row.seconds = bench::now_s() - start;
  return row;
}

std::string fmt_r(double x) {
  if (std::isnan(x)) return "   n/a";
  if (std::abs(x) < 5e-4) x = 0;  // no "-0.000"
  char buf[16];
  std::snprintf(buf, sizeof buf, "%6.3f", x);
  return buf;
}

void print_header(bool judge) {
  std::printf("%-18s %-7s %5s %5s %5s %4s %7s  %6s %6s  %6s %6s  %6s", "story", "split", "sent",
              "spans", "min", "sect", "sect/mn", "plan_v", "plan_a", "text_v", "text_a", "peak_s");
  std::printf(" %6s %4s", "hit_s", "hits");
  std::printf("  %6s %7s", "plan_q", "plan_vs");
  if (judge) std::printf("  %6s %6s %6s %6s", "quad", "mus_v", "mus_a", "inside");
  if (judge) std::printf("  %6s %6s %6s", "real_q", "real_v", "real_a");
  std::printf("\n");
}

void print_row(const Row& w, bool judge) {
  std::printf("%-18s %-7s %5zu %5zu %5.1f %4zu %7.2f  %s %s  %s %s  %6.1f", w.slug.c_str(),
              w.split.c_str(), w.sentences, w.spans, w.minutes, w.sections,
              w.minutes > 0 ? static_cast<double>(w.sections) / w.minutes : 0.0,
              fmt_r(w.r_plan_v).c_str(), fmt_r(w.r_plan_a).c_str(), fmt_r(w.r_text_v).c_str(),
              fmt_r(w.r_text_a).c_str(), w.peak_gap);
  std::printf(" %6.1f %4zu", w.hit_gap, w.hits);
  std::printf("  %s  %s", fmt_r(w.plan_signs.share(w.plan_signs.quadrant)).c_str(),
              fmt_r(w.plan_signs.share(w.plan_signs.valence)).c_str());
  if (judge)
    std::printf("  %s %s %s %s", fmt_r(w.quadrant).c_str(), fmt_r(w.r_judge_v).c_str(),
                fmt_r(w.r_judge_a).c_str(), fmt_r(w.r_inside).c_str());
  if (judge)
    std::printf("  %s %s %s", fmt_r(w.real_q).c_str(), fmt_r(w.real_v).c_str(),
                fmt_r(w.real_a).c_str());
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  bench::use_build_data_folder();
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--split" && i + 1 < argc) {
      o.split = argv[++i];
      if (o.split != "dev" && o.split != "heldout" && o.split != "all")
        fail("--split takes dev, heldout or all");
    } else if (a == "--judge") {
      o.judge = true;
    } else if (a == "--csv" && i + 1 < argc) {
      o.csv = argv[++i];
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--characters") {
      o.characters = true;
    } else if (a == "--spans") {
      o.show_spans = true;
    } else if (a == "--plot" && i + 1 < argc) {
      o.plot = argv[++i];
    } else if (a == "--story" && i + 1 < argc) {
      o.story = argv[++i];
    } else if (a == "--lang" && i + 1 < argc) {
      o.lang = argv[++i];
      if (o.lang != "en" && o.lang != "zh") fail("--lang takes en or zh");
    } else {
      std::fprintf(
          stderr,
          "usage: arc_bench [--split dev|heldout|all] [--judge] [--csv FILE] "
          "[--story SLUG] [--spans] [--characters] [--plot DIR] [--check] [--lang en|zh]\n");
      return 2;
    }
  }
  const bool zh = o.lang == "zh";
  if (!zh && !fs::exists(kGrimm)) {
    std::printf("arc_bench: ../shared/data/stories-en not found; skipped\n");
    return 0;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(zh ? kArcsZhDir : kArcsDir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<Tale> tales;
  for (const fs::path& f : files) {
    Tale t = load_tale(f);
    if (t.split != "dev" && t.split != "heldout")
      fail(f.string() + ": split must be dev or heldout");
    if (!o.story.empty() ? t.slug == o.story : (o.split == "all" || t.split == o.split))
      tales.push_back(std::move(t));
  }
  if (tales.empty())
    fail("no annotated tale matches (--split " + o.split + " --story " + o.story + ")");

  const std::vector<std::string> lines =
      zh ? std::vector<std::string>{} : bench::read_lines(kGrimm);
  // The tale's text: cut out of the Grimm file by its title line, or the Chinese translation.
  auto text_of = [&](const Tale& t) {
    if (!zh) return tale_text(lines, t.title);
    const fs::path txt = kArcsZhDir / (t.slug + ".txt");
    std::ifstream in(txt, std::ios::binary);
    if (!in) fail("cannot read " + txt.string() + " (the translation beside " + t.slug + ".json)");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  if (o.check) {
    // Every tale of every split, parsed only: anchors found, in order, unique. Prints no figure, so
    // annotations of held-out tales can be checked without looking at tonepoem's output.
    std::size_t n = 0;
    for (const fs::path& f : files) {
      Tale t = load_tale(f);
      const std::string text = text_of(t);
      place_anchors(t, parse_text(text, t.slug + ".txt", {}));
      n += t.spans.size();
    }
    std::printf("arc_bench --check: %zu %s tales, %zu spans: every anchor found\n", files.size(),
                o.lang.c_str(), n);
    return 0;
  }
  std::optional<std::ofstream> csv;
  if (!o.csv.empty()) {
    csv.emplace(o.csv);
    if (!*csv) fail("cannot write " + o.csv);
    *csv << "story,sentence,time_s,text_valence,text_arousal,text_valence_smoothed,"
            "text_arousal_smoothed,plan_valence,plan_arousal,annotated_valence,annotated_arousal,"
            "text\n";
  }

  std::printf(
      "arc_bench: %zu %s tale(s), split %s%s; r = Pearson over sentences (plan_*, text_*) or "
      "spans (mus_*)\n",
      tales.size(), o.lang.c_str(),
      o.story.empty() ? o.split.c_str() : ("story " + o.story).c_str(),
      o.judge ? ", with --judge" : "");
  print_header(o.judge);
  std::vector<Row> rows;
  const double start = bench::now_s();
  for (Tale& t : tales) {
    try {
      rows.push_back(run_tale(t, text_of(t), o, csv ? &*csv : nullptr));
    } catch (const std::exception& e) {
      fail(t.slug + ": " + e.what());
    }
    print_row(rows.back(), o.judge);
    std::fflush(stdout);
  }
  auto med = [&](double Row::*field) {
    std::vector<double> v;
    for (const Row& w : rows) v.push_back(w.*field);
    return median(v);
  };
  std::vector<double> sent, spans, sect, minutes, per_min;
  for (const Row& w : rows) {
    sent.push_back(static_cast<double>(w.sentences));
    spans.push_back(static_cast<double>(w.spans));
    sect.push_back(static_cast<double>(w.sections));
    minutes.push_back(w.minutes);
    per_min.push_back(w.minutes > 0 ? static_cast<double>(w.sections) / w.minutes : NAN);
  }
  std::printf("%-18s %-7s %5.0f %5.0f %5.1f %4.0f %7.2f  %s %s  %s %s  %6.1f", "MEDIAN",
              o.story.empty() ? o.split.c_str() : "-", median(sent), median(spans), median(minutes),
              median(sect), median(per_min), fmt_r(med(&Row::r_plan_v)).c_str(),
              fmt_r(med(&Row::r_plan_a)).c_str(), fmt_r(med(&Row::r_text_v)).c_str(),
              fmt_r(med(&Row::r_text_a)).c_str(), med(&Row::peak_gap));
  std::vector<double> hit_counts;
  for (const Row& w : rows) hit_counts.push_back(static_cast<double>(w.hits));
  std::printf(" %6.1f %4.0f", med(&Row::hit_gap), median(hit_counts));
  std::vector<double> plan_q, plan_vs;
  std::vector<PlanSigns> signs;
  for (const Row& w : rows) {
    plan_q.push_back(w.plan_signs.share(w.plan_signs.quadrant));
    plan_vs.push_back(w.plan_signs.share(w.plan_signs.valence));
    signs.push_back(w.plan_signs);
  }
  std::printf("  %s  %s", fmt_r(median(plan_q)).c_str(), fmt_r(median(plan_vs)).c_str());
  if (o.judge)
    std::printf("  %s %s %s %s", fmt_r(med(&Row::quadrant)).c_str(),
                fmt_r(med(&Row::r_judge_v)).c_str(), fmt_r(med(&Row::r_judge_a)).c_str(),
                fmt_r(med(&Row::r_inside)).c_str());
  if (o.judge)
    std::printf("  %s %s %s", fmt_r(med(&Row::real_q)).c_str(), fmt_r(med(&Row::real_v)).c_str(),
                fmt_r(med(&Row::real_a)).c_str());
  std::printf("\n");
  print_plan_signs(signs);
  std::printf("\npeak lines (kind@caption start):\n");
  for (const Row& w : rows) std::printf("  %-18s %s\n", w.slug.c_str(), w.peaks.c_str());
  std::printf("\nhit points the plan marked (kind@time):\n");
  for (const Row& w : rows) std::printf("  %-18s %s\n", w.slug.c_str(), w.marked.c_str());
  if (o.characters) {
    std::printf("\ncharacters (top five, mentions):\n");
    for (const Row& w : rows) std::printf("  %-18s %s\n", w.slug.c_str(), w.characters.c_str());
  }
  std::printf("\n%.1f s wall (%.1f s per tale)\n", bench::now_s() - start,
              (bench::now_s() - start) / static_cast<double>(rows.size()));
  return 0;
}
