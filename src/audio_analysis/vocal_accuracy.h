// How closely a sung vocal (audio/sing.h, or anyone's) follows its notes, read back from its audio
// with aubio's pitch tracker (YIN) and onset detector: the measure of `make --sing`.
#pragma once

#include <cstddef>
#include <vector>

#include "model/audio.h"

namespace tonepoem {

struct VocalAccuracy {
  std::size_t notes = 0;
  // Notes whose middle half holds voiced frames (confidence >= 0.7): their pitch is the median
  // of those frames, and the error its distance from the note's pitch in cents.
  std::size_t pitched = 0;
  double median_pitch_error_cents = 0, p90_pitch_error_cents = 0;
  std::size_t within_50_cents = 0;
  // Notes with a detected onset within 100 ms of their start: the error is that distance.
  std::size_t onsets_found = 0;
  double median_onset_error_ms = 0, p90_onset_error_ms = 0;
};

// `voice`: the vocal alone (any rate; channels averaged). Notes in any order.
VocalAccuracy vocal_accuracy(const AudioBuffer& voice, const std::vector<SungNote>& notes);

}  // namespace tonepoem
