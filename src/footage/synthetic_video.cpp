#include "footage/synthetic_video.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "audio/libav_handles.h"
#include "core/error.h"
#include "core/files.h"

namespace tonepoem {
namespace {

// BT.601 limited range, as the decoder will read it back.
void to_yuv(double r, double g, double b, std::uint8_t& y, std::uint8_t& u, std::uint8_t& v) {
  const auto clip = [](double x) { return static_cast<std::uint8_t>(std::clamp(x, 0.0, 255.0)); };
  y = clip(16 + 0.257 * r + 0.504 * g + 0.098 * b);
  u = clip(128 - 0.148 * r - 0.291 * g + 0.439 * b);
  v = clip(128 + 0.439 * r - 0.368 * g - 0.071 * b);
}

// The colour of pixel (x, y) of frame `i` of `segment` (frame `global` of the film).
std::array<double, 3> look_at(const SyntheticSegment& segment, int i, std::int64_t global, int x,
                              int y) {
  double level = 1.0;
  if (segment.look == SyntheticLook::fade_out)
    level = 1.0 - static_cast<double>(i + 1) / segment.frames;
  if (segment.look == SyntheticLook::fade_in) level = static_cast<double>(i) / segment.frames;
  double k = 1.0;
  if (segment.look == SyntheticLook::pan) {
    k = ((x + 24 * global) / 16) % 2 ? 1.0 : 0.35;
  } else if (segment.look != SyntheticLook::solid) {
    k = (((x + 2 * global) / 20 + (y + global) / 20) % 2) ? 1.0 : 0.5;
  }
  std::array<double, 3> rgb{};
  for (int c = 0; c < 3; ++c)
    rgb[c] = segment.rgb[c] * k * level + segment.through[c] * (1.0 - level);
  return rgb;
}

// `before`: the segment a dissolve comes from (ignored for other looks).
void paint(AVFrame* frame, const SyntheticSegment& segment, const SyntheticSegment* before, int i,
           std::int64_t global) {
  const int w = frame->width, h = frame->height;
  const bool dissolve = segment.look == SyntheticLook::dissolve && before;
  const double alpha = static_cast<double>(i + 1) / (segment.frames + 1);
  SyntheticSegment pattern = segment;  // what a dissolve blends into
  if (dissolve) pattern.look = SyntheticLook::pattern;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::array<double, 3> rgb = look_at(pattern, i, global, x, y);
      if (dissolve) {
        const std::array<double, 3> from = look_at(*before, before->frames - 1, global, x, y);
        for (int c = 0; c < 3; ++c) rgb[c] = (1.0 - alpha) * from[c] + alpha * rgb[c];
      }
      std::uint8_t yy, uu, vv;
      to_yuv(rgb[0], rgb[1], rgb[2], yy, uu, vv);
      frame->data[0][y * frame->linesize[0] + x] = yy;
      if (x % 2 == 0 && y % 2 == 0) {
        frame->data[1][(y / 2) * frame->linesize[1] + x / 2] = uu;
        frame->data[2][(y / 2) * frame->linesize[2] + x / 2] = vv;
      }
    }
}

// FFmpeg's subtitle encoders read ASS events; this header declares the one style they use.
constexpr const char* kAssHeader =
    "[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n"
    "[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
    "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
    "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    "\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, "
    "Effect, Text\r\n";

// The subtitle stream of write_synthetic_video: an encoder and the stream its packets go to.
struct SubtitleWriter {
  libav::CodecPtr enc;
  AVStream* stream = nullptr;
  std::size_t next = 0;  // the first line not yet written
  bool bitmap = false;   // a picture codec (dvdsub): each line is a small bar, not its words

  SubtitleWriter(AVFormatContext* muxer, const SyntheticVideoOptions& options,
                 const std::string& name) {
    std::string codec_name = options.subtitle_codec;
    if (codec_name.empty())
      codec_name = std::string(muxer->oformat->name).find("mp4") != std::string::npos ||
                           std::string(muxer->oformat->name).find("mov") != std::string::npos
                       ? "mov_text"
                       : "subrip";
    const AVCodec* codec = avcodec_find_encoder_by_name(codec_name.c_str());
    if (!codec) throw Error(ExitCode::internal, "no subtitle encoder " + codec_name, name);
    enc.reset(avcodec_alloc_context3(codec));
    enc->time_base = AVRational{1, 1000};
    enc->width = options.width;  // a bitmap encoder (dvdsub) places its pictures in the frame
    enc->height = options.height;
    bitmap = avcodec_descriptor_get(codec->id)->props & AV_CODEC_PROP_BITMAP_SUB;
    const std::size_t header_size = std::char_traits<char>::length(kAssHeader);
    enc->subtitle_header = static_cast<std::uint8_t*>(av_malloc(header_size + 1));
    std::copy(kAssHeader, kAssHeader + header_size + 1, enc->subtitle_header);
    enc->subtitle_header_size = static_cast<int>(header_size);
    if (muxer->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(enc.get(), codec, nullptr) < 0)
      throw Error(ExitCode::internal, "cannot open the subtitle encoder " + codec_name, name);
    stream = avformat_new_stream(muxer, nullptr);
    avcodec_parameters_from_context(stream->codecpar, enc.get());
    stream->time_base = enc->time_base;
    if (!options.subtitle_language.empty())
      av_dict_set(&stream->metadata, "language", options.subtitle_language.c_str(), 0);
  }

  // Writes the lines that start before `until_s`.
  void write_until(AVFormatContext* muxer, const std::vector<SyntheticSubtitle>& lines,
                   double until_s, const std::string& name) {
    for (; next < lines.size() && lines[next].start_s < until_s; ++next) {
      const SyntheticSubtitle& line = lines[next];
      const auto start_ms = static_cast<std::int64_t>(std::llround(line.start_s * 1000));
      const auto end_ms = static_cast<std::int64_t>(std::llround(line.end_s * 1000));
      std::string event = std::to_string(next) + ",0,Default,,0,0,0,," + line.text;
      AVSubtitleRect rect{};
      rect.type = SUBTITLE_ASS;
      rect.ass = event.data();
      // A bitmap codec gets a 32x8 bar in the first of four palette colours instead of words.
      std::vector<std::uint8_t> pixels(32 * 8, 1);
      std::uint32_t palette[4] = {0x00000000u, 0xffffffffu, 0xff000000u, 0xff808080u};
      if (bitmap) {
        rect.type = SUBTITLE_BITMAP;
        rect.ass = nullptr;
        rect.x = 16;
        rect.y = 16;
        rect.w = 32;
        rect.h = 8;
        rect.nb_colors = 4;
        rect.data[0] = pixels.data();
        rect.linesize[0] = 32;
        rect.data[1] = reinterpret_cast<std::uint8_t*>(palette);
        rect.linesize[1] = 4 * 4;
      }
      AVSubtitleRect* rects[] = {&rect};
      AVSubtitle subtitle{};
      subtitle.num_rects = 1;
      subtitle.rects = rects;
      subtitle.pts = av_rescale_q(start_ms, AVRational{1, 1000}, AVRational{1, AV_TIME_BASE});
      subtitle.end_display_time = static_cast<std::uint32_t>(end_ms - start_ms);
      std::vector<std::uint8_t> buffer(4096 + event.size() * 4);
      const int size = avcodec_encode_subtitle(enc.get(), buffer.data(),
                                               static_cast<int>(buffer.size()), &subtitle);
      if (size <= 0) throw Error(ExitCode::internal, "the subtitle encoder refused a line", name);
      libav::PacketPtr packet(av_packet_alloc());
      if (av_new_packet(packet.get(), size) < 0)
        throw Error(ExitCode::internal, "cannot allocate a packet", name);
      std::copy(buffer.begin(), buffer.begin() + size, packet->data);
      packet->pts = packet->dts = start_ms;
      packet->duration = end_ms - start_ms;
      packet->stream_index = stream->index;
      av_packet_rescale_ts(packet.get(), enc->time_base, stream->time_base);
      if (av_interleaved_write_frame(muxer, packet.get()) < 0)
        fail_output(name, "writing a subtitle packet failed", "check the free space of the folder");
    }
  }
};

}  // namespace

void write_synthetic_video(const std::filesystem::path& path,
                           const std::vector<SyntheticSegment>& segments,
                           const SyntheticVideoOptions& options) {
  AtomicOutput out(path);
  const std::string name = path.string();
  const AVOutputFormat* container = av_guess_format(nullptr, path.filename().c_str(), nullptr);
  if (!container) container = av_guess_format("mp4", nullptr, nullptr);
  AVFormatContext* raw = nullptr;
  if (avformat_alloc_output_context2(&raw, container, nullptr, out.temp_path().c_str()) < 0)
    throw Error(ExitCode::internal, "cannot create a container (libavformat)", name);
  libav::OutputPtr muxer(raw);

  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (!codec) throw Error(ExitCode::internal, "no H.264 or MPEG-4 encoder in FFmpeg", name);
  libav::CodecPtr enc(avcodec_alloc_context3(codec));
  enc->width = options.width;
  enc->height = options.height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = AVRational{1, options.fps};
  enc->framerate = AVRational{options.fps, 1};
  enc->gop_size = options.gop;
  enc->thread_count = 1;  // the same bytes on every machine
  if (muxer->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (std::string(codec->name) == "libx264") {
    av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
    av_opt_set(enc->priv_data, "x264-params", "scenecut=0:log=-1", 0);  // key frames by gop alone
  } else {
    enc->bit_rate = 800000;
  }
  if (avcodec_open2(enc.get(), codec, nullptr) < 0)
    throw Error(ExitCode::internal, "cannot open the video encoder", name);
  AVStream* stream = avformat_new_stream(muxer.get(), nullptr);
  avcodec_parameters_from_context(stream->codecpar, enc.get());
  stream->time_base = enc->time_base;
  stream->avg_frame_rate = enc->framerate;
  if (options.rotation_degrees != 0) {
    auto* matrix = reinterpret_cast<std::int32_t*>(
        av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(std::int32_t)));
    if (!matrix) throw Error(ExitCode::internal, "cannot add a display matrix", name);
    av_display_rotation_set(matrix, options.rotation_degrees);
  }
  std::unique_ptr<SubtitleWriter> subtitles;
  if (!options.subtitles.empty())
    subtitles = std::make_unique<SubtitleWriter>(muxer.get(), options, name);
  if (avio_open(&muxer->pb, out.temp_path().c_str(), AVIO_FLAG_WRITE) < 0)
    fail_output(name, "cannot create the file", "check that the folder is writable");
  if (avformat_write_header(muxer.get(), nullptr) < 0)
    fail_output(name, "cannot write the container header", "use .mp4, .mkv or .mov");

  libav::FramePtr frame(av_frame_alloc());
  frame->format = enc->pix_fmt;
  frame->width = enc->width;
  frame->height = enc->height;
  if (av_frame_get_buffer(frame.get(), 0) < 0)
    throw Error(ExitCode::internal, "cannot allocate a frame", name);
  libav::PacketPtr packet(av_packet_alloc());
  const auto drain = [&] {
    while (avcodec_receive_packet(enc.get(), packet.get()) >= 0) {
      av_packet_rescale_ts(packet.get(), enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      if (av_interleaved_write_frame(muxer.get(), packet.get()) < 0)
        fail_output(name, "writing a packet failed", "check the free space of the folder");
    }
  };
  std::int64_t index = 0;
  for (std::size_t n = 0; n < segments.size(); ++n) {
    const SyntheticSegment& segment = segments[n];
    const SyntheticSegment* before = n > 0 ? &segments[n - 1] : nullptr;
    for (int i = 0; i < segment.frames; ++i) {
      if (subtitles)
        subtitles->write_until(muxer.get(), options.subtitles,
                               static_cast<double>(index) / options.fps, name);
      av_frame_make_writable(frame.get());
      paint(frame.get(), segment, before, i, index);
      frame->pts = index++;
      if (avcodec_send_frame(enc.get(), frame.get()) < 0)
        throw Error(ExitCode::internal, "the video encoder refused a frame", name);
      drain();
    }
  }
  avcodec_send_frame(enc.get(), nullptr);
  drain();
  if (subtitles) subtitles->write_until(muxer.get(), options.subtitles, 1e300, name);
  if (av_write_trailer(muxer.get()) < 0)
    fail_output(name, "finishing the file failed", "check the free space of the folder");
  avio_closep(&muxer->pb);
  out.commit();
}

}  // namespace tonepoem
