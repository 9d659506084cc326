#include "footage/film_cues.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tonepoem {
namespace {

FootageAnalysis film_with_cuts(double duration, std::vector<double> cut_times) {
  FootageAnalysis film;
  film.file = "film.mp4";
  film.fps = 25;
  film.duration_s = duration;
  double start = 0;
  for (double t : cut_times) {
    film.cuts.push_back({std::lround(t * 25), t, CutKind::hard, 0.9});
    film.shots.push_back({std::lround(start * 25), std::lround(t * 25), start, t, 0.5, 0.3, 0.02});
    start = t;
  }
  film.shots.push_back(
      {std::lround(start * 25), std::lround(duration * 25), start, duration, 0.5, 0.3, 0.02});
  return film;
}

Caption line(double start, double end) {
  Caption c;
  c.text = "line";
  c.start_s = start;
  c.end_s = end;
  return c;
}

// The plan's boundary (in its own scale) goes to the gap between the subtitles around it, then
// onto the nearest cut; captions take the subtitles' times.
TEST(FilmCues, BoundariesLandOnTheNearestCutInTheDialogueGap) {
  const FootageAnalysis film = film_with_cuts(30, {4.0, 14.6, 22.0});
  CueSheet planned;
  planned.duration_s = 30;
  planned.cues = {{"A", 0, 18, Emotion::at(0.5, 0.5), {}, {}},
                  {"B", 18, 30, Emotion::at(-0.5, -0.2), {}, {}}};
  planned.captions = {line(1, 8), line(9, 17), line(18, 24), line(25, 29)};
  const std::vector<Caption> spans = {line(1, 5), line(6, 12), line(15.5, 20), line(21, 25)};
  std::vector<BoundaryPlacement> placed;
  const CueSheet sheet = fit_cues_to_film(planned, spans, film, {}, &placed);
  ASSERT_EQ(sheet.cues.size(), 2u);
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_DOUBLE_EQ(placed[0].wanted_s, 13.75);  // the middle of the gap 12 .. 15.5
  EXPECT_TRUE(placed[0].snapped);
  EXPECT_EQ(placed[0].cut_frame, std::lround(14.6 * 25));
  EXPECT_DOUBLE_EQ(sheet.cues[1].start_s, 14.6);
  EXPECT_DOUBLE_EQ(sheet.cues[0].end_s, 14.6);
  EXPECT_DOUBLE_EQ(sheet.cues[1].end_s, 30);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    EXPECT_DOUBLE_EQ(sheet.captions[i].start_s, spans[i].start_s);
    EXPECT_DOUBLE_EQ(sheet.captions[i].end_s, spans[i].end_s);
  }
  // Cue A is aroused: its hard cut at 4 s is a hit; cue B is calm: 22 s is not.
  ASSERT_EQ(sheet.hits.size(), 1u);
  EXPECT_EQ(sheet.hits[0].kind, "cut");
  EXPECT_DOUBLE_EQ(sheet.hits[0].time_s, 4.0);
}

TEST(FilmCues, NoCutWithinReachKeepsTheDialogueGap) {
  const FootageAnalysis film = film_with_cuts(30, {2.0});
  CueSheet planned;
  planned.duration_s = 30;
  planned.cues = {{"A", 0, 15, Emotion{}, {}, {}}, {"B", 15, 30, Emotion{}, {}, {}}};
  planned.captions = {line(1, 14), line(15, 29)};
  std::vector<BoundaryPlacement> placed;
  const CueSheet sheet = fit_cues_to_film(planned, {line(1, 12), line(14, 20)}, film, {}, &placed);
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_FALSE(placed[0].snapped);
  EXPECT_DOUBLE_EQ(sheet.cues[1].start_s, 13.0);
}

TEST(FilmCues, PictureAloneGivesCuesOnCuts) {
  const FootageAnalysis film = film_with_cuts(90, {10, 29, 33, 61, 70});
  const CueSheet sheet = picture_cues(film, 7, {});
  ASSERT_EQ(sheet.cues.size(), 3u);
  EXPECT_DOUBLE_EQ(sheet.cues[1].start_s, 29);
  EXPECT_DOUBLE_EQ(sheet.cues[2].start_s, 61);
  EXPECT_DOUBLE_EQ(sheet.cues[2].end_s, 90);
  EXPECT_EQ(sheet.seed, 7u);
}

TEST(FilmCues, DuckingIsDeepUnderLinesAndSmoothBetween) {
  const int rate = 1000;
  const std::vector<float> gain =
      dialogue_ducking_gain({line(2, 3), line(3.3, 4), line(7, 8)}, 10, rate, 10.0);
  ASSERT_EQ(gain.size(), 10000u);
  const float ducked = static_cast<float>(std::pow(10.0, -0.5));
  EXPECT_FLOAT_EQ(gain[1000], 1.0f);      // before anything
  EXPECT_NEAR(gain[2500], ducked, 1e-6);  // under a line
  EXPECT_NEAR(gain[3150], ducked, 1e-6);  // a short gap between lines stays down
  EXPECT_FLOAT_EQ(gain[5500], 1.0f);      // a long gap comes back up
  double steepest = 0;
  for (std::size_t i = 1; i < gain.size(); ++i)
    steepest =
        std::max(steepest, std::abs(20.0 * std::log10(static_cast<double>(gain[i]) / gain[i - 1])));
  EXPECT_LT(steepest, 0.2);  // dB per millisecond: no clicks, no pumping
}

}  // namespace
}  // namespace tonepoem
