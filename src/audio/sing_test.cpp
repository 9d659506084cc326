#include "audio/sing.h"

#include <gtest/gtest.h>

#include <cmath>

#include "audio/espeak_engine.h"
#include "audio_analysis/vocal_accuracy.h"
#include "core/error.h"

namespace tonepoem {
namespace {

// "Twinkle, twinkle, little star, how I wonder what you are" over G3..D5 at 100 bpm: quarters,
// eighths and a half note, with a leap of a ninth.
std::vector<SungNote> twinkle_line() {
  const std::vector<std::pair<std::string, int>> syllables = {
      {"twin", 55}, {"kle", 55}, {"twin", 62}, {"kle", 62}, {"lit", 64}, {"tle", 64},
      {"star", 62}, {"how", 60}, {"I", 60},    {"won", 59}, {"der", 59}, {"what", 69},
      {"you", 71},  {"are", 74}, {"la", 57},   {"la", 67}};
  const double beat = 0.6;
  const std::vector<double> beats = {1, 1, 1, 1, 1, 1, 2, 0.5, 0.5, 1, 1, 1, 1, 2, 0.5, 1.5};
  std::vector<SungNote> notes;
  double t = 0.3;
  for (std::size_t i = 0; i < syllables.size(); ++i) {
    notes.push_back({syllables[i].first, syllables[i].second, t, t + beats[i] * beat});
    t += beats[i] * beat;
  }
  return notes;
}

TEST(Sing, EverySyllableIsSungAtItsNotesPitchAndStartsOnItsNote) {
  const std::vector<SungNote> notes = twinkle_line();
  const AudioBuffer voice = sing(notes);
  ASSERT_EQ(voice.channels, 1);
  EXPECT_NEAR(voice.duration_s(), notes.back().end_s, 0.01);
  const VocalAccuracy a = vocal_accuracy(voice, notes);
  EXPECT_EQ(a.pitched, notes.size()) << "notes whose pitch could be read back";
  EXPECT_LE(a.median_pitch_error_cents, 50);
  EXPECT_GE(a.within_50_cents, notes.size() * 8 / 10);
  EXPECT_GE(a.onsets_found, notes.size() * 8 / 10);
  EXPECT_LE(a.median_onset_error_ms, 30);
  std::printf(
      "pitch error median %.1f cents (p90 %.1f), %zu/%zu within 50; onsets %zu/%zu, "
      "median %.1f ms (p90 %.1f)\n",
      a.median_pitch_error_cents, a.p90_pitch_error_cents, a.within_50_cents, a.notes,
      a.onsets_found, a.notes, a.median_onset_error_ms, a.p90_onset_error_ms);
}

TEST(Sing, ChineseIsSungFromTonedPinyin) {
  std::vector<SungNote> notes;
  const std::vector<std::string> pinyin = {"xiao3", "chuan2", "zai4", "hu2", "shang4", "piao1"};
  double t = 0.2;
  for (std::size_t i = 0; i < pinyin.size(); ++i, t += 0.5)
    notes.push_back({pinyin[i], 60 + 2 * static_cast<int>(i), t, t + 0.5});
  const AudioBuffer voice = sing(notes, {.voice = "cmn-latn-pinyin+f3"});
  const VocalAccuracy a = vocal_accuracy(voice, notes);
  EXPECT_EQ(a.pitched, notes.size());
  EXPECT_LE(a.median_pitch_error_cents, 50);
}

TEST(Sing, TheSameNotesAreSungAlike) {
  // espeak-ng carries state from one text to the next (its flutter and noise), so two runs differ
  // in the fine detail of the samples; the song they sing does not.
  const std::vector<SungNote> notes = twinkle_line();
  const AudioBuffer first = sing(notes), second = sing(notes);
  EXPECT_EQ(first.frames(), second.frames());
  const VocalAccuracy a = vocal_accuracy(first, notes), b = vocal_accuracy(second, notes);
  EXPECT_EQ(a.pitched, b.pitched);
  EXPECT_NEAR(a.median_pitch_error_cents, b.median_pitch_error_cents, 5);
  EXPECT_EQ(a.onsets_found, b.onsets_found);
  EXPECT_NEAR(a.median_onset_error_ms, b.median_onset_error_ms, 5);
}

TEST(Sing, SilenceBetweenNotesAndAfterTheLast) {
  // Two notes a second apart: nothing sounds in the gap.
  const AudioBuffer voice = sing({{"la", 62, 0.0, 0.5}, {"la", 62, 1.5, 2.0}});
  double gap = 0, sung = 0;
  for (std::size_t i = 0; i < voice.samples.size(); ++i) {
    const double t = static_cast<double>(i) / voice.sample_rate;
    const double v = std::abs(voice.samples[i]);
    if (t > 0.55 && t < 1.45) gap = std::max(gap, v);
    if (t < 0.5) sung = std::max(sung, v);
  }
  EXPECT_EQ(gap, 0.0);
  EXPECT_GT(sung, 0.05);
}

TEST(Sing, LeavesEspeakNgAsItFoundIt) {
  // Singing sets espeak-ng's pitch range to 0 (a monotone) and moves its pitch; a narration
  // afterwards must speak with its own.
  int pitch = 0, range = 0;
  {
    const EspeakSession espeak;
    pitch = espeak.parameter(espeakPITCH);
    range = espeak.parameter(espeakRANGE);
  }
  sing(twinkle_line());
  const EspeakSession espeak;
  EXPECT_EQ(espeak.parameter(espeakPITCH), pitch);
  EXPECT_EQ(espeak.parameter(espeakRANGE), range);
  EXPECT_GT(range, 0);
}

TEST(Sing, StopsWhenCancelled) {
  const CancelToken cancel;
  cancel.cancel();
  try {
    sing(twinkle_line(), {}, cancel);
    FAIL() << "a cancelled song was sung";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::interrupted);
  }
}

TEST(Sing, BadNotesAndUnknownVoicesAreNamed) {
  try {
    sing({{"la", 60, 1.0, 1.0}});
    FAIL() << "a note that ends where it starts was sung";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("sung note 0"), std::string::npos) << e.what();
  }
  try {
    sing({{" ", 60, 0.0, 1.0}});
    FAIL() << "a note with no syllable was sung";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
  try {
    sing({{"la", 60, 0.0, 1.0}}, {.voice = "no-such-voice"});
    FAIL() << "an unknown voice was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_EQ(e.file(), "no-such-voice");
  }
  EXPECT_FALSE(SingOptions{.breath_s = 2}.validate().empty());
}

}  // namespace
}  // namespace tonepoem
