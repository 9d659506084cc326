#include "jobs/mv_clips.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "footage/footage.h"
#include "jobs/mv_job.h"

namespace tonepoem {
namespace {

constexpr std::string_view kClipsFix =
    "give a folder of video clips FFmpeg can read (mp4, mkv, mov, webm, ...)";
constexpr double kMaxSegmentS = 6.0;  // a longer shot is offered in pieces of about this length
constexpr double kEdgeFrames = 2;     // left out at each end of a shot

// Why a clip cannot be used, or empty.
std::string check_decoded(const FootageAnalysis& a) {
  const double expected = a.container_duration_s;
  if (expected > 0 && a.duration_s < expected - std::max(0.5, 0.1 * expected))
    return fmt::format("decoding stops at {:.2f} s of its {:.2f} s (damaged or truncated)",
                       a.duration_s, expected);
  return {};
}

}  // namespace

ClipLibrary scan_clips(const std::filesystem::path& dir, const ProgressFn& progress,
                       const CancelToken& cancel, double min_segment_s) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail_input(dir.string(), "the clips folder does not exist (or is not a folder)", kClipsFix);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file(ec)) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ClipLibrary library;
  library.folder = dir;
  for (std::size_t i = 0; i < files.size(); ++i) {
    cancel.throw_if_cancelled();
    const std::string file = files[i].string();
    FootageAnalysis a;
    try {
      a = analyze_footage(files[i], {}, {}, cancel);
    } catch (const Error& e) {
      if (e.code() != ExitCode::bad_input) throw;
      library.skipped.push_back({file, e.what()});
      continue;
    }
    if (std::string why = check_decoded(a); !why.empty()) {
      library.skipped.push_back({file, why});
      continue;
    }
    const double edge = kEdgeFrames / (a.fps > 0 ? a.fps : 25.0);
    std::vector<ClipSegment> segments;
    for (const Shot& shot : a.shots) {
      const double in = shot.start_s + (shot.start_s > 0 ? edge : 0.0);
      const double out = shot.end_s - (shot.end_s < a.duration_s - 1e-6 ? edge : 0.0);
      const double length = out - in;
      if (length < min_segment_s) continue;
      const int pieces = std::max(1, static_cast<int>(std::floor(length / kMaxSegmentS)));
      for (int p = 0; p < pieces; ++p)
        segments.push_back({library.files.size(), in + length * p / pieces,
                            in + length * (p + 1) / pieces, shot.motion, shot.contrast,
                            shot.brightness});
    }
    if (segments.empty()) {
      library.skipped.push_back({file, fmt::format("no shot of at least {:.1f} s in its {:.2f} s",
                                                   min_segment_s, a.duration_s)});
      continue;
    }
    library.shots += a.shots.size();
    library.files.push_back(file);
    library.segments.insert(library.segments.end(), segments.begin(), segments.end());
    if (progress) progress(static_cast<double>(i + 1) / static_cast<double>(files.size()));
  }
  if (library.files.empty()) {
    std::string why;
    for (const SkippedClip& s : library.skipped)
      why += fmt::format("; {}: {}", std::filesystem::path(s.file).filename().string(), s.reason);
    fail_input(dir.string(),
               files.empty() ? std::string("the clips folder is empty")
                             : "the clips folder holds no usable video clip" + why,
               kClipsFix);
  }
  return library;
}

std::vector<ClipCut> edit_clips(const Timeline& timeline,
                                const std::vector<double>& bar_loudness_db,
                                const ClipLibrary& library, std::uint64_t seed) {
  std::vector<ClipCut> cuts;
  const auto& segments = library.segments;
  const double duration = timeline.duration_s;
  if (segments.empty() || duration <= 0) return cuts;
  // The plan: a cut every 2 bars, every bar where it is louder, every section start.
  std::vector<double> plan = plan_cuts(timeline, bar_loudness_db, 1.2, 2, 1);
  plan.push_back(duration);
  // Each bar's loudness as a rank among the song's bars, 0 (quietest) .. 1 (loudest).
  std::vector<double> sorted = bar_loudness_db;
  std::sort(sorted.begin(), sorted.end());
  const auto energy_at = [&](double t) {
    if (sorted.size() < 2 || timeline.downbeats.empty()) return 0.5;
    const auto bar = std::upper_bound(timeline.downbeats.begin(), timeline.downbeats.end(), t);
    const std::size_t k = bar == timeline.downbeats.begin()
                              ? 0
                              : static_cast<std::size_t>(bar - timeline.downbeats.begin()) - 1;
    if (k >= bar_loudness_db.size()) return 0.5;
    const auto rank = std::lower_bound(sorted.begin(), sorted.end(), bar_loudness_db[k]);
    return static_cast<double>(rank - sorted.begin()) / static_cast<double>(sorted.size() - 1);
  };
  double max_motion = 0, max_contrast = 0;
  for (const ClipSegment& s : segments) {
    max_motion = std::max(max_motion, s.motion);
    max_contrast = std::max(max_contrast, s.contrast);
  }
  const auto quality = [&](const ClipSegment& s) {
    const double contrast = max_contrast > 0 ? s.contrast / max_contrast : 0.0;
    const double exposure = 1.0 - 2.0 * std::abs(s.brightness - 0.5);
    return 0.6 * contrast + 0.4 * exposure;
  };
  Rng rng(seed ^ 0x636c697073ull);  // "clips"
  std::vector<bool> used(segments.size(), false);
  std::size_t unused = segments.size();
  std::size_t previous_clip = std::numeric_limits<std::size_t>::max();
  const auto& beats = timeline.beats;
  double at = 0;
  std::size_t next = 0;  // the plan's next boundary
  while (at < duration - 1e-9) {
    while (next < plan.size() && plan[next] <= at + 1e-9) ++next;
    double end = next < plan.size() ? plan[next] : duration;
    if (unused == 0) {
      std::fill(used.begin(), used.end(), false);
      unused = segments.size();
    }
    const double energy = energy_at(at);
    const double need = end - at;
    std::size_t best = segments.size(), longest = segments.size();
    double best_score = -1e300;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (used[i]) continue;
      const ClipSegment& s = segments[i];
      const double length = s.out_s - s.in_s;
      if (longest == segments.size() || length > segments[longest].out_s - segments[longest].in_s)
        longest = i;
      if (length < need - 1e-6) continue;
      const double motion = max_motion > 0 ? s.motion / max_motion : 0.0;
      const double score = quality(s) + (1.0 - std::abs(motion - energy)) -
                           (s.clip == previous_clip ? 0.75 : 0.0) + 0.6 * rng.uniform();
      if (score > best_score) {
        best_score = score;
        best = i;
      }
    }
    if (best == segments.size()) {
      // No unused segment is long enough: the longest one, cut on the last beat it reaches.
      const double reach = segments[longest].out_s - segments[longest].in_s;
      const auto beat = std::upper_bound(beats.begin(), beats.end(), at + reach + 1e-6);
      if (beat != beats.begin() && *std::prev(beat) > at + 1e-6 && *std::prev(beat) < end) {
        end = *std::prev(beat);
        best = longest;
      } else {
        // Shorter than a beat: any segment long enough, used or not (else the longest of all,
        // holding its last frame).
        for (std::size_t i = 0; i < segments.size(); ++i) {
          const double length = segments[i].out_s - segments[i].in_s;
          if (best == segments.size() ||
              (length >= need - 1e-6 && segments[best].out_s - segments[best].in_s < need - 1e-6) ||
              (length < need - 1e-6 && length > segments[best].out_s - segments[best].in_s))
            best = i;
        }
      }
    }
    const ClipSegment& s = segments[best];
    const double length = end - at;
    const double in = s.in_s + std::max(0.0, (s.out_s - s.in_s - length) / 2);
    cuts.push_back({library.files[s.clip], at, end, in, in + length});
    if (!used[best]) {
      used[best] = true;
      --unused;
    }
    previous_clip = s.clip;
    at = end;
  }
  return cuts;
}

}  // namespace tonepoem
