// espeak-ng behind one lock: its state is global, so narration (narrate.cpp) and the sung guide
// vocal (sing.cpp) synthesize through an EspeakSession, one caller at a time.
#pragma once

#include <espeak-ng/speak_lib.h>

#include <mutex>
#include <string>
#include <vector>

namespace tonepoem {

// What one espeak_Synth call produced: mono samples at EspeakSession::sample_rate() and the word
// and end-of-clause events with their audio positions.
struct EspeakCapture {
  std::vector<float> samples;
  struct Mark {
    int type = 0;
    int char_pos = 0;  // 1-based, in code points
    int char_len = 0;
    double time_s = 0;
  };
  std::vector<Mark> marks;
};

class EspeakSession {
 public:
  // Takes the lock and starts espeak-ng the first time. Throws Error(missing_resource) if its
  // voice data is missing.
  EspeakSession();
  EspeakSession(const EspeakSession&) = delete;
  EspeakSession& operator=(const EspeakSession&) = delete;

  int sample_rate() const;
  // espeak_SetVoiceByName ("en", "en+f3", "cmn-latn-pinyin"): false if espeak-ng has no such voice.
  bool select_voice(const std::string& voice);
  void set_parameter(espeak_PARAMETER parameter, int value);
  int parameter(espeak_PARAMETER parameter) const;  // its current value
  // `text` (UTF-8) read by the selected voice. Throws Error(internal) if espeak-ng fails.
  EspeakCapture synthesize(const std::string& text);

 private:
  void start();
  std::unique_lock<std::mutex> lock_;
};

}  // namespace tonepoem
