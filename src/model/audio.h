// Audio as every stage passes it: PCM samples (synthesis, narration, decoding, video) and the
// features measured on them (audio/audio.h: extract_audio_features; judge/judge.h reads them).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tonepoem {

struct AudioBuffer {
  int sample_rate = 44100;
  int channels = 2;
  std::vector<float> samples;  // interleaved, nominally in [-1, 1]
  std::size_t frames() const {
    return channels ? samples.size() / static_cast<std::size_t>(channels) : 0;
  }
  double duration_s() const {
    return sample_rate ? static_cast<double>(frames()) / sample_rate : 0.0;
  }
};

// Features measured on rendered audio (audio/audio.h: extract_audio_features).
struct AudioFeatures {
  double rms_db = -120;             // mean RMS level over 50 ms frames, dBFS
  double rms_spread_db = 0;         // standard deviation of the frame levels (dynamics)
  double spectral_centroid_hz = 0;  // energy-weighted mean over frames
  double zero_crossing_rate = 0;    // crossings per sample, mean over frames
  double onset_rate = 0;            // spectral-flux onsets per second
  double duration_s = 0;
};

// A note a voice sings (audio/sing.h sings them; audio_analysis measures how well): what it says
// (an English syllable's letters, or tone-numbered pinyin), its MIDI pitch and its time.
struct SungNote {
  std::string text;
  int pitch = 60;
  double start_s = 0, end_s = 0;
};

}  // namespace tonepoem
