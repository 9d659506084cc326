// Objective, symbolic measures of a Score (after MusPy's and the music-generation literature's
// usual set), for benchmarks that compare our pieces with human ones and for the judge.
#pragma once

#include <cstdint>
#include <map>
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

// How much a piece loops: per track role, the share of the bars where the role plays (at least one
// note starts) whose notes (onset within the bar, pitch, length; loudness ignored) are exactly
// those of an earlier bar in [from, to). 0: every bar new; near 1: one bar over and over. Bars
// through the meter map; roles that never play in the range are left out.
std::map<std::string, double> bar_repetition(const Score& score, std::int64_t from = 0,
                                             std::int64_t to = INT64_MAX);

// Names and values in a fixed order, for tables.
std::vector<std::pair<std::string_view, double>> metric_values(const ScoreMetrics& m);

}  // namespace tonepoem
