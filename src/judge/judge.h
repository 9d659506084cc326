// Stage 5, judge: estimate the emotion that a Score carries, from musical features, so the
// pipeline can check the music against the plan.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "model/audio.h"
#include "model/score.h"

namespace tonepoem {

struct MusicFeatures {
  double tempo_bpm = 0;
  double notes_per_second = 0;
  double mean_velocity = 0;     // 0..127
  double velocity_spread = 0;   // standard deviation
  double major_minor = 0;       // Krumhansl key-profile strength: > 0 major-like, < 0 minor-like
  double mean_pitch = 0;        // MIDI number
  double pitch_range = 0;       // semitones
  double dissonance = 0;        // share of simultaneous intervals that are dissonant, 0..1
  double articulation = 0;      // mean sounded fraction of inter-onset interval, 0..1+
  double percussion_share = 0;  // share of notes on channel 9
  // Counts, onset rate and the best-fitting key; major_minor is the best major key's correlation
  // less the best minor key's:
  int note_count = 0;            // notes starting in the range (all tracks)
  double duration_s = 0;         // length of the range in seconds
  double onsets_per_second = 0;  // distinct onset times (all tracks merged) per second
  int key_tonic = 0;             // best-fitting key (Krumhansl-Kessler), pitch class
  bool key_minor = false;
  double key_correlation = 0;  // Pearson correlation of the pitch-class profile with that key
};

// Features of the notes sounding in [start_tick, end_tick).
MusicFeatures extract_features(const Score& score, std::int64_t start_tick, std::int64_t end_tick);

// The normalised terms of the judge's formula (below), each clamped to [-1, 1] or [0, 1]. Exposed
// so that refinement can see which musical quantity pulls an estimate away from its target.
struct FeatureTerms {
  double tempo = 0, density = 0, loudness = 0, percussion = 0, staccato = 0;  // arousal
  double mode = 0, height = 0, consonance = 0;                                // valence
  double dissonant = 0, low = 0;                                              // tension
};
FeatureTerms feature_terms(const MusicFeatures& features);

// Emotion estimated from features (valence, arousal, tension; confidence reflects note count).
// A transparent linear formula over normalised features (each clamped to [-1, 1] or [0, 1]):
//   tempo   T = (bpm - 100) / 50             density D = log2(onsets per s / 3) / 2
//   loud    L = (mean velocity - 75) / 35    percussion P = percussion share / 0.25  (0..1)
//   staccato S = (0.8 - articulation) / 0.4  mode M = major_minor / 0.25
//   height  R = (mean pitch - 62) / 12       consonance C = (0.2 - dissonance) / 0.2
//   dissonant X = dissonance / 0.4 (0..1)    low register W = (60 - mean pitch) / 18 (0..1)
//   arousal = 0.35 T + 0.25 D + 0.25 L + 0.10 S + 0.15 P - 0.05
//   valence = 0.45 M + 0.20 R + 0.25 C + 0.10 T
//   tension = 0.50 X + 0.20 W + 0.15 max(0, -M) + 0.15 max(0, arousal)
// Categories follow the quadrant (joy: +v+a, tenderness: +v-a, sadness: -v-a, fear: -v+a with
// tension, anger: -v+a loud). Confidence = notes / (notes + 16). No notes: a neutral Emotion{}.
// Weights are hand-set from the music-emotion literature (Gabrielsson & Lindstrom 2010), not
// fitted.
Emotion judge_features(const MusicFeatures& features);

// A linear model over the ten FeatureTerms, per axis:
//   valence = clamp(valence_scale * (valence_bias + sum_k valence[k] * term_k), -1, 1)
//   arousal = clamp(arousal_scale * (arousal_bias + sum_k arousal[k] * term_k), -1, 1)
// in the order of kTermNames. Tension and the categories always follow the hand-set formula.
constexpr std::size_t kTermCount = 10;
constexpr std::array<std::string_view, kTermCount> kTermNames = {
    "tempo", "density", "loudness",   "percussion", "staccato",
    "mode",  "height",  "consonance", "dissonant",  "low"};
using TermVector = std::array<double, kTermCount>;
TermVector term_vector(const FeatureTerms& terms);

struct JudgeWeights {
  TermVector valence{}, arousal{};
  double valence_bias = 0, arousal_bias = 0;
  double valence_scale = 1, arousal_scale = 1;
  std::string source;  // "hand-set" or the first header line of the weights file
};
// The hand-set formula above, as weights (the documented fallback).
JudgeWeights hand_set_weights();
// The weights fitted on VGMIDI, embedded at build time from src/judge/judge_weights.txt (format and
// provenance in its header). Falls back to hand_set_weights() if the embedded text does not parse.
const JudgeWeights& fitted_judge_weights();
// (1 - share) x `a` + share x `b`, before the clamp: one linear model (scales folded into the
// weights). The steering judge of refinement is blend_weights(fitted, hand-set, 0.5): the fitted
// model cannot see tempo or percussion (VGMIDI has neither), the hand-set one can.
JudgeWeights blend_weights(const JudgeWeights& a, const JudgeWeights& b, double share);
const JudgeWeights& steering_judge_weights();
// Text format: '#' comments; lines "valence_bias X", "arousal_bias X", "valence_scale X",
// "arousal_scale X", and "term NAME VALENCE_WEIGHT AROUSAL_WEIGHT" for each of kTermNames.
// Throws Error(bad_input) naming `where` and the line on anything else.
JudgeWeights parse_judge_weights(std::string_view text, std::string_view where);
std::string format_judge_weights(const JudgeWeights& w, std::string_view header);

// The same estimate as judge_features(features) with valence and arousal from `weights`.
Emotion judge_features(const MusicFeatures& features, const JudgeWeights& weights);

// One estimate per Score section (the whole score as one section when it has none), with the
// hand-set formula, or with `weights` when given.
std::vector<Emotion> judge_sections(const Score& score);
std::vector<Emotion> judge_sections(const Score& score, const JudgeWeights& weights);

struct JudgedWindow {
  double start_s = 0, end_s = 0;
  MusicFeatures features;
  Emotion emotion;
};
// Sliding windows of `window_s` seconds every `hop_s` seconds over [0, score.duration_s()).
// Throws Error(usage) if window_s or hop_s is not positive.
std::vector<JudgedWindow> judge_windows(const Score& score, double window_s, double hop_s);
// The same with the given weights (e.g. steering_judge_weights(), as `tonepoem judge` uses).
std::vector<JudgedWindow> judge_windows(const Score& score, double window_s, double hop_s,
                                        const JudgeWeights& weights);

// Emotion from audio features alone: arousal from level, onset rate, brightness and noisiness;
// valence weakly from brightness; tension from level spread and darkness. Meant for the
// synthesized audio before mastering (mastering evens out the level). Confidence 0.5 at most:
// audio features say less than the score does. Hand-set centres, not fitted:
//   arousal = 0.35 (rms_db + 35) / 15 + 0.30 log2(onset_rate / 2) / 1.5
//           + 0.25 (centroid - 1200) / 800 + 0.10 (zcr - 0.03) / 0.03
//   valence = 0.25 (centroid - 1200) / 1000
//   tension = 0.5 clamp01((rms_spread_db - 3) / 9) + 0.5 clamp01((1000 - centroid) / 1000)
Emotion judge_audio_features(const AudioFeatures& features);
// Blend of the score and audio estimates: each axis weighted by confidence, the audio estimate
// counting for valence half as much as for arousal.
Emotion combine_judgements(const Emotion& from_score, const Emotion& from_audio);

void to_json(nlohmann::json& j, const MusicFeatures& f);
void to_json(nlohmann::json& j, const AudioFeatures& f);
void to_json(nlohmann::json& j, const JudgedWindow& w);

}  // namespace tonepoem
