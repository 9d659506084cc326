// The `live` job: a stream of commands as JSON lines (live/commands.h) rendered by the live
// engine, in one of two ways:
//   - offline (default): each command is made when the audio reaches its "t" (seconds), as fast
//     as the machine renders; the same lines and seed give the same audio, byte for byte;
//   - real time (`realtime`): a composer thread and the audio paced by the stream (a sound card,
//     or the wall clock for a pipe); each line is made as soon as it is read (or, with a "t",
//     when the audio reaches it), so a game or a person can drive it as it plays.
// The audio goes to a WAV file in the sink and/or, as it is rendered, to an AudioStream.
// Instead of command lines, a story can drive it (LiveJobOptions::story, story_commands below).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

#include "core/error.h"
#include "jobs/compose_job.h"
#include "jobs/job.h"
#include "live/commands.h"
#include "live/engine.h"
#include "model/cue_sheet.h"
#include "text/document.h"

namespace tonepoem {

// Where rendered blocks go as they are made (interleaved stereo float). write() may block until
// the stream can take more: a real-time render is paced by it.
class AudioStream {
 public:
  virtual ~AudioStream() = default;
  virtual void write(const float* interleaved, std::size_t frames) = 0;
};

// Raw 32-bit float little-endian stereo on a byte stream (stdout, a pipe to aplay). `paced`:
// write() waits for the wall clock, so that a player's buffer does not fill faster than it plays.
class RawAudioStream final : public AudioStream {
 public:
  RawAudioStream(std::ostream& out, int sample_rate, bool paced);
  void write(const float* interleaved, std::size_t frames) override;

 private:
  std::ostream& out_;
  int sample_rate_;
  bool paced_;
  std::int64_t frames_ = 0;
  double start_s_ = -1;
};

struct LiveJobOptions {
  std::filesystem::path soundfont;  // empty: the installed General MIDI SoundFont
  int sample_rate = 48000;          // 8000 .. 192000
  std::uint64_t seed = 1;
  std::string style;                    // a name from music_styles(); "": "default"
  EmotionTarget start{0.3, -0.2, 0.0};  // the opening emotion
  std::string output_name;              // a WAV file in the sink; empty: none
  double max_duration_s = 600;          // the render ends here at the latest (1 .. 7200)
  bool realtime = false;                // see the top of this file
  // A story instead of command lines: a file, or "-" for the input. Offline (and in real time
  // from a file) it is planned as `make` plans it and played with story_commands(), each
  // sentence at its time at reading pace; in real time from the input, each line is a sentence
  // of the story, made when it arrives.
  std::filesystem::path story;
  // OSC messages on a UDP port instead of command lines (live/osc.h), played in real time:
  // "PORT" (on 127.0.0.1) or "HOST:PORT" (an IPv4 address); port 0 takes a free one.
  std::string osc;
  LanguageChoice language = LanguageChoice::automatic;
  std::vector<std::filesystem::path> lexicons;  // extra lexicon TSV files

  // Fields: "sample_rate", "style", "start", "max_duration", "osc", "output_name" (no WAV and
  // no stream).
  OptionProblems validate() const;
};

struct LiveJobResult {
  double duration_s = 0;
  std::size_t commands = 0;  // commands made (captions included)
  std::size_t warnings = 0;  // lines skipped or fixed (each reported through `warn`)
  live::EngineStats stats;
};

// What a live run tells its front-end as it plays (each may be empty; in real time they are
// called from the reading thread).
struct LiveEvents {
  // A malformed or corrected line or message ("line 3: not JSON (...); skipped, the music goes
  // on"); the music goes on.
  std::function<void(const std::string&)> warn;
  // A caption command, when the music reaches it: its time in seconds and its text.
  std::function<void(double, const std::string&)> caption;
  // The OSC socket is bound: its address, "127.0.0.1:57120".
  std::function<void(const std::string&)> listening;
};

// Reads `input` to its end (or a stop; with `osc`, the messages until a stop), ends the music
// with a cadence unless a stop came, and renders until it has rung out, or max_duration_s.
// `stream` (may be null when output_name is set) receives the audio as it is rendered. Throws
// InvalidOptions, Error(missing_resource) for the SoundFont, Error(usage) when the OSC port
// cannot be bound, Error(output), Error(interrupted) when the context's token is cancelled (no
// WAV is left).
LiveJobResult run_live(const LiveJobOptions& options, std::istream& input, AudioStream* stream,
                       const LiveEvents& events, JobContext& context);

// The commands that play a story's cue sheet as it is read, at the plan's pace (every "t" a
// caption's or a cue's start), ascending in t:
// - at each cue's start, its target emotion at the next bar (not the first cue's: the music should
//   start in it, as run_live's story mode does), and its first character's leitmotif;
// - each sentence as a caption; inside a cue, when the sentences' arousal (centred mean over 3)
//   departs from its mean over the cue by enough that half the departure moves the music 0.2 or
//   more from what was last asked, that arousal at the next bar;
// - each hit point as a hit on the next beat ("danger" for a death, a cry or danger; "accent"
//   otherwise);
// - a stop with a cadence at the end of the sheet.
std::vector<live::LiveCommand> story_commands(const CueSheet& sheet);

}  // namespace tonepoem
