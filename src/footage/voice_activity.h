// Voice activity in a film's own sound track: where someone speaks, for ducking the music when
// there are no subtitles. A plain detector, not a trained model: 10 ms frames of the speech band
// (300-3400 Hz) against the track's own background level, spectral flatness (voiced speech is
// harmonic, noise is flat) and syllabic modulation (speech rises and falls several times a second;
// a held chord or steady noise does not), then a hangover that bridges the pauses between words.
#pragma once

#include <vector>

#include "model/audio.h"
#include "model/cue_sheet.h"

namespace tonepoem {

class PcmSource;  // audio/audio.h

struct VoiceActivityOptions {
  double hop_s = 0.01;      // one decision per hop
  double window_s = 0.032;  // analysis window (Hann)
  double band_low_hz = 300, band_high_hz = 3400;
  double background_window_s = 6.0;    // the background is a low percentile of the band level ...
  double background_percentile = 0.1;  // ... over this long a window centred on the frame
  double min_snr_db = 8.0;             // band level over the background for a speech-like frame
  double max_flatness = 0.45;          // band spectral flatness (0 tonal .. 1 white noise)
  double modulation_window_s = 0.3;    // the band level's spread over this window ...
  double min_modulation_db = 3.0;      // ... at least this much (syllables)
  double hangover_s = 0.2;             // speech continues this long after its last frame
  double bridge_s = 0.35;              // pauses shorter than this inside speech are bridged
  double min_speech_s = 0.15;          // shorter bursts are dropped (a door, a click)
};

struct VoiceActivity {
  double hop_s = 0.01;
  std::vector<bool> speech;    // one per hop from time 0, after hangover, bridging and pruning
  std::vector<Caption> spans;  // the runs of `speech` as spans (no text)
};

// Detects speech in `audio` (any rate and channel count; mixed to mono). Silence and audio
// shorter than one window give no speech.
VoiceActivity detect_voice_activity(const AudioBuffer& audio,
                                    const VoiceActivityOptions& options = {});
// The same read from a source a frame at a time (memory flat in the length).
VoiceActivity detect_voice_activity(const PcmSource& audio,
                                    const VoiceActivityOptions& options = {});

}  // namespace tonepoem
