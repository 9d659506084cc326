// The C API over live::Engine: every call catches what the engine throws and returns a code.

#include "live/tonepoem_live.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <string>

#include "core/error.h"
#include "live/engine.h"

struct tp_live {
  tonepoem::live::Engine engine;
  explicit tp_live(const tonepoem::live::EngineOptions& options) : engine(options) {}
};

namespace {

void write_message(char* message, std::size_t size, const std::string& text) {
  if (!message || size == 0) return;
  const std::size_t n = std::min(size - 1, text.size());
  std::memcpy(message, text.data(), n);
  message[n] = '\0';
}

tp_live_status status_of(const tonepoem::Error& e) {
  switch (e.code()) {
    case tonepoem::ExitCode::missing_resource:
      return TP_LIVE_ERR_SOUNDFONT;
    case tonepoem::ExitCode::usage:
      return TP_LIVE_ERR_ARGUMENT;
    default:
      return TP_LIVE_ERR_INTERNAL;
  }
}

// Runs a setter; maps the engine's refusals to codes.
template <typename F>
tp_live_status guarded(tp_live* live, F&& f) {
  if (!live) return TP_LIVE_ERR_ARGUMENT;
  try {
    return f();
  } catch (const tonepoem::live::CommandRefused& e) {
    return e.reason() == tonepoem::live::CommandRefused::Reason::stopped ? TP_LIVE_ERR_STOPPED
                                                                         : TP_LIVE_ERR_QUEUE_FULL;
  } catch (const tonepoem::Error& e) {
    return status_of(e);
  } catch (...) {
    return TP_LIVE_ERR_INTERNAL;
  }
}

}  // namespace

extern "C" {

tp_live_config tp_live_default_config(void) {
  tp_live_config c{};
  c.soundfont = nullptr;
  c.sample_rate = 48000;
  c.seed = 1;
  c.style = nullptr;
  c.valence = 0.3;
  c.arousal = -0.2;
  c.tension = 0.0;
  return c;
}

tp_live_status tp_live_create(const tp_live_config* config, tp_live** out, char* message,
                              size_t message_size) {
  if (out) *out = nullptr;
  if (!config || !out) {
    write_message(message, message_size, "tp_live_create: config and out must not be NULL");
    return TP_LIVE_ERR_ARGUMENT;
  }
  try {
    tonepoem::live::EngineOptions options;
    if (config->soundfont) options.soundfont = config->soundfont;
    options.sample_rate = config->sample_rate;
    options.seed = config->seed;
    if (config->style) options.style = config->style;
    options.start = tonepoem::Emotion::at(config->valence, config->arousal, config->tension);
    *out = new tp_live(options);
    return TP_LIVE_OK;
  } catch (const tonepoem::Error& e) {
    write_message(message, message_size, e.describe());
    return status_of(e);
  } catch (const std::exception& e) {
    write_message(message, message_size, e.what());
    return TP_LIVE_ERR_INTERNAL;
  }
}

tp_live_status tp_live_set_emotion(tp_live* live, double valence, double arousal, double tension,
                                   tp_live_transition at) {
  if (at != TP_LIVE_AT_BEAT && at != TP_LIVE_AT_BAR && at != TP_LIVE_AT_PHRASE)
    return TP_LIVE_ERR_ARGUMENT;
  if (std::isnan(valence) || std::isnan(arousal) || std::isnan(tension))
    return TP_LIVE_ERR_ARGUMENT;
  return guarded(live, [&] {
    const tonepoem::Emotion e = tonepoem::Emotion::at(valence, arousal, tension);
    const tonepoem::Emotion c = e.clamped();
    live->engine.set_emotion(c, at == TP_LIVE_AT_BEAT  ? tonepoem::live::At::beat
                                : at == TP_LIVE_AT_BAR ? tonepoem::live::At::bar
                                                       : tonepoem::live::At::phrase);
    const bool clamped = c.valence != valence || c.arousal != arousal || c.tension != tension;
    return clamped ? TP_LIVE_CLAMPED : TP_LIVE_OK;
  });
}

tp_live_status tp_live_set_character(tp_live* live, const char* name) {
  return guarded(live, [&] {
    live->engine.set_character(name ? name : "");
    return TP_LIVE_OK;
  });
}

tp_live_status tp_live_hit(tp_live* live, const char* kind) {
  if (!kind) return TP_LIVE_ERR_ARGUMENT;
  return guarded(live, [&] {
    live->engine.hit(kind);
    return TP_LIVE_OK;
  });
}

tp_live_status tp_live_render(tp_live* live, float* out, size_t frames) {
  if (!live || (!out && frames > 0)) return TP_LIVE_ERR_ARGUMENT;
  live->engine.render(out, frames);
  return TP_LIVE_OK;
}

tp_live_status tp_live_stop(tp_live* live, tp_live_ending ending) {
  if (ending != TP_LIVE_END_CADENCE && ending != TP_LIVE_END_NOW) return TP_LIVE_ERR_ARGUMENT;
  return guarded(live, [&] {
    live->engine.stop(ending == TP_LIVE_END_NOW ? tonepoem::live::Ending::now
                                                : tonepoem::live::Ending::cadence);
    return TP_LIVE_OK;
  });
}

int tp_live_finished(const tp_live* live) {
  return live && live->engine.finished() ? 1 : 0;
}

uint64_t tp_live_frames_rendered(const tp_live* live) {
  return live ? static_cast<uint64_t>(live->engine.frames_rendered()) : 0;
}

void tp_live_destroy(tp_live* live) {
  delete live;
}

const char* tp_live_status_message(tp_live_status status) {
  switch (status) {
    case TP_LIVE_OK:
      return "ok";
    case TP_LIVE_CLAMPED:
      return "accepted; a value was clamped into its range";
    case TP_LIVE_ERR_ARGUMENT:
      return "bad argument (null pointer, NaN or unknown value)";
    case TP_LIVE_ERR_SOUNDFONT:
      return "the SoundFont is missing or unreadable";
    case TP_LIVE_ERR_SYNTH:
      return "FluidSynth could not be started";
    case TP_LIVE_ERR_STOPPED:
      return "the engine was stopped";
    case TP_LIVE_ERR_QUEUE_FULL:
      return "too many commands waiting; retry later";
    case TP_LIVE_ERR_INTERNAL:
      return "internal error";
  }
  return "unknown status";
}

}  // extern "C"
