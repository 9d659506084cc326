#include "jobs/mv_job.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/files.h"
#include "jobs/analyze_audio_job.h"
#include "jobs/mv_clips.h"
#include "text/document.h"

namespace tonepoem {
namespace {

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "mm:ss", "mm:ss.xx" or "mm:ss:xx" (some editors) -> seconds.
std::optional<double> parse_lrc_time(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string minutes(s.substr(0, colon)), rest(s.substr(colon + 1));
  if (const std::size_t second_colon = rest.find(':'); second_colon != std::string::npos)
    rest[second_colon] = '.';
  if (minutes.find_first_not_of("0123456789") != std::string::npos || rest.empty() ||
      rest.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(rest.begin(), rest.end(), '.') > 1)
    return std::nullopt;
  // from_chars, not stod: "." or a 400-digit minute count is a bad tag, never an exception.
  double secs = 0, mins = 0;
  const auto [secs_end, secs_error] = std::from_chars(rest.data(), rest.data() + rest.size(), secs);
  const auto [mins_end, mins_error] =
      std::from_chars(minutes.data(), minutes.data() + minutes.size(), mins);
  if (secs_error != std::errc() || secs_end != rest.data() + rest.size() ||
      mins_error != std::errc() || mins_end != minutes.data() + minutes.size() || secs >= 60)
    return std::nullopt;
  return mins * 60 + secs;
}

constexpr std::string_view kLrcFix =
    "each LRC line is `[mm:ss.xx]lyric` (enhanced: `[mm:ss.xx]<mm:ss.xx>word <mm:ss.xx>word`), "
    "lines in time order, all inside the song";

[[noreturn]] void fail_lyrics_line(const std::filesystem::path& path, std::size_t line,
                                   const std::string& what, std::string_view fix = kLrcFix) {
  fail_input(fmt::format("{}:{}", path.string(), line), what, fix);
}

Lyrics read_lrc(const std::filesystem::path& path, std::string_view text, double duration_s) {
  struct Line {
    double start;
    std::string text;
    std::vector<WordTiming> words;
    std::size_t number;
  };
  std::vector<Line> lines;
  double offset = 0;
  bool repeats = false, enhanced = false;
  std::optional<double> previous_start;
  std::istringstream in{std::string(text)};
  std::string raw;
  for (std::size_t number = 1; std::getline(in, raw); ++number) {
    std::string_view t = trim(raw);
    if (number == 1 && t.substr(0, 3) == "\xEF\xBB\xBF") t = trim(t.substr(3));
    if (t.empty()) continue;
    if (t[0] != '[')
      fail_lyrics_line(path, number, "expected a [mm:ss.xx] time tag at the start of the line");
    std::vector<double> starts;
    while (!t.empty() && t[0] == '[') {
      const std::size_t close = t.find(']');
      if (close == std::string_view::npos)
        fail_lyrics_line(path, number, "a time tag without its closing ']'");
      const std::string_view tag = t.substr(1, close - 1);
      t = trim(t.substr(close + 1));
      if (!tag.empty() && !std::isdigit(static_cast<unsigned char>(tag[0]))) {
        if (tag.substr(0, 7) == "offset:") {  // milliseconds, positive = lyrics earlier
          std::string_view ms = trim(tag.substr(7));
          if (!ms.empty() && ms.front() == '+') ms.remove_prefix(1);
          double value = 0;
          const auto [end, error] = std::from_chars(ms.data(), ms.data() + ms.size(), value);
          // Milliseconds as digits only: "nan", "inf" or a day's worth are not an offset.
          if (ms.empty() || error != std::errc() || end != ms.data() + ms.size() ||
              !std::isfinite(value) || std::abs(value) > 3600e3 ||
              ms.find_first_not_of("-0123456789.") != std::string_view::npos)
            fail_lyrics_line(path, number, fmt::format("bad offset \"[{}]\"", tag),
                             "write the offset in milliseconds, e.g. [offset:+250]");
          offset = value / 1000.0;
        }
        continue;  // [ti:], [ar:], [al:] ...
      }
      const auto secs = parse_lrc_time(tag);
      if (!secs) fail_lyrics_line(path, number, fmt::format("bad time tag \"[{}]\"", tag));
      starts.push_back(*secs);
    }
    if (starts.empty()) continue;  // metadata only
    if (starts.size() > 1) repeats = true;
    // Enhanced LRC: <mm:ss.xx> before each word.
    std::string plain;
    std::vector<WordTiming> words;
    std::optional<double> word_start = starts.front();  // the first word starts with its line
    std::string word_text;
    auto flush_word = [&]() {
      const std::string w(trim(word_text));
      if (word_start && !w.empty()) words.push_back({w, *word_start - offset, 0});
      word_text.clear();
    };
    for (std::size_t i = 0; i < t.size();) {
      if (t[i] == '<') {
        const std::size_t close = t.find('>', i);
        const auto secs = close == std::string_view::npos
                              ? std::nullopt
                              : parse_lrc_time(t.substr(i + 1, close - i - 1));
        if (!secs) fail_lyrics_line(path, number, "a word time `<mm:ss.xx>` that cannot be read");
        flush_word();
        word_start = *secs;
        enhanced = true;
        i = close + 1;
      } else {
        plain += t[i];
        word_text += t[i];
        ++i;
      }
    }
    flush_word();
    if (t.find('<') == std::string_view::npos) words.clear();  // no word times on this line
    const std::string lyric(trim(plain));
    for (double s : starts) {
      const double start = std::max(0.0, s - offset);
      if (starts.size() == 1 && previous_start && start < *previous_start)
        fail_lyrics_line(
            path, number,
            fmt::format("the line starts at {:.2f} s, before the line above it ({:.2f} s): "
                        "the times go backwards",
                        start, *previous_start));
      if (start >= duration_s)
        fail_lyrics_line(path, number,
                         fmt::format("the line starts at {:.2f} s, after the song ends ({:.2f} s)",
                                     start, duration_s),
                         "check that the lyrics belong to this song (and its [offset:])");
      for (std::size_t w = 1; w < words.size(); ++w)
        if (words[w].start_s < words[w - 1].start_s)
          fail_lyrics_line(path, number, "the word times go backwards");
      lines.push_back(
          {start, lyric, starts.size() == 1 ? words : std::vector<WordTiming>{}, number});
    }
    if (starts.size() == 1) previous_start = std::max(0.0, starts[0] - offset);
  }
  if (repeats)
    std::stable_sort(lines.begin(), lines.end(),
                     [](const Line& a, const Line& b) { return a.start < b.start; });
  Lyrics lyrics;
  lyrics.format = enhanced ? "lrc-words" : "lrc";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].text.empty()) continue;  // an empty timed line ends the previous one
    // A line lasts until the next one starts, at most 8 s, and never past the song.
    const double next = i + 1 < lines.size() ? lines[i + 1].start : duration_s;
    Caption cap;
    cap.text = lines[i].text;
    cap.start_s = lines[i].start;
    cap.end_s = std::min({next, cap.start_s + 8.0, duration_s});
    cap.words = lines[i].words;
    for (std::size_t w = 0; w < cap.words.size(); ++w) {
      cap.words[w].start_s = std::clamp(cap.words[w].start_s, cap.start_s, cap.end_s);
      cap.words[w].end_s = w + 1 < cap.words.size() ? cap.words[w + 1].start_s : cap.end_s;
      cap.words[w].end_s = std::clamp(cap.words[w].end_s, cap.words[w].start_s, cap.end_s);
    }
    lyrics.captions.push_back(std::move(cap));
  }
  return lyrics;
}

}  // namespace

Lyrics read_lyrics(const std::filesystem::path& path, double duration_s, double music_start_s,
                   double music_end_s) {
  if (!std::filesystem::is_regular_file(path))
    fail_input(path.string(), "not found (or not a file)",
               "give the lyrics as LRC, SRT, WebVTT or plain text lines");
  const std::string text = read_text_file(path);
  const std::string ext = lower_extension(path);
  const std::string_view start = trim(text);
  const bool looks_lrc =
      start.size() > 2 && start[0] == '[' &&
      (std::isdigit(static_cast<unsigned char>(start[1])) || start.find(":") < 6);
  Lyrics lyrics;
  if (ext == ".lrc" || (ext != ".srt" && ext != ".vtt" && looks_lrc)) {
    lyrics = read_lrc(path, text, duration_s);
  } else if (ext == ".srt" || ext == ".vtt") {
    // The text stage's subtitle parsers (order and overlap checked there), one caption per
    // sentence with its cue's times.
    const Document doc = parse_file(path, {});
    lyrics.format = ext.substr(1);
    for (const Sentence& s : doc.sentences) {
      if (!s.start_s || !s.end_s) continue;
      if (*s.start_s >= duration_s)
        fail_lyrics_line(path, s.line,
                         fmt::format("the cue starts at {:.2f} s, after the song ends ({:.2f} s)",
                                     *s.start_s, duration_s),
                         "check that the subtitles belong to this song");
      lyrics.captions.push_back({s.text, *s.start_s, std::min(*s.end_s, duration_s), {}, {}});
    }
  } else {
    // Plain text: one caption per non-empty line, spread evenly over the music.
    lyrics.format = "plain";
    lyrics.timed = false;
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string raw;
    while (std::getline(in, raw))
      if (!trim(raw).empty()) lines.emplace_back(trim(raw));
    const double span = std::max(0.0, music_end_s - music_start_s);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const double a = music_start_s + span * static_cast<double>(i) / lines.size();
      const double b = music_start_s + span * static_cast<double>(i + 1) / lines.size();
      lyrics.captions.push_back({lines[i], a, b, {}, {}});
    }
  }
  if (lyrics.captions.empty())
    fail_input(path.string(), "holds no lyric line",
               "give the lyrics as LRC, SRT, WebVTT or plain text lines");
  return lyrics;
}

std::vector<double> plan_cuts(const Timeline& timeline, const std::vector<double>& bar_loudness_db,
                              double min_gap_s, int calm_bars, int loud_bars) {
  const auto& bars = timeline.downbeats;
  std::vector<double> cuts;
  if (bars.empty()) return cuts;
  std::vector<double> sorted = bar_loudness_db;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.empty() ? 0.0 : sorted[sorted.size() / 2];
  std::vector<bool> section_start(bars.size(), false);
  for (std::size_t k = 1; k < timeline.sections.size(); ++k) {
    const auto it = std::lower_bound(bars.begin(), bars.end(), timeline.sections[k].start_s - 1e-6);
    if (it != bars.end()) section_start[static_cast<std::size_t>(it - bars.begin())] = true;
  }
  double last = 0;
  std::size_t phrase_start = 0;
  for (std::size_t i = 1; i < bars.size(); ++i) {
    const bool loud =
        phrase_start < bar_loudness_db.size() && bar_loudness_db[phrase_start] >= median + 3.0;
    const auto length = static_cast<std::size_t>(std::max(1, loud ? loud_bars : calm_bars));
    if (!section_start[i] && i - phrase_start < length) continue;
    if (bars[i] - last < min_gap_s || timeline.duration_s - bars[i] < min_gap_s / 2) continue;
    cuts.push_back(bars[i]);
    last = bars[i];
    phrase_start = i;
  }
  return cuts;
}

OptionProblems MvJobOptions::validate() const {
  OptionProblems problems;
  if (song.empty()) problems.push_back({"song", "give the song to make the video of"});
  if (seed == 0) problems.push_back({"seed", "must be 1 or more"});
  if (!clips.empty() && !video.images.empty())
    problems.push_back({"clips", "give pictures or video clips, not both"});
  VideoOptions v = video;
  v.clips = v.clips || !clips.empty();
  for (OptionProblem& p : v.validate()) problems.push_back(std::move(p));
  return problems;
}

namespace {

// How far a time placed at frame round(t * fps) lands from `target`, in seconds.
double frame_error(double t, double target, int fps) {
  return std::abs(std::round(t * fps) / fps - target);
}

double nearest(const std::vector<double>& sorted, double t) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), t);
  double best = 1e300;
  if (it != sorted.end()) best = *it;
  if (it != sorted.begin() && std::abs(*std::prev(it) - t) < std::abs(best - t))
    best = *std::prev(it);
  return best;
}

}  // namespace

MvJobResult run_mv(const MvJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  context.outputs().check_writable();
  context.stage("decode");
  const AudioBuffer audio = load_song(options.song);
  context.stage("analyze");
  const AudioAnalysis analysis = analyze_audio(audio, {}, context.cancel());
  if (analysis.timeline.beats.size() < 2)
    fail_input(options.song.string(), "no steady beat found",
               "give music with a pulse (the pictures are cut to its beats)");
  MvJobResult result;
  Timeline& timeline = result.timeline;
  timeline = analysis.timeline;
  timeline.title = options.song.stem().string();
  timeline.seed = options.seed;
  Lyrics lyrics;
  if (!options.lyrics.empty()) {
    context.stage("lyrics");
    const double music_start =
        timeline.downbeats.empty() ? timeline.beats.front() : timeline.downbeats.front();
    lyrics = read_lyrics(options.lyrics, timeline.duration_s, music_start, timeline.beats.back());
    timeline.captions = lyrics.captions;
    for (const Caption& c : timeline.captions) timeline.emotion_curve.push_back({c.start_s, {}});
  }
  VideoOptions video = options.video;
  ClipLibrary library;
  if (!options.clips.empty()) {
    library = scan_clips(options.clips, context.stage("clips"), context.cancel());
    for (const SkippedClip& s : library.skipped)
      result.warnings.push_back(fmt::format("{}: skipped: {}", s.file, s.reason));
    timeline.clips = edit_clips(timeline, analysis.bar_loudness_db, library, options.seed);
    for (std::size_t k = 1; k < timeline.clips.size(); ++k)
      timeline.cuts.push_back(timeline.clips[k].start_s);
    video.clips = true;
  } else {
    timeline.cuts = plan_cuts(timeline, analysis.bar_loudness_db);
  }

  const std::string video_name = "video.mp4", timeline_name = "timeline.json",
                    report_name = "report.json";
  std::string captions_name;
  const std::filesystem::path video_path = context.outputs().path_for(video_name);
  const ProgressFn progress = context.stage("video");
  render_video(audio, timeline, video, video_path, progress, context.cancel());
  try {
    context.stage("check");
    // The MP4's own audio, decoded back: its length, loudness and true peak as a listener gets
    // them (the song's samples, re-encoded once).
    const AudioBuffer encoded = read_audio(video_path);
    const LoudnessReport loudness = measure_loudness(encoded);
    const LoudnessReport source = measure_loudness(audio);
    const int fps = options.video.fps;
    double cut_max = 0, cut_sum = 0;
    for (double c : timeline.cuts) {
      const double e = frame_error(c, nearest(timeline.beats, c), fps);
      cut_max = std::max(cut_max, e);
      cut_sum += e;
    }
    double caption_max = 0;
    for (const Caption& c : timeline.captions) {
      caption_max = std::max(caption_max, frame_error(c.start_s, c.start_s, fps));
      for (const WordTiming& w : c.words)
        caption_max = std::max(caption_max, frame_error(w.start_s, w.start_s, fps));
    }
    nlohmann::json& report = result.report;
    report = {
        {"song", options.song.string()},
        {"duration_s", timeline.duration_s},
        {"tempo_bpm", analysis.tempo_bpm},
        {"beats_per_bar", analysis.beats_per_bar},
        {"beats", timeline.beats.size()},
        {"downbeats", timeline.downbeats.size()},
        {"sections", timeline.sections.size()},
        {"cuts",
         {{"count", timeline.cuts.size()},
          {"max_error_to_beat_ms", cut_max * 1000},
          {"mean_error_to_beat_ms",
           timeline.cuts.empty() ? 0.0 : cut_sum * 1000 / timeline.cuts.size()},
          {"frame_ms", 1000.0 / fps},
          {"rule", timeline.clips.empty()
                       ? "downbeats every 4 bars, every 2 where the bar is 3 dB above the median, "
                         "and section starts; at least 2.6 s apart"
                       : "downbeats every 2 bars, every bar where the bar is 3 dB above the "
                         "median, and section starts, at least 1.2 s apart; a slot longer than "
                         "its clip segment cut earlier on the last beat the segment reaches"}}},
        {"captions",
         {{"count", timeline.captions.size()},
          {"max_timing_error_ms", caption_max * 1000},
          {"lyrics", options.lyrics.empty() ? "" : options.lyrics.string()},
          {"format", lyrics.format},
          {"timing", options.lyrics.empty() ? "no lyrics"
                     : lyrics.timed
                         ? "from the lyrics file's times"
                         : "spread evenly over the music (the file has no times; not aligned to "
                           "the voice)"}}},
        {"audio",
         {{"remastered", false},
          {"song_integrated_lufs", source.integrated_lufs},
          {"song_true_peak_dbtp", source.true_peak_dbtp},
          {"mp4_integrated_lufs", loudness.integrated_lufs},
          {"mp4_true_peak_dbtp", loudness.true_peak_dbtp},
          {"mp4_duration_s", encoded.duration_s()},
          {"duration_difference_s", encoded.duration_s() - audio.duration_s()}}},
        {"video",
         {{"width", options.video.width},
          {"height", options.video.height},
          {"fps", fps},
          {"style", options.video.style},
          {"images", options.video.images.size()}}},
        {"warnings", result.warnings},
    };
    if (!options.clips.empty()) {
      nlohmann::json skipped = nlohmann::json::array();
      for (const SkippedClip& s : library.skipped)
        skipped.push_back({{"file", s.file}, {"reason", s.reason}});
      std::vector<std::size_t> uses(library.files.size(), 0);
      for (const ClipCut& c : timeline.clips)
        uses[static_cast<std::size_t>(
            std::find(library.files.begin(), library.files.end(), c.clip) -
            library.files.begin())]++;
      nlohmann::json used = nlohmann::json::array();
      for (std::size_t i = 0; i < library.files.size(); ++i)
        used.push_back({{"file", library.files[i]}, {"cuts", uses[i]}});
      report["clips"] = {{"folder", options.clips.string()},
                         {"clips", used},
                         {"skipped", std::move(skipped)},
                         {"shots", library.shots},
                         {"segments", library.segments.size()},
                         {"cuts", timeline.clips.size()},
                         {"audio", "the clips' own sound is dropped: the MP4's audio is the song"}};
    }
    write_file_atomically(context.outputs().path_for(timeline_name),
                          nlohmann::json(timeline).dump(2) + "\n");
    write_file_atomically(context.outputs().path_for(report_name), report.dump(2) + "\n");
    if (options.captions != CaptionFormat::none) {
      const bool srt = options.captions == CaptionFormat::srt;
      captions_name = srt ? "captions.srt" : "captions.ass";
      write_file_atomically(context.outputs().path_for(captions_name),
                            srt ? captions_srt(timeline) : captions_ass(timeline, options.video));
    }
  } catch (...) {
    // No partial set of outputs: the video goes with the files that failed after it.
    std::error_code ec;
    std::filesystem::remove(video_path, ec);
    std::filesystem::remove(context.outputs().path_for(timeline_name), ec);
    std::filesystem::remove(context.outputs().path_for(report_name), ec);
    throw;
  }
  context.outputs().written(video_name);
  context.outputs().written(timeline_name);
  context.outputs().written(report_name);
  if (!captions_name.empty()) context.outputs().written(captions_name);
  context.finish_stage();
  return result;
}

}  // namespace tonepoem
