#include "app/commands.h"

#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "judge/judge.h"
#include "music/compose.h"
#include "music/midi.h"
#include "music/musicxml.h"
#include "pipeline/make.h"
#include "text/analyze.h"
#include "text/report.h"

namespace tonepoem {
namespace {

const std::map<std::string, LanguageChoice> kLanguages = {
    {"auto", LanguageChoice::automatic}, {"en", LanguageChoice::en}, {"zh", LanguageChoice::zh}};

// "1280x720" -> width, height.
std::string parse_resolution(const std::string& text, VideoOptions& video) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  std::istringstream in(text);
  if (!(in >> w >> x >> h) || (x != 'x' && x != 'X') || (in >> extra))
    return fmt::format("'{}' is not WxH (for example 1280x720, 720x1280, 1080x1080)", text);
  video.width = w;
  video.height = h;
  return {};
}

// The video options shared by `make` and `video`, parsed into VideoOptions in one place.
struct VideoCli {
  std::string resolution = "1280x720";
  std::string quality = "standard";
  std::filesystem::path images;
  std::string captions;  // "", "srt" or "ass"
  VideoOptions options;

  void add_to(CLI::App& cmd) {
    cmd.add_option("--style", options.style, "Video style (tonepoem video --list-styles)")
        ->capture_default_str();
    cmd.add_option("--resolution", resolution,
                   "Video size WxH, even numbers 160..3840 (16:9, 9:16 or 1:1 ...)")
        ->capture_default_str();
    cmd.add_option("--fps", options.fps, "Video frames per second, 1..120")->capture_default_str();
    cmd.add_option("--quality", quality, "Encoding preset: draft, standard or high")
        ->capture_default_str();
    cmd.add_option("--images", images,
                   "Folder of pictures shown behind the captions (needed by 'storybook')");
    cmd.add_option("--captions", captions, "Also write the captions as a subtitle file: srt or ass")
        ->check(CLI::IsMember({"srt", "ass"}));
  }
  // Resolves the strings into `options`; throws Error(usage) listing what is accepted.
  VideoOptions resolve() {
    if (auto problem = parse_resolution(resolution, options); !problem.empty())
      fail_usage("--resolution: " + problem, "");
    apply_quality(options, quality);
    if (!images.empty()) options.images = list_images(images);
    options.validate();
    return options;
  }
  // Writes captions.srt or captions.ass into `dir` when asked.
  void write_captions(const CueSheet& cues, const std::filesystem::path& dir) const {
    if (captions == "srt") write_file_atomically(dir / "captions.srt", captions_srt(cues));
    if (captions == "ass") write_file_atomically(dir / "captions.ass", captions_ass(cues, options));
  }
};

// "V,A" or "V,A,T" -> Emotion.
std::string parse_emotion(const std::string& text, Emotion& emotion) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    try {
      std::size_t used = 0;
      values.push_back(std::stod(part, &used));
      if (used != part.size()) return fmt::format("'{}' is not a number", part);
    } catch (const std::exception&) {
      return fmt::format("'{}' is not a number", part);
    }
  }
  if (values.size() < 2 || values.size() > 3)
    return fmt::format(
        "'{}' must be V,A or V,A,T (valence and arousal in [-1, 1], tension in [0, 1])", text);
  if (values[0] < -1 || values[0] > 1 || values[1] < -1 || values[1] > 1 ||
      (values.size() == 3 && (values[2] < 0 || values[2] > 1)))
    return fmt::format("'{}' is out of range: valence and arousal in [-1, 1], tension in [0, 1]",
                       text);
  emotion = Emotion{};
  emotion.valence = values[0];
  emotion.arousal = values[1];
  // Without an explicit tension, negative high-arousal emotion implies some threat.
  emotion.tension =
      values.size() == 3 ? values[2] : std::clamp(0.5 * (values[1] - values[0]), 0.0, 1.0);
  emotion.confidence = 1.0;
  return {};
}

CommandRun define_make(CLI::App& cmd) {
  auto o = std::make_shared<MakeOptions>();
  auto video = std::make_shared<VideoCli>();
  auto lang = std::make_shared<LanguageChoice>(LanguageChoice::automatic);
  auto quiet = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  cmd.add_option("STORY", o->story, "The story: a UTF-8 text or Markdown file (English or Chinese)")
      ->required();
  cmd.add_option("-o,--output", o->output_dir,
                 "Folder to write score.mid, score.wav, video.mp4, report.json")
      ->required();
  cmd.add_option("--duration", o->duration_s,
                 "Length of the piece in seconds, 5..3600 (default: reading speed)");
  cmd.add_option("--seed", o->seed,
                 "Random seed; the same story, options and seed give the same MIDI")
      ->capture_default_str();
  cmd.add_option("--soundfont", o->soundfont,
                 "General MIDI SoundFont (.sf2) (default: fluid-soundfont-gm)");
  cmd.add_option("--lang", *lang, "Story language: auto, en or zh")
      ->transform(CLI::CheckedTransformer(kLanguages, CLI::ignore_case))
      ->default_str("auto");
  video->add_to(cmd);
  cmd.add_flag(
      "--no-video", [o](std::int64_t) { o->video = false; }, "Skip video.mp4");
  cmd.add_flag("--musicxml", o->musicxml, "Also write score.musicxml (opens in MuseScore)");
  cmd.add_option("--format", *format,
                 "Also write the mastered audio as score.EXT: flac16, flac24, ogg, mp3, m4a, opus, "
                 "wav24, wav-float");
  cmd.add_option("--artist", o->artist, "Artist tag of the audio file")->capture_default_str();
  cmd.add_flag("--stems", o->stems,
               "Also write stems/GROUP.wav: each instrument group alone, at the mix's gain");
  cmd.add_flag(
      "--narrate", o->narrate,
      "espeak-ng reads the story: its timing sets the music's sections and the captions' words, "
      "and the music ducks under the voice");
  cmd.add_option("--voice", o->voice,
                 "Narration voice for espeak-ng: en, cmn, ... (default: by the story's language)");
  cmd.add_option("--duck", o->ducking.depth_db,
                 "With --narrate: how far the music drops under the voice, 8..40 dB")
      ->capture_default_str();
  cmd.add_flag(
      "--no-refine", [o](std::int64_t) { o->refine = false; },
      "Skip refinement (judging each section and re-composing it toward its target)");
  cmd.add_option("--refine-budget", o->refine_budget_s,
                 "Refinement time cap in seconds (default 0: none; the candidate count is fixed)");
  cmd.add_option("--lexicon", o->lexicons,
                 "Extra lexicon TSV (term, valence, arousal, categories); repeatable")
      ->check(CLI::ExistingFile);
  cmd.add_flag("-q,--quiet", *quiet, "No progress on stderr");
  return [o, video, lang, quiet, format]() {
    if (!format->empty()) {
      const auto parsed = parse_audio_format(*format);
      if (!parsed)
        fail_usage(fmt::format("--format: '{}' is not known", *format),
                   "use wav16, wav24, wav-float, flac16, flac24, ogg, mp3, m4a or opus");
      o->audio_format = *parsed;
    }
    o->video_options = video->resolve();
    o->language = *lang;
    ProgressReporter progress(!*quiet);
    const MakeResult result = make(*o, progress);
    video->write_captions(result.cues, o->output_dir);
    std::printf("%s: %zu sentences, %zu scenes -> %zu sections, %.1f s, %.1f LUFS\n",
                o->story.string().c_str(), result.document.sentences.size(),
                result.document.scenes.size(), result.score.sections.size(),
                result.score.duration_s(), result.loudness.integrated_lufs);
    for (const ScoreSection& s : result.score.sections)
      std::printf(
          "  %6.1f-%6.1f s  %-24s %-2s %-10s %3.0f bpm  v=%+.2f a=%+.2f\n", s.start_s, s.end_s,
          s.name.substr(0, 24).c_str(), std::string(pitch_class_name(s.tonic)).c_str(),
          std::string(mode_name(s.mode)).c_str(), s.tempo_bpm, s.target.valence, s.target.arousal);
    std::string written;
    for (const auto& [kind, name] : result.report["outputs"].items())
      if (name.is_string()) written += (written.empty() ? "" : ", ") + name.get<std::string>();
    if (!result.stems.empty()) written += fmt::format(", stems/ ({} files)", result.stems.size());
    std::printf("wrote %s/{%s, report.json}\n", o->output_dir.string().c_str(), written.c_str());
    return 0;
  };
}

struct ComposeArgs {
  std::filesystem::path cues;
  std::string emotion;
  double duration_s = 30;
  std::uint64_t seed = 1;
  bool seed_given = false;
  std::filesystem::path output;
  std::filesystem::path musicxml;
};

CommandRun define_compose(CLI::App& cmd) {
  auto a = std::make_shared<ComposeArgs>();
  cmd.add_option("CUES", a->cues,
                 "A cue sheet (cues.json written by tonepoem make, possibly edited)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--emotion", a->emotion,
                 "Compose for one emotion: V,A[,T] (valence, arousal in [-1,1], tension in [0,1])");
  cmd.add_option("--duration", a->duration_s, "Length in seconds for --emotion, 5..3600")
      ->capture_default_str();
  cmd.add_option("--seed", a->seed, "Random seed (default: the cue sheet's, or 1)");
  cmd.add_option("-o,--output", a->output, "The MIDI file to write")->required();
  cmd.add_option("--musicxml", a->musicxml,
                 "Also write the score as MusicXML (opens in MuseScore)");
  return [a, &cmd]() {
    a->seed_given = cmd.count("--seed") > 0;
    if (a->cues.empty() == a->emotion.empty())
      fail_usage("give either a cue sheet (CUES) or --emotion V,A[,T], not both and not neither",
                 "tonepoem compose --emotion 0.5,0.2 --duration 30 -o out.mid");
    CueSheet sheet;
    if (!a->emotion.empty()) {
      Emotion e;
      if (auto problem = parse_emotion(a->emotion, e); !problem.empty())
        fail_usage("--emotion: " + problem, "");
      if (!(a->duration_s >= 5 && a->duration_s <= 3600))
        fail_usage(
            fmt::format("--duration: {} is out of range; accepts 5 to 3600 seconds", a->duration_s),
            "");
      sheet = single_emotion_cues(e, a->duration_s, a->seed);
    } else {
      sheet = load_cue_sheet(a->cues);
      if (a->seed_given) sheet.seed = a->seed;
    }
    const auto dir =
        a->output.has_parent_path() ? a->output.parent_path() : std::filesystem::path(".");
    ensure_writable_dir(dir);
    const Score score = compose(sheet, {.seed = sheet.seed});
    save_midi(score, a->output);
    if (!a->musicxml.empty()) save_musicxml(score, a->musicxml);
    for (const ScoreSection& s : score.sections)
      std::printf("%6.1f-%6.1f s  %-2s %-10s %3.0f bpm\n", s.start_s, s.end_s,
                  std::string(pitch_class_name(s.tonic)).c_str(),
                  std::string(mode_name(s.mode)).c_str(), s.tempo_bpm);
    std::printf("wrote %s (%.1f s)\n", a->output.string().c_str(), score.duration_s());
    return 0;
  };
}

struct AnalyzeArgs {
  std::filesystem::path story;
  std::string format = "json";
  bool per_line = false;
  LanguageChoice language = LanguageChoice::automatic;
  std::vector<std::filesystem::path> lexicons;
};

CommandRun define_analyze(CLI::App& cmd) {
  auto a = std::make_shared<AnalyzeArgs>();
  cmd.add_option("STORY", a->story,
                 "The text to analyse (UTF-8: .txt, .md, .fountain, .srt, .vtt, .lrc)")
      ->required();
  cmd.add_option("--format", a->format, "Output format: json, jsonl or tsv")
      ->check(CLI::IsMember({"json", "jsonl", "tsv"}))
      ->capture_default_str();
  cmd.add_flag("--per-line", a->per_line,
               "Treat every input line as its own text (one result per line)");
  cmd.add_option("--lang", a->language, "Language: auto, en or zh")
      ->transform(CLI::CheckedTransformer(kLanguages, CLI::ignore_case))
      ->default_str("auto");
  cmd.add_option("--lexicon", a->lexicons, "Extra lexicon TSV; repeatable")
      ->check(CLI::ExistingFile);
  return [a]() {
    const ArcFormat format = parse_arc_format(a->format);
    auto lexicons = load_lexicons({.data_dir = {}, .user_lexicons = a->lexicons});
    if (a->per_line) {
      analyze_per_line(read_text_file(a->story), a->language, *lexicons, std::cout, format);
      return 0;
    }
    Document doc = parse_file(a->story, {.language = a->language});
    const EmotionArc arc = analyze_story(doc, {.lexicons = lexicons});
    write_arc(std::cout, doc, arc, format);
    return 0;
  };
}

bool is_audio_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".wav" || ext == ".flac" || ext == ".ogg" || ext == ".aiff" || ext == ".mp3" ||
         ext == ".m4a" || ext == ".opus";
}

nlohmann::json judged_row(double start_s, double end_s, const Emotion& e) {
  return {{"start", start_s},
          {"end", end_s},
          {"valence", e.valence},
          {"arousal", e.arousal},
          {"tension", e.tension},
          {"confidence", e.confidence},
          {"quadrant", quadrant_name(e.valence, e.arousal)}};
}

struct JudgeArgs {
  std::filesystem::path file;
  double segments_s = 0;
};

CommandRun define_judge(CLI::App& cmd) {
  auto a = std::make_shared<JudgeArgs>();
  cmd.add_option("FILE", a->file, "A MIDI file (.mid) or an audio file (.wav, .flac)")->required();
  cmd.add_option(
      "--segments", a->segments_s,
      "Judge windows of this many seconds (default: the MIDI's sections, or the whole audio)");
  return [a]() {
    if (a->segments_s < 0 || (a->segments_s > 0 && a->segments_s < 1))
      fail_usage(
          fmt::format("--segments: {} is not accepted; accepts 1 second or more", a->segments_s),
          "");
    nlohmann::json windows = nlohmann::json::array();
    if (is_audio_file(a->file)) {
      const AudioBuffer audio = read_audio(a->file);
      const double total = audio.duration_s();
      const double step = a->segments_s > 0 ? a->segments_s : total;
      for (double t = 0; t < total - 1e-9; t += step) {
        const double end = std::min(total, t + step);
        AudioBuffer slice;
        slice.sample_rate = audio.sample_rate;
        slice.channels = audio.channels;
        const auto first = static_cast<std::size_t>(t * audio.sample_rate) *
                           static_cast<std::size_t>(audio.channels);
        const auto last =
            std::min(audio.samples.size(), static_cast<std::size_t>(end * audio.sample_rate) *
                                               static_cast<std::size_t>(audio.channels));
        slice.samples.assign(audio.samples.begin() + static_cast<std::ptrdiff_t>(first),
                             audio.samples.begin() + static_cast<std::ptrdiff_t>(last));
        windows.push_back(judged_row(t, end, judge_audio_features(extract_audio_features(slice))));
      }
    } else {
      const Score score = load_midi(a->file);
      if (a->segments_s > 0) {
        for (const JudgedWindow& w :
             judge_windows(score, a->segments_s, a->segments_s, steering_judge_weights()))
          windows.push_back(judged_row(w.start_s, w.end_s, w.emotion));
      } else {
        const auto judged = judge_sections(score, steering_judge_weights());
        for (std::size_t i = 0; i < judged.size(); ++i) {
          const double start = i < score.sections.size() ? score.sections[i].start_s : 0.0;
          const double end =
              i < score.sections.size() ? score.sections[i].end_s : score.duration_s();
          nlohmann::json row = judged_row(start, end, judged[i]);
          if (i < score.sections.size()) row["section"] = score.sections[i].name;
          windows.push_back(std::move(row));
        }
      }
    }
    std::printf("%s\n",
                nlohmann::json{{"file", a->file.string()}, {"windows", windows}}.dump(2).c_str());
    return 0;
  };
}

struct VideoArgs {
  std::filesystem::path dir;
  std::filesystem::path output;
  double snapshot_s = -1;
  bool list_styles = false;
  VideoCli video;
};

CommandRun define_video(CLI::App& cmd) {
  auto a = std::make_shared<VideoArgs>();
  cmd.add_option("DIR", a->dir,
                 "A folder written by tonepoem make (score.wav, score.mid, cues.json)");
  cmd.add_option("-o,--output", a->output, "The MP4 to write (or the PNG with --snapshot)");
  a->video.add_to(cmd);
  cmd.add_option("--snapshot", a->snapshot_s,
                 "Write the one frame at this time (seconds) as a PNG instead");
  cmd.add_flag("--list-styles", a->list_styles, "List the visual styles and exit");
  return [a]() {
    if (a->list_styles) {
      for (const auto& style : video_styles())
        std::printf("%-10s %s\n", std::string(style.name).c_str(),
                    std::string(style.description).c_str());
      return 0;
    }
    if (a->dir.empty() || a->output.empty())
      fail_usage("give the folder written by tonepoem make and -o OUTPUT",
                 "tonepoem video out/lantern -o other.mp4");
    const VideoOptions options = a->video.resolve();
    for (const char* name : {"score.wav", "score.mid", "cues.json"})
      if (!std::filesystem::exists(a->dir / name))
        fail_input((a->dir / name).string(), "not found",
                   "give a folder written by tonepoem make (without --no-video is fine)");
    const AudioBuffer audio = read_audio(a->dir / "score.wav");
    const Score score = load_midi(a->dir / "score.mid");
    const CueSheet cues = load_cue_sheet(a->dir / "cues.json");
    const auto out_dir =
        a->output.has_parent_path() ? a->output.parent_path() : std::filesystem::path(".");
    ensure_writable_dir(out_dir);
    if (a->snapshot_s >= 0) {
      write_snapshot(audio, cues, score, options, a->snapshot_s, a->output);
    } else {
      ProgressReporter progress(true);
      render_video(audio, cues, score, options, a->output, progress.stage("video"));
      progress.finish_stage();
      a->video.write_captions(cues, out_dir);
    }
    std::printf("wrote %s\n", a->output.string().c_str());
    return 0;
  };
}

struct RenderArgs {
  std::filesystem::path midi;
  std::filesystem::path output;
  std::string format;
  std::filesystem::path soundfont;
  double loudness_lufs = -14.0;
  std::string title, artist;
  bool quiet = false;
};

CommandRun define_render(CLI::App& cmd) {
  auto a = std::make_shared<RenderArgs>();
  cmd.add_option("MIDI", a->midi, "A Standard MIDI File (ours or anyone's)")->required();
  cmd.add_option("-o,--output", a->output,
                 "The audio file to write: .wav, .flac, .ogg, .mp3, .m4a or .opus")
      ->required();
  cmd.add_option("--format", a->format,
                 "wav16, wav24, wav-float, flac16, flac24, ogg, mp3, m4a or opus (default: from "
                 "the output name)");
  cmd.add_option("--soundfont", a->soundfont,
                 "General MIDI SoundFont (default: fluid-soundfont-gm)");
  cmd.add_option("--loudness", a->loudness_lufs, "Target integrated loudness in LUFS, -40..-5")
      ->capture_default_str();
  cmd.add_option("--title", a->title, "Title tag (default: the MIDI's title)");
  cmd.add_option("--artist", a->artist, "Artist tag");
  cmd.add_flag("-q,--quiet", a->quiet, "No progress on stderr");
  return [a]() {
    std::optional<AudioFileFormat> format =
        a->format.empty() ? audio_format_for(a->output) : parse_audio_format(a->format);
    if (!format)
      fail_usage(a->format.empty()
                     ? fmt::format("cannot tell the format from '{}'", a->output.string())
                     : fmt::format("--format: '{}' is not known", a->format),
                 "use --format wav16, wav24, wav-float, flac16, flac24, ogg, mp3, m4a or opus, or "
                 "name the file "
                 ".wav/.flac/.ogg/.mp3/.m4a/.opus");
    if (!(a->loudness_lufs >= -40 && a->loudness_lufs <= -5))
      fail_usage(
          fmt::format("--loudness: {} is out of range; accepts -40 to -5 LUFS", a->loudness_lufs),
          "");
    const auto dir =
        a->output.has_parent_path() ? a->output.parent_path() : std::filesystem::path(".");
    ensure_writable_dir(dir);
    SynthOptions synth;
    synth.soundfont = find_soundfont(a->soundfont);
    const Score score = load_midi(a->midi);
    synth.section_fx = section_fx_for(score);
    ProgressReporter progress(!a->quiet);
    AudioBuffer audio = synthesize(score, synth, progress.stage("synthesize"));
    progress.stage("master");
    MasterOptions mastering;
    mastering.target_lufs = a->loudness_lufs;
    const LoudnessReport loudness = master(audio, mastering);
    progress.stage("write");
    write_audio(audio, a->output, *format,
                {.title = a->title.empty() ? score.title : a->title,
                 .artist = a->artist,
                 .comment = "rendered by tonepoem from " + a->midi.filename().string()});
    progress.finish_stage();
    std::printf("wrote %s (%s, %.1f s, %.1f LUFS, %.1f dBTP)\n", a->output.string().c_str(),
                std::string(audio_format_name(*format)).c_str(), audio.duration_s(),
                loudness.integrated_lufs, loudness.true_peak_dbtp);
    return 0;
  };
}

constexpr std::array kCommandTable = {
    CommandSpec{"make", "Story -> score.mid, score.wav, video.mp4, cues.json, report.json",
                define_make},
    CommandSpec{"compose", "One emotion or a cue sheet -> a MIDI score", define_compose},
    CommandSpec{"analyze", "Print a story's emotion arc (or one result per line with --per-line)",
                define_analyze},
    CommandSpec{"render", "Render and master any MIDI file to WAV, FLAC, Ogg, MP3, M4A or Opus",
                define_render},
    CommandSpec{"judge", "Estimate the emotion a MIDI or audio file carries, per section or window",
                define_judge},
    CommandSpec{"video",
                "Re-render the video of a make folder (another style or size) or one frame",
                define_video},
};

}  // namespace

std::span<const CommandSpec> commands() {
  return kCommandTable;
}

}  // namespace tonepoem
