// The compositor of the music video's frames, drawn with Cairo: the style's background and
// music (style.h, styles/), the user's pictures under them in every style, and over them the
// captions, title, section cards and closing credits; and the fast path that draws straight to
// yuv420p. Every event is placed at frame round(t * fps) from absolute times.
#pragma once

#include <cairo.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "model/timeline.h"
#include "video/clip_frames.h"
#include "video/encoder.h"
#include "video/spectrum.h"
#include "video/style.h"
#include "video/text.h"
#include "video/video.h"

namespace tonepoem::video {

// Number of frames of a video of the audio: round(duration * fps), at least 1.
std::int64_t frame_count(double duration_s, int fps);

// Not thread-safe; use one painter per thread (it owns Pango and FFTW state). The inputs must
// outlive it. The options are meant to be valid (VideoOptions::validate); an unknown style name
// draws the default style.
class FramePainter final : private Canvas {
 public:
  FramePainter(const PcmSource& audio, const Timeline& timeline, const VideoOptions& options);
  ~FramePainter();
  FramePainter(const FramePainter&) = delete;
  FramePainter& operator=(const FramePainter&) = delete;

  std::int64_t frames() const { return frames_; }
  // Paints frame `n` onto `target` (an ARGB32 image surface of the options' size). Frames are
  // meant to come in order; a jump re-runs the spectrum smoothing over the frames just before
  // `n`, so a frame looks the same however it is reached.
  void paint(std::int64_t n, cairo_surface_t* target);
  // The same frame `n` as yuv420p into `out`: what paint() and converter.convert() give, within
  // the rounding of YuvOverlay (a level, now and then two) where the glow lies bare. Cheaper:
  // the background and the glow are converted once while they stay the same, and only the boxes
  // around the bars and texts are drawn (onto `scratch`, an ARGB32 surface of the frame's size)
  // and converted. Styles that move everywhere (particles, pictures) are drawn and converted
  // whole (VideoStyle::draws_whole). Frames are meant to come in order, as for paint().
  void paint_yuv(std::int64_t n, cairo_surface_t* scratch, BgraToYuv& converter, AVFrame* out);

 private:
  // Where paint_yuv must draw: the glow, blended in YUV, and the boxes around everything else
  // drawn over the background, in pixels.
  struct Box {
    int x0, y0, x1, y1;
  };
  struct Fill {  // rectangles filled with one colour, drawn in YUV by paint_yuv
    std::vector<FillRect> rects;
    Rgb colour;
    double alpha = 1;
  };
  struct SpriteUse {  // a text sprite at (x, y), painted in YUV by paint_yuv
    cairo_surface_t* surface = nullptr;
    int x = 0, y = 0;
    double alpha = 1;
  };
  struct Layout {
    bool glow = false;
    int glow_x = 0, glow_y = 0;
    Rgb glow_tint;
    double glow_alpha = 0;
    std::vector<Fill> fills;         // over the glow, in order
    std::vector<SpriteUse> sprites;  // over the fills, in order
    std::vector<Box> boxes;          // over everything else
  };

  // Draws frame n with `cr`; with layout_ set, only notes where (see Layout).
  void draw(cairo_t* cr, std::int64_t n);
  // Canvas, for the style: with layout_ set, fill() and stroke() note the path's box instead,
  // fill_rects() and glow() note what to draw in YUV.
  void fill(cairo_t* cr) override;
  void stroke(cairo_t* cr) override;
  void fill_rects(cairo_t* cr, const std::vector<FillRect>& rects, const Rgb& colour,
                  double alpha) override;
  void glow(cairo_t* cr, double cx, double cy, double rx, double ry, const Rgb& tint,
            double alpha) override;
  // Its shape is drawn once as a mask, so a change of tension or colour is a cheap masked fill
  // instead of a radial gradient again.
  void vignette(cairo_t* cr, double inner, double alpha) override;
  // fill() and stroke(): draw the path, or note its box (extents), or drop it.
  void finish_path(cairo_t* cr, void (*paint_path)(cairo_t*),
                   void (*extents)(cairo_t*, double*, double*, double*, double*));
  void note_box(double x0, double y0, double x1, double y1);

  Look look_at(double t) const;
  double pulse_at(std::int64_t n) const;
  const std::vector<float>& spectrum_at(std::int64_t n, float* rms);
  const TextSprite& sprite(const std::string& key, const std::string& text, const TextStyle& style,
                           const TextEmphasis* emphasis = nullptr);
  // The emphasis of caption `i` at frame `n` and a key naming it; false when it has no words.
  bool word_emphasis(std::size_t i, std::int64_t n, TextEmphasis* emphasis, std::string* key) const;

  // The style's background, or with pictures a colour grade over them.
  void draw_background(cairo_t* cr, const Look& look);
  void draw_texts(cairo_t* cr, std::int64_t n);
  void build_slides();
  void draw_slide(cairo_t* cr, std::int64_t n);
  void draw_sprite(cairo_t* cr, const TextSprite& s, double cx, double cy, double alpha);
  // The user's video clips (Timeline::clips): the clip's frame of frame n, centre-cropped.
  void draw_clip(cairo_t* cr, std::int64_t n);
  // Pictures or clips under everything: a colour grade instead of the style's background.
  bool shows_pictures() const { return !slides_.empty() || !clip_first_.empty(); }

  const Timeline& timeline_;
  VideoOptions options_;
  FrameGeometry geometry_;
  std::unique_ptr<VideoStyle> style_;
  std::int64_t frames_;
  double fps_;
  int width_, height_;
  double unit_;  // min(width, height): sizes scale with it

  SpectrumAnalyzer analyzer_;
  SpectrumSmoother smoother_;
  std::int64_t last_frame_ = -2;
  float last_rms_ = 0;
  // Per frame, the glow's strength: the mix's RMS over 1.5 s around the frame, in steps of 1/50.
  // It follows the music's loudness slowly instead of pulsing with every beat (the bars pulse):
  // a large area whose brightness changes every frame costs the encoder about a fifth more CPU
  // and a quarter more bits (measured on the bundled example).
  std::vector<float> glow_level_;
  double glow_level_at(std::int64_t n) const;

  // Per caption, its timed words located in its text: byte range and frames [first, end).
  struct TimedWord {
    std::size_t begin = 0, end = 0;
    std::int64_t first = 0, last = 0;  // highlighted on frames [first, last)
  };
  std::vector<std::vector<TimedWord>> caption_words_;

  std::vector<std::int64_t> beat_frames_;
  std::vector<bool> downbeat_;

  TextRenderer text_;
  struct CachedSprite {
    TextSprite sprite;
    std::uint64_t used = 0;
  };
  std::map<std::string, CachedSprite> sprites_;
  std::uint64_t use_clock_ = 0;

  SurfacePtr background_;
  Look background_look_{{-1, -1, -1}, -1};
  // Pictures: one slide per span between cuts, each with its own slow zoom and pan.
  struct Slide {
    std::size_t image = 0;
    std::int64_t first = 0, end = 0;  // frames [first, end)
    double zoom_from = 1, zoom_to = 1.12;
    double pan_x = 0, pan_y = 0;  // -1..1, drift direction across the slide
  };
  std::vector<Slide> slides_;
  std::map<std::size_t, SurfacePtr> images_;  // decoded pictures, at most two held
  int image_w_ = 0, image_h_ = 0;
  // Clips: each clip cut's first frame (ascending) and the decoder of the one shown.
  std::vector<std::int64_t> clip_first_;
  std::unique_ptr<ClipFrames> clip_frames_;

  Layout* layout_ = nullptr;
  // What draw() paints: everything, or for paint_yuv's boxes the background and glow under the
  // rest, or the rest.
  enum class Part { all, under, over } part_ = Part::all;
  const std::vector<Box>* boxes_ = nullptr;  // paint_yuv's boxes while it draws Part::over
  // Text sprites in YUV terms, by surface and place, least recently used dropped first.
  struct SpriteLayer {
    SurfacePtr surface;
    int x = 0, y = 0;
    YuvLayer layer;
    std::uint64_t used = 0;
  };
  std::vector<SpriteLayer> sprite_layers_;
  const YuvLayer& sprite_layer(const SpriteUse& use);
  std::uint64_t background_version_ = 0, glow_version_ = 0;
  AVFrame* base_ = nullptr;  // the background as yuv420p
  std::uint64_t base_version_ = 0;
  YuvOverlay glow_yuv_;
  std::uint64_t glow_yuv_glow_ = 0;
  int glow_yuv_x_ = 0, glow_yuv_y_ = 0;

  SurfacePtr vignette_;  // A8 mask
  SurfacePtr glow_;      // A8 mask
  int glow_w_ = 0, glow_h_ = 0;
  std::string title_, credits_;
};

}  // namespace tonepoem::video
