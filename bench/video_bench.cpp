// Video benchmark: tonepoem's video stage against three baselines, in one run, on the same audio,
// resolution, frame rate, x264 preset, CRF, profile and thread settings:
//   full      render_video(): drawing, colour conversion, x264 and AAC, MP4 muxing;
//   bare      the video's own frames, drawn and converted to raw yuv420p beforehand (untimed),
//             then encoded with the same audio two ways: in process by the same Mp4Writer fed
//             straight from a memory map, and by the ffmpeg CLI reading the raw file;
//   showcqt   `ffmpeg -filter_complex showcqt` into libx264 and AAC (skipped if ffmpeg or its
//             showcqt filter is missing).
// Targets (issue 7): full no slower than showcqt, and within 1.15x the faster bare encode. Wall
// time is what the targets are about; CPU seconds (all threads, or the ffmpeg child) are printed
// too. The machine may be shared, so each round runs all four back to back and the ratios are
// taken within a round; the load average is printed with each.
//
//   video_bench [--seconds S] [--size WxH] [--fps N] [--preset P] [--crf N] [--style S]
//               [--dir MAKE_DIR] [--keep DIR] [--repeat N]
//
// The raw frames take width * height * 1.5 bytes each (1.2 GB for 30 s of 720p at 30 fps), in
// the work folder: /dev/shm when it exists, else the temporary folder.
// Without --dir the audio is a generated 120 bpm piece (chords, bass, hats) with a cue sheet of
// four sections and a caption every three seconds; with --dir it is that make folder's
// score.wav, score.mid and cues.json.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/buffer.h>
#include <libavutil/frame.h>
}

#include <fmt/format.h>

#include "audio/audio.h"
#include "bench_util.h"
#include "music/midi.h"
#include "video/encoder.h"
#include "video/painter.h"
#include "video/video.h"

namespace fs = std::filesystem;
using namespace tonepoem;
using tonepoem::bench::cpu_s;
using tonepoem::bench::now_s;

namespace {

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
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

// The video's own frames, drawn and converted exactly as render_video does, in order, written
// tightly packed as raw yuv420p (plus a little zero padding, as SIMD readers may read past the
// last row). Not timed: the bare encodes below start from this file.
// Returns the CPU seconds spent drawing frames as render_video does, and painting them whole and
// converting them.
std::pair<double, double> predraw_yuv(const AudioBuffer& audio, const CueSheet& cues,
                                      const Score& score, const VideoOptions& options,
                                      const fs::path& path) {
  const Timeline timeline = timeline_from_score(cues, score);
  const BufferSource source(audio);
  video::FramePainter painter(source, timeline, options), whole_painter(source, timeline, options);
  video::BgraToYuv converter(options.width, options.height);
  video::SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, options.width, options.height));
  AVFrame* frame = video::alloc_yuv_frame(options.width, options.height);
  AVFrame* whole = video::alloc_yuv_frame(options.width, options.height);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot write " + path.string());
  double paint_s = 0, convert_s = 0;
  for (std::int64_t n = 0; n < painter.frames(); ++n) {
    // As render_video draws; the whole frame painted and converted too, for comparison.
    const double c0 = thread_cpu_s();
    painter.paint_yuv(n, surface.get(), converter, frame);
    const double c1 = thread_cpu_s();
    whole_painter.paint(n, surface.get());
    converter.convert(cairo_image_surface_get_data(surface.get()),
                      cairo_image_surface_get_stride(surface.get()), whole);
    paint_s += c1 - c0;
    convert_s += thread_cpu_s() - c1;
    for (int plane = 0; plane < 3; ++plane) {
      const int w = plane ? options.width / 2 : options.width;
      const int h = plane ? options.height / 2 : options.height;
      for (int y = 0; y < h; ++y)
        std::fwrite(frame->data[plane] + static_cast<std::ptrdiff_t>(y) * frame->linesize[plane], 1,
                    static_cast<std::size_t>(w), file);
    }
  }
  const std::vector<char> pad(4096, 0);
  std::fwrite(pad.data(), 1, pad.size(), file);
  std::fclose(file);
  video::free_frame(frame);
  video::free_frame(whole);
  return {paint_s, convert_s};
}

void no_free(void*, std::uint8_t*) {}

// The bare encode in process: the same Mp4Writer (x264 + AAC + MP4, same settings and threads)
// fed the pre-drawn frames straight from a memory map, no drawing, conversion or copy on our side.
Timing bare_encode(const AudioBuffer& audio, const VideoOptions& options, const fs::path& yuv,
                   std::int64_t frames, const fs::path& output) {
  const int fd = ::open(yuv.c_str(), O_RDONLY);
  const auto bytes = static_cast<std::size_t>(fs::file_size(yuv));
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) throw std::runtime_error("cannot map " + yuv.string());
  const std::size_t luma = static_cast<std::size_t>(options.width) * options.height;
  const std::size_t frame_bytes = luma * 3 / 2;
  ::madvise(map, bytes, MADV_WILLNEED);
  const double t0 = now_s(), c0 = cpu_s(RUSAGE_SELF);
  {
    const BufferSource source(audio);
    video::Mp4Writer writer(output, output.string(), options, source);
    for (std::int64_t n = 0; n < frames; ++n) {
      auto* base = static_cast<std::uint8_t*>(map) + static_cast<std::size_t>(n) * frame_bytes;
      AVFrame* f = av_frame_alloc();
      f->format = AV_PIX_FMT_YUV420P;
      f->width = options.width;
      f->height = options.height;
      // Referenced, not copied: libavcodec copies frames that own no buffer.
      f->buf[0] = av_buffer_create(base, frame_bytes, no_free, nullptr, AV_BUFFER_FLAG_READONLY);
      f->data[0] = base;
      f->data[1] = base + luma;
      f->data[2] = base + luma + luma / 4;
      f->linesize[0] = options.width;
      f->linesize[1] = f->linesize[2] = options.width / 2;
      writer.write_video(f);
      av_frame_free(&f);
    }
    writer.finish();
  }
  const Timing elapsed{now_s() - t0, cpu_s(RUSAGE_SELF) - c0};
  ::munmap(map, bytes);
  return elapsed;
}

// Runs a shell command, timed with the CPU of its children; wall -1 when it fails.
Timing run_child(const std::string& cmd) {
  const double t0 = now_s(), c0 = cpu_s(RUSAGE_CHILDREN);
  if (std::system(cmd.c_str()) != 0) return {-1, -1};
  return {now_s() - t0, cpu_s(RUSAGE_CHILDREN) - c0};
}

std::string x264_args(const VideoOptions& options) {
  return fmt::format(
      "-c:v libx264 -preset {} -crf {} -profile:v high -g {} -pix_fmt yuv420p -color_range tv "
      "-colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:a aac -b:a {} "
      "-movflags +faststart",
      options.preset, options.crf, options.fps * 4, options.audio_bitrate);
}

double load_average() {
  double load[1] = {-1};
  ::getloadavg(load, 1);
  return load[0];
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The H.264 packets of a file's video stream hashed (FNV-1a), and x264's option string (from its
// SEI), to show the encodes compared did the same work: "" for a file that cannot be read.
struct VideoStream {
  std::uint64_t hash = 1469598103934665603ull;
  std::string x264_options;
};

VideoStream video_stream(const fs::path& path) {
  VideoStream out;
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return {};
  const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  AVPacket* packet = av_packet_alloc();
  while (index >= 0 && av_read_frame(format, packet) >= 0) {
    if (packet->stream_index == index) {
      const std::string_view data(reinterpret_cast<const char*>(packet->data),
                                  static_cast<std::size_t>(packet->size));
      for (unsigned char c : data) out.hash = (out.hash ^ c) * 1099511628211ull;
      if (const auto at = data.find("options: "); out.x264_options.empty() && at != data.npos)
        out.x264_options = std::string(data.substr(at + 9, data.find('\0', at) - at - 9));
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&format);
  return out;
}

bool have_showcqt() {
  return std::system("ffmpeg -hide_banner -h filter=showcqt >/dev/null 2>&1") == 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 30;
  VideoOptions options;
  fs::path dir, keep;
  int repeat = 3;
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
    else if (a == "--repeat")
      repeat = std::max(1, std::stoi(next()));
    else {
      std::fprintf(stderr,
                   "usage: video_bench [--seconds S] [--size WxH] [--fps N] [--preset P] [--crf N] "
                   "[--style S] [--dir MAKE_DIR] [--keep DIR] [--repeat N]\n");
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
  const fs::path work = keep.empty() ? (fs::is_directory("/dev/shm") ? fs::path("/dev/shm")
                                                                     : fs::temp_directory_path()) /
                                           fmt::format("tonepoem_video_bench_{}", ::getpid())
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

  const fs::path yuv = work / "frames.yuv";
  const auto [paint_s, convert_s] = predraw_yuv(audio, cues, score, options, yuv);
  std::printf("drawing alone, one thread: %.2f CPU ms/frame (whole frames and conversion: %.2f)\n",
              1e3 * paint_s / static_cast<double>(frames),
              1e3 * convert_s / static_cast<double>(frames));
  const bool cqt_ok = have_showcqt();
  const std::string cli_cmd = fmt::format(
      "ffmpeg -hide_banner -loglevel error -y -f rawvideo -pix_fmt yuv420p -s {}x{} -framerate {} "
      "-i '{}' -i '{}' -map 0:v -map 1:a -frames:v {} {} '{}'",
      options.width, options.height, options.fps, yuv.string(), wav.string(), frames,
      x264_args(options), (work / "encode_cli.mp4").string());
  const std::string cqt_cmd = fmt::format(
      "ffmpeg -hide_banner -loglevel error -y -i '{}' -filter_complex "
      "\"[0:a]showcqt=s={}x{}:r={},format=yuv420p[v]\" -map '[v]' -map 0:a {} '{}'",
      wav.string(), options.width, options.height, options.fps, x264_args(options),
      (work / "showcqt.mp4").string());

  const auto fps = [&](double s) { return static_cast<double>(frames) / s; };
  const auto row = [&](const char* name, const Timing& t) {
    if (t.wall < 0) {
      std::printf("  %-36s failed or skipped\n", name);
      return;
    }
    std::printf("  %-36s %7.2f s %7.1f fps %7.2f CPU s %6.2f CPU ms/frame\n", name, t.wall,
                fps(t.wall), t.cpu, 1e3 * t.cpu / static_cast<double>(frames));
  };
  std::vector<double> full_s, bare_s, cli_s, cqt_s, vs_bare, vs_cqt, cpu_vs_bare, cpu_vs_cqt;
  for (int round = 1; round <= repeat; ++round) {
    std::printf("round %d of %d (load average %.2f)\n", round, repeat, load_average());
    // Each round starts with another of the four, so a busy spell on a shared machine does not
    // always fall on the same one.
    Timing full, bare, cli, cqt{-1, -1};
    for (int k = 0; k < 4; ++k) {
      switch ((k + round - 1) % 4) {
        case 0: {
          const double t0 = now_s(), c0 = cpu_s(RUSAGE_SELF);
          render_video(audio, timeline_from_score(cues, score), options, work / "tonepoem.mp4");
          full = {now_s() - t0, cpu_s(RUSAGE_SELF) - c0};
          break;
        }
        case 1:
          bare = bare_encode(audio, options, yuv, frames, work / "encode.mp4");
          break;
        case 2:
          cli = run_child(cli_cmd);
          break;
        default:
          if (cqt_ok) cqt = run_child(cqt_cmd);
      }
    }
    row("tonepoem video stage (full)", full);
    row("bare encode, in process (mmap YUV)", bare);
    row("bare encode, ffmpeg CLI (raw YUV)", cli);
    row("ffmpeg showcqt -> libx264+AAC", cqt);
    // The target is against the faster honest bare encode.
    const double best = cli.wall > 0 ? std::min(bare.wall, cli.wall) : bare.wall;
    full_s.push_back(full.wall);
    bare_s.push_back(bare.wall);
    if (cli.wall > 0) cli_s.push_back(cli.wall);
    const double best_cpu = cli.wall > 0 && cli.wall < bare.wall ? cli.cpu : bare.cpu;
    vs_bare.push_back(full.wall / best);
    cpu_vs_bare.push_back(full.cpu / best_cpu);
    std::printf("  full/bare    wall %.3f (target <= 1.15), CPU %.3f\n", vs_bare.back(),
                cpu_vs_bare.back());
    if (cqt.wall > 0) {
      cqt_s.push_back(cqt.wall);
      vs_cqt.push_back(full.wall / cqt.wall);
      cpu_vs_cqt.push_back(full.cpu / cqt.cpu);
      std::printf("  full/showcqt wall %.3f (target <= 1.0), CPU %.3f\n", vs_cqt.back(),
                  cpu_vs_cqt.back());
    }
  }
  // The same frames at the same settings give the same H.264 bitstream, whoever feeds x264.
  const VideoStream ours = video_stream(work / "tonepoem.mp4");
  const auto same = [&](const char* file) {
    return video_stream(work / file).hash == ours.hash ? "same" : "DIFFERENT";
  };
  std::printf("H.264 bitstream of the bare encodes vs full: in process %s, ffmpeg CLI %s\n",
              same("encode.mp4"), same("encode_cli.mp4"));
  const auto threads = [](const std::string& o) {
    std::string t;
    for (const char* key : {"threads=", "lookahead_threads=", "sliced_threads=", "rc_lookahead="})
      if (const auto at = o.find(std::string(" ") + key); at != o.npos)
        t += o.substr(at + 1, o.find(' ', at + 1) - at - 1) + " ";
    return t;
  };
  const std::string cqt_options = video_stream(work / "showcqt.mp4").x264_options;
  std::printf("x264 settings: %s(showcqt: %s)\n", threads(ours.x264_options).c_str(),
              cqt_options == ours.x264_options ? "identical options" : "options DIFFER");
  const auto summary = [&](const char* name, const std::vector<double>& v, bool is_fps) {
    if (v.empty()) return;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (is_fps)
      std::printf("%-16s median %7.1f fps (%.1f..%.1f)\n", name, fps(median(v)), fps(*hi),
                  fps(*lo));
    else
      std::printf("%-16s median %.3f (%.3f..%.3f)\n", name, median(v), *lo, *hi);
  };
  std::printf("over %d rounds (load average now %.2f):\n", repeat, load_average());
  summary("full", full_s, true);
  summary("bare in-proc", bare_s, true);
  summary("bare CLI", cli_s, true);
  summary("showcqt", cqt_s, true);
  summary("full/bare", vs_bare, false);
  summary("full/showcqt", vs_cqt, false);
  summary("CPU full/bare", cpu_vs_bare, false);
  summary("CPU full/showcqt", cpu_vs_cqt, false);
  // Other work on the machine only ever slows a run down, so the fastest of each is the best
  // estimate of what it costs on its own.
  const auto fastest = [](const std::vector<double>& v) {
    return v.empty() ? -1.0 : *std::min_element(v.begin(), v.end());
  };
  const double bare_best =
      cli_s.empty() ? fastest(bare_s) : std::min(fastest(bare_s), fastest(cli_s));
  std::printf("fastest of each: full/bare %.3f, full/showcqt %.3f\n", fastest(full_s) / bare_best,
              cqt_s.empty() ? -1.0 : fastest(full_s) / fastest(cqt_s));
  if (keep.empty()) fs::remove_all(work);
  return 0;
}
