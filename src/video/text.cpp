#include "video/text.h"

#include <pango/pangocairo.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <string_view>

#include <fmt/format.h>

#include "core/error.h"

namespace tonepoem::video {
namespace {

constexpr double kPi = std::numbers::pi;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_generic_family(const std::string& family) {
  static constexpr std::string_view kGeneric[] = {"sans",      "sans-serif", "serif",  "monospace",
                                                  "system-ui", "cursive",    "fantasy"};
  const std::string l = lower(family);
  return std::find(std::begin(kGeneric), std::end(kGeneric), l) != std::end(kGeneric);
}

PangoFontDescription* make_description(const std::string& family, double size_px, bool bold) {
  PangoFontDescription* desc = pango_font_description_new();
  pango_font_description_set_family(desc, family.c_str());
  pango_font_description_set_absolute_size(desc, std::max(1.0, size_px) * PANGO_SCALE);
  pango_font_description_set_weight(desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  return desc;
}

std::vector<std::string> families_of(PangoFontMap* map) {
  PangoFontFamily** families = nullptr;
  int count = 0;
  pango_font_map_list_families(map, &families, &count);
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.emplace_back(pango_font_family_get_name(families[i]));
  g_free(families);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void rounded_rectangle(cairo_t* cr, double x, double y, double w, double h, double r) {
  r = std::min({r, w / 2, h / 2});
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -kPi / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, kPi / 2);
  cairo_arc(cr, x + r, y + h - r, r, kPi / 2, kPi);
  cairo_arc(cr, x + r, y + r, r, kPi, 3 * kPi / 2);
  cairo_close_path(cr);
}

constexpr const char* kFontFix =
    "install the font (Chinese text needs the Debian package fonts-noto-cjk: "
    "sudo apt-get install fonts-noto-cjk), or pick an installed family with --font";

}  // namespace

std::vector<std::string> installed_font_families() {
  PangoFontMap* map = pango_cairo_font_map_new();
  auto names = families_of(map);
  g_object_unref(map);
  return names;
}

void check_font(const std::string& family, const std::vector<std::string>& texts) {
  PangoFontMap* map = pango_cairo_font_map_new();
  const auto names = families_of(map);
  const bool installed = std::any_of(
      names.begin(), names.end(), [&](const std::string& n) { return lower(n) == lower(family); });
  g_object_unref(map);
  if (family.empty() || (!installed && !is_generic_family(family))) {
    fail_resource(family, fmt::format("font family '{}' is not installed", family), kFontFix);
  }
  TextRenderer renderer(family);
  TextStyle style;
  style.size_px = 16;
  style.box = false;
  for (const auto& text : texts) {
    if (text.empty()) continue;
    const TextSprite sprite = renderer.render(text, style);
    if (sprite.unknown_glyphs > 0) {
      fail_resource(family,
                    fmt::format("no installed font can draw {} character(s) of the text '{}'",
                                sprite.unknown_glyphs, text.substr(0, 60)),
                    kFontFix);
    }
  }
}

TextRenderer::TextRenderer(std::string family) : family_(std::move(family)) {
  font_map_ = pango_cairo_font_map_new();
  context_ = pango_font_map_create_context(font_map_);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(context_, options);
  cairo_font_options_destroy(options);
}

TextRenderer::~TextRenderer() {
  g_object_unref(context_);
  g_object_unref(font_map_);
}

TextSprite TextRenderer::render(const std::string& text, const TextStyle& style,
                                const TextEmphasis* emphasis) const {
  PangoLayout* layout = pango_layout_new(context_);
  pango_layout_set_width(layout, static_cast<int>(std::max(1.0, style.max_width_px) * PANGO_SCALE));
  pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
  pango_layout_set_text(layout, text.c_str(), -1);
  if (emphasis) {
    const auto clamp_index = [&](std::size_t i) {
      return static_cast<guint>(std::min(i, text.size()));
    };
    const auto channel = [](double v) {
      return static_cast<guint16>(std::lround(std::clamp(v, 0.0, 1.0) * 65535));
    };
    PangoAttrList* attrs = pango_attr_list_new();
    if (emphasis->current_end > emphasis->current_begin) {
      PangoAttribute* colour = pango_attr_foreground_new(
          channel(emphasis->current.r), channel(emphasis->current.g), channel(emphasis->current.b));
      colour->start_index = clamp_index(emphasis->current_begin);
      colour->end_index = clamp_index(emphasis->current_end);
      pango_attr_list_insert(attrs, colour);
    }
    if (emphasis->upcoming_from < text.size()) {
      PangoAttribute* dim = pango_attr_foreground_alpha_new(channel(emphasis->upcoming_alpha));
      dim->start_index = clamp_index(emphasis->upcoming_from);
      dim->end_index = clamp_index(text.size());
      pango_attr_list_insert(attrs, dim);
    }
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);
  }
  // A long sentence gets a smaller font (down to 60%) before any of it is cut: the reader should
  // see the whole sentence being told. Only text that still does not fit is ellipsized.
  double size_px = style.size_px;
  for (;;) {
    PangoFontDescription* desc = make_description(family_, size_px, style.bold);
    pango_layout_set_font_description(layout, desc);
    pango_font_description_free(desc);
    if (style.max_height_px <= 0) break;
    PangoRectangle fit;
    pango_layout_get_pixel_extents(layout, nullptr, &fit);
    if (fit.height <= style.max_height_px) break;
    if (size_px * 0.9 < style.size_px * 0.6) {
      pango_layout_set_height(layout, static_cast<int>(style.max_height_px * PANGO_SCALE));
      pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
      break;
    }
    size_px *= 0.9;
  }

  TextSprite sprite;
  sprite.unknown_glyphs = pango_layout_get_unknown_glyphs_count(layout);
  sprite.size_px = size_px;
  sprite.ellipsized = pango_layout_is_ellipsized(layout);
  PangoRectangle ink, logical;
  pango_layout_get_pixel_extents(layout, &ink, &logical);
  const double pad = style.box ? std::round(size_px * 0.45) : std::ceil(style.outline_px + 2);
  const double text_w = std::max(1, logical.width), text_h = std::max(1, logical.height);
  sprite.width = static_cast<int>(text_w + 2 * pad);
  sprite.height = static_cast<int>(text_h + 2 * pad);
  sprite.surface.reset(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, sprite.width, sprite.height));
  cairo_t* cr = cairo_create(sprite.surface.get());
  if (style.box) {
    rounded_rectangle(cr, 0, 0, sprite.width, sprite.height, size_px * 0.4);
    cairo_set_source_rgba(cr, 0.02, 0.02, 0.04, style.box_alpha);
    cairo_fill(cr);
    if (style.accent_px > 0) {
      cairo_set_source_rgba(cr, style.accent.r, style.accent.g, style.accent.b, 0.9);
      cairo_rectangle(cr, pad, sprite.height - style.accent_px - pad * 0.35, text_w,
                      style.accent_px);
      cairo_fill(cr);
    }
  }
  cairo_move_to(cr, pad - logical.x, pad - logical.y);
  if (style.outline_px > 0) {
    pango_cairo_layout_path(cr, layout);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, style.outline_px * 2);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.75);
    cairo_stroke(cr);
    cairo_move_to(cr, pad - logical.x, pad - logical.y);
  }
  cairo_set_source_rgb(cr, style.colour.r, style.colour.g, style.colour.b);
  pango_cairo_show_layout(cr, layout);
  cairo_destroy(cr);
  g_object_unref(layout);
  cairo_surface_flush(sprite.surface.get());
  return sprite;
}

}  // namespace tonepoem::video
