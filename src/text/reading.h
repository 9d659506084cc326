// Narration input: how each sentence of a Document is read aloud (model/reading.h).
#pragma once

#include <memory>
#include <mutex>
#include <string_view>

#include "model/document.h"
#include "model/reading.h"
#include "text/analyze.h"

namespace tonepoem {

namespace text {
struct PinyinTable;
}

// espeak-ng's Mandarin voice for tone-numbered pinyin ("guang1"); its `cmn` voice reads many
// common characters as pinyin spelt out in English ("guang one", espeak-ng issue 1236).
inline constexpr std::string_view kPinyinVoice = "cmn-latn-pinyin";
inline constexpr std::string_view kEnglishVoice = "en";

// Turns sentences into readings. English sentences: one run in the narration's voice, as
// written. Chinese sentences (Traditional read as Simplified): Han text is cut into words by
// jieba (the segmenter the emotion pass uses) and each word becomes tone-numbered pinyin from
// CC-CEDICT (zh-pinyin.tsv in the data folder), so that a polyphonic character reads as in its
// word (长大 zhang3da4, 长江 chang2jiang1; alone, the function characters take their common
// reading: 的 de5, 了 le5); one word of the reading per jieba word. Runs of Latin letters (English
// words) go to the English voice; digits are read as a Chinese number (25 -> er4shi2wu3), four
// digits or more one by one; punctuation becomes a pause. 不 and 一 take their tone sandhi (不是
// bu2shi4, 一天 yi4tian1, 第一 di4yi1: text/pinyin.h). Thread-safe; the pinyin table loads on the
// first Chinese sentence.
class NarrationReader {
 public:
  explicit NarrationReader(std::shared_ptr<const Lexicons> lexicons);
  ~NarrationReader();
  // Throws Error(missing_resource) when zh-pinyin.tsv or jieba's dictionary is missing.
  SentenceReading read(std::string_view sentence, Language language) const;

 private:
  std::shared_ptr<const Lexicons> lexicons_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<text::PinyinTable> pinyin_;
};

}  // namespace tonepoem
