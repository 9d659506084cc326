// Shot detection on generated films with known transitions: hard cuts (frame-exact and within one
// frame), fades through black, white and black flashes that are not cuts, fast pans that are not
// cuts. The baseline, run on the same files in the same run: FFmpeg's own scene score
// (`ffmpeg -vf "select='gt(scene,0.4)',showinfo"`), when the ffmpeg program is installed.
//
//   cut_bench [--films N] [--seed S] [--keep DIR]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "footage/footage.h"
#include "footage/synthetic_video.h"

namespace fs = std::filesystem;
using namespace tonepoem;

namespace {

constexpr int kFps = 25;

struct Truth {
  std::vector<std::int64_t> hard;  // first frame of each new shot
  std::vector<std::pair<std::int64_t, std::int64_t>>
      gradual;  // [first, last] of each fade, dissolve
  std::vector<std::pair<std::int64_t, std::int64_t>> flashes;  // [first, last] frame of each flash
  std::int64_t frames = 0;
};

// A film of `shots` shots: each a pattern, a solid or a fast pan in a colour unlike the last one,
// 20 to 80 frames; between shots a fade from a patterned shot (1 in 4: through black, white or a
// colour of the palette, one in three each), else a dissolve of 12 to 50 frames (1 in 4) or a hard
// cut; inside half the shots a one- or two-frame white or black flash.
Truth make_film(const fs::path& path, int shots, std::mt19937& rng) {
  static const std::array<std::array<std::uint8_t, 3>, 10> palette = {{{200, 40, 40},
                                                                       {40, 60, 220},
                                                                       {40, 190, 60},
                                                                       {230, 210, 40},
                                                                       {200, 40, 180},
                                                                       {40, 200, 200},
                                                                       {240, 130, 30},
                                                                       {120, 60, 200},
                                                                       {150, 150, 150},
                                                                       {90, 50, 20}}};
  std::uniform_int_distribution<int> length(20, 80), colour(0, 9), look(0, 2), coin(0, 3),
      fade_len(12, 25), black_len(2, 6), flash_len(1, 2), through_kind(0, 2), dissolve_len(12, 50);
  Truth truth;
  std::vector<SyntheticSegment> segments;
  int previous = -1;
  std::int64_t frame = 0;
  for (int s = 0; s < shots; ++s) {
    int c = colour(rng);
    while (c == previous) c = colour(rng);
    previous = c;
    const SyntheticLook kinds[] = {SyntheticLook::pattern, SyntheticLook::solid,
                                   SyntheticLook::pan};
    SyntheticLook kind = kinds[look(rng)];
    if (s > 0) {
      // Fades dim and raise the pattern look, so they go from a patterned shot into one (a jump
      // from a pan into a fading pattern would be a cut inside the fade).
      if (coin(rng) == 0 && segments.back().look == SyntheticLook::pattern) {
        // A fade: out of the last shot's look, a flat colour, into this one's.
        const int out = fade_len(rng), dark = black_len(rng), in = fade_len(rng);
        const int kind_of_fade = through_kind(rng);
        const std::array<std::uint8_t, 3> through =
            kind_of_fade == 0   ? std::array<std::uint8_t, 3>{0, 0, 0}
            : kind_of_fade == 1 ? std::array<std::uint8_t, 3>{255, 255, 255}
                                : palette[colour(rng)];
        const auto last = segments.back().rgb;
        segments.push_back({out, last, SyntheticLook::fade_out, through});
        segments.push_back({dark, through, SyntheticLook::solid});
        segments.push_back({in, palette[c], SyntheticLook::fade_in, through});
        kind = SyntheticLook::pattern;
        truth.gradual.push_back({frame, frame + out + dark + in - 1});
        frame += out + dark + in;
      } else if (coin(rng) == 0) {
        // A dissolve from the last shot, as it would go on, into this one's pattern.
        const int blend = dissolve_len(rng);
        segments.push_back({blend, palette[c], SyntheticLook::dissolve});
        kind = SyntheticLook::pattern;  // what the dissolve blends into
        truth.gradual.push_back({frame, frame + blend - 1});
        frame += blend;
      } else {
        truth.hard.push_back(frame);
      }
    }
    const int len = length(rng);
    if (coin(rng) < 2 && len > 30) {
      const int before = len / 2, flash = flash_len(rng);
      const std::array<std::uint8_t, 3> flash_colour =
          coin(rng) < 3 ? std::array<std::uint8_t, 3>{255, 255, 255}
                        : std::array<std::uint8_t, 3>{0, 0, 0};
      segments.push_back({before, palette[c], kind});
      segments.push_back({flash, flash_colour, SyntheticLook::solid});
      segments.push_back({len - before - flash, palette[c], kind});
      truth.flashes.push_back({frame + before, frame + before + flash - 1});
    } else {
      segments.push_back({len, palette[c], kind});
    }
    frame += len;
  }
  truth.frames = frame;
  write_synthetic_video(path, segments, {.width = 480, .height = 270, .fps = kFps, .gop = 60});
  return truth;
}

// FFmpeg's scene detection: the frames whose scene score is over 0.4. Empty optional-like flag
// when ffmpeg is not installed.
bool ffmpeg_scenes(const fs::path& film, std::vector<std::int64_t>& frames) {
  const std::string command = "ffmpeg -hide_banner -nostats -loglevel info -i '" + film.string() +
                              "' -vf \"select='gt(scene,0.4)',showinfo\" -an -f null - 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return false;
  char line[4096];
  bool any = false;
  while (std::fgets(line, sizeof line, pipe)) {
    const std::string text = line;
    if (text.find("Parsed_showinfo") != std::string::npos ||
        text.find("Stream #") != std::string::npos)
      any = true;
    const auto at = text.find("pts_time:");
    if (at == std::string::npos || text.find("Parsed_showinfo") == std::string::npos) continue;
    frames.push_back(std::llround(std::atof(text.c_str() + at + 9) * kFps));
  }
  const int status = ::pclose(pipe);
  return any && status == 0;
}

struct Tally {
  int hard_true = 0, hard_exact = 0, hard_near = 0, found = 0, gradual = 0, gradual_found = 0,
      flashes = 0, flash_hits = 0, other_false = 0, gradual_extra = 0;
  double seconds = 0;

  void add(const Truth& truth, const std::vector<std::int64_t>& detected) {
    hard_true += static_cast<int>(truth.hard.size());
    gradual += static_cast<int>(truth.gradual.size());
    flashes += static_cast<int>(truth.flashes.size());
    found += static_cast<int>(detected.size());
    std::set<std::int64_t> used;
    for (std::int64_t h : truth.hard) {
      bool exact = false, near = false;
      for (std::int64_t d : detected) {
        exact |= d == h;
        near |= std::llabs(d - h) <= 1;
      }
      hard_exact += exact;
      hard_near += near;
    }
    for (const auto& [a, b] : truth.gradual) {
      int hits = 0;
      for (std::int64_t d : detected) hits += d >= a && d <= b + 1;
      gradual_found += hits > 0;
      gradual_extra += std::max(0, hits - 1);
    }
    for (const auto& [a, b] : truth.flashes) {
      bool hit = false;
      for (std::int64_t d : detected) hit |= d >= a && d <= b + 1;
      flash_hits += hit;
    }
    for (std::int64_t d : detected) {
      bool explained = false;
      for (std::int64_t h : truth.hard) explained |= std::llabs(d - h) <= 1;
      for (const auto& [a, b] : truth.gradual) explained |= d >= a && d <= b + 1;
      for (const auto& [a, b] : truth.flashes) explained |= d >= a && d <= b + 1;
      other_false += !explained;
    }
  }

  // Hard-cut F1 with a tolerance: true positives are the hard cuts found; false positives every
  // detection that is neither a hard cut nor inside a fade.
  double f1(int true_positives) const {
    const int false_positives = flash_hits + other_false;
    const double precision =
        true_positives + false_positives
            ? static_cast<double>(true_positives) / (true_positives + false_positives)
            : 0.0;
    const double recall = hard_true ? static_cast<double>(true_positives) / hard_true : 0.0;
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  }

  void print(const char* name) const {
    std::printf(
        "%-30s hard-cut F1 %.3f exact, %.3f within 1 frame (%d/%d found exactly); gradual recall "
        "%.2f (%d/%d), %d more inside them; flash false positives %.1f%% (%d/%d); other false "
        "positives %d; %.2f s\n",
        name, f1(hard_exact), f1(hard_near), hard_exact, hard_true,
        gradual ? static_cast<double>(gradual_found) / gradual : 0.0, gradual_found, gradual,
        gradual_extra, flashes ? 100.0 * flash_hits / flashes : 0.0, flash_hits, flashes,
        other_false, seconds);
  }
};

}  // namespace

int main(int argc, char** argv) {
  int films = 8;
  unsigned seed = 1;
  fs::path keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--films") films = std::atoi(argv[i + 1]);
    if (flag == "--seed") seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
    if (flag == "--keep") keep = argv[i + 1];
  }
  const fs::path dir = keep.empty() ? fs::temp_directory_path() /
                                          ("tonepoem-cut-bench-" + std::to_string(::getpid()))
                                    : keep;
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  // The detector as it was before fades through a colour and dissolves: blank means dark only.
  ShotOptions black_only;
  black_only.flat_contrast = 0;
  black_only.blank_recolour_distance = 2;  // never: distances are at most 1
  black_only.dissolves = false;
  Tally ours, before, theirs;
  bool baseline = true;
  double film_seconds = 0;
  for (int f = 0; f < films; ++f) {
    const fs::path film = dir / fmt::format("film{}.mp4", f);
    const Truth truth = make_film(film, 14, rng);
    film_seconds += static_cast<double>(truth.frames) / kFps;
    double t = bench::now_s();
    const FootageAnalysis analysis = analyze_footage(film);
    ours.seconds += bench::now_s() - t;
    std::vector<std::int64_t> found;
    for (const Cut& c : analysis.cuts) found.push_back(c.frame);
    ours.add(truth, found);
    t = bench::now_s();
    const FootageAnalysis old_analysis = analyze_footage(film, black_only);
    before.seconds += bench::now_s() - t;
    std::vector<std::int64_t> old_found;
    for (const Cut& c : old_analysis.cuts) old_found.push_back(c.frame);
    before.add(truth, old_found);
    if (baseline) {
      std::vector<std::int64_t> scenes;
      t = bench::now_s();
      baseline = ffmpeg_scenes(film, scenes);
      theirs.seconds += bench::now_s() - t;
      if (baseline) theirs.add(truth, scenes);
    }
  }
  std::printf("%d generated films, %.0f s of 480x270 H.264 at %d fps, seed %u\n", films,
              film_seconds, kFps, seed);
  ours.print("tonepoem (footage stage)");
  before.print("tonepoem, before (black fades)");
  if (baseline)
    theirs.print("ffmpeg select gt(scene,0.4)");
  else
    std::printf("ffmpeg select gt(scene,0.4): not run (the ffmpeg program is not installed)\n");
  if (keep.empty()) fs::remove_all(dir);
  return 0;
}
