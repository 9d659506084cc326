// The live job as `tonepoem live` runs it: the same command lines and seed give the same WAV
// bytes; a malformed line is named and skipped while the music goes on.
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jobs/live_job.h"

namespace tonepoem {
namespace {

struct LiveRun {
  std::string wav;
  std::vector<std::string> warnings;
  LiveJobResult result;
};

LiveRun run(const std::string& lines, std::uint64_t seed, bool realtime = false) {
  LiveJobOptions o;
  o.realtime = realtime;
  o.soundfont = "/usr/share/sounds/sf2/TimGM6mb.sf2";
  o.seed = seed;
  o.output_name = "live.wav";
  o.max_duration_s = 60;
  SilentProgress quiet;
  MemorySink sink;
  JobContext context(quiet, CancelToken(), sink);
  std::istringstream in(lines);
  LiveRun out;
  out.result = run_live(
      o, in, nullptr, [&](const std::string& w) { out.warnings.push_back(w); }, context);
  out.wav = sink.bytes("live.wav");
  return out;
}

const std::string kLines =
    "{\"t\": 1.5, \"valence\": -0.6, \"arousal\": 0.8, \"at\": \"bar\"}\n"
    "{\"t\": 3, \"hit\": \"accent\"}\n"
    "{\"t\": 4, \"arousal\": -0.4, \"at\": \"beat\"}\n"
    "{\"t\": 6, \"stop\": true}\n";

TEST(LiveJob, SameLinesAndSeedGiveTheSameWavBytes) {
  const LiveRun a = run(kLines, 9), b = run(kLines, 9), c = run(kLines, 10);
  EXPECT_TRUE(a.warnings.empty());
  EXPECT_EQ(a.result.commands, 4u);
  EXPECT_GT(a.wav.size(), 44u + 6 * 48000 * 4);
  EXPECT_EQ(a.wav, b.wav);
  EXPECT_NE(a.wav, c.wav);
  ASSERT_EQ(a.result.stats.transitions.size(), 3u);  // two changes and the stop
  EXPECT_EQ(a.result.stats.transitions[0].command_frame, 72000);
}

TEST(LiveJob, MalformedLinesAreSkippedAndTheMusicGoesOn) {
  const std::string lines =
      "{\"t\": 1, \"valence\": -0.6\n"  // cut off
      "{\"t\": 2, \"valence\": 4}\n"    // clamped
      "[1, 2]\n"
      "{\"t\": 3, \"stop\": true}\n";
  const LiveRun r = run(lines, 9);
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_EQ(r.warnings[0].rfind("line 1: not JSON", 0), 0u) << r.warnings[0];
  EXPECT_EQ(r.warnings[1], "line 2: valence 4 is outside -1 .. 1; clamped to 1");
  EXPECT_EQ(r.warnings[2].rfind("line 3:", 0), 0u) << r.warnings[2];
  EXPECT_EQ(r.result.commands, 2u);
  EXPECT_GT(r.result.duration_s, 3.0);  // the music went on past the bad lines to the stop
}

// Real time: a composer thread, the audio paced by the clock, each line made as it is read (or at
// its "t"); a bad line does not stop it, and no note reaches the audio thread late.
TEST(LiveJob, RealTimePlaysAsTheLinesCome) {
  const auto t0 = std::chrono::steady_clock::now();
  const LiveRun r =
      run("{\"valence\": -0.5, \"arousal\": 0.6, \"at\": \"beat\"}\n"
          "not a command\n"
          "{\"t\": 1.0, \"stop\": \"now\"}\n",
          3, true);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.result.commands, 2u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].rfind("line 2: not JSON", 0), 0u) << r.warnings[0];
  ASSERT_EQ(r.result.stats.transitions.size(), 2u);
  EXPECT_GE(r.result.stats.transitions[1].command_frame, 48000);  // made at its "t"
  EXPECT_EQ(r.result.stats.late_events, 0u);
  // Stopped within a beat of 1 s, then 2 s of ring-out: paced by the clock, not faster.
  EXPECT_GT(r.result.duration_s, 2.9);
  EXPECT_LT(r.result.duration_s, 5.0);
  EXPECT_GT(wall, r.result.duration_s - 0.5);
}

TEST(LiveJob, OptionsNameTheirFields) {
  LiveJobOptions o;
  o.sample_rate = 10;
  o.max_duration_s = 0;
  const OptionProblems problems = o.validate();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "sample_rate");
  EXPECT_EQ(problems[1].field, "max_duration");
}

}  // namespace
}  // namespace tonepoem
