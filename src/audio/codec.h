// FFmpeg's side of write_audio() and read_audio(): the formats libsndfile does not handle.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "audio/audio.h"

namespace tonepoem {

enum class LibavAudioFormat { m4a_aac, ogg_opus };

// Encodes `audio` into `path` (M4A: AAC-LC at the audio's rate, 128 kb/s a channel, read a frame
// at a time; Ogg Opus: resampled to 48 kHz, 96 kb/s a channel, read whole when it needs
// resampling), with title/artist/comment tags. At most two channels. `display` names the file in
// errors. Throws Error(output) or Error(missing_resource).
void encode_with_libav(const PcmSource& audio, const std::filesystem::path& path,
                       const std::string& display, LibavAudioFormat format, const AudioTags& tags,
                       const CancelToken& cancel);

// Decodes the first audio stream of any file libavformat opens (encoder delay and padding
// removed where the container says so). Throws Error(bad_input).
AudioBuffer decode_with_libav(const std::filesystem::path& path);
// The same a decoded frame at a time: `begin(sample_rate, channels)` once before the first
// samples, then `sink` with interleaved float frames, in order. What decode_with_libav() returns
// is the concatenation of what `sink` receives.
void decode_with_libav(const std::filesystem::path& path,
                       const std::function<void(int sample_rate, int channels)>& begin,
                       const AudioSink& sink);

}  // namespace tonepoem
