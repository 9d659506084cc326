// The `live` job: a stream of commands as JSON lines (live/commands.h) rendered by the live
// engine. Offline: each command is made when the audio reaches its "t" (seconds), so the same
// lines and seed give the same audio, byte for byte; the audio goes to a WAV file in the sink or,
// as it is rendered, to a raw stream (32-bit float little-endian, interleaved stereo).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

#include "core/error.h"
#include "jobs/compose_job.h"
#include "jobs/job.h"
#include "live/engine.h"

namespace tonepoem {

struct LiveJobOptions {
  std::filesystem::path soundfont;  // empty: the installed General MIDI SoundFont
  int sample_rate = 48000;          // 8000 .. 192000
  std::uint64_t seed = 1;
  EmotionTarget start{0.3, -0.2, 0.0};  // the opening emotion
  std::string output_name;      // a WAV file in the sink; empty: the raw stream given to run_live
  double max_duration_s = 600;  // the render ends here at the latest (1 .. 7200)

  // Fields: "sample_rate", "start", "max_duration".
  OptionProblems validate() const;
};

struct LiveJobResult {
  double duration_s = 0;
  std::size_t commands = 0;  // commands made
  std::size_t warnings = 0;  // lines skipped or fixed (each reported through `warn`)
  live::EngineStats stats;
};

// Reads `input` to its end, then ends the music with a cadence (unless a stop came) and renders
// until it has rung out, or max_duration_s. `raw` (may be null when output_name is set) receives
// the audio as it is rendered. Each malformed or corrected line is reported through `warn`
// ("line 3: not JSON (...); skipped, the music goes on") and the music goes on.
// Throws InvalidOptions, Error(missing_resource) for the SoundFont, Error(output),
// Error(interrupted) when the context's token is cancelled (no WAV file is left).
LiveJobResult run_live(const LiveJobOptions& options, std::istream& input, std::ostream* raw,
                       const std::function<void(const std::string&)>& warn, JobContext& context);

}  // namespace tonepoem
