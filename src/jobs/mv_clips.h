// The `mv` job's automatic editor of the user's video clips (`--clips DIR`): every clip in the
// folder is decoded once as a stream (footage stage) and cut into shots; the shots become
// segments scored for motion, contrast and brightness; the song's cut plan (downbeats, shorter
// where the music is louder, every section start) is filled with segments so that each cut lands
// on a beat, no segment used twice before all have been used, the clips' own sound dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/progress.h"
#include "model/timeline.h"

namespace tonepoem {

// A usable stretch of a clip: one shot (a long shot in pieces), its first and last frames left
// out (a detector's edge, a fade's end).
struct ClipSegment {
  std::size_t clip = 0;  // index in ClipLibrary::files
  double in_s = 0, out_s = 0;
  double motion = 0;      // mean absolute luma change per frame, 0..1
  double contrast = 0;    // luma standard deviation, 0..0.5 (a flat or washed-out picture: low)
  double brightness = 0;  // mean luma, 0..1
};

struct SkippedClip {
  std::string file;
  std::string reason;
};

struct ClipLibrary {
  std::filesystem::path folder;
  std::vector<std::string> files;  // the usable clips, sorted by name
  std::vector<ClipSegment> segments;
  std::vector<SkippedClip> skipped;  // not video, damaged, decoding stops half-way, too short
  std::size_t shots = 0;
};

// The clips in `dir` (every regular file, sorted by name; names starting with '.' ignored), each
// decoded once. A file that is not video, or that stops decoding before the end its container
// gives (damaged, truncated), or that holds no shot of at least `min_segment_s`, is skipped with
// the reason. Throws Error(bad_input) naming the folder when it is missing or no clip is usable
// (the reasons listed), Error(interrupted) when cancelled. Progress: clips done.
ClipLibrary scan_clips(const std::filesystem::path& dir, const ProgressFn& progress = {},
                       const CancelToken& cancel = CancelToken::never(),
                       double min_segment_s = 0.5);

// The picture track: timeline.duration_s covered by clip cuts end to end, each boundary a beat
// of the timeline (the plan: a cut every 2 bars, every bar where the bar is 3 dB above the median
// bar, and every section start; a slot longer than the segment chosen for it is cut earlier, on
// the last beat the segment reaches). Segments are chosen by score: contrast and brightness, and
// motion that matches the bar's loudness (calm footage where the song is quiet), a clip not
// twice in a row where another fits, and a draw from `seed` (up to 0.6 of a score whose parts
// each reach 1), so that another seed chooses among the shots that fit about as well; no segment
// twice before every one has been used. The same inputs give the same cuts.
std::vector<ClipCut> edit_clips(const Timeline& timeline,
                                const std::vector<double>& bar_loudness_db,
                                const ClipLibrary& library, std::uint64_t seed);

}  // namespace tonepoem
