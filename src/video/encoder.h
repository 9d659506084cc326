// The MP4 writer: H.264 video through libx264 and AAC audio through libavcodec's native encoder,
// interleaved into one MP4 (moov up front). Video frames arrive in order as yuv420p AVFrames;
// the audio is encoded alongside so the muxer's interleaving buffer stays small.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <cairo.h>

#include "audio/audio.h"
#include "video/video.h"

struct AVFormatContext;
struct AVCodecContext;
struct AVStream;
struct AVFrame;
struct AVPacket;

namespace tonepoem::video {

// Allocates a yuv420p frame of the given size, every byte zero (padding included, so the encoder
// never sees leftover memory). Throws Error(internal) on failure.
AVFrame* alloc_yuv_frame(int width, int height);
void free_frame(AVFrame* frame);

// Packed BGRA (Cairo ARGB32 on little-endian machines) to yuv420p, BT.709 limited range.
class BgraToYuv {
 public:
  BgraToYuv(int width, int height);
  ~BgraToYuv();
  // Makes `out` writable (the encoder may still hold its previous buffer) and converts into it,
  // writing only the picture: the padding stays as alloc_yuv_frame left it (zero).
  void convert(const std::uint8_t* bgra, int stride, AVFrame* out);
  // Makes `out` writable, keeping its padding zero; its picture is then undefined.
  void prepare(AVFrame* out);
  // Converts only the box [x, x + w) x [y, y + h) of the picture into a prepared `out`, exactly
  // as convert() would there. x, y, w and h are even and the box lies inside the picture.
  void convert_box(const std::uint8_t* bgra, int stride, int x, int y, int w, int h, AVFrame* out);

 private:
  int width_, height_;
};

// A mask filled with a colour, kept in YUV terms to be painted with any colour and alpha straight
// onto a yuv420p picture. OVER is affine in the colour, so each sample becomes
// v + alpha * mask * (colour - v): a multiply-add on the planes instead of an RGB composite and a
// conversion. It matches cairo_mask_surface followed by BgraToYuv within rounding (a level, now
// and then two).
class YuvOverlay {
 public:
  // `mask` (Cairo A8) with its top-left corner at (x, y) in a frame of frame_w x frame_h; what
  // falls outside the frame is dropped.
  void build(cairo_surface_t* mask, int x, int y, int frame_w, int frame_h);
  // Paints the mask filled with colour (r, g, b in 0..1) at `alpha` over the picture in `under`
  // into `out` (the same frame, or one of the same size: the whole picture is written).
  void apply(double r, double g, double b, double alpha, const AVFrame* under, AVFrame* out) const;

 private:
  int x_ = 0, y_ = 0, w_ = 0, h_ = 0;       // even-aligned box inside the frame
  std::vector<std::uint8_t> a_, a_chroma_;  // the mask per pixel, and its mean per 2x2 block
  std::vector<std::pair<int, int>> span_, span_chroma_;  // per row: [first, last) non-zero
};

// A picture with its own colours and alpha (Cairo ARGB32, premultiplied: a text sprite), kept in
// YUV terms to be painted at any alpha over a yuv420p picture as YuvOverlay does. Its chroma is
// blended per 2x2 block with the block's mean alpha, so where sharp edges under it meet its own
// it differs from Cairo and BgraToYuv by a few levels; over smooth backgrounds, by rounding.
class YuvLayer {
 public:
  // The picture's top-left corner at (x, y) in a frame of frame_w x frame_h.
  void build(cairo_surface_t* picture, int x, int y, int frame_w, int frame_h);
  // Paints the picture at `alpha` (0..1, as cairo_paint_with_alpha) over `out`.
  void apply(double alpha, AVFrame* out) const;

 private:
  int x_ = 0, y_ = 0, w_ = 0, h_ = 0;  // even-aligned box inside the frame
  // Per pixel: alpha and luma; per 2x2 block: mean alpha and chroma; colours in 1/16 levels.
  std::vector<std::uint8_t> a_, a_chroma_;
  std::vector<std::int16_t> y_of_, u_of_, v_of_;
};

// Fills the rectangle [x0, x1) x [y0, y1) (pixels; edges between pixels antialiased by the area
// they cover, to 1/256 of a pixel as Cairo does) with colour (r, g, b in 0..1) at `alpha` over the
// yuv420p picture in `out`: cairo_rectangle and cairo_fill followed by BgraToYuv, within rounding
// (a level, now and then two).
void fill_rect_yuv(double x0, double y0, double x1, double y1, double r, double g, double b,
                   double alpha, AVFrame* out);

class Mp4Writer {
 public:
  // Opens `path` (written as MP4 whatever its extension) and both encoders. `display_path` names
  // the file in errors. Throws Error(output) if the file cannot be created, Error(missing_resource)
  // if libavcodec lacks libx264 or AAC.
  Mp4Writer(const std::filesystem::path& path, const std::string& display_path,
            const VideoOptions& options, const PcmSource& audio);
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // Encodes the next video frame (pts = frames written so far) and the audio up to its end.
  void write_video(AVFrame* frame);
  // Encodes the remaining audio, flushes both encoders, writes the trailer and closes the file.
  void finish();

 private:
  void open(const std::filesystem::path& path, const VideoOptions& options);
  void release();
  void encode_audio_until(std::int64_t end_sample);
  void drain(AVCodecContext* enc, AVStream* stream, AVFrame* frame);
  [[noreturn]] void fail_write(int err, const char* what) const;

  std::string display_path_;
  const PcmSource& audio_;
  std::vector<float> audio_block_;  // one encoder frame read from audio_
  int fps_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* video_enc_ = nullptr;
  AVCodecContext* audio_enc_ = nullptr;
  AVStream* video_stream_ = nullptr;
  AVStream* audio_stream_ = nullptr;
  AVFrame* audio_frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  std::int64_t video_pts_ = 0;
  std::int64_t audio_pos_ = 0;  // next sample frame to encode
  bool small_last_frame_ = false;
  bool io_open_ = false;
  bool finished_ = false;
};

}  // namespace tonepoem::video
