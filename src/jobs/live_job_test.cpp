// The live job as `tonepoem live` runs it: the same command lines and seed give the same WAV
// bytes; a malformed line is named and skipped while the music goes on.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
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
  LiveEvents events;
  events.warn = [&](const std::string& w) { out.warnings.push_back(w); };
  out.result = run_live(o, in, nullptr, events, context);
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

// A cue sheet by hand: a calm cue, then a dark one whose middle sentences run hot, a death.
CueSheet two_cue_sheet() {
  CueSheet sheet;
  sheet.duration_s = 40;
  sheet.cues = {{"calm", 0, 20, Emotion::at(0.5, -0.4, 0.1), {"Mara"}, {}},
                {"dark", 20, 40, Emotion::at(-0.6, 0.2, 0.6), {}, {}}};
  const double arousal[] = {-0.4, -0.4, -0.4, 0.0, 0.0, 0.9, 0.9, 0.9, 0.0, 0.0};
  for (int i = 0; i < 10; ++i)
    sheet.captions.push_back(
        {"line " + std::to_string(i), 4.0 * i, 4.0 * i + 3.5, Emotion::at(0, arousal[i], 0.5), {}});
  sheet.hits = {{28.0, "death", "line 7"}, {36.0, "revelation", "line 9"}};
  return sheet;
}

TEST(LiveJob, AStoryPlaysEachCueAtItsStartWithItsSentencesAndPeaks) {
  using live::LiveCommand;
  const std::vector<LiveCommand> commands = story_commands(two_cue_sheet());
  for (std::size_t i = 1; i < commands.size(); ++i)
    ASSERT_LE(*commands[i - 1].t, *commands[i].t) << "commands must ascend in time";
  std::vector<double> captions;
  std::vector<std::pair<double, std::string>> hits;
  const LiveCommand* dark = nullptr;
  const LiveCommand* motif = nullptr;
  std::vector<const LiveCommand*> moves;  // emotion changes with arousal only
  for (const LiveCommand& c : commands) {
    if (c.type == LiveCommand::Type::caption) captions.push_back(*c.t);
    if (c.type == LiveCommand::Type::hit) hits.emplace_back(*c.t, c.text);
    if (c.type == LiveCommand::Type::character) motif = &c;
    if (c.type == LiveCommand::Type::emotion && c.valence) dark = &c;
    if (c.type == LiveCommand::Type::emotion && !c.valence) moves.push_back(&c);
  }
  ASSERT_EQ(captions.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(captions[static_cast<std::size_t>(i)], 4.0 * i);
  // The calm cue is where the music starts, so only the dark one is asked for, at its start.
  ASSERT_NE(dark, nullptr);
  EXPECT_DOUBLE_EQ(*dark->t, 20.0);
  EXPECT_DOUBLE_EQ(*dark->valence, -0.6);
  EXPECT_EQ(dark->at, live::At::bar);
  ASSERT_NE(motif, nullptr);
  EXPECT_EQ(motif->text, "Mara");
  // Inside the dark cue the hot lines (5-7) raise the arousal, and it comes down after them.
  std::erase_if(moves, [](const LiveCommand* c) { return *c->t < 20.0; });
  ASSERT_GE(moves.size(), 2u);
  EXPECT_GT(*moves[0]->arousal, 0.2 + 0.15);
  EXPECT_LE(*moves[0]->t, 28.0);
  EXPECT_LT(*moves.back()->arousal, 0.2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], std::make_pair(28.0, std::string("danger")));
  EXPECT_EQ(hits[1], std::make_pair(36.0, std::string("accent")));
  EXPECT_EQ(commands.back().type, LiveCommand::Type::stop);
  EXPECT_DOUBLE_EQ(*commands.back().t, 40.0);
}

// `tonepoem live --story`: the story is planned as `make` plans it; each sentence is shown when
// the music reaches its caption, the second scene's mood arrives at the bar after its start, and
// the same story and seed give the same audio.
TEST(LiveJob, AStoryFileDrivesTheMusicSentenceBySentence) {
  const std::filesystem::path story =
      std::filesystem::temp_directory_path() / "tonepoem_live_story.txt";
  {
    std::ofstream out(story);
    out << "The Lantern\n\nThe village was warm and bright. Children laughed by the fire. "
           "Everyone sang together.\n\n\n"
           "Then the storm came. The river rose and the bridge broke. The old man drowned in "
           "the black water, and his daughter screamed.\n";
  }
  auto render = [&](std::vector<std::pair<double, std::string>>* shown) {
    LiveJobOptions o;
    o.soundfont = "/usr/share/sounds/sf2/TimGM6mb.sf2";
    o.story = story;
    o.output_name = "story.wav";
    o.max_duration_s = 120;
    SilentProgress quiet;
    MemorySink sink;
    JobContext context(quiet, CancelToken(), sink);
    std::istringstream none;
    std::vector<std::string> warnings;
    LiveEvents events;
    events.warn = [&](const std::string& w) { warnings.push_back(w); };
    events.caption = [&](double t, const std::string& text) {
      if (shown) shown->emplace_back(t, text);
    };
    const LiveJobResult r = run_live(o, none, nullptr, events, context);
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    return std::make_pair(r, sink.bytes("story.wav"));
  };
  std::vector<std::pair<double, std::string>> shown;
  const auto [result, wav] = render(&shown);
  const std::string again = render(nullptr).second;
  std::filesystem::remove(story);
  EXPECT_EQ(again, wav);

  ASSERT_EQ(shown.size(), 6u);  // six sentences (the title line is not a caption)
  for (std::size_t i = 1; i < shown.size(); ++i) EXPECT_GT(shown[i].first, shown[i - 1].first);
  const auto storm = std::find_if(shown.begin(), shown.end(),
                                  [](const auto& s) { return s.second == "Then the storm came."; });
  ASSERT_NE(storm, shown.end());
  // The dark scene's mood is a change made when its first sentence is reached, landing on the
  // next bar line.
  bool changed_at_storm = false;
  for (const live::Transition& t : result.stats.transitions)
    if (std::abs(static_cast<double>(t.command_frame) / 48000 - storm->first) < 0.5) {
      changed_at_storm = true;
      EXPECT_GE(t.change_frame, t.command_frame);  // within the bar (at most 4 beats)
      EXPECT_LE(static_cast<double>(t.change_frame - t.command_frame) / 48000, 4 * t.beat_s + 1e-3);
    }
  EXPECT_TRUE(changed_at_storm);
  EXPECT_GT(result.duration_s, shown.back().first);
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
