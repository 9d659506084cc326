#include "core/emotion.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/rng.h"

namespace tonepoem {
namespace {

TEST(Emotion, JsonRoundTripKeepsEveryField) {
  Emotion e{0.25, -0.5, 0.75, {}, 0.9};
  e.weight(Category::fear) = 0.6;
  e.weight(Category::sadness) = 0.2;
  const nlohmann::json j = e;
  EXPECT_EQ(j["emotion"], "fear");
  const Emotion back = j.get<Emotion>();
  EXPECT_DOUBLE_EQ(back.valence, 0.25);
  EXPECT_DOUBLE_EQ(back.arousal, -0.5);
  EXPECT_DOUBLE_EQ(back.tension, 0.75);
  EXPECT_DOUBLE_EQ(back.confidence, 0.9);
  EXPECT_DOUBLE_EQ(back.weight(Category::fear), 0.6);
  EXPECT_DOUBLE_EQ(back.weight(Category::sadness), 0.2);
}

TEST(Emotion, NeutralWhenNoCategoryHasWeight) {
  EXPECT_EQ(Emotion{}.dominant_name(), "neutral");
}

TEST(Emotion, ClampedKeepsRanges) {
  Emotion e{3, -3, 2, {}, 5};
  e.weight(Category::joy) = -1;
  const Emotion c = e.clamped();
  EXPECT_EQ(c.valence, 1);
  EXPECT_EQ(c.arousal, -1);
  EXPECT_EQ(c.tension, 1);
  EXPECT_EQ(c.confidence, 1);
  EXPECT_EQ(c.weight(Category::joy), 0);
}

TEST(Emotion, WeightedMeanFavoursHeavierItems) {
  const Emotion items[] = {Emotion{1, 1, 0, {}, 1}, Emotion{-1, -1, 1, {}, 1}};
  const double weights[] = {3, 1};
  const Emotion m = weighted_mean(items, weights, 2);
  EXPECT_DOUBLE_EQ(m.valence, 0.5);
  EXPECT_DOUBLE_EQ(m.tension, 0.25);
  const double zero[] = {0, 0};
  EXPECT_DOUBLE_EQ(weighted_mean(items, zero, 2).valence, 0.0);
}

TEST(Emotion, QuadrantNames) {
  EXPECT_EQ(quadrant_name(0.5, 0.5), "happy");
  EXPECT_EQ(quadrant_name(0.5, -0.5), "calm");
  EXPECT_EQ(quadrant_name(-0.5, -0.5), "sad");
  EXPECT_EQ(quadrant_name(-0.5, 0.5), "tense");
}

TEST(Rng, SameSeedSameSequenceAndForksAreIndependent) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Rng(42).next(), c.next());
  Rng parent(7);
  Rng f1 = parent.fork(1);
  Rng parent2(7);
  Rng f2 = parent2.fork(2);
  EXPECT_NE(f1.next(), f2.next());
}

TEST(Rng, RangesAndPicksStayInBounds) {
  Rng r(1);
  int counts[3] = {0, 0, 0};
  const double weights[] = {0.0, 1.0, 3.0};
  for (int i = 0; i < 4000; ++i) {
    const int v = r.integer(-2, 2);
    EXPECT_GE(v, -2);
    EXPECT_LE(v, 2);
    const double u = r.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    ++counts[r.pick(weights)];
  }
  EXPECT_EQ(counts[0], 0);
  EXPECT_NEAR(double(counts[2]) / counts[1], 3.0, 0.4);
}

}  // namespace
}  // namespace tonepoem
