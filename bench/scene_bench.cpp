// Scenes of a film without dialogue, on generated films with known scenes: runs of shots of one
// kind (slow dark shots, slow bright shots, quick pans, quick cutting), 15 to 50 s each, the kind
// changing at every scene. The film is analysed as `tonepoem score` does (shots, shot_arc from
// the picture), then split into scenes by arc_scene_starts; the baseline, on the same films in
// the same run, is the even split of picture_cues without an arc (cues of about 30 s, each
// moved onto the nearest cut), as `score` did before scenes came from the arc.
//
// A found scene start is right when it lies within `--tolerance` seconds (default 1) of a true
// one, each true one matched once. Prints precision, recall and F1 per method.
//
//   scene_bench [--films N] [--seed S] [--tolerance S] [--keep DIR]
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "footage/film_cues.h"
#include "footage/footage.h"
#include "footage/synthetic_video.h"

namespace fs = std::filesystem;
using namespace tonepoem;

namespace {

constexpr int kFps = 25;
using Rgb = std::array<std::uint8_t, 3>;

struct SceneKind {
  const char* name;
  SyntheticLook look;
  std::array<Rgb, 3> colours;
  double shortest_s, longest_s;  // its shots
};

const std::array<SceneKind, 4> kKinds = {{
    {"slow dark", SyntheticLook::pattern, {{{20, 30, 70}, {40, 30, 60}, {20, 50, 50}}}, 5, 11},
    {"slow bright",
     SyntheticLook::pattern,
     {{{240, 220, 150}, {230, 200, 120}, {250, 240, 200}}},
     5,
     11},
    {"quick pans", SyntheticLook::pan, {{{220, 50, 40}, {240, 170, 30}, {200, 40, 160}}}, 1.5, 3},
    {"quick cutting",
     SyntheticLook::pattern,
     {{{200, 40, 40}, {40, 190, 60}, {40, 60, 220}}},
     0.8,
     1.8},
}};

// Writes a film of `scenes` scenes and returns the times its scenes start (the first excluded).
std::vector<double> make_film(const fs::path& path, int scenes, std::mt19937& rng,
                              double* duration_s) {
  std::uniform_real_distribution<double> scene_length(15, 50), unit(0, 1);
  std::uniform_int_distribution<int> kind_of(0, static_cast<int>(kKinds.size()) - 1);
  std::vector<SyntheticSegment> segments;
  std::vector<double> starts;
  std::int64_t frame = 0;
  int previous = -1;
  for (int s = 0; s < scenes; ++s) {
    int k = kind_of(rng);
    while (k == previous) k = kind_of(rng);
    previous = k;
    const SceneKind& kind = kKinds[static_cast<std::size_t>(k)];
    if (s > 0) starts.push_back(static_cast<double>(frame) / kFps);
    const std::int64_t end = frame + std::llround(scene_length(rng) * kFps);
    for (int shot = 0; frame < end; ++shot) {
      const double seconds = kind.shortest_s + unit(rng) * (kind.longest_s - kind.shortest_s);
      const int frames = static_cast<int>(std::max<std::int64_t>(
          std::min<std::int64_t>(std::llround(seconds * kFps), end - frame), 1));
      segments.push_back({frames, kind.colours[static_cast<std::size_t>(shot % 3)], kind.look});
      frame += frames;
    }
  }
  write_synthetic_video(path, segments, {.width = 320, .height = 180, .fps = kFps, .gop = 60});
  *duration_s = static_cast<double>(frame) / kFps;
  return starts;
}

struct Tally {
  int right = 0, found = 0, truth = 0;
  double f1() const {
    const double p = found ? static_cast<double>(right) / found : 0;
    const double r = truth ? static_cast<double>(right) / truth : 0;
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
  void add(const std::vector<double>& truth_starts, const std::vector<double>& starts,
           double tolerance) {
    std::vector<bool> used(truth_starts.size(), false);
    for (double s : starts) {
      for (std::size_t t = 0; t < truth_starts.size(); ++t)
        if (!used[t] && std::abs(s - truth_starts[t]) <= tolerance) {
          used[t] = true;
          ++right;
          break;
        }
    }
    found += static_cast<int>(starts.size());
    truth += static_cast<int>(truth_starts.size());
  }
  void print(const char* name) const {
    std::printf("%-42s precision %.2f (%d/%d), recall %.2f (%d/%d), F1 %.3f\n", name,
                found ? static_cast<double>(right) / found : 0.0, right, found,
                truth ? static_cast<double>(right) / truth : 0.0, right, truth, f1());
  }
};

}  // namespace

int main(int argc, char** argv) {
  int films = 6;
  unsigned seed = 1;
  double tolerance = 1.0;
  fs::path keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--films") films = std::atoi(argv[i + 1]);
    if (flag == "--seed") seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
    if (flag == "--tolerance") tolerance = std::atof(argv[i + 1]);
    if (flag == "--keep") keep = argv[i + 1];
  }
  const fs::path dir = keep.empty() ? fs::temp_directory_path() /
                                          ("tonepoem-scene-bench-" + std::to_string(::getpid()))
                                    : keep;
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  Tally arc, even;
  double film_seconds = 0, analysis_seconds = 0, split_seconds = 0;
  for (int f = 0; f < films; ++f) {
    const fs::path path = dir / fmt::format("film{}.mp4", f);
    double duration = 0;
    const std::vector<double> truth = make_film(path, 6, rng, &duration);
    film_seconds += duration;
    double t = bench::now_s();
    const FootageAnalysis film = analyze_footage(path);
    analysis_seconds += bench::now_s() - t;
    t = bench::now_s();
    const FitOptions options;
    const std::vector<double> ours =
        arc_scene_starts(shot_arc(film, {}, nullptr, options), film, options);
    split_seconds += bench::now_s() - t;
    arc.add(truth, ours, tolerance);
    const CueSheet sheet = picture_cues(film, 1, options);
    std::vector<double> theirs;
    for (std::size_t c = 1; c < sheet.cues.size(); ++c) theirs.push_back(sheet.cues[c].start_s);
    even.add(truth, theirs, tolerance);
  }
  std::printf(
      "%d generated films of 6 scenes, %.0f s of 320x180 H.264 at %d fps, seed %u; a scene start "
      "is right within %.1f s\n",
      films, film_seconds, kFps, seed, tolerance);
  arc.print("runs of shots with a consistent arc");
  even.print("even split onto cuts (the baseline)");
  std::printf("shot analysis %.2f s; arc and scenes %.3f s\n", analysis_seconds, split_seconds);
  if (keep.empty()) fs::remove_all(dir);
  return 0;
}
