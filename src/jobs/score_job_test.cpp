// `score` on generated films: the video stream comes out byte for byte, cue boundaries sit on
// cuts, the music ducks under the subtitles, bad input leaves nothing behind.
#include <unistd.h>

extern "C" {
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "audio/narrate.h"
#include "footage/synthetic_video.h"
#include "jobs/score_job.h"
#include "music/compose.h"
#include "music/midi.h"
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

// Ducking, measured on the music stem: for each line followed by a gap long enough to measure,
// the music's level in the gap (ramps left out) minus its level under the line, each more than
// 5 dB; returns their mean.
double mean_ducking_db(const fs::path& music_wav, const std::vector<Span>& lines) {
  const AudioBuffer music = read_audio(music_wav);
  EXPECT_NEAR(music.duration_s(), 24.0, 0.01);
  double drop_sum = 0;
  int pairs = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const double gap_from = lines[i].end + 0.65, gap_to = lines[i + 1].start - 0.3;
    if (gap_to - gap_from < 0.5) continue;
    const double drop =
        level_db(music, gap_from, gap_to) - level_db(music, lines[i].start, lines[i].end);
    drop_sum += drop;
    ++pairs;
    EXPECT_GT(drop, 10.0 - 5.0) << "line " << i + 1;
  }
  EXPECT_GE(pairs, 3);
  std::printf("ducking: %.1f dB mean over %d lines (10 asked)\n", drop_sum / std::max(1, pairs),
              pairs);
  return drop_sum / std::max(1, pairs);
}

double mean_ducking_db(const fs::path& music_wav) {
  return mean_ducking_db(music_wav, std::vector<Span>(std::begin(kLines), std::end(kLines)));
}

// report.json's QC section against scored.mp4 decoded here: A/V sync within a frame, loudness
// within 1 LU of the target, true peak under the ceiling (0.5 dB allowed for AAC's overshoot).
void expect_delivery_qc(const nlohmann::json& report, const fs::path& scored, double target) {
  const nlohmann::json& qc = report.at("qc");
  const MediaInfo info = probe_media(scored);
  EXPECT_NEAR(info.audio_duration_s, info.video_duration_s, 1.0 / kFps);
  EXPECT_NEAR(qc["av_sync"]["audio_decoded_s"].get<double>(), info.audio_duration_s, 1e-3);
  EXPECT_LE(std::abs(qc["av_sync"]["start_difference_ms"].get<double>()), 1000.0 / kFps);
  EXPECT_LE(std::abs(qc["av_sync"]["end_difference_ms"].get<double>()), 1000.0 / kFps);
  EXPECT_TRUE(qc["av_sync"]["within_one_frame"].get<bool>());
  const LoudnessReport measured = measure_loudness(decode_audio(scored));
  EXPECT_EQ(qc["loudness"]["target_lufs"], target);
  EXPECT_NEAR(qc["loudness"]["integrated_lufs"].get<double>(), measured.integrated_lufs, 0.05);
  EXPECT_NEAR(measured.integrated_lufs, target, 1.0);
  EXPECT_NEAR(qc["loudness"]["true_peak_dbtp"].get<double>(), measured.true_peak_dbtp, 0.05);
  EXPECT_LE(measured.true_peak_dbtp, -1.0 + 0.5);
}

// Mean RGB distance between the pictures of two frames of the film.
double picture_change(const fs::path& film, std::int64_t frame_a, std::int64_t frame_b) {
  int w = 0, h = 0;
  const auto a = decode_frame_rgb(film, (static_cast<double>(frame_a) + 0.5) / kFps, &w, &h);
  const auto b = decode_frame_rgb(film, (static_cast<double>(frame_b) + 0.5) / kFps, &w, &h);
  if (a.empty() || a.size() != b.size()) return -1;
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += std::abs(a[i] - b[i]);
  return sum / static_cast<double>(a.size());
}

// hits.csv: every row on a cut names that cut's first frame in its timecode (HH:MM:SS:FF at 25
// fps), and decoding scored.mp4 there shows the new shot: the picture changes from the frame
// before far more than to the frame after; the music's event (a section start, an accent) is
// within a frame of its cut (the tempo bent onto it).
void expect_hit_list_on_cuts(const fs::path& out, const ScoreResult& r) {
  std::ifstream in(out / "hits.csv");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "timecode,frame,seconds,cut_frame,error_ms,event,detail");
  int on_cuts = 0, sections = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string f; fields.size() < 6 && std::getline(row, f, ',');) fields.push_back(f);
    ASSERT_EQ(fields.size(), 6u) << line;
    if (fields[3].empty()) continue;
    ++on_cuts;
    const std::int64_t cut = std::stoll(fields[3]);
    EXPECT_TRUE(std::any_of(r.film.cuts.begin(), r.film.cuts.end(), [&](const Cut& c) {
      return c.frame == cut;
    })) << line;
    const std::int64_t ff = cut % kFps, ss = cut / kFps;
    EXPECT_EQ(fields[0], fmt::format("00:{:02}:{:02}:{:02}", ss / 60, ss % 60, ff)) << line;
    EXPECT_EQ(std::stoll(fields[1]), cut);
    const double across = picture_change(out / "scored.mp4", cut - 1, cut);
    EXPECT_GT(across, 20.0) << line;
    EXPECT_GT(across, 2 * picture_change(out / "scored.mp4", cut, cut + 1)) << line;
    // Section starts and accents alike: the tempo is bent so they sound on the cut's frame.
    EXPECT_LE(std::abs(std::stod(fields[4])), 1000.0 / kFps) << line;
    sections += fields[5] == "section start";
  }
  EXPECT_GE(on_cuts, 1);
  EXPECT_GE(sections, 1);
  // hits.edl: the same events as markers, one one-frame event per row at the row's timecode.
  std::ifstream csv(out / "hits.csv"), edl(out / "hits.edl");
  std::getline(csv, line);
  std::vector<std::string> timecodes, events;
  while (std::getline(csv, line)) timecodes.push_back(line.substr(0, line.find(',')));
  while (std::getline(edl, line))
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) events.push_back(line);
  ASSERT_EQ(events.size(), timecodes.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].substr(0, 3), fmt::format("{:03}", i + 1));
    EXPECT_NE(events[i].find("C        " + timecodes[i] + " "), std::string::npos) << events[i];
  }
}

// Melody notes a second starting under the lines and outside them, read back from score.mid.
std::pair<double, double> melody_density(const fs::path& midi, const std::vector<Span>& lines,
                                         double duration_s) {
  const Score score = load_midi(midi);
  double under = 0, outside = 0, under_s = 0;
  for (const Span& l : lines) under_s += l.end - l.start;
  for (const Track& t : score.tracks) {
    if (t.role != "melody") continue;
    for (const Note& n : t.notes) {
      const double at = score.seconds_at(n.tick);
      const bool in_line = std::any_of(lines.begin(), lines.end(),
                                       [&](const Span& l) { return at >= l.start && at < l.end; });
      (in_line ? under : outside) += 1;
    }
  }
  return {under / under_s, outside / (duration_s - under_s)};
}

TEST(ScoreJob, FilmWithSubtitlesIsScoredOnItsCutsAndDucksUnderTheLines) {
  const fs::path dir = fresh_dir("subtitled");
  const fs::path film = make_film(dir, true);
  std::ofstream(dir / "film.srt") << kSubtitles;
  const fs::path out = dir / "out";
  ScoreOptions options;
  options.video = film;
  options.subtitles = dir / "film.srt";
  options.soundfont = kTestSoundFont;
  options.loudness_lufs = -23;  // broadcast (EBU R128)
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
  EXPECT_NEAR(r.delivered.integrated_lufs, -23.0, 1.0);

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
  EXPECT_GE(mean_ducking_db(out / "music.wav"), 10.0 - 2.5);

  // report.json says what it found and what was written.
  const nlohmann::json report = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(report["cuts"].size(), 3u);
  EXPECT_EQ(report["ducking"]["depth_db"], 10.0);
  EXPECT_EQ(report["subtitles"]["source"], "file");
  // The melody thins under the lines: fewer notes a second there than outside them.
  const auto [under, outside] = melody_density(
      out / "score.mid", std::vector<Span>(std::begin(kLines), std::end(kLines)), 24.0);
  std::printf("melody notes a second: %.2f under the lines, %.2f outside\n", under, outside);
  EXPECT_LT(under, outside);
  // The same film, seed and lines with the melody left whole: as busy under the lines as outside,
  // so the thinning is what made the difference.
  ScoreOptions whole = options;
  whole.thin_lead = false;
  FolderSink whole_sink(dir / "out-whole");
  JobContext whole_context(progress, CancelToken(), whole_sink);
  run_score(whole, whole_context);
  const auto [whole_under, whole_outside] =
      melody_density(dir / "out-whole" / "score.mid",
                     std::vector<Span>(std::begin(kLines), std::end(kLines)), 24.0);
  std::printf("without thinning: %.2f under the lines, %.2f outside\n", whole_under, whole_outside);
  EXPECT_LT(under, whole_under);
  EXPECT_LE(outside, whole_outside);  // only the 0.25 s before each line thins outside them
  EXPECT_GT(report["ducking"]["lead_notes_rested"].get<int>(), 0);
  expect_delivery_qc(report, out / "scored.mp4", -23);
  expect_hit_list_on_cuts(out, r);
  EXPECT_TRUE(report["original_audio"].is_object());
  for (const char* name : {"scored.mp4", "score.mid", "music.wav", "cues.json", "report.json"})
    EXPECT_TRUE(fs::exists(out / name)) << name;
}

// The lines of kSubtitles, for a subtitle stream inside the film.
std::vector<SyntheticSubtitle> subtitle_stream_lines() {
  std::vector<SyntheticSubtitle> lines;
  std::istringstream in(kSubtitles);
  std::string line;
  std::size_t i = 0;
  while (std::getline(in, line))
    if (line.size() > 3 && line.find("-->") == std::string::npos && !std::isdigit(line[0])) {
      lines.push_back({kLines[i].start, kLines[i].end, line});
      ++i;
    }
  return lines;
}

// Without --subtitles, the film's own subtitle stream (subrip in mkv, mov_text in mp4, written
// by FFmpeg's encoders) drives the music and the ducking, and the report says so.
TEST(ScoreJob, SubtitleStreamInsideTheFilmIsUsedWithoutSubtitlesFile) {
  const fs::path dir = fresh_dir("embedded");
  using L = SyntheticLook;
  const std::vector<SyntheticSegment> segments = {{150, {200, 40, 40}, L::pattern},
                                                  {160, {40, 60, 220}, L::pattern},
                                                  {140, {40, 190, 60}, L::pan},
                                                  {150, {230, 210, 40}, L::pattern}};
  for (const char* name : {"film.mkv", "film.mp4"}) {
    const fs::path film = dir / name;
    write_synthetic_video(
        film, segments,
        {.width = 320, .height = 180, .fps = kFps, .subtitles = subtitle_stream_lines()});
    const fs::path out = dir / (std::string("out-") + name);
    ScoreOptions options;
    options.video = film;
    options.soundfont = kTestSoundFont;
    SilentProgress progress;
    FolderSink sink(out);
    JobContext context(progress, CancelToken(), sink);
    const ScoreResult r = run_score(options, context);
    EXPECT_TRUE(r.dialogue) << name;
    EXPECT_EQ(r.subtitle_source, "stream");
    ASSERT_EQ(r.cues.captions.size(), std::size(kLines)) << name;
    for (std::size_t i = 0; i < std::size(kLines); ++i) {
      EXPECT_NEAR(r.cues.captions[i].start_s, kLines[i].start, 1e-3) << name;
      EXPECT_NEAR(r.cues.captions[i].end_s, kLines[i].end, 1e-3) << name;
    }
    EXPECT_EQ(r.cues.captions[3].text, "Then the storm came and killed them all.");
    EXPECT_GE(mean_ducking_db(out / "music.wav"), 10.0 - 2.5) << name;
    const nlohmann::json report = nlohmann::json::parse(slurp(out / "report.json"));
    EXPECT_EQ(report["subtitles"]["source"], "stream");
    EXPECT_EQ(report["subtitles"]["stream"]["codec"],
              std::string(name) == "film.mkv" ? "subrip" : "mov_text");
    EXPECT_EQ(report["subtitles"]["lines"], std::size(kLines));
    EXPECT_EQ(video_packets(out / "scored.mp4"), video_packets(film)) << name;
  }
}

// No subtitles, but the film's sound track holds espeak-ng dialogue over a quiet hum: the voice
// activity detector finds the lines and the music ducks under them.
TEST(ScoreJob, VoiceActivityInTheSoundTrackDucksTheMusicWithoutSubtitles) {
  const fs::path dir = fresh_dir("voice");
  const Narration reading = narrate(
      {"Where were you last night?", "I waited by the river until the lights went out.",
       "Nobody came, not even the boatman.", "Tomorrow we leave this town for good."},
      {false, false, false, false},
      {.voice = "en", .lead_in_s = 1.5, .sentence_gap_s = 2.6, .scene_gap_s = 2.6, .outro_s = 1.0});
  ASSERT_LT(reading.audio.duration_s(), 23.0);
  AudioBuffer track = resample(reading.audio, 44100);
  AudioBuffer stereo;
  stereo.samples.assign(2 * 44100 * 24, 0.0f);
  for (std::size_t i = 0; i < stereo.frames(); ++i) {
    const float hum =
        static_cast<float>(0.01 * std::sin(2 * M_PI * 110 * static_cast<double>(i) / 44100));
    const float voice = i < track.frames() ? 0.5f * track.samples[i] : 0.0f;
    stereo.samples[2 * i] = stereo.samples[2 * i + 1] = voice + hum;
  }
  write_audio(stereo, dir / "dialogue.m4a", AudioFileFormat::m4a_aac);
  write_synthetic_video(
      dir / "picture.mp4",
      {{300, {200, 40, 40}, SyntheticLook::pattern}, {300, {40, 60, 220}, SyntheticLook::pattern}},
      {.width = 320, .height = 180, .fps = kFps});
  const fs::path film = dir / "film.mp4";
  mux_video_with_audio(dir / "picture.mp4", dir / "dialogue.m4a", film);

  const fs::path out = dir / "out";
  ScoreOptions options;
  options.video = film;
  options.soundfont = kTestSoundFont;
  SilentProgress progress;
  FolderSink sink(out);
  JobContext context(progress, CancelToken(), sink);
  const ScoreResult r = run_score(options, context);
  EXPECT_FALSE(r.dialogue);
  EXPECT_TRUE(r.voice_detected);
  std::vector<Span> spoken;
  for (const SpokenSentence& s : reading.sentences) {
    spoken.push_back({s.start_s, s.end_s});
    const double mid = 0.5 * (s.start_s + s.end_s);
    EXPECT_TRUE(std::any_of(r.voice_spans.begin(), r.voice_spans.end(),
                            [&](const Caption& c) { return mid >= c.start_s && mid < c.end_s; }))
        << "no voice found at " << mid << " s";
  }
  const double depth = mean_ducking_db(out / "music.wav", spoken);
  std::printf("ducking under detected speech: %.1f dB (10 asked)\n", depth);
  EXPECT_GE(depth, 10.0 - 2.5);
  const nlohmann::json report = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(report["subtitles"]["source"], "none");
  EXPECT_NE(report["ducking"]["source"].get<std::string>().find("voice activity"),
            std::string::npos);
  EXPECT_EQ(report["voice_activity"]["spans"].size(), r.voice_spans.size());
}

// Subtitle streams the user did not ask for and that cannot drive the music (all of it after the
// picture ends; pictures rather than text): scored without them, and the report says why.
TEST(ScoreJob, SubtitleStreamPastThePictureIsNotedAndLeftOut) {
  const fs::path dir = fresh_dir("late-stream");
  write_synthetic_video(dir / "short.mkv", {{60, {200, 40, 40}}, {60, {40, 60, 220}}},
                        {.subtitles = {{7.0, 8.0, "Far too late."}}});
  ScoreOptions options;
  options.video = dir / "short.mkv";
  options.soundfont = kTestSoundFont;
  SilentProgress progress;
  FolderSink sink(dir / "out");
  JobContext context(progress, CancelToken(), sink);
  const ScoreResult r = run_score(options, context);
  EXPECT_FALSE(r.dialogue);
  EXPECT_EQ(r.embedded.events, 1);
  const nlohmann::json report = nlohmann::json::parse(slurp(dir / "out" / "report.json"));
  EXPECT_EQ(report["subtitles"]["source"], "none");
  EXPECT_NE(report["subtitles"]["note"].get<std::string>().find("after the picture ends"),
            std::string::npos)
      << report["subtitles"].dump();

  // A bitmap stream (DVD subtitles; PGS likewise) cannot be read: named, and the film is scored.
  write_synthetic_video(
      dir / "dvd.mkv", {{60, {200, 40, 40}}, {60, {40, 60, 220}}},
      {.subtitles = {{1.0, 2.0, "a picture of words"}}, .subtitle_codec = "dvdsub"});
  ScoreOptions dvd = options;
  dvd.video = dir / "dvd.mkv";
  FolderSink dvd_sink(dir / "out-dvd");
  JobContext dvd_context(progress, CancelToken(), dvd_sink);
  EXPECT_FALSE(run_score(dvd, dvd_context).dialogue);
  const nlohmann::json dvd_report = nlohmann::json::parse(slurp(dir / "out-dvd" / "report.json"));
  EXPECT_EQ(dvd_report["subtitles"]["source"], "none");
  EXPECT_EQ(dvd_report["subtitles"]["streams_not_read"][0],
            "stream 1: dvd_subtitle (bitmap, cannot be read as text)");
  EXPECT_NE(dvd_report["subtitles"]["note"].get<std::string>().find("pictures, not text"),
            std::string::npos);
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
    EXPECT_EQ(report["subtitles"]["source"], "none");
    if (run == 0) {
      expect_delivery_qc(report, out / "scored.mp4", -14);
      expect_hit_list_on_cuts(out, r);
    }
    EXPECT_EQ(video_packets(out / "scored.mp4"), video_packets(film));
    midi[run] = slurp(out / "score.mid");
  }
  EXPECT_FALSE(midi[0].empty());
  EXPECT_EQ(midi[0], midi[1]);

  // The same film on a piano: every part a piano, the style kept in cues.json for a re-run.
  ScoreOptions piano;
  piano.video = film;
  piano.soundfont = kTestSoundFont;
  piano.seed = 5;
  piano.style = "piano";
  SilentProgress progress;
  FolderSink sink(dir / "piano");
  JobContext context(progress, CancelToken(), sink);
  const ScoreResult r = run_score(piano, context);
  for (const Track& t : r.score.tracks) EXPECT_EQ(t.program, 0) << t.name;
  EXPECT_NE(slurp(dir / "piano" / "score.mid"), midi[0]);
  EXPECT_EQ(nlohmann::json::parse(slurp(dir / "piano" / "cues.json"))["style"], "piano");
}

// Velocity a second of the notes that start in [t0, t1) s, every track.
double loudness_density(const Score& score, double t0, double t1) {
  double sum = 0;
  for (const Track& t : score.tracks)
    for (const Note& n : t.notes) {
      const double at = score.seconds_at(n.tick);
      if (at >= t0 && at < t1) sum += n.velocity;
    }
  return sum / (t1 - t0);
}

// `film` scored into `out`, with `subtitles` when given, else on its picture and sound alone.
ScoreResult score_film(const fs::path& film, std::uint64_t seed, const fs::path& out,
                       const fs::path& subtitles = {}) {
  ScoreOptions options;
  options.video = film;
  options.subtitles = subtitles;
  options.soundfont = kTestSoundFont;
  options.seed = seed;
  SilentProgress progress;
  FolderSink sink(out);
  JobContext context(progress, CancelToken(), sink);
  return run_score(options, context);
}

TEST(ScoreJob, InsideACueTheMusicFollowsTheShots) {
  // One cue over a calm shot and a fast pan: the music rises with the pan (cues.json's arc, one
  // point per shot); the same cues without the arc stay level.
  const fs::path dir = fresh_dir("shots");
  using L = SyntheticLook;
  const fs::path film = dir / "film.mp4";
  write_synthetic_video(film,
                        {{350, {40, 60, 220}, L::pattern},
                         {200, {200, 40, 40}, L::pan},
                         {450, {40, 60, 220}, L::pattern}},
                        {.width = 320, .height = 180, .fps = kFps});
  const ScoreResult r = score_film(film, 3, dir / "out");
  ASSERT_EQ(r.cues.cues.size(), 2u);
  EXPECT_DOUBLE_EQ(r.cues.cues[0].end_s, 22.0) << "the first cue holds the calm shot and the pan";
  const CueSheet written = load_cue_sheet(dir / "out" / "cues.json");
  ASSERT_GE(written.arc.size(), 3u);
  const auto point_at = [&](double t) {
    return *std::min_element(written.arc.begin(), written.arc.end(),
                             [&](const ArcPoint& a, const ArcPoint& b) {
                               return std::abs(a.time_s - t) < std::abs(b.time_s - t);
                             });
  };
  EXPECT_GT(point_at(18).arousal, point_at(7).arousal + 0.2);
  const double rise = loudness_density(r.score, 15, 21) / loudness_density(r.score, 3, 12);
  CueSheet level = written;
  level.arc.clear();
  const Score flat = compose(level, {.seed = level.seed});
  const double flat_rise = loudness_density(flat, 15, 21) / loudness_density(flat, 3, 12);
  RecordProperty("rise_with_arc", std::to_string(rise));
  RecordProperty("rise_without", std::to_string(flat_rise));
  std::printf("loudness x density, pan / calm shot: %.2f with the arc, %.2f without\n", rise,
              flat_rise);
  EXPECT_GT(rise, 1.5);
  EXPECT_GT(rise, 1.3 * flat_rise);
}

// dir/film.mp4: three slow 8 s shots (0-24 s), eight quick 3 s pans (24-48 s), then `slow_after`
// slow 8 s shots.
fs::path slow_pans_slow(const fs::path& dir, int slow_after) {
  using L = SyntheticLook;
  const std::array<std::uint8_t, 3> calm[3] = {{40, 60, 160}, {60, 90, 120}, {30, 80, 90}};
  const std::array<std::uint8_t, 3> hectic[2] = {{220, 60, 40}, {240, 180, 40}};
  std::vector<SyntheticSegment> segments;
  for (int k = 0; k < 3; ++k) segments.push_back({200, calm[k], L::pattern});
  for (int k = 0; k < 8; ++k) segments.push_back({75, hectic[k % 2], L::pan});
  for (int k = 0; k < slow_after; ++k) segments.push_back({200, calm[2 - k], L::pattern});
  const fs::path film = dir / "film.mp4";
  write_synthetic_video(film, segments, {.width = 320, .height = 180, .fps = kFps});
  return film;
}

TEST(ScoreJob, WithoutDialogueTheScenesAreRunsOfConsistentShots) {
  // A minute and twelve seconds: three slow shots, eight quick pans, three slow shots. The cues
  // are the three runs, each starting on its cut (an even split would have given two cues of
  // 36 s, the second starting in the middle of the pans), and the pans' cue is the fastest.
  const fs::path dir = fresh_dir("runs");
  const fs::path film = slow_pans_slow(dir, 3);
  const ScoreResult r = score_film(film, 4, dir / "out");
  ASSERT_EQ(r.cues.cues.size(), 3u);
  EXPECT_NEAR(r.cues.cues[1].start_s, 24.0, 0.5 / kFps);
  EXPECT_NEAR(r.cues.cues[2].start_s, 48.0, 0.5 / kFps);
  for (std::size_t c = 1; c < 3; ++c) {
    EXPECT_TRUE(std::any_of(r.film.cuts.begin(), r.film.cuts.end(), [&](const Cut& cut) {
      return cut.time_s == r.cues.cues[c].start_s;
    })) << r.cues.cues[c].start_s;
  }
  for (const std::size_t c : {0u, 2u})
    EXPECT_GT(r.cues.cues[1].target.arousal, r.cues.cues[c].target.arousal + 0.3);
  ASSERT_EQ(r.score.sections.size(), 3u);
  EXPECT_GT(r.score.sections[1].tempo_bpm, r.score.sections[0].tempo_bpm);
  EXPECT_GT(r.score.sections[1].tempo_bpm, r.score.sections[2].tempo_bpm);
  EXPECT_EQ(load_cue_sheet(dir / "out" / "cues.json").cues.size(), 3u);
}

TEST(ScoreJob, WithDialogueACueIsSplitWhereItsShotsTurn) {
  // Quiet lines over the first 20 s, then a minute and four seconds of picture: slow shots, a
  // run of quick pans from 24 s to 48 s, slow shots. The words plan one calm stretch; the pans
  // get a cue of their own, on their first cut, more aroused than the talk before them.
  const fs::path dir = fresh_dir("split");
  const fs::path film = slow_pans_slow(dir, 2);
  std::ofstream(dir / "film.srt")
      << "1\n00:00:01,000 --> 00:00:04,000\nThe morning was quiet and still.\n\n"
         "2\n00:00:07,000 --> 00:00:10,000\nWe walked slowly along the river.\n\n"
         "3\n00:00:14,000 --> 00:00:18,000\nNothing moved on the water.\n";
  const ScoreResult r = score_film(film, ScoreOptions{}.seed, dir / "out", dir / "film.srt");
  ASSERT_TRUE(r.dialogue);
  EXPECT_GE(r.arc_splits, 1);
  const auto pans = std::find_if(r.cues.cues.begin(), r.cues.cues.end(), [](const Cue& c) {
    return std::abs(c.start_s - 24.0) <= 0.5 / kFps;
  });
  ASSERT_NE(pans, r.cues.cues.end()) << nlohmann::json(r.cues).dump(1);
  EXPECT_GT(pans->target.arousal, std::prev(pans)->target.arousal + 0.2);
  EXPECT_EQ(r.score.sections.size(), r.cues.cues.size());
  const nlohmann::json report = nlohmann::json::parse(slurp(dir / "out" / "report.json"));
  EXPECT_EQ(report["cues_split_at_shot_turns"], r.arc_splits);
  EXPECT_EQ(load_cue_sheet(dir / "out" / "cues.json").cues.size(), r.cues.cues.size());
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

  ScoreOptions too_quiet = options_for(dir / "short.mp4");
  too_quiet.loudness_lufs = -40;
  EXPECT_EQ(failure_of(too_quiet, dir / "out5", &message), ExitCode::usage);
  EXPECT_NE(message.find("loudness"), std::string::npos) << message;
  EXPECT_NE(message.find("-31 to -9 LUFS"), std::string::npos) << message;
  EXPECT_TRUE(empty_or_missing(dir / "out5"));
}

}  // namespace
}  // namespace tonepoem
