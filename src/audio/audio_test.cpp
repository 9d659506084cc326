#include "audio/audio.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
}

#include <gtest/gtest.h>
#include <sndfile.h>
#include <nlohmann/json.hpp>

#include "audio/narrate.h"
#include "core/cancel.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kTestFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

// A small score: piano chords, a flute melody, a bass and a few drum hits, at `bpm`, `bars` bars
// of 4/4. The first `silent_bars` bars hold no notes.
Score make_score(double bpm = 120, int bars = 4, int silent_bars = 0) {
  Score s;
  s.title = "test";
  s.ppq = 480;
  s.tempo = {{0, bpm}};
  s.meters = {{0, 4, 4}};
  s.keys = {{0, 0, Mode::ionian}};
  s.end_tick = static_cast<std::int64_t>(bars) * 4 * s.ppq;
  Track piano{"Chords (Piano)", "chords", 0, 0, -0.3, 0.8, {}, {}};
  Track flute{"Melody (Flute)", "melody", 1, 73, 0.2, 0.9, {}, {}};
  Track bass{"Bass", "bass", 2, 32, 0.0, 0.9, {}, {}};
  Track drums{"Drums", "drums", 9, 0, 0.0, 0.7, {}, {}};
  const int melody[] = {72, 74, 76, 77, 79, 77, 76, 74};
  for (int bar = silent_bars; bar < bars; ++bar) {
    const std::int64_t t0 = static_cast<std::int64_t>(bar) * 4 * s.ppq;
    for (int p : {60, 64, 67}) piano.notes.push_back({t0, 4 * s.ppq, p, 70});
    bass.notes.push_back({t0, 2 * s.ppq, 36, 90});
    bass.notes.push_back({t0 + 2 * s.ppq, 2 * s.ppq, 43, 90});
    for (int beat = 0; beat < 4; ++beat) {
      flute.notes.push_back({t0 + beat * s.ppq, s.ppq, melody[(bar * 4 + beat) % 8], 85});
      drums.notes.push_back({t0 + beat * s.ppq, s.ppq / 2, beat % 2 ? 38 : 36, 100});
    }
  }
  s.tracks = {piano, flute, bass, drums};
  s.sections.push_back(
      {"A", 0, s.end_tick, 0, s.seconds_at(s.end_tick), 0, Mode::ionian, bpm, 4, {}, {}});
  return s;
}

SynthOptions test_options() {
  SynthOptions o;
  o.soundfont = kTestFont;
  return o;
}

// Energy of (other - reference) and of the reference, over the reference's samples.
struct Difference {
  double error = 0, energy = 0;
};
Difference difference(const std::vector<float>& reference, const std::vector<float>& other) {
  Difference d;
  for (std::size_t i = 0; i < reference.size() && i < other.size(); ++i) {
    const double e = double(other[i]) - reference[i];
    d.error += e * e;
    d.energy += double(reference[i]) * reference[i];
  }
  return d;
}

double rms(const AudioBuffer& a, double from_s, double to_s) {
  const auto ch = static_cast<std::size_t>(a.channels);
  const auto from = static_cast<std::size_t>(from_s * a.sample_rate) * ch;
  const auto to = std::min(a.samples.size(), static_cast<std::size_t>(to_s * a.sample_rate) * ch);
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += double(a.samples[i]) * a.samples[i];
  return to > from ? std::sqrt(sum / double(to - from)) : 0.0;
}

// A tag as FFmpeg reads it (container or first stream), "" if absent.
std::string libav_tag(const fs::path& path, const char* key) {
  AVFormatContext* f = nullptr;
  if (avformat_open_input(&f, path.c_str(), nullptr, nullptr) < 0) return "";
  avformat_find_stream_info(f, nullptr);
  const AVDictionaryEntry* e = av_dict_get(f->metadata, key, nullptr, 0);
  if (!e && f->nb_streams > 0) e = av_dict_get(f->streams[0]->metadata, key, nullptr, 0);
  std::string value = e ? e->value : "";
  avformat_close_input(&f);
  return value;
}

// A scratch folder for this test process, removed when the process ends.
fs::path temp_dir() {
  struct Scratch {
    fs::path dir =
        fs::temp_directory_path() / ("tonepoem_audio_test_" + std::to_string(::getpid()));
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  };
  static Scratch scratch;
  fs::create_directories(scratch.dir);
  return scratch.dir;
}

TEST(FindSoundfont, ExplicitPathIsReturned) {
  EXPECT_EQ(find_soundfont(kTestFont), kTestFont);
}

TEST(FindSoundfont, DefaultFindsAnInstalledOne) {
  const fs::path p = find_soundfont({});
  EXPECT_TRUE(fs::exists(p)) << p;
}

TEST(FindSoundfont, MissingFileNamesItAndTheFix) {
  try {
    find_soundfont("/nonexistent/nothing.sf2");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_EQ(e.file(), "/nonexistent/nothing.sf2");
    EXPECT_NE(e.describe().find("fluid-soundfont-gm"), std::string::npos) << e.describe();
  }
}

TEST(FindSoundfont, CorruptFileIsRejected) {
  const fs::path bad = temp_dir() / "corrupt.sf2";
  std::ofstream(bad) << "this is not a soundfont";
  try {
    find_soundfont(bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_EQ(e.file(), bad.string());
  }
}

TEST(Synthesize, CorruptSoundfontThrowsNamingTheFile) {
  const fs::path bad = temp_dir() / "truncated.sf2";
  {
    // A valid RIFF/sfbk header with nothing behind it.
    std::ofstream f(bad, std::ios::binary);
    f.write("RIFF\x04\x00\x00\x00sfbk", 12);
  }
  SynthOptions o = test_options();
  o.soundfont = bad;
  try {
    synthesize(make_score(), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_EQ(e.file(), bad.string());
  }
  o.soundfont = "/nonexistent/missing.sf2";
  try {
    synthesize(make_score(), o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_EQ(e.file(), "/nonexistent/missing.sf2");
  }
}

TEST(Options, ValidateListsEveryProblem) {
  SynthOptions o = test_options();
  EXPECT_TRUE(o.validate().empty());
  o.sample_rate = 100;
  o.parts = 0;
  o.reverb_level = 2;
  const auto problems = o.validate();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("sample_rate = 100"), std::string::npos) << problems[0];
  try {
    synthesize(make_score(), o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("reverb_level"), std::string::npos) << e.what();
  }
  MasterOptions m;
  EXPECT_TRUE(m.validate().empty());
  m.target_lufs = 5;
  m.lookahead_s = 0;
  EXPECT_EQ(m.validate().size(), 2u);
  AudioBuffer a;
  a.samples.assign(100, 0.0f);
  EXPECT_THROW(master(a, m), Error);
}

TEST(Synthesize, OtherSampleRates) {
  SynthOptions o = test_options();
  o.sample_rate = 22050;
  const AudioBuffer a = synthesize(make_score(120, 2), o);
  EXPECT_EQ(a.sample_rate, 22050);
  EXPECT_NEAR(a.duration_s(), 5.0, 1e-3);
  EXPECT_GT(rms(a, 0, 4), 1e-3);
}

TEST(Synthesize, StereoAtRateWithScoreDurationPlusTail) {
  const Score score = make_score(120, 4);  // 8 s
  SynthOptions o = test_options();
  o.tail_s = 1.5;
  double last_progress = 0;
  const AudioBuffer a = synthesize(score, o, [&](double f) { last_progress = f; });
  EXPECT_EQ(a.channels, 2);
  EXPECT_EQ(a.sample_rate, 44100);
  EXPECT_NEAR(a.duration_s(), score.duration_s() + 1.5, 1.0 / 44100);
  EXPECT_DOUBLE_EQ(last_progress, 1.0);
  for (float s : a.samples) ASSERT_TRUE(std::isfinite(s));
  EXPECT_GT(rms(a, 0, 8), 1e-3);
}

TEST(Synthesize, SilentWhereNoNotesAndSoundWhereNotes) {
  const Score score = make_score(120, 4, 2);  // notes only in bars 3-4 (from 4 s)
  const AudioBuffer a = synthesize(score, test_options());
  EXPECT_LT(rms(a, 0.0, 3.9), 1e-5);
  EXPECT_GT(rms(a, 4.1, 8.0), 1e-3);
}

TEST(Synthesize, FollowsTheTempoMap) {
  // Tempo doubles at bar 3, so the piece is 4 s + 2 s long; notes in bars 3-4 land after 4 s.
  Score score = make_score(120, 4, 2);
  score.tempo.push_back({2 * 4 * 480, 240});
  const AudioBuffer a = synthesize(score, test_options());
  EXPECT_NEAR(a.duration_s(), 6.0 + 1.0, 1e-3);
  EXPECT_LT(rms(a, 0.0, 3.9), 1e-5);
  EXPECT_GT(rms(a, 4.1, 6.0), 1e-3);
}

TEST(Synthesize, IsDeterministic) {
  const Score score = make_score(100, 2);
  const AudioBuffer a = synthesize(score, test_options());
  const AudioBuffer b = synthesize(score, test_options());
  EXPECT_EQ(a.samples, b.samples);
}

// The server's workers keep the SoundFont loaded between jobs (keep_soundfonts_loaded); a render
// from the kept SoundFont gives the same samples as one that loaded it afresh.
TEST(Synthesize, AKeptSoundFontRendersTheSameSamples) {
  const Score score = make_score(100, 2);
  const AudioBuffer fresh = synthesize(score, test_options());
  keep_soundfonts_loaded();
  const AudioBuffer first = synthesize(score, test_options());
  const AudioBuffer kept = synthesize(score, test_options());  // from the kept samples
  EXPECT_EQ(fresh.samples, first.samples);
  EXPECT_EQ(fresh.samples, kept.samples);
}

TEST(Synthesize, PartsRenderTheSameMusicOnAnyThreadCount) {
  const Score score = make_score(110, 2);
  SynthOptions o = test_options();
  o.parts = 3;
  o.threads = 1;
  const AudioBuffer serial = synthesize(score, o);
  o.threads = 3;
  const AudioBuffer parallel = synthesize(score, o);
  EXPECT_EQ(serial.samples, parallel.samples);
  // Splitting into parts hardly changes the sound (the effects are nearly linear; measured -41 dB).
  o.parts = 1;
  const AudioBuffer single = synthesize(score, o);
  ASSERT_EQ(single.samples.size(), serial.samples.size());
  const Difference d = difference(single.samples, serial.samples);
  EXPECT_LT(d.error, 1e-3 * d.energy);
}

TEST(Synthesize, SlicedSummingGivesTheSamplesOfWholeBuffers) {
  // With a thread per part the parts are summed about 3 s at a time; with fewer threads they are
  // rendered whole and summed at the end. 13 s of music: several slices and a partial last one.
  const Score score = make_score(120, 6);
  SynthOptions o = test_options();
  o.parts = 2;
  o.threads = 1;
  const AudioBuffer whole = synthesize(score, o);
  o.threads = 2;
  const AudioBuffer sliced = synthesize(score, o);
  ASSERT_GT(whole.duration_s(), 4 * 2.97);
  EXPECT_EQ(whole.samples, sliced.samples);
}

TEST(Synthesize, OneTrackIsSplitAcrossPartsByKey) {
  // A lone heavy track (a harp's long release tails) no longer keeps one core busy while the
  // other idles: its keys are spread over the parts, and the sum still sounds like one synth.
  Score score = make_score(120, 2);
  score.tracks.resize(1);
  SynthOptions o = test_options();
  o.parts = 1;
  const AudioBuffer single = synthesize(score, o);
  o.parts = 2;
  const AudioBuffer split = synthesize(score, o);
  ASSERT_EQ(single.samples.size(), split.samples.size());
  const Difference d = difference(single.samples, split.samples);
  EXPECT_GT(d.energy, 0.0);
  EXPECT_LT(d.error, 1e-3 * d.energy);
  EXPECT_GT(d.error, 0.0) << "two parts should have rendered the track, not one";
}

TEST(Stems, OnePerRoleSummingToTheMix) {
  Score score = make_score(120, 2);
  score.tracks.push_back(score.tracks[1]);  // a second melody track joins the melody stem
  score.tracks.back().channel = 5;
  score.tracks.back().name = "Melody 2 (Flute)";
  const std::vector<Stem> stems = synthesize_stems(score, test_options());
  ASSERT_EQ(stems.size(), 4u);
  EXPECT_EQ(stems[0].name, "chords");
  EXPECT_EQ(stems[1].name, "melody");
  EXPECT_EQ(stems[3].name, "drums");
  SynthOptions o = test_options();
  o.parts = 1;
  const AudioBuffer mix = synthesize(score, o);
  std::vector<float> sum(mix.samples.size(), 0.0f);
  for (const Stem& s : stems) {
    ASSERT_EQ(s.audio.samples.size(), mix.samples.size()) << s.name;
    EXPECT_GT(rms(s.audio, 0, 4), 1e-4) << s.name;
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += s.audio.samples[i];
  }
  const Difference d = difference(mix.samples, sum);
  EXPECT_LT(d.error, 1e-3 * d.energy);
  Track odd;
  odd.name = "Lead / Solo";
  EXPECT_EQ(stem_name(odd), "Lead___Solo");
  EXPECT_TRUE(synthesize_stems(Score{}, test_options()).empty());
}

TEST(Synthesize, EmptyScoreGivesSilenceOfTailLength) {
  Score score;
  score.tempo = {{0, 120}};
  const AudioBuffer a = synthesize(score, test_options());
  EXPECT_NEAR(a.duration_s(), 1.0, 1e-3);
  EXPECT_LT(rms(a, 0, 1), 1e-6);
}

TEST(Synthesize, SharedChannelsAreSeparated) {
  // Two tracks on channel 0 with different programs both sound (the second is moved).
  Score score = make_score(120, 2);
  score.tracks[1].channel = 0;
  const AudioBuffer a = synthesize(score, test_options());
  EXPECT_GT(rms(a, 0, 4), 1e-3);
}

TEST(Synthesize, ASecondDrumTrackMovedOffChannel9StillPlaysDrums) {
  Score alone = make_score(120, 2);
  alone.tracks = {alone.tracks[3]};  // drums only, on channel 9
  Score moved = alone;
  Track placeholder = alone.tracks[0];
  placeholder.notes.clear();
  moved.tracks.insert(moved.tracks.begin(), placeholder);  // takes channel 9 first
  SynthOptions o = test_options();
  o.parts = 1;
  const AudioBuffer a = synthesize(alone, o), b = synthesize(moved, o);
  EXPECT_EQ(a.samples, b.samples);
}

TEST(Synthesize, MoreTracksThanMidiChannelsAllSound) {
  // 20 tracks (more than 16 channels), each playing one note in its own half second.
  Score score;
  score.tempo = {{0, 120}};
  score.end_tick = 20 * 480;
  for (int i = 0; i < 20; ++i) {
    Track t;
    t.name = "t";  // appended, not "t" + to_string(i): GCC 12 -O3 -Wrestrict false positive
    t.name += std::to_string(i);
    t.channel = i % 16 == 9 ? 0 : i % 16;
    t.program = i * 5;
    t.notes.push_back({i * 480, 240, 60 + i, 100});
    score.tracks.push_back(t);
  }
  SynthOptions o = test_options();
  o.reverb = o.chorus = false;
  const AudioBuffer a = synthesize(score, o);
  for (int i = 0; i < 20; ++i) EXPECT_GT(rms(a, i * 0.5, i * 0.5 + 0.25), 1e-4) << "track " << i;
}

TEST(Synthesize, EmotionDependentReverbIsWetterWhenSad) {
  Score score = make_score(120, 2);
  score.sections[0].target.valence = -0.7;
  score.sections[0].target.arousal = -0.7;
  const auto sad = section_fx_for(score);
  score.sections[0].target.arousal = 0.8;
  const auto angry = section_fx_for(score);
  ASSERT_EQ(sad.size(), 1u);
  ASSERT_EQ(angry.size(), 1u);
  EXPECT_GT(sad[0].reverb_send, angry[0].reverb_send + 0.2);
  SynthOptions o = test_options();
  o.section_fx = sad;
  const AudioBuffer wet = synthesize(score, o);
  o.section_fx = angry;
  const AudioBuffer dry = synthesize(score, o);
  // More reverb: more energy in the tail after the notes end.
  EXPECT_GT(rms(wet, 4.05, 4.9), rms(dry, 4.05, 4.9));
}

TEST(Synthesize, EffectSendsGlideBetweenSections) {
  Score score = make_score(120, 4);  // sections A (0-4 s, dry) and B (4-8 s, wet)
  score.sections[0].end_tick = 2 * 4 * 480;
  score.sections[0].target.arousal = 0.9;
  ScoreSection b = score.sections[0];
  b.start_tick = b.end_tick;
  b.end_tick = score.end_tick;
  b.target.arousal = -0.9;
  b.target.valence = -0.9;
  score.sections.push_back(b);
  SynthOptions o = test_options();
  o.section_fx = section_fx_for(score);
  ASSERT_EQ(o.section_fx.size(), 2u);
  EXPECT_NEAR(o.section_fx[1].start_s, 4.0, 1e-9);
  o.fx_ramp_s = 0;
  const AudioBuffer jump = synthesize(score, o);
  o.fx_ramp_s = 1.0;
  const AudioBuffer glide = synthesize(score, o);
  const std::size_t boundary = 4 * 44100 * 2;
  EXPECT_TRUE(
      std::equal(jump.samples.begin(), jump.samples.begin() + boundary, glide.samples.begin()));
  EXPECT_FALSE(std::equal(jump.samples.begin() + boundary, jump.samples.end(),
                          glide.samples.begin() + boundary));
}

TEST(Synthesize, CancelStops) {
  CancelToken cancel;
  cancel.cancel();
  try {
    synthesize(make_score(), test_options(), {}, cancel);
    FAIL() << "expected an interruption";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::interrupted);
  }
}

TEST(AudioFeatures, FastDenseLoudMusicIsBusierAndLouder) {
  // Busy: the test score at 160 bpm. Calm: one soft low whole note per bar at 60 bpm.
  const AudioBuffer busy = synthesize(make_score(160, 6), test_options());
  Score calm_score = make_score(60, 3);
  calm_score.tracks.resize(1);
  for (Note& n : calm_score.tracks[0].notes) n.velocity = 35;
  const AudioBuffer calm = synthesize(calm_score, test_options());
  const AudioFeatures a = extract_audio_features(busy), b = extract_audio_features(calm);
  RecordProperty("busy_onset_rate", std::to_string(a.onset_rate));
  RecordProperty("calm_onset_rate", std::to_string(b.onset_rate));
  RecordProperty("busy_centroid", std::to_string(a.spectral_centroid_hz));
  RecordProperty("busy_rms_db", std::to_string(a.rms_db));
  RecordProperty("calm_rms_db", std::to_string(b.rms_db));
  RecordProperty("busy_zcr", std::to_string(a.zero_crossing_rate));
  RecordProperty("calm_zcr", std::to_string(b.zero_crossing_rate));
  RecordProperty("busy_spread", std::to_string(a.rms_spread_db));
  RecordProperty("calm_spread", std::to_string(b.rms_spread_db));
  RecordProperty("calm_centroid", std::to_string(b.spectral_centroid_hz));
  EXPECT_NEAR(a.duration_s, busy.duration_s(), 1e-9);
  // 24 onsets (one per beat at 160 bpm) in 10 s of audio; the calm piece has 3 in 13 s.
  EXPECT_NEAR(a.onset_rate, 2.4, 0.4);
  EXPECT_LT(b.onset_rate, 0.4);
  EXPECT_GT(a.rms_db, b.rms_db + 6);
  EXPECT_GT(a.spectral_centroid_hz, b.spectral_centroid_hz);
  EXPECT_GT(a.zero_crossing_rate, 0);
}

TEST(AudioFeatures, WindowsFollowTheMusic) {
  // Silent for 4 s, then 4 s of notes (plus 1 s tail).
  const AudioBuffer a = synthesize(make_score(120, 4, 2), test_options());
  const auto windows = audio_feature_windows(a, 2.0, 2.0);
  ASSERT_EQ(windows.size(), 5u);
  EXPECT_NEAR(windows.back().end_s, a.duration_s(), 1e-9);
  EXPECT_EQ(windows[0].features.rms_db, -120);
  EXPECT_GT(windows[2].features.rms_db, -60);
  EXPECT_GT(windows[2].features.onset_rate, 1.0);
  EXPECT_THROW(audio_feature_windows(a, 0, 1), Error);
}

TEST(AudioFeatures, SilenceAndEmptyAudio) {
  AudioBuffer silence;
  silence.samples.assign(44100 * 2, 0.0f);
  const AudioFeatures f = extract_audio_features(silence);
  EXPECT_EQ(f.rms_db, -120);
  EXPECT_EQ(f.onset_rate, 0);
  EXPECT_EQ(extract_audio_features(AudioBuffer{}).duration_s, 0);
}

TEST(Master, HitsTargetLoudnessAndTruePeakCeiling) {
  AudioBuffer a = synthesize(make_score(132, 8), test_options());
  const LoudnessReport before = measure_loudness(a);
  const LoudnessReport r = master(a, MasterOptions{});
  RecordProperty("before_lufs", std::to_string(before.integrated_lufs));
  RecordProperty("after_lufs", std::to_string(r.integrated_lufs));
  RecordProperty("after_dbtp", std::to_string(r.true_peak_dbtp));
  EXPECT_NEAR(r.integrated_lufs, -14.0, 0.5);
  EXPECT_LE(r.true_peak_dbtp, -1.0);
  EXPECT_NEAR(r.gain_db, -14.0 - before.integrated_lufs, 3.0);
  const LoudnessReport again = measure_loudness(a);
  EXPECT_NEAR(again.integrated_lufs, r.integrated_lufs, 1e-9);
  for (float s : a.samples) ASSERT_TRUE(std::isfinite(s));
  // Fades: the first and last samples are (near) zero.
  EXPECT_LT(std::abs(a.samples.front()), 1e-3);
  EXPECT_LT(std::abs(a.samples.back()), 1e-3);
}

TEST(Master, LimitsAHotPeakySignal) {
  // Quiet tone with loud spikes: reaching -14 LUFS needs heavy limiting of the spikes.
  AudioBuffer a;
  a.samples.resize(44100 * 2 * 5);
  for (std::size_t n = 0; n < a.frames(); ++n) {
    float v =
        0.05f * static_cast<float>(std::sin(2 * std::numbers::pi * 440.0 * double(n) / 44100.0));
    if (n % 22050 < 200) v *= 18.0f;
    a.samples[2 * n] = a.samples[2 * n + 1] = v;
  }
  MasterOptions o;
  o.target_lufs = -10;
  const LoudnessReport before = measure_loudness(a);
  const LoudnessReport r = master(a, o);
  RecordProperty("before_dbtp", std::to_string(before.true_peak_dbtp));
  RecordProperty("after_lufs", std::to_string(r.integrated_lufs));
  RecordProperty("after_dbtp", std::to_string(r.true_peak_dbtp));
  EXPECT_LE(r.true_peak_dbtp, -1.0);
  EXPECT_NEAR(r.integrated_lufs, -10.0, 0.5);
}

TEST(Master, IntegratedLoudnessAloneMatchesTheFullMeasurement) {
  const AudioBuffer a = synthesize(make_score(120, 2), test_options());
  EXPECT_DOUBLE_EQ(integrated_loudness(a), measure_loudness(a).integrated_lufs);
  AudioBuffer silence;
  silence.samples.assign(44100 * 2, 0.0f);
  EXPECT_FALSE(std::isfinite(integrated_loudness(silence)));
}

TEST(Master, SilenceStaysSilent) {
  AudioBuffer a;
  a.samples.assign(44100 * 2, 0.0f);
  const LoudnessReport r = master(a, MasterOptions{});
  EXPECT_EQ(r.gain_db, 0.0);
  for (float s : a.samples) ASSERT_EQ(s, 0.0f);
  nlohmann::json j = r;
  EXPECT_TRUE(j["integrated_lufs"].is_null());
}

AudioBuffer sine(int rate, int channels, double freq, double amplitude, double seconds) {
  AudioBuffer a;
  a.sample_rate = rate;
  a.channels = channels;
  const auto frames = static_cast<std::size_t>(seconds * rate);
  a.samples.resize(frames * static_cast<std::size_t>(channels));
  for (std::size_t n = 0; n < frames; ++n)
    for (int c = 0; c < channels; ++c)
      a.samples[n * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
          static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq * double(n) / rate));
  return a;
}

TEST(Resample, KeepsPitchLevelAndDuration) {
  const AudioBuffer in = sine(22050, 1, 441.0, 0.5, 2.0);
  const AudioBuffer out = resample(in, 44100);
  EXPECT_EQ(out.sample_rate, 44100);
  EXPECT_EQ(out.frames(), 2 * in.frames());
  int crossings = 0;
  for (std::size_t n = 1; n < out.frames(); ++n)
    crossings += (out.samples[n] >= 0) != (out.samples[n - 1] >= 0);
  EXPECT_NEAR(crossings, 2 * 441 * 2, 4);
  EXPECT_NEAR(rms(out, 0.2, 1.8), 0.5 / std::sqrt(2.0), 0.01);
  // Down: a tone above the new Nyquist frequency is filtered out.
  const AudioBuffer high = resample(sine(44100, 1, 15000.0, 0.5, 1.0), 22050);
  EXPECT_LT(rms(high, 0.2, 0.8), 0.02);
}

TEST(Narration, MusicDucksUnderSpeechAndComesBack) {
  const AudioBuffer music = sine(44100, 2, 220.0, 0.3, 6.0);
  // Speech: mono 22.05 kHz "sentences" of noise-like tone at 1-2 s and 4-5 s.
  AudioBuffer speech = sine(22050, 1, 700.0, 0.0, 6.0);
  for (std::size_t n = 0; n < speech.frames(); ++n) {
    const double t = double(n) / 22050;
    if ((t >= 1 && t < 2) || (t >= 4 && t < 5))
      speech.samples[n] = static_cast<float>(0.2 * std::sin(2 * std::numbers::pi * 700.0 * t));
  }
  DuckOptions o;
  o.speech_gain_db = -300;  // hear only the ducked music
  const AudioBuffer ducked = mix_with_narration(music, speech, o);
  ASSERT_EQ(ducked.frames(), music.frames());
  const double under = rms(ducked, 1.05, 1.95), between = rms(ducked, 3.0, 3.9),
               before = rms(music, 3.0, 3.9);
  RecordProperty("duck_db", std::to_string(20 * std::log10(between / under)));
  EXPECT_GE(20 * std::log10(between / under), 8.0);
  EXPECT_NEAR(between, before, before * 0.05);  // back to full level between sentences
  EXPECT_GE(20 * std::log10(between / rms(ducked, 4.0, 4.1)), 8.0);  // already down at onset
  // With the speech audible, it is in the mix.
  const AudioBuffer mixed = mix_with_narration(music, speech);
  EXPECT_GT(rms(mixed, 1.05, 1.95), under * 1.5);
}

TEST(Wav, RoundTripsDurationChannelsAndSamples) {
  AudioBuffer a = synthesize(make_score(120, 2), test_options());
  master(a, MasterOptions{});
  const fs::path path = temp_dir() / "score.wav";
  write_wav(a, path);
  const AudioBuffer b = read_audio(path);
  EXPECT_EQ(b.channels, 2);
  EXPECT_EQ(b.sample_rate, 44100);
  EXPECT_EQ(b.frames(), a.frames());
  double max_err = 0;
  for (std::size_t i = 0; i < a.samples.size(); ++i)
    max_err = std::max(max_err, double(std::abs(a.samples[i] - b.samples[i])));
  EXPECT_LT(max_err, 2.0 / 32768);
  // No temporary left beside it.
  for (const auto& entry : fs::directory_iterator(path.parent_path()))
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos) << entry.path();
}

TEST(Wav, OtherSampleFormatsRoundTrip) {
  AudioBuffer a;
  a.channels = 1;
  a.samples = {0.0f, 0.5f, -0.25f, 0.999f};
  for (SampleFormat f : {SampleFormat::pcm24, SampleFormat::float32}) {
    const fs::path path = temp_dir() / "fmt.wav";
    write_wav(a, path, f);
    const AudioBuffer b = read_audio(path);
    ASSERT_EQ(b.samples.size(), a.samples.size());
    for (std::size_t i = 0; i < a.samples.size(); ++i)
      EXPECT_NEAR(b.samples[i], a.samples[i], 1e-6);
  }
}

TEST(AudioFiles, EveryFormatDecodesBackWithDurationAndChannels) {
  AudioBuffer a = synthesize(make_score(120, 2), test_options());
  master(a, MasterOptions{});
  const AudioTags tags{"A Test Title", "tonepoem tests", "seed 7"};
  for (AudioFileFormat format :
       {AudioFileFormat::wav16, AudioFileFormat::wav24, AudioFileFormat::wav_float,
        AudioFileFormat::flac16, AudioFileFormat::flac24, AudioFileFormat::ogg_vorbis,
        AudioFileFormat::mp3, AudioFileFormat::m4a_aac, AudioFileFormat::opus}) {
    SCOPED_TRACE(std::string(audio_format_name(format)));
    const fs::path path = temp_dir() / ("out." + std::string(audio_format_name(format)));
    write_audio(a, path, format, tags);
    const AudioBuffer b = read_audio(path);
    EXPECT_EQ(b.channels, 2);
    EXPECT_EQ(b.sample_rate, format == AudioFileFormat::opus ? 48000 : 44100);
    // Lossy codecs may pad up to one codec frame (AAC 1024 samples, MP3 1152, Opus 20 ms).
    const double frame_s = format == AudioFileFormat::opus ? 0.02 : 1152.0 / 44100;
    EXPECT_NEAR(b.duration_s(), a.duration_s(), frame_s + 1e-3);
    const LoudnessReport r = measure_loudness(b);
    EXPECT_NEAR(r.integrated_lufs, -14.0, 0.7);
    if (format == AudioFileFormat::flac16 || format == AudioFileFormat::ogg_vorbis) {
      SF_INFO info{};
      SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
      ASSERT_NE(f, nullptr);
      const char* title = sf_get_string(f, SF_STR_TITLE);
      EXPECT_STREQ(title ? title : "", "A Test Title");
      sf_close(f);
    }
    if (format == AudioFileFormat::m4a_aac || format == AudioFileFormat::opus) {
      EXPECT_EQ(libav_tag(path, "title"), "A Test Title");
      EXPECT_EQ(libav_tag(path, "artist"), "tonepoem tests");
      EXPECT_EQ(libav_tag(path, "comment"), "seed 7");
    }
  }
}

TEST(AudioFiles, FormatFromNameAndExtension) {
  EXPECT_EQ(audio_format_for("x/SCORE.FLAC"), AudioFileFormat::flac16);
  EXPECT_EQ(audio_format_for("a.wav"), AudioFileFormat::wav16);
  EXPECT_EQ(audio_format_for("a.ogg"), AudioFileFormat::ogg_vorbis);
  EXPECT_EQ(audio_format_for("a.mp3"), AudioFileFormat::mp3);
  EXPECT_EQ(audio_format_for("a.m4a"), AudioFileFormat::m4a_aac);
  EXPECT_EQ(audio_format_for("b.OPUS"), AudioFileFormat::opus);
  EXPECT_EQ(parse_audio_format("aac"), AudioFileFormat::m4a_aac);
  EXPECT_FALSE(audio_format_for("a.aiff").has_value());
  EXPECT_EQ(parse_audio_format("wav24"), AudioFileFormat::wav24);
  EXPECT_EQ(parse_audio_format("flac"), AudioFileFormat::flac16);
  EXPECT_FALSE(parse_audio_format("aiff").has_value());
  for (auto f : {AudioFileFormat::wav16, AudioFileFormat::wav_float, AudioFileFormat::mp3,
                 AudioFileFormat::m4a_aac, AudioFileFormat::opus})
    EXPECT_EQ(parse_audio_format(audio_format_name(f)), f);
}

TEST(Wav, UnwritablePathThrowsOutputAndLeavesNoFile) {
  AudioBuffer a;
  a.samples.assign(200, 0.1f);
  const fs::path blocker = temp_dir() / "a_file";
  std::ofstream(blocker) << "x";
  for (const fs::path& path : {blocker / "out.wav", fs::path("/nonexistent/dir/out.wav")}) {
    try {
      write_wav(a, path);
      FAIL() << "expected an error for " << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::output);
      EXPECT_EQ(e.file(), path.string());
    }
    std::error_code ec;
    EXPECT_FALSE(fs::exists(path, ec));
  }
  // An existing folder where the file should go: the write fails, nothing is left behind.
  const fs::path dir_target = temp_dir() / "is_a_dir.wav";
  fs::create_directories(dir_target);
  EXPECT_THROW(write_wav(a, dir_target), Error);
  EXPECT_TRUE(fs::is_directory(dir_target));
  for (const auto& entry : fs::directory_iterator(temp_dir()))
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos) << entry.path();
}

TEST(ReadAudio, MissingOrGarbageIsBadInput) {
  try {
    read_audio("/nonexistent/x.wav");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
  }
  const fs::path junk = temp_dir() / "junk.wav";
  std::ofstream(junk) << "not audio at all";
  try {
    read_audio(junk);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.file(), junk.string());
  }
}

// A WAV whose LIST chunk claims 2 GB in a 164-byte file (found by the fuzzer: FFmpeg allocated
// 1.9 GB for it): refused as damaged, naming the chunk, before FFmpeg sees it.
TEST(ReadAudio, AWavWhoseChunkClaimsMoreThanTheFileIsDamaged) {
  // The LIST chunk before the samples, then after a short data chunk (FFmpeg reads on past it),
  // then behind an ID3 tag (FFmpeg skips it and reads the WAV after it: found by the fuzzer).
  for (const char* name :
       {"oom-riff-list-claims-2gb.wav", "oom-riff-list-after-data-claims-2gb.wav",
        "oom-id3-riff-list-claims-2gb.wav"})
    for (int pass = 0; pass < 2; ++pass) {
      const fs::path wav = fs::path(TONEPOEM_SOURCE_DIR) / "fuzz/corpus/audio" / name;
      try {
        if (pass == 0)
          read_audio(wav);
        else
          open_audio(wav);
        FAIL() << "the damaged WAV was read";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::bad_input);
        EXPECT_EQ(e.file(), wav.string());
        EXPECT_NE(std::string(e.what()).find("\"LIST\" chunk"), std::string::npos) << e.what();
      }
    }
}

// A WAV behind an ID3 tag whose header promises 155 frames and holds 132 (found by media_fuzz:
// open_audio trusted the count, and reading the end of it failed): open_audio and read_audio
// agree on the frames, and every frame reads.
TEST(ReadAudio, AWavHoldingFewerFramesThanItPromisesIsReadAsFarAsItGoes) {
  const fs::path wav =
      fs::path(TONEPOEM_SOURCE_DIR) / "fuzz/corpus/audio/id3-wav-data-short-of-its-count.wav";
  const AudioBuffer whole = read_audio(wav);
  const std::unique_ptr<PcmSource> source = open_audio(wav);
  EXPECT_EQ(source->frames(), whole.frames());
  std::vector<float> all(source->frames() * static_cast<std::size_t>(source->channels()));
  source->read(0, source->frames(), all.data());
  EXPECT_EQ(all, whole.samples);
}

// ---- Streaming: spool files and block-by-block passes --------------------------------------

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh, empty folder under the scratch folder.
fs::path fresh_dir(const std::string& name) {
  const fs::path dir = temp_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Everything a source holds, read in blocks of `block` frames.
std::vector<float> read_all(const PcmSource& source, std::size_t block) {
  const auto ch = static_cast<std::size_t>(source.channels());
  std::vector<float> all, part;
  for (std::size_t f = 0; f < source.frames(); f += block) {
    const std::size_t n = std::min(block, source.frames() - f);
    part.resize(n * ch);
    source.read(static_cast<std::int64_t>(f), n, part.data());
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

TEST(Resample, FromASpoolABlockAtATimeGivesTheWholeConversion) {
  // A film's sound is converted as it is read from its spool: every rate pair (tabulated kernel,
  // kernel per sample, no conversion) gives resample()'s samples exactly, across block edges.
  const fs::path dir = fresh_dir("resample-spool");
  for (const auto& [from, to] : std::vector<std::pair<int, int>>{
           {48000, 44100}, {22050, 44100}, {44100, 48001}, {44100, 44100}}) {
    AudioBuffer in = sine(from, 2, 330.0, 0.4, 2.3);
    for (std::size_t n = 0; n < in.frames(); ++n)  // the channels differ; a swell in the middle
      in.samples[2 * n + 1] *= static_cast<float>(0.5 + 0.5 * std::sin(double(n) / from * 3.0));
    PcmSpool spool(dir, from, 2);
    spool.append(in.samples.data(), in.frames());
    std::vector<float> pieced;
    const std::size_t delivered = resample_to(spool, to, [&](const float* s, std::size_t count) {
      pieced.insert(pieced.end(), s, s + 2 * count);
    });
    const AudioBuffer whole = resample(in, to);
    EXPECT_EQ(delivered, whole.frames()) << from << " -> " << to;
    EXPECT_TRUE(pieced == whole.samples) << from << " -> " << to;
  }
}

TEST(AudioFeatures, OfASpooledRangeAreThoseOfTheSameSlice) {
  const AudioBuffer music = synthesize(make_score(132, 6), test_options());
  PcmSpool spool(fresh_dir("features-spool"), music.sample_rate, music.channels);
  spool.append(music.samples.data(), music.frames());
  const auto same = [](const AudioFeatures& a, const AudioFeatures& b) {
    return a.rms_db == b.rms_db && a.rms_spread_db == b.rms_spread_db &&
           a.spectral_centroid_hz == b.spectral_centroid_hz &&
           a.zero_crossing_rate == b.zero_crossing_rate && a.onset_rate == b.onset_rate &&
           a.duration_s == b.duration_s;
  };
  EXPECT_TRUE(
      same(extract_audio_features(spool, 0, spool.frames()), extract_audio_features(music)));
  const std::size_t first = 44100 * 2 + 17, count = 44100 * 3 + 5;
  const AudioFeatures part = extract_audio_features(spool, first, count);
  EXPECT_TRUE(same(part, extract_audio_features(audio_slice(music, double(first) / 44100,
                                                            double(first + count) / 44100))));
  EXPECT_NEAR(part.duration_s, double(count) / 44100, 1e-9);
  EXPECT_GT(part.onset_rate, 1.0);
  // A range reaching past the end is cut at it; one wholly past it is empty.
  EXPECT_NEAR(extract_audio_features(spool, spool.frames() - 4410, 1u << 30).duration_s, 0.1, 1e-9);
  EXPECT_EQ(extract_audio_features(spool, spool.frames() + 10, 100).duration_s, 0);
}

TEST(PcmSpool, ReadsBackAnyRangeWithZerosOutsideAndLeavesNoFile) {
  const fs::path dir = fresh_dir("spool");
  AudioBuffer ramp;
  ramp.sample_rate = 8000;
  ramp.channels = 2;
  for (int i = 0; i < 2 * 50000; ++i) ramp.samples.push_back(static_cast<float>(i) * 1e-5f);
  {
    PcmSpool spool(dir, 8000, 2);
    // Odd block sizes: appends that straddle the 64 KiB write buffer.
    for (std::size_t f = 0, n = 1; f < ramp.frames(); f += n, n = n * 3 % 9001 + 1)
      spool.append(ramp.samples.data() + f * 2, std::min(n, ramp.frames() - f));
    EXPECT_TRUE(names_in(dir).empty()) << "the spool must have no name in the folder";
    EXPECT_EQ(spool.frames(), ramp.frames());
    EXPECT_EQ(spool.sample_rate(), 8000);
    EXPECT_EQ(spool.load().samples, ramp.samples);
    // A range hanging over both ends: zeros there, the frames in between.
    std::vector<float> out(2 * 60000, -1.0f);
    spool.read(-5000, 60000, out.data());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const long long frame = static_cast<long long>(i / 2) - 5000;
      const float want = frame < 0 || frame >= 50000 ? 0.0f : ramp.samples[frame * 2 + i % 2];
      ASSERT_EQ(out[i], want) << "sample " << i;
    }
    // Readers on several threads at once see the same samples.
    std::vector<std::vector<float>> seen(4);
    std::vector<std::thread> readers;
    for (std::size_t t = 0; t < seen.size(); ++t)
      readers.emplace_back([&, t] { seen[t] = read_all(spool, 1000 + 777 * t); });
    for (auto& r : readers) r.join();
    for (const auto& s : seen) EXPECT_EQ(s, ramp.samples);
  }
  EXPECT_TRUE(names_in(dir).empty());
}

TEST(PcmSpool, MissingFolderIsAnOutputErrorNamingIt) {
  const fs::path dir = temp_dir() / "no" / "such" / "folder";
  try {
    PcmSpool spool(dir, 44100, 2);
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::output);
    const std::string said = std::string(e.what()) + " " + e.file();
    EXPECT_NE(said.find(dir.string()), std::string::npos) << said;
  }
}

// `tonepoem video` reads score.wav through open_audio: the same samples as read_audio without
// holding them, from several threads at once; what libsndfile cannot read is decoded and held.
TEST(OpenAudio, ReadsTheFileWhereItLiesTheSameSamplesAsReadAudio) {
  AudioBuffer tone;
  tone.sample_rate = 22050;
  tone.channels = 2;
  for (int i = 0; i < 22050 * 3; ++i) {
    tone.samples.push_back(0.5f * static_cast<float>(std::sin(i * 0.031)));
    tone.samples.push_back(0.25f * static_cast<float>(std::sin(i * 0.017)));
  }
  const fs::path wav = temp_dir() / "open.wav";
  write_audio(tone, wav, AudioFileFormat::wav16);
  const AudioBuffer whole = read_audio(wav);
  const std::unique_ptr<PcmSource> source = open_audio(wav);
  EXPECT_EQ(source->buffer(), nullptr) << "a WAV is read where it lies, never held";
  EXPECT_EQ(source->frames(), whole.frames());
  EXPECT_EQ(source->sample_rate(), 22050);
  std::vector<std::vector<float>> seen(3);
  std::vector<std::thread> readers;
  for (std::size_t t = 0; t < seen.size(); ++t)
    readers.emplace_back([&, t] { seen[t] = read_all(*source, 1024 + 333 * t); });
  for (auto& r : readers) r.join();
  for (const auto& s : seen) EXPECT_EQ(s, whole.samples);
  std::vector<float> edge(2 * 100, -1.0f);  // over the end: the last 50 frames, then zeros
  source->read(static_cast<std::int64_t>(whole.frames()) - 50, 100, edge.data());
  EXPECT_EQ(edge[99], whole.samples.back());
  EXPECT_EQ(edge[100], 0.0f);

  const fs::path m4a = temp_dir() / "open.m4a";
  write_audio(tone, m4a, AudioFileFormat::m4a_aac);
  const std::unique_ptr<PcmSource> decoded = open_audio(m4a);
  ASSERT_NE(decoded->buffer(), nullptr) << "FFmpeg's formats are decoded whole";
  EXPECT_EQ(decoded->buffer()->samples, read_audio(m4a).samples);

  try {
    (void)open_audio(temp_dir() / "absent.wav");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
  }
}

// Found by media_fuzz: a damaged Ogg Opus file whose header gives no length (libsndfile says
// 2^63 frames). read_audio used to size its buffer by that promise and died; it reads what is
// there instead.
TEST(ReadAudio, AFileThatPromisesEndlessFramesReadsWhatIsThere) {
  const fs::path ogg = fs::path(TONEPOEM_SOURCE_DIR) / "fuzz/corpus/audio/ogg-length-unknown.opus";
  AudioBuffer audio;
  try {
    audio = read_audio(ogg);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input) << e.describe();
    return;
  }
  EXPECT_GT(audio.frames(), 0u);
  EXPECT_LT(audio.frames(), 48000u * 10) << "far more than 960 bytes can hold";
  EXPECT_EQ(open_audio(ogg)->frames(), audio.frames());
}

// A score.wav cut short while the video reads it: an error naming the file, never silence.
TEST(OpenAudio, AFileTruncatedWhileOpenIsAnErrorNamingIt) {
  AudioBuffer tone;
  tone.sample_rate = 8000;
  tone.channels = 2;
  tone.samples.assign(2 * 8000 * 2, 0.1f);
  const fs::path wav = temp_dir() / "cut.wav";
  write_audio(tone, wav, AudioFileFormat::wav16);
  const std::unique_ptr<PcmSource> source = open_audio(wav);
  fs::resize_file(wav, fs::file_size(wav) / 2);
  std::vector<float> out(2 * 1000);
  try {
    source->read(12000, 1000, out.data());
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::output);
    EXPECT_NE((std::string(e.what()) + e.file()).find("cut.wav"), std::string::npos);
  }
}

// make's audio before streaming (synthesize, master and write from whole buffers) against make's
// audio now (rendered into a spool with its loudness measured on the way, mastered from that spool
// into a second one, the files written from the second): the same bytes in every format.
TEST(Streaming, SpooledPathWritesTheSameFilesAsTheWholeBufferPath) {
  const fs::path dir = fresh_dir("streamed");
  const Score score = make_score(120, 14);  // 29 s: ten 3 s slices, 40 mastering blocks
  SynthOptions o = test_options();
  o.threads = 1;  // each part rendered whole, summed at the end
  AudioBuffer whole = synthesize(score, o);
  const double whole_lufs = integrated_loudness(whole);
  const LoudnessReport whole_report = master(whole, {});

  o.threads = 0;
  std::size_t frames = 0;
  {
    PcmSpool music(dir, o.sample_rate, 2);
    LoudnessMeter meter(2, o.sample_rate, false);
    frames = synthesize_to(score, o, [&](const float* f, std::size_t n) {
      music.append(f, n);
      meter.add(f, n);
    });
    const double music_lufs = meter.finish().integrated_lufs;
    EXPECT_TRUE(std::isfinite(music_lufs));
    EXPECT_EQ(music_lufs, whole_lufs);
    EXPECT_EQ(integrated_loudness(music), whole_lufs);
    PcmSpool mastered(dir, o.sample_rate, 2);
    const LoudnessReport report =
        master_stream(music, mastered.sink(), {}, CancelToken::never(), music_lufs);
    EXPECT_EQ(report.integrated_lufs, whole_report.integrated_lufs);
    EXPECT_EQ(report.true_peak_dbtp, whole_report.true_peak_dbtp);
    EXPECT_EQ(report.gain_db, whole_report.gain_db);
    ASSERT_EQ(mastered.frames(), whole.frames());
    EXPECT_EQ(mastered.load().samples, whole.samples);
    for (const AudioFileFormat f :
         {AudioFileFormat::wav16, AudioFileFormat::flac16, AudioFileFormat::m4a_aac}) {
      const std::string ext(audio_format_extension(f));
      write_audio(whole, dir / ("whole" + ext), f, {.title = "t", .artist = "a", .comment = "c"});
      write_audio(mastered, dir / ("streamed" + ext), f,
                  {.title = "t", .artist = "a", .comment = "c"});
      EXPECT_EQ(file_bytes(dir / ("whole" + ext)), file_bytes(dir / ("streamed" + ext))) << ext;
    }
  }
  EXPECT_EQ(frames, whole.frames());
  // The spools went with their objects: only the six files written are left.
  EXPECT_EQ(names_in(dir).size(), 6u);
}

TEST(Streaming, SilentInputGetsFadesOnlyAsTheWholeBufferMaster) {
  AudioBuffer quiet;
  quiet.sample_rate = 44100;
  quiet.channels = 2;
  quiet.samples.assign(2 * 44100 * 2, 1e-6f);  // far below the -70 LUFS gate
  const BufferSource input(quiet);
  std::vector<float> streamed;
  const LoudnessReport r = master_stream(
      input, [&](const float* f, std::size_t n) { streamed.insert(streamed.end(), f, f + 2 * n); },
      {}, CancelToken::never(), std::numeric_limits<double>::quiet_NaN());
  AudioBuffer whole = quiet;
  const LoudnessReport w = master(whole, {});
  EXPECT_EQ(r.gain_db, 0.0);
  EXPECT_EQ(w.gain_db, 0.0);
  EXPECT_EQ(streamed, whole.samples);
  EXPECT_EQ(streamed[0], 0.0f);       // faded in from silence
  EXPECT_EQ(streamed[44100], 1e-6f);  // untouched in the middle
  EXPECT_EQ(streamed.back(), 0.0f);   // faded out to silence
}

TEST(Streaming, NarrationMixIsTheWholeBufferMix) {
  // Real espeak-ng speech (22.05 kHz mono) over 8 s of music: the mix read a block at a time
  // equals mix_with_narration, including the speech running past the music's end.
  NarrationOptions no;
  const Narration speech = narrate(
      {"The river ran under the old stone bridge.", "Night came, and the stars with it."}, {}, no);
  ASSERT_GT(speech.audio.duration_s(), 3.0);
  const AudioBuffer music = synthesize(make_score(120, 2), test_options());  // about 5 s
  ASSERT_LT(music.duration_s(), speech.audio.duration_s());
  DuckOptions d;
  d.speech_gain_db = 4.0;
  const AudioBuffer whole = mix_with_narration(music, speech.audio, d);
  const BufferSource source(music);
  const NarrationMix mix(source, speech.audio, d);
  ASSERT_EQ(mix.frames(), whole.frames());
  EXPECT_EQ(read_all(mix, 4093), whole.samples);
  std::vector<float> past(2 * 10, -1.0f);
  mix.read(static_cast<std::int64_t>(mix.frames()), 10, past.data());
  EXPECT_EQ(past, std::vector<float>(20, 0.0f));
}

TEST(Streaming, ASinkThatFailsStopsSynthesisWithItsOwnError) {
  int calls = 0;
  try {
    synthesize_to(make_score(120, 8), test_options(), [&](const float*, std::size_t) {
      if (++calls == 2) throw Error(ExitCode::output, "disk full", "spool");
    });
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::output);
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls, 2) << "nothing may reach the sink after it threw";
}

TEST(Streaming, CancelledMasteringStopsWithInterrupted) {
  const AudioBuffer music = synthesize(make_score(120, 4), test_options());
  const BufferSource input(music);
  CancelToken cancel;
  std::size_t delivered = 0;
  cancel.cancel();
  try {
    master_stream(
        input, [&](const float*, std::size_t n) { delivered += n; }, {}, cancel,
        std::numeric_limits<double>::quiet_NaN());
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::interrupted);
  }
  EXPECT_EQ(delivered, 0u);
}

}  // namespace
}  // namespace tonepoem
