// Text for the video through Pango: font checks up front, and blocks of text (captions, titles,
// credits) rendered once into small ARGB sprites that the frame painter composites many times.
#pragma once

#include <cairo.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "video/video.h"

typedef struct _PangoFontMap PangoFontMap;
typedef struct _PangoContext PangoContext;

namespace tonepoem::video {

// Throws Error(missing_resource) naming the font and the Debian package fonts-noto-cjk when
// `family` is neither installed nor a generic alias (sans-serif, serif, monospace, ...), or when
// any of `texts` has glyphs no installed font can draw (Chinese without Noto CJK).
void check_font(const std::string& family, const std::vector<std::string>& texts);

// Installed font family names, sorted.
std::vector<std::string> installed_font_families();

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

struct TextStyle {
  double size_px = 32;
  double max_width_px = 1000;  // wrapping width of the text itself
  double max_height_px = 0;    // 0: unlimited; else the font shrinks (to 60%), then ellipsizes
  bool bold = false;
  Rgb colour{1, 1, 1};
  double outline_px = 0;  // dark outline around the glyphs (0: none)
  bool box = true;        // dark translucent rounded box behind the text
  double box_alpha = 0.55;
  Rgb accent{1, 1, 1};  // thin line under the box (accent_px 0: none)
  double accent_px = 0;
};

// Word-by-word emphasis inside a block of text, as byte offsets into it: [current_begin,
// current_end) is the word being heard, drawn in `current`; text from `upcoming_from` on is not
// heard yet and drawn at `upcoming_alpha`; the rest in the style's colour.
struct TextEmphasis {
  std::size_t current_begin = 0, current_end = 0;
  std::size_t upcoming_from = 0;
  Rgb current{1.0, 0.82, 0.30};
  double upcoming_alpha = 0.62;
};

struct TextSprite {
  SurfacePtr surface;
  int width = 0, height = 0;
  int unknown_glyphs = 0;
  double size_px = 0;       // the font size used, after shrinking to fit
  bool ellipsized = false;  // true when even the smallest size could not show all of the text
};

// Owns its own Pango font map, so each thread that draws text should hold its own TextRenderer.
class TextRenderer {
 public:
  explicit TextRenderer(std::string family);
  ~TextRenderer();
  TextRenderer(const TextRenderer&) = delete;
  TextRenderer& operator=(const TextRenderer&) = delete;

  // The layout (wrapping, size after shrinking) depends only on the text and the style, so the
  // same text with different emphasis gives sprites of the same size with glyphs in the same
  // places.
  TextSprite render(const std::string& text, const TextStyle& style,
                    const TextEmphasis* emphasis = nullptr) const;

 private:
  std::string family_;
  PangoFontMap* font_map_ = nullptr;
  PangoContext* context_ = nullptr;
};

}  // namespace tonepoem::video
