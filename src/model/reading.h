// How a sentence is read aloud: what the text stage hands narration (audio/narrate.h). A sentence
// is cut into runs, each read by one espeak-ng voice; each word keeps the text as written, which
// is what the captions show, beside what the voice is given.
#pragma once

#include <string>
#include <vector>

namespace tonepoem {

struct ReadingWord {
  std::string text;    // as written: "小河", "Apple", "，"
  std::string spoken;  // what the voice reads: "xiao3he2", "Apple", ","; empty: not read
};

struct ReadingRun {
  std::string voice;  // an espeak-ng voice ("cmn-latn-pinyin", "en"); empty: the narration's
  std::vector<ReadingWord> words;  // read as their `spoken` forms joined by spaces
};

struct SentenceReading {
  std::vector<ReadingRun> runs;  // in order; none for an empty sentence
};

// A sentence read as written by the narration's voice (one run, one word).
inline SentenceReading reading_as_written(std::string text) {
  SentenceReading r;
  if (!text.empty()) r.runs.push_back({"", {{text, text}}});
  return r;
}

}  // namespace tonepoem
