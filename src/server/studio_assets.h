// The studio page's files (src/server/studio: HTML, CSS, JS), embedded into the binary at build
// time by cmake/embed_files.cmake, so `tonepoem serve` needs no files beside it.
#pragma once

#include <span>
#include <string_view>

namespace tonepoem {

struct StudioAsset {
  std::string_view name;  // file name in src/server/studio ("index.html", "studio.js")
  std::string_view body;  // the file's bytes
};

// Every file of the page, in a fixed order.
std::span<const StudioAsset> studio_assets();

}  // namespace tonepoem
