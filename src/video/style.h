// The video styles: what a style draws (its background, the music over it, the look of its
// captions) behind one small interface, and the table that names them. The compositor
// (painter.h) draws everything the styles share: pictures, the title, section cards, captions
// and credits, and the fast YUV path.
//
// A new style is one file in styles/ (a class implementing VideoStyle and its factory) and one
// row in kStyles (style.cpp, its factory declared above the table); the table also gives
// `--list-styles` (video_styles) and option validation (VideoOptions::validate).
#pragma once

#include <cairo.h>

#include <cstdint>
#include <memory>
#include <numbers>
#include <span>
#include <string_view>
#include <vector>

#include "model/timeline.h"
#include "video/text.h"
#include "video/video.h"

namespace tonepoem::video {

// The frame's size, fixed for a video. Sizes scale with `unit`, min(width, height).
struct FrameGeometry {
  int width = 0, height = 0;
  double unit = 0;
  double fps = 0;
  double text_width() const { return width * 0.8; }  // wrapping width of titles and captions
  double outline() const;                            // text outline, in pixels
};

// The emotion's colour and tension at a time, cross-faded at cue changes.
struct Look {
  Rgb colour;
  double tension = 0;
};

// What the music looks like at frame `n` (time t = n / fps).
struct MusicFrame {
  std::int64_t n = 0;
  double t = 0;
  Look look;
  const std::vector<float>& levels;  // the smoothed spectrum, one level in 0..1 per bar
  float rms = 0;                     // the mix's RMS around the frame
  double pulse = 0;                  // beat pulse: 1 on a downbeat, 0.6 on a beat, decaying
  double glow = 0;                   // slow loudness for glows, in steps of 1/50
};

struct FillRect {
  double x0, y0, x1, y1;
};

// The compositor's drawing calls. Styles draw what paint_yuv may draw in YUV or only in boxes
// (see FramePainter::paint_yuv) through these; anything else they paint straight with Cairo
// only when they draw whole (VideoStyle::draws_whole).
class Canvas {
 public:
  virtual ~Canvas() = default;
  // Fill or stroke the current path (or, for paint_yuv, note where it lies).
  virtual void fill(cairo_t* cr) = 0;
  virtual void stroke(cairo_t* cr) = 0;
  // Rectangles filled with one colour, which paint_yuv fills in YUV.
  virtual void fill_rects(cairo_t* cr, const std::vector<FillRect>& rects, const Rgb& colour,
                          double alpha) = 0;
  // An elliptical radial fade of `tint` centred at (cx, cy) with radii (rx, ry), `alpha` at
  // its centre; at most one per frame, straight over the background (paint_yuv blends it in YUV).
  virtual void glow(cairo_t* cr, double cx, double cy, double rx, double ry, const Rgb& tint,
                    double alpha) = 0;
  // A radial darkening from `inner` (a fraction of the half diagonal) to the corners, reaching
  // `alpha` there. For backgrounds.
  virtual void vignette(cairo_t* cr, double inner, double alpha) = 0;
};

// One visual style. Made once per painter (so per thread); not thread-safe.
class VideoStyle {
 public:
  virtual ~VideoStyle() = default;

  // Paints the background for `look` with `bg` onto a surface of the frame's size; called again
  // only when the look changes. Not called while pictures are shown (they carry the background).
  // By default a vertical gradient of the emotion colour and a tension vignette.
  virtual void draw_background(cairo_t* bg, const FrameGeometry& g, const Look& look,
                               Canvas& canvas) const;
  // Draws the music over the background (and under the texts) for frame `f`.
  virtual void draw_music(cairo_t* cr, const MusicFrame& f, Canvas& canvas) = 0;
  // The text style of a caption whose sentence has `emotion`. By default a dark box with an
  // accent line in the emotion's colour.
  virtual TextStyle caption_style(const FrameGeometry& g, const Emotion& emotion) const;
  // The vertical centre of a caption sprite `height` pixels high. By default above the bottom
  // edge by a tenth of the frame.
  virtual double caption_centre_y(const FrameGeometry& g, double height) const;
  // True when the style moves all over the frame every frame: paint_yuv then draws and converts
  // frames whole instead of only the boxes that change.
  virtual bool draws_whole() const { return false; }
};

// What a style is made from. The inputs outlive the style.
struct StyleSetup {
  const Timeline& timeline;
  FrameGeometry geometry;
};

// The style table: the one place a style is named and described.
struct StyleEntry {
  std::string_view name;
  std::string_view description;
  bool needs_pictures = false;  // VideoOptions::images must not be empty
  std::unique_ptr<VideoStyle> (*make)(const StyleSetup& setup) = nullptr;
};
// In the order `--list-styles` shows them; the first is the default.
std::span<const StyleEntry> style_table();
const StyleEntry* find_style(std::string_view name);  // null when no style has that name

// Helpers the styles and the compositor share.
inline constexpr double kPi = std::numbers::pi;
Rgb scale(const Rgb& c, double k);  // each channel times k, clamped to [0, 1]
// A lighter, more luminous version of a background colour for things drawn over it.
Rgb light_tint(const Rgb& c);
// A glow's alpha in steps of 1/40, so that it changes on few frames (see the painter's glow
// level).
double glow_step(double alpha);

}  // namespace tonepoem::video
