#include "text/document.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/segment.h"

namespace tonepoem {
namespace {

Document parse(std::string_view text, std::string_view source = "story.txt") {
  return parse_text(text, source, ParseOptions{});
}

TEST(ParseText, SplitsSentencesWithLineNumbers) {
  const Document d = parse("The sun rose. Birds sang!\nWas it morning?\n\nYes, it was.");
  ASSERT_EQ(d.sentences.size(), 4u);
  EXPECT_EQ(d.sentences[0].text, "The sun rose.");
  EXPECT_EQ(d.sentences[1].text, "Birds sang!");
  EXPECT_EQ(d.sentences[2].text, "Was it morning?");
  EXPECT_EQ(d.sentences[2].line, 2u);
  EXPECT_EQ(d.sentences[3].line, 4u);
  EXPECT_EQ(d.language, Language::en);
  EXPECT_EQ(d.scenes.size(), 1u);  // one blank line is a paragraph, not a scene break
  EXPECT_EQ(d.title, "story");
}

TEST(ParseText, JoinsHardWrappedLinesAndKeepsAbbreviations) {
  const Document d = parse("Mr. Smith walked to the\nold mill and waited.\nNothing came.");
  ASSERT_EQ(d.sentences.size(), 2u);
  EXPECT_EQ(d.sentences[0].text, "Mr. Smith walked to the old mill and waited.");
  EXPECT_EQ(d.sentences[1].line, 3u);
}

TEST(ParseText, ScenesSplitAtChapterLinesRulesAndBlankGroups) {
  const Document d = parse(
      "Chapter 1\nIt was calm. The lake was still.\n\n\nA storm came.\n***\nThe night was long.\n"
      "CHAPTER IV. The End\nMorning came at last.");
  ASSERT_EQ(d.scenes.size(), 4u);
  EXPECT_EQ(d.scenes[0].title, "Chapter 1");
  EXPECT_EQ(d.scenes[0].sentence_count, 2u);
  EXPECT_EQ(d.scenes[1].title, "Scene 2");
  EXPECT_EQ(d.scenes[2].first_sentence, 3u);
  EXPECT_EQ(d.scenes[3].title, "CHAPTER IV. The End");
  for (std::size_t k = 0; k < d.scenes.size(); ++k) {
    for (std::size_t i = 0; i < d.scenes[k].sentence_count; ++i)
      EXPECT_EQ(d.sentences[d.scenes[k].first_sentence + i].scene, k);
  }
}

TEST(ParseText, ChineseChaptersAndSentences) {
  const Document d =
      parse("第一章 春天\n小红很开心。她在花园里唱歌！\n第三章\n天黑了，她非常害怕。");
  EXPECT_EQ(d.language, Language::zh);
  ASSERT_EQ(d.scenes.size(), 2u);
  EXPECT_EQ(d.scenes[0].title, "第一章 春天");
  EXPECT_EQ(d.scenes[1].title, "第三章");
  ASSERT_EQ(d.sentences.size(), 3u);
  EXPECT_EQ(d.sentences[0].text, "小红很开心。");
  EXPECT_EQ(d.sentences[2].line, 4u);
}

TEST(ParseText, ChineseWrappedLinesJoinWithoutSpaces) {
  const Document d = parse("他走进森林，\n听见了狼叫。");
  ASSERT_EQ(d.sentences.size(), 1u);
  EXPECT_EQ(d.sentences[0].text, "他走进森林，听见了狼叫。");
}

TEST(ParseText, ChapterDetectorRejectsProse) {
  EXPECT_TRUE(text::is_chapter_line("Chapter 3"));
  EXPECT_TRUE(text::is_chapter_line("chapter twelve: the flood"));
  EXPECT_TRUE(text::is_chapter_line("第三章"));
  EXPECT_TRUE(text::is_chapter_line("第十二回 大闹天宫"));
  EXPECT_FALSE(
      text::is_chapter_line("Chapters of my life were long and dull and I did not care at all."));
  EXPECT_FALSE(text::is_chapter_line("Part of the wall fell down."));
  EXPECT_FALSE(text::is_chapter_line("第一次见到他"));
}

TEST(ParseText, MarkdownHeadingsStartScenesAndNameTheStory) {
  const Document d =
      parse("# The Lake\n\nA *calm* day by the [lake](http://x).\n\n## Night\n\n- Wolves howled.",
            "story.md");
  EXPECT_EQ(d.title, "The Lake");
  ASSERT_EQ(d.scenes.size(), 2u);
  EXPECT_EQ(d.scenes[1].title, "Night");
  EXPECT_EQ(d.sentences[0].text, "A calm day by the lake.");
  EXPECT_EQ(d.sentences[1].text, "Wolves howled.");
}

TEST(ParseText, BadInputNeverCrashes) {
  EXPECT_THROW(parse(""), Error);
  EXPECT_THROW(parse("   \n\n  "), Error);
  EXPECT_THROW(parse("... !!! ??? ---"), Error);
  try {
    parse("!!!", "empty.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.file(), "empty.txt");
  }
  const Document one = parse("Hello");
  ASSERT_EQ(one.sentences.size(), 1u);
  EXPECT_EQ(one.sentences[0].text, "Hello");
  // Trailing punctuation-only pieces join the sentence before them.
  EXPECT_EQ(parse("Run! ...").sentences.size(), 1u);
}

TEST(ParseText, FirstLineStandingAloneIsTheTitle) {
  const Document d = parse("The Lantern at the Ford\n\nMira lit the lantern. The river sang.");
  EXPECT_EQ(d.title, "The Lantern at the Ford");
  ASSERT_EQ(d.sentences.size(), 2u);
  EXPECT_EQ(d.sentences[0].text, "Mira lit the lantern.");
  const Document zh =
      parse("\u6708\u4eae\u6e56\u7684\u5c0f\u8239\n\n\u5c0f\u7ea2\u4f4f\u5728\u6e56\u8fb9\u3002");
  EXPECT_EQ(zh.title, "\u6708\u4eae\u6e56\u7684\u5c0f\u8239");  // 月亮湖的小船
  EXPECT_EQ(zh.sentences.size(), 1u);
  // A first line that ends like a sentence, or a story of one line, stays the story.
  const Document sentence = parse("It was late.\n\nMira slept.");
  EXPECT_EQ(sentence.title, "story");
  EXPECT_EQ(sentence.sentences.size(), 2u);
  const Document alone = parse("once upon a time");
  EXPECT_EQ(alone.title, "story");
  EXPECT_EQ(alone.sentences.size(), 1u);
}

TEST(ParseText, NoPunctuationVerseBecomesOneSentencePerLine) {
  const Document d = parse("the river runs\nthe night is long\nwe wait for dawn");
  EXPECT_EQ(d.sentences.size(), 3u);
  EXPECT_EQ(d.sentences[2].line, 3u);
}

TEST(ParseText, HugeSingleLineIsCutIntoBoundedSentences) {
  std::string big;
  while (big.size() < 5 * 1024 * 1024) big += "and the wind went on and on ";
  const Document d = parse(big);
  ASSERT_GT(d.sentences.size(), 1000u);
  for (const Sentence& s : d.sentences) {
    EXPECT_LE(s.text.size(), text::kMaxSentenceBytes);
    EXPECT_EQ(s.line, 1u);
  }
  std::string han;
  while (han.size() < 1024 * 1024) han += "风吹过山岗";
  const Document z = parse(han);
  for (const Sentence& s : z.sentences) EXPECT_LE(s.text.size(), text::kMaxSentenceBytes);
  EXPECT_EQ(z.language, Language::zh);
}

TEST(ParseText, CrlfBomAndInvalidUtf8) {
  const Document d = parse("\xEF\xBB\xBFOne.\r\nTwo.\r\n");
  ASSERT_EQ(d.sentences.size(), 2u);
  EXPECT_EQ(d.sentences[1].line, 2u);
  try {
    parse("Fine.\nBad \xFF byte.", "bad.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
  }
}

TEST(ParseText, LanguageCanBeForced) {
  ParseOptions zh;
  zh.language = LanguageChoice::zh;
  EXPECT_EQ(parse_text("Hello there.", "x.txt", zh).language, Language::zh);
}

TEST(ParseFile, ReadsAndNamesTheFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tonepoem_doc_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "tale.txt";
  std::ofstream(path) << "Once upon a time there was a fox.\n";
  const Document d = parse_file(path, {});
  EXPECT_EQ(d.title, "tale");
  EXPECT_EQ(d.source, path.string());
  try {
    parse_file(dir / "missing.txt", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.file().find("missing.txt"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(DocumentJson, RoundTrips) {
  Document d = parse("Chapter 1\nIt was calm.\nChapter 2\nThen a storm!");
  d.sentences[1].start_s = 1.5;
  d.sentences[1].end_s = 3.0;
  d.sentences[0].speaker = "ANNA";
  const nlohmann::json j = d;
  const Document back = j.get<Document>();
  EXPECT_EQ(nlohmann::json(back), j);
  ASSERT_EQ(back.sentences.size(), 2u);
  EXPECT_EQ(back.sentences[1].start_s, 1.5);
  EXPECT_EQ(back.sentences[0].speaker, "ANNA");
  EXPECT_FALSE(back.sentences[0].start_s.has_value());
}

TEST(DocumentJson, RejectsInconsistentScenes) {
  nlohmann::json j = parse("One. Two.");
  j["scenes"][0]["sentence_count"] = 5;
  EXPECT_THROW(j.get<Document>(), Error);
  EXPECT_THROW(nlohmann::json::array().get<Document>(), Error);
}

}  // namespace
}  // namespace tonepoem
