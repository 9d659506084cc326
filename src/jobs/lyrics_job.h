// The `lyrics` job: a story -> song lyrics (lyrics/lyrics.h) as plain text and JSON, optionally
// written to one file (text, or JSON when its name ends in .json).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "jobs/job.h"
#include "lyrics/lyrics.h"
#include "text/document.h"

namespace tonepoem {

struct LyricsJobOptions {
  std::filesystem::path story;
  LanguageChoice language = LanguageChoice::automatic;
  std::vector<std::filesystem::path> lexicons;  // extra lexicon TSV files
  std::string output_name;                      // empty: nothing written (the caller prints)
  std::uint64_t seed = 1;

  // Fields: "story".
  OptionProblems validate() const;
};

struct LyricsJobResult {
  SongLyrics lyrics;
  std::string text;  // lyrics_text()
  std::string json;  // the SongLyrics as JSON (2-space indent, newline-terminated)
};

// Reads, analyses and plans the story as `make` does, then writes the lyrics. With output_name,
// writes the text (or the JSON, for a name ending in .json) atomically through context.outputs()
// only once the lyrics are complete. Throws InvalidOptions, Error(bad_input) naming the story (no
// sentence fit for lyrics included), Error(missing_resource) for the data folder.
LyricsJobResult run_lyrics(const LyricsJobOptions& options, JobContext& context);

}  // namespace tonepoem
