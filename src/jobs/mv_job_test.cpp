#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jobs/mv_job.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

fs::path write_lyrics(const std::string& name, const std::string& text) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-mv-job-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

TEST(PlanCuts, EveryFourBarsAndEveryTwoWhereLouder) {
  Timeline t;
  t.duration_s = 64;
  for (int i = 0; i < 32; ++i) t.downbeats.push_back(2.0 * i);  // 2 s bars
  t.beats = t.downbeats;
  std::vector<double> loudness(32, -20.0);
  const std::vector<double> calm = plan_cuts(t, loudness);
  ASSERT_FALSE(calm.empty());
  for (std::size_t i = 0; i < calm.size(); ++i) EXPECT_DOUBLE_EQ(calm[i], 8.0 * (i + 1));
  for (int i = 24; i < 32; ++i) loudness[i] = -10;  // the last quarter is 10 dB louder
  const std::vector<double> mixed = plan_cuts(t, loudness);
  EXPECT_TRUE(std::find(mixed.begin(), mixed.end(), 52.0) != mixed.end());  // 2 bars after 48
  for (std::size_t i = 1; i < mixed.size(); ++i) EXPECT_GE(mixed[i] - mixed[i - 1], 2.6);
  // A section start is always a cut.
  t.sections = {{"a", 0, 14, {}}, {"b", 14, 64, {}}};
  const std::vector<double> sectioned = plan_cuts(t, std::vector<double>(32, -20.0));
  EXPECT_TRUE(std::find(sectioned.begin(), sectioned.end(), 14.0) != sectioned.end());
}

TEST(ReadLyrics, EnhancedLrcGivesWordTimesAndRepeatsAreSorted) {
  const Lyrics l = read_lyrics(write_lyrics("a.lrc",
                                            "[ar:Someone]\n[00:01.00]Hello <00:01.50>world\n"
                                            "[00:04.00][00:10.00]Chorus line\n[00:07.00]Verse\n"),
                               30, 0, 30);
  EXPECT_EQ(l.format, "lrc-words");
  ASSERT_EQ(l.captions.size(), 4u);
  EXPECT_EQ(l.captions[0].text, "Hello world");
  ASSERT_EQ(l.captions[0].words.size(), 2u);
  EXPECT_DOUBLE_EQ(l.captions[0].words[1].start_s, 1.5);
  EXPECT_DOUBLE_EQ(l.captions[0].end_s, 4.0);
  EXPECT_DOUBLE_EQ(l.captions[2].start_s, 7.0);
  EXPECT_EQ(l.captions[3].text, "Chorus line");
  EXPECT_DOUBLE_EQ(l.captions[3].end_s, 18.0);  // at most 8 s
}

TEST(ReadLyrics, PlainLinesAreSpreadEvenlyOverTheMusic) {
  const Lyrics l = read_lyrics(write_lyrics("a.txt", "one\n\ntwo\nthree\nfour\n"), 30, 2, 22);
  EXPECT_FALSE(l.timed);
  ASSERT_EQ(l.captions.size(), 4u);
  EXPECT_DOUBLE_EQ(l.captions[0].start_s, 2);
  EXPECT_DOUBLE_EQ(l.captions[1].start_s, 7);
  EXPECT_DOUBLE_EQ(l.captions[3].end_s, 22);
}

TEST(ReadLyrics, SubtitlesThroughTheTextStage) {
  const Lyrics l = read_lyrics(write_lyrics("a.srt",
                                            "1\n00:00:01,000 --> 00:00:03,000\nFirst line\n\n2\n"
                                            "00:00:04,000 --> 00:00:06,500\nSecond line\n"),
                               30, 0, 30);
  EXPECT_EQ(l.format, "srt");
  ASSERT_EQ(l.captions.size(), 2u);
  EXPECT_DOUBLE_EQ(l.captions[1].start_s, 4.0);
  EXPECT_DOUBLE_EQ(l.captions[1].end_s, 6.5);
}

TEST(ReadLyrics, RefusesTimesThatGoBackwardsOrPastTheSongNamingTheLine) {
  try {
    read_lyrics(write_lyrics("b.lrc", "[00:05.00]one\n[00:02.00]two\n"), 30, 0, 30);
    FAIL() << "backwards times accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.file().find("b.lrc:2"), std::string::npos) << e.describe();
  }
  EXPECT_THROW(read_lyrics(write_lyrics("c.lrc", "[00:05.00]one\n[00:40.00]two\n"), 30, 0, 30),
               Error);
  EXPECT_THROW(read_lyrics(write_lyrics("d.lrc", "[00:xx.00]one\n"), 30, 0, 30), Error);
  EXPECT_THROW(read_lyrics(write_lyrics("e.lrc", "[ti:Only a title]\n"), 30, 0, 30), Error);
}

}  // namespace
}  // namespace tonepoem
