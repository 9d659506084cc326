// Films with known shots, made with FFmpeg's libraries: solid colours, moving patterns, flashes
// and fades, for tests and benchmarks of shot detection (the truth is the segment list).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tonepoem {

enum class SyntheticLook {
  solid,     // one flat colour
  pattern,   // a checkerboard of the colour and its half, drifting a few pixels a frame
  pan,       // a fast pan over a striped pattern of the colour (motion without a cut)
  fade_out,  // the pattern fading to `through` (black by default) over the segment
  fade_in,   // the pattern rising from `through` over the segment
  dissolve,  // the segment before it (as it would go on) blending into this pattern
};

struct SyntheticSegment {
  int frames = 25;
  std::array<std::uint8_t, 3> rgb = {128, 128, 128};
  SyntheticLook look = SyntheticLook::solid;
  std::array<std::uint8_t, 3> through = {0, 0, 0};  // the colour a fade goes to or comes from
};

// One line of a subtitle stream written into the film.
struct SyntheticSubtitle {
  double start_s = 0, end_s = 0;
  std::string text;
};

struct SyntheticVideoOptions {
  int width = 320, height = 180;  // even
  int fps = 25;
  int gop = 48;              // frames between key frames (cuts fall anywhere, as in a real film)
  int rotation_degrees = 0;  // a display matrix, as a phone writes (0: none)
  // A text subtitle stream after the video (none when empty), encoded by FFmpeg's encoder for
  // `subtitle_codec`: "mov_text" (mp4, mov), "subrip", "ass" or "webvtt" (mkv), or "dvdsub" (a
  // bitmap stream: each line a small bar, no words); empty: the container's own (mov_text in
  // mp4 and mov, subrip elsewhere).
  std::vector<SyntheticSubtitle> subtitles = {};
  std::string subtitle_codec = {};
  std::string subtitle_language = {};  // the stream's language tag ("eng"), or none
};

// Writes the segments one after another, and the subtitles as a stream of their own (H.264 through
// libx264 when FFmpeg has it, else MPEG-4 Part 2), container by the file's extension (.mp4, .mkv,
// .mov). Throws Error(output) if the file cannot be written, Error(internal) if no encoder opens.
void write_synthetic_video(const std::filesystem::path& path,
                           const std::vector<SyntheticSegment>& segments,
                           const SyntheticVideoOptions& options = {});

}  // namespace tonepoem
