#include "plan/plan.h"

#include <algorithm>
#include <cmath>

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
  arc.scenes = {Emotion{0.6, -0.4, 0.1, {}, 1}, Emotion{-0.7, 0.8, 0.9, {}, 1},
                Emotion{0.7, 0.1, 0.0, {}, 1}};
  for (const Sentence& s : d.sentences) arc.sentences.push_back(arc.scenes[s.scene]);
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

TEST(Plan, TargetsStretchTheArcButKeepSignOrderAndRange) {
  const Document d = three_scene_document();
  EmotionArc arc = arc_for(d);
  // A washed-out arc: small differences around neutral.
  const double v[] = {0.10, 0.10, -0.15, 0.05, 0.05};
  const double a[] = {0.25, 0.25, 0.45, 0.30, 0.30};
  for (std::size_t i = 0; i < 5; ++i) arc.sentences[i] = Emotion{v[i], a[i], 0.2, {}, 1};
  const CueSheet sheet = plan(d, arc, {.duration_s = 30, .seed = 1});
  ASSERT_EQ(sheet.cues.size(), 3u);
  const Emotion &calm = sheet.cues[0].target, &danger = sheet.cues[1].target,
                &home = sheet.cues[2].target;
  // Wider than the sentences said, same signs and order.
  EXPECT_GT(calm.valence, 0.10 + 0.05);
  EXPECT_LT(danger.valence, -0.15 - 0.05);
  EXPECT_GT(home.valence, 0.0);
  EXPECT_GT(calm.valence, home.valence);
  EXPECT_GT(danger.arousal - calm.arousal, 0.45 - 0.25 + 0.05);
  // An arc already wide is clamped, not pushed out of range.
  for (Emotion& e : arc.sentences) e.valence = e.valence > 0 ? 0.95 : -0.95;
  for (const Cue& c : plan(d, arc, {.duration_s = 30, .seed = 1}).cues) {
    EXPECT_LE(std::abs(c.target.valence), 1.0);
    EXPECT_GE(std::abs(c.target.valence), 0.95 - 1e-9);
  }
}

TEST(Plan, TargetsComeFromTheSentencesAndCharactersFromTheirScenes) {
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

// A plain-text story with no explicit break: `calm` sentences of a quiet walk, then `violent`
// ones of an attack, three sentences to a paragraph, the last calm sentence a paragraph alone
// (so the turn is not at a multiple of three). Each sentence reads for 8 s (20 words).
struct Story {
  Document document;
  EmotionArc arc;
  std::size_t turn = 0;  // first violent sentence
};

Story calm_then_violent(std::size_t calm, std::size_t violent) {
  Story s;
  s.document.source = "long.txt";
  s.document.title = "The Walk";
  s.document.scenes = {{"The Walk", 0, calm + violent}};
  s.turn = calm;
  const std::string words =
      "one two three four five six seven eight nine ten eleven twelve "
      "thirteen fourteen fifteen sixteen seventeen eighteen nineteen";
  std::size_t paragraph = 0, in_paragraph = 0;
  for (std::size_t i = 0; i < calm + violent; ++i) {
    if (i == calm || in_paragraph == 3) ++paragraph, in_paragraph = 0;
    ++in_paragraph;
    Sentence sentence;
    const bool storm = i >= calm;
    sentence.text = words + (storm ? " wolf!" : " meadow.");
    sentence.paragraph = paragraph;
    s.document.sentences.push_back(sentence);
    // Noise that does not line up with the paragraphs.
    const double wobble = 0.15 * std::sin(static_cast<double>(i) * 1.7);
    Emotion e = storm ? Emotion{-0.6 + wobble, 0.7 - wobble / 2, 0.7, {}, 0.7}
                      : Emotion{0.5 + wobble, -0.3 + wobble / 2, 0.05, {}, 0.7};
    s.arc.sentences.push_back(e);
  }
  // The death line: a sudden fall in the middle of the storm.
  s.arc.sentences[calm + violent / 2] = Emotion{-0.95, 0.9, 1.0, {0, 0, 1.0, 0.2, 0, 0, 0}, 0.9};
  s.arc.scenes = {Emotion{}};
  return s;
}

double cues_per_minute(const CueSheet& sheet) {
  return static_cast<double>(sheet.cues.size()) / (sheet.duration_s / 60);
}

TEST(Plan, ANarratedStoryTakesItsSpokenTimings) {
  const Document d = three_scene_document();
  PlanOptions o{.duration_s = 0, .seed = 1};
  double t = 0.4;  // lead-in
  for (const Sentence& s : d.sentences) {
    SpokenLine line{t, t + 6.0, {{s.text.substr(0, s.text.find(' ')), t, t + 0.3}}};
    o.spoken.push_back(line);
    t += 6.6;  // 0.6 s pauses
  }
  o.spoken_duration_s = t + 1.0;  // outro
  const CueSheet sheet = plan(d, arc_for(d), o);
  EXPECT_NEAR(sheet.duration_s, o.spoken_duration_s, 1e-9);
  ASSERT_EQ(sheet.captions.size(), d.sentences.size());
  for (std::size_t i = 0; i < sheet.captions.size(); ++i) {
    EXPECT_DOUBLE_EQ(sheet.captions[i].start_s, o.spoken[i].start_s) << i;
    EXPECT_DOUBLE_EQ(sheet.captions[i].end_s, o.spoken[i].end_s) << i;
    ASSERT_EQ(sheet.captions[i].words.size(), 1u);
    EXPECT_EQ(sheet.captions[i].words[0].text, o.spoken[i].words[0].text);
  }
  // Scenes change halfway through the pause before their first sentence.
  for (std::size_t k = 1; k < sheet.cues.size(); ++k) {
    const std::size_t first = d.scenes[k].first_sentence;
    EXPECT_NEAR(sheet.cues[k].start_s, o.spoken[first].start_s - 0.3, 1e-6) << k;
  }
  for (const HitPoint& h : sheet.hits) {
    bool at_caption = false;
    for (const Caption& c : sheet.captions) at_caption |= c.start_s == h.time_s;
    EXPECT_TRUE(at_caption) << h.time_s;
  }
}

TEST(PlanTurns, ALongStoryIsCutAtTheParagraphWhereItTurns) {
  // 40 calm sentences (5:20), 35 violent ones (4:40): 10 minutes of music, one scene.
  const Story s = calm_then_violent(40, 35);
  const CueSheet sheet = plan(s.document, s.arc, {.duration_s = 0, .seed = 1});
  ASSERT_NEAR(sheet.duration_s, 600.0, 1e-6);
  // A cue starts exactly where the violent paragraph starts.
  const double turn_s = sheet.captions.at(s.turn).start_s;
  const bool cut_at_turn = std::any_of(sheet.cues.begin(), sheet.cues.end(), [&](const Cue& c) {
    return std::abs(c.start_s - turn_s) < 1e-6;
  });
  EXPECT_TRUE(cut_at_turn) << "the turn at " << turn_s << " s is not a cue start";
  // Lengths a composer would use, and a rate for prose.
  for (const Cue& c : sheet.cues) {
    EXPECT_GE(c.end_s - c.start_s, 15.0 - 1e-6) << c.name;
    EXPECT_LE(c.end_s - c.start_s, 120.0 + 1e-6) << c.name;
  }
  EXPECT_GE(cues_per_minute(sheet), 0.7);
  EXPECT_LE(cues_per_minute(sheet), 3.0);
  // Every cue starts at a paragraph boundary.
  for (std::size_t i = 1; i < sheet.captions.size(); ++i) {
    const bool starts_cue = std::any_of(sheet.cues.begin(), sheet.cues.end(), [&](const Cue& c) {
      return std::abs(c.start_s - sheet.captions[i].start_s) < 1e-6;
    });
    if (starts_cue) {
      EXPECT_NE(s.document.sentences[i].paragraph, s.document.sentences[i - 1].paragraph) << i;
    }
  }
  // Parts are named after the scene; the calm half sounds calm and the violent half violent.
  EXPECT_EQ(sheet.cues[0].name, "The Walk");
  EXPECT_EQ(sheet.cues[1].name, "The Walk (2)");
  EXPECT_GT(sheet.cues.front().target.valence, 0.3);
  EXPECT_LT(sheet.cues.back().target.valence, -0.3);
  EXPECT_GT(sheet.cues.back().target.arousal, sheet.cues.front().target.arousal + 0.5);
}

TEST(PlanTurns, ExplicitBreaksStillStartCuesAndShortStoriesStayWhole) {
  Story s = calm_then_violent(40, 35);
  // A chapter heading in the middle of the calm half, inside a paragraph of three.
  s.document.scenes = {{"One", 0, 20}, {"Two", 20, 55}};
  for (std::size_t i = 20; i < 75; ++i) s.document.sentences[i].scene = 1;
  s.arc.scenes = {Emotion{}, Emotion{}};
  const CueSheet sheet = plan(s.document, s.arc, {.duration_s = 0, .seed = 1});
  const double break_s = sheet.captions.at(20).start_s;
  const auto at_break = std::find_if(sheet.cues.begin(), sheet.cues.end(), [&](const Cue& c) {
    return std::abs(c.start_s - break_s) < 1e-6;
  });
  ASSERT_NE(at_break, sheet.cues.end());
  EXPECT_EQ(at_break->name, "Two");
  // A story of under a minute is not cut at all.
  const Story short_story = calm_then_violent(3, 3);
  EXPECT_EQ(plan(short_story.document, short_story.arc, {.duration_s = 0, .seed = 1}).cues.size(),
            1u);
  // max_cue_s <= 0: scenes are never cut.
  EXPECT_EQ(plan(s.document, s.arc, {.duration_s = 0, .seed = 1, .max_cue_s = 0}).cues.size(), 2u);
}

TEST(PlanTurns, HitPointsMarkPeakLinesAtTheirCaptionStarts) {
  const Story s = calm_then_violent(40, 35);
  const CueSheet sheet = plan(s.document, s.arc, {.duration_s = 0, .seed = 1});
  ASSERT_FALSE(sheet.hits.empty());
  EXPECT_LE(sheet.hits.size(), 5u);  // about one per two minutes at most
  for (std::size_t i = 0; i < sheet.hits.size(); ++i) {
    const HitPoint& h = sheet.hits[i];
    EXPECT_GE(h.time_s, 0.0);
    EXPECT_LT(h.time_s, sheet.duration_s);
    if (i > 0) {
      EXPECT_GE(h.time_s - sheet.hits[i - 1].time_s, 40.0 - 1e-6);
    }
    const auto caption =
        std::find_if(sheet.captions.begin(), sheet.captions.end(),
                     [&](const Caption& c) { return std::abs(c.start_s - h.time_s) < 1e-9; });
    ASSERT_NE(caption, sheet.captions.end()) << h.kind << " at " << h.time_s;
    EXPECT_EQ(caption->text, h.text);
    EXPECT_FALSE(h.kind.empty());
    // Peak lines lie in the violent half.
    EXPECT_GE(h.time_s, sheet.captions.at(s.turn).start_s - 1e-9) << h.kind;
  }
  // The death line is marked, as a climax or a death.
  const double death_s = sheet.captions.at(40 + 35 / 2).start_s;
  EXPECT_TRUE(std::any_of(sheet.hits.begin(), sheet.hits.end(),
                          [&](const HitPoint& h) { return std::abs(h.time_s - death_s) < 1e-9; }));
}

TEST(CueSheetJson, HitPointsRoundTrip) {
  const Story s = calm_then_violent(40, 35);
  const CueSheet sheet = plan(s.document, s.arc, {.duration_s = 0, .seed = 1});
  ASSERT_FALSE(sheet.hits.empty());
  const CueSheet back = nlohmann::json(sheet).get<CueSheet>();
  ASSERT_EQ(back.hits.size(), sheet.hits.size());
  for (std::size_t i = 0; i < back.hits.size(); ++i) {
    EXPECT_DOUBLE_EQ(back.hits[i].time_s, sheet.hits[i].time_s);
    EXPECT_EQ(back.hits[i].kind, sheet.hits[i].kind);
    EXPECT_EQ(back.hits[i].text, sheet.hits[i].text);
  }
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

// Why reading `bad` as a cue sheet failed ("accepted" if it did not); a refusal must be bad input.
std::string message_of(const nlohmann::json& bad) {
  try {
    (void)bad.get<CueSheet>();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    return e.what();
  }
  return "accepted";
}

TEST(CueSheetJson, RejectsHitPointsOutsideThePieceOrOutOfOrderNamingTheHit) {
  const Document d = three_scene_document();
  nlohmann::json j = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  j["hits"] = nlohmann::json::array({{{"time_s", 5.0}, {"kind", "cry"}, {"text", "Help!"}},
                                     {{"time_s", 12.0}, {"kind", "death"}, {"text", "He fell."}}});
  EXPECT_EQ(j.get<CueSheet>().hits.size(), 2u);
  nlohmann::json late = j;
  late["hits"][1]["time_s"] = 31.0;  // past duration_s
  EXPECT_NE(message_of(late).find("hits[1]"), std::string::npos) << message_of(late);
  nlohmann::json unordered = j;
  unordered["hits"][0]["time_s"] = 20.0;
  EXPECT_NE(message_of(unordered).find("hits[1]"), std::string::npos) << message_of(unordered);
  nlohmann::json untimed = j;
  untimed["hits"][0].erase("time_s");
  EXPECT_NE(message_of(untimed).find("hits[0]"), std::string::npos) << message_of(untimed);
}

TEST(CueSheetJson, AnArcRoundTripsAndABadPointIsNamed) {
  const Document d = three_scene_document();
  CueSheet sheet = plan(d, arc_for(d), {.duration_s = 30, .seed = 1});
  EXPECT_FALSE(nlohmann::json(sheet).contains("arc")) << "written only when there is one";
  sheet.arc = {{2.5, 0.1, -0.4}, {7.25, -0.3, 0.8}};
  const nlohmann::json j = sheet;
  const CueSheet back = j.get<CueSheet>();
  ASSERT_EQ(back.arc.size(), 2u);
  EXPECT_EQ(back.arc[1].time_s, 7.25);
  EXPECT_EQ(back.arc[1].valence, -0.3);
  EXPECT_EQ(back.arc[1].arousal, 0.8);
  nlohmann::json loud = j;
  loud["arc"][1]["arousal"] = 2;
  EXPECT_NE(message_of(loud).find("arc[1]: 'arousal' is 2"), std::string::npos) << message_of(loud);
  nlohmann::json unordered = j;
  unordered["arc"][0]["time_s"] = 9.0;
  EXPECT_NE(message_of(unordered).find("arc[1]"), std::string::npos) << message_of(unordered);
  nlohmann::json late = j;
  late["arc"][1]["time_s"] = 31.0;  // past duration_s
  EXPECT_NE(message_of(late).find("arc[1]"), std::string::npos) << message_of(late);
}

}  // namespace
}  // namespace tonepoem
