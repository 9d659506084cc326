// minimal: a flat emotion colour, a thin spectrum line and large typographic captions without
// a box.
#include <algorithm>
#include <cmath>

#include "video/style.h"

namespace tonepoem::video {
namespace {

class MinimalStyle final : public VideoStyle {
 public:
  explicit MinimalStyle(const FrameGeometry& g) : g_(g) {}

  void draw_background(cairo_t* bg, const FrameGeometry&, const Look& look,
                       Canvas&) const override {
    const Rgb flat = scale(look.colour, 0.7);
    cairo_set_source_rgb(bg, flat.r, flat.g, flat.b);
    cairo_paint(bg);
  }

  void draw_music(cairo_t* cr, const MusicFrame& f, Canvas& canvas) override {
    const double bars = static_cast<double>(f.levels.size());
    const double x0 = g_.width * 0.1, x1 = g_.width * 0.9;
    const double slot = (x1 - x0) / bars;
    const double baseline = g_.height * 0.6, max_h = g_.height * 0.3;
    cairo_set_line_width(cr, std::max(1.0, g_.unit * 0.005));
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.55 + 0.35 * f.pulse);
    for (std::size_t i = 0; i < f.levels.size(); ++i) {
      const double x = x0 + (static_cast<double>(i) + 0.5) * slot;
      const double y = baseline - f.levels[i] * max_h * 0.5;
      if (i == 0)
        cairo_move_to(cr, x, y);
      else
        cairo_line_to(cr, x, y);
    }
    canvas.stroke(cr);
  }

  TextStyle caption_style(const FrameGeometry& g, const Emotion&) const override {
    TextStyle st;
    st.size_px = g.unit * 0.065;
    st.max_height_px = g.height * 0.26;
    st.box = false;
    st.outline_px = g.outline();
    st.max_width_px = g.text_width() - 2 * std::ceil(g.outline() + 2);
    return st;
  }

  double caption_centre_y(const FrameGeometry& g, double height) const override {
    return std::min(g.height * 0.75, g.height * 0.9 - height / 2.0);
  }

 private:
  FrameGeometry g_;
};

}  // namespace

std::unique_ptr<VideoStyle> make_minimal_style(const StyleSetup& setup) {
  return std::make_unique<MinimalStyle>(setup.geometry);
}

}  // namespace tonepoem::video
