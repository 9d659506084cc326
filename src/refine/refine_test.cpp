#include "refine/refine.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "music/midi.h"

namespace tonepoem {
namespace {

// Default tension 0.2: a little suspense, as most story scenes carry.
Emotion at(double v, double a, double t = 0.2) {
  return Emotion::at(v, a, t);
}

CueSheet two_cues(const Emotion& first, const Emotion& second, std::uint64_t seed = 7) {
  CueSheet sheet;
  sheet.title = "test";
  sheet.duration_s = 40;
  sheet.seed = seed;
  sheet.cues.push_back(Cue{"One", 0, 20, first, {}, {}});
  sheet.cues.push_back(Cue{"Two", 20, 40, second, {}, {}});
  return sheet;
}

// A judge that hears everything 0.45 darker and 0.45 calmer than the hand-set formula: the plain
// composition misses, so refinement has to steer.
JudgeWeights biased_judge(double valence_bias, double arousal_bias) {
  JudgeWeights w = hand_set_weights();
  w.valence_bias += valence_bias;
  w.arousal_bias += arousal_bias;
  return w;
}

TEST(Refine, ReducesTheArousalErrorOnAHardTarget) {
  const JudgeWeights judge = biased_judge(0.0, -0.45);
  const RefineResult r = refine(two_cues(at(0.3, 0.2), at(-0.2, 0.4)), {}, {.weights = &judge});
  ASSERT_EQ(r.sections.size(), 2u);
  for (const SectionRefinement& s : r.sections) {
    const double before = std::abs(s.judged_before.arousal - s.target.arousal);
    const double after = std::abs(s.judged_after.arousal - s.target.arousal);
    EXPECT_GT(before, 0.3) << s.name << ": the biased judge should make this hard";
    EXPECT_LT(after, before - 0.15) << s.name;
    EXPECT_FALSE(s.changes.empty()) << s.name;
    EXPECT_GT(s.candidates, 1) << s.name;
  }
}

// The steering judge's valence is at the majority baseline: whatever it hears, refinement leaves
// valence to the plan. A judge that hears every section as black (or as radiant) may not turn a
// mildly bright scene minor (or a mildly dark one major), nor steer valence or register.
TEST(Refine, NeverSteersValenceOrLeavesThePlansModeFamily) {
  for (const double bias : {-5.0, 5.0}) {
    const JudgeWeights judge = biased_judge(bias, -0.45);
    const RefineResult r = refine(two_cues(at(0.11, 0.2), at(-0.11, 0.4)), {}, {.weights = &judge});
    ASSERT_EQ(r.score.sections.size(), 2u);
    EXPECT_FALSE(is_minor_mode(r.score.sections[0].mode)) << "bias " << bias;
    EXPECT_TRUE(is_minor_mode(r.score.sections[1].mode)) << "bias " << bias;
    for (const Cue& c : r.cues.cues) {
      EXPECT_EQ(c.adjust.valence, 0.0) << c.name << ", bias " << bias;
      EXPECT_EQ(c.adjust.register_shift, 0) << c.name << ", bias " << bias;
      EXPECT_EQ(is_minor_mode(adjusted_params(c.target, c.adjust).mode),
                is_minor_mode(map_emotion(c.target).mode))
          << c.name;
    }
    EXPECT_GT(r.candidates, 2) << "the arousal error still makes it search";
  }
}

TEST(Refine, IsDeterministicAndItsCueSheetReComposesTheSameMidi) {
  const CueSheet sheet = two_cues(at(0.7, -0.6), at(-0.7, 0.7, 0.8), 11);
  const RefineResult a = refine(sheet, {}, {});
  const RefineResult b = refine(sheet, {}, {});
  EXPECT_EQ(write_midi(a.score), write_midi(b.score));
  EXPECT_EQ(nlohmann::json(a.cues).dump(), nlohmann::json(b.cues).dump());
  // Through JSON, as cues.json: the adjustments survive and compose gives the same bytes.
  CueSheet back;
  from_json(nlohmann::json(a.cues), back);
  EXPECT_EQ(write_midi(compose(back, {})), write_midi(a.score));
}

TEST(Refine, DefaultAdjustLeavesComposeUnchanged) {
  const CueSheet sheet = two_cues(at(0.2, 0.1), at(-0.3, -0.2));
  CueSheet adjusted = sheet;
  adjusted.cues[1].adjust.variation = 3;
  const std::string plain = write_midi(compose(sheet, {}));
  EXPECT_NE(write_midi(compose(adjusted, {})), plain);
  adjusted.cues[1].adjust = CueAdjust{};
  EXPECT_EQ(write_midi(compose(adjusted, {})), plain);
  EXPECT_EQ(nlohmann::json(sheet).dump().find("adjust"), std::string::npos)
      << "default adjust is not written";
}

TEST(Refine, AnUnreachableTargetIsFlaggedWithAReason) {
  const JudgeWeights judge = biased_judge(0.0, -5.0);  // always hears arousal -1
  const RefineResult r =
      refine(two_cues(at(0.8, 0.0), at(0.6, 0.3)), {}, {.rounds = 1, .weights = &judge});
  for (const SectionRefinement& s : r.sections) {
    ASSERT_FALSE(s.flagged.empty()) << s.name;
    EXPECT_NE(s.flagged.find("tolerance"), std::string::npos) << s.flagged;
    EXPECT_TRUE(nlohmann::json(s).contains("flagged"));
  }
}

TEST(Refine, TheTimeCapStopsEarlyAndSaysSo) {
  const JudgeWeights judge = biased_judge(-0.45, -0.45);
  RefineOptions o;
  o.weights = &judge;
  o.time_cap_s = 1e-9;  // fires after the first candidate
  const RefineResult r = refine(two_cues(at(0.3, 0.2), at(-0.2, 0.4)), {}, o);
  EXPECT_TRUE(r.stopped_early);
  ASSERT_EQ(r.sections.size(), 2u);
  EXPECT_NE(r.sections[1].flagged.find("time cap"), std::string::npos) << r.sections[1].flagged;
  CueSheet back;
  from_json(nlohmann::json(r.cues), back);
  EXPECT_EQ(write_midi(compose(back, {})), write_midi(r.score)) << "still re-composes identically";
}

TEST(Refine, ValidateListsEveryProblem) {
  RefineOptions o;
  o.seeds = 0;
  o.tolerance = 2;
  o.gains.clear();
  EXPECT_EQ(o.validate().size(), 3u);
  EXPECT_THROW(refine(two_cues(at(0, 0), at(0, 0)), {}, o), Error);
}

TEST(JudgeWeights, ShippedWeightsParseAndHandSetMatchesTheFormula) {
  EXPECT_NE(fitted_judge_weights().source, "hand-set") << "the embedded weights should parse";
  const JudgeWeights hand = hand_set_weights();
  const JudgeWeights round = parse_judge_weights(format_judge_weights(hand, "# test"), "test");
  EXPECT_EQ(round.valence, hand.valence);
  EXPECT_EQ(round.arousal, hand.arousal);
  const Score score = compose(two_cues(at(0.5, 0.5), at(-0.5, -0.5)), {});
  const auto plain = judge_sections(score);
  const auto weighted = judge_sections(score, hand);
  ASSERT_EQ(plain.size(), weighted.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_NEAR(plain[i].valence, weighted[i].valence, 1e-9);
    EXPECT_NEAR(plain[i].arousal, weighted[i].arousal, 1e-9);
  }
  EXPECT_THROW(parse_judge_weights("term tempo 1\n", "x"), Error);
  EXPECT_THROW(parse_judge_weights("bogus 1\n", "x"), Error);
}

// A judge that hears the calm section as too calm and the storm as too wild would have refinement
// speed up the calm and slow down the storm, until the calm outruns the storm. The story's order
// wins: the storm stays faster than the calm before it.
TEST(Refine, KeepsTheStorysTempoOrderWhateverTheJudgeSays) {
  const JudgeWeights judge = biased_judge(0.0, -0.6);
  for (std::uint64_t seed : {3u, 7u, 11u}) {
    const RefineResult r =
        refine(two_cues(at(0.2, -0.05), at(-0.4, 0.55, 0.8), seed), {}, {.weights = &judge});
    ASSERT_EQ(r.score.sections.size(), 2u);
    EXPECT_GT(r.score.sections[1].tempo_bpm, r.score.sections[0].tempo_bpm) << "seed " << seed;
  }
}

// A judge that hears everything far too bright would have refinement darken a happy scene into a
// minor mode; the mode family follows the story's valence instead.
TEST(Refine, NeverTurnsAHappySceneMinorOrADarkSceneMajor) {
  const JudgeWeights too_bright = biased_judge(+0.7, 0.0);
  const JudgeWeights too_dark = biased_judge(-0.7, 0.0);
  for (std::uint64_t seed : {3u, 7u}) {
    const RefineResult happy =
        refine(two_cues(at(0.35, 0.3), at(0.5, 0.5), seed), {}, {.weights = &too_bright});
    for (const ScoreSection& s : happy.score.sections)
      EXPECT_FALSE(is_minor_mode(s.mode)) << s.name;
    const RefineResult dark =
        refine(two_cues(at(-0.4, -0.3), at(-0.5, 0.5, 0.6), seed), {}, {.weights = &too_dark});
    for (const ScoreSection& s : dark.score.sections) EXPECT_TRUE(is_minor_mode(s.mode)) << s.name;
  }
}

}  // namespace
}  // namespace tonepoem
