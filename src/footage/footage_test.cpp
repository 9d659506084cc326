#include "footage/footage.h"
#include "footage/libav_handles.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/display.h>
}

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "core/error.h"
#include "footage/synthetic_video.h"

namespace tonepoem {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "tonepoem-footage-test";
  fs::create_directories(dir);
  return dir / name;
}

constexpr std::array<std::uint8_t, 3> kRed{200, 30, 30}, kBlue{40, 60, 220}, kGreen{40, 190, 60},
    kYellow{230, 210, 40}, kMagenta{200, 40, 180}, kGrey{128, 128, 128}, kWhite{255, 255, 255},
    kBlack{0, 0, 0};

std::vector<std::int64_t> frames_of(const std::vector<Cut>& cuts, CutKind kind) {
  std::vector<std::int64_t> frames;
  for (const Cut& c : cuts)
    if (c.kind == kind) frames.push_back(c.frame);
  return frames;
}

// Five hard cuts, a one-frame white flash, a two-frame white flash and a fast pan: every cut on
// its frame, no flash and no pan reported.
TEST(Footage, HardCutsAreFrameExactAndFlashesAreNotCuts) {
  const fs::path video = scratch("cuts.mp4");
  using L = SyntheticLook;
  write_synthetic_video(video, {{30, kRed, L::solid},
                                {20, kBlue, L::pattern},
                                {1, kWhite, L::solid},  // flash
                                {20, kBlue, L::pattern},
                                {37, kGreen, L::pattern},
                                {40, kYellow, L::pan},
                                {10, kMagenta, L::solid},
                                {2, kWhite, L::solid},  // flash
                                {15, kMagenta, L::solid},
                                {30, kGrey, L::pattern}});
  const FootageAnalysis a = analyze_footage(video);
  EXPECT_EQ(a.frames, 205);
  EXPECT_NEAR(a.fps, 25.0, 1e-9);
  EXPECT_NEAR(a.duration_s, 205 / 25.0, 1e-6);
  EXPECT_EQ(frames_of(a.cuts, CutKind::hard), (std::vector<std::int64_t>{30, 71, 108, 148, 175}));
  EXPECT_TRUE(frames_of(a.cuts, CutKind::fade).empty());
  EXPECT_EQ(a.flashes_ignored, 2);
  for (const Cut& c : a.cuts) EXPECT_NEAR(c.time_s, c.frame / 25.0, 1e-6);
  // Shots: contiguous, one more than the cuts, with their own look.
  ASSERT_EQ(a.shots.size(), a.cuts.size() + 1);
  EXPECT_EQ(a.shots.front().first_frame, 0);
  EXPECT_EQ(a.shots.back().end_frame, 205);
  for (std::size_t i = 1; i < a.shots.size(); ++i) {
    EXPECT_EQ(a.shots[i].first_frame, a.shots[i - 1].end_frame);
    EXPECT_DOUBLE_EQ(a.shots[i].start_s, a.shots[i - 1].end_s);
  }
  EXPECT_LT(a.shots[0].motion, 0.005);                      // solid red stands still
  EXPECT_GT(a.shots[3].motion, 0.05);                       // the pan moves
  EXPECT_GT(a.shots[0].saturation, a.shots[5].saturation);  // red over grey
  EXPECT_GT(a.shots[3].brightness, a.shots[1].brightness);  // yellow over blue
}

TEST(Footage, FadeThroughBlackIsOneGradualTransition) {
  const fs::path video = scratch("fade.mkv");
  using L = SyntheticLook;
  write_synthetic_video(video, {{30, kRed, L::pattern},
                                {15, kRed, L::fade_out},
                                {5, kBlack, L::solid},
                                {15, kYellow, L::fade_in},
                                {30, kYellow, L::pattern}});
  const FootageAnalysis a = analyze_footage(video);
  EXPECT_TRUE(frames_of(a.cuts, CutKind::hard).empty());
  const std::vector<std::int64_t> fades = frames_of(a.cuts, CutKind::fade);
  ASSERT_EQ(fades.size(), 1u);
  EXPECT_GE(fades[0], 50);  // after the black, within the fade-in
  EXPECT_LT(fades[0], 65);
}

TEST(Footage, AnalysisRoundTripsThroughJson) {
  const fs::path video = scratch("json.mp4");
  write_synthetic_video(video, {{10, kRed}, {10, kBlue}});
  const FootageAnalysis a = analyze_footage(video);
  ASSERT_EQ(a.cuts.size(), 1u);
  const nlohmann::json j = a;
  const FootageAnalysis b = j.get<FootageAnalysis>();
  EXPECT_EQ(nlohmann::json(b), j);
  EXPECT_EQ(b.cuts[0].frame, 10);
}

ExitCode code_of(const fs::path& file) {
  try {
    analyze_footage(file);
  } catch (const Error& e) {
    EXPECT_NE(e.describe().find(file.string()), std::string::npos) << e.describe();
    return e.code();
  }
  return ExitCode::ok;
}

TEST(Footage, BadInputIsNamed) {
  const fs::path text = scratch("not-a-video.mp4");
  std::ofstream(text) << "this is not a video\n";
  EXPECT_EQ(code_of(text), ExitCode::bad_input);
  EXPECT_EQ(code_of(scratch("missing.mp4")), ExitCode::bad_input);
  const fs::path audio_only = scratch("audio-only.m4a");
  AudioBuffer tone;
  tone.samples.resize(2 * 44100);
  write_audio(tone, audio_only, AudioFileFormat::m4a_aac);
  try {
    analyze_footage(audio_only);
    ADD_FAILURE() << "an audio file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.describe().find("no video stream"), std::string::npos) << e.describe();
  }
}

// The bytes of every packet of the file's first stream of `type`.
std::vector<std::string> packets(const fs::path& file, AVMediaType type) {
  AVFormatContext* raw = nullptr;
  EXPECT_EQ(avformat_open_input(&raw, file.c_str(), nullptr, nullptr), 0);
  libav::InputPtr in(raw);
  avformat_find_stream_info(in.get(), nullptr);
  const int index = av_find_best_stream(in.get(), type, -1, -1, nullptr, 0);
  std::vector<std::string> out;
  if (index < 0) return out;
  AVPacket* p = av_packet_alloc();
  while (av_read_frame(in.get(), p) >= 0) {
    if (p->stream_index == index)
      out.emplace_back(reinterpret_cast<const char*>(p->data), static_cast<std::size_t>(p->size));
    av_packet_unref(p);
  }
  av_packet_free(&p);
  return out;
}

// The rotation a display matrix gives the video stream, or 0 without one.
double rotation_of(const fs::path& file) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) return -1;
  libav::InputPtr in(raw);
  avformat_find_stream_info(in.get(), nullptr);
  const int index = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const std::uint8_t* matrix =
      av_stream_get_side_data(in->streams[index], AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  return matrix ? av_display_rotation_get(reinterpret_cast<const std::int32_t*>(matrix)) : 0.0;
}

TEST(Footage, MuxCopiesTheVideoPacketForPacket) {
  const fs::path video = scratch("mux-in.mp4"), audio = scratch("mux-in.m4a");
  // A phone video: its rotation must survive.
  write_synthetic_video(
      video, {{40, kRed, SyntheticLook::pattern}, {35, kGreen}},
      {.width = 320, .height = 180, .fps = 25, .gop = 48, .rotation_degrees = 90});
  ASSERT_NEAR(std::abs(rotation_of(video)), 90.0, 1e-6);
  AudioBuffer tone;
  tone.samples.resize(2 * 44100 * 4);  // 4 s of tone: longer than the 3 s film
  for (std::size_t i = 0; i < tone.frames(); ++i)
    tone.samples[2 * i] = tone.samples[2 * i + 1] =
        static_cast<float>(0.3 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 44100));
  write_audio(tone, audio, AudioFileFormat::m4a_aac);
  const fs::path out = scratch("muxed.mp4");
  mux_video_with_audio(video, audio, out);
  const std::vector<std::string> in_packets = packets(video, AVMEDIA_TYPE_VIDEO);
  ASSERT_EQ(in_packets.size(), 75u);
  EXPECT_EQ(packets(out, AVMEDIA_TYPE_VIDEO), in_packets);
  EXPECT_DOUBLE_EQ(rotation_of(out), rotation_of(video));
  const AudioBuffer back = read_audio(out);
  EXPECT_NEAR(back.duration_s(), 3.0, 0.05);  // cut to the film
  const FootageAnalysis a = analyze_footage(out);
  EXPECT_TRUE(a.has_audio);
  EXPECT_EQ(a.frames, 75);
  EXPECT_EQ(frames_of(a.cuts, CutKind::hard), std::vector<std::int64_t>{40});

  // A failure leaves nothing behind.
  const fs::path text = scratch("not-audio.m4a");
  std::ofstream(text) << "not audio";
  const fs::path failed = scratch("failed.mp4");
  fs::remove(failed);
  EXPECT_THROW(mux_video_with_audio(video, text, failed), Error);
  EXPECT_FALSE(fs::exists(failed));
}

}  // namespace
}  // namespace tonepoem
