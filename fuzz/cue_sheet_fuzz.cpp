// Fuzzes the cue sheet reader (cues.json, as load_cue_sheet reads it): JSON syntax errors and
// tonepoem::Error are expected answers to bad input, as are nlohmann type errors (load_cue_sheet
// turns them into messages); anything else, or a crash, is a bug. A sheet that is accepted must
// write back out and read again to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/cue_sheet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    const auto cues = j.get<tonepoem::CueSheet>();
    const nlohmann::json out(cues);
    const std::string once = out.dump();
    if (nlohmann::json(out.get<tonepoem::CueSheet>()).dump() != once) std::abort();
  } catch (const tonepoem::Error&) {
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
