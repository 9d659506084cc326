// Judge accuracy on VGMIDI (Ferreira & Whitehead 2019: piano phrases labelled high/low valence
// and arousal by listeners). The judge's weights are hand-set (judge.h), not fitted on this data,
// so this is an honest held-out figure for them.
//
//   judge_vgmidi_bench [VGMIDI_DIR]   (default ../shared/data/vgmidi; research-use data, never
//   copied)
//
// Prints per-axis accuracy, the quadrant accuracy, a confusion matrix and the mean of each
// feature per label, so the formula's centres can be checked against real music; then, as a
// yardstick, a logistic fit on the same feature terms scored by 5-fold cross-validation grouped by
// piece, with the majority-class baseline.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "judge/judge.h"

namespace fs = std::filesystem;
using namespace tonepoem;

namespace {

// A small Standard MIDI File reader (type 0/1, running status, meta tempo, notes, programs);
// the project's own reader lives in music/midi.h.
bool parse_smf(const std::string& d, Score& score) {
  auto u16 = [&](std::size_t i) {
    return (unsigned(std::uint8_t(d[i])) << 8) | std::uint8_t(d[i + 1]);
  };
  auto u32 = [&](std::size_t i) { return (u16(i) << 16) | u16(i + 2); };
  if (d.size() < 14 || d.compare(0, 4, "MThd") != 0) return false;
  const unsigned ntracks = u16(10), division = u16(12);
  if (division & 0x8000) return false;  // SMPTE time: not used by VGMIDI
  score = Score{};
  score.ppq = static_cast<int>(division);
  score.tempo.clear();
  std::map<std::int64_t, double> tempo;
  std::size_t pos = 8 + u32(4);
  for (unsigned t = 0; t < ntracks && pos + 8 <= d.size(); ++t) {
    if (d.compare(pos, 4, "MTrk") != 0) return false;
    const std::size_t end = std::min(d.size(), pos + 8 + u32(pos + 4));
    std::size_t i = pos + 8;
    pos = end;
    std::int64_t tick = 0;
    int status = 0;
    std::array<Track, 16> by_channel;
    std::map<std::pair<int, int>, std::vector<std::pair<std::int64_t, int>>> open;
    auto var = [&]() {
      std::uint32_t v = 0;
      while (i < end) {
        const auto b = std::uint8_t(d[i++]);
        v = (v << 7) | (b & 0x7F);
        if (!(b & 0x80)) break;
      }
      return v;
    };
    while (i < end) {
      tick += var();
      if (i >= end) break;
      int b = std::uint8_t(d[i]);
      if (b & 0x80) {
        status = b;
        ++i;
      }
      if (status == 0xFF) {
        const int type = std::uint8_t(d[i++]);
        const std::uint32_t len = var();
        if (type == 0x51 && len == 3 && i + 3 <= end) {
          const double us =
              (std::uint8_t(d[i]) << 16) | (std::uint8_t(d[i + 1]) << 8) | std::uint8_t(d[i + 2]);
          tempo[tick] = 60e6 / us;
        }
        i += len;
        status = 0;
        continue;
      }
      if (status == 0xF0 || status == 0xF7) {
        i += var();
        status = 0;
        continue;
      }
      const int kind = status & 0xF0, ch = status & 0x0F;
      const int a = i < end ? std::uint8_t(d[i++]) : 0;
      const int v = (kind == 0xC0 || kind == 0xD0) ? 0 : (i < end ? std::uint8_t(d[i++]) : 0);
      if (kind == 0xC0) by_channel[std::size_t(ch)].program = a;
      if (kind == 0x90 && v > 0) {
        open[{ch, a}].push_back({tick, v});
      } else if (kind == 0x80 || (kind == 0x90 && v == 0)) {
        auto& stack = open[{ch, a}];
        if (!stack.empty()) {
          const auto [on, vel] = stack.front();
          stack.erase(stack.begin());
          by_channel[std::size_t(ch)].notes.push_back(
              {on, std::max<std::int64_t>(1, tick - on), a, vel});
        }
      }
    }
    for (int ch = 0; ch < 16; ++ch) {
      Track& tr = by_channel[std::size_t(ch)];
      if (tr.notes.empty()) continue;
      tr.channel = ch;
      std::sort(tr.notes.begin(), tr.notes.end(),
                [](const Note& x, const Note& y) { return x.tick < y.tick; });
      for (const Note& n : tr.notes) score.end_tick = std::max(score.end_tick, n.tick + n.duration);
      score.tracks.push_back(std::move(tr));
    }
  }
  if (tempo.empty() || tempo.begin()->first != 0) score.tempo.push_back({0, 120.0});
  for (const auto& [tick, bpm] : tempo) score.tempo.push_back({tick, bpm});
  return !score.tracks.empty();
}

// Logistic regression (L2, batch gradient descent) on the judge's feature terms: a yardstick for
// the hand-set weights, fitted and scored with 5-fold cross-validation grouped by piece.
using Terms = std::array<double, 10>;
Terms as_array(const FeatureTerms& t) {
  return {t.tempo, t.density, t.loudness,   t.percussion, t.staccato,
          t.mode,  t.height,  t.consonance, t.dissonant,  t.low};
}
struct Fitted {
  Terms w{};
  double bias = 0;
  double predict(const Terms& x) const {
    double z = bias;
    for (std::size_t k = 0; k < x.size(); ++k) z += w[k] * x[k];
    return z;
  }
};
Fitted fit_logistic(const std::vector<Terms>& x, const std::vector<int>& y) {
  Fitted m;
  const double rate = 0.5, l2 = 0.01;
  for (int iter = 0; iter < 3000; ++iter) {
    Terms grad{};
    double gb = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double p = 1 / (1 + std::exp(-m.predict(x[i])));
      const double err = p - (y[i] > 0 ? 1.0 : 0.0);
      for (std::size_t k = 0; k < grad.size(); ++k) grad[k] += err * x[i][k];
      gb += err;
    }
    const double n = static_cast<double>(x.size());
    for (std::size_t k = 0; k < grad.size(); ++k) m.w[k] -= rate * (grad[k] / n + l2 * m.w[k]);
    m.bias -= rate * gb / n;
  }
  return m;
}

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.emplace_back();
    else
      out.back().push_back(c);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path(TONEPOEM_SHARED_DATA) / "vgmidi";
  std::ifstream csv(dir / "vgmidi_labelled.csv");
  if (!csv) {
    std::fprintf(stderr, "judge_vgmidi: cannot read %s\n", (dir / "vgmidi_labelled.csv").c_str());
    return 1;
  }
  std::string line;
  std::getline(csv, line);  // header
  int total = 0, valence_ok = 0, arousal_ok = 0, both_ok = 0, skipped = 0;
  std::array<std::array<int, 4>, 4> confusion{};  // [label quadrant][judged quadrant]
  auto quadrant = [](double v, double a) { return v >= 0 ? (a >= 0 ? 0 : 1) : (a >= 0 ? 3 : 2); };
  std::map<std::string, std::array<double, 8>> sums;  // per label: feature sums
  std::map<std::string, int> counts;
  std::vector<Terms> terms;
  std::vector<int> valence_labels, arousal_labels;
  std::vector<std::string> groups;
  while (std::getline(csv, line)) {
    const auto f = csv_fields(line);
    if (f.size() < 8) continue;
    std::ifstream in(dir / f[5], std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    Score score;
    if (!in || !parse_smf(bytes.str(), score)) {
      ++skipped;
      continue;
    }
    const double lv = std::stod(f[6]), la = std::stod(f[7]);
    const MusicFeatures mf = extract_features(score, 0, score.end_tick);
    const Emotion e = judge_features(mf);
    terms.push_back(as_array(feature_terms(mf)));
    valence_labels.push_back(lv > 0 ? 1 : -1);
    arousal_labels.push_back(la > 0 ? 1 : -1);
    groups.push_back(f[3] + "/" + f[4]);
    ++total;
    const bool v_ok = (e.valence >= 0) == (lv > 0), a_ok = (e.arousal >= 0) == (la > 0);
    valence_ok += v_ok;
    arousal_ok += a_ok;
    both_ok += v_ok && a_ok;
    ++confusion[std::size_t(quadrant(lv, la))][std::size_t(quadrant(e.valence, e.arousal))];
    const std::array<double, 8> row = {
        mf.tempo_bpm,  mf.onsets_per_second, mf.mean_velocity, mf.major_minor,
        mf.mean_pitch, mf.dissonance,        mf.articulation,  e.valence};
    for (const std::string& key :
         {std::string(lv > 0 ? "v+" : "v-"), std::string(la > 0 ? "a+" : "a-")}) {
      for (std::size_t k = 0; k < row.size(); ++k) sums[key][k] += row[k];
      ++counts[key];
    }
  }
  std::printf("VGMIDI: %d pieces judged (%d unreadable)\n", total, skipped);
  std::printf(
      "valence accuracy (sign): %.3f\narousal accuracy (sign): %.3f\nquadrant accuracy: %.3f\n",
      double(valence_ok) / total, double(arousal_ok) / total, double(both_ok) / total);
  const char* names[] = {"happy", "calm", "sad", "tense"};
  std::printf("confusion (rows: label, cols: judged)   happy  calm   sad tense\n");
  for (int r = 0; r < 4; ++r)
    std::printf("  %-36s %5d %5d %5d %5d\n", names[r], confusion[std::size_t(r)][0],
                confusion[std::size_t(r)][1], confusion[std::size_t(r)][2],
                confusion[std::size_t(r)][3]);
  std::printf(
      "feature means   tempo onsets/s velocity major_minor pitch dissonance articulation "
      "valence\n");
  for (const auto& [key, s] : sums) {
    std::printf("  %-3s (n=%3d)", key.c_str(), counts[key]);
    for (double x : s) std::printf(" %8.3f", x / counts[key]);
    std::printf("\n");
  }

  // Cross-validated yardstick: folds by piece (game + piece title), so no piece is judged by a
  // model that saw it.
  std::map<std::string, int> fold_of;
  for (const std::string& g : groups)
    if (!fold_of.count(g)) fold_of[g] = static_cast<int>(std::hash<std::string>{}(g) % 5);
  int cv_valence = 0, cv_arousal = 0, cv_both = 0;
  Terms mean_wv{}, mean_wa{};
  for (int fold = 0; fold < 5; ++fold) {
    std::vector<Terms> train_x;
    std::vector<int> train_v, train_a;
    for (std::size_t i = 0; i < terms.size(); ++i)
      if (fold_of[groups[i]] != fold) {
        train_x.push_back(terms[i]);
        train_v.push_back(valence_labels[i]);
        train_a.push_back(arousal_labels[i]);
      }
    const Fitted mv = fit_logistic(train_x, train_v), ma = fit_logistic(train_x, train_a);
    for (std::size_t k = 0; k < mean_wv.size(); ++k) {
      mean_wv[k] += mv.w[k] / 5;
      mean_wa[k] += ma.w[k] / 5;
    }
    for (std::size_t i = 0; i < terms.size(); ++i) {
      if (fold_of[groups[i]] != fold) continue;
      const bool v_ok = (mv.predict(terms[i]) >= 0) == (valence_labels[i] > 0);
      const bool a_ok = (ma.predict(terms[i]) >= 0) == (arousal_labels[i] > 0);
      cv_valence += v_ok;
      cv_arousal += a_ok;
      cv_both += v_ok && a_ok;
    }
  }
  int v_major = 0, a_major = 0;
  for (int v : valence_labels) v_major += v > 0;
  for (int a : arousal_labels) a_major += a > 0;
  std::printf("majority-class baseline: valence %.3f, arousal %.3f\n",
              double(std::max(v_major, total - v_major)) / total,
              double(std::max(a_major, total - a_major)) / total);
  std::printf(
      "5-fold CV logistic fit on the same terms: valence %.3f, arousal %.3f, quadrant %.3f\n",
      double(cv_valence) / total, double(cv_arousal) / total, double(cv_both) / total);
  const char* term_names[] = {"tempo", "density", "loudness",   "percussion", "staccato",
                              "mode",  "height",  "consonance", "dissonant",  "low"};
  std::printf("mean fitted weights      valence  arousal\n");
  for (std::size_t k = 0; k < mean_wv.size(); ++k)
    std::printf("  %-20s %8.3f %8.3f\n", term_names[k], mean_wv[k], mean_wa[k]);
  return 0;
}
