// A sung guide vocal: espeak-ng says each syllable on one steady pitch, Rubber Band
// (librubberband) moves it to the note's pitch with the voice's formants kept and stretches it to
// the note's length. A guide for a singer, not a performance: the words are espeak-ng's, sung
// syllable by syllable without the joins of a phrase.
#pragma once

#include <string>
#include <vector>

#include "core/cancel.h"
#include "model/audio.h"

namespace tonepoem {

struct SingOptions {
  // An espeak-ng voice: "en+f3" (English, a female variant: its steady pitch sits at 113..306 Hz,
  // near a sung line's), "cmn-latn-pinyin+f3" for tone-numbered pinyin.
  std::string voice = "en+f3";
  // Silence before the next note: the syllable sounds for the note's length less this (at most
  // a fifth of the note), so repeated notes are heard as two.
  double breath_s = 0.04;

  // Every problem with these options, one line each naming the field and the accepted values.
  std::vector<std::string> validate() const;
};

// Each note's text sung at its pitch, from its start to its end less the breath: mono at
// espeak-ng's rate (22050 Hz), as long as the last note's end. Notes may come in any order;
// overlapping notes are mixed. Deterministic. Thread-safe (espeak-ng calls are serialised).
// Throws Error(usage) for invalid options or a note with no text, a pitch outside 0..127 or an
// end not after its start (naming the note), Error(missing_resource) if espeak-ng cannot start or
// has no such voice.
AudioBuffer sing(const std::vector<SungNote>& notes, const SingOptions& options = {},
                 const CancelToken& cancel = CancelToken::never());

// The steady pitch (Hz) of voiced audio: YIN's cumulative mean normalised difference over 30 ms
// frames louder than -40 dBFS, the median over frames; 0 when no frame is voiced. Searches
// `low_hz`..`high_hz`.
double steady_pitch_hz(const std::vector<float>& mono, int sample_rate, double low_hz = 60,
                       double high_hz = 700);

}  // namespace tonepoem
