// Music emotion from score features: feature extraction over a tick range and the documented
// formula of judge.h. Everything here is deterministic and linear in the number of notes (the
// dissonance sweep is quadratic only in the number of notes sounding at once).
#include "judge/judge.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "judge/judge_weights_embedded.h"

namespace tonepoem {
namespace {

// Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
constexpr std::array<double, 12> kMajorProfile = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                                  2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
constexpr std::array<double, 12> kMinorProfile = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                                  2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

// Dissonance of two simultaneous pitches by their distance modulo the octave (0 = consonant,
// 1 = most dissonant), a coarse reading of Plomp & Levelt's and Huron's consonance rankings:
// seconds, sevenths and the tritone are dissonant, thirds and sixths nearly consonant.
constexpr std::array<double, 12> kIntervalDissonance = {0.0, 1.0, 0.6, 0.1,  0.05, 0.15,
                                                        0.8, 0.0, 0.1, 0.05, 0.5,  0.9};

double clamp1(double x) {
  return std::clamp(x, -1.0, 1.0);
}
double clamp01(double x) {
  return std::clamp(x, 0.0, 1.0);
}

double pearson(const std::array<double, 12>& x, const std::array<double, 12>& profile, int tonic) {
  double mx = 0, my = 0;
  for (int i = 0; i < 12; ++i) {
    mx += x[static_cast<std::size_t>(i)];
    my += profile[static_cast<std::size_t>(i)];
  }
  mx /= 12;
  my /= 12;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < 12; ++i) {
    const double dx = x[static_cast<std::size_t>((i + tonic) % 12)] - mx;
    const double dy = profile[static_cast<std::size_t>(i)] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

bool is_drum(const Track& t) {
  return t.channel == 9;
}

// Emotion categories from the (valence, arousal, tension) point.
void fill_categories(Emotion& e, double loudness) {
  const double v = e.valence, a = e.arousal;
  const double pv = std::max(0.0, v), nv = std::max(0.0, -v);
  const double pa = std::max(0.0, a), na = std::max(0.0, -a);
  e.weight(Category::joy) = pv * (0.3 + 0.7 * pa);
  e.weight(Category::tenderness) = pv * (0.3 + 0.7 * na);
  e.weight(Category::sadness) = nv * (0.3 + 0.7 * na);
  e.weight(Category::fear) = nv * pa * (0.4 + 0.6 * e.tension);
  e.weight(Category::anger) = nv * pa * (0.4 + 0.6 * clamp01(loudness));
  e.weight(Category::surprise) = 0.3 * pa * e.tension * pv;
  e.weight(Category::disgust) = 0.2 * nv * e.tension * na;
}

}  // namespace

MusicFeatures extract_features(const Score& score, std::int64_t start_tick, std::int64_t end_tick) {
  MusicFeatures f;
  if (end_tick <= start_tick) return f;
  const double start_s = score.seconds_at(start_tick), end_s = score.seconds_at(end_tick);
  f.duration_s = end_s - start_s;
  if (f.duration_s > 0)
    f.tempo_bpm =
        static_cast<double>(end_tick - start_tick) / std::max(1, score.ppq) / (f.duration_s / 60.0);

  std::array<double, 12> pc_weight{};
  double vel_sum = 0, vel_sq = 0, pitch_sum = 0, pitch_weight = 0;
  int pitch_lo = 128, pitch_hi = -1, drum_notes = 0;
  double artic_sum = 0;
  int artic_count = 0;
  std::set<std::int64_t> onsets;
  struct Span {
    std::int64_t on, off;
    int pitch;
  };
  std::vector<Span> spans;  // pitched notes clipped to the range, for the dissonance sweep

  for (const Track& track : score.tracks) {
    const bool drums = is_drum(track);
    // Distinct onsets of this track (for inter-onset intervals).
    std::vector<std::int64_t> track_onsets;
    track_onsets.reserve(track.notes.size());
    for (const Note& n : track.notes) track_onsets.push_back(n.tick);
    std::sort(track_onsets.begin(), track_onsets.end());
    track_onsets.erase(std::unique(track_onsets.begin(), track_onsets.end()), track_onsets.end());

    for (const Note& n : track.notes) {
      if (n.pitch < 0 || n.pitch > 127) continue;  // not a MIDI note: ignored, never indexed
      const std::int64_t off = n.tick + std::max<std::int64_t>(1, n.duration);
      const bool starts_here = n.tick >= start_tick && n.tick < end_tick;
      if (starts_here) {
        ++f.note_count;
        onsets.insert(n.tick);
        vel_sum += n.velocity;
        vel_sq += static_cast<double>(n.velocity) * n.velocity;
        if (drums) ++drum_notes;
      }
      if (drums) continue;
      const std::int64_t on_c = std::max(n.tick, start_tick), off_c = std::min(off, end_tick);
      if (off_c <= on_c) continue;
      const double w = static_cast<double>(off_c - on_c);
      pc_weight[static_cast<std::size_t>(((n.pitch % 12) + 12) % 12)] += w;
      spans.push_back({on_c, off_c, n.pitch});
      if (!starts_here) continue;
      pitch_sum += n.pitch;
      pitch_weight += 1;
      pitch_lo = std::min(pitch_lo, n.pitch);
      pitch_hi = std::max(pitch_hi, n.pitch);
      auto next = std::upper_bound(track_onsets.begin(), track_onsets.end(), n.tick);
      if (next != track_onsets.end()) {
        const double ioi = static_cast<double>(*next - n.tick);
        artic_sum += std::min(1.5, static_cast<double>(n.duration) / ioi);
        ++artic_count;
      }
    }
  }
  if (f.note_count > 0) {
    f.mean_velocity = vel_sum / f.note_count;
    f.velocity_spread =
        std::sqrt(std::max(0.0, vel_sq / f.note_count - f.mean_velocity * f.mean_velocity));
    f.percussion_share = static_cast<double>(drum_notes) / f.note_count;
  }
  if (f.duration_s > 0) {
    f.notes_per_second = f.note_count / f.duration_s;
    f.onsets_per_second = static_cast<double>(onsets.size()) / f.duration_s;
  }
  if (pitch_weight > 0) {
    f.mean_pitch = pitch_sum / pitch_weight;
    f.pitch_range = pitch_hi - pitch_lo;
  }
  f.articulation = artic_count > 0 ? artic_sum / artic_count : 0.9;

  // Key finding: best major and best minor correlation over the 12 tonics.
  double best_major = -2, best_minor = -2;
  int major_tonic = 0, minor_tonic = 0;
  for (int tonic = 0; tonic < 12; ++tonic) {
    const double rmaj = pearson(pc_weight, kMajorProfile, tonic);
    const double rmin = pearson(pc_weight, kMinorProfile, tonic);
    if (rmaj > best_major) {
      best_major = rmaj;
      major_tonic = tonic;
    }
    if (rmin > best_minor) {
      best_minor = rmin;
      minor_tonic = tonic;
    }
  }
  if (!spans.empty()) {
    f.major_minor = best_major - best_minor;
    f.key_minor = best_minor > best_major;
    f.key_tonic = f.key_minor ? minor_tonic : major_tonic;
    f.key_correlation = std::max(best_major, best_minor);
  }

  // Dissonance: sweep the pitched notes; for every stretch with two or more distinct pitches
  // sounding, the mean dissonance of all their pairs, weighted by the stretch's length.
  std::vector<std::pair<std::int64_t, int>> edges;  // (tick, +pitch+1 on / -(pitch+1) off)
  edges.reserve(spans.size() * 2);
  for (const Span& s : spans) {
    edges.emplace_back(s.on, s.pitch + 1);
    edges.emplace_back(s.off, -(s.pitch + 1));
  }
  std::sort(edges.begin(), edges.end());
  std::array<int, 128> sounding{};
  double diss_sum = 0, diss_len = 0;
  for (std::size_t i = 0; i < edges.size();) {
    const std::int64_t tick = edges[i].first;
    for (; i < edges.size() && edges[i].first == tick; ++i) {
      const int code = edges[i].second;
      sounding[static_cast<std::size_t>(std::abs(code) - 1)] += code > 0 ? 1 : -1;
    }
    if (i >= edges.size()) break;
    const auto len = static_cast<double>(edges[i].first - tick);
    std::vector<int> pitches;
    for (int p = 0; p < 128; ++p)
      if (sounding[static_cast<std::size_t>(p)] > 0) pitches.push_back(p);
    if (pitches.size() < 2 || len <= 0) continue;
    double pair_sum = 0;
    int pairs = 0;
    for (std::size_t a = 0; a < pitches.size(); ++a)
      for (std::size_t b = a + 1; b < pitches.size(); ++b, ++pairs)
        pair_sum += kIntervalDissonance[static_cast<std::size_t>((pitches[b] - pitches[a]) % 12)];
    diss_sum += len * pair_sum / pairs;
    diss_len += len;
  }
  f.dissonance = diss_len > 0 ? diss_sum / diss_len : 0.0;
  return f;
}

FeatureTerms feature_terms(const MusicFeatures& f) {
  FeatureTerms t;
  const bool pitched = f.mean_pitch > 0;
  t.tempo = clamp1((f.tempo_bpm - 100.0) / 50.0);
  t.density = clamp1(std::log2(std::max(f.onsets_per_second, 1e-3) / 3.0) / 2.0);
  t.loudness = clamp1((f.mean_velocity - 75.0) / 35.0);
  t.percussion = clamp01(f.percussion_share / 0.25);
  t.staccato = clamp1((0.8 - f.articulation) / 0.4);
  t.mode = clamp1(f.major_minor / 0.25);
  t.height = pitched ? clamp1((f.mean_pitch - 62.0) / 12.0) : 0.0;
  t.consonance = clamp1((0.2 - f.dissonance) / 0.2);
  t.dissonant = clamp01(f.dissonance / 0.4);
  t.low = pitched ? clamp01((60.0 - f.mean_pitch) / 18.0) : 0.0;
  return t;
}

Emotion judge_features(const MusicFeatures& f) {
  Emotion e;
  if (f.note_count <= 0) return e;
  const FeatureTerms t = feature_terms(f);
  e.arousal = clamp1(0.35 * t.tempo + 0.25 * t.density + 0.25 * t.loudness + 0.10 * t.staccato +
                     0.15 * t.percussion - 0.05);
  e.valence = clamp1(0.45 * t.mode + 0.20 * t.height + 0.25 * t.consonance + 0.10 * t.tempo);
  e.tension = clamp01(0.50 * t.dissonant + 0.20 * t.low + 0.15 * std::max(0.0, -t.mode) +
                      0.15 * std::max(0.0, e.arousal));
  e.confidence = f.note_count / (f.note_count + 16.0);
  fill_categories(e, t.loudness);
  return e;
}

namespace {

template <typename Judge>
std::vector<Emotion> judge_each_section(const Score& score, Judge judge) {
  std::vector<Emotion> out;
  if (score.sections.empty()) {
    std::int64_t end = score.end_tick;
    for (const Track& t : score.tracks)
      for (const Note& n : t.notes) end = std::max(end, n.tick + 1);
    out.push_back(judge(extract_features(score, 0, end)));
    return out;
  }
  out.reserve(score.sections.size());
  for (const ScoreSection& s : score.sections)
    out.push_back(judge(extract_features(score, s.start_tick, s.end_tick)));
  return out;
}

}  // namespace

std::vector<Emotion> judge_sections(const Score& score) {
  return judge_each_section(score, [](const MusicFeatures& f) { return judge_features(f); });
}

std::vector<Emotion> judge_sections(const Score& score, const JudgeWeights& weights) {
  return judge_each_section(score,
                            [&](const MusicFeatures& f) { return judge_features(f, weights); });
}

TermVector term_vector(const FeatureTerms& t) {
  return {t.tempo, t.density, t.loudness,   t.percussion, t.staccato,
          t.mode,  t.height,  t.consonance, t.dissonant,  t.low};
}

JudgeWeights hand_set_weights() {
  JudgeWeights w;
  //           tempo density loud  perc  stacc mode  height cons  diss  low
  w.arousal = {0.35, 0.25, 0.25, 0.15, 0.10, 0, 0, 0, 0, 0};
  w.valence = {0.10, 0, 0, 0, 0, 0.45, 0.20, 0.25, 0, 0};
  w.arousal_bias = -0.05;
  w.source = "hand-set";
  return w;
}

JudgeWeights parse_judge_weights(std::string_view text, std::string_view where) {
  JudgeWeights w;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  std::array<bool, kTermCount> seen{};
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') {
      if (w.source.empty() && line.size() > 2) w.source = line.substr(2);
      continue;
    }
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    auto bad = [&](const std::string& why) {
      fail_input(std::string(where) + ":" + std::to_string(number), why,
                 "see the format in src/judge/judge_weights.txt");
    };
    if (key == "term") {
      std::string name;
      double v = 0, a = 0;
      if (!(fields >> name >> v >> a)) bad("expected: term NAME VALENCE_WEIGHT AROUSAL_WEIGHT");
      const auto it = std::find(kTermNames.begin(), kTermNames.end(), name);
      if (it == kTermNames.end()) bad("unknown term '" + name + "'");
      const auto k = static_cast<std::size_t>(it - kTermNames.begin());
      w.valence[k] = v;
      w.arousal[k] = a;
      seen[k] = true;
      continue;
    }
    double x = 0;
    if (!(fields >> x) || !std::isfinite(x)) bad("expected: " + key + " NUMBER");
    if (key == "valence_bias")
      w.valence_bias = x;
    else if (key == "arousal_bias")
      w.arousal_bias = x;
    else if (key == "valence_scale")
      w.valence_scale = x;
    else if (key == "arousal_scale")
      w.arousal_scale = x;
    else
      bad("unknown key '" + key + "'");
  }
  for (std::size_t k = 0; k < kTermCount; ++k)
    if (!seen[k])
      fail_input(std::string(where), "term " + std::string(kTermNames[k]) + " is missing",
                 "give every term of kTermNames");
  return w;
}

std::string format_judge_weights(const JudgeWeights& w, std::string_view header) {
  std::ostringstream out;
  out.precision(6);
  out << header;
  if (!header.empty() && header.back() != '\n') out << '\n';
  out << "valence_bias " << w.valence_bias << "\narousal_bias " << w.arousal_bias
      << "\nvalence_scale " << w.valence_scale << "\narousal_scale " << w.arousal_scale << '\n';
  out << "#    name        valence   arousal\n";
  for (std::size_t k = 0; k < kTermCount; ++k)
    out << "term " << kTermNames[k] << ' ' << w.valence[k] << ' ' << w.arousal[k] << '\n';
  return out.str();
}

JudgeWeights blend_weights(const JudgeWeights& a, const JudgeWeights& b, double share) {
  JudgeWeights w;
  const double ka = 1 - share, kb = share;
  for (std::size_t k = 0; k < kTermCount; ++k) {
    w.valence[k] = ka * a.valence_scale * a.valence[k] + kb * b.valence_scale * b.valence[k];
    w.arousal[k] = ka * a.arousal_scale * a.arousal[k] + kb * b.arousal_scale * b.arousal[k];
  }
  w.valence_bias = ka * a.valence_scale * a.valence_bias + kb * b.valence_scale * b.valence_bias;
  w.arousal_bias = ka * a.arousal_scale * a.arousal_bias + kb * b.arousal_scale * b.arousal_bias;
  w.source = "blend of (" + a.source + ") and (" + b.source + ")";
  return w;
}

const JudgeWeights& steering_judge_weights() {
  static const JudgeWeights weights =
      blend_weights(fitted_judge_weights(), hand_set_weights(), 0.5);
  return weights;
}

const JudgeWeights& fitted_judge_weights() {
  static const JudgeWeights weights = [] {
    try {
      return parse_judge_weights(kEmbeddedJudgeWeights, "judge_weights.txt (embedded)");
    } catch (const Error&) {
      return hand_set_weights();
    }
  }();
  return weights;
}

Emotion judge_features(const MusicFeatures& f, const JudgeWeights& w) {
  Emotion e = judge_features(f);
  if (f.note_count <= 0) return e;
  const FeatureTerms t = feature_terms(f);
  const TermVector x = term_vector(t);
  double v = w.valence_bias, a = w.arousal_bias;
  for (std::size_t k = 0; k < kTermCount; ++k) {
    v += w.valence[k] * x[k];
    a += w.arousal[k] * x[k];
  }
  e.valence = clamp1(w.valence_scale * v);
  e.arousal = clamp1(w.arousal_scale * a);
  e.tension = clamp01(0.50 * t.dissonant + 0.20 * t.low + 0.15 * std::max(0.0, -t.mode) +
                      0.15 * std::max(0.0, e.arousal));
  fill_categories(e, t.loudness);
  return e;
}

std::vector<JudgedWindow> judge_windows(const Score& score, double window_s, double hop_s) {
  return judge_windows(score, window_s, hop_s, hand_set_weights());
}

std::vector<JudgedWindow> judge_windows(const Score& score, double window_s, double hop_s,
                                        const JudgeWeights& weights) {
  if (!(window_s > 0) || !(hop_s > 0))
    fail_usage("the judge's window and hop must be positive seconds",
               "give a window of e.g. 4 seconds");
  std::vector<JudgedWindow> out;
  const double total = score.duration_s();
  for (double start = 0; start < total; start += hop_s) {
    JudgedWindow w;
    w.start_s = start;
    w.end_s = std::min(total, start + window_s);
    w.features = extract_features(score, score.tick_at(w.start_s), score.tick_at(w.end_s));
    w.emotion = judge_features(w.features, weights);
    out.push_back(w);
    if (w.end_s >= total) break;
  }
  return out;
}

Emotion judge_audio_features(const AudioFeatures& f) {
  Emotion e;
  if (f.duration_s <= 0 || f.rms_db <= -100) return e;
  const double level = clamp1((f.rms_db + 35.0) / 15.0);
  const double onsets = clamp1(std::log2(std::max(f.onset_rate, 1e-3) / 2.0) / 1.5);
  const double bright = clamp1((f.spectral_centroid_hz - 1200.0) / 800.0);
  const double zcr = clamp1((f.zero_crossing_rate - 0.03) / 0.03);
  e.arousal = clamp1(0.35 * level + 0.30 * onsets + 0.25 * bright + 0.10 * zcr);
  e.valence = clamp1(0.25 * (f.spectral_centroid_hz - 1200.0) / 1000.0);
  e.tension = clamp01(0.5 * clamp01((f.rms_spread_db - 3.0) / 9.0) +
                      0.5 * clamp01((1000.0 - f.spectral_centroid_hz) / 1000.0));
  e.confidence = 0.5 * clamp01(f.duration_s / 4.0);
  fill_categories(e, level);
  return e;
}

Emotion combine_judgements(const Emotion& s, const Emotion& a) {
  const double ws = s.confidence, wa = a.confidence;
  if (ws + wa <= 0) return Emotion{};
  auto blend = [](double x, double wx, double y, double wy) {
    return wx + wy > 0 ? (x * wx + y * wy) / (wx + wy) : 0.0;
  };
  Emotion e;
  e.arousal = blend(s.arousal, ws, a.arousal, wa);
  e.valence = blend(s.valence, ws, a.valence, 0.5 * wa);
  e.tension = blend(s.tension, ws, a.tension, wa);
  e.confidence = std::max(ws, wa);
  for (std::size_t c = 0; c < kCategoryCount; ++c)
    e.categories[c] = blend(s.categories[c], ws, a.categories[c], wa);
  return e.clamped();
}

void to_json(nlohmann::json& j, const MusicFeatures& f) {
  j = nlohmann::json{
      {"tempo_bpm", f.tempo_bpm},
      {"notes_per_second", f.notes_per_second},
      {"onsets_per_second", f.onsets_per_second},
      {"mean_velocity", f.mean_velocity},
      {"velocity_spread", f.velocity_spread},
      {"major_minor", f.major_minor},
      {"key", std::string(pitch_class_name(f.key_tonic)) + (f.key_minor ? " minor" : " major")},
      {"key_correlation", f.key_correlation},
      {"mean_pitch", f.mean_pitch},
      {"pitch_range", f.pitch_range},
      {"dissonance", f.dissonance},
      {"articulation", f.articulation},
      {"percussion_share", f.percussion_share},
      {"note_count", f.note_count},
      {"duration_s", f.duration_s}};
}

void to_json(nlohmann::json& j, const AudioFeatures& f) {
  j = nlohmann::json{{"rms_db", f.rms_db},
                     {"rms_spread_db", f.rms_spread_db},
                     {"spectral_centroid_hz", f.spectral_centroid_hz},
                     {"zero_crossing_rate", f.zero_crossing_rate},
                     {"onset_rate", f.onset_rate},
                     {"duration_s", f.duration_s}};
}

void to_json(nlohmann::json& j, const JudgedWindow& w) {
  j = nlohmann::json{{"start", w.start_s},
                     {"end", w.end_s},
                     {"valence", w.emotion.valence},
                     {"arousal", w.emotion.arousal},
                     {"tension", w.emotion.tension},
                     {"quadrant", quadrant_name(w.emotion.valence, w.emotion.arousal)},
                     {"features", w.features}};
}

}  // namespace tonepoem
