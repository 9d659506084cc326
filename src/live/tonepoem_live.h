/* tonepoem live: music composed in real time from an emotion stream, for games and live
 * storytelling. A plain C API (C99; usable from C++, C# P/Invoke, Rust, Godot GDExtension).
 *
 * In five calls:
 *
 *   tp_live_config config = tp_live_default_config();      // 48 kHz, seed 1, calm neutral start
 *   tp_live* live = NULL;
 *   char why[256];
 *   if (tp_live_create(&config, &live, why, sizeof why) != TP_LIVE_OK) { puts(why); return; }
 *   tp_live_set_emotion(live, -0.6, 0.8, 0.5, TP_LIVE_AT_BAR); // from the game thread
 *   tp_live_render(live, buffer, frames);                     // from the audio callback
 *   tp_live_stop(live, TP_LIVE_END_CADENCE);                  // a closing cadence, then silence
 *   tp_live_destroy(live);                                    // after the audio stream stopped
 *
 * What it does: a worker thread composes a bar or two ahead of what is heard with tonepoem's
 * offline composer (keys chosen near the key playing, cadences at phrase ends, a bridge with a
 * pivot modulation and a tempo ramp for TP_LIVE_AT_PHRASE; at a beat or bar the new music's first
 * bar eases in from the tempo and loudness that were playing), and hands the notes to the audio
 * thread through lock-free single-producer single-consumer queues; the audio thread plays them
 * through FluidSynth and a General MIDI SoundFont. A change of emotion replaces the music from the
 * next beat, bar or phrase on; notes already sounding ring to their end (never a cut).
 *
 * Threading rules:
 *   - tp_live_render is the audio thread's call: one thread at a time (the host's audio callback).
 *     It takes no lock, allocates nothing and makes no system call; it never waits for the
 *     composer (if the composer were late the music would pause, the audio never blocks).
 *   - tp_live_set_emotion, tp_live_set_character, tp_live_hit and tp_live_stop may be called from
 *     any thread, concurrently with each other and with render. They take a short lock shared
 *     only with the composer thread (never with render) and return at once.
 *   - tp_live_finished and tp_live_frames_rendered may be called from any thread.
 *   - tp_live_create and tp_live_destroy: from one thread, never while another call on the same
 *     engine runs (stop the audio stream before destroy).
 *   - Errors come back as codes (tp_live_status); tp_live_status_message names each, and
 *     tp_live_create writes why it failed into the caller's buffer. No call aborts or throws
 *     into the host.
 *
 * Times: an engine counts time in rendered frames. A command takes effect relative to the frames
 * rendered when it is made (tp_live_frames_rendered): at the first beat, bar line or phrase end
 * at or after that point (plus the block the audio thread may be rendering), so that an offline
 * host that renders up to a command's time and then makes the command gets the same audio, byte
 * for byte, for the same commands and seed.
 */
#ifndef TONEPOEM_LIVE_H
#define TONEPOEM_LIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tp_live tp_live;

typedef enum tp_live_status {
  TP_LIVE_OK = 0,
  TP_LIVE_CLAMPED = 1,         /* accepted; a value outside its range was clamped into it */
  TP_LIVE_ERR_ARGUMENT = -1,   /* a null pointer, NaN, unknown enum value or option */
  TP_LIVE_ERR_SOUNDFONT = -2,  /* the SoundFont is missing or not a readable SF2 */
  TP_LIVE_ERR_SYNTH = -3,      /* FluidSynth could not be started */
  TP_LIVE_ERR_STOPPED = -4,    /* the engine was stopped: no more commands */
  TP_LIVE_ERR_QUEUE_FULL = -5, /* more than 256 commands waiting: retry later */
  TP_LIVE_ERR_INTERNAL = -6    /* a bug; the message says more */
} tp_live_status;

/* When a change may happen. */
typedef enum tp_live_transition {
  TP_LIVE_AT_BEAT = 0,  /* the next beat: fastest, the new music starts mid-bar */
  TP_LIVE_AT_BAR = 1,   /* the next bar line */
  TP_LIVE_AT_PHRASE = 2 /* the end of the current phrase (4 or 8 bars), prepared by a bridge */
} tp_live_transition;

typedef enum tp_live_ending {
  TP_LIVE_END_CADENCE = 0, /* from the next bar: a short closing phrase with a ritardando */
  TP_LIVE_END_NOW = 1      /* from the next beat: no new notes; sounding notes ring out */
} tp_live_ending;

typedef struct tp_live_config {
  const char* soundfont; /* SF2 path; NULL or "": the installed General MIDI SoundFont */
  int sample_rate;       /* 8000 .. 192000 frames per second */
  uint64_t seed;         /* same seed and commands, same music */
  const char* style;     /* the orchestration: NULL, "" or "default" (each emotion's own
                          * orchestral palette), "piano", "strings", "chiptune" or "ambient"
                          * (`tonepoem live --help` lists them) */
  double valence;        /* the opening emotion: valence -1 .. 1 */
  double arousal;        /* -1 .. 1 */
  double tension;        /* 0 .. 1 */
} tp_live_config;

/* 48000 Hz, seed 1, the installed SoundFont, a calm pleasant opening (0.3, -0.2, 0). */
tp_live_config tp_live_default_config(void);

/* Loads the SoundFont and composes the opening bars (tens of milliseconds): call it before the
 * audio stream starts. On failure *out stays NULL and `message` (if not NULL) receives why and
 * what to do, NUL-terminated within message_size bytes. */
tp_live_status tp_live_create(const tp_live_config* config, tp_live** out, char* message,
                              size_t message_size);

/* The target emotion from the next beat, bar or phrase on. Out-of-range values are clamped
 * (TP_LIVE_CLAMPED); NaN is refused (TP_LIVE_ERR_ARGUMENT). */
tp_live_status tp_live_set_emotion(tp_live* live, double valence, double arousal, double tension,
                                   tp_live_transition at);

/* A character's leitmotif opens the phrases from the next bar on (name: any UTF-8 text; NULL or
 * "" removes it). */
tp_live_status tp_live_set_character(tp_live* live, const char* name);

/* A hit point on the next beat, played by the offline composer's hit machinery (the music from
 * that beat on is composed again in the same emotion, with the hit on its first beat and a new
 * phrase after it): "danger" or "stinger" (a rising run into a dissonant stab and tam-tam),
 * "death" or "silence" (a beat of silence, then a soft re-entry), "cry", "revelation" or "hold"
 * (the rhythm stops under a loud chord held two beats); "accent" and any other kind: a sforzando
 * chord with bass, cymbal and kick; "" is "accent". NULL: TP_LIVE_ERR_ARGUMENT. */
tp_live_status tp_live_hit(tp_live* live, const char* kind);

/* Writes `frames` frames of interleaved stereo float (L, R, L, R, ...) into `out`. Audio thread
 * only (see the threading rules). Silence after the ending has rung out. */
tp_live_status tp_live_render(tp_live* live, float* out, size_t frames);

/* Ends the music; tp_live_finished turns true once the last notes have rung out. Later commands
 * return TP_LIVE_ERR_STOPPED. */
tp_live_status tp_live_stop(tp_live* live, tp_live_ending ending);

/* 1 once an ending has played out (render then gives silence), else 0. */
int tp_live_finished(const tp_live* live);

/* Frames rendered so far (the engine's clock). */
uint64_t tp_live_frames_rendered(const tp_live* live);

/* Stops the composer thread and frees everything. NULL is allowed. */
void tp_live_destroy(tp_live* live);

/* A short English name for a status ("ok", "clamped", "bad argument", ...). Never NULL. */
const char* tp_live_status_message(tp_live_status status);

#ifdef __cplusplus
}
#endif

#endif /* TONEPOEM_LIVE_H */
