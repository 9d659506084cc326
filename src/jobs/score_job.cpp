#include "jobs/score_job.h"

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "core/files.h"
#include "model/cue_sheet.h"
#include "music/compose.h"
#include "music/midi.h"
#include "plan/plan.h"
#include "video/probe.h"

namespace tonepoem {

OptionProblems ScoreOptions::validate() const {
  OptionProblems problems;
  if (video.empty()) problems.push_back({"video", "give the film to score (mp4, mkv, mov, webm)"});
  if (!is_music_style(style)) problems.push_back({"style", style_problem(style)});
  if (!cue_sheet.empty() && !subtitles.empty())
    problems.push_back({"cue_sheet",
                        "give subtitles or an edited cue sheet, not both (the cue sheet "
                        "holds its subtitles as captions)"});
  if (!(duck_db >= 0 && duck_db <= 40))
    problems.push_back(
        {"duck", fmt::format("{} dB is out of range; accepts 0 (no ducking) to 40 dB", duck_db)});
  if (!(loudness_lufs >= kMinLoudnessLufs && loudness_lufs <= kMaxLoudnessLufs))
    problems.push_back(
        {"loudness", fmt::format("{} LUFS is out of range; accepts {} to {} LUFS (-14 streaming, "
                                 "-23 EBU R128 or -24 ATSC A/85 broadcast)",
                                 loudness_lufs, kMinLoudnessLufs, kMaxLoudnessLufs)});
  if (!(music_under_original_lu >= 0 && music_under_original_lu <= 30))
    problems.push_back({"music_under_original", "accepts 0 to 30 LU"});
  return problems;
}

namespace {

// The subtitles' lines with their real times. Throws Error(bad_input) for a file without
// timings or (a --subtitles file) a line that starts after the film ends; a line running past the
// end is cut there. A stream inside the film may run on past its picture: those lines are dropped.
std::vector<Caption> subtitle_spans(const Document& doc, const std::string& source,
                                    double duration_s, bool from_stream, int& clipped) {
  std::vector<Caption> spans;
  clipped = 0;
  for (std::size_t i = 0; i < doc.sentences.size(); ++i) {
    const Sentence& s = doc.sentences[i];
    if (!s.start_s || !s.end_s)
      fail_input(source, "the subtitles have no timings",
                 "give an SRT, WebVTT or ASS file (with 00:00:01,000 --> 00:00:03,000 lines)");
    if (*s.start_s >= duration_s && from_stream) {
      ++clipped;
      continue;
    }
    if (*s.start_s >= duration_s)
      fail_input(source,
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
    fail_input(source, "the subtitles hold no lines", "give an SRT, WebVTT or ASS file");
  return spans;
}

// The film's sound appended to `out` (stereo at its rate) exactly `frames` long: decoded into a
// spool at the film's own rate, converted a block at a time, its first two channels kept (a mono
// track on both), cut or padded with silence. Never held whole.
void spool_film_sound(const std::filesystem::path& video, const std::filesystem::path& spool_dir,
                      std::size_t frames, PcmSpool& out, const CancelToken& cancel) {
  std::optional<PcmSpool> decoded;
  decode_audio_to(
      video,
      [&](int sample_rate, int channels) { decoded.emplace(spool_dir, sample_rate, channels); },
      [&](const float* samples, std::size_t count) { decoded->append(samples, count); });
  std::size_t written = 0;
  std::vector<float> stereo;
  if (decoded) {
    const auto ch = static_cast<std::size_t>(std::max(1, decoded->channels()));
    resample_to(
        *decoded, out.sample_rate(),
        [&](const float* samples, std::size_t count) {
          const std::size_t take = std::min(count, frames - written);
          stereo.resize(2 * take);
          for (std::size_t i = 0; i < take; ++i) {
            stereo[2 * i] = samples[i * ch];
            stereo[2 * i + 1] = samples[i * ch + (ch > 1 ? 1 : 0)];
          }
          out.append(stereo.data(), take);
          written += take;
        },
        cancel);
  }
  stereo.assign(2 * 16384, 0.0f);
  while (written < frames) {
    const std::size_t take = std::min<std::size_t>(16384, frames - written);
    out.append(stereo.data(), take);
    written += take;
  }
}

float gain_of(double db) {
  return static_cast<float>(std::pow(10.0, db / 20.0));
}

// The score's sound read a block at a time from spools, so that no part of it is held whole: the
// music cut or padded to the film's length, at `music_gain`, ducked under `speech`, then at
// `stem_gain`, plus the film's own sound when there is one. Stereo, at the music's rate.
class FilmMix final : public PcmSource {
 public:
  struct Parts {
    const PcmSource* music = nullptr;
    const PcmSource* original = nullptr;  // the film's sound (null: the music alone)
    std::size_t frames = 0;
    float music_gain = 1.0f, stem_gain = 1.0f;
    const std::vector<Caption>* speech = nullptr;  // null: not ducked
    double duration_s = 0, duck_db = 0;
  };
  explicit FilmMix(Parts parts) : parts_(parts) {}
  int sample_rate() const override { return parts_.music->sample_rate(); }
  int channels() const override { return 2; }
  std::size_t frames() const override { return parts_.frames; }
  void read(std::int64_t first, std::size_t count, float* out) const override {
    std::fill(out, out + 2 * count, 0.0f);
    const std::int64_t lo = std::max<std::int64_t>(first, 0);
    const std::int64_t hi =
        std::min(first + static_cast<std::int64_t>(count), static_cast<std::int64_t>(frames()));
    if (hi <= lo) return;
    const std::size_t n = static_cast<std::size_t>(hi - lo);
    float* at = out + 2 * (lo - first);
    parts_.music->read(lo, n, at);
    std::vector<float> duck;
    if (parts_.speech) {
      duck.resize(n);
      dialogue_ducking_gain_into(*parts_.speech, parts_.duration_s, sample_rate(), parts_.duck_db,
                                 static_cast<std::size_t>(lo), n, duck.data());
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < 2; ++c) {
        float& v = at[2 * i + c];
        v *= parts_.music_gain;
        if (parts_.speech) v *= duck[i];
        v *= parts_.stem_gain;
      }
    }
    if (parts_.original) {
      std::vector<float> sound(2 * n);
      parts_.original->read(lo, n, sound.data());
      for (std::size_t i = 0; i < 2 * n; ++i) at[i] = sound[i] + at[i];
    }
  }

 private:
  Parts parts_;
};

// What a delivery check looks at, measured on scored.mp4 as written: its streams' starts and ends
// (A/V sync), its audio decoded back (loudness against the target, true peak against the
// ceiling), and each musical event placed on a cut against that cut's frame.
nlohmann::json quality_report(const ScoreResult& r, const ScoreOptions& options) {
  const MasterOptions master_options{.target_lufs = options.loudness_lufs};
  const AvSpans& av = r.delivered_spans;
  const double frame_s = r.film.fps > 0 ? 1.0 / r.film.fps : 0.04;
  nlohmann::json sync = {
      {"video_start_s", av.video.start_s},
      {"video_end_s", av.video.end_s},
      {"audio_start_s", av.audio.start_s},
      {"audio_end_s", av.audio.end_s},
      {"audio_decoded_s", r.delivered_audio_s},
      {"start_difference_ms", 1000 * (av.audio.start_s - av.video.start_s)},
      {"end_difference_ms", 1000 * (av.audio.end_s - av.video.end_s)},
      {"decoded_length_difference_ms",
       1000 * (r.delivered_audio_s - (av.video.end_s - av.video.start_s))},
  };
  sync["within_one_frame"] = std::abs(av.audio.start_s - av.video.start_s) <= frame_s &&
                             std::abs(av.audio.end_s - av.video.end_s) <= frame_s;
  nlohmann::json hits = nlohmann::json::array();
  double worst_section = 0, worst_accent = 0;
  int on_cuts = 0;
  for (const HitRow& row : r.hit_list) {
    if (row.cut_frame < 0) continue;
    ++on_cuts;
    const double frames = row.error_s / frame_s;
    (row.event == "accent" ? worst_accent : worst_section) =
        std::max(row.event == "accent" ? worst_accent : worst_section, std::abs(frames));
    hits.push_back({{"event", row.event},
                    {"cut_frame", row.cut_frame},
                    {"music_s", row.music_s},
                    {"error_ms", 1000 * row.error_s},
                    {"error_frames", frames}});
  }
  return {{"av_sync", std::move(sync)},
          {"loudness",
           {{"target_lufs", options.loudness_lufs},
            {"integrated_lufs", r.delivered.integrated_lufs},
            {"error_lu", r.delivered.integrated_lufs - options.loudness_lufs},
            {"true_peak_dbtp", r.delivered.true_peak_dbtp},
            {"true_peak_ceiling_dbtp", master_options.true_peak_ceiling_dbtp},
            {"true_peak_over_ceiling",
             r.delivered.true_peak_dbtp > master_options.true_peak_ceiling_dbtp}}},
          {"hit_points",
           {{"on_cuts", on_cuts},
            {"largest_section_error_frames", worst_section},
            {"largest_accent_error_frames", worst_accent},
            {"tempo_bend_percent", 100 * r.tempo_bend},
            {"events", std::move(hits)}}}};
}

// The speech found in the film's sound track (null when the detector did not run).
nlohmann::json voice_report(const ScoreResult& r) {
  if (!r.voice_detected) return nullptr;
  nlohmann::json spans = nlohmann::json::array();
  double speech_s = 0;
  for (const Caption& c : r.voice_spans) {
    spans.push_back({{"start_s", c.start_s}, {"end_s", c.end_s}});
    speech_s += c.end_s - c.start_s;
  }
  return {{"method",
           "speech-band (300-3400 Hz) level over the track's background, spectral flatness and "
           "syllabic modulation per 10 ms, with a hangover; a heuristic, not a trained model"},
          {"speech_s", speech_s},
          {"spans", std::move(spans)}};
}

// Which subtitles drove the music: the file given, the stream inside the film, or none (and why).
nlohmann::json subtitle_report(const ScoreResult& r, const ScoreOptions& options) {
  nlohmann::json j = {{"source", r.subtitle_source}};
  if (r.subtitle_source == "file") j["file"] = options.subtitles.string();
  if (!options.cue_sheet.empty()) j["cue_sheet"] = options.cue_sheet.string();
  if (r.embedded.stream_index >= 0)
    j["stream"] = {{"index", r.embedded.stream_index},
                   {"codec", r.embedded.codec},
                   {"language", r.embedded.language},
                   {"events", r.embedded.events}};
  if (!r.embedded.skipped.empty()) j["streams_not_read"] = r.embedded.skipped;
  if (!r.subtitle_note.empty()) j["note"] = r.subtitle_note;
  if (r.dialogue) j["lines"] = r.cues.captions.size();
  return j;
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
          {"subtitles", subtitle_report(r, options)},
          {"arc_from", r.dialogue ? "subtitles (text emotion), cues fitted to the cuts and "
                                    "split where the shots turn"
                                  : "the picture alone (no subtitles) and the film's sound: "
                                    "scenes are runs of shots with a consistent arc"},
          {"cues_split_at_shot_turns", r.arc_splits},
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
           {{"source", r.dialogue         ? "subtitles"
                       : r.voice_detected ? "voice activity in the film's sound track"
                                          : "none (no subtitles, no sound track)"},
            {"depth_db", r.dialogue || !r.voice_spans.empty() ? options.duck_db : 0.0},
            {"spans", r.dialogue ? r.cues.captions.size() : r.voice_spans.size()},
            {"lines_cut_at_the_end", clipped},
            {"lead_notes_rested", r.thinned_notes},
            {"gaps_for_dialogue", r.gaps}}},
          {"voice_activity", voice_report(r)},
          {"original_audio", std::move(original)},
          {"loudness", r.loudness},
          {"delivered_loudness", r.delivered},
          {"mastering", {{"target_lufs", options.loudness_lufs}}},
          {"qc", quality_report(r, options)},
          {"soundfont", r.soundfont.string()},
          {"outputs", r.outputs},
          {"timings_s", std::move(timing)}};
}

}  // namespace

ScoreResult run_score(const ScoreOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  ScoreResult result;
  const CancelToken& cancel = context.cancel();
  context.stage("read");
  std::string subtitle_name;  // names the subtitles in messages
  if (!options.cue_sheet.empty()) {
    // An edited cue sheet in place of the plan, read first so that a bad one fails at once.
    result.cues = load_cue_sheet(options.cue_sheet);
    if (!result.cues.captions.empty()) result.subtitle_source = "cues";
  } else if (!options.subtitles.empty()) {
    result.document = parse_file(options.subtitles, {.language = options.language});
    result.subtitle_source = "file";
    subtitle_name = options.subtitles.string();
  } else {
    result.embedded = read_embedded_subtitles(options.video, cancel);
    if (result.embedded.stream_index >= 0 && result.embedded.events == 0) {
      result.subtitle_note = fmt::format("subtitle stream {} ({}) holds no lines; scored without",
                                         result.embedded.stream_index, result.embedded.codec);
    } else if (result.embedded.stream_index >= 0) {
      subtitle_name = fmt::format("{}, subtitle stream {} ({})", options.video.string(),
                                  result.embedded.stream_index, result.embedded.codec);
      try {
        result.document =
            parse_text(result.embedded.ass_script, subtitle_name, {.language = options.language});
        result.subtitle_source = "stream";
      } catch (const Error& e) {
        if (e.code() != ExitCode::bad_input) throw;
        result.subtitle_note = "not used: " + e.describe();
      }
    } else if (!result.embedded.skipped.empty()) {
      result.subtitle_note = "the film's subtitle streams are pictures, not text; scored without";
    }
  }
  result.dialogue = result.subtitle_source != "none";
  result.soundfont = find_soundfont(options.soundfont);
  context.outputs().check_writable();

  result.film = analyze_footage(options.video, options.shots, context.stage("picture"), cancel);
  const FootageAnalysis& film = result.film;
  int clipped = 0;
  if (result.subtitle_source == "stream" &&
      std::none_of(result.document.sentences.begin(), result.document.sentences.end(),
                   [&](const Sentence& s) { return s.start_s && *s.start_s < film.duration_s; })) {
    // A stream the user did not name: when none of it falls inside the picture, go on without.
    result.subtitle_note = fmt::format(
        "{}: every line starts after the picture ends ({:.2f} s); "
        "scored without",
        subtitle_name, film.duration_s);
    result.subtitle_source = "none";
    result.dialogue = false;
  }
  if (!options.cue_sheet.empty()) {
    if (std::abs(result.cues.duration_s - film.duration_s) > 0.5)
      fail_input(options.cue_sheet.string(),
                 fmt::format("is the cue sheet of a {:.2f} s film; this one lasts {:.2f} s",
                             result.cues.duration_s, film.duration_s),
                 "give the cues.json written by a run on this film");
  } else if (result.dialogue) {
    const std::vector<Caption> spans =
        subtitle_spans(result.document, subtitle_name, film.duration_s,
                       result.subtitle_source == "stream", clipped);
    context.stage("analyze");
    result.arc = analyze(result.document, {.lexicons = load_lexicons({})});
    context.stage("plan");
    // Film cues are shorter than a story's: a scene of dialogue may be under a minute.
    const CueSheet planned = plan(
        result.document, result.arc,
        {.duration_s = film.duration_s, .seed = options.seed, .min_cue_s = 8, .max_cue_s = 90});
    result.cues = fit_cues_to_film(planned, spans, film, options.fit, &result.boundaries);
    // The words lead; the picture moves them (a chase under calm lines is still a chase).
    blend_picture_into_cues(result.cues, film, options.fit.picture_weight);
  }
  // Without dialogue the scenes come from the shots' arc, which needs the film's sound: planned
  // below, once it is heard.
  const bool plan_from_picture = options.cue_sheet.empty() && !result.dialogue;

  // The film's own sound, at the music's rate: mixed under the score, and (without subtitles)
  // where its voices are the music ducks and thins. Once read it waits in a spool (an unnamed
  // file in the output folder) with the music and the mix: the film's length does not weigh on
  // the synthesis, the mix or the mastering.
  const int rate = SynthOptions{}.sample_rate;
  const std::size_t frames = static_cast<std::size_t>(std::llround(film.duration_s * rate));
  const std::filesystem::path spool_dir = context.outputs().path_for("scored.mp4").parent_path();
  std::optional<PcmSpool> original;
  result.original_lufs = 0;
  if (film.has_audio) {
    context.stage("listen");
    original.emplace(spool_dir, rate, 2);
    spool_film_sound(options.video, spool_dir, frames, *original, cancel);
    result.original_lufs = integrated_loudness(*original, cancel);
    if (!result.dialogue && std::isfinite(result.original_lufs) && result.original_lufs > -70) {
      context.stage("voice activity");
      result.voice_spans = detect_voice_activity(*original).spans;
      result.voice_detected = true;
    }
    if (frames == 0) original.reset();
  }
  if (options.cue_sheet.empty()) {
    context.stage("arc");
    // The film shot by shot: its picture, its sound and its lines. Inside each cue the music
    // follows it; without dialogue its runs of consistent shots are the scenes. (An edited cue
    // sheet keeps the arc it holds.)
    std::optional<AudioFeatures> heard;
    if (original) heard = extract_audio_features(*original, 0, original->frames());
    std::vector<ArcPoint> arc =
        shot_arc(film, result.dialogue ? result.cues.captions : std::vector<Caption>{},
                 original ? &*original : nullptr, options.fit, heard ? &*heard : nullptr);
    if (plan_from_picture) {
      context.stage("plan");
      result.cues = picture_cues(film, options.seed, options.fit, arc);
    }
    // The film's own sound moves the cues' targets too (louder, busier: more aroused).
    if (original) blend_sound_into_cues(result.cues, *original, options.fit.sound_weight, &*heard);
    result.cues.arc = std::move(arc);
    // With dialogue the words chose the cues; a cue whose shots turn clearly is split there.
    if (result.dialogue)
      result.arc_splits =
          split_cues_at_arc_turns(result.cues, film, options.fit, &result.boundaries);
  }
  if (result.cues.title.empty()) result.cues.title = options.video.stem().string();
  if (options.cue_sheet.empty()) result.cues.seed = options.seed;
  // Calm scenes of talk are left without music.
  if (options.cue_sheet.empty() && result.dialogue)
    result.gaps = leave_gaps_for_dialogue(result.cues, result.cues.captions, options.fit);
  const std::vector<Caption>& speech = result.dialogue ? result.cues.captions : result.voice_spans;

  context.stage("compose");
  if (options.cue_sheet.empty() || !options.style.empty()) result.cues.style = options.style;
  result.score = compose(result.cues, {.seed = result.cues.seed});
  // The composer starts each section on the downbeat nearest its cue; a cue on a cut wants it
  // on the cut's frame.
  result.tempo_bend = bend_tempo_to_cues(result.score, result.cues);
  if (options.thin_lead) result.thinned_notes = thin_lead_under_dialogue(result.score, speech);
  result.hit_list = hit_list(film, result.cues, result.score);

  SynthOptions synth;
  synth.soundfont = result.soundfont;
  synth.sample_rate = rate;
  synth.section_fx = section_fx_for(result.score);
  std::optional<PcmSpool> music(std::in_place, spool_dir, rate, 2);
  synthesize_to(result.score, synth, music->sink(), context.stage("synthesize"), cancel);

  context.stage("mix");
  FilmMix::Parts parts{.music = &*music, .frames = frames, .duration_s = film.duration_s};
  if (original) {
    const double music_lufs = integrated_loudness(FilmMix(parts), cancel);
    if (std::isfinite(result.original_lufs) && result.original_lufs > -70 &&
        std::isfinite(music_lufs))
      parts.music_gain =
          gain_of(result.original_lufs - options.music_under_original_lu - music_lufs);
  }
  if (!speech.empty() && options.duck_db > 0) {
    parts.speech = &speech;
    parts.duck_db = options.duck_db;
  }
  context.stage("master");
  std::optional<PcmSpool> mastered(std::in_place, spool_dir, rate, 2);
  {
    FilmMix::Parts mix = parts;
    mix.original = original ? &*original : nullptr;
    result.loudness =
        master_stream(FilmMix(mix), mastered->sink(), {.target_lufs = options.loudness_lufs},
                      cancel, std::numeric_limits<double>::quiet_NaN());
  }
  original.reset();                                    // its disk space back
  parts.stem_gain = gain_of(result.loudness.gain_db);  // the stem at its gain in the mix

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
  write_audio(FilmMix(parts), context.outputs().path_for("music.wav"), AudioFileFormat::wav16, {},
              cancel);
  music.reset();
  written("music", "music.wav");
  write_file_atomically(context.outputs().path_for("hits.csv"),
                        hits_csv(result.hit_list, film.fps > 0 ? film.fps : 25.0));
  written("hits", "hits.csv");
  write_file_atomically(
      context.outputs().path_for("hits.edl"),
      hits_edl(result.hit_list, film.fps > 0 ? film.fps : 25.0, options.video.filename().string()));
  written("hits_edl", "hits.edl");
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
    write_audio(*mastered, aac, AudioFileFormat::m4a_aac, {}, cancel);
    mastered.reset();
    mux_video_with_audio(options.video, aac, video_path, cancel);
    // The delivered sound measured as it is decoded, not held whole.
    result.delivered = measure_file_loudness(video_path, &result.delivered_audio_s);
    result.delivered_spans = stream_spans(video_path);
  }
  written("video", "scored.mp4");
  context.finish_stage();
  result.report = build_score_report(result, options, context.timings(), clipped);
  write_file_atomically(context.outputs().path_for("report.json"), result.report.dump(2) + "\n");
  context.outputs().written("report.json");
  return result;
}

}  // namespace tonepoem
