#include "plan/plan.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem {
namespace {

// Three scenes: a long calm one, a one-sentence danger, a medium relief.
Document three_scene_document() {
  Document d;
  d.source = "test.txt";
  d.title = "Test";
  const char* texts[] = {"The meadow was quiet and warm in the morning light, and the birds sang.",
                         "The children walked slowly along the river and picked flowers.",
                         "A wolf!", "At last they were safe at home.", "Mother laughed."};
  const std::size_t scene_of[] = {0, 0, 1, 2, 2};
  for (std::size_t i = 0; i < 5; ++i) {
    Sentence s;
    s.text = texts[i];
    s.scene = scene_of[i];
    d.sentences.push_back(s);
  }
  d.scenes = {{"Morning", 0, 2}, {"Danger", 2, 1}, {"Home", 3, 2}};
  return d;
}

EmotionArc arc_for(const Document& d) {
  EmotionArc arc;
  arc.sentences.resize(d.sentences.size());
  arc.scenes = {Emotion{0.6, -0.4, 0.1, {}, 1}, Emotion{-0.7, 0.8, 0.9, {}, 1},
                Emotion{0.7, 0.1, 0.0, {}, 1}};
  arc.climax_scene = 1;
  arc.characters = {{"Wolf", {1}, 2}};
  return arc;
}

TEST(Plan, CuesAreContiguousAndFillTheRequestedDuration) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 7});
  ASSERT_EQ(sheet.cues.size(), 3u);
  EXPECT_DOUBLE_EQ(sheet.cues.front().start_s, 0.0);
  EXPECT_DOUBLE_EQ(sheet.cues.back().end_s, 30.0);
  for (std::size_t i = 1; i < sheet.cues.size(); ++i)
    EXPECT_DOUBLE_EQ(sheet.cues[i].start_s, sheet.cues[i - 1].end_s);
  EXPECT_EQ(sheet.seed, 7u);
}

TEST(Plan, ShortScenesStillGetTimeForAPhrase) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  for (const Cue& c : sheet.cues) EXPECT_GE(c.end_s - c.start_s, 6.0 - 1e-9) << c.name;
}

TEST(Plan, LongerScenesGetMoreTime) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 60, .seed = 1});
  EXPECT_GT(sheet.cues[0].end_s - sheet.cues[0].start_s,
            sheet.cues[1].end_s - sheet.cues[1].start_s);
}

TEST(Plan, TargetsExpandTheCalibratedValenceButKeepItsSignAndRange) {
  const Document d = three_scene_document();
  EmotionArc arc = arc_for(d);
  arc.scenes[0].valence = 0.2;
  arc.scenes[1].valence = -0.9;
  const CueSheet sheet = plan(d, arc, {.duration_s = 30, .seed = 1});
  EXPECT_GT(sheet.cues[0].target.valence, 0.3);
  EXPECT_DOUBLE_EQ(sheet.cues[1].target.valence, -1.0);
  EXPECT_DOUBLE_EQ(sheet.cues[0].target.arousal, arc.scenes[0].arousal);
}

TEST(Plan, TargetsComeFromTheSceneEmotionAndCharactersFromTheirScenes) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  EXPECT_LT(sheet.cues[1].target.valence, 0);
  EXPECT_GT(sheet.cues[1].target.arousal, sheet.cues[0].target.arousal);
  EXPECT_EQ(sheet.cues[1].characters, std::vector<std::string>{"Wolf"});
  EXPECT_TRUE(sheet.cues[0].characters.empty());
}

TEST(Plan, CaptionsAreOrderedNonOverlappingAndInsideTheirScene) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  ASSERT_EQ(sheet.captions.size(), d.sentences.size());
  for (std::size_t i = 0; i < sheet.captions.size(); ++i) {
    const Caption& c = sheet.captions[i];
    const Cue& cue = sheet.cues[d.sentences[i].scene];
    EXPECT_LT(c.start_s, c.end_s);
    EXPECT_GE(c.start_s, cue.start_s - 1e-9);
    EXPECT_LE(c.end_s, cue.end_s + 1e-9);
    if (i > 0) {
      EXPECT_NEAR(c.start_s, sheet.captions[i - 1].end_s, 1e-9);
    }
  }
}

TEST(Plan, DurationFromReadingSpeedWhenNotGiven) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 0, .seed = 1});
  EXPECT_GE(sheet.duration_s, 20.0);  // the floor for a piece
  EXPECT_LT(sheet.duration_s, 60.0);
}

TEST(Plan, UsesTheStorysOwnTimingsWhenItHasThem) {
  Document d = three_scene_document();
  double t = 0;
  for (Sentence& s : d.sentences) {
    s.start_s = t;
    s.end_s = t + 10;
    t += 10;
  }
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 0, .seed = 1});
  EXPECT_DOUBLE_EQ(sheet.duration_s, 50.0);
  EXPECT_NEAR(sheet.cues[0].end_s, 20.0, 1e-9);
  EXPECT_NEAR(sheet.cues[1].end_s, 30.0, 1e-9);
}

TEST(CueSheetJson, RoundTrips) {
  const Document d = three_scene_document();
  const CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 42});
  const CueSheet back = nlohmann::json(sheet).get<CueSheet>();
  ASSERT_EQ(back.cues.size(), sheet.cues.size());
  EXPECT_EQ(back.seed, 42u);
  EXPECT_EQ(back.title, sheet.title);
  for (std::size_t i = 0; i < back.cues.size(); ++i) {
    EXPECT_DOUBLE_EQ(back.cues[i].end_s, sheet.cues[i].end_s);
    EXPECT_DOUBLE_EQ(back.cues[i].target.valence, sheet.cues[i].target.valence);
    EXPECT_EQ(back.cues[i].characters, sheet.cues[i].characters);
  }
  EXPECT_EQ(back.captions.size(), sheet.captions.size());
}

TEST(CueSheetJson, WordTimingsRoundTrip) {
  const Document d = three_scene_document();
  CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  sheet.captions[2].words = {{"A", 12.0, 12.4}, {"wolf!", 12.4, 13.0}};
  const CueSheet back = nlohmann::json(sheet).get<CueSheet>();
  ASSERT_EQ(back.captions[2].words.size(), 2u);
  EXPECT_EQ(back.captions[2].words[1].text, "wolf!");
  EXPECT_DOUBLE_EQ(back.captions[2].words[1].start_s, 12.4);
  EXPECT_TRUE(back.captions[0].words.empty());
}

TEST(CueSheetJson, RejectsGapsAndOutOfRangeEmotionsWithAClearMessage) {
  const Document d = three_scene_document();
  nlohmann::json j = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  nlohmann::json gap = j;
  gap["cues"][1]["start_s"] = gap["cues"][1]["start_s"].get<double>() + 1;
  try {
    (void)gap.get<CueSheet>();
    FAIL() << "a gap between cues was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("cues[1]"), std::string::npos) << e.what();
  }
  nlohmann::json loud = j;
  loud["cues"][0]["target"]["valence"] = 3;
  EXPECT_THROW((void)loud.get<CueSheet>(), Error);
}

}  // namespace
}  // namespace tonepoem
