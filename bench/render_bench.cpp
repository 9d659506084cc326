// Render benchmark: tonepoem's synthesize() against the plain `fluidsynth -F` renderer on the same
// MIDI and SoundFont, then mastering (loudness error, true peak) and the judge, in one run; then
// the whole audio path from story to mastered FLAC (read, analyze, plan, compose, synthesize,
// master, write) for a score of the same length, as a realtime factor.
//
//   render_bench [--soundfont PATH] [--minutes M] [--parts N] [--keep DIR] [--baseline on|off]
//
// The score is generated here (a dense 6-track arrangement), written as a type-1 SMF for
// fluidsynth, and rendered both ways; wall times include loading the SoundFont in both. Without
// the fluidsynth command (Debian: fluidsynth) the baseline is skipped and said so. The story
// stage needs the data folder (TONEPOEM_DATA) and is skipped without it.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "audio/audio.h"
#include "bench_util.h"
#include "core/progress.h"
#include "jobs/make_job.h"
#include "judge/judge.h"
#include "music/compose.h"
#include "model/cue_sheet.h"
#include "text/analyze.h"
#include "text/document.h"

namespace fs = std::filesystem;
using namespace tonepoem;
using tonepoem::bench::cpu_s;
using tonepoem::bench::now_s;

namespace {

Score bench_score(double minutes) {
  Score s;
  s.title = "bench";
  s.ppq = 480;
  s.tempo = {{0, 120}};
  s.meters = {{0, 4, 4}};
  s.keys = {{0, 0, Mode::ionian}};
  const int bars = static_cast<int>(minutes * 60 / 2);  // 2 s per bar at 120 bpm
  s.end_tick = std::int64_t{bars} * 4 * s.ppq;
  Track piano{"Piano", "chords", 0, 0, -0.3, 0.8, {}, {}};
  Track strings{"Strings", "pad", 1, 48, 0.3, 0.7, {}, {}};
  Track melody{"Flute", "melody", 2, 73, 0.1, 0.9, {}, {}};
  Track bass{"Bass", "bass", 3, 33, 0.0, 0.9, {}, {}};
  Track arp{"Harp", "arpeggio", 4, 46, -0.5, 0.6, {}, {}};
  Track drums{"Drums", "drums", 9, 0, 0.0, 0.7, {}, {}};
  const int roots[] = {0, 9, 5, 7};
  const int scale[] = {0, 2, 4, 5, 7, 9, 11, 12};
  for (int bar = 0; bar < bars; ++bar) {
    const std::int64_t t0 = std::int64_t{bar} * 4 * s.ppq;
    const int root = 48 + roots[bar % 4];
    const bool minor = bar % 4 == 1;
    const int chord[] = {root, root + (minor ? 3 : 4), root + 7, root + 12};
    for (int beat = 0; beat < 4; ++beat)
      for (int p : chord) piano.notes.push_back({t0 + beat * s.ppq, s.ppq - 40, p + 12, 70});
    for (int p : chord) strings.notes.push_back({t0, 4 * s.ppq, p, 60});
    for (int i = 0; i < 8; ++i)
      melody.notes.push_back({t0 + i * s.ppq / 2, s.ppq / 2, 72 + scale[(bar + i * 3) % 8], 90});
    for (int i = 0; i < 16; ++i)
      arp.notes.push_back({t0 + i * s.ppq / 4, s.ppq / 4, chord[i % 4] + 24, 65});
    bass.notes.push_back({t0, 2 * s.ppq, root - 12, 95});
    bass.notes.push_back({t0 + 2 * s.ppq, 2 * s.ppq, root - 5, 95});
    for (int i = 0; i < 8; ++i) {
      drums.notes.push_back({t0 + i * s.ppq / 2, s.ppq / 4, 42, 80});
      if (i % 4 == 0) drums.notes.push_back({t0 + i * s.ppq / 2, s.ppq / 4, 36, 110});
      if (i % 4 == 2) drums.notes.push_back({t0 + i * s.ppq / 2, s.ppq / 4, 38, 100});
    }
  }
  s.tracks = {piano, strings, melody, bass, arp, drums};
  s.sections.push_back(
      {"A", 0, s.end_tick, 0, s.seconds_at(s.end_tick), 0, Mode::ionian, 120, 4, {}, {}});
  return s;
}

// A minimal type-1 SMF writer (the project's own lives in music/midi.h).
void put_var(std::string& out, std::uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = static_cast<char>(v & 0x7F);
  while (v >>= 7) buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
  while (n) out.push_back(buf[--n]);
}
void put_be(std::string& out, std::uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::string smf(const Score& s) {
  struct Ev {
    std::int64_t tick;
    int order;
    std::string bytes;
  };
  auto chunk = [](std::vector<Ev> evs) {
    std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
      return a.tick != b.tick ? a.tick < b.tick : a.order < b.order;
    });
    std::string body;
    std::int64_t last = 0;
    for (const Ev& e : evs) {
      put_var(body, static_cast<std::uint32_t>(e.tick - last));
      body += e.bytes;
      last = e.tick;
    }
    body += std::string("\x00\xFF\x2F\x00", 4);
    std::string out = "MTrk";
    put_be(out, static_cast<std::uint32_t>(body.size()), 4);
    return out + body;
  };
  std::string out = "MThd";
  put_be(out, 6, 4);
  put_be(out, 1, 2);
  put_be(out, static_cast<std::uint32_t>(s.tracks.size() + 1), 2);
  put_be(out, static_cast<std::uint32_t>(s.ppq), 2);
  std::vector<Ev> conductor;
  for (const TempoEvent& t : s.tempo) {
    std::string b("\xFF\x51\x03", 3);
    put_be(b, static_cast<std::uint32_t>(std::lround(60e6 / t.bpm)), 3);
    conductor.push_back({t.tick, 0, b});
  }
  out += chunk(conductor);
  for (const Track& t : s.tracks) {
    std::vector<Ev> evs;
    const auto ch = static_cast<char>(t.channel);
    auto cc = [&](int num, int val) {
      return std::string{static_cast<char>(0xB0 | ch), static_cast<char>(num),
                         static_cast<char>(val)};
    };
    evs.push_back({0, 0, std::string{static_cast<char>(0xC0 | ch), static_cast<char>(t.program)}});
    evs.push_back(
        {0, 0, cc(7, static_cast<int>(std::lround(127 * std::sqrt(std::min(1.0, t.gain)))))});
    evs.push_back({0, 0, cc(10, static_cast<int>(std::lround(64 + 63 * t.pan)))});
    for (const Note& n : t.notes) {
      evs.push_back({n.tick, 2,
                     std::string{static_cast<char>(0x90 | ch), static_cast<char>(n.pitch),
                                 static_cast<char>(n.velocity)}});
      evs.push_back({n.tick + n.duration, 1,
                     std::string{static_cast<char>(0x80 | ch), static_cast<char>(n.pitch), 0}});
    }
    out += chunk(evs);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path soundfont;
  double minutes = 3;
  int parts = 2;
  bool baseline = true;
  fs::path keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--soundfont")
      soundfont = argv[i + 1];
    else if (arg == "--minutes")
      minutes = std::atof(argv[i + 1]);
    else if (arg == "--parts")
      parts = std::atoi(argv[i + 1]);
    else if (arg == "--keep")
      keep = argv[i + 1];
    else if (arg == "--baseline")
      baseline = std::string(argv[i + 1]) != "off";
  }
  tonepoem::bench::use_build_data_folder();
  try {
    soundfont = find_soundfont(soundfont);
    const Score score = bench_score(minutes);
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / "tonepoem_render_bench" : keep;
    fs::create_directories(dir);
    const fs::path mid = dir / "bench.mid", ref = dir / "fluidsynth.wav";
    std::ofstream(mid, std::ios::binary) << smf(score);
    std::printf("score: %.1f s, %zu tracks, soundfont %s\n", score.duration_s(),
                score.tracks.size(), soundfont.c_str());
    // Shared machines: say how busy this one is, as parallel speed-ups depend on free cores.
    double load[1] = {0};
    if (getloadavg(load, 1) != 1) load[0] = -1;
    std::printf("machine: %u cores, load average %.2f (timings compare within this run only)\n",
                std::thread::hardware_concurrency(), load[0]);

    // Baseline: the fluidsynth command-line file renderer.
    if (baseline && std::system("command -v fluidsynth > /dev/null 2>&1") != 0) {
      std::printf(
          "fluidsynth -F:          skipped (no fluidsynth command; apt-get install fluidsynth)\n");
      baseline = false;
    }
    const std::string cmd = "fluidsynth -ni -q -F '" + ref.string() + "' -r 44100 -g 0.2 '" +
                            soundfont.string() + "' '" + mid.string() + "' > /dev/null 2>&1";
    double t = now_s();
    double cpu = cpu_s(RUSAGE_CHILDREN);
    const int rc = baseline ? std::system(cmd.c_str()) : -1;
    const double fluid_s = now_s() - t;
    const double fluid_cpu = cpu_s(RUSAGE_CHILDREN) - cpu;
    if (baseline)
      std::printf("fluidsynth -F:          %6.2f s  (%5.1fx realtime, %.2f CPU s)%s\n", fluid_s,
                  score.duration_s() / fluid_s, fluid_cpu, rc == 0 ? "" : "  [FAILED]");

    SynthOptions o;
    o.soundfont = soundfont;
    o.parts = 1;
    o.threads = 1;
    o.polyphony = 256;  // one synthesizer with fluidsynth's defaults: the fidelity reference
    t = now_s();
    cpu = cpu_s(RUSAGE_SELF);
    AudioBuffer single = synthesize(score, o);
    const double single_s = now_s() - t;
    const double single_cpu = cpu_s(RUSAGE_SELF) - cpu;
    std::printf(
        "synthesize parts=1, 256 voices (as fluidsynth): %6.2f s  (%5.1fx realtime, %.2fx "
        "fluidsynth, %.2f CPU s)\n",
        single_s, score.duration_s() / single_s, fluid_s / single_s, single_cpu);
    o.parts = parts;
    o.threads = 0;
    o.polyphony = SynthOptions{}.polyphony;
    t = now_s();
    cpu = cpu_s(RUSAGE_SELF);
    AudioBuffer audio = synthesize(score, o);
    const double multi_s = now_s() - t;
    std::printf(
        "synthesize parts=%d, %d voices (default): %6.2f s  (%5.1fx realtime, %.2fx fluidsynth, "
        "%.2f CPU s)\n",
        parts, o.polyphony, multi_s, score.duration_s() / multi_s, fluid_s / multi_s,
        cpu_s(RUSAGE_SELF) - cpu);
    {
      double signal = 0, error = 0;
      const std::size_t n = std::min(single.samples.size(), audio.samples.size());
      for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(audio.samples[i]) - single.samples[i];
        signal += static_cast<double>(single.samples[i]) * single.samples[i];
        error += d * d;
      }
      std::printf(
          "fidelity:               default render - reference: %.1f dB (energy of the "
          "difference against the reference's)\n",
          10 * std::log10(std::max(error, 1e-30) / std::max(signal, 1e-30)));
    }
    // On a busy machine the wall times above understate what free cores give; the CPU times do
    // not depend on the load. Each part is its own synthesizer, so with `parts` free cores the
    // wall time is about the CPU time of the largest part (at least CPU / parts).
    const double multi_cpu = cpu_s(RUSAGE_SELF) - cpu;
    if (baseline && rc == 0)
      std::printf(
          "by CPU time:            fluidsynth %.2f CPU s; tonepoem parts=1 %.2f (%.2fx), parts=%d "
          "%.2f, at best %.2fx fluidsynth on %d free cores\n",
          fluid_cpu, single_cpu, fluid_cpu / single_cpu, parts, multi_cpu,
          fluid_cpu / (multi_cpu / parts), parts);

    t = now_s();
    const LoudnessReport before = measure_loudness(audio);
    std::printf("measure_loudness:       %6.2f s\n", now_s() - t);
    t = now_s();
    const LoudnessReport r = master(audio, MasterOptions{});
    const double master_s = now_s() - t;
    std::printf(
        "master:                 %6.2f s  (%.2f LUFS, %.2f dBTP before; %.2f LUFS, %.2f dBTP "
        "after; loudness error %.2f LU)\n",
        master_s, before.integrated_lufs, before.true_peak_dbtp, r.integrated_lufs,
        r.true_peak_dbtp, std::abs(r.integrated_lufs + 14.0));
    t = now_s();
    write_wav(audio, dir / "tonepoem.wav");
    std::printf("write_wav:              %6.2f s\n", now_s() - t);

    t = now_s();
    const std::vector<Emotion> judged = judge_sections(score);
    const auto windows = judge_windows(score, 8, 4);
    std::printf("judge: %zu sections + %zu windows in %.3f s (valence %.2f, arousal %.2f)\n",
                judged.size(), windows.size(), now_s() - t, judged[0].valence, judged[0].arousal);
    if (rc == 0) {
      const AudioBuffer reference = read_audio(ref);
      std::printf(
          "fluidsynth output: %.2f s, %d channels, %.2f LUFS (it renders %.1f s past the score; "
          "per second of audio it took %.3f CPU s, tonepoem parts=1 %.3f)\n",
          reference.duration_s(), reference.channels, measure_loudness(reference).integrated_lufs,
          reference.duration_s() - score.duration_s(), fluid_cpu / reference.duration_s(),
          single_cpu / single.duration_s());
    }

    // Story -> mastered FLAC: `tonepoem make --no-video --format flac`, the same length (it also
    // writes score.wav, score.mid, cues.json and report.json, as make does).
    try {
      MakeOptions mo;
      mo.story = fs::path(TONEPOEM_SOURCE_DIR) / "examples/the-lantern-at-the-ford.txt";
      mo.duration_s = score.duration_s();
      mo.soundfont = soundfont;
      mo.video = false;
      mo.audio_format = AudioFileFormat::flac16;
      SilentProgress quiet;
      FolderSink files(dir / "story");
      JobContext context(quiet, CancelToken(), files);
      const double start = now_s();
      cpu = cpu_s(RUSAGE_SELF);
      const MakeResult made = run_make(mo, context);
      const double total = now_s() - start;
      std::string stages;
      for (const auto& [name, seconds] : made.timings)
        if (seconds >= 0.005) stages += fmt::format(", {} {:.2f} s", name, seconds);
      std::printf("story -> FLAC:          %6.2f s  (%5.1fx realtime for %.1f s%s; %.2f CPU s)\n",
                  total, made.score.duration_s() / total, made.score.duration_s(), stages.c_str(),
                  cpu_s(RUSAGE_SELF) - cpu);
      std::printf(
          "story loudness:         %.2f LUFS (error %.2f LU against -14), true peak %.2f dBTP\n",
          made.loudness.integrated_lufs, std::abs(made.loudness.integrated_lufs + 14.0),
          made.loudness.true_peak_dbtp);
    } catch (const std::exception& e) {
      std::printf("story -> FLAC:          skipped (%s)\n", e.what());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
