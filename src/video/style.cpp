#include "video/style.h"

#include <algorithm>
#include <cmath>

namespace tonepoem::video {

// One factory per file in styles/.
std::unique_ptr<VideoStyle> make_spectrum_style(const StyleSetup& setup);
std::unique_ptr<VideoStyle> make_rings_style(const StyleSetup& setup);
std::unique_ptr<VideoStyle> make_particles_style(const StyleSetup& setup);
std::unique_ptr<VideoStyle> make_minimal_style(const StyleSetup& setup);
std::unique_ptr<VideoStyle> make_storybook_style(const StyleSetup& setup);
std::unique_ptr<VideoStyle> make_beatlight_style(const StyleSetup& setup);

namespace {

constexpr StyleEntry kStyles[] = {
    {"spectrum", "glowing log-frequency bars over an emotion gradient, pulsing on the beats", false,
     make_spectrum_style},
    {"rings", "a radial spectrum around a disc that swells on the beats", false, make_rings_style},
    {"particles",
     "a drifting particle field: speed follows arousal, colour valence, size the music", false,
     make_particles_style},
    {"minimal", "a flat emotion colour, a thin spectrum line and large typographic captions", false,
     make_minimal_style},
    {"storybook", "the user's pictures (--images) with slow pan and zoom, cut on downbeats", true,
     make_storybook_style},
    {"beatlight",
     "storybook's pictures (or clips) lit on the beats: a flash of light on every beat, strongest "
     "on the downbeats and where the music is loud",
     true, make_beatlight_style},
};

}  // namespace

std::span<const StyleEntry> style_table() {
  return kStyles;
}

const StyleEntry* find_style(std::string_view name) {
  for (const auto& entry : kStyles)
    if (entry.name == name) return &entry;
  return nullptr;
}

double FrameGeometry::outline() const {
  return std::max(1.0, unit * 0.005);
}

Rgb scale(const Rgb& c, double k) {
  return {std::clamp(c.r * k, 0.0, 1.0), std::clamp(c.g * k, 0.0, 1.0),
          std::clamp(c.b * k, 0.0, 1.0)};
}

Rgb light_tint(const Rgb& c) {
  const double m = std::max({c.r, c.g, c.b, 1e-6});
  const Rgb full = scale(c, 1.0 / m);
  constexpr double w = 0.45;  // towards white
  return {full.r + (1 - full.r) * w, full.g + (1 - full.g) * w, full.b + (1 - full.b) * w};
}

double glow_step(double alpha) {
  return std::round(alpha * 40) / 40;
}

void VideoStyle::draw_background(cairo_t* bg, const FrameGeometry& g, const Look& look,
                                 Canvas& canvas) const {
  const Rgb& c = look.colour;
  cairo_pattern_t* grad = cairo_pattern_create_linear(0, 0, 0, g.height);
  const Rgb top = scale(c, 1.2), bottom = scale(c, 0.45);
  cairo_pattern_add_color_stop_rgb(grad, 0, top.r, top.g, top.b);
  cairo_pattern_add_color_stop_rgb(grad, 1, bottom.r, bottom.g, bottom.b);
  cairo_set_source(bg, grad);
  cairo_paint(bg);
  cairo_pattern_destroy(grad);
  canvas.vignette(bg, 0.35, 0.30 + 0.50 * look.tension);
}

TextStyle VideoStyle::caption_style(const FrameGeometry& g, const Emotion& emotion) const {
  TextStyle st;
  st.size_px = g.unit * 0.05;
  st.max_height_px = g.height * 0.26;
  st.max_width_px = g.text_width() - 2 * std::round(st.size_px * 0.45);
  st.accent = light_tint(emotion_colour(emotion));
  st.accent_px = std::max(1.0, g.unit * 0.004);
  return st;
}

double VideoStyle::caption_centre_y(const FrameGeometry& g, double height) const {
  return g.height * 0.9 - height / 2.0;
}

}  // namespace tonepoem::video

namespace tonepoem {

const std::vector<VideoStyleInfo>& video_styles() {
  static const std::vector<VideoStyleInfo> styles = [] {
    std::vector<VideoStyleInfo> out;
    for (const auto& entry : video::kStyles)
      out.push_back({entry.name, entry.description, entry.needs_pictures});
    return out;
  }();
  return styles;
}

}  // namespace tonepoem
