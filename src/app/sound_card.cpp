#include "sound_card.h"

#include <SDL.h>

#include <string>

#include "core/error.h"

namespace tonepoem {

namespace {
constexpr std::size_t kFrameBytes = 2 * sizeof(float);
}

SoundCard::SoundCard(int sample_rate) : sample_rate_(sample_rate) {
  const auto fail = [](const std::string& what) {
    throw Error(ExitCode::missing_resource, "no sound card to play on: " + what, "",
                "write the music to a file with -o FILE.wav, or stream it with -o - | aplay -f "
                "FLOAT_LE -c 2 -r RATE (SDL_AUDIODRIVER chooses SDL's audio driver)");
  };
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) fail(SDL_GetError());
  SDL_AudioSpec want{};
  want.freq = sample_rate;
  want.format = AUDIO_F32SYS;
  want.channels = 2;
  want.samples = 1024;
  SDL_AudioSpec have{};
  device_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
  if (device_ == 0) {
    const std::string why = SDL_GetError();
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
    fail(why);
  }
  SDL_PauseAudioDevice(device_, 0);
}

SoundCard::~SoundCard() {
  // Play out what is queued, a second at most.
  for (int waited_ms = 0; SDL_GetQueuedAudioSize(device_) > 0 && waited_ms < 1000; waited_ms += 5)
    SDL_Delay(5);
  SDL_CloseAudioDevice(device_);
  SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

void SoundCard::write(const float* interleaved, std::size_t frames) {
  if (SDL_QueueAudio(device_, interleaved, static_cast<Uint32>(frames * kFrameBytes)) != 0)
    throw Error(ExitCode::output,
                std::string("the sound card refused the audio: ") + SDL_GetError(), "",
                "write the music to a file with -o FILE.wav instead");
  const auto ahead = static_cast<Uint32>(static_cast<std::size_t>(sample_rate_ / 10) * kFrameBytes);
  while (SDL_GetQueuedAudioSize(device_) > ahead) SDL_Delay(2);
}

}  // namespace tonepoem
