// The subtitles a film carries inside its file: the first text subtitle stream (mov_text in mp4,
// subrip, ass or webvtt in mkv), decoded with libavcodec's subtitle decoders. Bitmap streams
// (PGS, DVD, DVB) are named but cannot be read as words.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/cancel.h"

namespace tonepoem {

struct EmbeddedSubtitles {
  int stream_index = -1;  // the stream read, or -1 when the file has no text subtitle stream
  std::string codec;      // FFmpeg's codec name: "subrip", "mov_text", "ass", "webvtt", ...
  std::string language;   // the stream's language tag ("eng", "chi"), or empty
  int events = 0;         // Dialogue lines in `ass_script`
  // The events as an ASS script ([Events] with `Format: Start, End, ReadOrder, Layer, Style,
  // Name, MarginL, MarginR, MarginV, Effect, Text`), times relative to the film's first frame:
  // the text stage's ASS reader (text/document.h) turns it into timed sentences.
  std::string ass_script;
  // Subtitle streams that are pictures, not text, e.g. "stream 3: hdmv_pgs_subtitle (bitmap,
  // cannot be read as text)"; one line each, whether or not a text stream was found.
  std::vector<std::string> skipped;
};

// Reads the first text subtitle stream of `video`. Throws Error(bad_input) naming the file when
// it cannot be opened as media; a subtitle packet that does not decode is skipped.
// Error(interrupted) soon after `cancel` is cancelled.
EmbeddedSubtitles read_embedded_subtitles(const std::filesystem::path& video,
                                          const CancelToken& cancel = CancelToken::never());

}  // namespace tonepoem
