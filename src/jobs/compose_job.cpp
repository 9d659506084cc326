#include "jobs/compose_job.h"

#include <algorithm>

#include <fmt/format.h>

#include "music/compose.h"
#include "music/midi.h"
#include "music/musicxml.h"

namespace tonepoem {

Emotion EmotionTarget::emotion() const {
  Emotion e;
  e.valence = valence;
  e.arousal = arousal;
  e.tension = tension ? *tension : std::clamp(0.5 * (arousal - valence), 0.0, 1.0);
  e.confidence = 1.0;
  return e;
}

OptionProblems ComposeJobOptions::validate() const {
  OptionProblems problems;
  if (cues.empty() == !emotion.has_value())
    problems.push_back({"cues", "give either a cue sheet or an emotion, not both and not neither"});
  if (emotion) {
    const EmotionTarget& e = *emotion;
    const auto in = [](double v, double lo, double hi) { return v >= lo && v <= hi; };
    if (!in(e.valence, -1, 1) || !in(e.arousal, -1, 1) || (e.tension && !in(*e.tension, 0, 1)))
      problems.push_back(
          {"emotion",
           fmt::format("({}, {}{}) is out of range: valence and arousal in [-1, 1], "
                       "tension in [0, 1]",
                       e.valence, e.arousal, e.tension ? fmt::format(", {}", *e.tension) : "")});
    if (!(duration_s >= 5 && duration_s <= 3600))
      problems.push_back(
          {"duration", fmt::format("{} is out of range; accepts 5 to 3600 seconds", duration_s)});
  }
  if (!style.empty() && !is_music_style(style)) problems.push_back({"style", style_problem(style)});
  if (midi_name.empty()) problems.push_back({"midi_name", "give the MIDI file's name"});
  return problems;
}

ComposeJobResult run_compose(const ComposeJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  context.outputs().check_writable();
  ComposeJobResult result;
  context.stage("plan");
  if (options.emotion) {
    result.cues = single_emotion_cues(options.emotion->emotion(), options.duration_s,
                                      options.seed.value_or(1));
  } else {
    result.cues = load_cue_sheet(options.cues);
    if (options.seed) result.cues.seed = *options.seed;
    if (!is_music_style(result.cues.style))
      throw Error(ExitCode::bad_input, "cue sheet: " + style_problem(result.cues.style),
                  options.cues.string(), "fix or remove its \"style\"");
  }
  if (!options.style.empty()) result.cues.style = options.style;
  context.stage("compose");
  result.score = compose(result.cues, {.seed = result.cues.seed});
  context.stage("write");
  save_midi(result.score, context.outputs().path_for(options.midi_name));
  context.outputs().written(options.midi_name);
  if (!options.musicxml_name.empty()) {
    save_musicxml(result.score, context.outputs().path_for(options.musicxml_name));
    context.outputs().written(options.musicxml_name);
  }
  context.finish_stage();
  return result;
}

}  // namespace tonepoem
