// rings: a radial spectrum, mirrored left and right, around a disc that swells on the beats and
// brightens with the loudness, over an emotion gradient and a slow glow.
#include <algorithm>
#include <cmath>

#include "video/style.h"

namespace tonepoem::video {
namespace {

class RingsStyle final : public VideoStyle {
 public:
  explicit RingsStyle(const FrameGeometry& g) : g_(g) {}

  void draw_music(cairo_t* cr, const MusicFrame& f, Canvas& canvas) override {
    const Rgb tint = light_tint(f.look.colour);
    const double bars = static_cast<double>(f.levels.size());
    const double energy = std::clamp(static_cast<double>(f.rms) * 4.0, 0.0, 1.0);
    const double cx = g_.width / 2.0, cy = g_.height * 0.45;
    const double radius = g_.unit * 0.13 * (1.0 + 0.10 * f.pulse);
    canvas.glow(cr, cx, cy, g_.unit * 0.34, g_.unit * 0.34, tint, glow_step(0.25 + 0.3 * f.glow));
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, std::max(1.5, 2 * kPi * radius / (2 * bars) * 0.55));
    cairo_set_source_rgba(cr, tint.r, tint.g, tint.b, 0.8 + 0.2 * f.pulse);
    for (std::size_t i = 0; i < f.levels.size(); ++i) {
      const double len = 2 + f.levels[i] * g_.unit * 0.17;
      for (int side : {-1, 1}) {
        const double a = -kPi / 2 + side * kPi * (static_cast<double>(i) + 0.5) / bars;
        cairo_move_to(cr, cx + std::cos(a) * (radius + 3), cy + std::sin(a) * (radius + 3));
        cairo_line_to(cr, cx + std::cos(a) * (radius + 3 + len),
                      cy + std::sin(a) * (radius + 3 + len));
      }
    }
    canvas.stroke(cr);
    cairo_arc(cr, cx, cy, radius, 0, 2 * kPi);
    cairo_set_source_rgba(cr, tint.r, tint.g, tint.b, 0.18 + 0.3 * energy);
    canvas.fill(cr);
  }

 private:
  FrameGeometry g_;
};

}  // namespace

std::unique_ptr<VideoStyle> make_rings_style(const StyleSetup& setup) {
  return std::make_unique<RingsStyle>(setup.geometry);
}

}  // namespace tonepoem::video
