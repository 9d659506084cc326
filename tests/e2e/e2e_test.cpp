// End-to-end tests: run the real `tonepoem` binary on the bundled examples and check what a user
// would check: the files decode, last as long as each other, and the music follows the story.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <lo/lo.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "model/score.h"
#include "music/midi.h"
#include "run_cli.h"
#include "video/probe.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kBinary = TONEPOEM_BINARY;
const fs::path kSource = TONEPOEM_SOURCE_DIR;
const fs::path kTestSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

using e2e::quote;
using e2e::RunResult;

// `environment`: assignments put before the command ("NAME=value ...").
RunResult run(const std::string& args, const std::string& environment = "") {
  return e2e::run_shell(environment + " " + kBinary.string() + " " + args);
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-e2e-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

bool has_partial_files(const fs::path& dir) {
  if (!fs::exists(dir)) return false;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().find(".partial") != std::string::npos) return true;
  return false;
}

int mode_darkness(const std::string& mode) {
  static const char* kOrder[] = {"lydian",  "ionian",   "mixolydian", "dorian",
                                 "aeolian", "phrygian", "locrian"};
  for (int i = 0; i < 7; ++i)
    if (mode == kOrder[i]) return i;
  return -1;
}

// One full run of the English example, shared by the tests below (it is the slow part).
class EnglishExample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir("english"));
    result_ = new RunResult(
        run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") + " -o " +
            quote(*dir_) + " --duration 24 --seed 3 --resolution 320x180 --fps 15 --soundfont " +
            quote(kTestSoundFont)));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete result_;
  }
  static fs::path* dir_;
  static RunResult* result_;
};
fs::path* EnglishExample::dir_ = nullptr;
RunResult* EnglishExample::result_ = nullptr;

TEST_F(EnglishExample, SucceedsAndWritesEveryOutput) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  for (const char* name : {"score.mid", "score.wav", "video.mp4", "report.json", "cues.json"})
    EXPECT_TRUE(fs::exists(*dir_ / name)) << name;
  EXPECT_FALSE(has_partial_files(*dir_));
}

TEST_F(EnglishExample, ReportHtmlDrawsEverySectionAndLinksOnlyFilesThatExist) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  std::ifstream in(*dir_ / "report.html");
  ASSERT_TRUE(in) << "make writes report.html beside report.json";
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto report = read_json(*dir_ / "report.json");
  std::size_t starts = 0;
  for (std::size_t at = html.find("class=\"section-start\""); at != std::string::npos;
       at = html.find("class=\"section-start\"", at + 1))
    ++starts;
  EXPECT_EQ(starts, report["sections"].size()) << "a boundary per section";
  EXPECT_NE(html.find(report["title"].get<std::string>()), std::string::npos);
  const std::regex link("<a href=\"([^\"]+)\">");
  std::size_t links = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator();
       ++it, ++links)
    EXPECT_TRUE(fs::exists(*dir_ / (*it)[1].str())) << (*it)[1].str();
  EXPECT_GE(links, 3u) << "MIDI, audio and video at least";
}

TEST_F(EnglishExample, MidiHasOneSectionPerSceneWithMarkersAndNamedTracks) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const Score score = load_midi(*dir_ / "score.mid");
  const auto report = read_json(*dir_ / "report.json");
  ASSERT_EQ(report["sections"].size(), 3u) << "the example has three scenes";
  EXPECT_EQ(score.markers.size(), report["sections"].size());
  EXPECT_GE(score.tracks.size(), 3u) << "chords, melody and bass at least";
  for (const Track& t : score.tracks) EXPECT_FALSE(t.name.empty());
  EXPECT_NEAR(score.duration_s(), 24.0, 2.0);
}

TEST_F(EnglishExample, WavIsNeitherSilentNorClipped) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const AudioBuffer audio = read_audio(*dir_ / "score.wav");
  EXPECT_EQ(audio.sample_rate, 44100);
  EXPECT_EQ(audio.channels, 2);
  double sum = 0, peak = 0;
  std::size_t at_full_scale = 0;
  for (float s : audio.samples) {
    sum += double(s) * s;
    peak = std::max(peak, double(std::abs(s)));
    if (std::abs(s) >= 0.999f) ++at_full_scale;
  }
  const double rms = std::sqrt(sum / double(audio.samples.size()));
  EXPECT_GT(rms, 0.01) << "silent";
  EXPECT_LT(peak, 1.0);
  EXPECT_EQ(at_full_scale, 0u) << "clipped samples";
}

TEST_F(EnglishExample, VideoDecodesWithAudioAndVideoOfTheSameLength) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const MediaInfo info = probe_media(*dir_ / "video.mp4");
  ASSERT_TRUE(info.has_video);
  ASSERT_TRUE(info.has_audio);
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 180);
  EXPECT_EQ(info.video_codec, "h264");
  EXPECT_EQ(info.audio_codec, "aac");
  EXPECT_NEAR(info.video_duration_s, info.audio_duration_s,
              1.0 / 15 + 0.03);  // one frame (+AAC padding)
  const AudioBuffer wav = read_audio(*dir_ / "score.wav");
  EXPECT_NEAR(info.video_duration_s, wav.duration_s(), 1.0 / 15 + 1e-6);
}

TEST_F(EnglishExample, DangerSectionIsFasterAndDarkerThanTheCalmOne) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const auto sections = read_json(*dir_ / "report.json")["sections"];
  ASSERT_EQ(sections.size(), 3u);
  // The story: calm evening, then a storm and a rescue, then joy. The plan says so...
  const auto& calm = sections[0];
  const auto& storm = sections[1];
  const auto& joy = sections[2];
  EXPECT_GT(storm["target"]["arousal"].get<double>(), calm["target"]["arousal"].get<double>());
  EXPECT_LT(storm["target"]["valence"].get<double>(), joy["target"]["valence"].get<double>());
  // ...and the music follows: the storm is faster than the calm evening, and in a darker mode than
  // the happy ending.
  EXPECT_GT(storm["tempo_bpm"].get<double>(), calm["tempo_bpm"].get<double>());
  EXPECT_GT(mode_darkness(storm["mode"]), mode_darkness(joy["mode"]));
  EXPECT_TRUE(storm["minor"].get<bool>());
  // The MIDI itself carries the faster tempo at the storm's start.
  const Score score = load_midi(*dir_ / "score.mid");
  auto bpm_at = [&](double seconds) {
    const std::int64_t tick = score.tick_at(seconds + 0.01);
    double bpm = score.tempo.front().bpm;
    for (const TempoEvent& t : score.tempo)
      if (t.tick <= tick) bpm = t.bpm;
    return bpm;
  };
  EXPECT_GT(bpm_at(storm["start_s"].get<double>()), bpm_at(calm["start_s"].get<double>()));
}

TEST_F(EnglishExample, ReportHasSegmentsWithEmotionAndSectionsWithMusic) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const auto report = read_json(*dir_ / "report.json");
  ASSERT_GT(report["segments"].size(), 5u);
  for (const auto& seg : report["segments"]) {
    EXPECT_FALSE(seg["text"].get<std::string>().empty());
    EXPECT_GE(seg["valence"].get<double>(), -1.0);
    EXPECT_LE(seg["valence"].get<double>(), 1.0);
    EXPECT_GE(seg["arousal"].get<double>(), -1.0);
    EXPECT_LE(seg["arousal"].get<double>(), 1.0);
  }
  for (const auto& s : report["sections"]) {
    EXPECT_TRUE(s.contains("key"));
    EXPECT_FALSE(s["instruments"].empty());
    EXPECT_LT(s["start_s"].get<double>(), s["end_s"].get<double>());
  }
  EXPECT_NEAR(report["loudness"]["integrated_lufs"].get<double>(), -14.0, 1.0);
}

TEST_F(EnglishExample, JudgeHearsTheStormAsMoreArousedThanTheCalmAndDarkerThanTheEnd) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const RunResult r = run("judge " + quote(*dir_ / "score.mid"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto windows = nlohmann::json::parse(r.output)["windows"];
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_GT(windows[1]["arousal"].get<double>(), windows[0]["arousal"].get<double>());
  EXPECT_LT(windows[1]["valence"].get<double>(), windows[2]["valence"].get<double>());
  // Not asserted: that the storm lands in the negative-valence quadrant. On 7-second sections
  // refinement often cannot reach its valence target (they are flagged in the report), and the
  // judge's valence is weak.
}

TEST_F(EnglishExample, VideoCommandReRendersInAnotherStyleAndShape) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const fs::path square = dir_->parent_path() / "square.mp4";
  RunResult r = run("video " + quote(*dir_) + " -o " + quote(square) +
                    " --style minimal --resolution 240x240 --fps 10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const MediaInfo info = probe_media(square);
  EXPECT_EQ(info.width, 240);
  EXPECT_EQ(info.height, 240);
  EXPECT_NEAR(info.video_duration_s, read_audio(*dir_ / "score.wav").duration_s(), 0.1 + 1e-6);
  const fs::path png = dir_->parent_path() / "frame.png";
  r = run("video " + quote(*dir_) + " -o " + quote(png) + " --snapshot 3 --resolution 320x180");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(png, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  r = run("video " + quote(*dir_) + " -o " + quote(square) + " --style nosuchstyle");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("spectrum"), std::string::npos)
      << "lists the accepted styles: " << r.output;
}

TEST_F(EnglishExample, ReportShowsRefinementPerSection) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const auto report = read_json(*dir_ / "report.json");
  EXPECT_TRUE(report["refined"].get<bool>());
  for (const auto& section : report["sections"]) {
    ASSERT_TRUE(section.contains("refinement")) << section.dump();
    const auto& r = section["refinement"];
    for (const char* key : {"target", "judged_before", "judged_after", "distance", "changes"})
      EXPECT_TRUE(r.contains(key)) << key << " in " << r.dump();
    if (r.contains("flagged")) {
      EXPECT_FALSE(r["flagged"].get<std::string>().empty());
    }
  }
}

TEST_F(EnglishExample, ComposingTheWrittenCueSheetGivesTheSameMidi) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const fs::path again = dir_->parent_path() / "again.mid";
  const RunResult r = run("compose " + quote(*dir_ / "cues.json") + " -o " + quote(again));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(again), bytes(*dir_ / "score.mid"))
      << "cues.json must carry everything compose needs";
}

TEST_F(EnglishExample, RenderMastersTheMidiToFlacAtTheTargetLoudness) {
  ASSERT_EQ(result_->exit_code, 0) << result_->output;
  const fs::path flac = dir_->parent_path() / "render.flac";
  const RunResult r = run("render " + quote(*dir_ / "score.mid") + " -o " + quote(flac) +
                          " --loudness -16 -q --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const AudioBuffer audio = read_audio(flac);
  EXPECT_EQ(audio.channels, 2);
  EXPECT_NEAR(audio.duration_s(), read_audio(*dir_ / "score.wav").duration_s(), 0.05);
  const LoudnessReport loudness = measure_loudness(audio);
  EXPECT_NEAR(loudness.integrated_lufs, -16.0, 0.5);
  EXPECT_LE(loudness.true_peak_dbtp, -1.0 + 0.1);  // 16-bit quantisation may add a hair
  const RunResult bad =
      run("render " + quote(*dir_ / "score.mid") + " -o " + quote(dir_->parent_path() / "x.aiff"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

TEST(E2E, ChineseStoryMakesThreeSectionsWithADarkStorm) {
  const fs::path dir = fresh_dir("chinese");
  const RunResult r =
      run("make " + quote(kSource / "examples/moon-lake-boat.zh.txt") + " -o " + quote(dir) +
          " --duration 20 --no-video --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto report = read_json(dir / "report.json");
  EXPECT_EQ(report["language"], "zh");
  ASSERT_EQ(report["sections"].size(), 3u);
  EXPECT_LT(report["sections"][1]["target"]["valence"].get<double>(),
            report["sections"][0]["target"]["valence"].get<double>());
  EXPECT_TRUE(report["sections"][1]["minor"].get<bool>());
  EXPECT_FALSE(fs::exists(dir / "video.mp4")) << "--no-video";
}

// A long plain-text story with no scene breaks (paragraphs only): a calm mill, a father lost to a
// flood, a wolf's pursuit, a fall into a river (near death), a rescue and a reunion. The plan must
// find the turns itself, and the music must mark its hit points. One run (about 10 minutes of
// music to synthesize) serves the three checks below, called by one test.
void expect_sections_at_a_composers_pace(const fs::path& dir) {
  const auto cues = read_json(dir / "cues.json");
  const double minutes = cues["duration_s"].get<double>() / 60;
  ASSERT_GT(minutes, 5.0) << "a 1,400-word story read at a normal pace";
  const double per_minute = static_cast<double>(cues["cues"].size()) / minutes;
  EXPECT_GE(per_minute, 0.7);
  EXPECT_LE(per_minute, 3.0);
  for (const auto& cue : cues["cues"]) {
    const double length = cue["end_s"].get<double>() - cue["start_s"].get<double>();
    EXPECT_GE(length, 15.0) << cue["name"];
    EXPECT_LE(length, 120.0) << cue["name"];
  }
}

void expect_darkest_cue_minor_and_stillest_slowest(const fs::path& dir) {
  const auto sections = read_json(dir / "report.json")["sections"];
  ASSERT_GE(sections.size(), 2u);
  auto valence = [](const nlohmann::json& s) { return s["target"]["valence"].get<double>(); };
  const auto [darkest, brightest] = std::minmax_element(
      sections.begin(), sections.end(),
      [&](const nlohmann::json& a, const nlohmann::json& b) { return valence(a) < valence(b); });
  EXPECT_LT(valence(*darkest), valence(*brightest) - 0.3) << "the plan hears the turns";
  EXPECT_TRUE((*darkest)["minor"].get<bool>()) << (*darkest)["mode"];
  EXPECT_GT(mode_darkness((*darkest)["mode"]), mode_darkness((*brightest)["mode"]));
  // Tempo follows arousal, not valence (a chase is dark and fast): the stillest cue is slower
  // than the most agitated one.
  auto arousal = [](const nlohmann::json& s) { return s["target"]["arousal"].get<double>(); };
  const auto [stillest, wildest] = std::minmax_element(
      sections.begin(), sections.end(),
      [&](const nlohmann::json& a, const nlohmann::json& b) { return arousal(a) < arousal(b); });
  EXPECT_LT((*stillest)["tempo_bpm"].get<double>(), (*wildest)["tempo_bpm"].get<double>());
}

void expect_every_hit_on_a_musical_event_within_one_beat(const fs::path& dir) {
  const auto cues = read_json(dir / "cues.json");
  const auto report = read_json(dir / "report.json");
  ASSERT_FALSE(cues["hits"].empty()) << "a story with a near death and a rescue has peak lines";
  EXPECT_EQ(report["hits"].size(), cues["hits"].size()) << "report.json lists the hits too";
  // What the MIDI file itself plays (read back): loud chords (4 or more notes of any tracks
  // starting together at velocity 90 or more: the composer's accents, stingers and held chords are
  // at least that; elsewhere in this score about 4% of onset times are) and where silences start
  // (no note of any track sounding).
  const Score score = load_midi(dir / "score.mid");
  std::map<std::int64_t, int> loud_at_tick;
  std::vector<std::pair<double, double>> spans;  // (start, end) seconds of every note
  for (const Track& track : score.tracks)
    for (const Note& n : track.notes) {
      spans.emplace_back(score.seconds_at(n.tick), score.seconds_at(n.tick + n.duration));
      if (n.velocity >= 90) ++loud_at_tick[n.tick];
    }
  std::vector<double> loud_chords;
  for (const auto& [tick, count] : loud_at_tick)
    if (count >= 4) loud_chords.push_back(score.seconds_at(tick));
  std::sort(spans.begin(), spans.end());
  std::vector<double> silences;
  double sounding_until = 0;
  for (const auto& [start, end] : spans) {
    if (start > sounding_until + 0.05) silences.push_back(sounding_until);
    sounding_until = std::max(sounding_until, end);
  }
  for (const auto& hit : cues["hits"]) {
    const double t = hit["time_s"].get<double>();
    SCOPED_TRACE(hit["kind"].get<std::string>() + " at " + std::to_string(t) +
                 " s: " + hit["text"].get<std::string>());
    // At a caption's start.
    EXPECT_TRUE(std::any_of(
        cues["captions"].begin(), cues["captions"].end(),
        [&](const nlohmann::json& c) { return std::abs(c["start_s"].get<double>() - t) < 1e-6; }));
    // One beat at the tempo of the section holding it.
    double bpm = 0;
    for (const auto& s : report["sections"])
      if (s["start_s"].get<double>() <= t + 1e-9 && t < s["end_s"].get<double>())
        bpm = s["tempo_bpm"].get<double>();
    ASSERT_GT(bpm, 0);
    const double beat = 60 / bpm;
    // A loud chord or a drop to silence within one beat.
    auto near = [&](const std::vector<double>& times) {
      return std::any_of(times.begin(), times.end(),
                         [&](double x) { return std::abs(x - t) <= beat; });
    };
    EXPECT_TRUE(near(loud_chords) || near(silences));
    // report.json says what was placed there, within the same beat.
    const auto placed =
        std::find_if(report["hits"].begin(), report["hits"].end(), [&](const nlohmann::json& h) {
          return h["time_s"] == hit["time_s"] && h["kind"] == hit["kind"];
        });
    ASSERT_NE(placed, report["hits"].end());
    ASSERT_TRUE((*placed)["music"].is_object());
    EXPECT_LE(std::abs((*placed)["music"]["offset_s"].get<double>()), beat);
  }
}

TEST(E2E, LongPlainStoryFollowsItsTurnsAndMarksItsPeakLines) {
  const fs::path dir = fresh_dir("miller");
  const RunResult r = run("make " + quote(kSource / "examples/the-miller-s-daughter.txt") + " -o " +
                          quote(dir) + " --no-video -q --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  {
    SCOPED_TRACE("sections per minute and cue lengths");
    expect_sections_at_a_composers_pace(dir);
  }
  {
    SCOPED_TRACE("darkest and brightest cues");
    expect_darkest_cue_minor_and_stillest_slowest(dir);
  }
  {
    SCOPED_TRACE("hit points");
    expect_every_hit_on_a_musical_event_within_one_beat(dir);
  }
}

TEST(E2E, SameSeedGivesTheSameMidiBytes) {
  const fs::path a = fresh_dir("seed-a"), b = fresh_dir("seed-b"), c = fresh_dir("seed-c");
  const std::string story = quote(kSource / "examples/the-lantern-at-the-ford.txt");
  const std::string common = " --duration 15 --no-video --soundfont " + quote(kTestSoundFont);
  ASSERT_EQ(run("make " + story + " -o " + quote(a) + " --seed 11" + common).exit_code, 0);
  ASSERT_EQ(run("make " + story + " -o " + quote(b) + " --seed 11" + common).exit_code, 0);
  ASSERT_EQ(run("make " + story + " -o " + quote(c) + " --seed 12" + common).exit_code, 0);
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(a / "score.mid"), bytes(b / "score.mid"));
  EXPECT_NE(bytes(a / "score.mid"), bytes(c / "score.mid"));
}

TEST(E2E, ComposeForOneEmotionWritesAPlayableMidi) {
  const fs::path dir = fresh_dir("compose");
  fs::create_directories(dir);
  const RunResult r =
      run("compose --emotion -0.6,0.7 --duration 20 --seed 5 -o " + quote(dir / "tense.mid"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Score score = load_midi(dir / "tense.mid");
  EXPECT_NEAR(score.duration_s(), 20.0, 1.5);
  std::size_t notes = 0;
  for (const Track& t : score.tracks) notes += t.notes.size();
  EXPECT_GT(notes, 20u);
}

// `make --music-style`: the story's score in another orchestration, kept in cues.json (so
// `compose cues.json` gives it again); `--style` stays the video's look.
TEST(E2E, MakeInAMusicStyleKeepsItInTheCueSheet) {
  const fs::path dir = fresh_dir("make-music-style");
  const RunResult r =
      run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") + " -o " + quote(dir) +
          " --duration 20 --no-video --no-refine --music-style chiptune -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Score score = load_midi(dir / "score.mid");
  for (const Track& t : score.tracks) {
    if (t.channel == 9) continue;
    EXPECT_TRUE(t.program == 80 || t.program == 81 || t.program == 38) << t.name;
  }
  const nlohmann::json cues = nlohmann::json::parse(std::ifstream(dir / "cues.json"));
  EXPECT_EQ(cues["style"], "chiptune");
  const RunResult again =
      run("compose " + quote(dir / "cues.json") + " -o " + quote(dir / "again.mid"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  std::ifstream a(dir / "score.mid", std::ios::binary), b(dir / "again.mid", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}));
}

// `compose --style`: the same emotion on one piano; a cue sheet's unknown style is bad input
// naming the file.
TEST(E2E, ComposeInAStyleAndACueSheetsUnknownStyleIsNamed) {
  const fs::path dir = fresh_dir("compose-style");
  fs::create_directories(dir);
  const RunResult r =
      run("compose --emotion 0.5,0.6 --duration 15 --style piano -o " + quote(dir / "piano.mid"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Score score = load_midi(dir / "piano.mid");
  ASSERT_FALSE(score.tracks.empty());
  for (const Track& t : score.tracks) {
    EXPECT_EQ(t.program, 0) << t.name;
    EXPECT_NE(t.channel, 9) << t.name;
  }
  const fs::path cues = dir / "cues.json";
  std::ofstream(cues) << R"({"format": "tonepoem-cues/1", "duration_s": 10, "seed": 1,
    "style": "baroque", "cues": [{"name": "A", "start_s": 0, "end_s": 10,
    "target": {"valence": 0.2, "arousal": 0.1, "tension": 0.1}}]})";
  const RunResult bad = run("compose " + quote(cues) + " -o " + quote(dir / "never.mid"));
  EXPECT_EQ(bad.exit_code, 3) << bad.output;
  EXPECT_NE(bad.output.find("cues.json"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("chiptune"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "never.mid"));
}

// Bad input: one clear message naming the file, a documented exit code, no outputs.
struct BadInputCase {
  const char* name;
  std::string content;
  int exit_code;
  const char* message_part;
};

void PrintTo(const BadInputCase& c, std::ostream* os) {
  *os << c.name;
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, FailsClearlyAndWritesNothing) {
  const BadInputCase& c = GetParam();
  const fs::path dir = fresh_dir(std::string("bad-") + c.name);
  fs::create_directories(dir);
  const fs::path story = dir / "story.txt";
  {
    std::ofstream out(story, std::ios::binary);
    out << c.content;
  }
  const fs::path out_dir = dir / "out";
  const RunResult r = run("make " + quote(story) + " -o " + quote(out_dir) +
                          " --no-video --soundfont " + quote(kTestSoundFont));
  EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
  EXPECT_NE(r.output.find(story.string()), std::string::npos)
      << "message names the file: " << r.output;
  EXPECT_NE(r.output.find(c.message_part), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out_dir / "score.mid"));
  EXPECT_FALSE(fs::exists(out_dir / "report.json"));
  EXPECT_FALSE(has_partial_files(out_dir));
}

INSTANTIATE_TEST_SUITE_P(
    E2E, BadInput,
    ::testing::Values(BadInputCase{"empty", "", 3, "empty"},
                      BadInputCase{"blank", "  \n\n\t\n", 3, "empty"},
                      BadInputCase{"binary",
                                   std::string("\x7f"
                                               "ELF\x02\x01\x01\0\0\0\0",
                                               12),
                                   3, "binary"},
                      BadInputCase{"latin1", "Once upon a time.\nThe caf\xe9 was warm.\n", 3,
                                   "line 2"}),
    [](const ::testing::TestParamInfo<BadInputCase>& param) {
      return std::string(param.param.name);
    });

TEST(E2E, MissingStoryNamesTheFile) {
  const RunResult r = run("make /no/such/story.txt -o " + quote(fresh_dir("missing-story")));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("/no/such/story.txt"), std::string::npos) << r.output;
}

TEST(E2E, MissingSoundFontNamesTheFileAndTheFix) {
  const fs::path dir = fresh_dir("missing-sf");
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " -o " + quote(dir) + " --soundfont /no/such/font.sf2");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("/no/such/font.sf2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "score.mid"));
}

TEST(E2E, UnwritableOutputFolderIsReported) {
  const fs::path dir = fresh_dir("unwritable");
  fs::create_directories(dir);
  { std::ofstream(dir / "a-file") << "x"; }
  // A folder inside a regular file can never be created, even by root.
  const fs::path out = dir / "a-file" / "out";
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " -o " + quote(out) + " --soundfont " + quote(kTestSoundFont));
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find(out.string()), std::string::npos) << r.output;
}

TEST(E2E, BadOptionsSayWhatIsAccepted) {
  const std::string story = quote(kSource / "examples/the-lantern-at-the-ford.txt");
  RunResult r = run("make " + story + " -o /tmp/x --resolution 100x100");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("160..3840"), std::string::npos) << r.output;
  r = run("make " + story + " -o /tmp/x --resolution wide");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("1280x720"), std::string::npos) << "shows an example: " << r.output;
  r = run("make " + story + " -o /tmp/x --quality best");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("draft"), std::string::npos) << r.output;
  r = run("make " + story + " -o /tmp/x --lang fr");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run("compose --emotion 2,0 -o /tmp/x.mid");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("[-1, 1]"), std::string::npos) << r.output;
}

TEST(E2E, CtrlCLeavesNoHalfWrittenFiles) {
  const fs::path dir = fresh_dir("interrupted");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string story = (kSource / "examples/the-lantern-at-the-ford.txt").string();
    const std::string out = dir.string();
    const std::string sf = kTestSoundFont.string();
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(kBinary.c_str(), "tonepoem", "make", story.c_str(), "-o", out.c_str(), "--duration",
            "900", "--resolution", "640x360", "--soundfont", sf.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(child, SIGINT);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_FALSE(has_partial_files(dir));
  EXPECT_FALSE(fs::exists(dir / "report.json"));
  EXPECT_FALSE(fs::exists(dir / "video.mp4"));
}

// Narration: espeak-ng reads the story; the sections change in the pauses between scenes, the
// captions carry the words, the music ducks under the voice, and the mix is mastered.
TEST(E2E, NarratedStoryFollowsTheReadingWithWordsStemsAndM4a) {
  const fs::path dir = fresh_dir("narrated");
  const RunResult r =
      run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") + " -o " + quote(dir) +
          " --narrate --voice en --no-video --stems --format m4a --seed 4 --soundfont " +
          quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto report = read_json(dir / "report.json");
  const auto cues = read_json(dir / "cues.json");
  EXPECT_EQ(report["narration"]["voice"], "en");
  const auto& captions = cues["captions"];
  const auto& segments = report["segments"];
  ASSERT_EQ(captions.size(), segments.size());
  std::size_t words = 0;
  for (std::size_t i = 0; i < captions.size(); ++i) {
    const double start = captions[i]["start_s"], end = captions[i]["end_s"];
    ASSERT_TRUE(captions[i].contains("words")) << i;
    for (const auto& w : captions[i]["words"]) {
      EXPECT_GE(w["start_s"].get<double>(), start - 1e-6) << w["text"];
      EXPECT_LE(w["end_s"].get<double>(), end + 1e-6) << w["text"];
      ++words;
    }
    if (i > 0) {
      EXPECT_GE(start, captions[i - 1]["end_s"].get<double>()) << i;
    }
  }
  EXPECT_GT(words, 200u);  // the story has 237 words
  // Each section after the first starts in the pause before its scene's first spoken sentence.
  const auto& sections = cues["cues"];
  ASSERT_GE(sections.size(), 2u);
  for (std::size_t s = 1; s < sections.size(); ++s) {
    std::size_t first = 0;
    while (first < segments.size() && segments[first]["scene"].get<std::size_t>() < s) ++first;
    ASSERT_LT(first, segments.size());
    ASSERT_GT(first, 0u);
    const double boundary = sections[s]["start_s"];
    EXPECT_GE(boundary, captions[first - 1]["end_s"].get<double>() - 0.05) << "section " << s;
    EXPECT_LE(boundary, captions[first]["start_s"].get<double>() + 0.05) << "section " << s;
  }
  const AudioBuffer wav = read_audio(dir / "score.wav");
  const LoudnessReport loudness = measure_loudness(wav);
  EXPECT_NEAR(loudness.integrated_lufs, -14.0, 0.5);
  EXPECT_LE(loudness.true_peak_dbtp, -1.0 + 0.1);
  EXPECT_NEAR(wav.duration_s(), cues["duration_s"].get<double>(), 1.5);
  // The M4A beside it decodes to the same length (within an AAC frame) and channel count.
  const AudioBuffer m4a = read_audio(dir / "score.m4a");
  EXPECT_EQ(m4a.channels, 2);
  EXPECT_NEAR(m4a.duration_s(), wav.duration_s(), 1024.0 / 44100 + 1e-3);
  ASSERT_TRUE(report["outputs"].contains("stems"));
  EXPECT_GE(report["outputs"]["stems"].size(), 2u);
  const std::size_t stem_frames =
      read_audio(dir / report["outputs"]["stems"][0].get<std::string>()).frames();
  bool voice = false;
  for (const auto& stem : report["outputs"]["stems"]) {
    const AudioBuffer a = read_audio(dir / stem.get<std::string>());
    if (stem == "stems/narration.wav") {
      voice = true;
      EXPECT_GT(measure_loudness(a).integrated_lufs, -30.0);
    } else {
      EXPECT_EQ(a.frames(), stem_frames) << stem;
    }
  }
  EXPECT_TRUE(voice) << "the voice is a stem too";
}

TEST(E2E, ChineseNarrationUsesTheMandarinVoice) {
  const fs::path dir = fresh_dir("narrated-zh");
  const RunResult r =
      run("make " + quote(kSource / "examples/moon-lake-boat.zh.txt") + " -o " + quote(dir) +
          " --narrate --no-video --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Read as pinyin (the cmn voice reads many characters as English: "guang one").
  EXPECT_EQ(read_json(dir / "report.json")["narration"]["voice"], "cmn-latn-pinyin");
  const auto cues = read_json(dir / "cues.json");
  ASSERT_FALSE(cues["captions"].empty());
  EXPECT_FALSE(cues["captions"][0]["words"].empty());
  // The captions' words are the written words, in the order of their caption's text.
  for (const auto& caption : cues["captions"]) {
    const std::string text = caption["text"];
    std::size_t at = 0;
    for (const auto& word : caption["words"]) {
      const std::string w = word["text"];
      EXPECT_EQ(w.find_first_of("abcdefghijklmnopqrstuvwxyz"), std::string::npos) << w;
      const std::size_t found = text.find(w, at);
      ASSERT_NE(found, std::string::npos) << w << " in order in " << text;
      at = found + w.size();
    }
  }
  const RunResult both = run("make " + quote(kSource / "examples/moon-lake-boat.zh.txt") + " -o " +
                             quote(dir) + " --narrate --duration 30 --no-video");
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

// `tonepoem live` with no -o plays on the sound card through SDL2. SDL's "disk" driver stands in
// for the card: it takes the samples at the card's pace and writes them to a file.
TEST(E2E, LivePlaysOnTheSoundCardInRealTime) {
  const fs::path dir = fresh_dir("live-card");
  fs::create_directories(dir);
  const fs::path commands = dir / "commands.jsonl", card = dir / "card.raw";
  std::ofstream(commands) << "{\"t\": 1.5, \"valence\": -0.5, \"arousal\": 0.7}\n"
                             "{\"t\": 3, \"stop\": \"now\"}\n";
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run("live --soundfont " + quote(kTestSoundFont) + " < " + quote(commands),
                          "SDL_AUDIODRIVER=disk SDL_DISKAUDIOFILE=" + quote(card));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("played"), std::string::npos) << r.output;
  // Stereo float at 48 kHz: the stop at 3 s plus the ring-out, at the card's pace.
  std::ifstream in(card, std::ios::binary);
  std::vector<float> pcm(fs::file_size(card) / sizeof(float));
  in.read(reinterpret_cast<char*>(pcm.data()), static_cast<std::streamsize>(pcm.size() * 4));
  const double seconds = static_cast<double>(pcm.size()) / 2 / 48000;
  EXPECT_GT(seconds, 3.0);
  EXPECT_LT(seconds, 8.0);
  EXPECT_GT(wall, 3.0);  // real time: not faster than the music
  double energy = 0;
  for (float x : pcm) {
    ASSERT_TRUE(std::isfinite(x));
    energy += static_cast<double>(x) * x;
  }
  EXPECT_GT(std::sqrt(energy / static_cast<double>(pcm.size())), 1e-3);  // music, not silence
}

// `tonepoem live --style`: the same commands orchestrated another way; an unknown style is a
// usage error that lists the styles and writes nothing.
TEST(E2E, LivePlaysInAStyleAndNamesTheStylesItKnows) {
  const fs::path dir = fresh_dir("live-style");
  fs::create_directories(dir);
  const fs::path commands = dir / "commands.jsonl";
  std::ofstream(commands) << "{\"t\": 1, \"hit\": \"danger\"}\n{\"t\": 2, \"stop\": \"now\"}\n";
  std::map<std::string, std::string> wavs;
  for (const std::string style : {"piano", "chiptune"}) {
    const fs::path wav = dir / (style + ".wav");
    const RunResult r = run("live --style " + style + " --soundfont " + quote(kTestSoundFont) +
                            " -o " + quote(wav) + " < " + quote(commands));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::ifstream in(wav, std::ios::binary);
    wavs[style] = std::string(std::istreambuf_iterator<char>(in), {});
    EXPECT_GT(wavs[style].size(), 48000u * 2 * 2);  // more than a second of audio
  }
  EXPECT_NE(wavs["piano"], wavs["chiptune"]);
  const fs::path never = dir / "never.wav";
  const RunResult bad = run("live --style baroque -o " + quote(never) + " < " + quote(commands));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("baroque"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("piano"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(never));
}

TEST(E2E, LiveWithoutASoundCardSaysHowToWriteAFile) {
  const RunResult r = run("live < /dev/null", "SDL_AUDIODRIVER=no-such-driver");
  EXPECT_EQ(r.exit_code, 4) << r.output;  // missing resource
  EXPECT_NE(r.output.find("no sound card"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-o FILE.wav"), std::string::npos) << r.output;
}

// `tonepoem live --story`: the story's sentences drive the music at reading pace, offline, and the
// same story and seed give the same audio.
TEST(E2E, LiveStoryRendersTheStoryAtReadingPace) {
  const fs::path dir = fresh_dir("live-story");
  const fs::path story = kSource / "examples/the-lantern-at-the-ford.txt";
  const RunResult a = run("live --story " + quote(story) + " --soundfont " + quote(kTestSoundFont) +
                          " -o " + quote(dir / "a.wav"));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const RunResult plan = run("make " + quote(story) + " -o " + quote(dir / "make") +
                             " --no-video --no-refine --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const double story_s = read_json(dir / "make/cues.json")["duration_s"];
  const AudioBuffer audio = read_audio(dir / "a.wav");
  EXPECT_GT(audio.duration_s(), story_s);         // to the story's end, then its cadence
  EXPECT_LT(audio.duration_s(), story_s + 20.0);  // and not much more
  const RunResult b = run("live --story " + quote(story) + " --soundfont " + quote(kTestSoundFont) +
                          " -o " + quote(dir / "b.wav"));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  std::ifstream fa(dir / "a.wav", std::ios::binary), fb(dir / "b.wav", std::ios::binary);
  EXPECT_TRUE(
      std::equal(std::istreambuf_iterator<char>(fa), {}, std::istreambuf_iterator<char>(fb), {}));
  const RunResult bad = run("live --read-along < /dev/null");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--story"), std::string::npos) << bad.output;
}

// `tonepoem live --osc`: a controller's OSC messages over UDP on loopback drive the music in real
// time; a bad message is named and the music goes on; /tonepoem/stop ends it.
TEST(E2E, LiveTakesOscMessagesOnALoopbackPort) {
  const fs::path dir = fresh_dir("live-osc");
  fs::create_directories(dir);
  const std::string command = kBinary.string() + " live --osc 0 --max-duration 30 --soundfont " +
                              quote(kTestSoundFont) + " -o " + quote(dir / "osc.wav") + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[512];
  ASSERT_NE(std::fgets(buffer, sizeof buffer, pipe), nullptr);
  const std::string first = buffer;
  const std::string prefix = "listening for OSC on osc.udp://127.0.0.1:";
  ASSERT_EQ(first.rfind(prefix, 0), 0u) << first;
  const std::string port =
      first.substr(prefix.size(), first.find('/', prefix.size()) - prefix.size());
  lo_address to = lo_address_new("127.0.0.1", port.c_str());
  EXPECT_GT(lo_send(to, "/tonepoem/emotion", "ff", -0.7f, 0.8f), 0);
  EXPECT_GT(lo_send(to, "/tonepoem/emotion", "s", "sad"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_GT(lo_send(to, "/tonepoem/stop", "s", "now"), 0);
  lo_address_free(to);
  std::string output = first;
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("OSC message 2 (/tonepoem/emotion ,s): give valence and arousal"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("2 commands, 1 warnings"), std::string::npos) << output;
  const AudioBuffer audio = read_audio(dir / "osc.wav");
  EXPECT_GT(audio.duration_s(), 1.5);
  EXPECT_LT(audio.duration_s(), 10.0);
}

TEST(E2E, LiveOscAddressIsChecked) {
  const RunResult r = run("live --osc 127.0.0.1:99999 -o /tmp/never.wav");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("osc"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tonepoem
