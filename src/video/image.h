// The user's pictures for the storybook background: listed from a folder, checked up front,
// decoded through libav (PNG, JPEG, WebP, BMP, ...) and scaled to cover a given size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "video/text.h"

namespace tonepoem::video {

// Checks that `path` opens as an image. Throws Error(bad_input) naming it otherwise.
void check_image(const std::filesystem::path& path);

// Decodes the image, turns it upright by its EXIF orientation (a phone's photo: FFmpeg gives it as
// the frame's display matrix) and scales it, keeping its aspect ratio, to cover width x height
// exactly (centre-cropped), as an opaque Cairo ARGB32 surface. Throws Error(bad_input).
SurfacePtr load_image_cover(const std::filesystem::path& path, int width, int height);

// Degrees counter-clockwise a display matrix (FFmpeg's, 9 int32) turns a picture to be seen
// upright, rounded to 0, 90, 180 or 270; 0 without a matrix.
int display_rotation(const std::uint8_t* matrix);

// Paints `source` onto `target` turned counter-clockwise by `rotation`
// (0, 90, 180, 270); the target is the source's size, width and height swapped for 90 and 270.
void paint_turned(cairo_surface_t* source, int rotation, cairo_surface_t* target);

}  // namespace tonepoem::video
