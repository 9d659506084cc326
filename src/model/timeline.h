// The timeline a picture track is cut to: beats, downbeats, sections with their emotion, captions
// with word times, the emotion curve and cut points, all in absolute seconds. The video stage
// renders from a Timeline and the audio, whatever made them: `make` builds it from the Score and
// the CueSheet (timeline_from_score); a song or a film will build it from beat tracking or cut
// detection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "model/cue_sheet.h"
#include "model/score.h"

namespace tonepoem {

struct TimelineSection {
  std::string name;
  double start_s = 0, end_s = 0;
  Emotion emotion;  // what the section carries (a cue's target, or measured from the music)
};

struct EmotionPoint {
  double time_s = 0;
  Emotion emotion;
};

// A stretch of one of the user's video clips on the picture track: shown from start_s to end_s of
// the video, played at its own speed from in_s to out_s of the clip (out_s - in_s = end_s -
// start_s), its own audio dropped.
struct ClipCut {
  std::string clip;  // the file
  double start_s = 0, end_s = 0;
  double in_s = 0, out_s = 0;
};

struct Timeline {
  std::string title;
  std::uint64_t seed = 1;  // the video's own random draws (slides, particles) follow it
  double duration_s = 0;
  std::vector<double> beats;                // seconds, ascending
  std::vector<double> downbeats;            // seconds, ascending, each also in `beats`
  std::vector<TimelineSection> sections;    // contiguous, in order (may be empty)
  std::vector<Caption> captions;            // in order, with word times where known
  std::vector<EmotionPoint> emotion_curve;  // ascending in time: the emotion at each caption start
  std::vector<HitPoint> hits;               // moments the music marks (model/cue_sheet.h)
  std::vector<double> cuts;    // where pictures must change (a film's cuts); empty: the video cuts
                               // at section starts and phrase downbeats
  std::vector<ClipCut> clips;  // the user's video clips, contiguous from 0 to duration_s, cut at
                               // `cuts` (empty: no clips; the pictures or the style are shown)
};

// The timeline of a composed piece: title, seed, sections and captions from the cue sheet, beats
// and downbeats from the score's tempo and meter maps (none when `score` has no tempo map).
Timeline timeline_from_score(const CueSheet& cues, const Score& score);

void to_json(nlohmann::json& j, const Timeline& t);
void from_json(const nlohmann::json& j, Timeline& t);

}  // namespace tonepoem
