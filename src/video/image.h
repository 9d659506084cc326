// The user's pictures for the storybook background: listed from a folder, checked up front,
// decoded through libav (PNG, JPEG, WebP, BMP, ...) and scaled to cover a given size.
#pragma once

#include <filesystem>
#include <vector>

#include "video/text.h"

namespace tonepoem::video {

// Checks that `path` opens as an image. Throws Error(bad_input) naming it otherwise.
void check_image(const std::filesystem::path& path);

// Decodes the image and scales it, keeping its aspect ratio, to cover width x height exactly
// (centre-cropped), as an opaque Cairo ARGB32 surface. Throws Error(bad_input).
SurfacePtr load_image_cover(const std::filesystem::path& path, int width, int height);

}  // namespace tonepoem::video
