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
};

// Gives each scene a time span proportional to its reading time (or the sentences' own timings when
// the document has them) and each sentence a caption span within its scene.
CueSheet plan(const Document& document, const EmotionArc& arc, const PlanOptions& options);

}  // namespace tonepoem
