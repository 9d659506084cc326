#include "music/metrics.h"

#include <cmath>

#include <gtest/gtest.h>

#include "music/compose.h"

namespace tonepoem {
namespace {

Score scale_score() {
  Score s;
  s.tempo = {{0, 120}};
  s.meters = {{0, 4, 4}};
  s.keys = {{0, 0, Mode::ionian}};
  Track t;
  t.channel = 0;
  const int pitches[] = {60, 62, 64, 65, 67, 69, 71, 72};
  for (int i = 0; i < 8; ++i) t.notes.push_back({i * 480, 480, pitches[i], 80});
  s.tracks.push_back(t);
  Track drums;
  drums.channel = 9;
  drums.notes.push_back({0, 120, 36, 100});
  drums.notes.push_back({1920, 120, 36, 100});
  s.tracks.push_back(drums);
  s.end_tick = 8 * 480;
  return s;
}

TEST(Metrics, MeasuresAScaleExactly) {
  const ScoreMetrics m = measure(scale_score());
  EXPECT_EQ(m.notes, 8u);
  EXPECT_DOUBLE_EQ(m.in_scale_ratio, 1.0);
  EXPECT_NEAR(m.pitch_class_entropy, 2.75, 1e-12);
  EXPECT_DOUBLE_EQ(m.pitch_range, 12);
  EXPECT_NEAR(m.note_density, 2.0, 1e-9);  // 8 notes in 4 s
  EXPECT_DOUBLE_EQ(m.empty_beat_rate, 0.0);
  EXPECT_DOUBLE_EQ(m.groove_consistency, 1.0);
  EXPECT_NEAR(m.voice_leading, 12.0 / 7.0, 1e-12);
}

TEST(Metrics, EmptyBeatsAndChromaticNotes) {
  Score s = scale_score();
  s.tracks.resize(1);
  s.tracks[0].notes = {{0, 480, 60, 80}, {960, 480, 61, 80}};  // beats 2 and 4 empty
  s.end_tick = 1920;
  const ScoreMetrics m = measure(s);
  EXPECT_DOUBLE_EQ(m.empty_beat_rate, 0.5);
  EXPECT_DOUBLE_EQ(m.in_scale_ratio, 1.0);  // C# major holds both (B# = C)
  EXPECT_NEAR(m.pitch_class_entropy, 1.0, 1e-12);
}

TEST(Metrics, ComposedMusicLooksTonal) {
  const Score s = compose(single_emotion_cues(Emotion{0.5, 0.2}, 60, 3), {});
  const ScoreMetrics m = measure(s);
  EXPECT_GT(m.in_scale_ratio, 0.85);
  EXPECT_LT(m.empty_beat_rate, 0.1);
  EXPECT_GT(m.groove_consistency, 0.6);
  EXPECT_LT(m.voice_leading, 10.0);  // VGMIDI pieces: median 7.1, 90th percentile 10.2
  EXPECT_GT(m.pitch_class_entropy, 2.3);
  EXPECT_LT(m.pitch_class_entropy, 3.4);
  EXPECT_EQ(metric_values(m).size(), 7u);
}

TEST(BarRepetition, CountsBarsThatRepeatAnEarlierBarExactly) {
  Score s;
  s.meters = {{0, 4, 4}};
  Track loop, tune;
  loop.role = "bass";
  tune.role = "melody";
  for (int bar = 0; bar < 8; ++bar) {
    loop.notes.push_back({bar * 1920, 960, 36, 80 + bar});  // the same bar, louder each time
    tune.notes.push_back({bar * 1920, 960, 60 + bar, 80});  // a new pitch each bar
  }
  s.tracks = {loop, tune};
  s.end_tick = 8 * 1920;
  const auto r = bar_repetition(s);
  EXPECT_DOUBLE_EQ(r.at("bass"), 7.0 / 8.0);  // loudness does not make a bar new
  EXPECT_DOUBLE_EQ(r.at("melody"), 0.0);
  EXPECT_DOUBLE_EQ(bar_repetition(s, 4 * 1920).at("bass"), 3.0 / 4.0);  // only bars in range
  EXPECT_EQ(r.count("drums"), 0u);
}

}  // namespace
}  // namespace tonepoem
