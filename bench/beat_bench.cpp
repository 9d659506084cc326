// Beat-tracking benchmark: pieces we compose and render ourselves, whose beats and downbeats are
// known exactly from the score's tempo and meter maps (src/audio_analysis/known_beats.h), at
// several tempi (60..180 bpm), in 3/4 and 4/4, with and without drums. For each: F-measure
// (+-70 ms) of the beats and downbeats of aubio's tempo tracker as it is (its downbeats: every
// bar's worth of its beats from its first, as it names none) and of analyze_audio (our grid,
// meter and downbeats), and the speed of each in x realtime, measured in the same run. Then harder
// cases, reported apart: a tempo rising 20% over the piece, and white noise 10 dB under the music.
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

struct Totals {
  double aubio_f = 0, aubio_df = 0, f = 0, df = 0, audio_s = 0, aubio_time = 0, ours_time = 0;
  int count = 0, meter_right = 0;
};

// Tracks one piece with both trackers, prints its row and adds it to `totals`.
void measure(const known_beats::Piece& piece, const AudioBuffer& audio, Totals& totals) {
  double t0 = now_s();
  const std::vector<double> raw = aubio_beats(audio);
  totals.aubio_time += now_s() - t0;
  t0 = now_s();
  const AudioAnalysis ours = analyze_audio(audio);
  totals.ours_time += now_s() - t0;
  totals.audio_s += audio.duration_s();
  const int meter = piece.beats_per_bar;
  const BeatAccuracy af = beat_accuracy(piece.beats, raw);
  const BeatAccuracy adf = beat_accuracy(piece.downbeats, every_nth(raw, meter));
  const BeatAccuracy of = beat_accuracy(piece.beats, ours.timeline.beats);
  const BeatAccuracy odf = beat_accuracy(piece.downbeats, ours.timeline.downbeats);
  std::printf("%-28s %6.0f %4d/4 | %9.3f %9.3f | %9.3f %9.3f %3d/4 %6.1f  err %4.1f ms\n",
              piece.name.c_str(), piece.bpm, meter, af.f_measure, adf.f_measure, of.f_measure,
              odf.f_measure, ours.beats_per_bar, ours.tempo_bpm, of.mean_abs_error_s * 1000);
  std::fflush(stdout);
  totals.aubio_f += af.f_measure;
  totals.aubio_df += adf.f_measure;
  totals.f += of.f_measure;
  totals.df += odf.f_measure;
  totals.meter_right += ours.beats_per_bar == meter;
  ++totals.count;
}

void print_totals(const char* title, const Totals& t) {
  if (t.count == 0) return;
  std::printf("\n%s: mean over %d pieces (%.0f s of audio):\n", title, t.count, t.audio_s);
  std::printf("  aubio (raw):       beat F %.3f   downbeat F %.3f   %.0fx realtime\n",
              t.aubio_f / t.count, t.aubio_df / t.count, t.audio_s / t.aubio_time);
  std::printf(
      "  analyze_audio:     beat F %.3f   downbeat F %.3f   %.0fx realtime   meter right "
      "%d/%d\n",
      t.f / t.count, t.df / t.count, t.audio_s / t.ours_time, t.meter_right, t.count);
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
  std::printf("%-28s %6s %6s | %9s %9s | %9s %9s %5s %6s\n", "piece", "bpm", "meter", "aubio F",
              "aubio dF", "ours F", "ours dF", "meter", "bpm");
  auto render = [&](const known_beats::Piece& piece) {
    std::string name = piece.name;
    std::replace(name.begin(), name.end(), '/', '-');
    const fs::path file = cache.empty() ? fs::path() : cache / (name + ".wav");
    if (!file.empty() && fs::exists(file)) return read_audio(file);
    AudioBuffer audio = known_beats::render_piece(piece);
    if (!file.empty()) write_audio(audio, file, AudioFileFormat::wav_float);
    return audio;
  };
  Totals steady, hard;
  std::uint64_t seed = 1;
  for (int meter : {4, 3})
    for (bool drums : {true, false})
      for (double bpm : tempi) {
        const known_beats::Piece piece =
            known_beats::compose_piece(bpm, meter, drums, seconds, seed++);
        measure(piece, render(piece), steady);
      }
  // Harder cases: a tempo rising 20% over the piece, and white noise 10 dB under the music.
  for (int meter : {4, 3})
    for (bool drums : {true, false})
      for (double bpm : {70.0, 110.0, 150.0}) {
        const known_beats::Piece ramp =
            known_beats::compose_piece(bpm, meter, drums, seconds, seed++, 0.2);
        measure(ramp, render(ramp), hard);
        known_beats::Piece noisy = known_beats::compose_piece(bpm, meter, drums, seconds, seed++);
        AudioBuffer audio = render(noisy);
        known_beats::add_noise(audio, 10, seed);
        noisy.name += "-noise10dB";
        measure(noisy, audio, hard);
      }
  print_totals("steady tempo", steady);
  print_totals("tempo ramps and noise", hard);
  return 0;
}
