/* A game's integration of tonepoem live in one file: an SDL2 window whose arrow keys move the
 * story's emotion (left/right: valence, up/down: arousal), space fires a hit, 1/2/3 pick when a
 * change lands (beat, bar, phrase), Esc ends the music with a cadence and quits once it has rung
 * out. The audio callback pulls frames with tp_live_render; the keys call the setters from the
 * main thread.
 *
 *   build/live_host [SOUNDFONT.sf2]
 */
#include <SDL.h>
#include <stdio.h>

#include "live/tonepoem_live.h"

static void audio_callback(void* user, Uint8* stream, int bytes) {
  tp_live_render((tp_live*)user, (float*)stream, (size_t)bytes / (2 * sizeof(float)));
}

static double clamp(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

int main(int argc, char** argv) {
  tp_live_config config = tp_live_default_config();
  tp_live* live = NULL;
  char why[512];
  SDL_AudioSpec want, have;
  SDL_AudioDeviceID device;
  SDL_Window* window;
  SDL_Event event;
  double valence = config.valence, arousal = config.arousal;
  tp_live_transition at = TP_LIVE_AT_BAR;
  int running = 1, stopping = 0;

  if (argc > 1) config.soundfont = argv[1];
  if (tp_live_create(&config, &live, why, sizeof why) != TP_LIVE_OK) {
    fprintf(stderr, "live_host: %s\n", why);
    return 4;
  }
  if (SDL_Init(SDL_INIT_AUDIO | SDL_INIT_VIDEO) != 0) {
    fprintf(stderr, "live_host: SDL: %s\n", SDL_GetError());
    tp_live_destroy(live);
    return 1;
  }
  SDL_zero(want);
  want.freq = config.sample_rate;
  want.format = AUDIO_F32SYS;
  want.channels = 2;
  want.samples = 256;
  want.callback = audio_callback;
  want.userdata = live;
  device = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
  window = SDL_CreateWindow("tonepoem live: arrows, space, 1/2/3, Esc", SDL_WINDOWPOS_CENTERED,
                            SDL_WINDOWPOS_CENTERED, 480, 120, 0);
  if (device == 0 || window == NULL) {
    fprintf(stderr, "live_host: SDL: %s\n", SDL_GetError());
    SDL_Quit();
    tp_live_destroy(live);
    return 1;
  }
  SDL_PauseAudioDevice(device, 0);
  while (running) {
    while (SDL_PollEvent(&event)) {
      if (event.type == SDL_QUIT) running = 0;
      if (event.type != SDL_KEYDOWN || stopping) continue;
      switch (event.key.keysym.sym) {
        case SDLK_LEFT:
          valence = clamp(valence - 0.25, -1, 1);
          break;
        case SDLK_RIGHT:
          valence = clamp(valence + 0.25, -1, 1);
          break;
        case SDLK_UP:
          arousal = clamp(arousal + 0.25, -1, 1);
          break;
        case SDLK_DOWN:
          arousal = clamp(arousal - 0.25, -1, 1);
          break;
        case SDLK_SPACE:
          tp_live_hit(live, "accent");
          continue;
        case SDLK_1:
          at = TP_LIVE_AT_BEAT;
          continue;
        case SDLK_2:
          at = TP_LIVE_AT_BAR;
          continue;
        case SDLK_3:
          at = TP_LIVE_AT_PHRASE;
          continue;
        case SDLK_ESCAPE:
          tp_live_stop(live, TP_LIVE_END_CADENCE);
          stopping = 1;
          continue;
        default:
          continue;
      }
      tp_live_set_emotion(live, valence, arousal, clamp((arousal - valence) / 2, 0, 1), at);
      printf("valence %+.2f  arousal %+.2f\n", valence, arousal);
    }
    if (stopping && tp_live_finished(live)) running = 0;
    SDL_Delay(10);
  }
  SDL_CloseAudioDevice(device); /* the audio callback has returned: now the engine can go */
  tp_live_destroy(live);
  SDL_DestroyWindow(window);
  SDL_Quit();
  return 0;
}
