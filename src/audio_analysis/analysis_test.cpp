#include "audio_analysis/analysis.h"

#include <gtest/gtest.h>

#include "audio_analysis/known_beats.h"

namespace tonepoem {
namespace {

TEST(BeatAccuracy, CountsMatchesInsideTheWindowOnce) {
  const std::vector<double> reference = {1.0, 2.0, 3.0, 4.0};
  EXPECT_DOUBLE_EQ(beat_accuracy(reference, reference).f_measure, 1.0);
  // 60 ms late still matches; 80 ms late does not.
  EXPECT_DOUBLE_EQ(beat_accuracy(reference, {1.06, 2.06, 3.06, 4.06}).f_measure, 1.0);
  EXPECT_DOUBLE_EQ(beat_accuracy(reference, {1.08, 2.08, 3.08, 4.08}).f_measure, 0.0);
  // Twice as many estimates: all references found, half the estimates wrong.
  const BeatAccuracy doubled = beat_accuracy(reference, {1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5});
  EXPECT_DOUBLE_EQ(doubled.recall, 1.0);
  EXPECT_DOUBLE_EQ(doubled.precision, 0.5);
  // Two estimates near one reference count once.
  EXPECT_DOUBLE_EQ(beat_accuracy({1.0}, {0.99, 1.01}).precision, 0.5);
  EXPECT_DOUBLE_EQ(beat_accuracy(reference, {}).f_measure, 0.0);
  EXPECT_DOUBLE_EQ(beat_accuracy({}, {}).f_measure, 1.0);
}

TEST(AudioAnalysisOptions, ListsEveryProblem) {
  AudioAnalysisOptions options;
  EXPECT_TRUE(options.validate().empty());
  options.min_bpm = 10;
  options.max_bpm = 12;
  options.min_section_s = -1;
  const OptionProblems problems = options.validate();
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].field, "min_bpm");
  EXPECT_THROW(analyze_audio(AudioBuffer{}, options), InvalidOptions);
}

// A rendered score of known beats: our grid within 70 ms of at least 95% of them, the bars
// found (meter and phase), the tempo right, and better than aubio's raw beats.
void expect_tracked(double bpm, int meter, bool drums, std::uint64_t seed) {
  const known_beats::Piece piece = known_beats::compose_piece(bpm, meter, drums, 30, seed);
  const AudioBuffer audio = known_beats::render_piece(piece);
  const AudioAnalysis analysis = analyze_audio(audio);
  const BeatAccuracy beats = beat_accuracy(piece.beats, analysis.timeline.beats);
  const BeatAccuracy downbeats = beat_accuracy(piece.downbeats, analysis.timeline.downbeats);
  SCOPED_TRACE(piece.name);
  EXPECT_GE(beats.f_measure, 0.95);
  EXPECT_LT(beats.mean_abs_error_s, 0.02);
  EXPECT_GE(downbeats.f_measure, 0.85);
  EXPECT_EQ(analysis.beats_per_bar, meter);
  EXPECT_NEAR(analysis.tempo_bpm, piece.bpm, piece.bpm * 0.05);
  EXPECT_GE(beats.f_measure, beat_accuracy(piece.beats, aubio_beats(audio)).f_measure);
  // The Timeline's own promises: ascending, every downbeat a beat, inside the song.
  const Timeline& t = analysis.timeline;
  EXPECT_TRUE(std::is_sorted(t.beats.begin(), t.beats.end()));
  for (double d : t.downbeats)
    EXPECT_TRUE(std::find(t.beats.begin(), t.beats.end(), d) != t.beats.end()) << d;
  EXPECT_NEAR(t.duration_s, audio.duration_s(), 1e-9);
  ASSERT_FALSE(t.sections.empty());
  EXPECT_EQ(t.sections.front().start_s, 0.0);
  EXPECT_NEAR(t.sections.back().end_s, t.duration_s, 1e-9);
}

TEST(AnalyzeAudio, FindsBeatsAndBarsOfA4_4PieceWithDrums) {
  expect_tracked(120, 4, true, 7);
}

TEST(AnalyzeAudio, FindsBeatsAndBarsOfA3_4PieceWithoutDrums) {
  expect_tracked(140, 3, false, 8);
}

TEST(AnalyzeAudio, FindsTheBeatOfAFastPieceNotHalfOfIt) {
  expect_tracked(170, 4, true, 9);
}

TEST(AnalyzeAudio, FindsTheBeatsOfAMono8kHzPhoneRecording) {
  const known_beats::Piece piece = known_beats::compose_piece(110, 4, true, 30, 12);
  const AudioBuffer stereo = resample(known_beats::render_piece(piece), 8000);
  AudioBuffer phone;
  phone.sample_rate = 8000;
  phone.channels = 1;
  for (std::size_t i = 0; i < stereo.frames(); ++i)
    phone.samples.push_back(0.5f * (stereo.samples[2 * i] + stereo.samples[2 * i + 1]));
  const AudioAnalysis analysis = analyze_audio(phone);
  EXPECT_GE(beat_accuracy(piece.beats, analysis.timeline.beats).f_measure, 0.9);
  EXPECT_GE(beat_accuracy(piece.downbeats, analysis.timeline.downbeats).f_measure, 0.85);
}

TEST(AnalyzeAudio, SilenceAndEmptyAudioHaveNoBeats) {
  AudioBuffer silence;
  silence.samples.assign(44100 * 2 * 5, 0.0f);
  const AudioAnalysis a = analyze_audio(silence);
  EXPECT_TRUE(a.timeline.beats.empty());
  EXPECT_NEAR(a.timeline.duration_s, 5.0, 1e-9);
  EXPECT_TRUE(analyze_audio(AudioBuffer{}).timeline.beats.empty());
}

TEST(AnalyzeAudio, SectionStartsWhereTheMusicChanges) {
  CueSheet cues = single_emotion_cues(Emotion::at(0.1, -0.4, 0.1), 48, 11);
  cues.cues[0].end_s = 24;
  Cue loud = cues.cues[0];
  loud.name = "loud";
  loud.start_s = 24;
  loud.end_s = 48;
  loud.target = Emotion::at(0.6, 0.7, 0.2);
  cues.cues.push_back(loud);
  const Score score = compose(cues, {});
  ASSERT_EQ(score.sections.size(), 2u);
  SynthOptions synth;
  synth.soundfont = find_soundfont({});
  const AudioAnalysis analysis = analyze_audio(synthesize(score, synth));
  const auto& sections = analysis.timeline.sections;
  ASSERT_GE(sections.size(), 2u);
  const double change = score.sections[1].start_s;
  const bool found = std::any_of(sections.begin() + 1, sections.end(),
                                 [&](const auto& s) { return std::abs(s.start_s - change) < 4.0; });
  EXPECT_TRUE(found) << "no section starts near " << change << " s";
  const auto& bars = analysis.timeline.downbeats;
  for (std::size_t k = 1; k < sections.size(); ++k) {  // each starts on a downbeat
    EXPECT_TRUE(std::find(bars.begin(), bars.end(), sections[k].start_s) != bars.end());
  }
}

TEST(AnalyzeAudio, IsDeterministic) {
  const known_beats::Piece piece = known_beats::compose_piece(100, 4, false, 12, 3);
  const AudioBuffer audio = known_beats::render_piece(piece);
  const AudioAnalysis a = analyze_audio(audio), b = analyze_audio(audio);
  EXPECT_EQ(a.timeline.beats, b.timeline.beats);
  EXPECT_EQ(a.timeline.downbeats, b.timeline.downbeats);
}

}  // namespace
}  // namespace tonepoem
