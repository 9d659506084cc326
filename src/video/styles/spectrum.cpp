// spectrum (the default): glowing log-frequency bars over an emotion gradient, with a faint
// reflection, pulsing on the beats; a glow behind them follows the loudness slowly.
#include <algorithm>

#include "video/style.h"

namespace tonepoem::video {
namespace {

class SpectrumStyle final : public VideoStyle {
 public:
  explicit SpectrumStyle(const FrameGeometry& g) : g_(g) {}

  void draw_music(cairo_t* cr, const MusicFrame& f, Canvas& canvas) override {
    const Rgb tint = light_tint(f.look.colour);
    const double bars = static_cast<double>(f.levels.size());
    const double x0 = g_.width * 0.1, x1 = g_.width * 0.9;
    const double slot = (x1 - x0) / bars;
    const double baseline = g_.height * 0.6, max_h = g_.height * 0.3;
    // Glow behind the bars follows the loudness slowly; the bars pulse on the beats.
    canvas.glow(cr, g_.width / 2.0, baseline - max_h * 0.3, g_.width * 0.45, g_.height * 0.38, tint,
                glow_step(0.12 + 0.3 * f.glow));
    const double bar_w = std::max(1.0, slot * 0.62);
    const double boost = 0.85 + 0.15 * f.pulse;
    std::vector<FillRect> bars_up, bars_down;  // the bars and their faint reflection
    for (std::size_t i = 0; i < f.levels.size(); ++i) {
      const double h = std::max(2.0, f.levels[i] * max_h * boost);
      const double x = x0 + static_cast<double>(i) * slot + (slot - bar_w) / 2;
      bars_up.push_back({x, baseline - h, x + bar_w, baseline});
      bars_down.push_back({x, baseline + 3, x + bar_w, baseline + 3 + h * 0.35});
    }
    canvas.fill_rects(cr, bars_up, tint, 0.78 + 0.22 * f.pulse);
    canvas.fill_rects(cr, bars_down, tint, 0.22);
  }

 private:
  FrameGeometry g_;
};

}  // namespace

std::unique_ptr<VideoStyle> make_spectrum_style(const StyleSetup& setup) {
  return std::make_unique<SpectrumStyle>(setup.geometry);
}

}  // namespace tonepoem::video
