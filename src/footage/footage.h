// Stage: footage. A film's picture read through FFmpeg's libraries (any file they open: mp4, mkv,
// mov, webm, ...), decoded frame by frame and reduced to small histograms as it goes (frames are
// never held: memory is flat in the film's length), cut into shots (footage/shots.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/cancel.h"
#include "core/progress.h"
#include "footage/shots.h"

namespace tonepoem {

struct FootageAnalysis {
  std::string file;
  int width = 0, height = 0;
  double fps = 0;                   // the stream's average frame rate
  std::int64_t frames = 0;          // decoded
  double duration_s = 0;            // the last frame's time plus one frame
  double container_duration_s = 0;  // what the container says (0: unknown); a file that decodes
                                    // much less than this is damaged or truncated
  int decode_errors = 0;            // packets the decoder refused (concealed, skipped)
  bool has_audio = false;
  std::string video_codec;
  std::vector<Cut> cuts;    // ascending
  std::vector<Shot> shots;  // contiguous, covering [0, duration_s]
  int flashes_ignored = 0;  // jumps that came back within ShotOptions::max_flash_frames
};

// Decodes the first video stream and detects its shots. Throws Error(bad_input) naming the file
// when it cannot be opened as media, has no video stream, or no frame decodes; Error(interrupted)
// soon after `cancel` is cancelled. Progress: fraction of the container's duration decoded.
FootageAnalysis analyze_footage(const std::filesystem::path& video, const ShotOptions& options = {},
                                const ProgressFn& progress = {},
                                const CancelToken& cancel = CancelToken::never());

// The features of one frame from its 8-bit Y, Cb and Cr planes, each kGridWidth x kGridHeight
// (the frame downscaled; limited-range video levels, as most video is).
FrameFeatures frame_features(const std::uint8_t* y, const std::uint8_t* cb, const std::uint8_t* cr,
                             int stride);

void to_json(nlohmann::json& j, const FootageAnalysis& a);
void from_json(const nlohmann::json& j, FootageAnalysis& a);

// Writes a copy of `video` to `output` with its video stream copied packet for packet (no
// re-encode) and the audio stream of `audio_file` (an M4A/AAC file, also copied), cut to the
// video's length. Atomic: a failure leaves nothing at `output`. Throws Error(bad_input) for
// unreadable inputs, Error(output) when `output` cannot be written.
void mux_video_with_audio(const std::filesystem::path& video,
                          const std::filesystem::path& audio_file,
                          const std::filesystem::path& output,
                          const CancelToken& cancel = CancelToken::never());

// Where a delivered file's streams start and end, read from its packets' timestamps (the
// container's own view, edit lists applied through each stream's start time): for the A/V-sync
// check of a file whose video was copied packet for packet.
struct StreamSpan {
  double start_s = 0, end_s = 0;  // end: the last packet's time plus its duration
};
struct AvSpans {
  StreamSpan video, audio;
  bool has_video = false, has_audio = false;
};
// Throws Error(bad_input) naming the file when it cannot be opened as media.
AvSpans stream_spans(const std::filesystem::path& file);

}  // namespace tonepoem
