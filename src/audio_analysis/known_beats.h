// Pieces whose beats are known exactly, for the beat tests and bench/beat_bench: a score composed
// at a chosen tempo and meter (the beats and downbeats come from its tempo and meter maps), with
// the composer's drums removed and, if asked, a plain kit added (kick on bar starts, snare on the
// back beats, closed hi-hat on eighths), rendered through FluidSynth. Needs the music and audio
// stages (linked by the tests and benchmarks, not by the analysis library).
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/rng.h"
#include "music/compose.h"

namespace tonepoem::known_beats {

struct Piece {
  std::string name;  // "120bpm-4/4-drums"
  double bpm = 120;
  int beats_per_bar = 4;
  bool drums = false;
  Score score;
  std::vector<double> beats, downbeats;  // seconds, from the score's maps
};

inline void add_drum_kit(Score& score, int beats_per_bar) {
  Track kit;
  kit.name = "Drums (bench kit)";
  kit.role = "drums";
  kit.channel = 9;
  const std::int64_t beat = score.ppq;  // quarter-note beats (x/4 meters)
  for (std::int64_t tick = 0, i = 0; tick < score.end_tick; tick += beat, ++i) {
    const int in_bar = static_cast<int>(i % beats_per_bar);
    const bool back_beat = beats_per_bar == 4 ? in_bar % 2 == 1 : in_bar != 0;
    if (in_bar == 0 || (beats_per_bar == 4 && in_bar == 2))
      kit.notes.push_back({tick, beat / 2, 36, in_bar == 0 ? 110 : 95});
    if (back_beat) kit.notes.push_back({tick, beat / 2, 38, 90});
    kit.notes.push_back({tick, beat / 4, 42, 70});
    kit.notes.push_back({tick + beat / 2, beat / 4, 42, 55});
  }
  score.tracks.push_back(std::move(kit));
}

// A piece of `duration_s` at about `bpm` (60..180; the composer fits whole bars, within 10%) in 3/4
// or 4/4. Throws std::runtime_error if the composer did not honour the tempo or meter (the emotions
// below are chosen so that it does).
//
// `ramp` > 0 makes the tempo rise by that fraction over the piece (a new tempo every bar: 0.2 ends
// 20% faster than it starts); the notes keep their bars and beats, so the known beats follow.
inline Piece compose_piece(double bpm, int beats_per_bar, bool drums, double duration_s,
                           std::uint64_t seed, double ramp = 0) {
  // 3/4 comes from calm, pleasant targets (music/compose mapping); 4/4 from neutral ones.
  const Emotion emotion =
      beats_per_bar == 3 ? Emotion::at(0.5, -0.3, 0.1) : Emotion::at(0.3, 0.0, 0.2);
  CueSheet cues = single_emotion_cues(emotion, duration_s, seed);
  const double mapped = adjusted_params(cues.cues[0].target, {}).tempo_bpm;
  cues.cues[0].adjust.tempo_scale = bpm / mapped;
  Piece piece;
  piece.bpm = bpm;
  piece.beats_per_bar = beats_per_bar;
  piece.drums = drums;
  piece.name = fmt::format("{:.0f}bpm-{}/4-{}", bpm, beats_per_bar, drums ? "drums" : "nodrums");
  piece.score = compose(cues, {});
  if (piece.score.meters.empty() || piece.score.meters[0].numerator != beats_per_bar ||
      std::abs(piece.score.tempo.at(0).bpm - bpm) > 0.1 * bpm)
    throw std::runtime_error(
        fmt::format("known_beats: the composer made {} at {} bpm in {}/4", piece.name,
                    piece.score.tempo.empty() ? 0.0 : piece.score.tempo[0].bpm,
                    piece.score.meters.empty() ? 0 : piece.score.meters[0].numerator));
  piece.bpm = piece.score.tempo[0].bpm;  // fitted to whole bars in duration_s
  std::erase_if(piece.score.tracks, [](const Track& t) { return t.channel == 9; });
  if (drums) add_drum_kit(piece.score, beats_per_bar);
  if (ramp > 0) {
    Score& score = piece.score;
    const std::int64_t bar = score.ppq * beats_per_bar;
    const double start_bpm = score.tempo[0].bpm;
    score.tempo.clear();
    for (std::int64_t tick = 0; tick < score.end_tick; tick += bar)
      score.tempo.push_back(
          {tick, start_bpm * (1 + ramp * static_cast<double>(tick) / score.end_tick)});
    piece.name += fmt::format("-ramp{:.0f}%", ramp * 100);
  }
  piece.beats = piece.score.beat_times();
  piece.downbeats = piece.score.downbeat_times();
  return piece;
}

inline AudioBuffer render_piece(const Piece& piece) {
  SynthOptions synth;
  synth.soundfont = find_soundfont({});
  return synthesize(piece.score, synth);
}

// White noise added at `snr_db` below the piece's RMS level (seeded: the same noise each run).
inline void add_noise(AudioBuffer& audio, double snr_db, std::uint64_t seed) {
  double sum = 0;
  for (float s : audio.samples) sum += static_cast<double>(s) * s;
  const double rms = audio.samples.empty() ? 0 : std::sqrt(sum / audio.samples.size());
  // Uniform noise in [-a, a] has RMS a / sqrt(3).
  const double amplitude = rms * std::pow(10.0, -snr_db / 20) * std::sqrt(3.0);
  Rng rng(seed);
  for (float& s : audio.samples) s += static_cast<float>(rng.uniform(-amplitude, amplitude));
}

}  // namespace tonepoem::known_beats
