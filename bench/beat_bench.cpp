// Beat-tracking benchmark: pieces we compose and render ourselves, whose beats and downbeats are
// known exactly from the score's tempo and meter maps (src/audio_analysis/known_beats.h), at
// several tempi (60..180 bpm), in 3/4 and 4/4, with and without drums. For each: F-measure
// (+-70 ms) of the beats and downbeats of aubio's tempo tracker as it is (its downbeats: every
// bar's worth of its beats from its first, as it names none) and of analyze_audio (our grid,
// meter and downbeats), and the speed of each in x realtime, measured in the same run.
// Targets (issue 14): beat F >= 0.95, downbeat F >= 0.85, >= 100x realtime.
//
//   beat_bench [--seconds S] [--cache DIR] [--tempi 60,90,...]
//
// --cache keeps the renders (DIR/NAME.wav) so that a second run skips FluidSynth.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "audio_analysis/analysis.h"
#include "audio_analysis/known_beats.h"
#include "bench_util.h"

namespace fs = std::filesystem;
using namespace tonepoem;
using tonepoem::bench::now_s;

namespace {

std::vector<double> every_nth(const std::vector<double>& beats, int n) {
  std::vector<double> out;
  for (std::size_t i = 0; i < beats.size(); i += static_cast<std::size_t>(n))
    out.push_back(beats[i]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 40;
  fs::path cache;
  std::vector<double> tempi = {60, 75, 90, 105, 120, 140, 160, 180};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (arg == "--cache") {
      cache = argv[i + 1];
    } else if (arg == "--tempi") {
      tempi.clear();
      std::stringstream in(argv[i + 1]);
      std::string part;
      while (std::getline(in, part, ',')) tempi.push_back(std::atof(part.c_str()));
    }
  }
  if (!cache.empty()) fs::create_directories(cache);
  std::printf("%-22s %6s %6s | %9s %9s | %9s %9s %5s %6s\n", "piece", "bpm", "meter", "aubio F",
              "aubio dF", "ours F", "ours dF", "meter", "bpm");
  double sum_aubio_f = 0, sum_aubio_df = 0, sum_f = 0, sum_df = 0, audio_s = 0;
  double aubio_time = 0, ours_time = 0;
  int count = 0, meter_right = 0;
  std::uint64_t seed = 1;
  for (int meter : {4, 3}) {
    for (bool drums : {true, false}) {
      for (double bpm : tempi) {
        const known_beats::Piece piece =
            known_beats::compose_piece(bpm, meter, drums, seconds, seed++);
        AudioBuffer audio;
        const fs::path cached = cache.empty() ? fs::path() : cache / (piece.name + ".wav");
        std::string name = piece.name;
        std::replace(name.begin(), name.end(), '/', '-');
        const fs::path file = cache.empty() ? fs::path() : cache / (name + ".wav");
        if (!file.empty() && fs::exists(file)) {
          audio = read_audio(file);
        } else {
          audio = known_beats::render_piece(piece);
          if (!file.empty()) write_audio(audio, file, AudioFileFormat::wav_float);
        }
        double t0 = now_s();
        const std::vector<double> raw = aubio_beats(audio);
        aubio_time += now_s() - t0;
        t0 = now_s();
        const AudioAnalysis ours = analyze_audio(audio);
        ours_time += now_s() - t0;
        audio_s += audio.duration_s();
        const BeatAccuracy af = beat_accuracy(piece.beats, raw);
        const BeatAccuracy adf = beat_accuracy(piece.downbeats, every_nth(raw, meter));
        const BeatAccuracy of = beat_accuracy(piece.beats, ours.timeline.beats);
        const BeatAccuracy odf = beat_accuracy(piece.downbeats, ours.timeline.downbeats);
        std::printf("%-22s %6.0f %4d/4 | %9.3f %9.3f | %9.3f %9.3f %3d/4 %6.1f  err %4.1f ms\n",
                    piece.name.c_str(), piece.bpm, meter, af.f_measure, adf.f_measure, of.f_measure,
                    odf.f_measure, ours.beats_per_bar, ours.tempo_bpm, of.mean_abs_error_s * 1000);
        std::fflush(stdout);
        sum_aubio_f += af.f_measure;
        sum_aubio_df += adf.f_measure;
        sum_f += of.f_measure;
        sum_df += odf.f_measure;
        meter_right += ours.beats_per_bar == meter;
        ++count;
      }
    }
  }
  std::printf("\nmean over %d pieces (%.0f s of audio):\n", count, audio_s);
  std::printf("  aubio (raw):       beat F %.3f   downbeat F %.3f   %.0fx realtime\n",
              sum_aubio_f / count, sum_aubio_df / count, audio_s / aubio_time);
  std::printf(
      "  analyze_audio:     beat F %.3f   downbeat F %.3f   %.0fx realtime   meter right "
      "%d/%d\n",
      sum_f / count, sum_df / count, audio_s / ours_time, meter_right, count);
  return 0;
}
