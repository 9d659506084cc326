#include "audio/narrate.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "core/error.h"

namespace tonepoem {
namespace {

double window_rms(const AudioBuffer& a, double from_s, double to_s) {
  const auto ch = static_cast<std::size_t>(a.channels);
  const auto from = static_cast<std::size_t>(std::max(0.0, from_s) * a.sample_rate) * ch;
  const auto to = std::min(a.samples.size(), static_cast<std::size_t>(to_s * a.sample_rate) * ch);
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += double(a.samples[i]) * a.samples[i];
  return to > from ? std::sqrt(sum / double(to - from)) : 0.0;
}

// The loudest and quietest 50 ms window inside [from_s, to_s], in dBFS.
std::pair<double, double> window_range_db(const AudioBuffer& a, double from_s, double to_s) {
  double lo = 1e9, hi = -1e9;
  for (double t = from_s; t + 0.05 <= to_s + 1e-9; t += 0.025) {
    const double db = 20 * std::log10(window_rms(a, t, t + 0.05) + 1e-12);
    lo = std::min(lo, db);
    hi = std::max(hi, db);
  }
  return {lo, hi};
}

const std::vector<std::string> kEnglish = {
    "The lantern swung over the ford, and the river ran high.", "Nobody came.",
    "Then, far off, a bell rang twice."};

// The words of a spoken sentence, checking that their times run in order inside it.
std::vector<std::string> words_in_order(const SpokenSentence& s) {
  std::vector<std::string> words;
  double previous = s.start_s;
  for (const SpokenWord& w : s.words) {
    words.push_back(w.text);
    EXPECT_GE(w.start_s, previous - 1e-9) << w.text;
    EXPECT_GE(w.end_s, w.start_s) << w.text;
    EXPECT_LE(w.end_s, s.end_s + 1e-9) << w.text;
    previous = w.start_s;
  }
  return words;
}

TEST(Narrate, EnglishSentencesGetOrderedSpansAndWordsInside) {
  NarrationOptions o;
  const Narration n = narrate(kEnglish, {true, false, true}, o);
  ASSERT_EQ(n.sentences.size(), kEnglish.size());
  EXPECT_EQ(n.audio.channels, 1);
  EXPECT_GT(n.audio.sample_rate, 8000);
  EXPECT_NEAR(n.sentences[0].start_s, o.lead_in_s, 1e-6);
  // Gaps: a sentence gap before sentence 1, a scene gap before sentence 2.
  EXPECT_NEAR(n.sentences[1].start_s - n.sentences[0].end_s, o.sentence_gap_s, 0.01);
  EXPECT_NEAR(n.sentences[2].start_s - n.sentences[1].end_s, o.scene_gap_s, 0.01);
  EXPECT_NEAR(n.audio.duration_s(), n.sentences.back().end_s + o.outro_s, 0.01);
  const std::vector<std::vector<std::string>> expected = {
      {"The", "lantern", "swung", "over", "the", "ford", "and", "the", "river", "ran", "high"},
      {"Nobody", "came"},
      {"Then", "far", "off", "a", "bell", "rang", "twice"}};
  for (std::size_t i = 0; i < n.sentences.size(); ++i) {
    const SpokenSentence& s = n.sentences[i];
    EXPECT_GT(s.end_s - s.start_s, 0.3) << i;
    const std::vector<std::string> words = words_in_order(s);
    EXPECT_EQ(words, expected[i]);
    // Speech inside, silence in the gap after.
    EXPECT_GT(window_rms(n.audio, s.start_s, s.end_s), 0.01) << i;
    if (i + 1 < n.sentences.size()) {
      EXPECT_LT(window_rms(n.audio, s.end_s + 0.01, n.sentences[i + 1].start_s - 0.01), 1e-4) << i;
    }
  }
  // Later words start later: "twice" is well after "Then".
  EXPECT_GT(n.sentences[2].words.back().start_s, n.sentences[2].words.front().start_s + 0.5);
}

TEST(Narrate, ChineseVoiceReadsHanCharacters) {
  NarrationOptions o;
  o.voice = "cmn";
  const Narration n = narrate({"月亮升起来了。", "湖上很安静。"}, {}, o);
  ASSERT_EQ(n.sentences.size(), 2u);
  for (const SpokenSentence& s : n.sentences) {
    EXPECT_GT(s.end_s - s.start_s, 0.5);
    ASSERT_FALSE(s.words.empty());
    for (const SpokenWord& w : s.words) {
      EXPECT_FALSE(w.text.empty());
      EXPECT_GE(w.start_s, s.start_s);
      EXPECT_LE(w.end_s, s.end_s + 1e-9);
    }
  }
  EXPECT_EQ(n.sentences[0].words.front().text, "月");
}

// A reading as text/reading.h makes it for "光在小河里，风，Anna说OK。": pinyin words for the
// Mandarin pinyin voice, the English words for the English voice. The captions' words are the
// written ones, in order, timed inside the sentence, one per written word that sounds.
TEST(Narrate, ReadingWordsMapBackToTheWrittenCharacters) {
  SentenceReading r;
  r.runs.push_back({"cmn-latn-pinyin",
                    {{"光", "guang1"},
                     {"在", "zai4"},
                     {"小河", "xiao3he2"},
                     {"里", "li3"},
                     {"，", ","},
                     {"风", "feng1"},
                     {"，", ","}}});
  r.runs.push_back({"en", {{"Anna", "Anna"}}});
  r.runs.push_back({"cmn-latn-pinyin", {{"说", "shuo1"}}});
  r.runs.push_back({"en", {{"OK", "OK"}, {"。", "."}}});
  NarrationOptions o;
  o.voice = "en";
  const Narration n = narrate_readings({r, reading_as_written("The end.")}, {false, false}, o);
  ASSERT_EQ(n.sentences.size(), 2u);
  const SpokenSentence& s = n.sentences[0];
  const std::vector<std::string> words = words_in_order(s);
  EXPECT_EQ(words, (std::vector<std::string>{"光", "在", "小河", "里", "风", "Anna", "说", "OK"}));
  // Four runs of speech, each audible where its words are.
  for (const SpokenWord& w : s.words)
    EXPECT_GT(window_rms(n.audio, w.start_s, std::max(w.end_s, w.start_s + 0.05)), 0.005) << w.text;
  EXPECT_GT(s.end_s - s.start_s, 1.0);
  EXPECT_EQ(n.sentences[1].words.size(), 2u);
  EXPECT_NEAR(n.sentences[1].start_s - s.end_s, o.sentence_gap_s, 0.01);
}

TEST(Narrate, UnknownVoiceAndBadOptionsSayWhatIsAccepted) {
  NarrationOptions o;
  o.voice = "no-such-voice";
  try {
    narrate({"Hello."}, {}, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE((std::string(e.what()) + e.file()).find("no-such-voice"), std::string::npos);
  }
  NarrationOptions bad;
  bad.rate_wpm = 5;
  bad.sentence_gap_s = -1;
  EXPECT_EQ(bad.validate().size(), 2u);
  EXPECT_THROW(narrate({"Hello."}, {}, bad), Error);
}

TEST(Narrate, EmptySentenceKeepsItsPlace) {
  const Narration n = narrate({"One.", "", "Three."}, {}, {});
  ASSERT_EQ(n.sentences.size(), 3u);
  EXPECT_TRUE(n.sentences[1].words.empty());
  EXPECT_LE(n.sentences[0].end_s, n.sentences[1].start_s);
  EXPECT_LE(n.sentences[1].end_s, n.sentences[2].start_s);
}

// On the music bus (the music alone after ducking): under every sentence the music is at least
// the ducking depth below where it comes back between sentences.
TEST(Narrate, MusicDucksUnderRealSpeechByTheDepthAndComesBackBetweenSentences) {
  const Narration n = narrate(kEnglish, {true, false, false}, {});
  AudioBuffer music;
  music.sample_rate = 44100;
  music.channels = 2;
  music.samples.resize(static_cast<std::size_t>(n.audio.duration_s() * 44100) * 2);
  for (std::size_t i = 0; i < music.samples.size() / 2; ++i) {
    const double t = double(i) / 44100;
    music.samples[2 * i] = music.samples[2 * i + 1] =
        static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 220 * t));
  }
  DuckOptions o;
  ASSERT_GE(o.depth_db, 8.0);
  const AudioBuffer bus = duck_music(music, n.audio, o);
  const double full = 20 * std::log10(window_rms(music, 0.0, 1.0));
  for (std::size_t i = 0; i < n.sentences.size(); ++i) {
    const SpokenSentence& s = n.sentences[i];
    const auto [under_lo, under_hi] = window_range_db(bus, s.start_s, s.end_s);
    EXPECT_LE(under_hi, full - o.depth_db + 1.0) << "sentence " << i;
    if (i + 1 < n.sentences.size()) {
      const auto [gap_lo, gap_hi] = window_range_db(bus, s.end_s, n.sentences[i + 1].start_s);
      RecordProperty("duck_db_" + std::to_string(i), std::to_string(gap_hi - under_hi));
      EXPECT_GE(gap_hi - under_hi, o.depth_db - 1.0) << "sentence " << i;
      EXPECT_GE(gap_hi - under_hi, 8.0) << "sentence " << i;
    }
  }
  // Back smoothly: no rise larger than 4 dB between 50 ms windows 25 ms apart (a step would be
  // the whole depth at once).
  double previous = 20 * std::log10(window_rms(bus, 0.0, 0.05));
  for (double t = 0.025; t + 0.05 < bus.duration_s(); t += 0.025) {
    const double db = 20 * std::log10(window_rms(bus, t, t + 0.05));
    EXPECT_LT(db - previous, 4.0) << "at " << t << " s";
    previous = db;
  }
}

}  // namespace
}  // namespace tonepoem
