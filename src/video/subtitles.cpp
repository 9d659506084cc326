#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "video/video.h"

namespace tonepoem {
namespace {

// Milliseconds from seconds, never negative.
std::int64_t to_ms(double seconds) {
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

std::string srt_time(double seconds) {
  const std::int64_t ms = to_ms(seconds);
  return fmt::format("{:02}:{:02}:{:02},{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                     ms % 1000);
}

std::string ass_time(double seconds) {
  const std::int64_t cs = (to_ms(seconds) + 5) / 10;
  return fmt::format("{}:{:02}:{:02}.{:02}", cs / 360000, cs / 6000 % 60, cs / 100 % 60, cs % 100);
}

bool shown(const Caption& c) {
  return !c.text.empty() && c.end_s > c.start_s;
}

}  // namespace

void apply_quality(VideoOptions& options, std::string_view quality) {
  if (quality == "draft") {
    options.crf = 28;
    options.preset = "ultrafast";
  } else if (quality == "standard") {
    options.crf = 23;
    options.preset = "veryfast";
  } else if (quality == "high") {
    options.crf = 18;
    options.preset = "slow";
  } else {
    fail_usage(fmt::format("unknown video quality '{}'", quality),
               "use one of draft, standard, high");
  }
}

std::string captions_srt(const Timeline& timeline) {
  std::string out;
  int index = 0;
  for (const auto& c : timeline.captions) {
    if (!shown(c)) continue;
    out += fmt::format("{}\n{} --> {}\n{}\n\n", ++index, srt_time(c.start_s), srt_time(c.end_s),
                       c.text);
  }
  return out;
}

std::string captions_ass(const Timeline& timeline, const VideoOptions& options) {
  const int unit = std::min(options.width, options.height);
  const int size = static_cast<int>(std::lround(unit * 0.05));  // the video caption size in px
  std::string out = fmt::format(
      "[Script Info]\n"
      "Title: {}\n"
      "ScriptType: v4.00+\n"
      "PlayResX: {}\n"
      "PlayResY: {}\n"
      "WrapStyle: 0\n"
      "ScaledBorderAndShadow: yes\n"
      "\n"
      "[V4+ Styles]\n"
      "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
      "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
      "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
      "Style: Default,{},{},&H00FFFFFF,&H00FFFFFF,&H73080505,&H73080505,0,0,0,0,100,100,0,0,"
      "3,{},0,2,{},{},{},1\n"
      "\n"
      "[Events]\n"
      "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
      timeline.title.empty() ? "tonepoem" : timeline.title, options.width, options.height,
      options.font, size, std::max(1, unit / 60), options.width / 10, options.width / 10,
      options.height / 10);
  for (const auto& c : timeline.captions) {
    if (!shown(c)) continue;
    std::string text;
    for (char ch : c.text) {
      if (ch == '\n')
        text += "\\N";
      else if (ch == '{')
        text += "\\{";
      else if (ch == '}')
        text += "\\}";
      else
        text += ch;
    }
    out += fmt::format("Dialogue: 0,{},{},Default,,0,0,0,,{}\n", ass_time(c.start_s),
                       ass_time(c.end_s), text);
  }
  return out;
}

}  // namespace tonepoem
