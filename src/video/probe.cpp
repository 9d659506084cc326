#include "video/probe.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "audio/codec.h"
#include "audio/libav_handles.h"
#include "core/error.h"

namespace tonepoem {
namespace {

using FormatPtr = libav::InputPtr;
using libav::CodecPtr;
using libav::FramePtr;
using libav::PacketPtr;

FormatPtr open_media(const std::filesystem::path& path) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0)
    fail_input(path.string(), "cannot open the media file",
               "check that the file exists and is a video");
  FormatPtr format(raw);
  if (avformat_find_stream_info(format.get(), nullptr) < 0)
    fail_input(path.string(), "cannot read the media streams", "the file may be damaged");
  return format;
}

CodecPtr open_decoder(const std::filesystem::path& path, const AVStream* stream) {
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec) fail_input(path.string(), "no decoder for a stream", "re-encode the file");
  CodecPtr ctx(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(ctx.get(), stream->codecpar);
  ctx->pkt_timebase = stream->time_base;
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0)
    fail_input(path.string(), "cannot open a decoder", "re-encode the file");
  return ctx;
}

double stream_fps(const AVStream* stream) {
  if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0)
    return av_q2d(stream->avg_frame_rate);
  if (stream->r_frame_rate.num > 0 && stream->r_frame_rate.den > 0)
    return av_q2d(stream->r_frame_rate);
  return 0;
}

}  // namespace

MediaInfo probe_media(const std::filesystem::path& path) {
  FormatPtr format = open_media(path);
  MediaInfo info;
  const int vi = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const int ai = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  CodecPtr vdec, adec;
  if (vi >= 0) {
    const AVStream* s = format->streams[vi];
    info.has_video = true;
    info.width = s->codecpar->width;
    info.height = s->codecpar->height;
    info.fps = stream_fps(s);
    info.video_codec = avcodec_get_name(s->codecpar->codec_id);
    if (const char* profile = avcodec_profile_name(s->codecpar->codec_id, s->codecpar->profile))
      info.video_profile = profile;
    if (const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(s->codecpar->format)))
      info.video_pixel_format = pix;
    vdec = open_decoder(path, s);
  }
  if (ai >= 0) {
    const AVStream* s = format->streams[ai];
    info.has_audio = true;
    info.audio_channels = s->codecpar->ch_layout.nb_channels;
    info.audio_sample_rate = s->codecpar->sample_rate;
    info.audio_codec = avcodec_get_name(s->codecpar->codec_id);
    adec = open_decoder(path, s);
  }
  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  std::int64_t samples = 0;
  const auto receive = [&](AVCodecContext* dec, bool video) {
    while (avcodec_receive_frame(dec, frame.get()) >= 0) {
      if (video) {
        ++info.video_frames;
      } else {
        // The last AAC packet is padded to a whole frame; its duration says how much is real.
        std::int64_t count = frame->nb_samples;
        if (frame->pkt_duration > 0 && ai >= 0) {
          const std::int64_t real =
              av_rescale_q(frame->pkt_duration, format->streams[ai]->time_base,
                           AVRational{1, frame->sample_rate});
          count = std::min(count, real);
        }
        samples += count;
      }
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    AVCodecContext* dec = packet->stream_index == vi   ? vdec.get()
                          : packet->stream_index == ai ? adec.get()
                                                       : nullptr;
    if (dec && avcodec_send_packet(dec, packet.get()) >= 0) receive(dec, dec == vdec.get());
    av_packet_unref(packet.get());
  }
  if (vdec && avcodec_send_packet(vdec.get(), nullptr) >= 0) receive(vdec.get(), true);
  if (adec && avcodec_send_packet(adec.get(), nullptr) >= 0) receive(adec.get(), false);
  if (info.fps > 0) info.video_duration_s = static_cast<double>(info.video_frames) / info.fps;
  if (info.audio_sample_rate > 0)
    info.audio_duration_s = static_cast<double>(samples) / info.audio_sample_rate;
  return info;
}

std::vector<std::uint8_t> decode_frame_rgb(const std::filesystem::path& path, double t, int* width,
                                           int* height) {
  FormatPtr format = open_media(path);
  const int vi = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi < 0) fail_input(path.string(), "the file has no video stream", "pass a video file");
  const AVStream* stream = format->streams[vi];
  CodecPtr dec = open_decoder(path, stream);
  const double fps = stream_fps(stream);
  const double tb = av_q2d(stream->time_base);
  const std::int64_t start = stream->start_time == AV_NOPTS_VALUE ? 0 : stream->start_time;
  // The frame shown at t: the last one whose time is <= t (a quarter frame of slack for rounding).
  const double limit = t + (fps > 0 ? 0.25 / fps : 1e-3);
  av_seek_frame(format.get(), vi, start + static_cast<std::int64_t>(std::floor(t / tb)),
                AVSEEK_FLAG_BACKWARD);

  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc()), chosen(av_frame_alloc());
  bool have = false, done = false;
  const auto receive = [&] {
    while (!done && avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
      const std::int64_t pts = frame->best_effort_timestamp == AV_NOPTS_VALUE
                                   ? frame->pts
                                   : frame->best_effort_timestamp;
      const double time = static_cast<double>(pts - start) * tb;
      if (time <= limit || !have) {
        av_frame_unref(chosen.get());
        av_frame_move_ref(chosen.get(), frame.get());
        have = true;
        if (time > limit) done = true;
      } else {
        done = true;
      }
      av_frame_unref(frame.get());
    }
  };
  while (!done && av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index == vi && avcodec_send_packet(dec.get(), packet.get()) >= 0) receive();
    av_packet_unref(packet.get());
  }
  if (!done && avcodec_send_packet(dec.get(), nullptr) >= 0) receive();
  if (!have)
    fail_input(path.string(), "no video frame could be decoded", "the file may be damaged");

  const int w = chosen->width, h = chosen->height;
  SwsContext* sws = sws_getContext(w, h, static_cast<AVPixelFormat>(chosen->format), w, h,
                                   AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!sws) throw Error(ExitCode::internal, "cannot create a colour converter (libswscale)");
  const int space =
      chosen->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : chosen->colorspace;
  const int* coefficients = sws_getCoefficients(space);
  sws_setColorspaceDetails(sws, coefficients, chosen->color_range == AVCOL_RANGE_JPEG ? 1 : 0,
                           coefficients, 1, 0, 1 << 16, 1 << 16);
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w) * h * 3);
  std::uint8_t* dst[4] = {rgb.data(), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {w * 3, 0, 0, 0};
  sws_scale(sws, chosen->data, chosen->linesize, 0, h, dst, dst_stride);
  sws_freeContext(sws);
  if (width) *width = w;
  if (height) *height = h;
  return rgb;
}

AudioBuffer decode_audio(const std::filesystem::path& path) {
  return decode_with_libav(path);
}

void decode_audio_to(const std::filesystem::path& path,
                     const std::function<void(int sample_rate, int channels)>& begin,
                     const AudioSink& sink) {
  decode_with_libav(path, begin, sink);
}

LoudnessReport measure_file_loudness(const std::filesystem::path& path, double* duration_s) {
  std::optional<LoudnessMeter> meter;
  std::size_t frames = 0;
  int rate = 0;
  decode_with_libav(
      path,
      [&](int sample_rate, int channels) {
        meter.emplace(channels, sample_rate, true);
        rate = sample_rate;
      },
      [&](const float* samples, std::size_t count) {
        meter->add(samples, count);
        frames += count;
      });
  if (duration_s) *duration_s = rate > 0 ? static_cast<double>(frames) / rate : 0.0;
  const double silent = -std::numeric_limits<double>::infinity();
  if (!meter || frames == 0) return LoudnessReport{silent, silent, 0};  // as measure_loudness
  return meter->finish();
}

}  // namespace tonepoem
