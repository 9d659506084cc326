// The `analyze` job: a story's emotion arc (document, per-sentence and per-scene emotion,
// characters) in one of the text stage's printable formats, or one result per input line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "jobs/job.h"
#include "text/document.h"
#include "text/report.h"

namespace tonepoem {

struct AnalyzeJobOptions {
  std::filesystem::path story;
  ArcFormat format = ArcFormat::json;
  bool per_line = false;  // every input line is its own text
  LanguageChoice language = LanguageChoice::automatic;
  std::vector<std::filesystem::path> lexicons;  // extra lexicon TSV files

  // Fields: "story".
  OptionProblems validate() const;
};

// The arc written in `format` (text/report.h). Throws InvalidOptions, Error(bad_input) naming the
// story, Error(missing_resource) for the data folder.
std::string run_analyze(const AnalyzeJobOptions& options, JobContext& context);

}  // namespace tonepoem
