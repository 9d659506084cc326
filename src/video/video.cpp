#include "video/video.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/cancel.h"
#include "core/error.h"
#include "core/files.h"
#include "video/encoder.h"
#include "video/image.h"
#include "video/painter.h"
#include "video/style.h"
#include "video/text.h"

namespace tonepoem {
namespace {

using video::SurfacePtr;

constexpr std::string_view kPresets[] = {"ultrafast", "superfast", "veryfast", "faster",  "fast",
                                         "medium",    "slow",      "slower",   "veryslow"};

// Every text the video will draw, for the font check before any work starts.
std::vector<std::string> all_texts(const Timeline& timeline) {
  std::vector<std::string> texts;
  texts.push_back(timeline.title);
  for (const auto& section : timeline.sections) texts.push_back(section.name);
  for (const auto& cap : timeline.captions) texts.push_back(cap.text);
  return texts;
}

void check_inputs(const PcmSource& audio, const Timeline& timeline, const VideoOptions& options) {
  throw_if_invalid(options.validate());
  if (audio.frames() == 0 || audio.sample_rate() <= 0 || audio.channels() < 1)
    throw Error(ExitCode::bad_input, "the audio for the video is empty", "",
                "render the score to audio first");
  check_video_inputs(timeline, options);
}

SurfacePtr make_surface(const VideoOptions& options) {
  SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, options.width, options.height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    throw Error(ExitCode::internal, "cannot allocate a frame surface (Cairo)");
  return surface;
}

// Frames travel from the drawing thread to the encoding thread through a bounded pool: the
// drawer takes a free frame, fills it and queues it; the encoder takes it, encodes it and gives it
// back. Memory stays at the pool's size whatever the video's length.
class FramePool {
 public:
  FramePool(int width, int height, int size) {
    for (int i = 0; i < size; ++i) free_.push_back(video::alloc_yuv_frame(width, height));
  }
  ~FramePool() {
    for (AVFrame* f : free_) video::free_frame(f);
    for (AVFrame* f : full_) video::free_frame(f);
    for (AVFrame* f : taken_) video::free_frame(f);
  }
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // Null once closed.
  AVFrame* take_free() { return take(free_); }
  AVFrame* take_full() { return take(full_); }
  void put_full(AVFrame* f) { put(full_, f); }
  void put_free(AVFrame* f) { put(free_, f); }
  // Wakes every waiter; later takes return null once their queue is empty (full) or at once (free).
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  AVFrame* take(std::deque<AVFrame*>& from) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !from.empty() || closed_; });
    if (from.empty() || (closed_ && &from == &free_)) return nullptr;
    AVFrame* f = from.front();
    from.pop_front();
    taken_.push_back(f);
    return f;
  }
  void put(std::deque<AVFrame*>& to, AVFrame* f) {
    std::lock_guard lock(mutex_);
    taken_.erase(std::find(taken_.begin(), taken_.end(), f));
    to.push_back(f);
    cv_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<AVFrame*> free_, full_;
  std::vector<AVFrame*> taken_;
  bool closed_ = false;
};

void bgra_to_rgb(cairo_surface_t* surface, int width, int height, std::uint8_t* out) {
  const std::uint8_t* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = data + static_cast<std::ptrdiff_t>(y) * stride;
    for (int x = 0; x < width; ++x) {
      *out++ = row[4 * x + 2];
      *out++ = row[4 * x + 1];
      *out++ = row[4 * x + 0];
    }
  }
}

}  // namespace

OptionProblems VideoOptions::validate() const {
  OptionProblems problems;
  if (width < 160 || width > 3840 || width % 2)
    problems.push_back({"width", fmt::format("{} must be an even number in 160..3840", width)});
  if (height < 160 || height > 3840 || height % 2)
    problems.push_back({"height", fmt::format("{} must be an even number in 160..3840", height)});
  if (fps < 1 || fps > 120) problems.push_back({"fps", fmt::format("{} must be in 1..120", fps)});
  if (crf < 0 || crf > 51) problems.push_back({"crf", fmt::format("{} must be in 0..51", crf)});
  if (std::find(std::begin(kPresets), std::end(kPresets), preset) == std::end(kPresets))
    problems.push_back(
        {"preset", fmt::format("'{}' is not one of ultrafast, superfast, veryfast, faster, fast, "
                               "medium, slow, slower, veryslow",
                               preset)});
  const video::StyleEntry* style_entry = video::find_style(style);
  if (!style_entry) {
    std::string names;
    for (const auto& s : video::style_table())
      names += (names.empty() ? "" : ", ") + std::string(s.name);
    problems.push_back({"style", fmt::format("'{}' is not one of {}", style, names)});
  }
  if (audio_bitrate < 32000 || audio_bitrate > 512000)
    problems.push_back(
        {"audio_bitrate", fmt::format("{} must be in 32000..512000", audio_bitrate)});
  if (font.empty()) problems.push_back({"font", "must name a font family"});
  if (style_entry && style_entry->needs_pictures && images.empty() && !clips)
    problems.push_back({"images", fmt::format("style '{}' needs pictures or clips: give a folder "
                                              "of them",
                                              style)});
  return problems;
}

void render_video(const AudioBuffer& audio, const Timeline& timeline, const VideoOptions& options,
                  const std::filesystem::path& output, const ProgressFn& progress,
                  const CancelToken& cancel) {
  render_video(BufferSource(audio), timeline, options, output, progress, cancel);
}

void render_video(const PcmSource& audio, const Timeline& timeline, const VideoOptions& options,
                  const std::filesystem::path& output, const ProgressFn& progress,
                  const CancelToken& cancel) {
  check_inputs(audio, timeline, options);
  AtomicOutput out(output);
  video::Mp4Writer writer(out.temp_path(), output.string(), options, audio);
  const std::int64_t frames = video::frame_count(audio.duration_s(), options.fps);

  FramePool pool(options.width, options.height, 4);
  std::exception_ptr drawer_error;
  std::thread drawer([&] {
    try {
      video::FramePainter painter(audio, timeline, options);
      video::BgraToYuv converter(options.width, options.height);
      SurfacePtr surface = make_surface(options);
      for (std::int64_t n = 0; n < frames; ++n) {
        AVFrame* frame = pool.take_free();
        if (!frame) return;  // the encoder side stopped
        painter.paint_yuv(n, surface.get(), converter, frame);
        pool.put_full(frame);
      }
    } catch (...) {
      drawer_error = std::current_exception();
    }
    pool.close();
  });
  struct JoinGuard {
    FramePool& pool;
    std::thread& thread;
    ~JoinGuard() {
      pool.close();
      if (thread.joinable()) thread.join();
    }
  } guard{pool, drawer};

  std::int64_t written = 0;
  for (; written < frames; ++written) {
    cancel.throw_if_cancelled();
    AVFrame* frame = pool.take_full();
    if (!frame) break;
    writer.write_video(frame);
    pool.put_free(frame);
    if (progress) progress(static_cast<double>(written + 1) / static_cast<double>(frames));
  }
  pool.close();
  drawer.join();
  if (drawer_error) std::rethrow_exception(drawer_error);
  if (written != frames)
    throw Error(ExitCode::internal,
                fmt::format("the frame drawer stopped after {} of {} frames", written, frames));
  writer.finish();
  out.commit();
}

std::vector<std::uint8_t> render_frame_rgb(const AudioBuffer& audio, const Timeline& timeline,
                                           const VideoOptions& options, double t) {
  const BufferSource source(audio);
  check_inputs(source, timeline, options);
  video::FramePainter painter(source, timeline, options);
  const std::int64_t n =
      std::clamp<std::int64_t>(std::llround(t * options.fps), 0, painter.frames() - 1);
  SurfacePtr surface = make_surface(options);
  painter.paint(n, surface.get());
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(options.width) * options.height * 3);
  bgra_to_rgb(surface.get(), options.width, options.height, rgb.data());
  return rgb;
}

void write_snapshot(const AudioBuffer& audio, const Timeline& timeline, const VideoOptions& options,
                    double t, const std::filesystem::path& output) {
  const BufferSource source(audio);
  check_inputs(source, timeline, options);
  video::FramePainter painter(source, timeline, options);
  const std::int64_t n =
      std::clamp<std::int64_t>(std::llround(t * options.fps), 0, painter.frames() - 1);
  SurfacePtr surface = make_surface(options);
  painter.paint(n, surface.get());
  AtomicOutput out(output);
  if (cairo_surface_write_to_png(surface.get(), out.temp_path().c_str()) != CAIRO_STATUS_SUCCESS)
    fail_output(output.string(), "cannot write the PNG snapshot",
                "check that the folder exists and is writable");
  out.commit();
}

void check_video_inputs(const Timeline& timeline, const VideoOptions& options) {
  throw_if_invalid(options.validate());
  video::check_font(options.font, all_texts(timeline));
  for (const auto& image : options.images) video::check_image(image);
}

}  // namespace tonepoem
