#include "judge/judge.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem {
namespace {

constexpr int kPpq = 480;

Score empty_score(double bpm, int bars) {
  Score s;
  s.ppq = kPpq;
  s.tempo = {{0, bpm}};
  s.meters = {{0, 4, 4}};
  s.keys = {{0, 0, Mode::ionian}};
  s.end_tick = static_cast<std::int64_t>(bars) * 4 * kPpq;
  return s;
}

Track track(std::string role, int channel, int program) {
  Track t;
  t.name = role;
  t.role = std::move(role);
  t.channel = channel;
  t.program = program;
  return t;
}

// Fast (150 bpm), loud, dense: sixteenth-note melody, eighth-note chords, drums every eighth.
Score fast_loud_dense() {
  Score s = empty_score(150, 4);
  Track melody = track("melody", 0, 56), chords = track("chords", 1, 0),
        drums = track("drums", 9, 0);
  const int scale[] = {60, 62, 64, 65, 67, 69, 71, 72};
  for (std::int64_t t = 0; t < s.end_tick; t += kPpq / 4)
    melody.notes.push_back({t, kPpq / 8, scale[(t / (kPpq / 4)) % 8] + 12, 115});
  for (std::int64_t t = 0; t < s.end_tick; t += kPpq / 2) {
    for (int p : {48, 52, 55}) chords.notes.push_back({t, kPpq / 4, p, 105});
    drums.notes.push_back({t, kPpq / 4, (t / (kPpq / 2)) % 2 ? 38 : 36, 120});
  }
  s.tracks = {melody, chords, drums};
  return s;
}

// Slow (60 bpm), soft, sparse: a whole-note melody over a held chord.
Score slow_soft_sparse() {
  Score s = empty_score(60, 4);
  Track melody = track("melody", 0, 73), pad = track("pad", 1, 89);
  const int line[] = {67, 64, 65, 60};
  for (int bar = 0; bar < 4; ++bar) {
    const std::int64_t t0 = std::int64_t{bar} * 4 * kPpq;
    melody.notes.push_back({t0, 4 * kPpq, line[bar], 40});
    for (int p : {48, 55}) pad.notes.push_back({t0, 4 * kPpq, p, 35});
  }
  s.tracks = {melody, pad};
  return s;
}

// A triad melody (arpeggio and block chords) in C major, or in C minor with dissonant clusters.
Score triad_piece(bool minor_with_clusters) {
  Score s = empty_score(100, 4);
  Track melody = track("melody", 0, 0), chords = track("chords", 1, 48);
  const int third = minor_with_clusters ? 63 : 64;
  const int arpeggio[] = {60, third, 67, 72, 67, third, 60, 67};
  for (int i = 0; i < 32; ++i)
    melody.notes.push_back({std::int64_t{i} * kPpq / 2, kPpq / 2, arpeggio[i % 8] + 12, 80});
  for (int bar = 0; bar < 4; ++bar) {
    const std::int64_t t0 = std::int64_t{bar} * 4 * kPpq;
    std::vector<int> chord = {48, third - 12, 55};
    if (minor_with_clusters) chord = {48, 49, third - 12, 54, 55, 56};  // C Db Eb Gb G Ab
    for (int p : chord) chords.notes.push_back({t0, 4 * kPpq, p, 80});
  }
  s.tracks = {melody, chords};
  return s;
}

TEST(ExtractFeatures, BasicFigures) {
  const Score s = fast_loud_dense();
  const MusicFeatures f = extract_features(s, 0, s.end_tick);
  EXPECT_NEAR(f.tempo_bpm, 150, 1e-9);
  EXPECT_NEAR(f.duration_s, 16 * 60.0 / 150, 1e-9);
  // 64 melody + 32*3 chord + 32 drum notes.
  EXPECT_EQ(f.note_count, 64 + 96 + 32);
  EXPECT_NEAR(f.notes_per_second, 192 / f.duration_s, 1e-9);
  EXPECT_NEAR(f.percussion_share, 32.0 / 192, 1e-9);
  EXPECT_GT(f.mean_velocity, 100);
  EXPECT_GT(f.velocity_spread, 0);
  EXPECT_NEAR(f.articulation, 0.5, 1e-9);  // every note lasts half its inter-onset interval
  EXPECT_EQ(f.pitch_range, 84 - 48);
  EXPECT_FALSE(f.key_minor);
  EXPECT_EQ(f.key_tonic, 0);
  const FeatureTerms t = feature_terms(f);
  EXPECT_DOUBLE_EQ(t.tempo, 1.0);  // 150 bpm is the top of the tempo scale
  EXPECT_GT(t.loudness, 0.8);
  EXPECT_NEAR(t.staccato, 0.75, 1e-9);
  EXPECT_GT(t.density, 0.5);
  EXPECT_GT(t.mode, 0);
}

TEST(ExtractFeatures, TempoFollowsTheMapAcrossTheRange) {
  Score s = empty_score(120, 4);
  s.tempo.push_back({2 * 4 * kPpq, 60});
  Track t = track("melody", 0, 0);
  t.notes.push_back({0, kPpq, 60, 80});
  s.tracks = {t};
  EXPECT_NEAR(extract_features(s, 0, 8 * kPpq).tempo_bpm, 120, 1e-9);
  EXPECT_NEAR(extract_features(s, 8 * kPpq, 16 * kPpq).tempo_bpm, 60, 1e-9);
  // Half the beats at each tempo: 16 beats in 4 s + 8 s = 80 bpm.
  EXPECT_NEAR(extract_features(s, 0, 16 * kPpq).tempo_bpm, 80, 1e-9);
}

TEST(ExtractFeatures, EmptyRangeAndEmptyScoreAreNeutral) {
  const Score s = empty_score(100, 2);
  const MusicFeatures f = extract_features(s, 0, s.end_tick);
  EXPECT_EQ(f.note_count, 0);
  EXPECT_EQ(f.dissonance, 0);
  const Emotion e = judge_features(f);
  EXPECT_EQ(e.valence, 0);
  EXPECT_EQ(e.arousal, 0);
  EXPECT_EQ(e.confidence, 0);
  EXPECT_EQ(extract_features(fast_loud_dense(), 100, 100).note_count, 0);
}

TEST(ExtractFeatures, KeyFindingSeparatesMajorAndMinor) {
  const MusicFeatures major = extract_features(triad_piece(false), 0, 16 * kPpq);
  const MusicFeatures minor = extract_features(triad_piece(true), 0, 16 * kPpq);
  EXPECT_GT(major.major_minor, 0);
  EXPECT_FALSE(major.key_minor);
  EXPECT_EQ(major.key_tonic, 0);
  EXPECT_LT(minor.major_minor, major.major_minor);
  EXPECT_GT(minor.dissonance, major.dissonance + 0.2);
  EXPECT_LT(major.dissonance, 0.1);
}

TEST(ExtractFeatures, OutOfRangePitchesAreIgnored) {
  Score s = empty_score(100, 1);
  Track t = track("pad", 0, 0);
  t.notes = {{0, kPpq, 60, 80}, {0, kPpq, 200, 80}, {0, kPpq, -5, 80}};
  s.tracks = {t};
  const MusicFeatures f = extract_features(s, 0, s.end_tick);
  EXPECT_EQ(f.note_count, 1);
  EXPECT_EQ(f.mean_pitch, 60);
}

TEST(ExtractFeatures, DissonanceOfAClusterAndOfAFifth) {
  Score s = empty_score(100, 1);
  Track t = track("pad", 0, 0);
  t.notes = {{0, kPpq, 60, 80}, {0, kPpq, 67, 80}};  // a fifth: consonant
  t.notes.push_back({kPpq, kPpq, 60, 80});
  t.notes.push_back({kPpq, kPpq, 61, 80});  // a minor second: dissonant
  s.tracks = {t};
  EXPECT_NEAR(extract_features(s, 0, kPpq).dissonance, 0.0, 1e-12);
  EXPECT_NEAR(extract_features(s, kPpq, 2 * kPpq).dissonance, 1.0, 1e-12);
  EXPECT_NEAR(extract_features(s, 0, 2 * kPpq).dissonance, 0.5, 1e-12);
}

TEST(Judge, FastLoudDenseIsMoreArousedThanSlowSoftSparse) {
  const Score fast = fast_loud_dense(), slow = slow_soft_sparse();
  const Emotion a = judge_features(extract_features(fast, 0, fast.end_tick));
  const Emotion b = judge_features(extract_features(slow, 0, slow.end_tick));
  RecordProperty("fast_arousal", std::to_string(a.arousal));
  RecordProperty("slow_arousal", std::to_string(b.arousal));
  EXPECT_GT(a.arousal, 0.5);
  EXPECT_LT(b.arousal, -0.5);
  EXPECT_GT(a.arousal, b.arousal + 1.0);
  EXPECT_GT(a.confidence, b.confidence);
}

TEST(Judge, MajorTriadsAreMoreValentThanMinorClusters) {
  const Score major = triad_piece(false), minor = triad_piece(true);
  const Emotion a = judge_features(extract_features(major, 0, major.end_tick));
  const Emotion b = judge_features(extract_features(minor, 0, minor.end_tick));
  RecordProperty("major_valence", std::to_string(a.valence));
  RecordProperty("minor_cluster_valence", std::to_string(b.valence));
  RecordProperty("major_tension", std::to_string(a.tension));
  RecordProperty("minor_cluster_tension", std::to_string(b.tension));
  EXPECT_GT(a.valence, 0.3);
  EXPECT_LT(b.valence, -0.3);
  EXPECT_GT(b.tension, a.tension + 0.3);
}

TEST(Judge, CategoriesFollowTheQuadrant) {
  const Score fast = fast_loud_dense(), slow = slow_soft_sparse();
  EXPECT_EQ(judge_features(extract_features(fast, 0, fast.end_tick)).dominant_name(), "joy");
  const Score minor = triad_piece(true);
  const std::string_view dark =
      judge_features(extract_features(minor, 0, minor.end_tick)).dominant_name();
  EXPECT_TRUE(dark == "sadness" || dark == "fear" || dark == "anger") << dark;
}

TEST(JudgeSections, OneEstimatePerSectionFollowingEachSection) {
  // Section A: the slow soft piece's material; section B: the fast loud one's, appended.
  Score slow = slow_soft_sparse();
  const Score fast = fast_loud_dense();
  const std::int64_t offset = slow.end_tick;
  // Put both at one tempo (the tempo map changes at B).
  slow.tempo.push_back({offset, 150});
  for (const Track& t : fast.tracks) {
    Track moved = t;
    moved.channel = t.channel == 9 ? 9 : t.channel + 2;
    for (Note& n : moved.notes) n.tick += offset;
    slow.tracks.push_back(moved);
  }
  slow.end_tick = offset + fast.end_tick;
  slow.sections = {{"A", 0, offset, 0, 0, 0, Mode::ionian, 60, 4, {}, {}},
                   {"B", offset, slow.end_tick, 0, 0, 0, Mode::ionian, 150, 4, {}, {}}};
  const std::vector<Emotion> judged = judge_sections(slow);
  ASSERT_EQ(judged.size(), 2u);
  EXPECT_LT(judged[0].arousal, 0);
  EXPECT_GT(judged[1].arousal, 0.5);

  const auto windows = judge_windows(slow, 4.0, 2.0);
  ASSERT_FALSE(windows.empty());
  EXPECT_NEAR(windows.back().end_s, slow.duration_s(), 1e-9);
  EXPECT_LT(windows.front().emotion.arousal, windows.back().emotion.arousal);
  const nlohmann::json j = windows.front();
  EXPECT_TRUE(j.contains("quadrant"));
  EXPECT_THROW(judge_windows(slow, 0, 1), Error);
}

TEST(JudgeSections, NoSectionsJudgesTheWholeScore) {
  const std::vector<Emotion> judged = judge_sections(fast_loud_dense());
  ASSERT_EQ(judged.size(), 1u);
  EXPECT_GT(judged[0].arousal, 0.5);
}

TEST(JudgeAudio, LoudBrightBusyIsMoreAroused) {
  AudioFeatures loud{-10, 4, 3000, 0.09, 8, 10};
  AudioFeatures soft{-30, 2, 900, 0.02, 0.7, 10};
  const Emotion a = judge_audio_features(loud), b = judge_audio_features(soft);
  EXPECT_GT(a.arousal, b.arousal + 0.8);
  EXPECT_LE(a.confidence, 0.5);
  EXPECT_EQ(judge_audio_features(AudioFeatures{}).confidence, 0);
  // Combining: a confident score estimate dominates a weaker audio one.
  Emotion score;
  score.valence = 0.8;
  score.arousal = 0.2;
  score.confidence = 0.9;
  const Emotion c = combine_judgements(score, b);
  EXPECT_GT(c.valence, 0.5);
  EXPECT_LT(c.arousal, score.arousal);
  nlohmann::json j = loud;
  EXPECT_EQ(j["onset_rate"], 8);
}

}  // namespace
}  // namespace tonepoem
