// Stage 3, plan: the EmotionArc and Document into a CueSheet (model/cue_sheet.h): sections with a
// time span and a target emotion, plus the caption timeline.
#pragma once

#include <cstdint>

#include "model/cue_sheet.h"
#include "model/document.h"
#include "model/emotion_arc.h"

namespace tonepoem {

struct PlanOptions {
  // Total length in seconds; <= 0 means "from reading speed" (about 2.5 English words or
  // 6 Chinese characters a second, at least 20 s). Otherwise scenes are scaled to fill it.
  double duration_s = 0;
  std::uint64_t seed = 1;
  // Cue lengths a composer would use when a scene is cut at its turning points: no part under
  // min_cue_s (a scene shorter than that stays whole), none over max_cue_s where a paragraph
  // boundary allows it. max_cue_s <= 0: scenes are never cut.
  double min_cue_s = 15;
  double max_cue_s = 120;
  // A narrated story: one SpokenLine per sentence, and the length of the whole reading (lead-in,
  // pauses and outro included). Empty: not narrated. Each sentence's slot then runs from the
  // middle of the pause before it to the end of its speech (the last to spoken_duration_s), so
  // cues change halfway through pauses; captions take the spoken spans and words exactly, and
  // hit points sit at their starts. duration_s is ignored (the reading sets it).
  std::vector<SpokenLine> spoken = {};
  double spoken_duration_s = 0;
};

// The cue sheet of a story:
// - Cues. Every explicit scene (heading, ***, Fountain scene heading, timed gap) starts a cue.
//   Inside a scene the plan cuts where the sentence-level arc (EmotionArc::sentences: valence,
//   arousal, tension, smoothed over 3 sentences) turns: an optimal segmentation (dynamic
//   programming: scatter around each part's mean plus a cost per part), at paragraph boundaries
//   (Sentence::paragraph; a sentence boundary only where one paragraph would run far over
//   max_cue_s), every part within [min_cue_s, max_cue_s], about 1.2 cues a minute on typical
//   prose and never under 0.8 or over 2 a minute where the lengths allow. A scene cut in parts
//   names them "Title", "Title (2)", ...
// - Times. Each cue's span is proportional to its reading time (or the sentences' own timings
//   when the document has them), scaled to the duration; each sentence gets a caption span
//   inside its cue.
// - Targets. The confidence-weighted mean of the cue's sentence emotions, then stretched about a
//   neutral reference (valence 0, arousal kArousalReference in plan.cpp) so that the story's
//   arc is audible: each axis is scaled by up to 3x until the cues' RMS distance from the
//   reference reaches the spread of hand-annotated story arcs; sign (relative to the reference)
//   and order are kept, values clamped to range. EmotionArc::scenes is not used for targets.
// - Hit points: the story's peak lines (the climax, sudden drops, cries, sudden lifts), at the
//   start of their captions, ascending, at least 40 s apart, about one per two minutes at most.
CueSheet plan(const Document& document, const EmotionArc& arc, const PlanOptions& options);

}  // namespace tonepoem
