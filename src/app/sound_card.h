// The CLI's sound card for `tonepoem live`: an AudioStream that plays through SDL2's audio
// (PipeWire, PulseAudio or ALSA, whichever SDL finds; the SDL_AUDIODRIVER environment variable
// chooses, e.g. "disk" writes the samples to the file SDL_DISKAUDIOFILE names, as the tests do).
#pragma once

#include <cstddef>

#include "jobs/live_job.h"

namespace tonepoem {

class SoundCard final : public AudioStream {
 public:
  // Opens the default output device for stereo float at `sample_rate` (SDL converts to what the
  // device takes). Throws Error(missing_resource) with SDL's reason and the fix (-o FILE.wav, or
  // -o - piped to a player) when there is none.
  explicit SoundCard(int sample_rate);
  // Lets what is queued play out (a second at most), then closes the device.
  ~SoundCard() override;
  SoundCard(const SoundCard&) = delete;
  SoundCard& operator=(const SoundCard&) = delete;

  // Queues the frames, then waits while more than 0.1 s is queued: the render is paced by the
  // card's clock.
  void write(const float* interleaved, std::size_t frames) override;

 private:
  unsigned device_ = 0;
  int sample_rate_;
};

}  // namespace tonepoem
