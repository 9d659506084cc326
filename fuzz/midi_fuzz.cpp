// Fuzzes the Standard MIDI File reader (read_midi). Malformed files may only throw
// tonepoem::Error; a Score that comes back must list its events and write back out as MIDI.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "music/midi.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const tonepoem::Score score = tonepoem::read_midi(bytes, "fuzz.mid");
    (void)tonepoem::score_event_list(score);
    (void)tonepoem::write_midi(score);
  } catch (const tonepoem::Error&) {
  }
  return 0;
}
