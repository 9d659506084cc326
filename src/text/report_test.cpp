#include "text/report.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem {
namespace {

std::shared_ptr<const Lexicons> lexicons() {
  static const auto l = load_lexicons({});
  return l;
}

TEST(PerLine, OneRecordPerInputLineInOrder) {
  std::ostringstream out;
  analyze_per_line("I am so happy!\n\n他非常害怕！\r\nThe table.", LanguageChoice::automatic,
                   *lexicons(), out, ArcFormat::jsonl);
  std::istringstream in(out.str());
  std::vector<nlohmann::json> rows;
  for (std::string l; std::getline(in, l);) rows.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(rows.size(), 4u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["line"], i + 1);
    for (const char* key : {"valence", "arousal", "tension", "emotion"})
      EXPECT_TRUE(rows[i].contains(key));
  }
  EXPECT_GT(rows[0]["valence"].get<double>(), 0.0);
  EXPECT_EQ(rows[1]["emotion"], "neutral");
  EXPECT_EQ(rows[2]["language"], "zh");
  EXPECT_EQ(rows[2]["emotion"], "fear");
  EXPECT_EQ(rows[3]["confidence"], 0.0);
}

TEST(PerLine, JsonIsOneArrayOfTheJsonlRecords) {
  const std::string text = "I am so happy!\n\nThe wolf came.";
  std::ostringstream jsonl, json, empty;
  analyze_per_line(text, LanguageChoice::en, *lexicons(), jsonl, ArcFormat::jsonl);
  analyze_per_line(text, LanguageChoice::en, *lexicons(), json, ArcFormat::json);
  const nlohmann::json array = nlohmann::json::parse(json.str());
  ASSERT_TRUE(array.is_array());
  std::istringstream in(jsonl.str());
  std::size_t i = 0;
  for (std::string l; std::getline(in, l); ++i) {
    ASSERT_LT(i, array.size());
    EXPECT_EQ(array[i], nlohmann::json::parse(l));
  }
  EXPECT_EQ(i, array.size());
  analyze_per_line("", LanguageChoice::en, *lexicons(), empty, ArcFormat::json);
  EXPECT_EQ(nlohmann::json::parse(empty.str()), nlohmann::json::array());
}

TEST(PerLine, TsvHasAHeaderAndARowPerLine) {
  std::ostringstream out;
  analyze_per_line("good\nbad\n", LanguageChoice::en, *lexicons(), out, ArcFormat::tsv);
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 3);
  EXPECT_EQ(s.rfind("line\tvalence", 0), 0u);
}

TEST(ArcView, JsonJsonlAndTsvAgree) {
  const Document d = parse_text(
      "Chapter 1\nAnna was happy. Then Anna sang.\nChapter 2\nA wolf came!", "a.txt", {});
  const EmotionArc arc = analyze(d, {lexicons()});
  const nlohmann::json v = arc_view(d, arc);
  ASSERT_EQ(v["sentences"].size(), 3u);
  ASSERT_EQ(v["scenes"].size(), 2u);
  EXPECT_EQ(v["scenes"][0]["characters"], nlohmann::json::array({"Anna"}));
  EXPECT_EQ(v["sentences"][2]["scene"], 1);
  std::ostringstream jsonl, tsv, json;
  write_arc(jsonl, d, arc, ArcFormat::jsonl);
  write_arc(tsv, d, arc, ArcFormat::tsv);
  write_arc(json, d, arc, ArcFormat::json);
  EXPECT_EQ(nlohmann::json::parse(json.str()), v);
  const std::string l = jsonl.str(), t = tsv.str();
  EXPECT_EQ(std::count(l.begin(), l.end(), '\n'), 5);  // 3 sentences + 2 scenes
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 4);  // header + 3 sentences
  EXPECT_THROW(parse_arc_format("xml"), Error);
  EXPECT_EQ(parse_arc_format("tsv"), ArcFormat::tsv);
}

}  // namespace
}  // namespace tonepoem
