/* The C API used from C (compiled as C99 with -pedantic): a host creates an engine, moves the
 * emotion, fires a hit, renders, stops, and sees codes and messages for bad calls. Exit status 0
 * when every check holds; each failed check prints what failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/tonepoem_live.h"

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static double rms(const float* frames, size_t count) {
  double sum = 0;
  size_t i;
  for (i = 0; i < 2 * count; ++i) sum += (double)frames[i] * frames[i];
  return sqrt(sum / (double)(2 * count));
}

int main(void) {
  enum { kBlock = 256, kSeconds = 6 };
  tp_live_config config = tp_live_default_config();
  tp_live* live = NULL;
  char why[512];
  float* block = malloc(sizeof(float) * 2 * kBlock);
  size_t rendered = 0;
  double loud = 0;
  tp_live_status status;

  /* A SoundFont that does not exist: a code and a message naming the file. */
  config.soundfont = "/nonexistent/missing.sf2";
  status = tp_live_create(&config, &live, why, sizeof why);
  CHECK(status == TP_LIVE_ERR_SOUNDFONT);
  CHECK(live == NULL);
  CHECK(strstr(why, "missing.sf2") != NULL);

  config = tp_live_default_config();
  config.sample_rate = 1000;
  CHECK(tp_live_create(&config, &live, why, sizeof why) == TP_LIVE_ERR_ARGUMENT);
  CHECK(strstr(why, "sample_rate") != NULL);

  /* A style: one of the names the message lists. */
  config = tp_live_default_config();
  config.style = "baroque";
  CHECK(tp_live_create(&config, &live, why, sizeof why) == TP_LIVE_ERR_ARGUMENT);
  CHECK(strstr(why, "baroque") != NULL && strstr(why, "chiptune") != NULL);
  config.style = "piano";
  CHECK(tp_live_create(&config, &live, why, sizeof why) == TP_LIVE_OK);
  tp_live_destroy(live);
  live = NULL;

  config = tp_live_default_config();
  config.seed = 7;
  status = tp_live_create(&config, &live, why, sizeof why);
  if (status != TP_LIVE_OK) {
    fprintf(stderr, "tp_live_create: %s: %s\n", tp_live_status_message(status), why);
    return 1;
  }
  CHECK(tp_live_set_emotion(live, -0.6, 0.8, 0.5, TP_LIVE_AT_BAR) == TP_LIVE_OK);
  CHECK(tp_live_set_emotion(live, 3.0, 0.0, 0.0, TP_LIVE_AT_BEAT) == TP_LIVE_CLAMPED);
  CHECK(tp_live_set_emotion(live, NAN, 0.0, 0.0, TP_LIVE_AT_BEAT) == TP_LIVE_ERR_ARGUMENT);
  CHECK(tp_live_set_emotion(live, 0.0, 0.0, 0.0, (tp_live_transition)9) == TP_LIVE_ERR_ARGUMENT);
  CHECK(tp_live_hit(live, "accent") == TP_LIVE_OK);
  CHECK(tp_live_hit(live, NULL) == TP_LIVE_ERR_ARGUMENT);
  CHECK(tp_live_set_character(live, "Mara") == TP_LIVE_OK);
  CHECK(tp_live_set_emotion(NULL, 0, 0, 0, TP_LIVE_AT_BAR) == TP_LIVE_ERR_ARGUMENT);

  while (rendered < (size_t)kSeconds * 48000) {
    CHECK(tp_live_render(live, block, kBlock) == TP_LIVE_OK);
    loud += rms(block, kBlock);
    rendered += kBlock;
  }
  CHECK(tp_live_frames_rendered(live) == rendered);
  CHECK(loud / (double)(rendered / kBlock) > 0.001); /* music, not silence */

  CHECK(tp_live_stop(live, TP_LIVE_END_NOW) == TP_LIVE_OK);
  CHECK(tp_live_stop(live, TP_LIVE_END_NOW) == TP_LIVE_ERR_STOPPED);
  CHECK(tp_live_set_emotion(live, 0, 0, 0, TP_LIVE_AT_BAR) == TP_LIVE_ERR_STOPPED);
  while (!tp_live_finished(live) && rendered < (size_t)(kSeconds + 10) * 48000) {
    tp_live_render(live, block, kBlock);
    rendered += kBlock;
  }
  CHECK(tp_live_finished(live) == 1);
  CHECK(strcmp(tp_live_status_message(TP_LIVE_ERR_STOPPED), "the engine was stopped") == 0);
  tp_live_destroy(live);
  tp_live_destroy(NULL);
  free(block);
  if (failures == 0) printf("live C API: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
