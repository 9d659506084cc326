// Video benchmark: tonepoem's video stage against two baselines, in one run, on the same audio,
// resolution, frame rate, x264 preset and CRF:
//   full      render_video(): drawing, colour conversion, x264 and AAC, MP4 muxing;
//   encode    the same x264 + AAC + MP4 writer fed frames drawn beforehand (no drawing cost);
//   showcqt   `ffmpeg -filter_complex showcqt` into libx264 and AAC (skipped if ffmpeg or its
//             showcqt filter is missing).
// Targets (issue 7): full no slower than showcqt, and within 1.15x the bare encode. Wall time
// is what the targets are about; CPU seconds (all threads, or the ffmpeg child) are printed too,
// as they stay meaningful on a machine busy with other work.
//
//   video_bench [--seconds S] [--size WxH] [--fps N] [--preset P] [--crf N] [--style S]
//               [--dir MAKE_DIR] [--keep DIR]
//
// Without --dir the audio is a generated 120 bpm piece (chords, bass, hats) with a cue sheet of
// four sections and a caption every three seconds; with --dir it is that make folder's
// score.wav, score.mid and cues.json.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libavutil/frame.h>
}

#include <fmt/format.h>

#include "audio/audio.h"
#include "music/midi.h"
#include "video/encoder.h"
#include "video/painter.h"
#include "video/video.h"

namespace fs = std::filesystem;
using namespace tonepoem;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds used so far by this process (all threads) or by its finished children.
double cpu_s(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Timing {
  double wall = 0, cpu = 0;
};

AudioBuffer bench_audio(double seconds) {
  AudioBuffer audio;
  const auto frames = static_cast<std::size_t>(std::llround(seconds * audio.sample_rate));
  audio.samples.resize(frames * 2);
  const double roots[] = {110.0, 87.31, 130.81, 98.0};
  std::uint32_t noise = 12345;
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / audio.sample_rate;
    const double root = roots[static_cast<int>(t / 2.0) % 4];
    double v = 0;
    for (double k : {1.0, 1.25, 1.5, 2.0, 4.0})
      v += 0.05 * std::sin(2 * std::numbers::pi * root * k * t);
    v += 0.12 * std::sin(2 * std::numbers::pi * root * 0.5 * t) * std::exp(-std::fmod(t, 0.5) * 4);
    noise = noise * 1664525u + 1013904223u;
    const double hat = (static_cast<double>(noise >> 8) / 8388608.0 - 1.0);
    v += 0.08 * hat * std::exp(-std::fmod(t, 0.25) * 40);
    audio.samples[2 * i] = static_cast<float>(v);
    audio.samples[2 * i + 1] = static_cast<float>(v * 0.95);
  }
  return audio;
}

CueSheet bench_cues(double seconds) {
  CueSheet cues;
  cues.title = "The Lantern at the Ford";
  cues.duration_s = seconds;
  const char* names[] = {"Dusk", "The River Rises", "Night", "Morning"};
  for (int k = 0; k < 4; ++k) {
    Cue cue;
    cue.name = names[k];
    cue.start_s = seconds * k / 4;
    cue.end_s = seconds * (k + 1) / 4;
    cue.target.valence = k == 1 || k == 2 ? -0.5 : 0.6;
    cue.target.arousal = k == 1 ? 0.8 : -0.2;
    cue.target.tension = k == 1 ? 0.7 : 0.1;
    cues.cues.push_back(cue);
  }
  for (double t = 0.5; t + 2.5 < seconds; t += 3.0) {
    Caption cap;
    cap.text = "The ferryman lit his lantern and waited for the travellers at the ford.";
    cap.start_s = t;
    cap.end_s = t + 2.8;
    cues.captions.push_back(cap);
  }
  return cues;
}

Score bench_score(double seconds) {
  Score s;
  s.tempo = {{0, 120}};
  s.meters = {{0, 4, 4}};
  s.end_tick = static_cast<std::int64_t>(seconds * 2) * s.ppq;
  return s;
}

// The bare encode: the same writer fed frames drawn beforehand (a loop of up to `distinct` of the
// video's own frames, so the encoder sees the same kind of pictures), timed without the drawing.
Timing bare_encode(const AudioBuffer& audio, const CueSheet& cues, const Score& score,
                   const VideoOptions& options, const fs::path& output, int distinct) {
  video::FramePainter painter(audio, cues, score, options);
  video::BgraToYuv converter(options.width, options.height);
  video::SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, options.width, options.height));
  const std::int64_t frames = painter.frames();
  const std::int64_t step = std::max<std::int64_t>(1, frames / distinct);
  std::vector<AVFrame*> drawn;
  for (std::int64_t n = 0; n < frames && static_cast<int>(drawn.size()) < distinct; n += step) {
    painter.paint(n, surface.get());
    AVFrame* f = video::alloc_yuv_frame(options.width, options.height);
    converter.convert(cairo_image_surface_get_data(surface.get()),
                      cairo_image_surface_get_stride(surface.get()), f);
    drawn.push_back(f);
  }
  const double t0 = now_s(), c0 = cpu_s(RUSAGE_SELF);
  {
    video::Mp4Writer writer(output, output.string(), options, audio);
    for (std::int64_t n = 0; n < frames; ++n)
      writer.write_video(drawn[static_cast<std::size_t>(n) % drawn.size()]);
    writer.finish();
  }
  const Timing elapsed{now_s() - t0, cpu_s(RUSAGE_SELF) - c0};
  for (AVFrame* f : drawn) video::free_frame(f);
  return elapsed;
}

bool have_showcqt() {
  return std::system("ffmpeg -hide_banner -h filter=showcqt >/dev/null 2>&1") == 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 30;
  VideoOptions options;
  fs::path dir, keep;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seconds")
      seconds = std::stod(next());
    else if (a == "--size") {
      const std::string v = next();
      options.width = std::stoi(v.substr(0, v.find('x')));
      options.height = std::stoi(v.substr(v.find('x') + 1));
    } else if (a == "--fps")
      options.fps = std::stoi(next());
    else if (a == "--preset")
      options.preset = next();
    else if (a == "--crf")
      options.crf = std::stoi(next());
    else if (a == "--style")
      options.style = next();
    else if (a == "--dir")
      dir = next();
    else if (a == "--keep")
      keep = next();
    else {
      std::fprintf(stderr,
                   "usage: video_bench [--seconds S] [--size WxH] [--fps N] [--preset P] [--crf N] "
                   "[--style S] [--dir MAKE_DIR] [--keep DIR]\n");
      return 2;
    }
  }
  options.validate();
  AudioBuffer audio;
  CueSheet cues;
  Score score;
  if (!dir.empty()) {
    audio = read_audio(dir / "score.wav");
    cues = load_cue_sheet(dir / "cues.json");
    score = load_midi(dir / "score.mid");
  } else {
    audio = bench_audio(seconds);
    cues = bench_cues(seconds);
    score = bench_score(seconds);
  }
  const fs::path work =
      keep.empty() ? fs::temp_directory_path() / fmt::format("tonepoem_video_bench_{}", ::getpid())
                   : keep;
  fs::create_directories(work);
  const fs::path wav = work / "audio.wav";
  write_wav(audio, wav);
  const std::int64_t frames = video::frame_count(audio.duration_s(), options.fps);
  std::printf(
      "video bench: %.1f s of audio, %lld frames at %dx%d, %d fps, x264 %s crf %d, style %s, "
      "%u hardware threads\n",
      audio.duration_s(), static_cast<long long>(frames), options.width, options.height,
      options.fps, options.preset.c_str(), options.crf, options.style.c_str(),
      std::thread::hardware_concurrency());

  double t0 = now_s(), c0 = cpu_s(RUSAGE_SELF);
  render_video(audio, cues, score, options, work / "tonepoem.mp4");
  const Timing full{now_s() - t0, cpu_s(RUSAGE_SELF) - c0};
  const Timing encode = bare_encode(audio, cues, score, options, work / "encode.mp4", 150);

  Timing cqt{-1, -1};
  if (have_showcqt()) {
    const std::string cmd = fmt::format(
        "ffmpeg -hide_banner -loglevel error -y -i '{}' -filter_complex "
        "\"[0:a]showcqt=s={}x{}:r={},format=yuv420p[v]\" -map '[v]' -map 0:a -c:v libx264 "
        "-preset {} -crf {} -pix_fmt yuv420p -c:a aac -b:a {} -movflags +faststart '{}'",
        wav.string(), options.width, options.height, options.fps, options.preset, options.crf,
        options.audio_bitrate, (work / "showcqt.mp4").string());
    t0 = now_s();
    c0 = cpu_s(RUSAGE_CHILDREN);
    if (std::system(cmd.c_str()) == 0) cqt = {now_s() - t0, cpu_s(RUSAGE_CHILDREN) - c0};
  }

  const auto fps = [&](double s) { return static_cast<double>(frames) / s; };
  const auto row = [&](const char* name, const Timing& t) {
    std::printf("%-34s %8.2f s %7.1f fps %8.2f CPU s %6.2f CPU ms/frame\n", name, t.wall,
                fps(t.wall), t.cpu, 1e3 * t.cpu / static_cast<double>(frames));
  };
  row("tonepoem video stage (full)", full);
  row("bare x264+AAC encode, same frames", encode);
  if (cqt.wall > 0)
    row("ffmpeg showcqt -> libx264+AAC", cqt);
  else
    std::printf("%-34s skipped (ffmpeg with the showcqt filter not found)\n", "ffmpeg showcqt");
  std::printf("full/encode  wall %.3f, CPU %.3f (target: wall <= 1.15)\n", full.wall / encode.wall,
              full.cpu / encode.cpu);
  if (cqt.wall > 0)
    std::printf("full/showcqt wall %.3f, CPU %.3f (target: wall <= 1.0)\n", full.wall / cqt.wall,
                full.cpu / cqt.cpu);
  if (keep.empty()) fs::remove_all(work);
  return 0;
}
