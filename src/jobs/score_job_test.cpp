// `score` on generated films: the video stream comes out byte for byte, cue boundaries sit on
// cuts, the music ducks under the subtitles, bad input leaves nothing behind.
#include <unistd.h>

extern "C" {
#include <libavformat/avformat.h>
}

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "footage/synthetic_video.h"
#include "jobs/score_job.h"
#include "video/probe.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kTestSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-score-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct InputCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};

// The bytes of every packet of the file's video stream, in file order.
std::vector<std::string> video_packets(const fs::path& file) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) return {};
  std::unique_ptr<AVFormatContext, InputCloser> in(raw);
  avformat_find_stream_info(in.get(), nullptr);
  const int index = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  std::vector<std::string> out;
  AVPacket* p = av_packet_alloc();
  while (av_read_frame(in.get(), p) >= 0) {
    if (p->stream_index == index)
      out.emplace_back(reinterpret_cast<const char*>(p->data), static_cast<std::size_t>(p->size));
    av_packet_unref(p);
  }
  av_packet_free(&p);
  return out;
}

// RMS level in dB of [from, to) seconds.
double level_db(const AudioBuffer& audio, double from, double to) {
  const std::size_t a = static_cast<std::size_t>(from * audio.sample_rate) * audio.channels;
  const std::size_t b = std::min(audio.samples.size(),
                                 static_cast<std::size_t>(to * audio.sample_rate) * audio.channels);
  double sum = 0;
  for (std::size_t i = a; i < b; ++i)
    sum += static_cast<double>(audio.samples[i]) * audio.samples[i];
  return 10 * std::log10(sum / std::max<std::size_t>(1, b - a) + 1e-20);
}

constexpr int kFps = 25;

// 24 s: hard cuts at frames 150 (6 s), 310 (12.4 s) and 450 (18 s), a white flash at frame 250,
// and an original sound track (a quiet hum) when `with_audio`.
fs::path make_film(const fs::path& dir, bool with_audio) {
  using L = SyntheticLook;
  const fs::path silent = dir / "film-video.mp4";
  write_synthetic_video(silent,
                        {{150, {200, 40, 40}, L::pattern},
                         {100, {40, 60, 220}, L::pattern},
                         {1, {255, 255, 255}, L::solid},
                         {59, {40, 60, 220}, L::pattern},
                         {140, {40, 190, 60}, L::pan},
                         {150, {230, 210, 40}, L::pattern}},
                        {.width = 320, .height = 180, .fps = kFps});
  if (!with_audio) return silent;
  AudioBuffer hum;
  hum.samples.resize(2 * 44100 * 24);
  for (std::size_t i = 0; i < hum.frames(); ++i)
    hum.samples[2 * i] = hum.samples[2 * i + 1] =
        static_cast<float>(0.05 * std::sin(2 * M_PI * 110 * static_cast<double>(i) / 44100));
  write_audio(hum, dir / "hum.m4a", AudioFileFormat::m4a_aac);
  const fs::path film = dir / "film.mp4";
  mux_video_with_audio(silent, dir / "hum.m4a", film);
  return film;
}

// Three happy lines, a gap of more than five seconds (a new scene), three grim ones.
const char* kSubtitles =
    "1\n00:00:00,500 --> 00:00:02,500\nWhat a wonderful morning, I love this bright sun!\n\n"
    "2\n00:00:04,500 --> 00:00:06,500\nWe laughed and danced with joy all day.\n\n"
    "3\n00:00:08,500 --> 00:00:10,000\nEverything is perfect and happy.\n\n"
    "4\n00:00:15,200 --> 00:00:17,200\nThen the storm came and killed them all.\n\n"
    "5\n00:00:19,200 --> 00:00:21,000\nThe screams, the blood, the terror in the dark.\n\n"
    "6\n00:00:22,500 --> 00:00:23,600\nShe wept alone, afraid and broken.\n";

struct Span {
  double start, end;
};
constexpr Span kLines[] = {{0.5, 2.5},   {4.5, 6.5},   {8.5, 10.0},
                           {15.2, 17.2}, {19.2, 21.0}, {22.5, 23.6}};

TEST(ScoreJob, FilmWithSubtitlesIsScoredOnItsCutsAndDucksUnderTheLines) {
  const fs::path dir = fresh_dir("subtitled");
  const fs::path film = make_film(dir, true);
  std::ofstream(dir / "film.srt") << kSubtitles;
  const fs::path out = dir / "out";
  ScoreOptions options;
  options.video = film;
  options.subtitles = dir / "film.srt";
  options.soundfont = kTestSoundFont;
  SilentProgress progress;
  FolderSink sink(out);
  JobContext context(progress, CancelToken(), sink);
  const ScoreResult r = run_score(options, context);

  // The picture: every cut on its frame, the flash not one of them.
  std::vector<std::int64_t> cut_frames;
  for (const Cut& c : r.film.cuts) cut_frames.push_back(c.frame);
  EXPECT_EQ(cut_frames, (std::vector<std::int64_t>{150, 310, 450}));
  EXPECT_EQ(r.film.flashes_ignored, 1);

  // The video stream copied packet for packet; the film's length kept.
  const std::vector<std::string> in_packets = video_packets(film);
  ASSERT_EQ(in_packets.size(), 600u);
  EXPECT_EQ(video_packets(out / "scored.mp4"), in_packets);
  const MediaInfo info = probe_media(out / "scored.mp4");
  EXPECT_TRUE(info.has_audio);
  EXPECT_EQ(info.video_frames, 600);
  EXPECT_NEAR(info.audio_duration_s, 24.0, 1.0 / kFps);
  EXPECT_NEAR(r.delivered.integrated_lufs, -14.0, 1.0);

  // The scene change in the dialogue (between 10 s and 15.2 s) became a cue boundary on the cut
  // at 12.4 s, exactly (cues.json), and the music's section starts within a beat of it.
  const CueSheet cues = load_cue_sheet(out / "cues.json");
  ASSERT_GE(cues.cues.size(), 2u);
  EXPECT_NEAR(cues.duration_s, 24.0, 1e-6);
  bool on_cut = false;
  for (std::size_t c = 1; c < cues.cues.size(); ++c)
    if (std::abs(cues.cues[c].start_s - 12.4) <= 1.0 / kFps) {
      on_cut = true;
      const ScoreSection& section = r.score.sections[c];
      EXPECT_NEAR(section.start_s, 12.4, 60.0 / section.tempo_bpm + 1e-6);
    }
  EXPECT_TRUE(on_cut) << nlohmann::json(cues).dump(2);
  // Captions keep the subtitles' own times.
  ASSERT_EQ(cues.captions.size(), std::size(kLines));
  for (std::size_t i = 0; i < std::size(kLines); ++i) {
    EXPECT_NEAR(cues.captions[i].start_s, kLines[i].start, 1e-3);
    EXPECT_NEAR(cues.captions[i].end_s, kLines[i].end, 1e-3);
  }

  // Ducking, measured on the music stem: under each line the music is about 10 dB below its
  // level in the gap after it (ramps left out), on average at least 10 - 2.5 dB.
  const AudioBuffer music = read_audio(out / "music.wav");
  EXPECT_NEAR(music.duration_s(), 24.0, 0.01);
  double drop_sum = 0;
  int pairs = 0;
  for (std::size_t i = 0; i + 1 < std::size(kLines); ++i) {
    const double gap_from = kLines[i].end + 0.65, gap_to = kLines[i + 1].start - 0.3;
    if (gap_to - gap_from < 0.5) continue;
    const double drop =
        level_db(music, gap_from, gap_to) - level_db(music, kLines[i].start, kLines[i].end);
    drop_sum += drop;
    ++pairs;
    EXPECT_GT(drop, 10.0 - 5.0) << "line " << i + 1;
  }
  ASSERT_GE(pairs, 3);
  EXPECT_GE(drop_sum / pairs, 10.0 - 2.5);

  // report.json says what it found and what was written.
  const nlohmann::json report = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(report["cuts"].size(), 3u);
  EXPECT_EQ(report["ducking"]["depth_db"], 10.0);
  EXPECT_TRUE(report["original_audio"].is_object());
  for (const char* name : {"scored.mp4", "score.mid", "music.wav", "cues.json", "report.json"})
    EXPECT_TRUE(fs::exists(out / name)) << name;
}

TEST(ScoreJob, PictureAloneGivesTheSameMidiTwiceAndSaysSo) {
  const fs::path dir = fresh_dir("picture");
  const fs::path film = make_film(dir, false);
  std::string midi[2];
  for (int run = 0; run < 2; ++run) {
    const fs::path out = dir / ("out" + std::to_string(run));
    ScoreOptions options;
    options.video = film;
    options.soundfont = kTestSoundFont;
    options.seed = 5;
    SilentProgress progress;
    FolderSink sink(out);
    JobContext context(progress, CancelToken(), sink);
    const ScoreResult r = run_score(options, context);
    EXPECT_FALSE(r.dialogue);
    EXPECT_FALSE(r.film.has_audio);
    ASSERT_EQ(r.cues.cues.size(), 2u);  // two scenes of shots in 24 s
    for (std::size_t c = 1; c < r.cues.cues.size(); ++c) {
      bool on_cut = false;
      for (const Cut& cut : r.film.cuts) on_cut |= cut.time_s == r.cues.cues[c].start_s;
      EXPECT_TRUE(on_cut) << r.cues.cues[c].start_s;
    }
    const nlohmann::json report = nlohmann::json::parse(slurp(out / "report.json"));
    EXPECT_NE(report["arc_from"].get<std::string>().find("picture alone"), std::string::npos);
    EXPECT_EQ(video_packets(out / "scored.mp4"), video_packets(film));
    midi[run] = slurp(out / "score.mid");
  }
  EXPECT_FALSE(midi[0].empty());
  EXPECT_EQ(midi[0], midi[1]);
}

// A run that fails on its input writes nothing.
ExitCode failure_of(ScoreOptions options, const fs::path& out, std::string* message) {
  options.soundfont = kTestSoundFont;
  SilentProgress progress;
  FolderSink sink(out);
  JobContext context(progress, CancelToken(), sink);
  try {
    run_score(options, context);
  } catch (const Error& e) {
    *message = e.describe();
    return e.code();
  }
  return ExitCode::ok;
}

ScoreOptions options_for(const fs::path& video, const fs::path& subtitles = {},
                         double duck_db = 10) {
  ScoreOptions o;
  o.video = video;
  o.subtitles = subtitles;
  o.duck_db = duck_db;
  return o;
}

bool empty_or_missing(const fs::path& dir) {
  return !fs::exists(dir) || fs::is_empty(dir);
}

TEST(ScoreJob, BadInputIsNamedAndLeavesNothing) {
  const fs::path dir = fresh_dir("bad");
  std::string message;
  std::ofstream(dir / "notes.mp4") << "not a film at all\n";
  EXPECT_EQ(failure_of(options_for(dir / "notes.mp4"), dir / "out1", &message),
            ExitCode::bad_input);
  EXPECT_NE(message.find("notes.mp4"), std::string::npos) << message;
  EXPECT_TRUE(empty_or_missing(dir / "out1"));

  AudioBuffer tone;
  tone.samples.resize(2 * 44100);
  write_audio(tone, dir / "sound.m4a", AudioFileFormat::m4a_aac);
  EXPECT_EQ(failure_of(options_for(dir / "sound.m4a"), dir / "out2", &message),
            ExitCode::bad_input);
  EXPECT_NE(message.find("no video stream"), std::string::npos) << message;
  EXPECT_TRUE(empty_or_missing(dir / "out2"));

  write_synthetic_video(dir / "short.mp4", {{50, {200, 40, 40}}, {50, {40, 60, 220}}});
  std::ofstream(dir / "late.srt") << "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n\n"
                                     "2\n00:00:09,000 --> 00:00:10,000\nToo late.\n";
  EXPECT_EQ(failure_of(options_for(dir / "short.mp4", dir / "late.srt"), dir / "out3", &message),
            ExitCode::bad_input);
  EXPECT_NE(message.find("after the video ends"), std::string::npos) << message;
  EXPECT_NE(message.find("late.srt"), std::string::npos) << message;
  EXPECT_TRUE(empty_or_missing(dir / "out3"));

  EXPECT_EQ(failure_of(options_for(dir / "short.mp4", {}, 60), dir / "out4", &message),
            ExitCode::usage);
  EXPECT_NE(message.find("duck"), std::string::npos) << message;
}

}  // namespace
}  // namespace tonepoem
