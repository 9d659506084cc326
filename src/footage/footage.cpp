#include "footage/footage.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audio/libav_handles.h"
#include "core/error.h"

namespace tonepoem {
namespace {

const std::string kVideoFix =
    "pass a video file FFmpeg can read (mp4, mkv, mov, webm, ...); `ffprobe FILE` shows what it "
    "holds";

}  // namespace

FrameFeatures frame_features(const std::uint8_t* y, const std::uint8_t* cb, const std::uint8_t* cr,
                             int stride) {
  FrameFeatures f;
  const double n = kGridWidth * kGridHeight;
  double luma_sum = 0, chroma_sum = 0;
  for (int row = 0; row < kGridHeight; ++row)
    for (int col = 0; col < kGridWidth; ++col) {
      const int at = row * stride + col;
      const int yy = y[at], u = cb[at], v = cr[at];
      f.grid[row * kGridWidth + col] = static_cast<std::uint8_t>(yy);
      f.luma[yy * kLumaBins / 256] += 1.0f;
      f.cb[u * kChromaBins / 256] += 1.0f;
      f.cr[v * kChromaBins / 256] += 1.0f;
      luma_sum += std::clamp((yy - 16) / 219.0, 0.0, 1.0);
      chroma_sum += std::min(1.0, std::hypot(u - 128.0, v - 128.0) / 112.0);
    }
  for (float& b : f.luma) b = static_cast<float>(b / n);
  for (float& b : f.cb) b = static_cast<float>(b / n);
  for (float& b : f.cr) b = static_cast<float>(b / n);
  f.brightness = luma_sum / n;
  f.saturation = chroma_sum / n;
  return f;
}

FootageAnalysis analyze_footage(const std::filesystem::path& video, const ShotOptions& options,
                                const ProgressFn& progress, const CancelToken& cancel) {
  const std::string name = video.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(video, ec))
    fail_input(name, "the video file does not exist or is not a file", kVideoFix);
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, video.c_str(), nullptr, nullptr) < 0)
    fail_input(name, "FFmpeg cannot open this file as media (not a video, or damaged)", kVideoFix);
  libav::InputPtr format(raw);
  if (avformat_find_stream_info(format.get(), nullptr) < 0)
    fail_input(name, "cannot read the media streams (damaged or truncated?)", kVideoFix);
  const int vi = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi < 0)
    fail_input(name, "the file has no video stream (audio only?)",
               "pass the film itself; to score audio alone use `tonepoem make`");
  AVStream* stream = format->streams[vi];
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec)
    fail_input(name,
               fmt::format("no decoder for its video codec ({})",
                           avcodec_get_name(stream->codecpar->codec_id)),
               "re-encode the video to H.264");
  libav::CodecPtr dec(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(dec.get(), stream->codecpar);
  dec->pkt_timebase = stream->time_base;
  dec->thread_count = 0;  // as many as FFmpeg thinks useful: decoding dominates
  if (options.fast_decode) {
    dec->skip_loop_filter = AVDISCARD_ALL;
    dec->flags2 |= AV_CODEC_FLAG2_FAST;
  }
  if (avcodec_open2(dec.get(), codec, nullptr) < 0)
    fail_input(name, "cannot open the video decoder", "re-encode the video to H.264");

  FootageAnalysis result;
  result.file = name;
  result.width = stream->codecpar->width;
  result.height = stream->codecpar->height;
  result.video_codec = avcodec_get_name(stream->codecpar->codec_id);
  if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0)
    result.fps = av_q2d(stream->avg_frame_rate);
  else if (stream->r_frame_rate.num > 0 && stream->r_frame_rate.den > 0)
    result.fps = av_q2d(stream->r_frame_rate);
  result.has_audio = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
  for (unsigned i = 0; i < format->nb_streams; ++i)
    if (static_cast<int>(i) != vi) format->streams[i]->discard = AVDISCARD_ALL;
  const double time_base = av_q2d(stream->time_base);
  const double total_s =
      format->duration > 0 ? static_cast<double>(format->duration) / AV_TIME_BASE : 0.0;

  ShotDetector detector(options);
  libav::PacketPtr packet(av_packet_alloc());
  libav::FramePtr frame(av_frame_alloc());
  libav::ScalePtr scale;
  int scale_w = 0, scale_h = 0, scale_format = -1;
  std::vector<std::uint8_t> planes(3 * kGridWidth * kGridHeight);
  std::int64_t first_pts = AV_NOPTS_VALUE;
  double last_time = 0, previous_time = -1;
  const auto take = [&] {
    while (avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
      if (frame->width != scale_w || frame->height != scale_h || frame->format != scale_format) {
        scale.reset(sws_getContext(
            frame->width, frame->height, static_cast<AVPixelFormat>(frame->format), kGridWidth,
            kGridHeight, AV_PIX_FMT_YUV444P, SWS_AREA, nullptr, nullptr, nullptr));
        if (!scale)
          fail_input(name, "cannot convert its frames (unusual pixel format)",
                     "re-encode the video to H.264 yuv420p");
        scale_w = frame->width;
        scale_h = frame->height;
        scale_format = frame->format;
      }
      std::uint8_t* dst[4] = {planes.data(), planes.data() + kGridWidth * kGridHeight,
                              planes.data() + 2 * kGridWidth * kGridHeight, nullptr};
      const int strides[4] = {kGridWidth, kGridWidth, kGridWidth, 0};
      sws_scale(scale.get(), frame->data, frame->linesize, 0, frame->height, dst, strides);
      FrameFeatures f = frame_features(dst[0], dst[1], dst[2], kGridWidth);
      std::int64_t pts = frame->best_effort_timestamp;
      if (pts == AV_NOPTS_VALUE) pts = frame->pts;
      if (first_pts == AV_NOPTS_VALUE && pts != AV_NOPTS_VALUE) first_pts = pts;
      double time = pts == AV_NOPTS_VALUE || first_pts == AV_NOPTS_VALUE
                        ? (result.fps > 0 ? result.frames / result.fps : 0.0)
                        : static_cast<double>(pts - first_pts) * time_base;
      time = std::max(time, previous_time + 1e-6);  // strictly ascending, whatever the stamps
      previous_time = time;
      f.index = result.frames++;
      f.time_s = time;
      last_time = time;
      detector.push(f);
      av_frame_unref(frame.get());
      if (progress && total_s > 0 && f.index % 50 == 0) progress(std::min(1.0, time / total_s));
    }
  };
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index == vi) {
      cancel.throw_if_cancelled();
      // A corrupt packet is skipped (the decoder conceals it); the film goes on.
      if (avcodec_send_packet(dec.get(), packet.get()) >= 0)
        take();
      else
        ++result.decode_errors;
    }
    av_packet_unref(packet.get());
  }
  if (avcodec_send_packet(dec.get(), nullptr) >= 0) take();
  if (result.frames == 0)
    fail_input(name, "no video frame could be decoded (damaged or empty video stream)", kVideoFix);
  const double frame_s = result.fps > 0 ? 1.0 / result.fps : 0.04;
  result.duration_s = last_time + frame_s;
  result.container_duration_s = total_s;
  detector.finish(result.duration_s);
  result.cuts = detector.cuts();
  result.shots = detector.shots();
  result.flashes_ignored = detector.flashes_ignored();
  if (progress) progress(1.0);
  return result;
}

void to_json(nlohmann::json& j, const FootageAnalysis& a) {
  j = {{"file", a.file},
       {"width", a.width},
       {"height", a.height},
       {"fps", a.fps},
       {"frames", a.frames},
       {"duration_s", a.duration_s},
       {"has_audio", a.has_audio},
       {"video_codec", a.video_codec},
       {"cuts", a.cuts},
       {"shots", a.shots},
       {"flashes_ignored", a.flashes_ignored}};
}

void from_json(const nlohmann::json& j, FootageAnalysis& a) {
  a.file = j.value("file", "");
  a.width = j.value("width", 0);
  a.height = j.value("height", 0);
  a.fps = j.value("fps", 0.0);
  a.frames = j.value("frames", std::int64_t{0});
  a.duration_s = j.at("duration_s").get<double>();
  a.has_audio = j.value("has_audio", false);
  a.video_codec = j.value("video_codec", "");
  a.cuts = j.at("cuts").get<std::vector<Cut>>();
  a.shots = j.at("shots").get<std::vector<Shot>>();
  a.flashes_ignored = j.value("flashes_ignored", 0);
}

}  // namespace tonepoem
