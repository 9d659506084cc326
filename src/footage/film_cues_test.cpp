#include "footage/film_cues.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "audio/audio.h"

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

// An arc point in the middle of every shot of `film`: `calm` before `from` and after `to`,
// `hectic` between, each a little off its level (no film is that even).
std::vector<ArcPoint> arc_of_shots(const FootageAnalysis& film, double from, double to) {
  std::vector<ArcPoint> arc;
  int k = 0;
  for (const Shot& shot : film.shots) {
    const double t = (shot.start_s + shot.end_s) / 2;
    const double wobble = (k++ % 3 - 1) * 0.06;
    const bool hectic = t > from && t < to;
    arc.push_back({t, (hectic ? -0.3 : 0.2) + wobble, (hectic ? 0.6 : -0.4) - wobble});
  }
  return arc;
}

TEST(FilmCues, ScenesAreRunsOfShotsWithAConsistentArc) {
  // Shots every 5 s; a hectic stretch from 20 s to 40 s of a one-minute film. The scenes are the
  // three runs; an even split of the picture would have put one boundary at 30 s.
  std::vector<double> cuts;
  for (double t = 5; t < 60; t += 5) cuts.push_back(t);
  const FootageAnalysis film = film_with_cuts(60, cuts);
  const std::vector<ArcPoint> arc = arc_of_shots(film, 20, 40);
  EXPECT_EQ(arc_scene_starts(arc, film, {}), (std::vector<double>{20, 40}));
  const CueSheet sheet = picture_cues(film, 7, {}, arc);
  ASSERT_EQ(sheet.cues.size(), 3u);
  EXPECT_DOUBLE_EQ(sheet.cues[1].start_s, 20);
  EXPECT_DOUBLE_EQ(sheet.cues[2].start_s, 40);
  EXPECT_DOUBLE_EQ(sheet.cues[2].end_s, 60);
  const CueSheet even = picture_cues(film, 7, {});
  ASSERT_EQ(even.cues.size(), 2u);
  EXPECT_DOUBLE_EQ(even.cues[1].start_s, 30);

  // A change too short for a scene (under 8 s) or too small to be worth one is not a scene.
  EXPECT_EQ(arc_scene_starts(arc_of_shots(film, 20, 25), film, {}).size(), 1u)
      << "only the split every film of two scenes' length gets";
  std::vector<ArcPoint> faint = arc;
  for (ArcPoint& p : faint) p.arousal *= 0.1, p.valence *= 0.1;
  EXPECT_EQ(arc_scene_starts(faint, film, {}).size(), 1u);
}

TEST(FilmCues, ADialogueCueIsSplitWhereItsShotsTurn) {
  // The words planned one calm cue over the minute; its shots turn hectic from 20 s to 40 s. The
  // cue becomes three on those cuts, the middle one as much more aroused as its shots are; a
  // faint turn, or a cue left without music, stays whole.
  std::vector<double> cuts;
  for (double t = 5; t < 60; t += 5) cuts.push_back(t);
  const FootageAnalysis film = film_with_cuts(60, cuts);
  CueSheet sheet;
  sheet.duration_s = 60;
  sheet.cues = {{"Talk", 0, 60, Emotion::at(0.1, -0.2), {"Ann"}, {}}};
  sheet.arc = arc_of_shots(film, 20, 40);
  CueSheet faint = sheet;
  for (ArcPoint& p : faint.arc) p.arousal *= 0.2, p.valence *= 0.2;
  CueSheet silent = sheet;
  silent.cues[0].music = false;

  std::vector<BoundaryPlacement> placed;
  EXPECT_EQ(split_cues_at_arc_turns(sheet, film, {}, &placed), 2);
  ASSERT_EQ(sheet.cues.size(), 3u);
  EXPECT_EQ(sheet.cues[1].name, "Talk (2)");
  EXPECT_DOUBLE_EQ(sheet.cues[1].start_s, 20);
  EXPECT_DOUBLE_EQ(sheet.cues[2].start_s, 40);
  EXPECT_DOUBLE_EQ(sheet.cues[2].end_s, 60);
  EXPECT_EQ(sheet.cues[2].characters, std::vector<std::string>{"Ann"});
  EXPECT_GT(sheet.cues[1].target.arousal, sheet.cues[0].target.arousal + 0.8);
  EXPECT_LT(sheet.cues[1].target.valence, sheet.cues[0].target.valence - 0.3);
  // The pans' hard cuts are accents now; the calm parts have none.
  ASSERT_FALSE(sheet.hits.empty());
  for (const HitPoint& h : sheet.hits) {
    EXPECT_GT(h.time_s, 20);
    EXPECT_LT(h.time_s, 40);
  }
  ASSERT_EQ(placed.size(), 2u);
  EXPECT_TRUE(placed[0].snapped);
  EXPECT_EQ(placed[0].cut_frame, 500);

  EXPECT_EQ(split_cues_at_arc_turns(faint, film, {}), 0);
  EXPECT_EQ(faint.cues.size(), 1u);
  EXPECT_EQ(split_cues_at_arc_turns(silent, film, {}), 0);
}

TEST(FilmCues, LevelFilmsAreCutIntoScenesNoLongerThanTheLongest) {
  // Five minutes that never change: scenes of at most 90 s, on cuts; one ten-minute take with no
  // cut at all: split inside the shot all the same.
  std::vector<double> cuts;
  for (double t = 7; t < 300; t += 7) cuts.push_back(t);
  for (const FootageAnalysis& film : {film_with_cuts(300, cuts), film_with_cuts(600, {})}) {
    std::vector<ArcPoint> arc;
    for (double t = 2.5; t < film.duration_s; t += 5) arc.push_back({t, 0.1, 0.2});
    const std::vector<double> starts = arc_scene_starts(arc, film, {});
    ASSERT_FALSE(starts.empty());
    double previous = 0;
    for (const double s : starts) {
      EXPECT_LE(s - previous, 90.0 + 1e-9);
      EXPECT_GE(s - previous, 8.0 - 1e-9);
      if (!film.cuts.empty()) {
        EXPECT_TRUE(std::any_of(film.cuts.begin(), film.cuts.end(), [&](const Cut& c) {
          return c.time_s == s;
        })) << s;
      }
      previous = s;
    }
    EXPECT_LE(film.duration_s - previous, 90.0 + 1e-9);
    // As few scenes as the longest allows: a level film is not cut up for nothing.
    EXPECT_EQ(starts.size() + 1, static_cast<std::size_t>(std::ceil(film.duration_s / 90.0)));
  }
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

TEST(FilmCues, DuckingComputedABlockAtATimeIsTheWholeGain) {
  // A long film's gain is made a block at a time as the mix is read: every block, wherever it
  // starts (inside a ramp, inside a bridged gap, past the end), gives the whole vector's values.
  const int rate = 1000;
  const std::vector<Caption> lines = {line(2, 3), line(3.3, 4), line(7, 8), line(9.5, 10)};
  const std::vector<float> whole = dialogue_ducking_gain(lines, 10, rate, 12.0);
  for (const std::size_t block : {1u, 97u, 850u, 4096u}) {
    std::vector<float> pieced;
    for (std::size_t first = 0; first < whole.size() + block; first += block) {
      std::vector<float> out(block, -1.0f);
      dialogue_ducking_gain_into(lines, 10, rate, 12.0, first, block, out.data());
      for (std::size_t k = 0; k < block; ++k) {
        if (first + k < whole.size()) {
          pieced.push_back(out[k]);
        } else {
          EXPECT_EQ(out[k], 1.0f) << "past the end, frame " << first + k;
        }
      }
    }
    EXPECT_EQ(pieced, whole) << "blocks of " << block;
  }
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

// Two sections of 16 beats at 120 bpm (8 s each) and an accent composed on beat 24 (12 s).
Score two_section_score() {
  Score score;
  score.tempo = {{0, 120.0}};
  score.sections.resize(2);
  score.sections[0].start_tick = 0;
  score.sections[0].end_tick = score.sections[1].start_tick = 16 * 480;
  score.sections[1].end_tick = 32 * 480;
  score.hits = {{24 * 480, "hit: cut"}};
  return score;
}

CueSheet cues_at(double boundary_s, double hit_s) {
  CueSheet cues;
  cues.duration_s = 16;
  cues.cues = {{"A", 0, boundary_s, Emotion::at(0.5, 0.5), {}, {}},
               {"B", boundary_s, 16, Emotion::at(0.5, 0.5), {}, {}}};
  cues.hits = {{hit_s, "cut", "hard cut at frame 303"}};
  return cues;
}

// The section boundary the composer put on the downbeat at 8.0 s moves to its cue's 8.2 s, and
// the accent composed on the beat at 12.0 s (12.2 s once the first section is slower) moves to
// the cut's 12.12 s; a bend past 8% is left.
TEST(FilmCues, TempoBendsSoSectionsAndAccentsLandOnTheirCuts) {
  Score score = two_section_score();
  const double bend = bend_tempo_to_cues(score, cues_at(8.2, 12.12));
  EXPECT_NEAR(score.seconds_at(16 * 480), 8.2, 1e-9);
  EXPECT_NEAR(score.sections[1].start_s, 8.2, 1e-9);
  EXPECT_NEAR(score.seconds_at(24 * 480), 12.12, 1e-9);
  EXPECT_NEAR(bend, 1 - 8.0 / 8.2, 1e-9);  // the larger bend: 2.4% slower (then 2.0% faster)
  EXPECT_LT(score.sections[0].tempo_bpm, 120.0);

  Score far = two_section_score();
  EXPECT_EQ(bend_tempo_to_cues(far, cues_at(10.0, 14.0)), 0.0);  // 20% and more: left alone
  EXPECT_DOUBLE_EQ(far.seconds_at(16 * 480), 8.0);
}

// hits.csv: the music in at 0, the section start and the accent each on its cut's frame, with the
// timecode of that frame and the music's error against the cut.
TEST(FilmCues, HitListNamesTheCutFrameAndItsTimecode) {
  const FootageAnalysis film = film_with_cuts(16, {8.2, 12.12});
  Score score = two_section_score();
  const CueSheet cues = cues_at(8.2, 12.12);
  std::vector<HitRow> rows = hit_list(film, cues, score);  // before the bend: off by 0.2 s
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].event, "section start");
  EXPECT_EQ(rows[1].cut_frame, 205);
  EXPECT_NEAR(rows[1].error_s, -0.2, 1e-9);
  bend_tempo_to_cues(score, cues);
  rows = hit_list(film, cues, score);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].event, "music in");
  EXPECT_EQ(rows[0].cut_frame, -1);
  EXPECT_EQ(rows[2].event, "accent");
  EXPECT_EQ(rows[2].cut_frame, 303);
  for (const HitRow& r : rows) EXPECT_NEAR(r.error_s, 0.0, 1e-9) << r.event;
  EXPECT_EQ(hits_csv(rows, 25),
            "timecode,frame,seconds,cut_frame,error_ms,event,detail\n"
            "00:00:00:00,0,0.000,,,music in,A\n"
            "00:00:08:05,205,8.200,205,0.0,section start,B\n"
            "00:00:12:03,303,12.120,303,0.0,accent,hard cut at frame 303\n");
  EXPECT_EQ(timecode(30, 29.97), "00:00:01:00");
  EXPECT_EQ(timecode(25 * 3661 + 24, 25), "01:01:01:24");
  // The same rows as markers an editor imports into the timeline (Resolve's marker EDL).
  EXPECT_EQ(hits_edl(rows, 25, "film.mp4"),
            "TITLE: film.mp4\nFCM: NON-DROP FRAME\n\n"
            "001  001      V     C        00:00:00:00 00:00:00:01 00:00:00:00 00:00:00:01\n"
            " |C:ResolveColorGreen |M:music in: A |D:1\n\n"
            "002  001      V     C        00:00:08:05 00:00:08:06 00:00:08:05 00:00:08:06\n"
            " |C:ResolveColorBlue |M:section start: B |D:1\n\n"
            "003  001      V     C        00:00:12:03 00:00:12:04 00:00:12:03 00:00:12:04\n"
            " |C:ResolveColorRed |M:accent: hard cut at frame 303 |D:1\n\n");
  rows[0].detail = "a \"quiet\", slow start";
  EXPECT_NE(hits_csv(rows, 25).find(",music in,\"a \"\"quiet\"\", slow start\"\n"),
            std::string::npos);
  rows[0].detail = "two\nlines | and a bar";  // would break the EDL's fields
  EXPECT_NE(hits_edl(rows, 25, "t").find("|M:music in: two lines / and a bar |D:1\n"),
            std::string::npos);
}

// Under a line the melody keeps only its notes on the beat, softer, and its doubling and the
// counterline rest; the chords play on; outside the lines nothing changes.
TEST(FilmCues, LeadThinsUnderDialogue) {
  Score score;
  score.tempo = {{0, 120.0}};
  Track melody, doubling, chords, counter;
  melody.role = "melody";
  doubling.role = "doubling";
  chords.role = "chords";
  counter.role = "counter";
  for (std::int64_t eighth = 0; eighth < 64; ++eighth) {  // 16 s of eighth notes
    melody.notes.push_back({eighth * 240, 240, 72, 90});
    doubling.notes.push_back({eighth * 240, 240, 60, 70});
    chords.notes.push_back({eighth * 240, 240, 48, 70});
    if (eighth % 4 == 0) counter.notes.push_back({eighth * 240, 960, 55, 70});
  }
  score.tracks = {melody, doubling, chords, counter};
  const std::vector<Caption> lines = {line(4, 8)};
  const int removed = thin_lead_under_dialogue(score, lines);
  const auto onsets_in = [&](const Track& t, double from, double to) {
    return std::count_if(t.notes.begin(), t.notes.end(), [&](const Note& n) {
      const double s = score.seconds_at(n.tick);
      return s >= from && s < to;
    });
  };
  // Under the line (from 0.25 s before it) 17 eighths, 8 of them on a beat; the rest unchanged.
  EXPECT_EQ(onsets_in(score.tracks[0], 3.75, 8), 8);
  EXPECT_EQ(onsets_in(score.tracks[0], 8, 16), 32);
  EXPECT_EQ(onsets_in(score.tracks[0], 0, 3.75), 15);
  EXPECT_EQ(onsets_in(score.tracks[1], 3.75, 8), 0);
  EXPECT_EQ(onsets_in(score.tracks[2], 3.75, 8), 17);
  EXPECT_EQ(onsets_in(score.tracks[3], 3.75, 8), 0);
  EXPECT_EQ(onsets_in(score.tracks[3], 8, 16), 8);
  EXPECT_EQ(removed, (17 - 8) + 17 + 4);
  for (const Note& n : score.tracks[0].notes)
    EXPECT_EQ(n.velocity,
              score.seconds_at(n.tick) >= 3.75 && score.seconds_at(n.tick) < 8 ? 59 : 90);
}

// A calm scene that is mostly talk is left to the actors: no music there. Not an excited one, not
// a sparse one, and never the first or the last cue.
TEST(FilmCues, ACalmSceneOfDialogueIsLeftWithoutMusic) {
  CueSheet cues;
  cues.duration_s = 80;
  cues.cues = {{"Talk first", 0, 20, Emotion::at(0.0, -0.5), {}, {}},
               {"Quiet talk", 20, 40, Emotion::at(0.1, -0.5), {}, {}},
               {"Argument", 40, 60, Emotion::at(-0.5, 0.6), {}, {}},
               {"Talk last", 60, 80, Emotion::at(0.0, -0.5), {}, {}}};
  std::vector<Caption> lines;
  for (double t = 0; t < 80; t += 4) lines.push_back(line(t, t + 3.4));  // 85% of the time
  EXPECT_EQ(leave_gaps_for_dialogue(cues, lines, FitOptions{}), 1);
  EXPECT_TRUE(cues.cues[0].music);
  EXPECT_FALSE(cues.cues[1].music) << "calm and mostly talk";
  EXPECT_TRUE(cues.cues[2].music) << "excited";
  EXPECT_TRUE(cues.cues[3].music);
  // Sparse lines: the scene keeps its music.
  for (Cue& c : cues.cues) c.music = true;
  const std::vector<Caption> sparse = {line(22, 25), line(30, 33)};
  EXPECT_EQ(leave_gaps_for_dialogue(cues, sparse, FitOptions{}), 0);
  // Two cues: never a gap.
  cues.cues.resize(2);
  EXPECT_EQ(leave_gaps_for_dialogue(cues, lines, FitOptions{}), 0);
}

// With subtitles the words lead and the picture moves them: two cues the words found alike differ
// once the second runs over a hectic stretch of picture (fast cuts, motion).
TEST(FilmCues, ThePictureMovesTheWordsArc) {
  FootageAnalysis film;
  film.duration_s = 60;
  Shot calm;
  calm.start_s = 0;
  calm.end_s = 30;
  calm.brightness = 0.5;
  calm.saturation = 0.2;
  film.shots.push_back(calm);
  for (int k = 0; k < 15; ++k) {  // a cut every 2 s, much motion, darker
    Shot busy;
    busy.start_s = 30 + 2 * k;
    busy.end_s = busy.start_s + 2;
    busy.brightness = 0.25;
    busy.saturation = 0.3;
    busy.motion = 0.12;
    film.shots.push_back(busy);
    if (k > 0) film.cuts.push_back({0, busy.start_s, CutKind::hard, 0.8});
  }
  CueSheet cues;
  cues.duration_s = 60;
  cues.cues = {{"A", 0, 30, Emotion::at(0.2, 0.0, 0.2), {}, {}},
               {"B", 30, 60, Emotion::at(0.2, 0.0, 0.2), {}, {}}};
  CueSheet unchanged = cues;
  blend_picture_into_cues(unchanged, film, 0.0);
  EXPECT_EQ(unchanged.cues[1].target.arousal, 0.0);
  blend_picture_into_cues(cues, film, 0.3);
  EXPECT_GT(cues.cues[1].target.arousal, cues.cues[0].target.arousal + 0.2);
  EXPECT_LT(cues.cues[1].target.valence, cues.cues[0].target.valence);
  EXPECT_GT(cues.cues[1].target.tension, cues.cues[0].target.tension);
  // The words still lead: the calm cue moved less than a third of the way.
  EXPECT_NEAR(cues.cues[0].target.valence, 0.2, 0.3 * 1.0);
}

// The film's own sound moves the arc: the cue over the loud, busy half of the sound track is more
// aroused than the one over its quiet half; the words' difference is kept.
TEST(FilmCues, TheFilmsSoundMovesTheArc) {
  AudioBuffer sound;
  sound.sample_rate = 16000;
  sound.channels = 1;
  for (int i = 0; i < 20 * 16000; ++i) {
    const double t = i / 16000.0;
    const double quiet = 0.02 * std::sin(2 * 3.14159265 * 220 * t);
    // The second half: loud clicks of noise four times a second over a louder tone.
    const double click = std::fmod(t, 0.25) < 0.02 ? 0.6 * std::sin(12345.678 * i) : 0.0;
    const double loud = 0.2 * std::sin(2 * 3.14159265 * 220 * t) + click;
    sound.samples.push_back(static_cast<float>(t < 10 ? quiet : loud));
  }
  CueSheet cues;
  cues.duration_s = 20;
  cues.cues = {{"Quiet", 0, 10, Emotion::at(0.0, 0.1), {}, {}},
               {"Loud", 10, 20, Emotion::at(0.0, 0.1), {}, {}}};
  blend_sound_into_cues(cues, sound, 0.2);
  EXPECT_GT(cues.cues[1].target.arousal, cues.cues[0].target.arousal + 0.1);
  EXPECT_GT(cues.cues[1].target.arousal, 0.1);
  EXPECT_LT(cues.cues[0].target.arousal, 0.1);
  // Silence says nothing.
  CueSheet still = cues;
  AudioBuffer silence;
  silence.sample_rate = 16000;
  silence.channels = 1;
  silence.samples.assign(20 * 16000, 0.0f);
  blend_sound_into_cues(still, silence, 0.2);
  EXPECT_EQ(still.cues[0].target.arousal, cues.cues[0].target.arousal);
}

// Shot by shot: a point in every shot (and every 5 s of a long one); the hectic shots, the loud
// stretch of sound and an excited line each raise the arc where they are, and the words lead
// where someone speaks.
TEST(FilmCues, TheArcFollowsTheFilmShotByShot) {
  FootageAnalysis film;
  film.duration_s = 40;
  const auto shot = [](double a, double b, double motion) {
    Shot s;
    s.start_s = a;
    s.end_s = b;
    s.brightness = 0.5;
    s.saturation = 0.2;
    s.motion = motion;
    return s;
  };
  film.shots = {shot(0, 12, 0.0), shot(12, 16, 0.1), shot(16, 20, 0.1), shot(20, 40, 0.0)};
  film.cuts = {
      {300, 12, CutKind::hard, 0.9}, {400, 16, CutKind::hard, 0.9}, {500, 20, CutKind::hard, 0.9}};
  FitOptions options;
  const std::vector<ArcPoint> seen = shot_arc(film, {}, nullptr, options);
  // 12 s: two points; 4 s and 4 s: one each; 20 s: four.
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_DOUBLE_EQ(seen[0].time_s, 3.0);
  EXPECT_DOUBLE_EQ(seen[2].time_s, 14.0);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i].time_s, seen[i - 1].time_s);
  EXPECT_GT(seen[2].arousal, seen[0].arousal + 0.3) << "the moving, fast-cut shots";
  EXPECT_GT(seen[3].arousal, seen[7].arousal + 0.3);

  // A loud stretch of sound from 30 s on raises the points there.
  AudioBuffer sound;
  sound.sample_rate = 16000;
  sound.channels = 1;
  for (int i = 0; i < 40 * 16000; ++i) {
    const double t = i / 16000.0;
    const double click = std::fmod(t, 0.25) < 0.02 ? 0.6 * std::sin(12345.678 * i) : 0.0;
    sound.samples.push_back(static_cast<float>(
        t < 30 ? 0.02 * std::sin(2 * M_PI * 220 * t) : 0.2 * std::sin(2 * M_PI * 220 * t) + click));
  }
  const BufferSource source(sound);
  const std::vector<ArcPoint> heard = shot_arc(film, {}, &source, options);
  ASSERT_EQ(heard.size(), seen.size());
  EXPECT_GT(heard[7].arousal - seen[7].arousal, 0.1) << "37.5 s: in the loud stretch";
  EXPECT_LT(heard[4].arousal - seen[4].arousal, 0.0) << "22.5 s: quieter than the film's average";

  // An excited line over the calm opening shot: the words lead there, the picture moves them.
  Caption cry = line(1, 5);
  cry.emotion = Emotion::at(-0.8, 0.9);
  const std::vector<ArcPoint> spoken = shot_arc(film, {cry}, nullptr, options);
  EXPECT_NEAR(spoken[0].arousal, 0.7 * 0.9 + 0.3 * seen[0].arousal, 1e-9);
  EXPECT_NEAR(spoken[0].valence, 0.7 * -0.8 + 0.3 * seen[0].valence, 1e-9);
  EXPECT_DOUBLE_EQ(spoken[1].arousal, seen[1].arousal) << "9 s: nobody speaks";
}

}  // namespace
}  // namespace tonepoem
