// Films with known shots, made with FFmpeg's libraries: solid colours, moving patterns, flashes
// and fades, for tests and benchmarks of shot detection (the truth is the segment list).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace tonepoem {

enum class SyntheticLook {
  solid,     // one flat colour
  pattern,   // a checkerboard of the colour and its half, drifting a few pixels a frame
  pan,       // a fast pan over a striped pattern of the colour (motion without a cut)
  fade_out,  // the pattern fading to black over the segment
  fade_in,   // the pattern rising from black over the segment
};

struct SyntheticSegment {
  int frames = 25;
  std::array<std::uint8_t, 3> rgb = {128, 128, 128};
  SyntheticLook look = SyntheticLook::solid;
};

struct SyntheticVideoOptions {
  int width = 320, height = 180;  // even
  int fps = 25;
  int gop = 48;              // frames between key frames (cuts fall anywhere, as in a real film)
  int rotation_degrees = 0;  // a display matrix, as a phone writes (0: none)
};

// Writes the segments one after another (H.264 through libx264 when FFmpeg has it, else
// MPEG-4 Part 2), container by the file's extension (.mp4, .mkv, .mov). Throws Error(output)
// if the file cannot be written, Error(internal) if no encoder opens.
void write_synthetic_video(const std::filesystem::path& path,
                           const std::vector<SyntheticSegment>& segments,
                           const SyntheticVideoOptions& options = {});

}  // namespace tonepoem
