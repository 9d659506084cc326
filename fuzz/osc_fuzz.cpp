// Fuzzes the OSC message reader of `tonepoem live --osc` (parse_osc_message over liblo): any
// datagram from the network. It never throws; a command comes back only with a known address.
#include <cstddef>
#include <cstdint>
#include <span>

#include "live/osc.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = tonepoem::live::parse_osc_message(std::as_bytes(std::span(data, size)), 1);
  if (parsed.command && parsed.command->valence &&
      (*parsed.command->valence < -1 || *parsed.command->valence > 1))
    __builtin_trap();  // values are clamped into range
  return 0;
}
