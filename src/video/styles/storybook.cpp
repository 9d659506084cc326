// storybook: the user's pictures carry the frame (the compositor shows them, with slow pan and
// zoom, cut on downbeats); this style adds only a low, quiet row of bars along the bottom edge.
// beatlight: the same, and the pictures lit on the beats: a flash of light in the emotion's
// colour over the frame on every beat, strongest on the downbeats and where the music is loud.
#include <algorithm>

#include "video/style.h"

namespace tonepoem::video {
namespace {

class StorybookStyle : public VideoStyle {
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

 protected:
  FrameGeometry g_;
};

class BeatLightStyle final : public StorybookStyle {
 public:
  using StorybookStyle::StorybookStyle;

  void draw_music(cairo_t* cr, const MusicFrame& f, Canvas& canvas) override {
    // The pulse is 1 on a downbeat and 0.6 on another beat, decaying in 0.14 s: squared, the
    // downbeats stand out (1 against 0.36). Loud passages flash harder than quiet ones.
    const double light = 0.55 * f.pulse * f.pulse * (0.35 + 0.65 * std::clamp(f.glow, 0.0, 1.0));
    if (light > 1.0 / 255) {
      const Rgb& c = f.look.colour;
      const Rgb tint{0.4 * c.r + 0.6, 0.4 * c.g + 0.6, 0.4 * c.b + 0.6};
      canvas.glow(cr, g_.width / 2.0, g_.height / 2.0, g_.width * 0.8, g_.height * 0.8, tint,
                  light);
    }
    StorybookStyle::draw_music(cr, f, canvas);
  }
};

}  // namespace

std::unique_ptr<VideoStyle> make_storybook_style(const StyleSetup& setup) {
  return std::make_unique<StorybookStyle>(setup.geometry);
}

std::unique_ptr<VideoStyle> make_beatlight_style(const StyleSetup& setup) {
  return std::make_unique<BeatLightStyle>(setup.geometry);
}

}  // namespace tonepoem::video
