#include "video/clip_frames.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "audio/libav_handles.h"
#include "core/error.h"
#include "video/image.h"

namespace tonepoem::video {
namespace {

using libav::CodecFreer;
using libav::FrameFreer;
using libav::InputCloser;
using libav::PacketFreer;
using libav::ScaleFreer;

// See State::catch_up_until: a clip whose frames are further apart than this may show, at the
// first time asked after a seek, the reference frame before the one it would have shown.
constexpr double kCatchUpMargin = 0.5;

constexpr std::string_view kClipFix =
    "pass video files FFmpeg can read (mp4, mkv, mov, webm, ...); `ffprobe FILE` shows what it "
    "holds";

}  // namespace

struct ClipFrames::State {
  int width = 0, height = 0;  // the video's frame
  std::string file;
  std::unique_ptr<AVFormatContext, InputCloser> format;
  std::unique_ptr<AVCodecContext, CodecFreer> decoder;
  std::unique_ptr<AVPacket, PacketFreer> packet{av_packet_alloc()};
  std::unique_ptr<AVFrame, FrameFreer> shown{av_frame_alloc()}, next{av_frame_alloc()};
  std::unique_ptr<SwsContext, ScaleFreer> scale;
  int stream = -1;
  double time_base = 0, start = 0;  // start: the stream's first time, in seconds
  bool have_shown = false, have_next = false, ended = false;
  double shown_t = 0, next_t = 0;
  bool dirty = true;  // the surface does not yet hold `shown`
  SurfacePtr surface;
  // A phone clip's display matrix: degrees counter-clockwise its frames are turned to be seen
  // upright (0, 90, 180 or 270); turned frames are scaled into `scaled` first.
  int rotation = 0;
  SurfacePtr scaled;
  int cover_w = 0, cover_h = 0;
  int scale_w = 0, scale_h = 0, scale_format = -1;
  // After a seek the decoder catches up from the key frame before the time asked: frames no other
  // frame refers to (most B-frames) are not decoded until a packet reaches `catch_up_until`, a
  // margin before that time (the frame shown at a time is the last one at or before it).
  double catch_up_until = 0;

  void open(const std::string& path, double t) {
    decoder.reset();
    format.reset();
    file = path;
    have_shown = have_next = ended = false;
    dirty = true;
    AVFormatContext* raw = nullptr;
    if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0)
      fail_input(path, "FFmpeg cannot open this clip as video", kClipFix);
    format.reset(raw);
    if (avformat_find_stream_info(format.get(), nullptr) < 0)
      fail_input(path, "cannot read the clip's streams (damaged?)", kClipFix);
    stream = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (stream < 0) fail_input(path, "the clip has no video stream", kClipFix);
    for (unsigned i = 0; i < format->nb_streams; ++i)
      format->streams[i]->discard =
          static_cast<int>(i) == stream ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    AVStream* s = format->streams[stream];
    rotation = display_rotation(av_stream_get_side_data(s, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
    scale_w = scale_h = 0;  // a new clip may turn differently: size the surfaces again
    const AVCodec* codec = avcodec_find_decoder(s->codecpar->codec_id);
    if (!codec) fail_input(path, "no decoder for the clip's video codec", kClipFix);
    decoder.reset(avcodec_alloc_context3(codec));
    avcodec_parameters_to_context(decoder.get(), s->codecpar);
    decoder->pkt_timebase = s->time_base;
    decoder->thread_count = 1;  // the painter's thread; the encoder has the other core
    if (avcodec_open2(decoder.get(), codec, nullptr) < 0)
      fail_input(path, "cannot open the clip's video decoder", kClipFix);
    time_base = av_q2d(s->time_base);
    start = s->start_time != AV_NOPTS_VALUE ? static_cast<double>(s->start_time) * time_base : 0.0;
    if (t > 0.5) {
      const auto target = static_cast<std::int64_t>(std::floor((t + start) / time_base));
      if (av_seek_frame(format.get(), stream, target, AVSEEK_FLAG_BACKWARD) >= 0) {
        avcodec_flush_buffers(decoder.get());
        catch_up_until = t - kCatchUpMargin;
        decoder->skip_frame = AVDISCARD_NONREF;
      }
    }
  }

  // The next decoded frame into `next`; false at the end of the clip or when it stops decoding.
  bool decode_next() {
    while (!ended) {
      const int got = avcodec_receive_frame(decoder.get(), next.get());
      if (got >= 0) {
        std::int64_t pts = next->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE) pts = next->pts;
        next_t = pts == AV_NOPTS_VALUE ? (have_shown ? shown_t + 1e-3 : 0.0)
                                       : static_cast<double>(pts) * time_base - start;
        return true;
      }
      if (got != AVERROR(EAGAIN)) {
        ended = true;
        break;
      }
      const int read = av_read_frame(format.get(), packet.get());
      if (read < 0) {
        avcodec_send_packet(decoder.get(), nullptr);  // drain what the decoder holds
        continue;
      }
      if (packet->stream_index == stream) {
        if (decoder->skip_frame != AVDISCARD_DEFAULT) {
          const std::int64_t stamp = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
          if (stamp == AV_NOPTS_VALUE ||
              static_cast<double>(stamp) * time_base - start >= catch_up_until)
            decoder->skip_frame = AVDISCARD_DEFAULT;
        }
        avcodec_send_packet(decoder.get(), packet.get());
      }
      av_packet_unref(packet.get());
    }
    return false;
  }

  void convert() {
    const AVFrame* f = shown.get();
    const bool sideways = rotation == 90 || rotation == 270;
    // The frame as it is seen: its pixels' aspect (anamorphic video) applied, then turned.
    const AVRational sar = f->sample_aspect_ratio;
    const double seen_w =
        sar.num > 0 && sar.den > 0 ? f->width * static_cast<double>(sar.num) / sar.den : f->width;
    const double upright_w = sideways ? f->height : seen_w;
    const double upright_h = sideways ? seen_w : f->height;
    if (f->width != scale_w || f->height != scale_h || f->format != scale_format) {
      const double k =
          std::max(static_cast<double>(width) / upright_w, static_cast<double>(height) / upright_h);
      cover_w = std::max(width, static_cast<int>(std::ceil(upright_w * k - 1e-6)));
      cover_h = std::max(height, static_cast<int>(std::ceil(upright_h * k - 1e-6)));
      const int to_w = sideways ? cover_h : cover_w, to_h = sideways ? cover_w : cover_h;
      scale.reset(sws_getContext(f->width, f->height, static_cast<AVPixelFormat>(f->format), to_w,
                                 to_h, AV_PIX_FMT_BGRA, SWS_BILINEAR, nullptr, nullptr, nullptr));
      if (!scale)
        fail_input(file, "cannot convert the clip's frames (unusual pixel format)", kClipFix);
      // The clip's own matrix and range (BT.709 for HD video, BT.601 otherwise).
      const int matrix = f->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709
                         : f->colorspace == AVCOL_SPC_UNSPECIFIED
                             ? (f->height >= 720 ? SWS_CS_ITU709 : SWS_CS_DEFAULT)
                             : SWS_CS_DEFAULT;
      sws_setColorspaceDetails(scale.get(), sws_getCoefficients(matrix),
                               f->color_range == AVCOL_RANGE_JPEG ? 1 : 0,
                               sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
      surface.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cover_w, cover_h));
      scaled.reset(rotation == 0 ? nullptr
                                 : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, to_w, to_h));
      if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS ||
          (scaled && cairo_surface_status(scaled.get()) != CAIRO_STATUS_SUCCESS))
        throw Error(ExitCode::internal, "cannot allocate a clip frame surface (Cairo)");
      scale_w = f->width;
      scale_h = f->height;
      scale_format = f->format;
    }
    cairo_surface_t* into = scaled ? scaled.get() : surface.get();
    cairo_surface_flush(into);
    std::uint8_t* dst[4] = {cairo_image_surface_get_data(into), nullptr, nullptr, nullptr};
    const int strides[4] = {cairo_image_surface_get_stride(into), 0, 0, 0};
    sws_scale(scale.get(), f->data, f->linesize, 0, f->height, dst, strides);
    cairo_surface_mark_dirty(into);
    if (scaled) paint_turned(scaled.get(), rotation, surface.get());
    dirty = false;
  }

  void black() {
    cover_w = width;
    cover_h = height;
    scale_w = scale_h = 0;
    scale_format = -1;
    surface.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height));
    cairo_t* cr = cairo_create(surface.get());
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    dirty = false;
  }
};

ClipFrames::ClipFrames(int width, int height) : state_(std::make_unique<State>()) {
  state_->width = width;
  state_->height = height;
}

ClipFrames::~ClipFrames() = default;

cairo_surface_t* ClipFrames::frame_at(const std::string& file, double t) {
  State& s = *state_;
  constexpr double kEpsilon = 1e-4;
  // Another clip, a time before the one shown, or far ahead (a seek is cheaper than decoding on).
  if (file != s.file || !s.format ||
      (s.have_shown && (t + kEpsilon < s.shown_t || t - s.shown_t > 3.0)))
    s.open(file, t);
  for (;;) {
    if (!s.have_next) {
      if (!s.decode_next()) break;
      s.have_next = true;
    }
    // Before the time asked, or nothing shown yet: the next frame is shown.
    if (s.next_t <= t + kEpsilon || !s.have_shown) {
      std::swap(s.shown, s.next);
      s.shown_t = s.next_t;
      s.have_shown = true;
      s.have_next = false;
      s.dirty = true;
      continue;
    }
    break;
  }
  if (s.dirty) {
    if (s.have_shown)
      s.convert();
    else
      s.black();
  }
  return s.surface.get();
}

double ClipFrames::offset_x() const {
  return -(state_->cover_w - state_->width) / 2.0;
}

double ClipFrames::offset_y() const {
  return -(state_->cover_h - state_->height) / 2.0;
}

}  // namespace tonepoem::video
