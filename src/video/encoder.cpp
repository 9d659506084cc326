#include "video/encoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "core/error.h"

namespace tonepoem::video {
namespace {

std::string av_error_text(int err) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  av_strerror(err, buf.data(), buf.size());
  return buf.data();
}

[[noreturn]] void fail_internal(const std::string& what) {
  throw Error(ExitCode::internal, what);
}

// The padding at the end of each row and the rows below the picture are never drawn, but x264
// reads some of it (its SIMD copies round widths up). Left as malloc gave it, it held whatever an
// earlier video had left there: two identical renders in a row in one process then differed in 7
// of 20 runs, against 0 of 20 with it zeroed. Zeroed once here, it stays zero, as the converter
// writes only the picture.
void zero_buffers(AVFrame* frame) {
  for (AVBufferRef* buf : frame->buf)
    if (buf) std::memset(buf->data, 0, buf->size);
}

}  // namespace

AVFrame* alloc_yuv_frame(int width, int height) {
  AVFrame* frame = av_frame_alloc();
  if (!frame) fail_internal("out of memory allocating a video frame");
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  if (const int err = av_frame_get_buffer(frame, 0); err < 0) {
    av_frame_free(&frame);
    fail_internal("cannot allocate a video frame: " + av_error_text(err));
  }
  zero_buffers(frame);
  return frame;
}

void free_frame(AVFrame* frame) {
  av_frame_free(&frame);
}

BgraToYuv::BgraToYuv(int width, int height) : width_(width), height_(height) {}

BgraToYuv::~BgraToYuv() = default;

// BT.709, limited range, in 16.16 fixed point; chroma from the mean of each 2x2 block. Written by
// hand (plain loops the compiler vectorizes, with an AVX2 clone picked at load time where the CPU
// has it: 40% less time than SSE2 here) because libswscale's generic path is slower for this
// same-size conversion.
namespace {

// GCC builds these loops at -O3 even in a Debug build; Clang (the fuzz build) has no per-function
// optimize attribute, so only the AVX2 clone is asked of it.
#if defined(__clang__)
#define TONEPOEM_VECTOR_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define TONEPOEM_VECTOR_LOOP __attribute__((optimize("O3"), target_clones("avx2", "default")))
#endif

constexpr std::int32_t kYr = 11966, kYg = 40254, kYb = 4064;    // 219/255 * (.2126 .7152 .0722)
constexpr std::int32_t kUr = -6596, kUg = -22189, kUb = 28784;  // 224/255 * ((B - Y) / 1.8556)
constexpr std::int32_t kVr = 28784, kVg = -26145, kVb = -2639;  // 224/255 * ((R - Y) / 1.5748)

TONEPOEM_VECTOR_LOOP void luma_row(const std::uint8_t* bgra, std::uint8_t* y, int width) {
  for (int x = 0; x < width; ++x) {
    const std::int32_t b = bgra[4 * x], g = bgra[4 * x + 1], r = bgra[4 * x + 2];
    y[x] = static_cast<std::uint8_t>(16 + ((kYr * r + kYg * g + kYb * b + (1 << 15)) >> 16));
  }
}

TONEPOEM_VECTOR_LOOP void chroma_row(const std::uint8_t* row0, const std::uint8_t* row1,
                                     std::uint8_t* u, std::uint8_t* v, int pairs) {
  for (int x = 0; x < pairs; ++x) {
    const std::uint8_t* p = row0 + 8 * x;
    const std::uint8_t* q = row1 + 8 * x;
    const std::int32_t b = p[0] + p[4] + q[0] + q[4];
    const std::int32_t g = p[1] + p[5] + q[1] + q[5];
    const std::int32_t r = p[2] + p[6] + q[2] + q[6];
    u[x] = static_cast<std::uint8_t>(128 + ((kUr * r + kUg * g + kUb * b + (1 << 17)) >> 18));
    v[x] = static_cast<std::uint8_t>(128 + ((kVr * r + kVg * g + kVb * b + (1 << 17)) >> 18));
  }
}

}  // namespace

void BgraToYuv::prepare(AVFrame* out) {
  const std::uint8_t* before = out->data[0];
  if (const int err = av_frame_make_writable(out); err < 0)
    fail_internal("cannot make a video frame writable: " + av_error_text(err));
  if (out->data[0] != before) zero_buffers(out);  // a new buffer: padding as in alloc_yuv_frame
}

void BgraToYuv::convert(const std::uint8_t* bgra, int stride, AVFrame* out) {
  prepare(out);
  // Width and height are even (VideoOptions::validate).
  convert_box(bgra, stride, 0, 0, width_, height_, out);
}

void BgraToYuv::convert_box(const std::uint8_t* bgra, int stride, int x, int y, int w, int h,
                            AVFrame* out) {
  for (int row = y; row < y + h; ++row)
    luma_row(bgra + static_cast<std::ptrdiff_t>(row) * stride + 4 * x,
             out->data[0] + static_cast<std::ptrdiff_t>(row) * out->linesize[0] + x, w);
  for (int row = y; row + 1 < y + h; row += 2) {
    const std::uint8_t* row0 = bgra + static_cast<std::ptrdiff_t>(row) * stride + 4 * x;
    chroma_row(row0, row0 + stride,
               out->data[1] + static_cast<std::ptrdiff_t>(row / 2) * out->linesize[1] + x / 2,
               out->data[2] + static_cast<std::ptrdiff_t>(row / 2) * out->linesize[2] + x / 2,
               w / 2);
  }
}

namespace {

// Rows of YuvOverlay::apply and fill_rect_yuv: v' = v + alpha * mask * (colour - v), in fixed
// point: colour relative to `zero` in 1/16 levels, mask / 255 as mask * 257 / 65536, alpha in
// 1/65536. Row y uses the mask at mask + y * mask_stride (0: one mask for every row).
TONEPOEM_VECTOR_LOOP void overlay_rows(std::uint8_t* dst, std::ptrdiff_t stride, int rows,
                                       const std::uint8_t* mask, std::ptrdiff_t mask_stride,
                                       std::int32_t colour16, std::int32_t alpha_q16,
                                       std::int32_t zero, int width,
                                       const std::uint8_t* src = nullptr,
                                       std::ptrdiff_t src_stride = 0) {
  if (!src) {
    src = dst;
    src_stride = stride;
  }
  for (int y = 0; y < rows; ++y) {
    std::uint8_t* row = dst + y * stride;
    const std::uint8_t* in = src + y * src_stride;
    const std::uint8_t* m = mask + y * mask_stride;
    for (int x = 0; x < width; ++x) {
      const std::int32_t v = in[x];
      const std::int32_t d = (m[x] * (colour16 - (v - zero) * 16) * 257 + (1 << 15)) >> 16;
      row[x] =
          static_cast<std::uint8_t>(std::clamp(v + ((alpha_q16 * d + (1 << 19)) >> 20), 0, 255));
    }
  }
}

// Rows of YuvLayer::apply: v' = v + alpha * (layer - mask * (v - zero)), with the layer's own
// premultiplied colour per sample (1/16 levels) in place of one colour.
TONEPOEM_VECTOR_LOOP void layer_rows(std::uint8_t* dst, std::ptrdiff_t stride, int rows,
                                     const std::uint8_t* mask, const std::int16_t* layer, int width,
                                     std::int32_t alpha_q16, std::int32_t zero) {
  for (int y = 0; y < rows; ++y) {
    std::uint8_t* row = dst + y * stride;
    const std::uint8_t* m = mask + static_cast<std::ptrdiff_t>(y) * width;
    const std::int16_t* l = layer + static_cast<std::ptrdiff_t>(y) * width;
    for (int x = 0; x < width; ++x) {
      const std::int32_t v = row[x];
      const std::int32_t d = l[x] - ((m[x] * (v - zero) * 16 * 257 + (1 << 15)) >> 16);
      row[x] =
          static_cast<std::uint8_t>(std::clamp(v + ((alpha_q16 * d + (1 << 19)) >> 20), 0, 255));
    }
  }
}

// A fill colour and alpha in the fixed point overlay_row takes.
struct Paint {
  std::int32_t alpha_q16 = 0;              // alpha in 1/65536
  std::int32_t y16 = 0, u16 = 0, v16 = 0;  // luma and chroma above black and grey, 1/16 levels
};

Paint paint_of(double r, double g, double b, double alpha) {
  // Cairo hands pixman the alpha as 16 bits and pixman keeps the top 8.
  const int alpha8 = static_cast<int>(std::clamp(alpha, 0.0, 1.0) * 65535 + 0.5) >> 8;
  const double r8 = std::round(std::clamp(r, 0.0, 1.0) * 255);
  const double g8 = std::round(std::clamp(g, 0.0, 1.0) * 255);
  const double b8 = std::round(std::clamp(b, 0.0, 1.0) * 255);
  const auto level16 = [&](std::int32_t kr, std::int32_t kg, std::int32_t kb) {
    return static_cast<std::int32_t>(std::lround((kr * r8 + kg * g8 + kb * b8) * 16 / 65536.0));
  };
  return {static_cast<std::int32_t>(std::lround(alpha8 * 65536.0 / 255.0)), level16(kYr, kYg, kYb),
          level16(kUr, kUg, kUb), level16(kVr, kVg, kVb)};
}

// The frame area a picture of w x h placed at (x, y) covers, widened to even coordinates (whole
// 2x2 chroma blocks) and clipped to the frame: {x, y, w, h}.
std::array<int, 4> even_box(int x, int y, int w, int h, int frame_w, int frame_h) {
  const int x0 = std::max(0, x) & ~1, y0 = std::max(0, y) & ~1;
  const int x1 = std::min(frame_w, (x + w + 1) & ~1);
  const int y1 = std::min(frame_h, (y + h + 1) & ~1);
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

}  // namespace

void YuvLayer::build(cairo_surface_t* picture, int x, int y, int frame_w, int frame_h) {
  cairo_surface_flush(picture);
  const int pic_w = cairo_image_surface_get_width(picture);
  const int pic_h = cairo_image_surface_get_height(picture);
  const auto [x0, y0, box_w, box_h] = even_box(x, y, pic_w, pic_h, frame_w, frame_h);
  x_ = x0;
  y_ = y0;
  w_ = box_w;
  h_ = box_h;
  const std::uint8_t* data = cairo_image_surface_get_data(picture);
  const int stride = cairo_image_surface_get_stride(picture);
  const auto pixel = [&](int fx, int fy) -> const std::uint8_t* {  // B, G, R, A premultiplied
    static constexpr std::uint8_t kClear[4] = {0, 0, 0, 0};
    const int px = fx - x, py = fy - y;
    if (px < 0 || py < 0 || px >= pic_w || py >= pic_h) return kClear;
    return data + static_cast<std::ptrdiff_t>(py) * stride + 4 * px;
  };
  a_.assign(static_cast<std::size_t>(w_) * h_, 0);
  y_of_.assign(a_.size(), 0);
  for (int row = 0; row < h_; ++row)
    for (int col = 0; col < w_; ++col) {
      const std::uint8_t* p = pixel(x0 + col, y0 + row);
      const std::size_t i = static_cast<std::size_t>(row) * w_ + col;
      a_[i] = p[3];
      y_of_[i] = static_cast<std::int16_t>((kYr * p[2] + kYg * p[1] + kYb * p[0] + 2048) >> 12);
    }
  const std::size_t blocks = static_cast<std::size_t>(w_ / 2) * (h_ / 2);
  a_chroma_.assign(blocks, 0);
  u_of_.assign(blocks, 0);
  v_of_.assign(blocks, 0);
  for (int row = 0; row < h_ / 2; ++row)
    for (int col = 0; col < w_ / 2; ++col) {
      std::int32_t b = 0, g = 0, r = 0, a = 0;
      for (int k = 0; k < 4; ++k) {
        const std::uint8_t* p = pixel(x0 + 2 * col + k % 2, y0 + 2 * row + k / 2);
        b += p[0];
        g += p[1];
        r += p[2];
        a += p[3];
      }
      const std::size_t i = static_cast<std::size_t>(row) * (w_ / 2) + col;
      a_chroma_[i] = static_cast<std::uint8_t>((a + 2) >> 2);
      u_of_[i] = static_cast<std::int16_t>((kUr * r + kUg * g + kUb * b + (1 << 13)) >> 14);
      v_of_[i] = static_cast<std::int16_t>((kVr * r + kVg * g + kVb * b + (1 << 13)) >> 14);
    }
}

void YuvLayer::apply(double alpha, AVFrame* out) const {
  const std::int32_t alpha_q16 = paint_of(0, 0, 0, alpha).alpha_q16;
  if (alpha_q16 == 0 || w_ == 0 || h_ == 0) return;
  layer_rows(out->data[0] + static_cast<std::ptrdiff_t>(y_) * out->linesize[0] + x_,
             out->linesize[0], h_, a_.data(), y_of_.data(), w_, alpha_q16, 16);
  for (int plane = 1; plane < 3; ++plane)
    layer_rows(
        out->data[plane] + static_cast<std::ptrdiff_t>(y_ / 2) * out->linesize[plane] + x_ / 2,
        out->linesize[plane], h_ / 2, a_chroma_.data(), plane == 1 ? u_of_.data() : v_of_.data(),
        w_ / 2, alpha_q16, 128);
}

void YuvOverlay::build(cairo_surface_t* mask, int x, int y, int frame_w, int frame_h) {
  cairo_surface_flush(mask);
  const int mask_w = cairo_image_surface_get_width(mask);
  const int mask_h = cairo_image_surface_get_height(mask);
  const auto [x0, y0, box_w, box_h] = even_box(x, y, mask_w, mask_h, frame_w, frame_h);
  x_ = x0;
  y_ = y0;
  w_ = box_w;
  h_ = box_h;
  const std::uint8_t* data = cairo_image_surface_get_data(mask);
  const int stride = cairo_image_surface_get_stride(mask);
  const auto at = [&](int fx, int fy) -> int {  // the mask at frame position (fx, fy)
    const int mx = fx - x, my = fy - y;
    if (mx < 0 || my < 0 || mx >= mask_w || my >= mask_h) return 0;
    return data[static_cast<std::ptrdiff_t>(my) * stride + mx];
  };
  a_.assign(static_cast<std::size_t>(w_) * h_, 0);
  for (int row = 0; row < h_; ++row)
    for (int col = 0; col < w_; ++col)
      a_[static_cast<std::size_t>(row) * w_ + col] =
          static_cast<std::uint8_t>(at(x0 + col, y0 + row));
  a_chroma_.assign(static_cast<std::size_t>(w_ / 2) * (h_ / 2), 0);
  for (int row = 0; row < h_ / 2; ++row)
    for (int col = 0; col < w_ / 2; ++col) {
      const int fx = x0 + 2 * col, fy = y0 + 2 * row;
      const int sum = at(fx, fy) + at(fx + 1, fy) + at(fx, fy + 1) + at(fx + 1, fy + 1);
      a_chroma_[static_cast<std::size_t>(row) * (w_ / 2) + col] =
          static_cast<std::uint8_t>((sum + 2) >> 2);
    }
  // Where each row's mask is not zero, to leave the rest (a glow's corners) alone.
  const auto spans = [](const std::vector<std::uint8_t>& m, int w, int h) {
    std::vector<std::pair<int, int>> out(static_cast<std::size_t>(h), {0, 0});
    for (int row = 0; row < h; ++row) {
      const std::uint8_t* r = &m[static_cast<std::size_t>(row) * w];
      int lo = 0, hi = w;
      while (lo < w && r[lo] == 0) ++lo;
      while (hi > lo && r[hi - 1] == 0) --hi;
      out[static_cast<std::size_t>(row)] = {lo, hi};
    }
    return out;
  };
  span_ = spans(a_, w_, h_);
  span_chroma_ = spans(a_chroma_, w_ / 2, h_ / 2);
}

void fill_rect_yuv(double x0, double y0, double x1, double y1, double r, double g, double b,
                   double alpha, AVFrame* out) {
  const Paint paint = paint_of(r, g, b, alpha);
  if (paint.alpha_q16 == 0) return;
  // Edges in 24.8 fixed point, clipped to the picture.
  const auto fixed = [](double v, int hi) {
    return static_cast<int>(std::clamp<long>(std::lround(v * 256), 0, 256L * hi));
  };
  const int fx0 = fixed(x0, out->width), fx1 = fixed(x1, out->width);
  const int fy0 = fixed(y0, out->height), fy1 = fixed(y1, out->height);
  if (fx1 <= fx0 || fy1 <= fy0) return;
  // The pixels touched, widened to whole 2x2 chroma blocks.
  const int c0 = (fx0 >> 8) & ~1, c1 = std::min(out->width, (((fx1 + 255) >> 8) + 1) & ~1);
  const int r0 = (fy0 >> 8) & ~1, r1 = std::min(out->height, (((fy1 + 255) >> 8) + 1) & ~1);
  const int w = c1 - c0;
  const auto cover = [](int lo, int hi, int pixel) {  // 0..256
    return std::clamp(std::min(hi, 256 * (pixel + 1)) - std::max(lo, 256 * pixel), 0, 256);
  };
  thread_local std::vector<std::int32_t> across;
  thread_local std::vector<std::uint8_t> mask, mask2, chroma;
  across.resize(static_cast<std::size_t>(w));
  mask.resize(static_cast<std::size_t>(w));
  mask2.resize(static_cast<std::size_t>(w));
  chroma.resize(static_cast<std::size_t>(w / 2));
  for (int i = 0; i < w; ++i) across[static_cast<std::size_t>(i)] = cover(fx0, fx1, c0 + i);
  const auto mask_row = [&](int row, std::vector<std::uint8_t>& m) {
    const int down = cover(fy0, fy1, row);
    for (int i = 0; i < w; ++i)
      m[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(
          (across[static_cast<std::size_t>(i)] * down * 255 + 32768) >> 16);
  };
  // Row pairs: those fully covered from top to bottom share one mask, so they go in one call.
  for (int row = r0; row < r1;) {
    int pairs = 1;
    mask_row(row, mask);
    mask_row(row + 1, mask2);
    if (cover(fy0, fy1, row) == 256 && cover(fy0, fy1, row + 1) == 256)
      while (row + 2 * pairs + 1 < r1 && cover(fy0, fy1, row + 2 * pairs + 1) == 256) ++pairs;
    for (int i = 0; i < w / 2; ++i) {
      const std::size_t k = 2 * static_cast<std::size_t>(i);
      chroma[static_cast<std::size_t>(i)] =
          static_cast<std::uint8_t>((mask[k] + mask[k + 1] + mask2[k] + mask2[k + 1] + 2) >> 2);
    }
    std::uint8_t* luma = out->data[0] + static_cast<std::ptrdiff_t>(row) * out->linesize[0] + c0;
    if (pairs == 1) {
      overlay_rows(luma, 0, 1, mask.data(), 0, paint.y16, paint.alpha_q16, 16, w);
      overlay_rows(luma + out->linesize[0], 0, 1, mask2.data(), 0, paint.y16, paint.alpha_q16, 16,
                   w);
    } else {
      overlay_rows(luma, out->linesize[0], 2 * pairs, mask.data(), 0, paint.y16, paint.alpha_q16,
                   16, w);
    }
    const std::ptrdiff_t c = row / 2;
    overlay_rows(out->data[1] + c * out->linesize[1] + c0 / 2, out->linesize[1], pairs,
                 chroma.data(), 0, paint.u16, paint.alpha_q16, 128, w / 2);
    overlay_rows(out->data[2] + c * out->linesize[2] + c0 / 2, out->linesize[2], pairs,
                 chroma.data(), 0, paint.v16, paint.alpha_q16, 128, w / 2);
    row += 2 * pairs;
  }
}

void YuvOverlay::apply(double r, double g, double b, double alpha, const AVFrame* under,
                       AVFrame* out) const {
  const Paint paint = paint_of(r, g, b, alpha);
  for (int plane = 0; plane < 3; ++plane) {
    const int shift = plane ? 1 : 0;
    const int rows = out->height >> shift, width = out->width >> shift;
    const int bx = x_ >> shift, by = y_ >> shift, bh = h_ >> shift, bw = w_ >> shift;
    const auto& spans = plane ? span_chroma_ : span_;
    const std::uint8_t* mask = plane ? a_chroma_.data() : a_.data();
    const std::int32_t colour16 = plane == 0 ? paint.y16 : plane == 1 ? paint.u16 : paint.v16;
    for (int y = 0; y < rows; ++y) {
      std::uint8_t* dst = out->data[plane] + static_cast<std::ptrdiff_t>(y) * out->linesize[plane];
      const std::uint8_t* src =
          under->data[plane] + static_cast<std::ptrdiff_t>(y) * under->linesize[plane];
      int lo = 0, hi = 0;  // columns painted, in the frame
      if (paint.alpha_q16 != 0 && y >= by && y < by + bh) {
        lo = bx + spans[static_cast<std::size_t>(y - by)].first;
        hi = bx + spans[static_cast<std::size_t>(y - by)].second;
      }
      if (lo >= hi) {
        if (dst != src) std::memcpy(dst, src, static_cast<std::size_t>(width));
        continue;
      }
      if (dst != src) {
        std::memcpy(dst, src, static_cast<std::size_t>(lo));
        std::memcpy(dst + hi, src + hi, static_cast<std::size_t>(width - hi));
      }
      overlay_rows(dst + lo, 0, 1, mask + static_cast<std::ptrdiff_t>(y - by) * bw + (lo - bx), 0,
                   colour16, paint.alpha_q16, plane ? 128 : 16, hi - lo, src + lo, 0);
    }
  }
}

Mp4Writer::Mp4Writer(const std::filesystem::path& path, const std::string& display_path,
                     const VideoOptions& options, const PcmSource& audio)
    : display_path_(display_path), audio_(audio), fps_(options.fps) {
  // libx264 and the muxer report every encode at info level; only errors are worth showing.
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
  });
  try {
    open(path, options);
  } catch (...) {
    release();  // the destructor does not run when a constructor throws
    throw;
  }
}

void Mp4Writer::open(const std::filesystem::path& path, const VideoOptions& options) {
  const PcmSource& audio = audio_;
  const AVCodec* h264 = avcodec_find_encoder_by_name("libx264");
  if (!h264)
    fail_resource(
        "libx264", "this libavcodec has no H.264 encoder (libx264)",
        "install Debian's libavcodec59 (it includes libx264): sudo apt-get install libavcodec59");
  const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!aac)
    fail_resource("aac", "this libavcodec has no AAC encoder",
                  "install Debian's libavcodec59: sudo apt-get install libavcodec59");

  if (avformat_alloc_output_context2(&format_, nullptr, "mp4", path.c_str()) < 0 || !format_)
    fail_internal("cannot create an MP4 muxer (libavformat)");

  // Video: H.264 High, yuv420p, constant frame rate.
  video_enc_ = avcodec_alloc_context3(h264);
  packet_ = av_packet_alloc();
  audio_frame_ = av_frame_alloc();
  if (!video_enc_ || !packet_ || !audio_frame_) fail_internal("out of memory setting up encoders");
  video_enc_->width = options.width;
  video_enc_->height = options.height;
  video_enc_->pix_fmt = AV_PIX_FMT_YUV420P;
  video_enc_->time_base = AVRational{1, options.fps};
  video_enc_->framerate = AVRational{options.fps, 1};
  video_enc_->gop_size = options.fps * 4;
  video_enc_->color_range = AVCOL_RANGE_MPEG;
  video_enc_->colorspace = AVCOL_SPC_BT709;
  video_enc_->color_primaries = AVCOL_PRI_BT709;
  video_enc_->color_trc = AVCOL_TRC_BT709;
  if (format_->oformat->flags & AVFMT_GLOBALHEADER)
    video_enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set(video_enc_->priv_data, "preset", options.preset.c_str(), 0);
  av_opt_set(video_enc_->priv_data, "profile", "high", 0);
  av_opt_set_double(video_enc_->priv_data, "crf", options.crf, 0);
  if (const int err = avcodec_open2(video_enc_, h264, nullptr); err < 0)
    fail_internal("cannot open the H.264 encoder: " + av_error_text(err));
  video_stream_ = avformat_new_stream(format_, nullptr);
  if (!video_stream_) fail_internal("cannot add the video stream");
  video_stream_->time_base = video_enc_->time_base;
  video_stream_->avg_frame_rate = video_enc_->framerate;
  video_stream_->r_frame_rate = video_enc_->framerate;
  avcodec_parameters_from_context(video_stream_->codecpar, video_enc_);

  // Audio: AAC-LC stereo at the buffer's sample rate.
  audio_enc_ = avcodec_alloc_context3(aac);
  if (!audio_enc_) fail_internal("out of memory setting up the AAC encoder");
  audio_enc_->sample_fmt = AV_SAMPLE_FMT_FLTP;
  audio_enc_->sample_rate = audio.sample_rate();
  av_channel_layout_default(&audio_enc_->ch_layout, 2);
  audio_enc_->bit_rate = options.audio_bitrate;
  audio_enc_->time_base = AVRational{1, audio.sample_rate()};
  if (format_->oformat->flags & AVFMT_GLOBALHEADER)
    audio_enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (const int err = avcodec_open2(audio_enc_, aac, nullptr); err < 0)
    fail_internal(fmt::format("cannot open the AAC encoder at {} Hz: {}", audio.sample_rate(),
                              av_error_text(err)));
  small_last_frame_ = (aac->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) != 0;
  audio_stream_ = avformat_new_stream(format_, nullptr);
  if (!audio_stream_) fail_internal("cannot add the audio stream");
  audio_stream_->time_base = audio_enc_->time_base;
  avcodec_parameters_from_context(audio_stream_->codecpar, audio_enc_);

  if (const int err = avio_open(&format_->pb, path.c_str(), AVIO_FLAG_WRITE); err < 0)
    fail_output(display_path_, fmt::format("cannot create the video file ({})", av_error_text(err)),
                "check that the folder exists and is writable");
  io_open_ = true;
  AVDictionary* mux_options = nullptr;
  av_dict_set(&mux_options, "movflags", "+faststart", 0);
  const int err = avformat_write_header(format_, &mux_options);
  av_dict_free(&mux_options);
  if (err < 0) fail_write(err, "cannot write the MP4 header");
}

Mp4Writer::~Mp4Writer() {
  release();
}

void Mp4Writer::release() {
  if (io_open_) avio_closep(&format_->pb);
  io_open_ = false;
  avcodec_free_context(&video_enc_);
  avcodec_free_context(&audio_enc_);
  av_frame_free(&audio_frame_);
  av_packet_free(&packet_);
  avformat_free_context(format_);
  format_ = nullptr;
}

void Mp4Writer::fail_write(int err, const char* what) const {
  fail_output(display_path_, fmt::format("{} ({})", what, av_error_text(err)),
              "check free disk space and that the folder is writable");
}

void Mp4Writer::drain(AVCodecContext* enc, AVStream* stream, AVFrame* frame) {
  int err = avcodec_send_frame(enc, frame);
  if (err < 0) fail_internal("the encoder refused a frame: " + av_error_text(err));
  while (true) {
    err = avcodec_receive_packet(enc, packet_);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) fail_internal("encoding failed: " + av_error_text(err));
    if (enc == video_enc_ && packet_->duration == 0) packet_->duration = 1;
    av_packet_rescale_ts(packet_, enc->time_base, stream->time_base);
    packet_->stream_index = stream->index;
    err = av_interleaved_write_frame(format_, packet_);  // takes the packet's reference
    if (err < 0) fail_write(err, "cannot write to the video file");
  }
}

void Mp4Writer::encode_audio_until(std::int64_t end_sample) {
  const auto total = static_cast<std::int64_t>(audio_.frames());
  end_sample = std::min(end_sample, total);
  const int frame_size = audio_enc_->frame_size > 0 ? audio_enc_->frame_size : 1024;
  const int channels = std::max(audio_.channels(), 1);
  while (audio_pos_ < end_sample) {
    // Whole encoder frames only, except the last one of the audio.
    const std::int64_t left = total - audio_pos_;
    if (left >= frame_size && audio_pos_ + frame_size > end_sample) return;
    const int count = static_cast<int>(std::min<std::int64_t>(left, frame_size));
    av_frame_unref(audio_frame_);
    audio_frame_->format = AV_SAMPLE_FMT_FLTP;
    audio_frame_->sample_rate = audio_enc_->sample_rate;
    audio_frame_->nb_samples = small_last_frame_ ? count : frame_size;
    av_channel_layout_copy(&audio_frame_->ch_layout, &audio_enc_->ch_layout);
    if (const int err = av_frame_get_buffer(audio_frame_, 0); err < 0)
      fail_internal("cannot allocate an audio frame: " + av_error_text(err));
    auto* left_out = reinterpret_cast<float*>(audio_frame_->data[0]);
    auto* right_out = reinterpret_cast<float*>(audio_frame_->data[1]);
    audio_block_.resize(static_cast<std::size_t>(count) * static_cast<std::size_t>(channels));
    audio_.read(audio_pos_, static_cast<std::size_t>(count), audio_block_.data());
    const float* in = audio_block_.data();
    for (int i = 0; i < audio_frame_->nb_samples; ++i) {
      if (i >= count) {
        left_out[i] = right_out[i] = 0.0f;
        continue;
      }
      left_out[i] = in[i * channels];
      right_out[i] = in[i * channels + (channels > 1 ? 1 : 0)];
    }
    audio_frame_->pts = audio_pos_;
    drain(audio_enc_, audio_stream_, audio_frame_);
    audio_pos_ += count;
  }
}

void Mp4Writer::write_video(AVFrame* frame) {
  frame->pts = video_pts_++;
  drain(video_enc_, video_stream_, frame);
  encode_audio_until(video_pts_ * audio_.sample_rate() / fps_);
}

void Mp4Writer::finish() {
  if (finished_) return;
  encode_audio_until(static_cast<std::int64_t>(audio_.frames()));
  drain(video_enc_, video_stream_, nullptr);
  drain(audio_enc_, audio_stream_, nullptr);
  if (const int err = av_write_trailer(format_); err < 0) fail_write(err, "cannot finish the MP4");
  io_open_ = false;
  if (const int err = avio_closep(&format_->pb); err < 0) fail_write(err, "cannot close the MP4");
  finished_ = true;
}

}  // namespace tonepoem::video
