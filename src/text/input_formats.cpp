// The input formats of the text stage, one row each: how a file is recognised and which parser
// reads it.
#include "text/input_formats.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>

#include "text/segment.h"
#include "text/unicode.h"

namespace tonepoem::text {
namespace {

// A first line of digits (the cue number), then a timing line with "-->" near its start.
bool sniff_srt(std::string_view head) {
  const std::size_t nl = head.find('\n');
  if (nl == std::string_view::npos ||
      !std::all_of(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(nl),
                   [](char c) { return (c >= '0' && c <= '9') || c == ' ' || c == '\r'; }))
    return false;
  const std::size_t arrow = head.substr(nl + 1).find("-->");
  return arrow != std::string_view::npos && arrow < 40;
}

bool sniff_webvtt(std::string_view head) {
  return head.substr(0, 6) == "WEBVTT";
}

// ASS and SSA scripts open with their [Script Info] section.
bool sniff_ass(std::string_view head) {
  return head.substr(0, 13) == "[Script Info]";
}

// A time tag ("[00:") or a title or artist tag ("[ti:", "[ar:") first.
bool sniff_lrc(std::string_view head) {
  return head.size() > 4 && head[0] == '[' &&
         ((head[1] >= '0' && head[1] <= '9') || head.substr(1, 3) == "ti:" ||
          head.substr(1, 3) == "ar:");
}

constexpr std::string_view kTextExtensions[] = {"txt"};
constexpr std::string_view kMarkdownExtensions[] = {"md", "markdown"};
constexpr std::string_view kFountainExtensions[] = {"fountain", "spmd"};
constexpr std::string_view kSrtExtensions[] = {"srt"};
constexpr std::string_view kWebVttExtensions[] = {"vtt"};
constexpr std::string_view kAssExtensions[] = {"ass", "ssa"};
constexpr std::string_view kLrcExtensions[] = {"lrc"};

constexpr InputFormat kFormats[] = {
    {{"text", kTextExtensions, "any text no other format claims",
      "plain text: paragraphs; scenes at groups of blank lines, rules, headings, chapter lines"},
     nullptr,
     parse_plain},
    {{"markdown", kMarkdownExtensions, "",
      "Markdown: headings start scenes; inline markup, links, lists and code removed"},
     nullptr,
     parse_markdown},
    {{"fountain", kFountainExtensions, "",
      "Fountain screenplay: scene headings start scenes; character cues set the speaker"},
     nullptr,
     parse_fountain},
    {{"srt", kSrtExtensions, "a first line of digits, then a line with `-->`",
      "SubRip subtitles: cue times become sentence times; silences of 5 s or more start scenes"},
     sniff_srt,
     parse_srt},
    {{"webvtt", kWebVttExtensions, "a first line starting `WEBVTT`",
      "WebVTT subtitles: cue times become sentence times; `<v Name>` sets the speaker"},
     sniff_webvtt,
     parse_vtt},
    {{"ass", kAssExtensions, "a first line `[Script Info]`",
      "ASS/SSA subtitles: Dialogue event times become sentence times (overlapping events "
      "joined); the Name field sets the speaker; override tags and drawings removed"},
     sniff_ass,
     parse_ass},
    {{"lrc", kLrcExtensions, "a first tag `[` + digit, `[ti:` or `[ar:`",
      "LRC lyrics: time tags become sentence times; instrumental gaps of 5 s or more start "
      "scenes"},
     sniff_lrc,
     parse_lrc},
};

constexpr auto kInfos = [] {
  std::array<InputFormatInfo, std::size(kFormats)> infos{};
  for (std::size_t i = 0; i < infos.size(); ++i) infos[i] = kFormats[i].info;
  return infos;
}();

// The extension of the last path component, lower case, without the dot; empty when it has none.
std::string lower_extension(std::string_view source) {
  const std::size_t dot = source.rfind('.');
  const std::size_t slash = source.find_last_of("/\\");
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return ascii_lower(source.substr(dot + 1));
}

}  // namespace

std::span<const InputFormat> input_format_table() {
  return kFormats;
}

const InputFormat& detect_input_format(std::string_view text, std::string_view source) {
  const InputFormat& fallback = kFormats[0];
  const std::string ext = lower_extension(source);
  for (const InputFormat& format : kFormats) {
    if (&format == &fallback) continue;
    if (std::find(format.info.extensions.begin(), format.info.extensions.end(), ext) !=
        format.info.extensions.end())
      return format;
  }
  const std::string_view head = trim(text.substr(0, 200));
  for (const InputFormat& format : kFormats) {
    if (format.sniff && format.sniff(head)) return format;
  }
  return fallback;
}

}  // namespace tonepoem::text

namespace tonepoem {

std::span<const InputFormatInfo> input_formats() {
  return text::kInfos;
}

std::string accepted_input_formats() {
  std::string out;
  for (const InputFormatInfo& format : input_formats()) {
    for (std::string_view ext : format.extensions) {
      if (!out.empty()) out += ", ";
      out += '.';
      out += ext;
    }
  }
  return out + " (UTF-8)";
}

}  // namespace tonepoem
