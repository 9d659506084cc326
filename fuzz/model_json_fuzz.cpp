// Fuzzes the other JSON readers of the model (Document, EmotionArc, Timeline): the first byte
// picks the reader, the rest is the JSON. tonepoem::Error and nlohmann's exceptions are expected
// answers to bad input; anything else, or a crash, is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/document.h"
#include "model/emotion_arc.h"
#include "model/timeline.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    switch (data[0] % 3) {
      case 0:
        (void)nlohmann::json(j.get<tonepoem::Document>()).dump();
        break;
      case 1:
        (void)nlohmann::json(j.get<tonepoem::EmotionArc>()).dump();
        break;
      default:
        (void)nlohmann::json(j.get<tonepoem::Timeline>()).dump();
        break;
    }
  } catch (const tonepoem::Error&) {
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
