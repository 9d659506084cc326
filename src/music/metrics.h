// Objective, symbolic measures of a Score (after MusPy's and the music-generation literature's
// usual set), for benchmarks that compare our pieces with human ones and for the judge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/score.h"

namespace tonepoem {

struct ScoreMetrics {
  double pitch_class_entropy = 0;  // bits (0..log2 12): spread of the pitch-class histogram
  double in_scale_ratio = 0;       // share of notes in the best-fitting major or minor scale
  double empty_beat_rate = 0;      // share of beats where no pitched note starts
  double groove_consistency = 0;   // 1 - mean Hamming distance between neighbouring bars' onset
                                   // patterns (16 positions a 4/4 bar)
  double voice_leading = 0;        // mean semitones each voice moves between successive chords
                                   // (nearest-note distance between neighbouring onset sets)
  double note_density = 0;         // pitched note onsets per second
  double pitch_range = 0;          // highest minus lowest pitched note, semitones
  std::size_t notes = 0;           // pitched notes measured (drums excluded)
};

// Percussion (channel 9) is left out of every measure except groove consistency.
ScoreMetrics measure(const Score& score);

// Names and values in a fixed order, for tables.
std::vector<std::pair<std::string_view, double>> metric_values(const ScoreMetrics& m);

}  // namespace tonepoem
