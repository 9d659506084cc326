#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jobs/mv_clips.h"
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

// A 60 s song at 120 bpm in 4/4 (2 s bars), two sections, and a library of
// segments of known lengths in three clips.
Timeline song_of_beats() {
  Timeline t;
  t.duration_s = 60;
  for (int i = 0; i < 120; ++i) t.beats.push_back(0.5 * i);
  for (int i = 0; i < 30; ++i) t.downbeats.push_back(2.0 * i);
  t.sections = {{"a", 0, 30, {}}, {"b", 30, 60, {}}};
  return t;
}

ClipLibrary library_of(const std::vector<double>& lengths) {
  ClipLibrary library;
  library.files = {"a.mp4", "b.mp4", "c.mp4"};
  for (std::size_t i = 0; i < lengths.size(); ++i)
    library.segments.push_back({i % 3, 10.0 * static_cast<double>(i),
                                10.0 * static_cast<double>(i) + lengths[i],
                                0.01 * static_cast<double>(i), 0.2, 0.5});
  return library;
}

TEST(EditClips, EveryCutOnABeatCoveringTheSongEndToEnd) {
  const Timeline t = song_of_beats();
  std::vector<double> loudness(30, -20.0);
  for (int i = 22; i < 30; ++i) loudness[i] = -10;  // the last 16 s are 10 dB louder
  // Segments shorter and longer than the slots: short ones force cuts on beats inside a slot.
  const ClipLibrary library = library_of({1.2, 5.0, 9.0, 3.1, 0.8, 7.5, 2.2, 4.4});
  const std::vector<ClipCut> cuts = edit_clips(t, loudness, library, 1);
  ASSERT_GE(cuts.size(), 10u);
  EXPECT_DOUBLE_EQ(cuts.front().start_s, 0.0);
  EXPECT_DOUBLE_EQ(cuts.back().end_s, 60.0);
  std::vector<double> louder_gaps, calmer_gaps;
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    const ClipCut& c = cuts[k];
    if (k > 0) {
      EXPECT_DOUBLE_EQ(c.start_s, cuts[k - 1].end_s);
      const bool on_beat = std::any_of(t.beats.begin(), t.beats.end(),
                                       [&](double b) { return std::abs(b - c.start_s) < 1e-9; });
      EXPECT_TRUE(on_beat) << "cut at " << c.start_s;
    }
    EXPECT_GT(c.end_s, c.start_s);
    EXPECT_NEAR(c.out_s - c.in_s, c.end_s - c.start_s, 1e-9);
    // Inside its segment: a clip is shown only where a segment of it lies.
    const bool inside =
        std::any_of(library.segments.begin(), library.segments.end(), [&](const ClipSegment& s) {
          return library.files[s.clip] == c.clip && c.in_s >= s.in_s - 1e-9 &&
                 c.out_s <= s.out_s + 1e-9;
        });
    EXPECT_TRUE(inside) << c.clip << " " << c.in_s << ".." << c.out_s;
  }
  // The section start at 30 s is a cut; the louder half is cut faster.
  EXPECT_TRUE(std::any_of(cuts.begin(), cuts.end(),
                          [](const ClipCut& c) { return std::abs(c.start_s - 30.0) < 1e-9; }));
  // With segments long enough for any slot, the louder half is cut every bar, the rest every two.
  for (const ClipCut& c : edit_clips(t, loudness, library_of({9, 9, 9, 9, 9, 9}), 1))
    (c.start_s >= 44 ? louder_gaps : calmer_gaps).push_back(c.end_s - c.start_s);
  const auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  EXPECT_NEAR(mean(calmer_gaps), 4.0, 0.3);
  EXPECT_NEAR(mean(louder_gaps), 2.0, 0.3);
}

TEST(EditClips, NoSegmentAgainBeforeAllWereUsedAndTheSeedDecides) {
  const Timeline t = song_of_beats();
  const std::vector<double> loudness(30, -20.0);
  const ClipLibrary library = library_of({4.5, 4.5, 4.5, 4.5, 4.5, 4.5, 4.5});
  const std::vector<ClipCut> cuts = edit_clips(t, loudness, library, 7);
  // Which segment each cut came from (they are all 4.5 s long and 4 s slots: one each).
  std::vector<std::size_t> order;
  for (const ClipCut& c : cuts) {
    for (std::size_t i = 0; i < library.segments.size(); ++i) {
      const ClipSegment& s = library.segments[i];
      if (library.files[s.clip] == c.clip && c.in_s >= s.in_s - 1e-9 && c.out_s <= s.out_s + 1e-9) {
        order.push_back(i);
        break;
      }
    }
  }
  ASSERT_EQ(order.size(), cuts.size());
  ASSERT_GT(order.size(), 7u);
  for (std::size_t round = 0; round + 7 <= order.size(); round += 7) {
    std::vector<std::size_t> seen(order.begin() + static_cast<std::ptrdiff_t>(round),
                                  order.begin() + static_cast<std::ptrdiff_t>(round + 7));
    std::sort(seen.begin(), seen.end());
    EXPECT_TRUE(std::adjacent_find(seen.begin(), seen.end()) == seen.end())
        << "a segment again before all seven were used";
  }
  // Another clip follows where one is left to choose (the end of a round may leave only one).
  std::size_t repeats = 0;
  for (std::size_t k = 1; k < cuts.size(); ++k) repeats += cuts[k].clip == cuts[k - 1].clip;
  EXPECT_LE(repeats * 4, cuts.size()) << repeats << " of " << cuts.size() << " cuts repeat";
  // Deterministic, and the seed changes the edit.
  const std::vector<ClipCut> again = edit_clips(t, loudness, library, 7);
  ASSERT_EQ(again.size(), cuts.size());
  bool same = true;
  for (std::size_t k = 0; k < cuts.size(); ++k)
    same = same && again[k].clip == cuts[k].clip && again[k].in_s == cuts[k].in_s;
  EXPECT_TRUE(same);
  const std::vector<ClipCut> other = edit_clips(t, loudness, library, 8);
  bool differs = other.size() != cuts.size();
  for (std::size_t k = 0; !differs && k < cuts.size(); ++k) differs = other[k].clip != cuts[k].clip;
  EXPECT_TRUE(differs);
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

// Found by media_fuzz: tags whose numbers std::stod refused (an exception that ended the
// program) or accepted as NaN. Each is now bad input naming the line.
TEST(ReadLyrics, UnreadableNumbersInTagsAreBadInputNamingTheLine) {
  const char* bad[] = {"[00:05.00]one\n[080000:.]two\n",  "[00:05.00]one\n[00:.]two\n",
                       "[offset:nan]\n[00:05.00]one\n",   "[offset:inf]\n[00:05.00]one\n",
                       "[offset:1e400]\n[00:05.00]one\n", "[00:05.00]<00:.>one\n"};
  int n = 0;
  for (const char* text : bad) {
    const std::string name = "bad" + std::to_string(n++) + ".lrc";
    try {
      read_lyrics(write_lyrics(name, text), 30, 0, 30);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input) << text;
      EXPECT_NE(e.file().find(name + ":"), std::string::npos) << e.describe();
    }
  }
  const Lyrics early =
      read_lyrics(write_lyrics("ok.lrc", "[offset:+500]\n[00:05.00]one\n"), 30, 0, 30);
  ASSERT_EQ(early.captions.size(), 1u);
  EXPECT_DOUBLE_EQ(early.captions[0].start_s, 4.5);
}

}  // namespace
}  // namespace tonepoem
