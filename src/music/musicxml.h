// MusicXML export (partwise, version 4.0) of a Score, for notation programs such as MuseScore.
#pragma once

#include <filesystem>
#include <string>

#include "model/score.h"

namespace tonepoem {

// One part per track (General MIDI program, channel, volume and pan in its midi-instrument; the
// percussion track as unpitched notes on a percussion clef); measures follow the meter map; key
// signatures with their mode, time signatures, tempo marks (ritardando and accelerando as sounding
// tempo changes inside the bar) and one rehearsal mark per section.
// Notation is quantized to a sixteenth-note grid: notes of one track that start together are
// written as a chord, a note is cut where the track's next note starts, longer values are split
// and tied at barlines. Deterministic byte for byte.
std::string write_musicxml(const Score& score);
// Writes atomically (core/files.h); throws Error(output).
void save_musicxml(const Score& score, const std::filesystem::path& path);

}  // namespace tonepoem
