// Commands for a live engine as JSON lines, one object per line (`tonepoem live` reads them on
// stdin; a server could read them from a socket):
//   {"valence": -0.6, "arousal": 0.8, "tension": 0.3, "at": "bar", "t": 12.5}
//   {"hit": "accent", "t": 14}        {"character": "Mara"}        {"stop": true}  {"stop": "now"}
//   {"caption": "The wolf was waiting.", "t": 15}   (a line of the story, shown when the music
//                                                    reaches it: the engine does not hear it)
// "t" (seconds on the engine's clock, optional) says when the command is made; an offline render
// made with the same lines and seed gives the same audio. Emotion fields not given keep their
// values; "at" is "beat", "bar" (default) or "phrase".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "live/engine.h"

namespace tonepoem::live {

struct LiveCommand {
  enum class Type { emotion, hit, character, stop, caption };
  Type type = Type::emotion;
  std::optional<double> t;                          // seconds; absent: when it is read
  std::optional<double> valence, arousal, tension;  // emotion: the fields given, clamped
  At at = At::bar;
  std::string text;  // hit: the kind; character: the name; caption: the line
  Ending ending = Ending::cadence;
};

struct ParsedLine {
  std::optional<LiveCommand> command;  // empty: nothing to do (blank, comment, or skipped)
  // Each says "line N: what is wrong; what was done" (skipped, clamped, ignored).
  std::vector<std::string> warnings;
};

// One line of input (line_number counts from 1). Never throws: a malformed line comes back with
// no command and a warning naming it; blank lines and lines starting with '#' are ignored.
ParsedLine parse_command_line(std::string_view line, std::size_t line_number);

}  // namespace tonepoem::live
