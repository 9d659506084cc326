#include "judge/calibrate.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"
#include "music/midi.h"

namespace tonepoem {
namespace {

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.emplace_back();
    else if (c != '\r')
      out.back().push_back(c);
  }
  return out;
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

struct Logistic {
  TermVector w{};
  double bias = 0;
  double logit(const TermVector& x) const {
    double z = bias;
    for (std::size_t k = 0; k < kTermCount; ++k) z += w[k] * x[k];
    return z;
  }
};

Logistic fit_logistic(const std::vector<const LabelledPiece*>& data, bool valence) {
  Logistic m;
  if (data.empty()) return m;
  const double rate = 0.5, l2 = 0.01;
  const double n = static_cast<double>(data.size());
  for (int iter = 0; iter < 3000; ++iter) {
    TermVector grad{};
    double gb = 0;
    for (const LabelledPiece* p : data) {
      const double prob = 1 / (1 + std::exp(-m.logit(p->terms)));
      const double err = prob - ((valence ? p->valence : p->arousal) > 0 ? 1.0 : 0.0);
      for (std::size_t k = 0; k < kTermCount; ++k) grad[k] += err * p->terms[k];
      gb += err;
    }
    for (std::size_t k = 0; k < kTermCount; ++k) m.w[k] -= rate * (grad[k] / n + l2 * m.w[k]);
    m.bias -= rate * gb / n;
  }
  return m;
}

// 0.9 / the 90th percentile of |logit| over the data.
double anchor_scale(const Logistic& m, const std::vector<const LabelledPiece*>& data) {
  std::vector<double> z;
  for (const LabelledPiece* p : data) z.push_back(std::abs(m.logit(p->terms)));
  if (z.empty()) return 1;
  std::sort(z.begin(), z.end());
  const double q = z[static_cast<std::size_t>(0.9 * static_cast<double>(z.size() - 1))];
  return q > 1e-6 ? 0.9 / q : 1.0;
}

JudgeWeights fit(const std::vector<const LabelledPiece*>& data) {
  const Logistic v = fit_logistic(data, true), a = fit_logistic(data, false);
  JudgeWeights w;
  w.valence = v.w;
  w.arousal = a.w;
  w.valence_bias = v.bias;
  w.arousal_bias = a.bias;
  w.valence_scale = anchor_scale(v, data);
  w.arousal_scale = anchor_scale(a, data);
  w.source = "fitted";
  return w;
}

double linear(const TermVector& w, double bias, const TermVector& x) {
  double z = bias;
  for (std::size_t k = 0; k < kTermCount; ++k) z += w[k] * x[k];
  return z;
}

}  // namespace

std::vector<LabelledPiece> load_vgmidi(const std::filesystem::path& dir, int* unreadable) {
  const std::filesystem::path csv_path = dir / "vgmidi_labelled.csv";
  std::ifstream csv(csv_path);
  if (!csv) fail_input(csv_path.string(), "cannot be read", "give the VGMIDI folder");
  std::string line;
  std::getline(csv, line);  // header: id,series,console,game,piece,midi,valence,arousal
  std::vector<LabelledPiece> out;
  int bad = 0;
  while (std::getline(csv, line)) {
    const auto f = csv_fields(line);
    if (f.size() < 8) continue;
    try {
      const Score score = load_midi(dir / f[5]);
      std::int64_t end = score.end_tick;
      for (const Track& t : score.tracks)
        for (const Note& n : t.notes) end = std::max(end, n.tick + n.duration);
      const MusicFeatures mf = extract_features(score, 0, end);
      if (mf.note_count == 0) {
        ++bad;
        continue;
      }
      LabelledPiece p;
      p.group = f[3] + "/" + f[4];
      p.terms = term_vector(feature_terms(mf));
      p.valence = std::stod(f[6]) > 0 ? 1 : -1;
      p.arousal = std::stod(f[7]) > 0 ? 1 : -1;
      out.push_back(std::move(p));
    } catch (const std::exception&) {
      ++bad;
    }
  }
  if (unreadable) *unreadable = bad;
  return out;
}

JudgeWeights fit_judge_weights(const std::vector<LabelledPiece>& pieces) {
  std::vector<const LabelledPiece*> all;
  for (const LabelledPiece& p : pieces) all.push_back(&p);
  return fit(all);
}

CrossValidation cross_validate(const std::vector<LabelledPiece>& pieces, int folds) {
  CrossValidation cv;
  cv.pieces = static_cast<int>(pieces.size());
  cv.folds = folds;
  if (pieces.empty() || folds < 2) return cv;
  std::set<std::string> groups;
  for (const LabelledPiece& p : pieces) groups.insert(p.group);
  cv.groups = static_cast<int>(groups.size());
  int v_ok = 0, a_ok = 0, both = 0, v_hi = 0, a_hi = 0, hv = 0, ha = 0, bv = 0, ba = 0, bboth = 0;
  const JudgeWeights hand = hand_set_weights();
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<const LabelledPiece*> train, test;
    for (const LabelledPiece& p : pieces)
      (static_cast<int>(fnv1a(p.group) % static_cast<std::uint64_t>(folds)) == fold ? test : train)
          .push_back(&p);
    const JudgeWeights w = fit(train);
    const JudgeWeights b = blend_weights(w, hand, 0.5);
    for (const LabelledPiece* p : test) {
      const bool v = (linear(b.valence, b.valence_bias, p->terms) >= 0) == (p->valence > 0);
      const bool a = (linear(b.arousal, b.arousal_bias, p->terms) >= 0) == (p->arousal > 0);
      bv += v;
      ba += a;
      bboth += v && a;
    }
    for (const LabelledPiece* p : test) {
      const bool v = (linear(w.valence, w.valence_bias, p->terms) >= 0) == (p->valence > 0);
      const bool a = (linear(w.arousal, w.arousal_bias, p->terms) >= 0) == (p->arousal > 0);
      v_ok += v;
      a_ok += a;
      both += v && a;
    }
  }
  for (const LabelledPiece& p : pieces) {
    v_hi += p.valence > 0;
    a_hi += p.arousal > 0;
    hv += (linear(hand.valence, hand.valence_bias, p.terms) >= 0) == (p.valence > 0);
    ha += (linear(hand.arousal, hand.arousal_bias, p.terms) >= 0) == (p.arousal > 0);
  }
  const double n = static_cast<double>(pieces.size());
  cv.valence_accuracy = v_ok / n;
  cv.arousal_accuracy = a_ok / n;
  cv.quadrant_accuracy = both / n;
  cv.valence_majority = std::max(v_hi, cv.pieces - v_hi) / n;
  cv.arousal_majority = std::max(a_hi, cv.pieces - a_hi) / n;
  cv.blend_valence_accuracy = bv / n;
  cv.blend_arousal_accuracy = ba / n;
  cv.blend_quadrant_accuracy = bboth / n;
  cv.hand_valence_accuracy = hv / n;
  cv.hand_arousal_accuracy = ha / n;
  return cv;
}

}  // namespace tonepoem
