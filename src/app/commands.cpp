#include "commands.h"

#include "sound_card.h"

#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/output_sink.h"
#include "core/progress.h"
#include "jobs/analyze_audio_job.h"
#include "jobs/analyze_job.h"
#include "jobs/compose_job.h"
#include "jobs/judge_job.h"
#include "jobs/live_job.h"
#include "jobs/lyrics_job.h"
#include "jobs/make_job.h"
#include "jobs/make_request.h"
#include "jobs/mv_job.h"
#include "jobs/render_job.h"
#include "jobs/score_job.h"
#include "jobs/video_job.h"
#include "lyrics/vocal.h"
#include "music/compose.h"
#include "server/job_process.h"
#include "server/server.h"

namespace tonepoem {
namespace {

const std::map<std::string, LanguageChoice> kLanguages = {
    {"auto", LanguageChoice::automatic}, {"en", LanguageChoice::en}, {"zh", LanguageChoice::zh}};
const std::map<std::string, CaptionFormat> kCaptionFormats = {{"srt", CaptionFormat::srt},
                                                              {"ass", CaptionFormat::ass}};

// The folder a file named on the command line goes into, as the job's sink.
FolderSink sink_for_file(const std::filesystem::path& file) {
  return FolderSink(file.has_parent_path() ? file.parent_path() : std::filesystem::path("."));
}

// Runs a job with the CLI's context: the terminal's progress (or none), the process's token
// (Ctrl-C cancels it) and `sink`.
template <typename Job>
auto run_job(Job job, const CancelToken& cancel, OutputSink& sink, bool show_progress) {
  TerminalProgress terminal;
  SilentProgress silent;
  JobContext context(show_progress ? static_cast<ProgressSink&>(terminal) : silent, cancel, sink);
  return job(context);
}

// The video options shared by `make` and `video`, parsed into VideoOptions in one place.
struct VideoCli {
  std::string resolution = "1280x720";
  std::string quality = "standard";
  std::filesystem::path images;
  CaptionFormat captions = CaptionFormat::none;
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
    cmd.add_option("--font", options.font,
                   "Font family of the captions and titles (Pango; CJK needs a CJK font)")
        ->capture_default_str();
    cmd.add_option("--images", images,
                   "Folder of pictures shown behind the captions (needed by 'storybook')");
    cmd.add_option("--captions", captions, "Also write the captions as a subtitle file: srt or ass")
        ->transform(CLI::CheckedTransformer(kCaptionFormats, CLI::ignore_case));
  }
  // Resolves the strings into `options`; throws Error(usage) naming the flag.
  VideoOptions resolve() {
    if (auto problem = parse_resolution(resolution, options); !problem.empty())
      fail_usage("--resolution: " + problem, "");
    apply_quality(options, quality);
    if (!images.empty()) options.images = list_images(images);
    return options;
  }
};

// "V,A" or "V,A,T" -> EmotionTarget (ranges are checked by the job).
std::string parse_emotion(const std::string& text, EmotionTarget& target) {
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
  target.valence = values[0];
  target.arousal = values[1];
  if (values.size() == 3) target.tension = values[2];
  return {};
}

// The music styles, one per line, for --style's help.
std::string style_list() {
  std::string styles;
  for (const MusicStyle& s : music_styles())
    styles += fmt::format("\n  {}: {}", s.name, s.description);
  return styles;
}

CommandRun define_make(CLI::App& cmd) {
  auto o = std::make_shared<MakeOptions>();
  auto video = std::make_shared<VideoCli>();
  auto output = std::make_shared<std::filesystem::path>();
  auto quiet = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  cmd.add_option("STORY", o->story,
                 "The story (UTF-8, English or Chinese): " + accepted_input_formats())
      ->required();
  cmd.add_option("-o,--output", *output,
                 "Folder to write score.mid, score.wav, video.mp4, cues.json, report.json")
      ->required();
  cmd.add_option("--duration", o->duration_s,
                 "Length of the piece in seconds, 5..3600 (default: reading speed)");
  cmd.add_option("--seed", o->seed,
                 "Random seed; the same story, options and seed give the same MIDI")
      ->capture_default_str();
  cmd.add_option("--music-style", o->music_style,
                 "The music's orchestration (--style is the video's look):" + style_list())
      ->check([](const std::string& s) { return style_problem(s); });
  cmd.add_option("--soundfont", o->soundfont,
                 "General MIDI SoundFont (.sf2) (default: fluid-soundfont-gm)");
  cmd.add_option("--lang", o->language, "Story language: auto, en or zh")
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
  cmd.add_flag("--song", o->song,
               "A song: lyrics from the story sung by a vocal track (lyric events in score.mid, "
               "lyrics.txt, lyrics.json, lyrics.lrc, lyrics.enhanced.lrc)");
  cmd.add_option("--lyrics", o->lyrics,
                 "With --song: sing these words instead (plain text, a blank line between "
                 "stanzas, [Chorus] headings; or LRC, whose times are replaced by the melody's)");
  cmd.add_flag("--sing", o->sing,
               "With --song: a sung guide vocal (espeak-ng syllables moved to the notes' pitch and "
               "length by Rubber Band) in the audio, and vocal.wav alone");
  cmd.add_option("--voice-range", o->voice_range,
                 "With --song: the voice the vocal line is written for: " + accepted_voice_ranges())
      ->capture_default_str();
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
  return [o, video, output, quiet, format](const CancelToken& cancel) {
    if (!format->empty()) {
      if (std::string problem = audio_format_problem(*format); !problem.empty())
        fail_usage("--format: " + problem, "");
      o->audio_format = *parse_audio_format(*format);
    }
    o->video_options = video->resolve();
    o->captions = video->captions;
    FolderSink sink(*output);
    const MakeResult result =
        run_job([&](JobContext& c) { return run_make(*o, c); }, cancel, sink, !*quiet);
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
    for (const auto& [key, files] : result.outputs.items()) {
      if (files.is_string())
        written += (written.empty() ? "" : ", ") + files.get<std::string>();
      else
        written += fmt::format("{}{}/ ({} files)", written.empty() ? "" : ", ", key, files.size());
    }
    std::printf("wrote %s/{%s, report.json}\n", output->string().c_str(), written.c_str());
    return 0;
  };
}

CommandRun define_compose(CLI::App& cmd) {
  auto o = std::make_shared<ComposeJobOptions>();
  auto emotion = std::make_shared<std::string>();
  auto seed = std::make_shared<std::uint64_t>(1);
  auto output = std::make_shared<std::filesystem::path>();
  auto musicxml = std::make_shared<std::filesystem::path>();
  cmd.add_option("CUES", o->cues,
                 "A cue sheet (cues.json written by tonepoem make, possibly edited)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--emotion", *emotion,
                 "Compose for one emotion: V,A[,T] (valence, arousal in [-1,1], tension in [0,1])");
  cmd.add_option("--duration", o->duration_s, "Length in seconds for --emotion, 5..3600")
      ->capture_default_str();
  cmd.add_option("--seed", *seed, "Random seed (default: the cue sheet's, or 1)");
  cmd.add_option("-o,--output", *output, "The MIDI file to write")->required();
  cmd.add_option("--musicxml", *musicxml, "Also write the score as MusicXML (opens in MuseScore)");
  cmd.add_option("--style", o->style,
                 "The orchestration (default: the cue sheet's):" + style_list())
      ->check([](const std::string& s) { return style_problem(s); });
  return [o, emotion, seed, output, musicxml, &cmd](const CancelToken& cancel) {
    if (cmd.count("--seed") > 0) o->seed = *seed;
    if (!emotion->empty()) {
      EmotionTarget target;
      if (auto problem = parse_emotion(*emotion, target); !problem.empty())
        fail_usage("--emotion: " + problem, "");
      o->emotion = target;
    }
    FolderSink sink = sink_for_file(*output);
    o->midi_name = output->filename().string();
    if (!musicxml->empty())  // relative to the MIDI's folder, wherever it is
      o->musicxml_name = std::filesystem::absolute(*musicxml)
                             .lexically_relative(std::filesystem::absolute(sink.dir()))
                             .string();
    const ComposeJobResult result =
        run_job([&](JobContext& c) { return run_compose(*o, c); }, cancel, sink, false);
    for (const ScoreSection& s : result.score.sections)
      std::printf("%6.1f-%6.1f s  %-2s %-10s %3.0f bpm\n", s.start_s, s.end_s,
                  std::string(pitch_class_name(s.tonic)).c_str(),
                  std::string(mode_name(s.mode)).c_str(), s.tempo_bpm);
    std::printf("wrote %s (%.1f s)\n", output->string().c_str(), result.score.duration_s());
    return 0;
  };
}

CommandRun define_live(CLI::App& cmd) {
  auto o = std::make_shared<LiveJobOptions>();
  auto emotion = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd.add_option("-o,--output", *output,
                 "WAV file to write, or - for raw 32-bit float stereo on stdout "
                 "(aplay -f FLOAT_LE -c 2 -r RATE); none: play on the sound card in real time");
  cmd.add_flag("--realtime", o->realtime,
               "Play as the commands come: each line is made when read (or at its \"t\"), the "
               "audio paced by the clock");
  cmd.add_option("--emotion", *emotion, "The opening emotion V,A[,T] (default 0.3,-0.2,0)");
  cmd.add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd.add_option("--style", o->style, "The orchestration (default: default):" + style_list())
      ->check([](const std::string& s) { return style_problem(s); });
  cmd.add_option("--rate", o->sample_rate, "Sample rate, 8000..192000")->capture_default_str();
  cmd.add_option("--soundfont", o->soundfont, "General MIDI SoundFont (.sf2)");
  auto max_duration = cmd.add_option("--max-duration", o->max_duration_s,
                                     "Stop rendering after this many seconds (default 600; with "
                                     "--story, the story's length)");
  cmd.add_option(
      "--story", o->story,
      "A story instead of commands: a file, or - for stdin. Its sentences drive the music "
      "at reading pace; with --realtime and -, each line is a sentence made when it "
      "arrives");
  auto read_along = std::make_shared<bool>(false);
  cmd.add_flag("--read-along", *read_along,
               "With --story: play in real time and print each sentence when the music reaches it");
  cmd.add_option("--lang", o->language, "Story language: auto, en or zh")
      ->transform(CLI::CheckedTransformer(kLanguages, CLI::ignore_case));
  cmd.add_option("--lexicon", o->lexicons, "Extra lexicon TSV file(s) for the story");
  cmd.add_option("--osc", o->osc,
                 "Take commands as OSC messages on this UDP port (PORT on 127.0.0.1, or "
                 "HOST:PORT; 0: a free port) instead of stdin, in real time");
  cmd.footer(
      "Commands come as JSON lines on stdin; offline each is made when the audio reaches its "
      "\"t\" (seconds):\n"
      "  {\"t\": 8, \"valence\": -0.6, \"arousal\": 0.8, \"at\": \"bar\"}   (at: beat, bar, "
      "phrase)\n"
      "  {\"t\": 12, \"hit\": \"accent\"}   {\"character\": \"Mara\"}   {\"stop\": true}\n"
      "Malformed lines are named on stderr and skipped; the music goes on.\n"
      "With --story the story's sentences are the commands: each cue of its plan sets the mood "
      "at the next bar, the sentences move it, its peak lines are hits.");
  return [o, emotion, output, max_duration, read_along](const CancelToken& cancel) {
    if (*read_along) {
      if (o->story.empty()) fail_usage("--read-along needs --story FILE (or - for stdin)", "");
      o->realtime = true;
    }
    // A story plays to its end (the engine stops after its last line) unless a limit was asked.
    if (!o->story.empty() && max_duration->count() == 0) o->max_duration_s = 7200;
    if (!emotion->empty()) {
      EmotionTarget target;
      if (auto problem = parse_emotion(*emotion, target); !problem.empty())
        fail_usage("--emotion: " + problem, "");
      o->start = target;
    }
    const bool to_card = output->empty();
    const bool to_stdout = *output == "-";
    const std::filesystem::path file(*output);
    FolderSink sink = to_stdout || to_card ? FolderSink(".") : sink_for_file(file);
    if (!to_stdout && !to_card) o->output_name = file.filename().string();
    if (to_card) o->realtime = true;
    RawAudioStream raw(std::cout, o->sample_rate, o->realtime);
    std::optional<SoundCard> card;
    if (to_card) card.emplace(o->sample_rate);
    AudioStream* stream = to_card ? static_cast<AudioStream*>(&*card) : to_stdout ? &raw : nullptr;
    auto warn = [](const std::string& w) { std::fprintf(stderr, "warning: %s\n", w.c_str()); };
    const LiveJobResult result = run_job(
        [&](JobContext& c) {
          LiveEvents events;
          events.warn = warn;
          // Sentences go to stdout, or to stderr when the audio does.
          std::FILE* lines = to_stdout ? stderr : stdout;
          if (*read_along)
            events.caption = [lines](double t, const std::string& text) {
              std::fprintf(lines, "[%6.1f s] %s\n", t, text.c_str());
              std::fflush(lines);
            };
          events.listening = [](const std::string& address) {
            std::fprintf(stderr, "listening for OSC on osc.udp://%s/\n", address.c_str());
            std::fflush(stderr);
          };
          return run_live(*o, std::cin, stream, events, c);
        },
        cancel, sink, false);
    std::cout.flush();
    std::fprintf(stderr, "%s %.1f s, %zu commands, %zu warnings\n",
                 to_card     ? "played"
                 : to_stdout ? "streamed"
                             : ("wrote " + file.string() + ",").c_str(),
                 result.duration_s, result.commands, result.warnings);
    return 0;
  };
}

CommandRun define_analyze(CLI::App& cmd) {
  auto o = std::make_shared<AnalyzeJobOptions>();
  auto format = std::make_shared<std::string>("json");
  cmd.add_option("STORY", o->story, "The text to analyse (UTF-8): " + accepted_input_formats())
      ->required();
  cmd.add_option("--format", *format, "Output format: json, jsonl or tsv")
      ->check(CLI::IsMember({"json", "jsonl", "tsv"}))
      ->capture_default_str();
  cmd.add_flag("--per-line", o->per_line,
               "Treat every input line as its own text (one result per line)");
  cmd.add_option("--lang", o->language, "Language: auto, en or zh")
      ->transform(CLI::CheckedTransformer(kLanguages, CLI::ignore_case))
      ->default_str("auto");
  cmd.add_option("--lexicon", o->lexicons, "Extra lexicon TSV; repeatable")
      ->check(CLI::ExistingFile);
  return [o, format](const CancelToken& cancel) {
    o->format = parse_arc_format(*format);
    FolderSink nothing(".");  // analyze writes no file
    std::cout << run_job([&](JobContext& c) { return run_analyze(*o, c); }, cancel, nothing, false);
    return 0;
  };
}

CommandRun define_lyrics(CLI::App& cmd) {
  auto o = std::make_shared<LyricsJobOptions>();
  auto output = std::make_shared<std::filesystem::path>();
  cmd.add_option("STORY", o->story, "The story (UTF-8): " + accepted_input_formats())->required();
  cmd.add_option(
      "-o,--output", *output,
      "Write the lyrics here (JSON when the name ends in .json; default: print the text)");
  cmd.add_option("--lang", o->language, "Language: auto, en or zh")
      ->transform(CLI::CheckedTransformer(kLanguages, CLI::ignore_case))
      ->default_str("auto");
  cmd.add_option("--lexicon", o->lexicons, "Extra lexicon TSV; repeatable")
      ->check(CLI::ExistingFile);
  cmd.add_option("--seed", o->seed, "Seed of the plan the verses follow")->capture_default_str();
  return [o, output](const CancelToken& cancel) {
    FolderSink sink = output->empty() ? FolderSink(".") : sink_for_file(*output);
    if (!output->empty()) o->output_name = output->filename().string();
    const LyricsJobResult result =
        run_job([&](JobContext& c) { return run_lyrics(*o, c); }, cancel, sink, false);
    if (output->empty()) {
      std::cout << result.text;
    } else {
      const RhymeStats rhymes = rhyme_stats(result.lyrics);
      std::printf("%s: %zu sections, rhymes %zu/%zu (perfect %zu, slant %zu) -> %s\n",
                  o->story.string().c_str(), result.lyrics.sections.size(),
                  rhymes.perfect + rhymes.slant, rhymes.pairs, rhymes.perfect, rhymes.slant,
                  output->string().c_str());
    }
    return 0;
  };
}

CommandRun define_judge(CLI::App& cmd) {
  auto o = std::make_shared<JudgeJobOptions>();
  cmd.add_option("FILE", o->file, "A MIDI file (.mid) or an audio file (.wav, .flac, .mp3 ...)")
      ->required();
  cmd.add_option("--audio", o->audio,
                 "With a MIDI file: its rendering, judged too; the two estimates are combined");
  cmd.add_option(
      "--segments", o->segments_s,
      "Judge windows of this many seconds (default: the MIDI's sections, or the whole audio)");
  return [o](const CancelToken& cancel) {
    FolderSink nothing(".");  // judge writes no file
    const std::vector<JudgedSpan> spans =
        run_job([&](JobContext& c) { return run_judge(*o, c); }, cancel, nothing, false);
    std::printf("%s\n",
                nlohmann::json{{"file", o->file.string()}, {"windows", spans}}.dump(2).c_str());
    return 0;
  };
}

CommandRun define_video(CLI::App& cmd) {
  auto o = std::make_shared<VideoJobOptions>();
  auto video = std::make_shared<VideoCli>();
  auto output = std::make_shared<std::filesystem::path>();
  auto snapshot = std::make_shared<double>(-1);
  auto list_styles = std::make_shared<bool>(false);
  cmd.add_option("DIR", o->make_dir,
                 "A folder written by tonepoem make (score.wav, score.mid, cues.json)");
  cmd.add_option("-o,--output", *output, "The MP4 to write (or the PNG with --snapshot)");
  video->add_to(cmd);
  cmd.add_option("--snapshot", *snapshot,
                 "Write the one frame at this time (seconds) as a PNG instead");
  cmd.add_flag("--list-styles", *list_styles, "List the visual styles and exit");
  return [o, video, output, snapshot, list_styles](const CancelToken& cancel) {
    if (*list_styles) {
      for (const auto& style : video_styles())
        std::printf("%-10s %s\n", std::string(style.name).c_str(),
                    std::string(style.description).c_str());
      return 0;
    }
    if (o->make_dir.empty() || output->empty())
      fail_usage("give the folder written by tonepoem make and -o OUTPUT",
                 "tonepoem video out/lantern -o other.mp4");
    o->video = video->resolve();
    o->captions = video->captions;
    o->output_name = output->filename().string();
    if (*snapshot >= 0) o->snapshot_s = *snapshot;
    FolderSink sink = sink_for_file(*output);
    run_job(
        [&](JobContext& c) {
          run_video(*o, c);
          return 0;
        },
        cancel, sink, !o->snapshot_s.has_value());
    std::printf("wrote %s\n", output->string().c_str());
    return 0;
  };
}

CommandRun define_render(CLI::App& cmd) {
  auto o = std::make_shared<RenderJobOptions>();
  auto output = std::make_shared<std::filesystem::path>();
  auto format = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd.add_option("MIDI", o->midi, "A Standard MIDI File (ours or anyone's)")->required();
  cmd.add_option("-o,--output", *output,
                 "The audio file to write: .wav, .flac, .ogg, .mp3, .m4a or .opus")
      ->required();
  cmd.add_option("--format", *format,
                 "wav16, wav24, wav-float, flac16, flac24, ogg, mp3, m4a or opus (default: from "
                 "the output name)");
  cmd.add_option("--soundfont", o->soundfont,
                 "General MIDI SoundFont (default: fluid-soundfont-gm)");
  cmd.add_option("--loudness", o->loudness_lufs, "Target integrated loudness in LUFS, -40..-5")
      ->capture_default_str();
  cmd.add_option("--title", o->title, "Title tag (default: the MIDI's title)");
  cmd.add_option("--artist", o->artist, "Artist tag");
  cmd.add_flag("-q,--quiet", *quiet, "No progress on stderr");
  return [o, output, format, quiet](const CancelToken& cancel) {
    if (!format->empty()) {
      o->format = parse_audio_format(*format);
      if (!o->format)
        fail_usage(fmt::format("--format: '{}' is not known", *format),
                   "use wav16, wav24, wav-float, flac16, flac24, ogg, mp3, m4a or opus");
    }
    o->output_name = output->filename().string();
    FolderSink sink = sink_for_file(*output);
    const RenderJobResult result =
        run_job([&](JobContext& c) { return run_render(*o, c); }, cancel, sink, !*quiet);
    std::printf("wrote %s (%s, %.1f s, %.1f LUFS, %.1f dBTP)\n", output->string().c_str(),
                std::string(audio_format_name(result.format)).c_str(), result.duration_s,
                result.loudness.integrated_lufs, result.loudness.true_peak_dbtp);
    return 0;
  };
}

CommandRun define_analyze_audio(CLI::App& cmd) {
  auto o = std::make_shared<AnalyzeAudioJobOptions>();
  auto output = std::make_shared<std::filesystem::path>();
  cmd.add_option("SONG", o->song,
                 "A song: any audio FFmpeg decodes (mp3, flac, wav, ogg, opus, m4a, mp4/mkv)")
      ->required();
  cmd.add_option("-o,--output", *output, "Write the timeline JSON here (default: print it)");
  cmd.add_option("--min-bpm", o->analysis.min_bpm, "Slowest beat searched, 30..300")
      ->capture_default_str();
  cmd.add_option("--max-bpm", o->analysis.max_bpm, "Fastest beat searched, 30..300")
      ->capture_default_str();
  return [o, output](const CancelToken& cancel) {
    FolderSink sink = output->empty() ? FolderSink(".") : sink_for_file(*output);
    if (!output->empty()) o->output_name = output->filename().string();
    const AnalyzeAudioJobResult result =
        run_job([&](JobContext& c) { return run_analyze_audio(*o, c); }, cancel, sink, false);
    const AudioAnalysis& a = result.analysis;
    if (output->empty()) {
      std::cout << result.json;
    } else {
      std::printf("%s: %.1f s, %.1f bpm, %d/4, %zu beats, %zu bars, %zu sections -> %s\n",
                  o->song.string().c_str(), a.timeline.duration_s, a.tempo_bpm, a.beats_per_bar,
                  a.timeline.beats.size(), a.timeline.downbeats.size(), a.timeline.sections.size(),
                  output->string().c_str());
    }
    return 0;
  };
}

CommandRun define_mv(CLI::App& cmd) {
  auto o = std::make_shared<MvJobOptions>();
  auto video = std::make_shared<VideoCli>();
  auto output = std::make_shared<std::filesystem::path>();
  auto quiet = std::make_shared<bool>(false);
  cmd.add_option("SONG", o->song,
                 "The song: any audio FFmpeg decodes (mp3, flac, wav, ogg, opus, m4a, mp4/mkv)")
      ->required();
  cmd.add_option("-o,--output", *output, "Folder to write video.mp4, timeline.json, report.json")
      ->required();
  cmd.add_option("--lyrics", o->lyrics,
                 "Lyrics: LRC (enhanced LRC word times), SRT, WebVTT, or plain lines (spread "
                 "evenly)");
  cmd.add_option("--clips", o->clips,
                 "Folder of video clips (any FFmpeg reads), edited to the music: shots cut on "
                 "beats, their own sound dropped (not with --images)");
  cmd.add_option("--seed", o->seed, "Random seed of the pan and zoom, and of the clips' edit")
      ->capture_default_str();
  video->add_to(cmd);
  cmd.add_flag("-q,--quiet", *quiet, "No progress on stderr");
  return [o, video, output, quiet, &cmd](const CancelToken& cancel) {
    const bool style_given = cmd.count("--style") > 0;
    if (!o->clips.empty() && !video->images.empty())
      fail_usage("--images and --clips: give pictures or video clips, not both",
                 "make the video with one of them");
    o->video = video->resolve();
    // The user's pictures are the point of a music video: shown in full unless a style is asked.
    if (!style_given && (!o->video.images.empty() || !o->clips.empty()))
      o->video.style = "storybook";
    o->captions = video->captions;
    FolderSink sink(*output);
    const MvJobResult result =
        run_job([&](JobContext& c) { return run_mv(*o, c); }, cancel, sink, !*quiet);
    const nlohmann::json& r = result.report;
    for (const std::string& w : result.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::string written;
    for (const std::string& f : sink.files()) written += (written.empty() ? "" : ", ") + f;
    std::printf(
        "%s: %.1f s, %.1f bpm, %d/4, %zu cuts (max %.1f ms from a beat), %zu captions "
        "(%s)\nwrote %s/{%s}\n",
        o->song.string().c_str(), result.timeline.duration_s, r["tempo_bpm"].get<double>(),
        r["beats_per_bar"].get<int>(), result.timeline.cuts.size(),
        r["cuts"]["max_error_to_beat_ms"].get<double>(), result.timeline.captions.size(),
        r["captions"]["timing"].get<std::string>().c_str(), output->string().c_str(),
        written.c_str());
    return 0;
  };
}

void add_job_memory_option(CLI::App& cmd, std::size_t& mb) {
  cmd.add_option("--job-memory", mb,
                 "Resident memory one job may use, in MB (32..1048576; 0: no cap). With a cap "
                 "each job runs in a process of its own, stopped and failed past it; without, "
                 "jobs run in this process's threads with the SoundFont kept loaded")
      ->capture_default_str();
}

// Run by serve and worker with --job-memory, once per job: not for people (hidden from --help).
CommandRun define_job_process(CLI::App& cmd) {
  auto out = std::make_shared<std::filesystem::path>();
  cmd.description(
      "One job of tonepoem serve/worker --job-memory: the request's JSON on stdin, progress and "
      "the result as JSON lines on stdout");
  cmd.add_option("--out", *out, "The job's output folder")->required();
  return
      [out](const CancelToken& cancel) { return run_job_here(std::cin, std::cout, *out, cancel); };
}

CommandRun define_serve(CLI::App& cmd) {
  auto o = std::make_shared<ServeOptions>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  cmd.add_option("--listen", *listen,
                 "HOST:PORT to listen on (port 0: any free one; other hosts than 127.0.0.1, ::1 "
                 "and localhost need --token)")
      ->capture_default_str();
  cmd.add_option("--data", o->data_dir,
                 "Folder of the job database (jobs.sqlite3) and the outputs (jobs/ID/)")
      ->capture_default_str();
  cmd.add_option("--database", o->database,
                 "PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE): jobs there, shared with "
                 "`tonepoem worker` processes (default: SQLite under --data)");
  cmd.add_option("--workers", o->workers,
                 "Jobs run at once (threads), 1..64; 0..64 with --database (0: only tonepoem "
                 "worker processes run jobs)")
      ->capture_default_str();
  cmd.add_option("--lease", o->lease_s,
                 "With --database: seconds a job's claim lasts without a heartbeat (a job whose "
                 "worker died is taken again after it), 2..3600")
      ->capture_default_str();
  cmd.add_option("--max-upload", o->max_upload_bytes,
                 "Largest request body in bytes (413 above it), 1024..1073741824; uploaded "
                 "files go to disk as they arrive, a JSON body is at most 64 MiB")
      ->capture_default_str();
  cmd.add_option("--queue", o->queue_limit, "Queued jobs at most (429 above it), 1..100000")
      ->capture_default_str();
  cmd.add_option("--job-timeout", o->job_timeout_s,
                 "Seconds a job may run before it is stopped and marked failed (0: no limit)")
      ->capture_default_str();
  add_job_memory_option(cmd, o->job_memory_mb);
  cmd.add_option("--token", o->token,
                 "Every request must send Authorization: Bearer TOKEN (needed off loopback)");
  cmd.footer(
      "Prints 'listening on URL' on stdout once requests can be made; stops on Ctrl-C or SIGTERM "
      "(running jobs are queued again for the next start). API: GET URL/api/openapi.json.");
  return [o, listen](const CancelToken& cancel) {
    if (std::string problem = parse_listen(*listen, *o); !problem.empty())
      fail_usage("--listen: " + problem, "");
    serve(*o, cancel, [](const std::string& url) {
      std::printf("tonepoem serve: listening on %s\n", url.c_str());
      std::fflush(stdout);
    });
    std::fprintf(stderr, "tonepoem serve: stopped\n");
    return 0;
  };
}

CommandRun define_worker(CLI::App& cmd) {
  auto o = std::make_shared<WorkerOptions>();
  cmd.add_option("--database", o->database,
                 "PostgreSQL URL of the jobs, as given to tonepoem serve --database "
                 "(postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
      ->required();
  cmd.add_option("--data", o->data_dir,
                 "Folder of the outputs (jobs/ID/): the one tonepoem serve --data serves, shared "
                 "storage when on another machine")
      ->capture_default_str();
  cmd.add_option("--workers", o->workers, "Jobs run at once (threads), 1..64")
      ->capture_default_str();
  cmd.add_option("--lease", o->lease_s,
                 "Seconds a job's claim lasts without a heartbeat (renewed every third of it; a "
                 "job whose worker died is taken again after it), 2..3600")
      ->capture_default_str();
  cmd.add_option("--job-timeout", o->job_timeout_s,
                 "Seconds a job may run before it is stopped and marked failed (0: no limit)")
      ->capture_default_str();
  add_job_memory_option(cmd, o->job_memory_mb);
  cmd.footer(
      "Prints 'taking jobs from HOST:PORT/DATABASE' on stdout once connected; stops on Ctrl-C "
      "or SIGTERM (its running jobs are queued again). Exit codes: 2 a bad flag or --database "
      "URL, 4 the database cannot be reached, 5 the data folder is not writable.");
  return [o](const CancelToken& cancel) {
    run_workers(*o, cancel, [&](const std::string& where) {
      std::printf("tonepoem worker: %d worker(s) taking jobs from %s\n", o->workers, where.c_str());
      std::fflush(stdout);
    });
    std::fprintf(stderr, "tonepoem worker: stopped\n");
    return 0;
  };
}

CommandRun define_score(CLI::App& cmd) {
  auto o = std::make_shared<ScoreOptions>();
  auto output = std::make_shared<std::filesystem::path>();
  auto quiet = std::make_shared<bool>(false);
  cmd.add_option("VIDEO", o->video, "The film: any file FFmpeg opens (mp4, mkv, mov, webm)")
      ->required();
  cmd.add_option("-o,--output", *output,
                 "Folder to write scored.mp4, score.mid, music.wav, hits.csv, hits.edl, "
                 "cues.json, report.json")
      ->required();
  cmd.add_option("--subtitles", o->subtitles,
                 "SRT, WebVTT or ASS/SSA subtitles: their emotion drives the music, which "
                 "ducks under each line (default: the video's first text subtitle stream, else "
                 "none: the picture alone drives it)");
  cmd.add_option("--cue-sheet", o->cue_sheet,
                 "The cues.json of an earlier run on this film, edited: composed as written "
                 "(its seed; \"music\": false makes a cue a gap) in place of the plan; not with "
                 "--subtitles");
  cmd.add_option("--duck", o->duck_db, "How far the music drops under each subtitle, 0..40 dB")
      ->capture_default_str();
  cmd.add_option("--loudness", o->loudness_lufs,
                 "Delivery loudness of scored.mp4 in LUFS, -31..-9: -14 streaming, -23 EBU R128, "
                 "-24 ATSC A/85")
      ->capture_default_str();
  cmd.add_option("--seed", o->seed, "Random seed; the same inputs and seed give the same MIDI")
      ->capture_default_str();
  cmd.add_option("--soundfont", o->soundfont,
                 "General MIDI SoundFont (.sf2) (default: fluid-soundfont-gm)");
  cmd.add_option("--style", o->style, "The orchestration (default: default):" + style_list())
      ->check([](const std::string& s) { return style_problem(s); });
  cmd.add_option("--lang", o->language, "Subtitle language: auto, en or zh")
      ->transform(CLI::CheckedTransformer(kLanguages, CLI::ignore_case))
      ->default_str("auto");
  cmd.add_flag("-q,--quiet", *quiet, "No progress on stderr");
  return [o, output, quiet](const CancelToken& cancel) {
    FolderSink sink(*output);
    const ScoreResult r =
        run_job([&](JobContext& c) { return run_score(*o, c); }, cancel, sink, !*quiet);
    std::printf("%s: %.2f s, %lld frames at %.3f fps, %zu cuts, %zu shots; %s\n",
                o->video.string().c_str(), r.film.duration_s, static_cast<long long>(r.film.frames),
                r.film.fps, r.film.cuts.size(), r.film.shots.size(),
                r.subtitle_source == "file"     ? "arc from the subtitles file"
                : r.subtitle_source == "stream" ? "arc from the video's subtitle stream"
                : !o->cue_sheet.empty()         ? "cues from the edited cue sheet"
                                                : "no subtitles: arc from the picture");
    for (const ScoreSection& s : r.score.sections)
      std::printf("  %6.2f-%6.2f s  %-24s %3.0f bpm  v=%+.2f a=%+.2f\n", s.start_s, s.end_s,
                  s.name.substr(0, 24).c_str(), s.tempo_bpm, s.target.valence, s.target.arousal);
    std::printf(
        "wrote %s/{scored.mp4, score.mid, music.wav, hits.csv, hits.edl, cues.json, report.json} "
        "(%.1f LUFS)\n",
        output->string().c_str(), r.delivered.integrated_lufs);
    return 0;
  };
}

constexpr std::array kCommandTable = {
    CommandSpec{"make", "Story -> score.mid, score.wav, video.mp4, cues.json, report.json",
                define_make},
    CommandSpec{"lyrics", "Story -> song lyrics (verses from its scenes, a returning chorus)",
                define_lyrics},
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
    CommandSpec{"live", "Music composed as it plays from emotion commands (JSON lines on stdin)",
                define_live},
    CommandSpec{"analyze-audio", "A song's beats, downbeats, meter and sections as timeline JSON",
                define_analyze_audio},
    CommandSpec{"mv",
                "A song (+ lyrics, pictures) -> its music video cut to the beat, with "
                "timeline.json and report.json",
                define_mv},
    CommandSpec{"serve",
                "HTTP service: make jobs from JSON, queued in SQLite or PostgreSQL, run by workers",
                define_serve},
    CommandSpec{"worker", "Run the jobs of a PostgreSQL queue (tonepoem serve --database)",
                define_worker},
    CommandSpec{"score",
                "Score a film: music on its cuts, ducking under its subtitles -> scored.mp4 "
                "(video copied)",
                define_score},
    // No summary: hidden from the command list (serve and worker run it).
    CommandSpec{"job-process", "", define_job_process},
};

// Option fields whose flag is not "--" + the field with '-' for '_'.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kFieldFlags = {{
    {"story", "STORY"},
    {"song", "SONG"},
    {"video", "VIDEO"},
    {"cues", "CUES"},
    {"file", "FILE"},
    {"midi", "MIDI"},
    {"make_dir", "DIR"},
    {"output_name", "-o/--output"},
    {"midi_name", "-o/--output"},
    {"width", "--resolution"},
    {"height", "--resolution"},
    {"crf", "--quality"},
    {"preset", "--quality"},
    {"audio_bitrate", "--quality"},
    {"sample_rate", "--rate"},
    {"start", "--emotion"},
}};

}  // namespace

std::span<const CommandSpec> commands() {
  return kCommandTable;
}

std::string cli_flag_for(std::string_view field) {
  for (const auto& [name, flag] : kFieldFlags)
    if (name == field) return std::string(flag);
  std::string flag = "--" + std::string(field);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

}  // namespace tonepoem
