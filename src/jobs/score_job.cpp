#include "jobs/score_job.h"

#include <unistd.h>
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/files.h"
#include "music/compose.h"
#include "music/midi.h"
#include "plan/plan.h"
#include "video/probe.h"

namespace tonepoem {

OptionProblems ScoreOptions::validate() const {
  OptionProblems problems;
  if (video.empty()) problems.push_back({"video", "give the film to score (mp4, mkv, mov, webm)"});
  if (!(duck_db >= 0 && duck_db <= 40))
    problems.push_back(
        {"duck", fmt::format("{} dB is out of range; accepts 0 (no ducking) to 40 dB", duck_db)});
  if (!(music_under_original_lu >= 0 && music_under_original_lu <= 30))
    problems.push_back({"music_under_original", "accepts 0 to 30 LU"});
  return problems;
}

namespace {

// The subtitles' lines with their real times. Throws Error(bad_input) for a file without
// timings or a line that starts after the film ends; a line running past the end is cut there.
std::vector<Caption> subtitle_spans(const Document& doc, const std::filesystem::path& file,
                                    double duration_s, int& clipped) {
  std::vector<Caption> spans;
  clipped = 0;
  for (std::size_t i = 0; i < doc.sentences.size(); ++i) {
    const Sentence& s = doc.sentences[i];
    if (!s.start_s || !s.end_s)
      fail_input(file.string(), "the subtitles have no timings",
                 "give an SRT or WebVTT file (with 00:00:01,000 --> 00:00:03,000 lines)");
    if (*s.start_s >= duration_s)
      fail_input(file.string(),
                 fmt::format("the line at source line {} (\"{}\") starts at {:.2f} s, after the "
                             "video ends ({:.2f} s)",
                             s.line, s.text.substr(0, 40), *s.start_s, duration_s),
                 "check that the subtitles belong to this video (or shift their times)");
    Caption c;
    c.text = s.text;
    c.start_s = *s.start_s;
    c.end_s = std::min(*s.end_s, duration_s);
    if (*s.end_s > duration_s) ++clipped;
    spans.push_back(std::move(c));
  }
  if (spans.empty())
    fail_input(file.string(), "the subtitles hold no lines", "give an SRT or WebVTT file");
  return spans;
}

// Interleaved stereo at `rate`, exactly `frames` long (cut or padded with silence).
AudioBuffer stereo_fitted(AudioBuffer audio, int rate, std::size_t frames) {
  if (audio.sample_rate != rate) audio = resample(audio, rate);
  AudioBuffer out;
  out.sample_rate = rate;
  out.channels = 2;
  out.samples.assign(2 * frames, 0.0f);
  const std::size_t n = std::min(frames, audio.frames());
  const std::size_t ch = static_cast<std::size_t>(std::max(1, audio.channels));
  for (std::size_t i = 0; i < n; ++i) {
    out.samples[2 * i] = audio.samples[i * ch];
    out.samples[2 * i + 1] = audio.samples[i * ch + (ch > 1 ? 1 : 0)];
  }
  return out;
}

void scale(AudioBuffer& audio, double db) {
  const float g = static_cast<float>(std::pow(10.0, db / 20.0));
  for (float& v : audio.samples) v *= g;
}

nlohmann::json build_score_report(const ScoreResult& r, const ScoreOptions& options,
                                  const std::vector<std::pair<std::string, double>>& timings,
                                  int clipped) {
  const FootageAnalysis& film = r.film;
  const double frame_s = film.fps > 0 ? 1.0 / film.fps : 0.04;
  nlohmann::json sections = nlohmann::json::array();
  for (const ScoreSection& s : r.score.sections) sections.push_back(s);
  // Each cue boundary against the nearest cut: the cue's start (cues.json) and the music's
  // section start (on a downbeat, within a beat of the cue).
  nlohmann::json boundaries = nlohmann::json::array();
  for (std::size_t c = 1; c < r.cues.cues.size(); ++c) {
    const double cue_start = r.cues.cues[c].start_s;
    const Cut* nearest = nullptr;
    for (const Cut& cut : film.cuts)
      if (!nearest || std::abs(cut.time_s - cue_start) < std::abs(nearest->time_s - cue_start))
        nearest = &cut;
    nlohmann::json b = {{"cue", r.cues.cues[c].name}, {"cue_start_s", cue_start}};
    if (c - 1 < r.boundaries.size()) {
      b["wanted_s"] = r.boundaries[c - 1].wanted_s;
      b["snapped"] = r.boundaries[c - 1].snapped;
    }
    if (c < r.score.sections.size()) b["music_start_s"] = r.score.sections[c].start_s;
    if (nearest) {
      b["nearest_cut_frame"] = nearest->frame;
      b["cue_error_frames"] = (cue_start - nearest->time_s) / frame_s;
      if (c < r.score.sections.size())
        b["music_error_s"] = r.score.sections[c].start_s - nearest->time_s;
    }
    boundaries.push_back(std::move(b));
  }
  nlohmann::json original;  // null: the film has no sound track
  if (film.has_audio) {
    original = nlohmann::json::object();
    original["integrated_lufs"] =
        std::isfinite(r.original_lufs) ? nlohmann::json(r.original_lufs) : nlohmann::json("silent");
  }
  nlohmann::json timing = nlohmann::json::object();
  double total = 0;
  for (const auto& [name, seconds] : timings) {
    timing[name] = seconds;
    total += seconds;
  }
  timing["total"] = total;
  return {{"format", "tonepoem-score-report/1"},
          {"video", options.video.string()},
          {"subtitles", options.subtitles.empty() ? nlohmann::json()
                                                  : nlohmann::json(options.subtitles.string())},
          {"arc_from", r.dialogue ? "subtitles (text emotion), cues fitted to the cuts"
                                  : "the picture alone (no subtitles): brightness, colour, motion "
                                    "and cut rate per scene of shots"},
          {"seed", options.seed},
          {"picture",
           {{"width", film.width},
            {"height", film.height},
            {"fps", film.fps},
            {"frames", film.frames},
            {"duration_s", film.duration_s},
            {"codec", film.video_codec},
            {"shots", film.shots.size()},
            {"flashes_ignored", film.flashes_ignored}}},
          {"cuts", film.cuts},
          {"shots", film.shots},
          {"boundaries", std::move(boundaries)},
          {"sections", std::move(sections)},
          {"hits", r.cues.hits},
          {"ducking",
           {{"depth_db", r.dialogue ? options.duck_db : 0.0},
            {"spans", r.cues.captions.size()},
            {"lines_cut_at_the_end", clipped}}},
          {"original_audio", std::move(original)},
          {"loudness", r.loudness},
          {"delivered_loudness", r.delivered},
          {"mastering", {{"target_lufs", MasterOptions{}.target_lufs}}},
          {"soundfont", r.soundfont.string()},
          {"outputs", r.outputs},
          {"timings_s", std::move(timing)}};
}

}  // namespace

ScoreResult run_score(const ScoreOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  ScoreResult result;
  const CancelToken& cancel = context.cancel();
  result.dialogue = !options.subtitles.empty();
  context.stage("read");
  if (result.dialogue)
    result.document = parse_file(options.subtitles, {.language = options.language});
  result.soundfont = find_soundfont(options.soundfont);
  context.outputs().check_writable();

  result.film = analyze_footage(options.video, options.shots, context.stage("picture"), cancel);
  const FootageAnalysis& film = result.film;
  int clipped = 0;
  if (result.dialogue) {
    const std::vector<Caption> spans =
        subtitle_spans(result.document, options.subtitles, film.duration_s, clipped);
    context.stage("analyze");
    result.arc = analyze(result.document, {.lexicons = load_lexicons({})});
    context.stage("plan");
    // Film cues are shorter than a story's: a scene of dialogue may be under a minute.
    const CueSheet planned = plan(
        result.document, result.arc,
        {.duration_s = film.duration_s, .seed = options.seed, .min_cue_s = 8, .max_cue_s = 90});
    result.cues = fit_cues_to_film(planned, spans, film, options.fit, &result.boundaries);
  } else {
    context.stage("plan");
    result.cues = picture_cues(film, options.seed, options.fit);
  }
  if (result.cues.title.empty()) result.cues.title = options.video.stem().string();
  result.cues.seed = options.seed;

  context.stage("compose");
  result.score = compose(result.cues, {.seed = options.seed});

  SynthOptions synth;
  synth.soundfont = result.soundfont;
  synth.section_fx = section_fx_for(result.score);
  AudioBuffer music = synthesize(result.score, synth, context.stage("synthesize"), cancel);

  context.stage("mix");
  const int rate = music.sample_rate;
  const std::size_t frames = static_cast<std::size_t>(std::llround(film.duration_s * rate));
  music = stereo_fitted(std::move(music), rate, frames);
  AudioBuffer original;
  result.original_lufs = 0;
  if (film.has_audio) {
    original = stereo_fitted(decode_audio(options.video), rate, frames);
    result.original_lufs = integrated_loudness(original);
    const double music_lufs = integrated_loudness(music);
    if (std::isfinite(result.original_lufs) && result.original_lufs > -70 &&
        std::isfinite(music_lufs))
      scale(music, result.original_lufs - options.music_under_original_lu - music_lufs);
  }
  if (result.dialogue && options.duck_db > 0) {
    const std::vector<float> gain =
        dialogue_ducking_gain(result.cues.captions, film.duration_s, rate, options.duck_db);
    for (std::size_t i = 0; i < frames && i < gain.size(); ++i) {
      music.samples[2 * i] *= gain[i];
      music.samples[2 * i + 1] *= gain[i];
    }
  }
  AudioBuffer mix = music;
  if (!original.samples.empty())
    for (std::size_t i = 0; i < mix.samples.size(); ++i) mix.samples[i] += original.samples[i];
  context.stage("master");
  result.loudness = master(mix, {}, cancel);
  scale(music, result.loudness.gain_db);  // the stem at its gain in the mix

  const auto written = [&](const std::string& key, const std::string& name) {
    context.outputs().written(name);
    result.outputs[key] = name;
  };
  context.stage("write cues");
  save_cue_sheet(result.cues, context.outputs().path_for("cues.json"));
  written("cues", "cues.json");
  context.stage("write midi");
  save_midi(result.score, context.outputs().path_for("score.mid"));
  written("midi", "score.mid");
  context.stage("write music");
  write_wav(music, context.outputs().path_for("music.wav"), SampleFormat::pcm16, cancel);
  written("music", "music.wav");
  context.stage("write video");
  {
    const std::filesystem::path video_path = context.outputs().path_for("scored.mp4");
    // The mix as AAC beside it, copied into the film and removed.
    const std::filesystem::path aac =
        video_path.parent_path() / fmt::format(".scored-audio-{}.m4a", ::getpid());
    struct Remove {
      std::filesystem::path path;
      ~Remove() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
      }
    } remove_aac{aac};
    write_audio(mix, aac, AudioFileFormat::m4a_aac, {}, cancel);
    mux_video_with_audio(options.video, aac, video_path, cancel);
    result.delivered = measure_loudness(decode_audio(video_path));
  }
  written("video", "scored.mp4");
  context.finish_stage();
  result.report = build_score_report(result, options, context.timings(), clipped);
  write_file_atomically(context.outputs().path_for("report.json"), result.report.dump(2) + "\n");
  context.outputs().written("report.json");
  return result;
}

}  // namespace tonepoem
