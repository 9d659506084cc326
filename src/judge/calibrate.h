// Calibration of the judge on labelled music (VGMIDI: piano phrases labelled high/low valence and
// arousal by listeners, Ferreira & Whitehead 2019). Logistic regression on the judge's feature
// terms, scored by cross-validation grouped by piece: no piece is ever in both the training and
// the test fold, so the reported accuracy is held out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "judge/judge.h"

namespace tonepoem {

struct LabelledPiece {
  std::string group;   // the piece ("game/piece title"): phrases of one piece share a fold
  TermVector terms{};  // feature_terms of the whole phrase
  int valence = 0;     // +1 high, -1 low
  int arousal = 0;     // +1 high, -1 low
};

// Reads vgmidi_labelled.csv under `dir` and the MIDI files it names. Unreadable files are counted
// in `*unreadable` (when given) and skipped. Throws Error(bad_input) when the CSV is missing.
std::vector<LabelledPiece> load_vgmidi(const std::filesystem::path& dir, int* unreadable = nullptr);

struct CrossValidation {
  int pieces = 0, groups = 0, folds = 0;
  double valence_accuracy = 0, arousal_accuracy = 0, quadrant_accuracy = 0;
  double valence_majority = 0, arousal_majority = 0;            // majority-class baselines
  double hand_valence_accuracy = 0, hand_arousal_accuracy = 0;  // the hand-set formula, no fit
  // blend_weights(fold's fit, hand-set, 0.5): the steering judge, held out the same way.
  double blend_valence_accuracy = 0, blend_arousal_accuracy = 0, blend_quadrant_accuracy = 0;
};

// Logistic fit (L2 0.01, batch gradient descent, fixed iterations: deterministic). Scales are set
// so that the 90th percentile of |logit| on the training pieces maps to 0.9 (the labels say only
// high or low; this is how the judge's continuous scale is anchored).
JudgeWeights fit_judge_weights(const std::vector<LabelledPiece>& pieces);

// `folds`-fold cross-validation grouped by piece (fold = FNV-1a hash of the group mod folds).
CrossValidation cross_validate(const std::vector<LabelledPiece>& pieces, int folds = 5);

}  // namespace tonepoem
