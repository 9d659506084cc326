#include "pipeline/make.h"

#include <cmath>
#include <exception>
#include <thread>

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
  if (story.empty())
    problems.emplace_back("STORY: give the story file to read (.txt or .md, UTF-8)");
  if (output_dir.empty()) problems.emplace_back("-o/--output: give the folder to write into");
  if (duration_s != 0 && !(duration_s >= 5 && duration_s <= 3600))
    problems.push_back(
        fmt::format("--duration: {} is out of range; accepts 5 to 3600 seconds (or leave it "
                    "out to follow reading speed)",
                    duration_s));
  if (narrate && duration_s != 0)
    problems.emplace_back("--duration: not accepted with --narrate (the reading sets the length)");
  if (narrate && !(ducking.depth_db >= 8 && ducking.depth_db <= 40))
    problems.push_back(
        fmt::format("--duck: {} dB is out of range; accepts 8 to 40 dB", ducking.depth_db));
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

namespace {

// Reads the story aloud and gives every sentence the time slot of its reading: from the middle
// of the pause before it (0 for the first) to the end of its speech, the last one running on to
// the end of the outro, so that plan() changes scenes halfway through the pauses between them.
void narrate_document(MakeResult& result, const MakeOptions& options) {
  Document& doc = result.document;
  result.voice = !options.voice.empty()         ? options.voice
                 : doc.language == Language::zh ? "cmn"
                                                : "en";
  std::vector<std::string> texts;
  std::vector<bool> scene_starts(doc.sentences.size(), false);
  for (const Sentence& s : doc.sentences) texts.push_back(s.text);
  for (const Scene& scene : doc.scenes)
    if (scene.sentence_count > 0 && scene.first_sentence < scene_starts.size())
      scene_starts[scene.first_sentence] = true;
  NarrationOptions narration;
  narration.voice = result.voice;
  result.narration = narrate(texts, scene_starts, narration);
  double previous_end = 0;
  for (std::size_t i = 0; i < doc.sentences.size(); ++i) {
    const SpokenSentence& spoken = result.narration.sentences[i];
    const double start =
        i == 0 ? 0.0 : std::max(previous_end, 0.5 * (previous_end + spoken.start_s));
    doc.sentences[i].start_s = start;
    doc.sentences[i].end_s = std::max(spoken.end_s, start + 0.05);
    previous_end = *doc.sentences[i].end_s;
  }
  if (!doc.sentences.empty())
    doc.sentences.back().end_s =
        std::max(*doc.sentences.back().end_s, result.narration.audio.duration_s());
}

// Captions take the spoken spans and words exactly (plan() spreads the pauses over them).
void follow_narration(CueSheet& cues, const Narration& narration) {
  for (std::size_t i = 0; i < cues.captions.size() && i < narration.sentences.size(); ++i) {
    const SpokenSentence& spoken = narration.sentences[i];
    Caption& caption = cues.captions[i];
    caption.start_s = spoken.start_s;
    caption.end_s = std::min(std::max(spoken.end_s, spoken.start_s + 0.05), cues.duration_s);
    caption.words.clear();
    for (const SpokenWord& w : spoken.words) caption.words.push_back({w.text, w.start_s, w.end_s});
  }
}

// The voice set 2 LU over the music's own loudness (the music then ducks under it), mixed in;
// the gain given to the voice is left in ducking.speech_gain_db.
AudioBuffer mix_narration(const AudioBuffer& music, const AudioBuffer& speech,
                          DuckOptions& ducking) {
  const double music_lufs = integrated_loudness(music);
  const double speech_lufs = integrated_loudness(speech);
  if (std::isfinite(music_lufs) && std::isfinite(speech_lufs) && music_lufs > -70 &&
      speech_lufs > -70)
    ducking.speech_gain_db = music_lufs + 2.0 - speech_lufs;
  return mix_with_narration(music, speech, ducking);
}

}  // namespace

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

  if (options.narrate) {
    progress.stage("narrate");
    narrate_document(result, options);
    check_interrupted();
  }

  progress.stage("plan");
  result.cues =
      plan(result.document, result.arc, {.duration_s = options.duration_s, .seed = options.seed});
  if (options.narrate) follow_narration(result.cues, result.narration);

  progress.stage(options.refine ? "compose+refine" : "compose");
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
  DuckOptions ducking = options.ducking;
  progress.stage("master");
  if (options.narrate) audio = mix_narration(audio, result.narration.audio, ducking);
  result.loudness = master(audio, {});
  progress.stage("write audio");
  // score.wav and the chosen format are written side by side (the encoder is the slow one).
  std::exception_ptr wav_error;
  std::thread wav_writer([&] {
    try {
      write_wav(audio, options.output_dir / "score.wav");
    } catch (...) {
      wav_error = std::current_exception();
    }
  });
  try {
    if (options.audio_format != AudioFileFormat::wav16) {
      const AudioTags tags{.title = result.document.title.empty() ? options.story.stem().string()
                                                                  : result.document.title,
                           .artist = options.artist,
                           .comment = fmt::format("tonepoem seed {}", options.seed)};
      write_audio(audio,
                  options.output_dir /
                      ("score" + std::string(audio_format_extension(options.audio_format))),
                  options.audio_format, tags);
    }
  } catch (...) {
    wav_writer.join();
    throw;
  }
  wav_writer.join();
  if (wav_error) std::rethrow_exception(wav_error);
  if (options.stems) {
    auto stems_progress = progress.stage("stems");
    const double gain = std::pow(10.0, result.loudness.gain_db / 20.0);
    ensure_writable_dir(options.output_dir / "stems");
    for (Stem& stem : synthesize_stems(result.score, synth, stems_progress)) {
      for (float& v : stem.audio.samples) v = static_cast<float>(v * gain);
      const std::string file = stem.name + ".wav";
      write_audio(stem.audio, options.output_dir / "stems" / file, AudioFileFormat::wav24);
      result.stems.push_back("stems/" + file);
    }
    if (options.narrate) {  // the voice as it is in the mix
      AudioBuffer voice = resample(result.narration.audio, audio.sample_rate);
      const double voice_gain = gain * std::pow(10.0, ducking.speech_gain_db / 20.0);
      for (float& v : voice.samples) v = static_cast<float>(v * voice_gain);
      write_audio(voice, options.output_dir / "stems" / "narration.wav", AudioFileFormat::wav24);
      result.stems.push_back("stems/narration.wav");
    }
  }

  if (options.video) {
    auto video_progress = progress.stage("video");
    render_video(audio, result.cues, result.score, options.video_options,
                 options.output_dir / "video.mp4", video_progress);
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
  if (options.audio_format != AudioFileFormat::wav16)
    outputs["audio_" + std::string(audio_format_name(options.audio_format))] =
        "score" + std::string(audio_format_extension(options.audio_format));
  if (!r.stems.empty()) outputs["stems"] = r.stems;
  return {
      {"format", "tonepoem-report/1"},
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
      {"mastering",
       {{"target_lufs", MasterOptions{}.target_lufs},
        {"true_peak_ceiling_dbtp", MasterOptions{}.true_peak_ceiling_dbtp},
        {"loudness_error_lu", std::abs(r.loudness.integrated_lufs - MasterOptions{}.target_lufs)}}},
      {"narration", options.narrate ? nlohmann::json{{"voice", r.voice},
                                                     {"duck_depth_db", options.ducking.depth_db},
                                                     {"sentences", r.narration.sentences.size()},
                                                     {"speech_s", r.narration.audio.duration_s()}}
                                    : nlohmann::json()},
      {"video_loudness", options.video ? nlohmann::json(r.video_loudness) : nlohmann::json()},
      {"outputs", std::move(outputs)},
      {"timings_s", std::move(timings)}};
}

}  // namespace tonepoem
