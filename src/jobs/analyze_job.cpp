#include "jobs/analyze_job.h"

#include <sstream>

#include "core/files.h"
#include "text/analyze.h"

namespace tonepoem {

OptionProblems AnalyzeJobOptions::validate() const {
  OptionProblems problems;
  if (story.empty()) problems.push_back({"story", "give the text to analyse"});
  return problems;
}

std::string run_analyze(const AnalyzeJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  auto lexicons = load_lexicons({.data_dir = {}, .user_lexicons = options.lexicons});
  std::ostringstream out;
  context.stage("analyze");
  if (options.per_line) {
    analyze_per_line(read_text_file(options.story), options.language, *lexicons, out,
                     options.format);
  } else {
    const Document doc = parse_file(options.story, {.language = options.language});
    const EmotionArc arc = analyze(doc, {.lexicons = lexicons});
    write_arc(out, doc, arc, options.format);
  }
  context.finish_stage();
  return std::move(out).str();
}

}  // namespace tonepoem
