// Stage 5b, refine: compose, judge each section against its cue's target emotion, and improve the
// sections that miss it. The result is a CueSheet whose cues carry the chosen CueAdjust (seed
// variation and parameter nudges), so `tonepoem compose cues.json` re-composes the same MIDI.
//
// Per section, in order (section i is judged inside the piece up to section i + 1, which is all
// that its notes depend on):
//   1. `seeds` candidates: variations 0 .. seeds-1 with no nudges;
//   2. while the arousal error is above `tolerance`, up to `rounds` correction rounds: first
//      `gains.size()` candidates that move arousal by gain x error, both in the emotion the mapping
//      sees (CueAdjust::arousal) and directly in the parameters that carry it (tempo, velocity);
//      then a pattern search: each of the five arousal levers (arousal, tempo, velocity, melody
//      density, articulation) one step up and down from the best so far, keeping whatever the
//      judge scores better; a round that improves nothing halves the step. Valence is never
//      steered (CueAdjust::valence and register_shift stay 0): the steering judge's valence is no
//      better than the majority baseline, so it may not overrule the plan;
//   3. the candidate of least cost wins (ties: the earlier one); a candidate whose section is in
//      the other mode family (major-ish lydian/ionian/mixolydian, minor-ish dorian..locrian) than
//      map_emotion(target) is never chosen:
//        cost = |judged - target| (arousal)
//             + quality_weight * max(0, 0.85 - in-scale ratio of the section)
//             + continuity_weight * max(0, |log2(tempo / previous section's tempo)| - 0.5)
//             + order_weight * (1 when the target's arousal rises (falls) by more than 0.2 from
//                               the previous section but the tempo does not rise (fall))
//   4. `passes` - 1 more passes over the sections still above the tolerance in the whole piece
//      (a section's ending depends on the next section's choice), from their current choice.
// Deterministic: the budget is a count of candidates. `time_cap_s` is only a safety stop; when it
// fires (never at the defaults on a 3-minute piece here) the result says so in `stopped_early`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "judge/judge.h"
#include "model/cue_sheet.h"
#include "music/compose.h"

namespace tonepoem {

struct RefineOptions {
  int seeds = 4;                           // 1 .. 16: variations tried first
  int rounds = 4;                          // 0 .. 8: correction rounds after the seeds
  std::vector<double> gains = {0.7, 1.2};  // 1 .. 4 gains, each a candidate per round, in (0, 3]
  double tolerance = 0.12;                 // 0 .. 1: accepted per-axis error
  double quality_weight = 0.3;             // 0 .. 2
  double continuity_weight = 0.1;          // 0 .. 2
  double order_weight = 0.5;               // 0 .. 2
  int passes = 2;                          // 1 .. 4: later passes revisit sections still off
  double time_cap_s = 0;                   // >= 0; 0: no cap
  const JudgeWeights* weights = nullptr;   // nullptr: steering_judge_weights() (as `make`)

  // Every problem, each naming the option and what it accepts. Empty when valid.
  std::vector<std::string> validate() const;
};

struct SectionRefinement {
  std::string name;
  Emotion target, judged_before, judged_after;
  double distance_before = 0, distance_after = 0;  // Euclidean over (valence, arousal)
  int candidates = 0;                              // composed for this section
  CueAdjust adjust;                                // what was chosen
  std::vector<std::string> changes;                // the chosen nudges, in words
  std::string flagged;  // why the target was not reached; empty if it was
};

struct RefineResult {
  CueSheet cues;  // the input with each cue's `adjust` set
  Score score;    // compose(cues, compose options)
  std::vector<SectionRefinement> sections;
  int candidates = 0;
  bool stopped_early = false;  // the time cap fired
  double seconds = 0;          // wall time (reported, never used to choose)
};

// Throws Error(usage) on invalid options. A cue sheet whose short cues compose merges (cues under
// 1.5 s) is not refined: it comes back unchanged with every section flagged saying so.
RefineResult refine(const CueSheet& cues, const ComposeOptions& compose_options,
                    const RefineOptions& options);

// Distance between judged and target on (valence, arousal), and the larger per-axis error.
double emotion_distance(const Emotion& judged, const Emotion& target);
double axis_error(const Emotion& judged, const Emotion& target);

void to_json(nlohmann::json& j, const SectionRefinement& s);

}  // namespace tonepoem
