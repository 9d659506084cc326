#include "pipeline/make.h"

#include <fmt/format.h>

#include "core/cancel.h"
#include "core/error.h"
#include "core/files.h"
#include "judge/judge.h"
#include "music/compose.h"
#include "music/midi.h"
#include "music/musicxml.h"
#include "video/probe.h"

namespace tonepoem {

std::vector<std::string> MakeOptions::validate() const {
  std::vector<std::string> problems;
  if (story.empty()) problems.emplace_back("STORY: give the story file to read (.txt or .md, UTF-8)");
  if (output_dir.empty()) problems.emplace_back("-o/--output: give the folder to write into");
  if (duration_s != 0 && !(duration_s >= 5 && duration_s <= 3600))
    problems.push_back(fmt::format("--duration: {} is out of range; accepts 5 to 3600 seconds (or leave it "
                                   "out to follow reading speed)",
                                   duration_s));
  if (!(refine_budget_s >= 0))
    problems.push_back(
        fmt::format("--refine-budget: {} is out of range; accepts 0 (no cap) or more seconds",
                    refine_budget_s));
  if (video) {
    try {
      video_options.validate();
    } catch (const Error& e) {
      problems.emplace_back(e.what());
    }
  }
  return problems;
}

MakeResult make(const MakeOptions& options, ProgressReporter& progress) {
  if (auto problems = options.validate(); !problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n  ") + p;
    fail_usage(all, "see tonepoem make --help");
  }
  MakeResult result;
  // Resources first, so that a missing SoundFont or an unwritable folder fails in a second, not
  // after a minute of work.
  ensure_writable_dir(options.output_dir);
  result.soundfont = find_soundfont(options.soundfont);
  auto lexicons = load_lexicons({.data_dir = {}, .user_lexicons = options.lexicons});

  progress.stage("read");
  result.document = parse_file(options.story, {.language = options.language});
  check_interrupted();

  progress.stage("analyze");
  // Long stories without explicit breaks get scenes at the emotion's change points.
  result.arc = analyze_story(result.document, {.lexicons = lexicons});
  check_interrupted();

  progress.stage("plan");
  result.cues =
      plan(result.document, result.arc, {.duration_s = options.duration_s, .seed = options.seed});

  progress.stage("compose");
  if (options.refine) {
    // Refinement records its choices in the cues, so cues.json re-composes to this score.
    RefineResult refined =
        refine(result.cues, {.seed = options.seed}, {.time_cap_s = options.refine_budget_s});
    result.cues = std::move(refined.cues);
    result.score = std::move(refined.score);
    result.refinement = std::move(refined.sections);
  } else {
    result.score = compose(result.cues, {.seed = options.seed});
  }
  save_cue_sheet(result.cues, options.output_dir / "cues.json");
  result.judged = judge_sections(result.score, steering_judge_weights());
  save_midi(result.score, options.output_dir / "score.mid");
  if (options.musicxml) save_musicxml(result.score, options.output_dir / "score.musicxml");
  check_interrupted();

  auto synth_progress = progress.stage("synthesize");
  SynthOptions synth;
  synth.soundfont = result.soundfont;
  synth.section_fx = section_fx_for(result.score);  // calm and sad sections wetter than angry ones
  AudioBuffer audio = synthesize(result.score, synth, synth_progress);
  result.loudness = master(audio, {});
  write_wav(audio, options.output_dir / "score.wav");

  if (options.video) {
    auto video_progress = progress.stage("video");
    render_video(audio, result.cues, result.score, options.video_options, options.output_dir / "video.mp4",
                 video_progress);
    // AAC can push peaks over the limiter's ceiling: measure what the viewer actually hears.
    result.video_loudness = measure_loudness(decode_audio(options.output_dir / "video.mp4"));
  }
  progress.finish_stage();
  result.timings = progress.timings();
  result.report = build_report(result, options);
  write_file_atomically(options.output_dir / "report.json", result.report.dump(2) + "\n");
  return result;
}

nlohmann::json build_report(const MakeResult& r, const MakeOptions& options) {
  nlohmann::json segments = nlohmann::json::array();
  for (std::size_t i = 0; i < r.document.sentences.size(); ++i) {
    const Sentence& s = r.document.sentences[i];
    const Emotion e = i < r.arc.sentences.size() ? r.arc.sentences[i] : Emotion{};
    nlohmann::json seg = {{"index", i},
                          {"text", s.text},
                          {"line", s.line},
                          {"scene", s.scene},
                          {"valence", e.valence},
                          {"arousal", e.arousal},
                          {"tension", e.tension},
                          {"emotion", e.dominant_name()},
                          {"confidence", e.confidence}};
    if (i < r.cues.captions.size()) {
      seg["start_s"] = r.cues.captions[i].start_s;
      seg["end_s"] = r.cues.captions[i].end_s;
    }
    segments.push_back(std::move(seg));
  }
  nlohmann::json sections = nlohmann::json::array();
  for (std::size_t i = 0; i < r.score.sections.size(); ++i) {
    nlohmann::json s = r.score.sections[i];
    if (i < r.judged.size()) s["judged"] = r.judged[i];
    if (i < r.cues.cues.size()) s["characters"] = r.cues.cues[i].characters;
    if (i < r.refinement.size()) s["refinement"] = r.refinement[i];
    sections.push_back(std::move(s));
  }
  nlohmann::json timings = nlohmann::json::object();
  double total = 0;
  for (const auto& [name, seconds] : r.timings) {
    timings[name] = seconds;
    total += seconds;
  }
  timings["total"] = total;
  nlohmann::json outputs = {{"midi", "score.mid"}, {"audio", "score.wav"}, {"cues", "cues.json"}};
  if (options.video) outputs["video"] = "video.mp4";
  if (options.musicxml) outputs["musicxml"] = "score.musicxml";
  return {{"format", "tonepoem-report/1"},
          {"story", options.story.string()},
          {"title", r.document.title},
          {"language", language_name(r.document.language)},
          {"seed", options.seed},
          {"refined", options.refine},
          {"duration_s", r.score.duration_s()},
          {"soundfont", r.soundfont.string()},
          {"climax_scene", r.arc.climax_scene},
          {"characters", r.arc.characters},
          {"segments", std::move(segments)},
          {"sections", std::move(sections)},
          {"loudness", r.loudness},
          {"video_loudness", options.video ? nlohmann::json(r.video_loudness) : nlohmann::json()},
          {"outputs", std::move(outputs)},
          {"timings_s", std::move(timings)}};
}

}  // namespace tonepoem
