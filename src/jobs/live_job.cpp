#include "jobs/live_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <istream>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "audio/audio.h"
#include "live/commands.h"
#include "model/audio.h"

namespace tonepoem {

namespace {
double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

RawAudioStream::RawAudioStream(std::ostream& out, int sample_rate, bool paced)
    : out_(out), sample_rate_(sample_rate), paced_(paced) {}

void RawAudioStream::write(const float* interleaved, std::size_t frames) {
  if (paced_) {
    if (start_s_ < 0) start_s_ = wall_s();
    // Keep at most 0.1 s ahead of the wall clock.
    const double due = start_s_ + static_cast<double>(frames_) / sample_rate_ - 0.1;
    const double wait = due - wall_s();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
  out_.write(reinterpret_cast<const char*>(interleaved),
             static_cast<std::streamsize>(2 * frames * sizeof(float)));
  if (paced_) out_.flush();
  if (!out_)
    throw Error(ExitCode::output, "the audio stream could not be written", "-",
                "check the program reading it");
  frames_ += static_cast<std::int64_t>(frames);
}

OptionProblems LiveJobOptions::validate() const {
  OptionProblems problems;
  if (sample_rate < 8000 || sample_rate > 192000)
    problems.push_back(
        {"sample_rate", fmt::format("{} is out of range; accepts 8000 to 192000", sample_rate)});
  const auto in = [](double v, double lo, double hi) { return v >= lo && v <= hi; };
  if (!in(start.valence, -1, 1) || !in(start.arousal, -1, 1) ||
      (start.tension && !in(*start.tension, 0, 1)))
    problems.push_back({"start", "valence and arousal in [-1, 1], tension in [0, 1]"});
  if (!(max_duration_s >= 1 && max_duration_s <= 7200))
    problems.push_back({"max_duration", fmt::format("{} is out of range; accepts 1 to 7200 seconds",
                                                    max_duration_s)});
  return problems;
}

namespace {

// The commands of the input, made on an engine; shared with a reading thread in real time.
struct CommandFeed {
  std::mutex mutex;                // held while the engine is used from the reading thread
  live::Engine* engine = nullptr;  // null once the render is over
  double rate = 48000;
  std::int64_t limit = 0;
  Emotion current;
  bool stopped = false;
  std::size_t commands = 0, warnings = 0;
  std::function<void(const std::string&)> warn;

  void warning(const std::string& text) {
    ++warnings;
    if (warn) warn(text);
  }

  // Makes one parsed command; false once the input should end (a stop, or past the limit).
  bool make(const live::LiveCommand& c, std::size_t number) {
    switch (c.type) {
      case live::LiveCommand::Type::emotion:
        current =
            Emotion::at(c.valence.value_or(current.valence), c.arousal.value_or(current.arousal),
                        c.tension.value_or(current.tension));
        engine->set_emotion(current, c.at);
        break;
      case live::LiveCommand::Type::hit:
        engine->hit(c.text);
        break;
      case live::LiveCommand::Type::character:
        engine->set_character(c.text);
        break;
      case live::LiveCommand::Type::stop:
        engine->stop(c.ending);
        stopped = true;
        break;
    }
    ++commands;
    (void)number;
    return !stopped;
  }
};

constexpr std::size_t kOfflineBlock = 1024, kRealtimeBlock = 256;

// Real time with no stream (a WAV file only): the wall clock paces the render.
class ClockPace final : public AudioStream {
 public:
  explicit ClockPace(int sample_rate) : sample_rate_(sample_rate) {}
  void write(const float*, std::size_t frames) override {
    if (start_s_ < 0) start_s_ = wall_s();
    frames_ += static_cast<std::int64_t>(frames);
    const double wait = start_s_ + static_cast<double>(frames_) / sample_rate_ - wall_s();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }

 private:
  int sample_rate_;
  std::int64_t frames_ = 0;
  double start_s_ = -1;
};

class Renderer {
 public:
  Renderer(live::Engine& engine, AudioStream* stream, bool keep, std::size_t block,
           const CancelToken& cancel)
      : engine_(engine), stream_(stream), keep_(keep), cancel_(cancel), block_(2 * block) {}

  void to(std::int64_t until) {
    while (engine_.frames_rendered() < until) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(
          static_cast<std::int64_t>(block_.size() / 2), until - engine_.frames_rendered()));
      engine_.render(block_.data(), n);
      if (keep_) samples_.insert(samples_.end(), block_.begin(), block_.begin() + 2 * n);
      if (stream_) stream_->write(block_.data(), n);
      cancel_.throw_if_cancelled();
    }
  }
  std::vector<float>& samples() { return samples_; }

 private:
  live::Engine& engine_;
  AudioStream* stream_;
  bool keep_;
  const CancelToken& cancel_;
  std::vector<float> block_, samples_;
};

// Offline: each command at its "t", rendering up to it first.
void feed_offline(CommandFeed& feed, std::istream& input, Renderer& renderer,
                  double max_duration_s) {
  std::string line;
  std::size_t number = 0;
  while (!feed.stopped && std::getline(input, line)) {
    ++number;
    live::ParsedLine parsed = live::parse_command_line(line, number);
    for (const std::string& w : parsed.warnings) feed.warning(w);
    if (!parsed.command) continue;
    const live::LiveCommand& c = *parsed.command;
    if (c.t) {
      const auto frame = static_cast<std::int64_t>(std::llround(*c.t * feed.rate));
      if (frame >= feed.limit) {
        feed.warning(
            fmt::format("line {}: t {} is past the maximum duration ({} s); the input ends here",
                        number, *c.t, max_duration_s));
        break;
      }
      const double now = static_cast<double>(feed.engine->frames_rendered()) / feed.rate;
      if (frame < feed.engine->frames_rendered())
        feed.warning(fmt::format(
            "line {}: t {} is earlier than the previous command ({:.3f} s); made at {:.3f} s",
            number, *c.t, now, now));
      renderer.to(frame);
    }
    try {
      feed.make(c, number);
    } catch (const live::CommandRefused& e) {
      feed.warning(fmt::format("line {}: {}; skipped", number, e.what()));
    }
  }
}

// Real time: a thread reads the lines and makes each when read (or at its "t").
void feed_realtime(std::shared_ptr<CommandFeed> feed, std::istream& input) {
  std::string line;
  std::size_t number = 0;
  while (std::getline(input, line)) {
    ++number;
    live::ParsedLine parsed = live::parse_command_line(line, number);
    std::unique_lock lock(feed->mutex);
    if (!feed->engine) return;
    for (const std::string& w : parsed.warnings) feed->warning(w);
    if (!parsed.command) continue;
    const live::LiveCommand& c = *parsed.command;
    if (c.t) {
      const auto frame = static_cast<std::int64_t>(std::llround(*c.t * feed->rate));
      while (feed->engine && feed->engine->frames_rendered() < frame) {
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        lock.lock();
      }
      if (!feed->engine) return;
    }
    try {
      if (!feed->make(c, number)) return;
    } catch (const live::CommandRefused& e) {
      feed->warning(fmt::format("line {}: {}; skipped", number, e.what()));
    }
  }
  std::lock_guard lock(feed->mutex);
  if (feed->engine && !feed->stopped) {
    feed->engine->stop(live::Ending::cadence);
    feed->stopped = true;
  }
}

}  // namespace

LiveJobResult run_live(const LiveJobOptions& options, std::istream& input, AudioStream* stream,
                       const std::function<void(const std::string&)>& warn, JobContext& context) {
  OptionProblems problems = options.validate();
  if (options.output_name.empty() && !stream)
    problems.push_back({"output_name", "give a WAV file or a stream for the audio"});
  throw_if_invalid(problems);
  if (!options.output_name.empty()) context.outputs().check_writable();
  context.stage("start");
  live::EngineOptions eo;
  eo.soundfont = options.soundfont;
  eo.sample_rate = options.sample_rate;
  eo.seed = options.seed;
  eo.start = options.start.emotion();
  eo.threaded = options.realtime;  // offline: the same lines and seed, the same audio
  live::Engine engine(eo);
  const double rate = options.sample_rate;

  auto feed = std::make_shared<CommandFeed>();
  feed->engine = &engine;
  feed->rate = rate;
  feed->limit = static_cast<std::int64_t>(std::llround(options.max_duration_s * rate));
  feed->current = eo.start.clamped();
  feed->warn = warn;
  const std::int64_t limit = feed->limit;

  context.stage("render");
  ClockPace clock(options.sample_rate);
  if (options.realtime && !stream) stream = &clock;
  Renderer renderer(engine, stream, !options.output_name.empty(),
                    options.realtime ? kRealtimeBlock : kOfflineBlock, context.cancel());
  std::thread reader;
  // The engine must not be used by the reading thread once this function leaves (the thread may
  // still wait for a line when the render ends: it is detached and finds the engine gone).
  struct Detach {
    std::shared_ptr<CommandFeed> feed;
    std::thread& reader;
    ~Detach() {
      {
        std::lock_guard lock(feed->mutex);
        feed->engine = nullptr;
      }
      if (reader.joinable()) reader.detach();
    }
  } detach{feed, reader};

  if (options.realtime) {
    reader = std::thread(feed_realtime, feed, std::ref(input));
  } else {
    feed_offline(*feed, input, renderer, options.max_duration_s);
    if (!feed->stopped) engine.stop(live::Ending::cadence);
  }
  while (!engine.finished() && engine.frames_rendered() < limit)
    renderer.to(std::min(limit, engine.frames_rendered() + static_cast<std::int64_t>(rate / 10)));

  LiveJobResult result;
  {
    std::lock_guard lock(feed->mutex);
    if (!engine.finished())
      feed->warning(
          fmt::format("the music was cut at the maximum duration ({} s)", options.max_duration_s));
    result.commands = feed->commands;
    result.warnings = feed->warnings;
  }
  result.duration_s = static_cast<double>(engine.frames_rendered()) / rate;
  result.stats = engine.stats();
  if (!options.output_name.empty()) {
    context.stage("write");
    AudioBuffer audio;
    audio.sample_rate = options.sample_rate;
    audio.channels = 2;
    audio.samples = std::move(renderer.samples());
    write_wav(audio, context.outputs().path_for(options.output_name), SampleFormat::pcm16,
              context.cancel());
    context.outputs().written(options.output_name);
  }
  context.finish_stage();
  return result;
}

}  // namespace tonepoem
