// The `render` job: any Standard MIDI File -> mastered audio (WAV, FLAC, Ogg, MP3, M4A, Opus)
// through FluidSynth and EBU R128 mastering, written through the job's OutputSink.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "audio/audio.h"
#include "core/error.h"
#include "jobs/job.h"

namespace tonepoem {

struct RenderJobOptions {
  std::filesystem::path midi;
  std::string output_name;                // the audio file's name in the sink ("song.flac")
  std::optional<AudioFileFormat> format;  // default: from output_name's extension
  std::filesystem::path soundfont;        // empty: the installed GM SoundFont
  double loudness_lufs = -14.0;           // -40 .. -5
  std::string title, artist;              // tags; an empty title takes the MIDI's

  // Fields: "midi", "output_name", "format", "loudness".
  OptionProblems validate() const;
  // The format written: `format`, else the one output_name's extension asks for.
  std::optional<AudioFileFormat> resolved_format() const;
};

struct RenderJobResult {
  AudioFileFormat format = AudioFileFormat::wav16;
  double duration_s = 0;
  LoudnessReport loudness;
};

// Throws InvalidOptions, Error(missing_resource) for the SoundFont, Error(bad_input) for the MIDI,
// Error(output), Error(interrupted).
RenderJobResult run_render(const RenderJobOptions& options, JobContext& context);

}  // namespace tonepoem
