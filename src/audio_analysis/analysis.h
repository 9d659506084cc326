// Stage audio-analysis: a finished song (decoded PCM) into a Timeline (model/timeline.h): beats,
// downbeats, meter and sections, so that pictures and captions can be cut to someone else's music.
//
// Beats: aubio's tempo tracker gives the raw beats (kept for comparison: they drift and jitter).
// Our own tracker reads a log-magnitude spectral-flux novelty curve (aubio's phase vocoder),
// estimates the beat period globally (comb of autocorrelations with a tempo prior) and in 8 s
// windows (tempo ramps), and fits one consistent beat grid to the novelty by dynamic programming
// (Ellis 2007: onset strength at each beat minus a penalty on deviations from the local period).
// Downbeats and meter: for meters 3 and 4 and every bar phase, the contrast between beats that
// would start a bar and the others, on low-frequency onset energy (bass and kick land on bar
// starts) and harmonic change (chords change on bar starts); the best meter and phase win.
// Sections: a novelty curve over bar-level chroma and loudness (checkerboard kernel on the bars'
// self-similarity), its peaks snapped to downbeats.
#pragma once

#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/error.h"
#include "model/audio.h"
#include "model/timeline.h"

namespace tonepoem {

struct AudioAnalysisOptions {
  double min_bpm = 50, max_bpm = 200;  // the beat period is searched in this range; 30..300
  double min_section_s = 12;           // shortest section the novelty may cut; 0 = no sections

  // Every out-of-range field with the accepted range (empty: valid).
  OptionProblems validate() const;
};

struct AudioAnalysis {
  Timeline timeline;              // duration, beats, downbeats, sections (emotion left neutral)
  double tempo_bpm = 0;           // median of the tracked beat periods (0: no beats)
  int beats_per_bar = 4;          // 3 or 4
  std::vector<double> raw_beats;  // aubio's tempo tracker, as it reports them
  std::vector<double> onsets;     // peaks of the novelty curve (accents), seconds
  std::vector<double> bar_loudness_db;  // RMS level of each bar (downbeat to downbeat), dBFS
};

// Analyses `audio` (any rate and channel count; channels are averaged). Deterministic. A silent
// or too short buffer gives no beats (callers decide whether that is an error). Throws
// InvalidOptions for bad options, Error(interrupted) once `cancel` is cancelled.
AudioAnalysis analyze_audio(const AudioBuffer& audio, const AudioAnalysisOptions& options = {},
                            const CancelToken& cancel = CancelToken::never());

// aubio's tempo tracker alone ("default" method, 1024-sample window, 512 hop), as a baseline:
// the beat times it reports, seconds.
std::vector<double> aubio_beats(const AudioBuffer& audio);

// Beat-tracking accuracy (MIREX): an estimate matches a reference beat within +-window_s, each
// used once; precision = matches / estimates, recall = matches / references, F their harmonic
// mean (0 when either list is empty, 1 when both are).
struct BeatAccuracy {
  double f_measure = 0, precision = 0, recall = 0;
  double mean_abs_error_s = 0;  // over the matched pairs
};
BeatAccuracy beat_accuracy(const std::vector<double>& reference,
                           const std::vector<double>& estimate, double window_s = 0.07);

}  // namespace tonepoem
