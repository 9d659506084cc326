// Reading media files back through libav, for tests and for checks after encoding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "audio/audio.h"

namespace tonepoem {

struct MediaInfo {
  bool has_video = false, has_audio = false;
  int width = 0, height = 0;
  double fps = 0;
  std::int64_t video_frames = 0;  // counted by decoding
  double video_duration_s = 0;    // frames / fps
  double audio_duration_s = 0;    // decoded samples / sample rate
  int audio_channels = 0, audio_sample_rate = 0;
  std::string video_codec, audio_codec;
  std::string video_profile;       // e.g. "High" for H.264 High profile
  std::string video_pixel_format;  // e.g. "yuv420p"
};

// Decodes every packet of both streams. Throws Error(bad_input) if the file cannot be opened.
MediaInfo probe_media(const std::filesystem::path& path);

// Decodes the video frame shown at time `t` seconds into packed RGB24 (width*height*3 bytes).
std::vector<std::uint8_t> decode_frame_rgb(const std::filesystem::path& path, double t, int* width,
                                           int* height);

// Decodes the file's audio stream to interleaved float samples at its own rate and channel count
// (AAC priming and end padding removed), e.g. to measure loudness and true peak again after
// encoding. Throws Error(bad_input) if the file cannot be opened or has no audio.
AudioBuffer decode_audio(const std::filesystem::path& path);
// The same a decoded frame at a time, for sound too long to hold: `begin(sample_rate, channels)`
// once before the first samples, then `sink` with interleaved float frames, in order.
void decode_audio_to(const std::filesystem::path& path,
                     const std::function<void(int sample_rate, int channels)>& begin,
                     const AudioSink& sink);

// measure_loudness(decode_audio(path)) without holding the track: decoded a frame at a time into
// a LoudnessMeter; `duration_s` (optional) receives the decoded track's length. Throws
// Error(bad_input) as decode_audio.
LoudnessReport measure_file_loudness(const std::filesystem::path& path,
                                     double* duration_s = nullptr);

}  // namespace tonepoem
