// Narration: a story read aloud by espeak-ng, with the time of every sentence and word, so that
// the plan, the music and the captions can follow the reading.
#pragma once

#include <string>
#include <vector>

#include "audio/audio.h"
#include "model/reading.h"

namespace tonepoem {

struct NarrationOptions {
  std::string voice = "en";     // an espeak-ng voice: "en", "en-us", "cmn" (Mandarin), ...
  int rate_wpm = 160;           // espeak-ng's speaking rate, words a minute (80..450)
  double lead_in_s = 1.5;       // music alone before the first sentence
  double sentence_gap_s = 0.9;  // silence between sentences (music comes back in it)
  double scene_gap_s = 2.5;     // silence between scenes
  double outro_s = 4.0;         // music alone after the last sentence

  // Every problem with these options, one line each naming the field and the accepted range.
  std::vector<std::string> validate() const;
};

struct SpokenWord {
  std::string text;
  double start_s = 0, end_s = 0;
};
struct SpokenSentence {
  double start_s = 0, end_s = 0;  // from its first sound to its last (trailing silence trimmed)
  std::vector<SpokenWord> words;  // in order, inside [start_s, end_s]
};

struct Narration {
  AudioBuffer audio;  // mono, at espeak-ng's rate (22050 Hz); lead-in, gaps and outro included
  std::vector<SpokenSentence> sentences;  // one per input sentence, in order, not overlapping
};

// Reads `sentences` (UTF-8) aloud one after another; `scene_starts[i]` true puts a scene gap
// before sentence i instead of a sentence gap. Word times come from espeak-ng's word events, the
// sentence spans from its audio. Empty sentences get a zero-length span at their place.
// Thread-safe (calls into espeak-ng are serialised). Throws Error(missing_resource) if espeak-ng
// cannot start or does not know the voice (naming the voice and how to list voices), and
// Error(usage) for invalid options.
Narration narrate(const std::vector<std::string>& sentences, const std::vector<bool>& scene_starts,
                  const NarrationOptions& options,
                  const CancelToken& cancel = CancelToken::never());

// The same for readings (text/reading.h makes them: Chinese as pinyin for cmn-latn-pinyin, the
// English words in it for the English voice). Each run is read by its voice (options.voice when
// empty), runs of a sentence follow each other after a short gap. The words of the result are
// the readings' words as written (小河, not xiao3he2), one per written word that sounds, timed
// from the voice's word events; a word the voice reads as written (spoken == text, an English
// sentence) is cut at the voice's own word boundaries, as above.
Narration narrate_readings(const std::vector<SentenceReading>& sentences,
                           const std::vector<bool>& scene_starts, const NarrationOptions& options,
                           const CancelToken& cancel = CancelToken::never());

}  // namespace tonepoem
