#include "text/reading.h"

#include <espeak-ng/speak_lib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "text/pinyin.h"
#include "text/unicode.h"

namespace tonepoem {
namespace {

const NarrationReader& reader() {
  static const NarrationReader r(load_lexicons({}));
  return r;
}

// "written=spoken|written=spoken" per run, runs as "voice: ...", for compact expectations.
std::string describe(const SentenceReading& reading) {
  std::string out;
  for (const ReadingRun& run : reading.runs) {
    if (!out.empty()) out += " / ";
    out += run.voice + ":";
    for (const ReadingWord& w : run.words) out += " " + w.text + "=" + w.spoken;
  }
  return out;
}

TEST(Reading, ChineseBecomesPinyinOneWordPerJiebaWord) {
  const SentenceReading r = reader().read("月亮从云里出来，小河很安静。", Language::zh);
  EXPECT_EQ(describe(r),
            "cmn-latn-pinyin: 月亮=yue4liang5 从云里=cong2yun2li3 出来=chu1lai2 ，=, "
            "小河=xiao3he2 很=hen3 安静=an1jing4 。=.");
}

TEST(Reading, PolyphonicCharactersReadAsInTheirWord) {
  // 长 is zhang3 in 长大 (grow up) and chang2 in 长江 (the Yangtze); 行 is hang2 in 银行 (bank).
  EXPECT_EQ(describe(reader().read("他长大了", Language::zh)),
            "cmn-latn-pinyin: 他=ta1 长大=zhang3da4 了=le5");
  EXPECT_EQ(describe(reader().read("长江", Language::zh)), "cmn-latn-pinyin: 长江=chang2jiang1");
  EXPECT_EQ(describe(reader().read("银行", Language::zh)), "cmn-latn-pinyin: 银行=yin2hang2");
  // The particle 的 alone, not di4 (目的) or di2 (的确).
  EXPECT_EQ(describe(reader().read("我的", Language::zh)), "cmn-latn-pinyin: 我=wo3 的=de5");
}

// Spoken Mandarin changes the tone of 不 and 一 by what follows; the voice reads what it is given.
TEST(Reading, BuAndYiTakeTheirToneSandhi) {
  auto spoken = [](std::string_view sentence) {
    std::string out;
    for (const ReadingRun& run : reader().read(sentence, Language::zh).runs)
      for (const ReadingWord& w : run.words) out += w.spoken;
    return out;
  };
  EXPECT_EQ(spoken("我不是"), "wo3bu2shi4");  // before a fourth tone
  EXPECT_EQ(spoken("我不来"), "wo3bu4lai2");  // not before the others
  EXPECT_EQ(spoken("一个人"), "yi2ge5ren2");  // a count: yi2 before a fourth tone (个 underneath)
  EXPECT_EQ(spoken("一样"), "yi2yang4");
  EXPECT_EQ(spoken("一天"), "yi4tian1");     // yi4 before the others
  EXPECT_EQ(spoken("第一"), "di4yi1");       // an ordinal keeps yi1
  EXPECT_EQ(spoken("十一"), "shi2yi1");      // and a number
  EXPECT_EQ(spoken("统一。"), "tong3yi1.");  // and the end of a phrase
  EXPECT_EQ(spoken("一百"), "yi4bai3");      // a count of hundreds is a count
}

TEST(Reading, TraditionalCharactersAreWrittenAsGivenAndReadAsSimplified) {
  EXPECT_EQ(describe(reader().read("長江", Language::zh)), "cmn-latn-pinyin: 長江=chang2jiang1");
}

TEST(Reading, EnglishWordsGoToTheEnglishVoiceAndNumbersAreReadInChinese) {
  EXPECT_EQ(describe(reader().read("我有25个Apple iPhone，好吗？", Language::zh)),
            "cmn-latn-pinyin: 我=wo3 有=you3 25=er4shi2wu3 个=ge4 / en: Apple iPhone=Apple iPhone "
            "，=, / cmn-latn-pinyin: 好=hao3 吗=ma5 ？=?");
  EXPECT_EQ(text::number_pinyin("2025"), "er4qian1ling2er4shi2wu3");
  EXPECT_EQ(text::number_pinyin("10"), "shi2");
  EXPECT_EQ(text::number_pinyin("105"), "yi1bai3ling2wu3");
  EXPECT_EQ(text::number_pinyin("12345"), "yi1er4san1si4wu3");
}

TEST(Reading, EnglishSentencesAreReadAsWritten) {
  const SentenceReading r = reader().read("The river ran high.", Language::en);
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].voice, "");
  EXPECT_EQ(describe(r), ": The river ran high.=The river ran high.");
}

TEST(Reading, WrittenWordsCoverTheSentence) {
  // Every character that is read is in exactly one written word, in order.
  const std::string s = "1999年，小红在New York的银行里说：“Hello！”然后笑了……";
  std::string joined;
  for (const ReadingRun& run : reader().read(s, Language::zh).runs)
    for (const ReadingWord& w : run.words) joined += w.text;
  std::string expected;
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t from = pos;
    const char32_t cp = text::next_code_point(s, pos);
    if (cp != U'“' && cp != U'”') expected += s.substr(from, pos - from);
  }
  EXPECT_EQ(joined, expected);
}

TEST(Reading, PinyinTableRowsAreChecked) {
  text::PinyinTable t;
  text::parse_pinyin_tsv("# comment\n长大\tzhang3 da4\n", "zh-pinyin.tsv", t);
  EXPECT_EQ(t.words.at("长大"), "zhang3 da4");
  EXPECT_EQ(t.longest, 2u);
  EXPECT_THROW(text::parse_pinyin_tsv("长大\tzhang3\n", "x.tsv", t), Error);
  EXPECT_THROW(text::parse_pinyin_tsv("长\tChang2\n", "x.tsv", t), Error);
  EXPECT_THROW(text::parse_pinyin_tsv("长 chang2\n", "x.tsv", t), Error);
  try {
    text::parse_pinyin_tsv("\n\n长\tchang\n", "x.tsv", t);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

// espeak-ng's phonemes for `text` in `voice`; a switch to English shows as "(en)".
std::string phonemes(const std::string& voice, const std::string& text) {
  static const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0);
  EXPECT_GT(rate, 0);
  EXPECT_EQ(espeak_SetVoiceByName(voice.c_str()), EE_OK) << voice;
  std::string out;
  const void* p = text.c_str();
  while (p) {
    const char* ph = espeak_TextToPhonemes(&p, espeakCHARS_UTF8, 0);
    if (ph) out += ph, out += ' ';
  }
  return out;
}

std::string phonemes_of_reading(const SentenceReading& r, std::string* english = nullptr) {
  std::string out;
  for (const ReadingRun& run : r.runs) {
    std::string text;
    for (const ReadingWord& w : run.words) text += w.spoken + " ";
    const std::string ph = phonemes(run.voice, text);
    if (run.voice == kEnglishVoice && english) *english += ph;
    if (run.voice != kEnglishVoice) out += ph;
  }
  return out;
}

TEST(Reading, EspeakReadsTheChineseWithoutEnglish) {
  const std::string s = "夜里，星星在小河上闪光，她的心里有一个梦。";
  // The bug this fixes: the cmn voice reads these characters as English ("guang one").
  EXPECT_NE(phonemes("cmn", s).find("(en)"), std::string::npos) << phonemes("cmn", s);
  const std::string ph = phonemes_of_reading(reader().read(s, Language::zh));
  EXPECT_EQ(ph.find("(en)"), std::string::npos) << ph;
  EXPECT_NE(ph.find("55"), std::string::npos) << "tones expected: " << ph;  // first tone, 55
}

TEST(Reading, EspeakReadsMixedChineseAndEnglishEachInItsVoice) {
  const std::string s = "她在London住了3年，每天说Good morning。";
  std::string english;
  const SentenceReading r = reader().read(s, Language::zh);
  const std::string ph = phonemes_of_reading(r, &english);
  EXPECT_EQ(ph.find("(en)"), std::string::npos) << ph;
  // The Chinese voice says 三 (s'a55n), not "three".
  EXPECT_NE(ph.find("s'a55n"), std::string::npos) << ph;
  EXPECT_EQ(ph.find("Tr'i:"), std::string::npos) << ph;
  // The English voice reads the English words as English.
  EXPECT_NE(english.find("l'Vnd@n"), std::string::npos) << english;
  EXPECT_NE(english.find("m'O@nIN"), std::string::npos) << english;
}

// An English digit word in espeak-ng's phonemes ("guang one": the tone read as a number).
bool has_english_digit(const std::string& ph) {
  for (const char* digit : {"w'0n", "t'u:", "Tr'i:", "f'o@", "f'aIv"})
    if (ph.find(digit) != std::string::npos) return true;
  return false;
}

// Before/after on the Chinese example story: the share of Han characters whose reading switches
// to English, and holds an English digit word (the cmn voice on each character alone, against
// the pinyin of the jieba word that holds it, read by cmn-latn-pinyin). Printed for the README.
TEST(Reading, ExampleStoryHasNoCharacterReadAsEnglish) {
  std::ifstream in(std::filesystem::path(TONEPOEM_SOURCE_DIR) / "examples/moon-lake-boat.zh.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string story = ss.str();
  std::size_t han = 0, before = 0, after = 0, digit_before = 0, digit_after = 0;
  for (std::size_t pos = 0; pos < story.size();) {
    const std::size_t from = pos;
    if (!text::is_han(text::next_code_point(story, pos))) continue;
    ++han;
    const std::string ph = phonemes("cmn", story.substr(from, pos - from));
    before += ph.find("(en)") != std::string::npos;
    digit_before += has_english_digit(ph);
  }
  const SentenceReading r = reader().read(story, Language::zh);
  for (const ReadingRun& run : r.runs) {
    ASSERT_EQ(run.voice, kPinyinVoice);
    for (const ReadingWord& w : run.words) {
      const std::size_t chars = text::count_scripts(w.text).han;
      if (chars == 0 || w.spoken.empty()) continue;
      const std::string ph = phonemes(std::string(kPinyinVoice), w.spoken);
      if (ph.find("(en)") != std::string::npos) after += chars;
      if (has_english_digit(ph)) digit_after += chars;
    }
  }
  std::printf(
      "[ reading ] %zu Han characters; read as English: cmn %zu (%.1f%%), pinyin %zu "
      "(%.1f%%); with an English digit word: cmn %zu (%.1f%%), pinyin %zu (%.1f%%)\n",
      han, before, 100.0 * before / han, after, 100.0 * after / han, digit_before,
      100.0 * digit_before / han, digit_after, 100.0 * digit_after / han);
  EXPECT_GT(han, 200u);
  EXPECT_GT(digit_before, han / 10);  // the problem is real on this story
  EXPECT_EQ(after, 0u);
  EXPECT_EQ(digit_after, 0u);
}

}  // namespace
}  // namespace tonepoem
