// Stage 7, render: the mastered audio and a Timeline (model/timeline.h: beats, sections, captions)
// into an MP4 (H.264 + AAC) showing the sentence being told over an emotion-coloured background
// with an audio spectrum. Nothing here needs a Score: a song or a film gives its own Timeline.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "audio/audio.h"
#include "core/cancel.h"
#include "core/error.h"
#include "core/progress.h"
#include "model/audio.h"
#include "model/timeline.h"

namespace tonepoem {

struct VideoOptions {
  int width = 1280, height = 720;         // even numbers, 160..3840
  int fps = 30;                           // 1..120
  std::string font = "Noto Sans CJK SC";  // Pango font family; CJK glyphs need Noto CJK
  int crf = 23;                           // x264 quality
  std::string preset = "veryfast";        // x264 preset
  std::string style = "spectrum";         // one of video_styles()
  int audio_bitrate = 192000;             // AAC bits per second
  // The user's pictures (list_images): shown as the background in every style, cut on downbeats
  // at phrase and section boundaries, with slow pan and zoom and an emotion colour grade. The
  // "storybook" style needs them.
  std::vector<std::filesystem::path> images;
  // The timeline carries the user's video clips (Timeline::clips): they are the background,
  // under a light colour grade, in place of the pictures or the style's own; 'storybook' shows
  // them as it shows pictures.
  bool clips = false;

  // Every out-of-range field with the accepted values (empty: valid). render_video and
  // render_frame_rgb throw InvalidOptions listing them.
  OptionProblems validate() const;
};

// The visual styles, in the order `--list-styles` shows them. The first is the default.
struct VideoStyleInfo {
  std::string_view name;
  std::string_view description;
  bool needs_pictures = false;  // shows --images or clips, which it needs
};
const std::vector<VideoStyleInfo>& video_styles();

// Everything is placed at frame round(t * fps) from absolute times. The video lasts as long as the
// audio (within one frame): round(duration * fps) frames. H.264 High (yuv420p, BT.709, constant
// frame rate, moov up front) and AAC-LC stereo at the audio's rate. Frames are drawn on a second
// thread and handed to the encoder through a bounded pool, so memory stays flat with length; the
// same inputs give the same frames. All inputs are checked before any work: Error(usage) for bad
// options, Error(bad_input) for empty audio or unreadable pictures, Error(missing_resource) for a
// missing font, undrawable text (fonts-noto-cjk) or no H.264 encoder. Writes atomically; throws
// Error(output) when the file cannot be written. Error(interrupted), leaving no file, soon after
// `cancel` is cancelled (checked once per frame).
void render_video(const AudioBuffer& audio, const Timeline& timeline, const VideoOptions& options,
                  const std::filesystem::path& output, const ProgressFn& progress = {},
                  const CancelToken& cancel = CancelToken::never());

// The same from a PcmSource (a spool file): the painter and the AAC encoder read the audio a
// window at a time as they go, so memory does not grow with the length. The same bytes as from a
// buffer holding the same samples.
void render_video(const PcmSource& audio, const Timeline& timeline, const VideoOptions& options,
                  const std::filesystem::path& output, const ProgressFn& progress = {},
                  const CancelToken& cancel = CancelToken::never());

// What render_video checks of its inputs besides the audio, for callers that want to fail before
// their own slow work (make checks before synthesis): the options, the font for every text of
// `timeline`, and each picture of options.images. Throws as render_video.
void check_video_inputs(const Timeline& timeline, const VideoOptions& options);

// One frame as render_video draws it at time `t` (frame round(t * fps)), as packed RGB24
// (width * height * 3 bytes, before video compression). render_video draws straight to yuv420p;
// its frame is this one converted (BT.709) within rounding, a level or two (RenderVideo tests).
// Same errors as render_video.
std::vector<std::uint8_t> render_frame_rgb(const AudioBuffer& audio, const Timeline& timeline,
                                           const VideoOptions& options, double t);

// Writes that frame as a PNG file, atomically. Throws Error(output) if it cannot be written.
void write_snapshot(const AudioBuffer& audio, const Timeline& timeline, const VideoOptions& options,
                    double t, const std::filesystem::path& output);

// The pictures in `dir` (PNG, JPEG, WebP, BMP), sorted by name. Throws Error(bad_input) when the
// folder is missing or holds none.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& dir);

// Quality presets for `--quality`: "draft" (CRF 28, ultrafast), "standard" (CRF 23, veryfast, the
// default) and "high" (CRF 18, slow). Throws Error(usage) naming the accepted values otherwise.
void apply_quality(VideoOptions& options, std::string_view quality);

// The captions as subtitles, timed from their absolute times (empty captions skipped): SubRip, and
// Advanced SubStation Alpha styled like the video (font, bottom centre inside 10% margins, white on
// a translucent dark box). Write them with write_file_atomically.
std::string captions_srt(const Timeline& timeline);
std::string captions_ass(const Timeline& timeline, const VideoOptions& options);

// Background colour for an emotion: valence to hue (warm when positive, cool when negative),
// arousal to saturation and brightness, tension darkens. r, g, b in [0, 1].
struct Rgb {
  double r = 0, g = 0, b = 0;
};
Rgb emotion_colour(const Emotion& emotion);

}  // namespace tonepoem
