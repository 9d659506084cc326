// storybook: the user's pictures carry the frame (the compositor shows them, with slow pan and
// zoom, cut on downbeats); this style adds only a low, quiet row of bars along the bottom edge.
#include <algorithm>

#include "video/style.h"

namespace tonepoem::video {
namespace {

class StorybookStyle final : public VideoStyle {
 public:
  explicit StorybookStyle(const FrameGeometry& g) : g_(g) {}

  void draw_music(cairo_t* cr, const MusicFrame& f, Canvas& canvas) override {
    const double bars = static_cast<double>(f.levels.size());
    const double slot = g_.width / bars, max_h = g_.height * 0.07;
    for (std::size_t i = 0; i < f.levels.size(); ++i) {
      const double h = std::max(1.0, f.levels[i] * max_h * (0.85 + 0.15 * f.pulse));
      cairo_rectangle(cr, static_cast<double>(i) * slot + slot * 0.2, g_.height - h, slot * 0.6, h);
    }
    cairo_set_source_rgba(cr, 1, 1, 1, 0.35 + 0.2 * f.pulse);
    canvas.fill(cr);
  }

 private:
  FrameGeometry g_;
};

}  // namespace

std::unique_ptr<VideoStyle> make_storybook_style(const StyleSetup& setup) {
  return std::make_unique<StorybookStyle>(setup.geometry);
}

}  // namespace tonepoem::video
