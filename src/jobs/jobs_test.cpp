// The jobs as a front-end uses them: options that name their fields, per-job cancellation, and
// outputs that report.json lists completely.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "core/error.h"
#include "jobs/compose_job.h"
#include "jobs/judge_job.h"
#include "jobs/make_job.h"
#include "jobs/render_job.h"
#include "jobs/video_job.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kSource = TONEPOEM_SOURCE_DIR;
const fs::path kTestSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-jobs-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Every file under `dir`, as paths relative to it.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), dir).string());
  return files;
}

MakeOptions quick_make() {
  MakeOptions o;
  o.story = kSource / "examples" / "the-lantern-at-the-ford.txt";
  o.duration_s = 12;
  o.soundfont = kTestSoundFont;
  o.refine = false;
  o.video = false;
  return o;
}

// Cancels its job's token once the named stage is under way.
class CancelDuring final : public ProgressSink {
 public:
  CancelDuring(std::string stage, CancelToken token) : stage_(std::move(stage)), token_(token) {}
  void stage_started(const std::string& name) override { current_ = name; }
  void stage_progress(double fraction) override {
    if (current_ == stage_ && fraction > 0) token_.cancel();
  }
  void stage_finished(const std::string&, double) override {}

 private:
  std::string stage_, current_;
  CancelToken token_;
};

TEST(MakeJob, ValidateNamesEveryFieldWithoutCliSyntax) {
  MakeOptions o;
  o.duration_s = 2;
  o.narrate = true;
  o.ducking.depth_db = 99;
  o.refine_budget_s = -1;
  o.video_options.fps = 0;
  const OptionProblems problems = o.validate();
  std::set<std::string> fields;
  for (const OptionProblem& p : problems) {
    fields.insert(p.field);
    EXPECT_EQ(p.message.find("--"), std::string::npos) << p.message;
  }
  EXPECT_EQ(fields, (std::set<std::string>{"story", "duration", "duck", "refine_budget", "fps"}));
  SilentProgress quiet;
  MemorySink sink;
  JobContext context(quiet, CancelToken(), sink);
  try {
    run_make(o, context);
    FAIL() << "expected InvalidOptions";
  } catch (const InvalidOptions& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.problems(), problems);
  }
  EXPECT_TRUE(sink.files().empty());
}

TEST(MakeJob, TwoJobsInOneProcessAreCancelledIndependently) {
  const fs::path a_dir = fresh_dir("cancelled"), b_dir = fresh_dir("finished");
  CancelToken a_token, b_token;
  CancelDuring a_progress("synthesize", a_token);  // job A cancels itself mid-synthesis
  SilentProgress b_progress;
  FolderSink a_sink(a_dir), b_sink(b_dir);
  ExitCode a_code = ExitCode::ok;
  bool b_done = false;
  std::thread a([&] {
    JobContext context(a_progress, a_token, a_sink);
    try {
      run_make(quick_make(), context);
    } catch (const Error& e) {
      a_code = e.code();
    }
  });
  std::thread b([&] {
    JobContext context(b_progress, b_token, b_sink);
    b_done = !run_make(quick_make(), context).report.is_null();
  });
  a.join();
  b.join();
  EXPECT_EQ(a_code, ExitCode::interrupted);
  EXPECT_TRUE(files_under(a_dir).empty()) << "a cancelled job leaves nothing behind";
  EXPECT_TRUE(a_sink.files().empty());
  EXPECT_FALSE(b_token.cancelled());
  EXPECT_TRUE(b_done);
  EXPECT_TRUE(fs::exists(b_dir / "score.wav"));
  EXPECT_TRUE(fs::exists(b_dir / "report.json"));
  fs::remove_all(a_dir.parent_path());
}

TEST(MakeJob, ReportListsEveryFileWrittenCaptionsIncluded) {
  const fs::path dir = fresh_dir("outputs");
  MakeOptions o = quick_make();
  o.captions = CaptionFormat::srt;
  o.musicxml = true;
  o.stems = true;
  o.audio_format = AudioFileFormat::flac16;
  SilentProgress quiet;
  FolderSink sink(dir);
  JobContext context(quiet, CancelToken(), sink);
  const MakeResult result = run_make(o, context);

  std::ifstream in(dir / "report.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  std::set<std::string> listed = {"report.json"};
  for (const auto& [key, files] : report["outputs"].items()) {
    if (files.is_string()) listed.insert(files.get<std::string>());
    for (const auto& f : files)
      if (f.is_string()) listed.insert(f.get<std::string>());
  }
  EXPECT_EQ(report["outputs"]["captions"], "captions.srt");
  EXPECT_EQ(report["outputs"]["audio_flac16"], "score.flac");
  EXPECT_TRUE(report["outputs"]["stems"].is_array());
  EXPECT_EQ(listed, files_under(dir));
  EXPECT_EQ(listed, std::set<std::string>(sink.files().begin(), sink.files().end()));
  for (const MakeOutput& row : make_outputs()) {
    if (row.enabled(o)) {
      EXPECT_TRUE(report["outputs"].contains(std::string(row.key))) << row.key;
    }
  }
  // Every timing the context measured is in the report.
  for (const auto& [stage, seconds] : result.timings)
    EXPECT_TRUE(report["timings_s"].contains(stage)) << stage;
  fs::remove_all(dir);
}

// A picture FFmpeg cannot size (here a JPEG whose header says 20000x20000, past the 268 million
// pixels it decodes) stops make before synthesis: exit 3 naming the picture, nothing written.
TEST(MakeJob, AnUnreadablePictureStopsMakeBeforeAnythingIsWritten) {
  const fs::path dir = fresh_dir("huge-picture");
  const fs::path pics = dir / "pics", out = dir / "out";
  fs::create_directories(pics);
  const std::string make =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=red:s=64x64 "
      "-frames:v 1 '" +
      (pics / "small.jpg").string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0);
  std::string jpeg;
  {
    std::ifstream in(pics / "small.jpg", std::ios::binary);
    jpeg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  for (std::size_t at : {sof + 5, sof + 7}) {  // height, then width: 20000 = 0x4e20
    jpeg[at] = '\x4e';
    jpeg[at + 1] = '\x20';
  }
  fs::remove(pics / "small.jpg");
  std::ofstream(pics / "huge.jpg", std::ios::binary) << jpeg;

  MakeOptions o = quick_make();
  o.video = true;
  o.video_options.images = {pics / "huge.jpg"};
  o.video_options.style = "storybook";
  SilentProgress quiet;
  FolderSink sink(out);
  JobContext context(quiet, CancelToken(), sink);
  try {
    run_make(o, context);
    FAIL() << "a picture FFmpeg cannot read was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.file(), (pics / "huge.jpg").string());
    EXPECT_NE(e.describe().find("scale it down"), std::string::npos) << e.describe();
  }
  EXPECT_TRUE(!fs::exists(out) || files_under(out).empty());
  fs::remove_all(dir);
}

TEST(MakeJob, StoryGivenAsTextWritesIntoMemory) {
  MakeOptions o = quick_make();
  o.story.clear();
  o.story_text = "The fox ran laughing through the bright meadow.\n\nThen the storm came.";
  o.story_name = "fox.txt";
  SilentProgress quiet;
  MemorySink sink;
  JobContext context(quiet, CancelToken(), sink);
  const MakeResult result = run_make(o, context);
  EXPECT_EQ(result.document.sentences.size(), 2u);
  EXPECT_EQ(sink.bytes("score.mid").substr(0, 4), "MThd");
  EXPECT_EQ(sink.bytes("score.wav").substr(0, 4), "RIFF");
  EXPECT_EQ(nlohmann::json::parse(sink.bytes("report.json"))["story"], "fox.txt");
  EXPECT_THROW(sink.bytes("video.mp4"), std::out_of_range);
}

TEST(JudgeJob, MidiWithItsRenderingIsJudgedFromBoth) {
  const fs::path dir = fresh_dir("judge");
  SilentProgress quiet;
  FolderSink sink(dir);
  {
    ComposeJobOptions compose;
    compose.emotion = EmotionTarget{0.6, 0.6, {}};
    compose.duration_s = 8;
    JobContext context(quiet, CancelToken(), sink);
    run_compose(compose, context);
  }
  {
    RenderJobOptions render;
    render.midi = dir / "score.mid";
    render.output_name = "score.wav";
    render.soundfont = kTestSoundFont;
    JobContext context(quiet, CancelToken(), sink);
    run_render(render, context);
  }
  JudgeJobOptions judge;
  judge.file = dir / "score.mid";
  JobContext context(quiet, CancelToken(), sink);
  const auto from_score = run_judge(judge, context);
  judge.audio = dir / "score.wav";
  const auto from_both = run_judge(judge, context);
  ASSERT_EQ(from_score.size(), 1u);
  ASSERT_EQ(from_both.size(), 1u);
  EXPECT_EQ(from_score[0].source, "score");
  EXPECT_EQ(from_both[0].source, "score+audio");
  EXPECT_NE(from_score[0].emotion.arousal, from_both[0].emotion.arousal);
  EXPECT_GT(from_both[0].emotion.valence, 0);  // a bright target still reads bright
  judge.file = dir / "score.wav";              // audio alone takes no second audio
  EXPECT_EQ(judge.validate().size(), 1u);
  judge.audio.clear();
  judge.segments_s = 2;
  const auto windows = run_judge(judge, context);
  EXPECT_GE(windows.size(), 4u);
  EXPECT_EQ(windows[0].source, "audio");
  fs::remove_all(dir);
}

TEST(RenderJob, FormatFromTheNameOrAProblemNamingIt) {
  RenderJobOptions o;
  o.midi = "x.mid";
  o.output_name = "x.unknown";
  o.loudness_lufs = 0;
  const OptionProblems problems = o.validate();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "format");
  EXPECT_EQ(problems[1].field, "loudness");
  o.output_name = "x.FLAC";
  EXPECT_EQ(o.resolved_format(), AudioFileFormat::flac16);
}

TEST(VideoJob, MissingMakeFolderInputIsBadInput) {
  const fs::path dir = fresh_dir("video");
  VideoJobOptions o;
  o.make_dir = dir;
  o.output_name = "v.mp4";
  SilentProgress quiet;
  FolderSink sink(dir);
  JobContext context(quiet, CancelToken(), sink);
  try {
    run_video(o, context);
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.describe().find("score.wav"), std::string::npos);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tonepoem
