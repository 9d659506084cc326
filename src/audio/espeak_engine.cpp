// espeak-ng in synchronous mode: each text is synthesized into memory through the synth callback,
// which also hands over the word and end-of-clause events with their audio positions.
#include "audio/espeak_engine.h"

#include <cstdlib>

#include "core/error.h"

namespace tonepoem {
namespace {

// espeak-ng state, guarded by espeak_mutex(): its rate once started, and where the synth
// callback writes during one espeak_Synth call.
int sample_rate_of_espeak = 0;
EspeakCapture* current_capture = nullptr;

extern "C" int espeak_sink(short* wav, int count, espeak_EVENT* events) {
  EspeakCapture* capture = current_capture;
  if (!capture) return 0;
  for (espeak_EVENT* e = events; e && e->type != espeakEVENT_LIST_TERMINATED; ++e)
    if (e->type == espeakEVENT_WORD || e->type == espeakEVENT_END)
      capture->marks.push_back({e->type, e->text_position, e->length, e->audio_position / 1000.0});
  if (wav && count > 0)
    for (int i = 0; i < count; ++i)
      capture->samples.push_back(static_cast<float>(wav[i]) / 32768.0f);
  return 0;  // go on
}

std::mutex& espeak_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

EspeakSession::EspeakSession() : lock_(espeak_mutex()) {
  start();
}

void EspeakSession::start() {
  if (sample_rate_of_espeak > 0) return;
  const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0);
  if (rate <= 0)
    fail_resource("espeak-ng", "espeak-ng could not start (its voice data was not found)",
                  "install it: sudo apt-get install espeak-ng-data libespeak-ng1");
  espeak_SetSynthCallback(espeak_sink);
  sample_rate_of_espeak = rate;
}

int EspeakSession::sample_rate() const {
  return sample_rate_of_espeak;
}

bool EspeakSession::select_voice(const std::string& voice) {
  return espeak_SetVoiceByName(voice.c_str()) == EE_OK;
}

void EspeakSession::set_parameter(espeak_PARAMETER parameter, int value) {
  espeak_SetParameter(parameter, value, 0);
}

int EspeakSession::parameter(espeak_PARAMETER parameter) const {
  return espeak_GetParameter(parameter, 1);
}

EspeakCapture EspeakSession::synthesize(const std::string& text) {
  EspeakCapture capture;
  current_capture = &capture;
  // espeak-ng draws its breath and noise sources from rand(): seeded the same way for every text,
  // the same text gives the same samples.
  std::srand(1);
  const espeak_ERROR status = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                           espeakCHARS_UTF8, nullptr, nullptr);
  current_capture = nullptr;
  if (status != EE_OK)
    throw Error(ExitCode::internal, "espeak-ng failed to read", text.substr(0, 60));
  return capture;
}

}  // namespace tonepoem
