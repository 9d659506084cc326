// Standard MIDI Files: writing a Score (type 1) and reading any SMF back into a Score.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "model/score.h"

namespace tonepoem {

// Type-1 SMF bytes: a conductor track (track name = title, tempo map, time and key signatures,
// one marker per section), then one named track per Score track with its program change,
// pan and volume controllers, and notes. Deterministic byte for byte.
std::string write_midi(const Score& score);
// Writes atomically (core/files.h); throws Error(output).
void save_midi(const Score& score, const std::filesystem::path& path);

// Parses SMF type 0 or 1 (running status, meta events, sysex skipped) into a Score: tracks with
// notes, channels and programs; tempo, meter, key and marker maps; end_tick = last event.
// Sections are rebuilt from markers when present. Throws Error(bad_input) naming `source` and the
// byte offset on malformed data.
Score read_midi(std::string_view bytes, std::string_view source = "<memory>");
Score load_midi(const std::filesystem::path& path);

}  // namespace tonepoem
