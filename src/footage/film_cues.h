// A film's cue sheet fitted to its picture: cue boundaries moved onto chosen cuts, hit points on
// hard cuts in high-arousal passages, a plan from the picture alone when there is no dialogue,
// and the music's gain under the dialogue.
#pragma once

#include <vector>

#include "footage/footage.h"
#include "model/cue_sheet.h"

namespace tonepoem {

// Where one cue boundary went: `wanted_s` from the dialogue (or the picture), `placed_s` where the
// cue now starts (a cut's time when `snapped`).
struct BoundaryPlacement {
  double wanted_s = 0, placed_s = 0;
  bool snapped = false;
  std::int64_t cut_frame = -1;  // the cut it sits on, or -1
};

struct FitOptions {
  double max_snap_s = 3.0;     // a boundary moves to the nearest cut at most this far away ...
  double snap_fraction = 0.3;  // ... and at most this fraction of the shorter neighbouring cue
  double min_cue_s = 2.0;      // a boundary that would leave a shorter cue is dropped (cues merge)
  // A hard cut becomes a hit point (kind "cut") in a cue whose target arousal reaches this, at
  // least `min_hit_gap_s` from other hits and from cue starts.
  double hit_arousal = 0.3;
  double min_hit_gap_s = 2.0;
};

// `planned` is the plan of the subtitles (plan/plan.h) for the film's length, one caption per
// subtitle sentence, in the plan's own (scaled) times; `spans` are the subtitles' real times, one
// per caption. The result keeps the plan's cues and targets, with each boundary at the gap between
// the subtitles it falls between, then on the nearest cut within reach; captions and the plan's
// own hit points take the subtitles' real times; hard cuts in high-arousal cues become hits.
// `placements` (may be null) receives one entry per boundary kept.
CueSheet fit_cues_to_film(const CueSheet& planned, const std::vector<Caption>& spans,
                          const FootageAnalysis& film, const FitOptions& options,
                          std::vector<BoundaryPlacement>* placements = nullptr);

// The picture's emotion over [start_s, end_s): arousal from the cut rate and motion, valence from
// brightness and colour, tension from darkness and motion. A heuristic, not a fitted model.
Emotion picture_emotion(const FootageAnalysis& film, double start_s, double end_s);

// No dialogue: cues of about `cue_s` seconds (at least `min_cue_s`; two at least when the film
// holds two of min_cue_s), each starting on a cut (the
// one nearest the even split), its target the picture's emotion; hard cuts in high-arousal cues
// become hits as above.
CueSheet picture_cues(const FootageAnalysis& film, std::uint64_t seed, const FitOptions& options,
                      double cue_s = 30.0, double min_cue_s = 8.0);

// The music's gain per frame at `sample_rate` over `duration_s`: 1, and 10^(-depth_db/20) under
// every span, reached with a raised-cosine ramp of `attack_s` that ends as the span starts and
// left with one of `release_s` after it ends (spans closer than the ramps stay ducked: no
// pumping between lines).
std::vector<float> dialogue_ducking_gain(const std::vector<Caption>& spans, double duration_s,
                                         int sample_rate, double depth_db, double attack_s = 0.25,
                                         double release_s = 0.6);

}  // namespace tonepoem
