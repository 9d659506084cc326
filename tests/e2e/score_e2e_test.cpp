// `tonepoem score` as a user runs it: the real binary on generated films, exit codes and outputs.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "footage/synthetic_video.h"
#include "run_cli.h"
#include "video/probe.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kScoreBinary = TONEPOEM_BINARY;
const fs::path kScoreSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

using ScoreRun = e2e::RunResult;

ScoreRun run_score_cli(const std::string& args) {
  return e2e::run_shell(kScoreBinary.string() + " score " + args + " -q");
}

fs::path score_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-score-e2e-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool no_files_in(const fs::path& dir) {
  return !fs::exists(dir) || fs::is_empty(dir);
}

TEST(ScoreCommand, WritesEveryOutputWithTheVideoCopied) {
  const fs::path dir = score_dir("ok");
  write_synthetic_video(dir / "film.mkv", {{100, {200, 40, 40}, SyntheticLook::pattern},
                                           {150, {40, 60, 220}, SyntheticLook::pattern}});
  std::ofstream(dir / "film.srt") << "1\n00:00:01,000 --> 00:00:03,000\nA happy day.\n\n"
                                     "2\n00:00:06,000 --> 00:00:09,500\nThe end is near.\n";
  const ScoreRun r =
      run_score_cli(std::string("'") + (dir / "film.mkv").string() + "' --subtitles '" +
                    (dir / "film.srt").string() + "' -o '" + (dir / "out").string() +
                    "' --soundfont " + kScoreSoundFont.string() + " --loudness -24");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name :
       {"scored.mp4", "score.mid", "music.wav", "hits.csv", "hits.edl", "cues.json", "report.json"})
    EXPECT_TRUE(fs::exists(dir / "out" / name)) << name;
  const MediaInfo in = probe_media(dir / "film.mkv");
  const MediaInfo out = probe_media(dir / "out" / "scored.mp4");
  EXPECT_EQ(out.video_frames, in.video_frames);
  EXPECT_EQ(out.video_codec, in.video_codec);
  EXPECT_TRUE(out.has_audio);
  EXPECT_NEAR(out.audio_duration_s, 10.0, 0.04);
  // Broadcast loudness (ATSC A/85), measured again here on the delivered file.
  EXPECT_NEAR(measure_loudness(decode_audio(dir / "out" / "scored.mp4")).integrated_lufs, -24.0,
              1.0);
  std::ifstream report_file(dir / "out" / "report.json");
  const nlohmann::json report = nlohmann::json::parse(report_file);
  EXPECT_EQ(report["qc"]["loudness"]["target_lufs"], -24.0);
  EXPECT_EQ(report["subtitles"]["source"], "file");
}

// The cues.json of a run, given back with --cue-sheet: as written it gives the same MIDI; with its
// first cue marked "music": false the music is silent there and comes in with the second cue.
TEST(ScoreCommand, AnEditedCueSheetIsComposedAsWrittenGapsIncluded) {
  const fs::path dir = score_dir("cues");
  write_synthetic_video(dir / "film.mp4", {{250, {200, 40, 40}, SyntheticLook::pattern},
                                           {250, {40, 60, 220}, SyntheticLook::pan}});
  const std::string film =
      "'" + (dir / "film.mp4").string() + "' --soundfont " + kScoreSoundFont.string();
  ScoreRun r = run_score_cli(film + " -o '" + (dir / "first").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json cues;
  std::ifstream(dir / "first" / "cues.json") >> cues;
  ASSERT_GE(cues["cues"].size(), 2u) << cues.dump();

  r = run_score_cli(film + " --cue-sheet '" + (dir / "first" / "cues.json").string() + "' -o '" +
                    (dir / "again").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(bytes(dir / "again" / "score.mid"), bytes(dir / "first" / "score.mid"));

  cues["cues"][0]["music"] = false;
  std::ofstream(dir / "edited.json") << cues.dump(2);
  r = run_score_cli(film + " --cue-sheet '" + (dir / "edited.json").string() + "' -o '" +
                    (dir / "gap").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double music_in = cues["cues"][1]["start_s"].get<double>();
  const AudioBuffer music = read_audio(dir / "gap" / "music.wav");
  auto peak = [&](double from, double to) {
    float p = 0;
    for (auto i = static_cast<std::size_t>(from * music.sample_rate) * 2;
         i < static_cast<std::size_t>(to * music.sample_rate) * 2 && i < music.samples.size(); ++i)
      p = std::max(p, std::abs(music.samples[i]));
    return p;
  };
  EXPECT_LT(peak(0.0, music_in - 0.05), 1e-4f) << "silent (under -80 dBFS) until the second cue";
  EXPECT_GT(peak(music_in, music_in + 4.0), 0.01f) << "the music comes in with it";
  // The hit list says where the music goes out and comes back in.
  const std::string hits = bytes(dir / "gap" / "hits.csv");
  EXPECT_NE(hits.find(",music out,"), std::string::npos) << hits;
  EXPECT_NE(hits.find(",music in,"), std::string::npos) << hits;
  EXPECT_LT(hits.find(",music out,"), hits.find(",music in,")) << hits;
  std::ifstream report_file(dir / "gap" / "report.json");
  const nlohmann::json report = nlohmann::json::parse(report_file);
  EXPECT_EQ(report["subtitles"]["cue_sheet"], (dir / "edited.json").string());

  // Subtitles and a cue sheet together: a usage error naming the flag.
  std::ofstream(dir / "film.srt") << "1\n00:00:01,000 --> 00:00:03,000\nHello.\n";
  r = run_score_cli(film + " --cue-sheet '" + (dir / "edited.json").string() + "' --subtitles '" +
                    (dir / "film.srt").string() + "' -o '" + (dir / "both").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--cue-sheet"), std::string::npos) << r.output;
  EXPECT_TRUE(no_files_in(dir / "both"));
}

// An mkv carrying its own subtitles (an ASS stream): scored from them without --subtitles; an
// ASS file given with --subtitles takes their place.
TEST(ScoreCommand, SubtitlesComeFromTheFilmsOwnStreamOrAnAssFile) {
  const fs::path dir = score_dir("embedded");
  write_synthetic_video(
      dir / "film.mkv",
      {{100, {200, 40, 40}, SyntheticLook::pattern}, {150, {40, 60, 220}, SyntheticLook::pattern}},
      {.subtitles = {{1.0, 3.0, "A happy day, {\\i1}at last{\\i0}."},
                     {6.0, 9.5, "The end is near."}},
       .subtitle_codec = "ass"});
  const std::string common = " --soundfont " + kScoreSoundFont.string();
  ScoreRun r = run_score_cli("'" + (dir / "film.mkv").string() + "' -o '" +
                             (dir / "out1").string() + "'" + common);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream first(dir / "out1" / "report.json");
  nlohmann::json report = nlohmann::json::parse(first);
  EXPECT_EQ(report["subtitles"]["source"], "stream") << report["subtitles"].dump();
  EXPECT_EQ(report["subtitles"]["stream"]["codec"], "ass");
  EXPECT_EQ(report["subtitles"]["lines"], 2);
  EXPECT_EQ(report["ducking"]["source"], "subtitles");

  std::ofstream(dir / "other.ass")
      << "[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
         "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
         "Dialogue: 0,0:00:02.00,0:00:04.00,Default,Ann,0,0,0,,Run, now!\n"
         "Dialogue: 0,0:00:05.00,0:00:07.00,Default,Bo,0,0,0,,Where to?\n"
         "Dialogue: 0,0:00:08.00,0:00:09.00,Default,Ann,0,0,0,,Anywhere.\n";
  r = run_score_cli("'" + (dir / "film.mkv").string() + "' --subtitles '" +
                    (dir / "other.ass").string() + "' -o '" + (dir / "out2").string() + "'" +
                    common);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream second(dir / "out2" / "report.json");
  report = nlohmann::json::parse(second);
  EXPECT_EQ(report["subtitles"]["source"], "file");
  EXPECT_EQ(report["subtitles"]["lines"], 3);
}

TEST(ScoreCommand, BadInputHasItsExitCodeAndLeavesNothing) {
  const fs::path dir = score_dir("bad");
  const std::string out =
      " -o '" + (dir / "out").string() + "' --soundfont " + kScoreSoundFont.string();
  std::ofstream(dir / "text.mp4") << "just words\n";
  ScoreRun r = run_score_cli(std::string("'") + (dir / "text.mp4").string() + "'" + out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("text.mp4"), std::string::npos) << r.output;
  EXPECT_TRUE(no_files_in(dir / "out"));

  AudioBuffer silence;
  silence.samples.resize(2 * 44100);
  write_audio(silence, dir / "voice.m4a", AudioFileFormat::m4a_aac);
  r = run_score_cli(std::string("'") + (dir / "voice.m4a").string() + "'" + out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("no video stream"), std::string::npos) << r.output;
  EXPECT_TRUE(no_files_in(dir / "out"));

  write_synthetic_video(dir / "short.mp4", {{50, {200, 40, 40}}});
  std::ofstream(dir / "late.srt") << "1\n00:00:05,000 --> 00:00:06,000\nToo late.\n";
  r = run_score_cli(std::string("'") + (dir / "short.mp4").string() + "' --subtitles '" +
                    (dir / "late.srt").string() + "'" + out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("after the video ends"), std::string::npos) << r.output;
  EXPECT_TRUE(no_files_in(dir / "out"));

  r = run_score_cli(std::string("'") + (dir / "short.mp4").string() + "' --duck 50" + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--duck"), std::string::npos) << r.output;
  EXPECT_TRUE(no_files_in(dir / "out"));

  r = run_score_cli("'" + (dir / "short.mp4").string() + "' --loudness -40" + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--loudness"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-23 EBU R128"), std::string::npos) << r.output;
  EXPECT_TRUE(no_files_in(dir / "out"));
}

}  // namespace
}  // namespace tonepoem
