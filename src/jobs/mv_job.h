// The `mv` job: a finished song (anyone's) into its music video. The song is decoded once
// (analyze_audio_job.h: load_song) and analysed (audio_analysis: beats, downbeats, sections);
// lyrics become captions at their times; the user's pictures are cut on downbeats at phrase
// boundaries (every 4 bars, every 2 where the song is louder); the video stage renders it all
// from the Timeline with the song's own audio (re-encoded to AAC once, never re-mastered).
// Writes video.mp4, timeline.json and report.json (and captions.srt or .ass if asked) through
// the job's OutputSink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "jobs/job.h"
#include "jobs/make_job.h"
#include "model/cue_sheet.h"
#include "model/timeline.h"
#include "video/video.h"

namespace tonepoem {

struct MvJobOptions {
  std::filesystem::path song;
  std::filesystem::path lyrics;  // optional: LRC (enhanced LRC word times), SRT, WebVTT, or
                                 // plain text (lines spread evenly over the song)
  VideoOptions video;            // images: the pictures to cut (video/video.h: list_images)
  std::filesystem::path clips;   // optional: a folder of video clips, edited to the music
                                 // (mv_clips.h); not together with video.images
  std::uint64_t seed = 1;        // the video's own random draws (pan, zoom)
  CaptionFormat captions = CaptionFormat::none;  // also captions.srt or captions.ass

  // Fields: "song", "seed", "clips", and VideoOptions' own.
  OptionProblems validate() const;
};

// Lyrics as captions, and how they were timed.
struct Lyrics {
  std::vector<Caption> captions;  // in time order, inside the song
  std::string format;             // "lrc", "lrc-words" (enhanced), "srt", "vtt", "plain"
  bool timed = true;              // false: plain text spread evenly (said in report.json)
};
// Reads `path` for a song of `duration_s` whose music runs from `music_start_s` to
// `music_end_s` (where plain lines are spread). LRC: `[mm:ss.xx]line`, several tags per line
// (repeats), [offset:ms]; enhanced LRC adds `<mm:ss.xx>` before words. Throws Error(bad_input)
// naming the file and the line when a time is malformed, runs backwards (one tag per line, each
// line must not start before the one above it), or starts at or after the song's end; or when
// the file holds no lyric line.
Lyrics read_lyrics(const std::filesystem::path& path, double duration_s, double music_start_s,
                   double music_end_s);

// Where the pictures change: downbeats at phrase boundaries, every `calm_bars` bars, every
// `loud_bars` bars where the bar is at least 3 dB louder than the song's median bar, and every
// section start; never closer than `min_gap_s` to the previous cut nor within min_gap_s / 2 of
// the end. (Pictures: 4 and 2 bars; video clips, mv_clips.h: 2 and 1.)
std::vector<double> plan_cuts(const Timeline& timeline, const std::vector<double>& bar_loudness_db,
                              double min_gap_s = 2.6, int calm_bars = 4, int loud_bars = 2);

struct MvJobResult {
  Timeline timeline;
  nlohmann::json report;
  std::vector<std::string> warnings;  // e.g. a clip skipped (also in report.json)
};

// Checks every input before slow work (song decodable and long enough, lyrics, pictures, fonts,
// options; the clips are decoded once, each unusable one skipped with a warning, none usable is
// Error(bad_input) naming the folder), then writes video.mp4, timeline.json and report.json; a
// failure leaves none of them. Throws InvalidOptions, Error(bad_input) naming the file and the fix,
// Error(missing_resource), Error(output), Error(interrupted).
MvJobResult run_mv(const MvJobOptions& options, JobContext& context);

}  // namespace tonepoem
