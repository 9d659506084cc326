// Live commands as OSC messages (Open Sound Control, what controllers, TouchOSC, Max/MSP, Pure
// Data and game engines send over UDP), for `tonepoem live --osc PORT`. One message, one command:
//   /tonepoem/emotion  V A [T] [AT]   numbers (int, float or double), AT "beat"|"bar"|"phrase"
//   /tonepoem/valence V [AT]   /tonepoem/arousal A [AT]   /tonepoem/tension T [AT]   (one fader)
//   /tonepoem/hit KIND   /tonepoem/character NAME   /tonepoem/caption TEXT
//   /tonepoem/stop ["cadence"|"now"]
// Values are clamped into range with a warning, as for JSON lines (live/commands.h).
#pragma once

#include <cstddef>
#include <span>

#include "live/commands.h"

namespace tonepoem::live {

// Decodes one UDP datagram (liblo reads the OSC encoding). Never throws: a datagram that is not
// OSC, an unknown address or wrong arguments come back with no command and a warning naming the
// message ("OSC message 3 (/tonepoem/emotion ,ss): ..."). `number` counts messages from 1. OSC
// bundles are not taken (a warning says so).
ParsedLine parse_osc_message(std::span<const std::byte> datagram, std::size_t number);

}  // namespace tonepoem::live
