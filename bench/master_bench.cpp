// Mastering benchmark: story -> mastered 3-minute FLAC (`tonepoem make --no-video --format flac16`
// in-process: read, analyze, plan, compose, refine, synthesize, master, write) against a bare
// `fluidsynth -F` of the same MIDI (the score.mid that make wrote), alternating, medians of N
// rounds, in one run. Then master() alone on the synthesized audio (medians), with the loudness
// and true peak it reaches. Target (issue 19): make <= 1.0x fluidsynth.
//
//   master_bench [--soundfont PATH] [--minutes M] [--rounds N] [--story FILE] [--keep DIR]
//
// Needs the data folder (TONEPOEM_DATA, else build/data) and the fluidsynth command (Debian:
// fluidsynth); without the command the baseline is skipped and said so.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio.h"
#include "bench_util.h"
#include "core/progress.h"
#include "jobs/make_job.h"

namespace fs = std::filesystem;
using namespace tonepoem;
using tonepoem::bench::now_s;

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path soundfont, keep;
  fs::path story = fs::path(TONEPOEM_SOURCE_DIR) / "examples/the-lantern-at-the-ford.txt";
  double minutes = 3;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--soundfont")
      soundfont = argv[i + 1];
    else if (arg == "--minutes")
      minutes = std::atof(argv[i + 1]);
    else if (arg == "--rounds")
      rounds = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--story")
      story = argv[i + 1];
    else if (arg == "--keep")
      keep = argv[i + 1];
  }
  tonepoem::bench::use_build_data_folder();
  try {
    soundfont = find_soundfont(soundfont);
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / "tonepoem_master_bench" : keep;
    fs::remove_all(dir);
    fs::create_directories(dir);
    double load[1] = {0};
    if (getloadavg(load, 1) != 1) load[0] = -1;
    std::printf("story %s, %.1f min, soundfont %s\n", story.filename().c_str(), minutes,
                soundfont.c_str());
    std::printf("machine: %u cores, load average %.2f (timings compare within this run only)\n",
                std::thread::hardware_concurrency(), load[0]);
    const bool fluid = std::system("command -v fluidsynth > /dev/null 2>&1") == 0;
    if (!fluid)
      std::printf("fluidsynth -F: skipped (no fluidsynth command; apt-get install fluidsynth)\n");

    std::vector<double> make_s, fluid_s;
    std::map<std::string, std::vector<double>> stages;
    MakeResult last;
    for (int round = 0; round < rounds; ++round) {
      const fs::path out = dir / ("round" + std::to_string(round));
      auto run_fluid = [&] {
        if (!fluid || !fs::exists(dir / "round0/score.mid")) return;
        const std::string cmd = "fluidsynth -ni -q -F '" + (out / "fluidsynth.wav").string() +
                                "' -r 44100 -g 0.2 '" + soundfont.string() + "' '" +
                                (dir / "round0/score.mid").string() + "' > /dev/null 2>&1";
        const double t = now_s();
        if (std::system(cmd.c_str()) == 0) fluid_s.push_back(now_s() - t);
      };
      if (round % 2 == 1) run_fluid();  // alternate which goes first
      MakeOptions mo;
      mo.story = story;
      mo.duration_s = minutes * 60;
      mo.soundfont = soundfont;
      mo.video = false;
      mo.audio_format = AudioFileFormat::flac16;
      SilentProgress quiet;
      FolderSink files(out);
      JobContext context(quiet, CancelToken(), files);
      const double t = now_s();
      last = run_make(mo, context);
      make_s.push_back(now_s() - t);
      for (const auto& [name, seconds] : last.timings) stages[name].push_back(seconds);
      if (round % 2 == 0) run_fluid();
    }
    const double make_med = median(make_s);
    std::printf("story -> FLAC (make):  %6.2f s median of %d (%.1f s of music)\n", make_med, rounds,
                last.score.duration_s());
    for (const auto& [name, seconds] : stages)
      if (median(seconds) >= 0.005) std::printf("  %-20s %6.2f s\n", name.c_str(), median(seconds));
    if (!fluid_s.empty())
      std::printf(
          "fluidsynth -F:         %6.2f s median of %zu\nratio make / fluidsynth: %.2fx "
          "(target <= 1.0x)\n",
          median(fluid_s), fluid_s.size(), make_med / median(fluid_s));
    std::printf("mastered: %.2f LUFS (error %.2f LU against -14), true peak %.2f dBTP\n",
                last.loudness.integrated_lufs, std::abs(last.loudness.integrated_lufs + 14.0),
                last.loudness.true_peak_dbtp);

    // master() alone, on the synthesized (unmastered) audio of the same score.
    SynthOptions so;
    so.soundfont = soundfont;
    so.section_fx = section_fx_for(last.score);
    const AudioBuffer raw = synthesize(last.score, so);
    std::vector<double> master_s;
    LoudnessReport r;
    for (int round = 0; round < rounds; ++round) {
      AudioBuffer a = raw;
      const double t = now_s();
      r = master(a, MasterOptions{});
      master_s.push_back(now_s() - t);
    }
    std::printf(
        "master() alone:        %6.3f s median of %d (%.2f LUFS, %.3f dBTP, gain %.3f dB)\n",
        median(master_s), rounds, r.integrated_lufs, r.true_peak_dbtp, r.gain_db);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "master_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
