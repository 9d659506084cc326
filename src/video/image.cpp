#include "video/image.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.h"
#include "video/video.h"

namespace tonepoem {
namespace video {
namespace {

struct Decoded {
  AVFrame* frame = nullptr;
  ~Decoded() { av_frame_free(&frame); }
};

[[noreturn]] void bad_image(const std::filesystem::path& path, const char* what) {
  fail_input(path.string(), what, "use PNG, JPEG, WebP or BMP pictures");
}

// Decodes the first picture of the file.
void decode_first(const std::filesystem::path& path, Decoded& out, bool header_only) {
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0)
    bad_image(path, "cannot open the picture");
  std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> format_guard(
      format, [](AVFormatContext* f) { avformat_close_input(&f); });
  if (avformat_find_stream_info(format, nullptr) < 0) bad_image(path, "cannot read the picture");
  const int vi = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi < 0) bad_image(path, "the file holds no picture");
  const AVCodecParameters* par = format->streams[vi]->codecpar;
  if (par->width <= 0 || par->height <= 0)
    fail_input(path.string(),
               "the picture's size cannot be read (a damaged header, or a picture larger than the "
               "268 million pixels FFmpeg decodes, such as 20000x20000)",
               "scale it down or save it again, e.g. ffmpeg -i PICTURE -vf scale=4000:-1 "
               "smaller.jpg");
  if (header_only) return;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) bad_image(path, "no decoder for this picture format");
  std::unique_ptr<AVCodecContext, void (*)(AVCodecContext*)> dec(
      avcodec_alloc_context3(codec), [](AVCodecContext* c) { avcodec_free_context(&c); });
  avcodec_parameters_to_context(dec.get(), par);
  if (avcodec_open2(dec.get(), codec, nullptr) < 0) bad_image(path, "cannot decode the picture");
  AVPacket* packet = av_packet_alloc();
  out.frame = av_frame_alloc();
  bool got = false;
  while (!got && av_read_frame(format, packet) >= 0) {
    if (packet->stream_index == vi && avcodec_send_packet(dec.get(), packet) >= 0)
      got = avcodec_receive_frame(dec.get(), out.frame) >= 0;
    av_packet_unref(packet);
  }
  if (!got && avcodec_send_packet(dec.get(), nullptr) >= 0)
    got = avcodec_receive_frame(dec.get(), out.frame) >= 0;
  av_packet_free(&packet);
  if (!got) bad_image(path, "the picture could not be decoded");
}

// The stored picture scaled, keeping its aspect ratio, to cover width x height (centre-cropped).
SurfacePtr cover_of(const std::filesystem::path& path, const AVFrame* f, int width, int height) {
  // The source rectangle with the target's aspect ratio, centred.
  const double target_aspect = static_cast<double>(width) / height;
  int crop_w = f->width, crop_h = f->height;
  if (static_cast<double>(f->width) / f->height > target_aspect)
    crop_w = std::max(1, static_cast<int>(f->height * target_aspect));
  else
    crop_h = std::max(1, static_cast<int>(f->width / target_aspect));
  const int x0 = (f->width - crop_w) / 2, y0 = (f->height - crop_h) / 2;

  const auto format = static_cast<AVPixelFormat>(f->format);
  // Crop by scaling the whole picture and copying the window: simplest for every pixel format.
  const double scale =
      std::max(static_cast<double>(width) / crop_w, static_cast<double>(height) / crop_h);
  const int scaled_w = std::max(width, static_cast<int>(std::ceil(f->width * scale)));
  const int scaled_h = std::max(height, static_cast<int>(std::ceil(f->height * scale)));
  SwsContext* sws = sws_getContext(f->width, f->height, format, scaled_w, scaled_h, AV_PIX_FMT_BGRA,
                                   SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!sws) bad_image(path, "cannot convert the picture's pixel format");
  std::vector<std::uint8_t> scaled(static_cast<std::size_t>(scaled_w) * scaled_h * 4);
  std::uint8_t* dst[4] = {scaled.data(), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {scaled_w * 4, 0, 0, 0};
  sws_scale(sws, f->data, f->linesize, 0, f->height, dst, dst_stride);
  sws_freeContext(sws);

  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height));
  std::uint8_t* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  const int sx = std::min(static_cast<int>(std::lround(x0 * scale)), scaled_w - width);
  const int sy = std::min(static_cast<int>(std::lround(y0 * scale)), scaled_h - height);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* src =
        scaled.data() + (static_cast<std::size_t>(sy + y) * scaled_w + sx) * 4;
    std::uint8_t* row = data + static_cast<std::ptrdiff_t>(y) * stride;
    for (int x = 0; x < width; ++x) {
      row[4 * x] = src[4 * x];
      row[4 * x + 1] = src[4 * x + 1];
      row[4 * x + 2] = src[4 * x + 2];
      row[4 * x + 3] = 255;  // pictures are shown opaque
    }
  }
  cairo_surface_mark_dirty(surface.get());
  return surface;
}

}  // namespace

void check_image(const std::filesystem::path& path) {
  Decoded d;
  decode_first(path, d, true);
}

int display_rotation(const std::uint8_t* matrix) {
  if (!matrix) return 0;
  const double degrees = av_display_rotation_get(reinterpret_cast<const std::int32_t*>(matrix));
  if (!std::isfinite(degrees)) return 0;
  return ((static_cast<int>(std::lround(degrees / 90.0)) % 4 + 4) % 4) * 90;
}

void paint_turned(cairo_surface_t* source, int rotation, cairo_surface_t* target) {
  // (x, y) of the source lands at (y, w - x) for 90, (w - x, h - y) for 180, (h - y, x) for 270.
  const double w = cairo_image_surface_get_width(source);
  const double h = cairo_image_surface_get_height(source);
  cairo_t* cr = cairo_create(target);
  if (rotation == 90) {
    cairo_translate(cr, 0, w);
    cairo_rotate(cr, -std::numbers::pi / 2);
  } else if (rotation == 180) {
    cairo_translate(cr, w, h);
    cairo_rotate(cr, std::numbers::pi);
  } else if (rotation == 270) {
    cairo_translate(cr, h, 0);
    cairo_rotate(cr, std::numbers::pi / 2);
  }
  cairo_set_source_surface(cr, source, 0, 0);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint(cr);
  cairo_destroy(cr);
}

SurfacePtr load_image_cover(const std::filesystem::path& path, int width, int height) {
  Decoded d;
  decode_first(path, d, false);
  const AVFrame* f = d.frame;
  const AVFrameSideData* matrix = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
  const int rotation = display_rotation(matrix ? matrix->data : nullptr);
  if (rotation != 0) {
    // The picture as stored, covering the target turned back; then turned upright.
    const bool sideways = rotation != 180;
    SurfacePtr stored = cover_of(path, f, sideways ? height : width, sideways ? width : height);
    SurfacePtr upright(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height));
    paint_turned(stored.get(), rotation, upright.get());
    cairo_surface_mark_dirty(upright.get());
    return upright;
  }
  return cover_of(path, f, width, height);
}

}  // namespace video

std::vector<std::filesystem::path> list_images(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail_input(dir.string(), "the pictures folder does not exist",
               "pass a folder of PNG or JPEG pictures to --images");
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string ext = entry.path().extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".bmp")
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  if (out.empty())
    fail_input(dir.string(), "the pictures folder holds no PNG, JPEG, WebP or BMP files",
               "put the pictures for the video in it, or leave out --images");
  return out;
}

}  // namespace tonepoem
