// report.html: the arc drawn where the report puts it, every story text escaped, and a page for
// reports with parts missing.
#include "jobs/report_html.h"

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tonepoem {
namespace {

// A report of two sections, bright then dark, with a sentence each and a hit in the second.
nlohmann::json two_section_report() {
  return nlohmann::json::parse(R"({
    "format": "tonepoem-report/1", "title": "The Well", "language": "en", "duration_s": 60,
    "segments": [
      {"start_s": 0, "end_s": 10, "valence": 0.5, "arousal": -0.2, "text": "The sun rose."},
      {"start_s": 10, "end_s": 30, "valence": 0.4, "arousal": 0.0, "text": "She sang."},
      {"start_s": 30, "end_s": 60, "valence": -0.7, "arousal": 0.8, "text": "The well fell in."}],
    "sections": [
      {"start_s": 0, "end_s": 30, "key": "G ionian", "tempo_bpm": 96, "instruments": ["Violin"],
       "target": {"valence": 0.6, "arousal": -0.3, "emotion": "joy"},
       "judged": {"valence": 0.5, "arousal": -0.1, "emotion": "joy"}},
      {"start_s": 30, "end_s": 60, "key": "E aeolian", "tempo_bpm": 132, "instruments": ["Cello"],
       "target": {"valence": -0.6, "arousal": 0.7, "emotion": "fear"},
       "judged": {"valence": -0.4, "arousal": 0.6, "emotion": "fear"}}],
    "hits": [{"kind": "death", "time_s": 45, "text": "The well fell in <script>alert(1)</script>."}],
    "characters": [{"name": "Mara & Tom", "mentions": 3}],
    "loudness": {"integrated_lufs": -14.0, "true_peak_dbtp": -1.3},
    "outputs": {"midi": "score.mid", "audio": "score.wav"}})");
}

std::string attribute(const std::string& html, const std::string& element_class,
                      const std::string& name) {
  const std::regex pattern("class=\"" + element_class + "\"[^>]*?" + name + "=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(html, m, pattern) ? m[1].str() : std::string();
}

std::vector<double> numbers(const std::string& text) {
  std::vector<double> out;
  const std::regex number("-?[0-9]+(\\.[0-9]+)?");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number);
       it != std::sregex_iterator(); ++it)
    out.push_back(std::stod(it->str()));
  return out;
}

std::size_t count(const std::string& html, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = html.find(needle); at != std::string::npos; at = html.find(needle, at + 1))
    ++n;
  return n;
}

TEST(ReportHtml, ThePlanStepsFromAboveTheZeroLineToBelowIt) {
  const std::string html = report_html(two_section_report());
  // The valence panel's zero line, then the plan's path: M x0,y L x1,y L x1,y' L x2,y'.
  const std::vector<double> zero = numbers(attribute(html, "zero", "y1"));
  const std::vector<double> plan = numbers(attribute(html, "plan valence", "d"));
  ASSERT_EQ(zero.size(), 1u);
  ASSERT_EQ(plan.size(), 8u) << "two steps";
  EXPECT_LT(plan[1], zero[0]) << "the bright section is drawn above the line";
  EXPECT_GT(plan[5], zero[0]) << "the dark section below it";
  EXPECT_LT(plan[0], plan[2]) << "time runs left to right";
  EXPECT_DOUBLE_EQ(plan[2], plan[4]) << "the second section starts where the first ends";
}

TEST(ReportHtml, DrawsASentencePointAJudgedDotPerSectionAndEachHit) {
  const std::string html = report_html(two_section_report());
  EXPECT_EQ(numbers(attribute(html, "text valence", "points")).size(), 6u)
      << "3 sentences, x,y each";
  EXPECT_EQ(count(html, "class=\"judged valence\""), 2u);
  EXPECT_EQ(count(html, "class=\"judged arousal\""), 2u);
  EXPECT_EQ(count(html, "class=\"hit\""), 1u);
  EXPECT_EQ(count(html, "class=\"section-start\""), 2u);
  EXPECT_NE(html.find("E aeolian"), std::string::npos);
  EXPECT_NE(html.find("132 bpm"), std::string::npos);
  EXPECT_NE(html.find("-14.0 LUFS"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"score.mid\">"), std::string::npos);
}

TEST(ReportHtml, EscapesTheStorysTextAndRunsNoScript) {
  const std::string html = report_html(two_section_report());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Mara &amp; Tom"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos) << "nothing loads from elsewhere";
}

TEST(ReportHtml, KeepsChineseTextAndLanguage) {
  nlohmann::json report = two_section_report();
  report["title"] = "月湖小船";
  report["language"] = "zh";
  const std::string html = report_html(report);
  EXPECT_NE(html.find("<html lang=\"zh\">"), std::string::npos);
  EXPECT_NE(html.find("<title>月湖小船</title>"), std::string::npos);
}

TEST(ReportHtml, AReportWithPartsMissingStillRenders) {
  const std::string html =
      report_html(nlohmann::json::parse(R"({"title": null, "loudness": null, "sections": null})"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<table"), std::string::npos) << "no sections, no hits: no tables";
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace tonepoem
