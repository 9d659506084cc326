// Fuzzes parse_text in one input format, chosen by TONEPOEM_FUZZ_FORMAT (a name from
// input_formats(): text, markdown, fountain, srt, vtt, lrc, ...; default text). The input is read
// as a file with that format's first extension. Bad input may only throw tonepoem::Error; a
// Document that comes back must serialise (its sentences are valid UTF-8).
// TONEPOEM_FUZZ_FORMAT=list prints the format names, one a line, and exits.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/document.h"

namespace {
std::string source_name = "fuzz.txt";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* env = std::getenv("TONEPOEM_FUZZ_FORMAT");
  const std::string_view wanted = env ? env : "text";
  if (wanted == "list") {
    for (const tonepoem::InputFormatInfo& f : tonepoem::input_formats())
      std::printf("%.*s\n", static_cast<int>(f.name.size()), f.name.data());
    std::exit(0);
  }
  for (const tonepoem::InputFormatInfo& f : tonepoem::input_formats()) {
    if (f.name != wanted) continue;
    if (!f.extensions.empty()) source_name = "fuzz." + std::string(f.extensions.front());
    return 0;
  }
  std::fprintf(stderr,
               "TONEPOEM_FUZZ_FORMAT=%s: no such input format (list: TONEPOEM_FUZZ_FORMAT=list)\n",
               std::string(wanted).c_str());
  std::exit(2);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto language : {tonepoem::LanguageChoice::automatic, tonepoem::LanguageChoice::zh}) {
    try {
      const tonepoem::Document doc = tonepoem::parse_text(text, source_name, {language});
      (void)nlohmann::json(doc).dump();
    } catch (const tonepoem::Error&) {
    }
  }
  return 0;
}
