#include "jobs/lyrics_job.h"

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "plan/plan.h"
#include "text/analyze.h"

namespace tonepoem {

OptionProblems LyricsJobOptions::validate() const {
  OptionProblems problems;
  if (story.empty()) problems.push_back({"story", "give the story to write lyrics from"});
  return problems;
}

LyricsJobResult run_lyrics(const LyricsJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  if (!options.output_name.empty()) context.outputs().check_writable();
  auto lexicons = load_lexicons({.data_dir = {}, .user_lexicons = options.lexicons});
  context.stage("read");
  const Document doc = parse_file(options.story, {.language = options.language});
  context.stage("analyze");
  const EmotionArc arc = analyze(doc, {.lexicons = lexicons});
  context.stage("plan");
  const CueSheet cues = plan(doc, arc, {.seed = options.seed});
  context.stage("lyrics");
  LyricsJobResult result;
  LyricsOptions lyrics_options;
  lyrics_options.sentence_emotions = arc.sentences;  // each verse keeps its scene's mood
  result.lyrics = write_lyrics(doc, cues, lexicons, lyrics_options);
  result.text = lyrics_text(result.lyrics);
  result.json = nlohmann::json(result.lyrics).dump(2) + "\n";
  if (!options.output_name.empty()) {
    const bool json = options.output_name.ends_with(".json");
    write_file_atomically(context.outputs().path_for(options.output_name),
                          json ? result.json : result.text);
    context.outputs().written(options.output_name);
  }
  context.finish_stage();
  return result;
}

}  // namespace tonepoem
