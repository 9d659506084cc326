#include "lyrics/lyrics.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "plan/plan.h"
#include "text/analyze.h"
#include "text/document.h"

namespace tonepoem {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(TONEPOEM_SOURCE_DIR) / "examples";

std::shared_ptr<const Lexicons> lexicons() {
  static const auto shared = load_lexicons({});
  return shared;
}

SongLyrics lyrics_of(const Document& doc) {
  const EmotionArc arc = analyze(doc, {.lexicons = lexicons()});
  return write_lyrics(doc, plan(doc, arc, {}), lexicons());
}

SongLyrics lyrics_of_file(const std::string& name) {
  return lyrics_of(parse_file(kExamples / name, {}));
}

const Pronouncer& pronouncer() {
  static const Pronouncer p(find_data_dir() / "lexicons" / "en-cmudict.tsv");
  return p;
}

TEST(Pronouncer, SyllablesAndStressFromTheDictionary) {
  std::string rhyme;
  const LyricWord garden = pronouncer().pronounce("Garden", &rhyme);
  ASSERT_EQ(garden.syllables.size(), 2u);
  EXPECT_TRUE(garden.in_dictionary);
  EXPECT_TRUE(garden.syllables[0].stressed);
  EXPECT_FALSE(garden.syllables[1].stressed);
  EXPECT_EQ(garden.syllables[0].text + garden.syllables[1].text, "Garden");
  EXPECT_EQ(rhyme, "AA R D AH N");
  const LyricWord together = pronouncer().pronounce("together", nullptr);
  ASSERT_EQ(together.syllables.size(), 3u);
  EXPECT_TRUE(together.syllables[1].stressed);
  // Function words are sung unstressed even where CMUdict marks a stress.
  EXPECT_FALSE(pronouncer().pronounce("and", nullptr).syllables[0].stressed);
  std::string night, light;
  pronouncer().pronounce("night", &night);
  pronouncer().pronounce("light", &light);
  EXPECT_EQ(night, light);
}

TEST(Pronouncer, UnknownWordsStillCountSyllables) {
  std::string rhyme;
  const LyricWord w = pronouncer().pronounce("glorbastine", &rhyme);
  EXPECT_FALSE(w.in_dictionary);
  EXPECT_EQ(w.syllables.size(), 3u);  // glor-bas-tin(e): the final e is silent
  EXPECT_TRUE(w.syllables[0].stressed);
  EXPECT_FALSE(rhyme.empty());
}

TEST(Pronouncer, MissingDictionaryNamesTheFile) {
  try {
    Pronouncer p("/nonexistent/en-cmudict.tsv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE(std::string(e.what()).find("pronouncing dictionary"), std::string::npos);
  }
}

TEST(PinyinRhyme, ThirteenGroupsByFinal) {
  EXPECT_EQ(pinyin_rhyme_group("hua1"), "发花");
  EXPECT_EQ(pinyin_rhyme_group("jia1"), "发花");
  EXPECT_EQ(pinyin_rhyme_group("yue4"), "乜斜");
  EXPECT_EQ(pinyin_rhyme_group("xue3"), "乜斜");
  EXPECT_EQ(pinyin_rhyme_group("ju1"), "一七");
  EXPECT_EQ(pinyin_rhyme_group("shi4"), "一七");
  EXPECT_EQ(pinyin_rhyme_group("wu3"), "姑苏");
  EXPECT_EQ(pinyin_rhyme_group("zhong1"), "中东");
  EXPECT_EQ(pinyin_rhyme_group("yuan2"), "言前");
  EXPECT_EQ(pinyin_rhyme_group("chuan2"), "言前");
  EXPECT_EQ(pinyin_rhyme_group("wei4"), "灰堆");
  EXPECT_EQ(pinyin_rhyme_group("shui3"), "灰堆");
  EXPECT_EQ(pinyin_rhyme_group("guang1"), "江阳");
  EXPECT_EQ(pinyin_rhyme_group("yun2"), "人辰");
  EXPECT_EQ(pinyin_rhyme_group("liu2"), "油求");
  EXPECT_EQ(pinyin_rhyme_group("bo1"), "梭波");
}

// Every line is words of the sentence it names, in order (no template text), within the
// syllable bounds; a chorus returns unchanged.
void expect_distilled(const Document& doc, const SongLyrics& lyrics) {
  ASSERT_FALSE(lyrics.sections.empty());
  std::size_t verses = 0, choruses = 0;
  for (const LyricSection& s : lyrics.sections) {
    (s.kind == "verse" ? verses : choruses) += 1;
    for (const LyricLine& l : s.lines) {
      ASSERT_LT(l.sentence, doc.sentences.size());
      const std::string& sentence = doc.sentences[l.sentence].text;
      std::size_t at = 0;
      for (const LyricWord& w : l.words) {
        const std::size_t found = sentence.find(w.text, at);
        ASSERT_NE(found, std::string::npos) << w.text << " not in: " << sentence;
        at = found + w.text.size();
      }
      EXPECT_GE(l.syllable_count(), 4u) << l.text();
      EXPECT_LE(l.syllable_count(), 10u) << l.text();
    }
  }
  EXPECT_GE(verses, 2u);
  EXPECT_GE(choruses, 2u);
  const LyricSection* first_chorus = nullptr;
  for (const LyricSection& s : lyrics.sections) {
    if (s.kind != "chorus") continue;
    if (!first_chorus) first_chorus = &s;
    EXPECT_EQ(nlohmann::json(s), nlohmann::json(*first_chorus));
  }
}

TEST(WriteLyrics, EnglishExampleTellsTheStory) {
  const Document doc = parse_file(kExamples / "the-lantern-at-the-ford.txt", {});
  const SongLyrics lyrics = lyrics_of(doc);
  expect_distilled(doc, lyrics);
  const std::string text = lyrics_text(lyrics);
  EXPECT_NE(text.find("Mira"), std::string::npos) << text;     // the heroine's name
  EXPECT_NE(text.find("lantern"), std::string::npos) << text;  // the central image
  EXPECT_GE(dictionary_coverage(lyrics), 0.95);
  // Every English syllable has text; a stressed one exists in every line.
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines) {
      bool stressed = false;
      for (const LyricWord& w : l.words)
        for (const LyricSyllable& syl : w.syllables) {
          EXPECT_FALSE(syl.text.empty());
          stressed = stressed || syl.stressed;
        }
      EXPECT_TRUE(stressed) << l.text();
    }
  // Same story, same bytes.
  EXPECT_EQ(nlohmann::json(lyrics).dump(), nlohmann::json(lyrics_of(doc)).dump());
}

TEST(WriteLyrics, ChineseExampleOneSyllablePerCharacter) {
  const Document doc = parse_file(kExamples / "moon-lake-boat.zh.txt", {});
  ASSERT_EQ(doc.language, Language::zh);
  const SongLyrics lyrics = lyrics_of(doc);
  expect_distilled(doc, lyrics);
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines) {
      EXPECT_FALSE(l.rhyme.empty());
      for (const LyricWord& w : l.words)
        for (const LyricSyllable& syl : w.syllables) {
          EXPECT_EQ(syl.text.size(), 3u) << syl.text;  // one BMP Han character
          ASSERT_FALSE(syl.pinyin.empty());
          EXPECT_TRUE(syl.pinyin.back() >= '1' && syl.pinyin.back() <= '5') << syl.pinyin;
        }
    }
}

TEST(WriteLyrics, RhymesWhereTheTextAllows) {
  // A longer tale: the verses' second and fourth lines are chosen for rhyme.
  const SongLyrics lyrics = lyrics_of_file("the-miller-s-daughter.txt");
  const RhymeStats stats = rhyme_stats(lyrics);
  EXPECT_GE(stats.pairs, 3u);
  EXPECT_GE(stats.rate(), 0.5) << stats.perfect << " perfect, " << stats.slant << " slant of "
                               << stats.pairs;
}

TEST(WriteLyrics, NoSentenceFitForLyricsIsBadInput) {
  const Document doc = parse_text("12, 34. 56! 7 8 9? Oh.\n", "numbers.txt", {});
  try {
    lyrics_of(doc);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("lyrics"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tonepoem
