#include "jobs/live_job.h"

#include "music/compose.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "audio/audio.h"
#include "live/commands.h"
#include "live/osc.h"
#include "model/audio.h"
#include "plan/plan.h"
#include "text/analyze.h"

namespace tonepoem {

namespace {
double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "PORT" or "HOST:PORT" (IPv4) -> host and port; nullopt when malformed.
std::optional<std::pair<std::string, std::uint16_t>> parse_osc_address(std::string_view spec) {
  std::string host = "127.0.0.1";
  std::string_view port = spec;
  if (const auto colon = spec.rfind(':'); colon != std::string_view::npos) {
    host = std::string(spec.substr(0, colon));
    port = spec.substr(colon + 1);
  }
  in_addr probe{};
  if (::inet_pton(AF_INET, host.c_str(), &probe) != 1) return std::nullopt;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  const int value = std::stoi(std::string(port));
  if (value > 65535) return std::nullopt;
  return std::make_pair(host, static_cast<std::uint16_t>(value));
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
  if (!is_music_style(style)) problems.push_back({"style", style_problem(style)});
  const auto in = [](double v, double lo, double hi) { return v >= lo && v <= hi; };
  if (!in(start.valence, -1, 1) || !in(start.arousal, -1, 1) ||
      (start.tension && !in(*start.tension, 0, 1)))
    problems.push_back({"start", "valence and arousal in [-1, 1], tension in [0, 1]"});
  if (!osc.empty() && !parse_osc_address(osc))
    problems.push_back({"osc", fmt::format("\"{}\" is not PORT or HOST:PORT (an IPv4 address and a "
                                           "port 0 to 65535; 0 takes a free port)",
                                           osc)});
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
  std::function<void(double, const std::string&)> caption;

  void warning(const std::string& text) {
    ++warnings;
    if (warn) warn(text);
  }

  // Makes one parsed command; false once the input should end (a stop, or past the limit).
  bool make(const live::LiveCommand& c) {
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
      case live::LiveCommand::Type::caption:
        if (caption) caption(static_cast<double>(engine->frames_rendered()) / rate, c.text);
        break;
    }
    ++commands;
    return !stopped;
  }
};

// One input line's commands (a JSON line gives at most one; a line of a story a caption and an
// emotion) with its warnings, named "line N" in them.
struct Batch {
  std::size_t number = 0;
  std::vector<live::LiveCommand> commands;
  std::vector<std::string> warnings;
};
// The next batch, or nullopt at the end of the input. Called from one thread at a time.
using CommandSource = std::function<std::optional<Batch>()>;

CommandSource json_lines(std::istream& input) {
  return [&input, number = std::size_t{0}]() mutable -> std::optional<Batch> {
    std::string line;
    if (!std::getline(input, line)) return std::nullopt;
    live::ParsedLine parsed = live::parse_command_line(line, ++number);
    Batch b{number, {}, std::move(parsed.warnings)};
    if (parsed.command) b.commands.push_back(*parsed.command);
    return b;
  };
}

CommandSource listed(std::vector<live::LiveCommand> commands) {
  return [commands = std::move(commands), next = std::size_t{0}]() mutable -> std::optional<Batch> {
    if (next == commands.size()) return std::nullopt;
    ++next;
    return Batch{next, {commands[next - 1]}, {}};
  };
}

// Real time, a story told line by line on the input: each line is a caption, and its emotion
// (the mean of its sentences, followed halfway from what was asked before) is asked at the next
// bar when it moves the music 0.15 or more.
CommandSource story_lines(std::istream& input, std::shared_ptr<const Lexicons> lexicons,
                          LanguageChoice language, Emotion start) {
  struct State {
    std::size_t number = 0;
    Emotion asked;
  };
  auto state = std::make_shared<State>(State{0, start});
  return [&input, lexicons, language, state]() -> std::optional<Batch> {
    std::string line;
    if (!std::getline(input, line)) return std::nullopt;
    Batch b{++state->number, {}, {}};
    if (line.find_first_not_of(" \t\r") == std::string::npos) return b;
    live::LiveCommand caption;
    caption.type = live::LiveCommand::Type::caption;
    caption.text = line;
    b.commands.push_back(caption);
    try {
      const Document doc = parse_text(line, "line.txt", {.language = language});
      const EmotionArc arc = analyze(doc, {.lexicons = lexicons});
      if (arc.sentences.empty()) return b;
      double v = 0, a = 0, t = 0;
      for (const Emotion& e : arc.sentences) {
        v += e.valence;
        a += e.arousal;
        t += e.tension;
      }
      const double n = static_cast<double>(arc.sentences.size());
      const Emotion& was = state->asked;
      const Emotion want = Emotion::at(was.valence + 0.5 * (v / n - was.valence),
                                       was.arousal + 0.5 * (a / n - was.arousal),
                                       was.tension + 0.5 * (t / n - was.tension));
      if (std::abs(want.valence - was.valence) < 0.15 &&
          std::abs(want.arousal - was.arousal) < 0.15)
        return b;
      state->asked = want;
      live::LiveCommand e;
      e.type = live::LiveCommand::Type::emotion;
      e.valence = want.valence;
      e.arousal = want.arousal;
      e.tension = want.tension;
      e.at = live::At::bar;
      b.commands.push_back(e);
    } catch (const Error& e) {
      b.warnings.push_back(
          fmt::format("line {}: {}; shown, the music goes on", b.number, e.what()));
    }
    return b;
  };
}

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
void feed_offline(CommandFeed& feed, const CommandSource& next, Renderer& renderer,
                  double max_duration_s) {
  while (!feed.stopped) {
    std::optional<Batch> batch = next();
    if (!batch) return;
    for (const std::string& w : batch->warnings) feed.warning(w);
    for (const live::LiveCommand& c : batch->commands) {
      if (c.t) {
        const auto frame = static_cast<std::int64_t>(std::llround(*c.t * feed.rate));
        if (frame >= feed.limit) {
          feed.warning(
              fmt::format("line {}: t {} is past the maximum duration ({} s); the input ends here",
                          batch->number, *c.t, max_duration_s));
          return;
        }
        const double now = static_cast<double>(feed.engine->frames_rendered()) / feed.rate;
        if (frame < feed.engine->frames_rendered())
          feed.warning(fmt::format(
              "line {}: t {} is earlier than the previous command ({:.3f} s); made at {:.3f} s",
              batch->number, *c.t, now, now));
        renderer.to(frame);
      }
      try {
        if (!feed.make(c)) return;
      } catch (const live::CommandRefused& e) {
        feed.warning(fmt::format("line {}: {}; skipped", batch->number, e.what()));
      }
    }
  }
}

// Real time: a thread reads the lines and makes each when read (or at its "t").
void feed_realtime(std::shared_ptr<CommandFeed> feed, CommandSource next) {
  while (true) {
    std::optional<Batch> batch = next();
    if (!batch) break;
    std::unique_lock lock(feed->mutex);
    if (!feed->engine) return;
    for (const std::string& w : batch->warnings) feed->warning(w);
    for (const live::LiveCommand& c : batch->commands) {
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
        if (!feed->make(c)) return;
      } catch (const live::CommandRefused& e) {
        feed->warning(fmt::format("line {}: {}; skipped", batch->number, e.what()));
      }
    }
  }
  std::lock_guard lock(feed->mutex);
  if (feed->engine && !feed->stopped) {
    feed->engine->stop(live::Ending::cadence);
    feed->stopped = true;
  }
}

// A UDP socket for OSC messages, bound at construction.
class OscSocket {
 public:
  explicit OscSocket(const std::string& spec) {
    const auto address = parse_osc_address(spec);  // validated with the options
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(address->second);
    ::inet_pton(AF_INET, address->first.c_str(), &in.sin_addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&in), sizeof in) != 0) {
      const std::string why = std::strerror(errno);
      if (fd_ >= 0) ::close(fd_);
      throw Error(
          ExitCode::usage,
          fmt::format("--osc: cannot listen on {}:{} ({})", address->first, address->second, why),
          "", "choose another port (0 takes a free one) or a local address");
    }
    socklen_t size = sizeof in;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&in), &size);
    address_ = fmt::format("{}:{}", address->first, ntohs(in.sin_port));
  }
  ~OscSocket() { ::close(fd_); }
  OscSocket(const OscSocket&) = delete;
  OscSocket& operator=(const OscSocket&) = delete;
  int fd() const { return fd_; }
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

// Real time, OSC messages as they arrive; an empty batch every 0.1 s without one, so that the
// feed can see the render is over.
CommandSource osc_datagrams(std::shared_ptr<OscSocket> socket) {
  return [socket, number = std::size_t{0},
          buffer = std::vector<std::byte>(65536)]() mutable -> std::optional<Batch> {
    pollfd ready{socket->fd(), POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) return Batch{};
    const ssize_t n = ::recv(socket->fd(), buffer.data(), buffer.size(), 0);
    if (n < 0) return Batch{};
    live::ParsedLine parsed =
        live::parse_osc_message({buffer.data(), static_cast<std::size_t>(n)}, ++number);
    Batch b{number, {}, std::move(parsed.warnings)};
    if (parsed.command) b.commands.push_back(*parsed.command);
    return b;
  };
}

// The story's cue sheet, planned as `make` plans it (reading pace, the seed).
CueSheet plan_story(const LiveJobOptions& options, std::istream& input,
                    const std::shared_ptr<const Lexicons>& lexicons) {
  const ParseOptions parse_options{.language = options.language};
  Document doc;
  if (options.story == "-") {
    std::ostringstream text;
    text << input.rdbuf();
    doc = parse_text(text.str(), "stdin.txt", parse_options);
  } else {
    doc = parse_file(options.story, parse_options);
  }
  const EmotionArc arc = analyze(doc, {.lexicons = lexicons});
  return plan(doc, arc, {.seed = options.seed});
}

}  // namespace

LiveJobResult run_live(const LiveJobOptions& options, std::istream& input, AudioStream* stream,
                       const LiveEvents& events, JobContext& context) {
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
  eo.style = options.style;
  eo.start = options.start.emotion();
  CommandSource source;
  bool realtime = options.realtime;
  if (!options.osc.empty()) {
    auto socket = std::make_shared<OscSocket>(options.osc);
    if (events.listening) events.listening(socket->address());
    source = osc_datagrams(socket);
    realtime = true;
  } else if (options.story.empty()) {
    source = json_lines(input);
  } else {
    context.stage("plan");
    auto lexicons = load_lexicons({.data_dir = {}, .user_lexicons = options.lexicons});
    if (options.realtime && options.story == "-") {
      source = story_lines(input, lexicons, options.language, eo.start);
    } else {
      const CueSheet sheet = plan_story(options, input, lexicons);
      if (!sheet.cues.empty())
        eo.start = sheet.cues.front().target;  // it opens in the story's mood
      source = listed(story_commands(sheet));
    }
  }
  eo.threaded = realtime;  // offline: the same lines and seed, the same audio
  live::Engine engine(eo);
  const double rate = options.sample_rate;

  auto feed = std::make_shared<CommandFeed>();
  feed->engine = &engine;
  feed->rate = rate;
  feed->limit = static_cast<std::int64_t>(std::llround(options.max_duration_s * rate));
  feed->current = eo.start.clamped();
  feed->warn = events.warn;
  feed->caption = events.caption;
  const std::int64_t limit = feed->limit;

  context.stage("render");
  ClockPace clock(options.sample_rate);
  if (realtime && !stream) stream = &clock;
  Renderer renderer(engine, stream, !options.output_name.empty(),
                    realtime ? kRealtimeBlock : kOfflineBlock, context.cancel());
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

  if (realtime) {
    reader = std::thread(feed_realtime, feed, source);
  } else {
    feed_offline(*feed, source, renderer, options.max_duration_s);
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

std::vector<live::LiveCommand> story_commands(const CueSheet& sheet) {
  using live::LiveCommand;
  std::vector<LiveCommand> out;
  const std::vector<Caption>& captions = sheet.captions;
  std::vector<double> arousal(captions.size());  // centred mean over 3 sentences
  for (std::size_t i = 0; i < captions.size(); ++i) {
    const std::size_t from = i == 0 ? 0 : i - 1, to = std::min(captions.size(), i + 2);
    double sum = 0;
    for (std::size_t k = from; k < to; ++k) sum += captions[k].emotion.arousal;
    arousal[i] = sum / static_cast<double>(to - from);
  }
  auto at = [](LiveCommand c, double t) {
    c.t = t;
    return c;
  };
  std::size_t next = 0;  // the first caption not yet placed
  for (std::size_t ci = 0; ci < sheet.cues.size(); ++ci) {
    const Cue& cue = sheet.cues[ci];
    const bool last = ci + 1 == sheet.cues.size();
    LiveCommand mood;
    mood.type = LiveCommand::Type::emotion;
    mood.valence = cue.target.valence;
    mood.arousal = cue.target.arousal;
    mood.tension = cue.target.tension;
    mood.at = live::At::bar;
    if (ci > 0) out.push_back(at(mood, cue.start_s));
    if (!cue.characters.empty()) {
      LiveCommand motif;
      motif.type = LiveCommand::Type::character;
      motif.text = cue.characters.front();
      out.push_back(at(motif, cue.start_s));
    }
    // The captions starting inside this cue, and their mean arousal.
    std::size_t end = next;
    while (end < captions.size() && (last || captions[end].start_s < cue.end_s)) ++end;
    double mean = 0;
    for (std::size_t i = next; i < end; ++i) mean += arousal[i];
    if (end > next) mean /= static_cast<double>(end - next);
    double asked = cue.target.arousal;
    for (std::size_t i = next; i < end; ++i) {
      LiveCommand line;
      line.type = LiveCommand::Type::caption;
      line.text = captions[i].text;
      out.push_back(at(line, captions[i].start_s));
      const double want = std::clamp(cue.target.arousal + 0.5 * (arousal[i] - mean), -1.0, 1.0);
      if (i > next && std::abs(want - asked) >= 0.2) {
        LiveCommand move;
        move.type = LiveCommand::Type::emotion;
        move.arousal = want;
        move.at = live::At::bar;
        out.push_back(at(move, captions[i].start_s));
        asked = want;
      }
    }
    next = end;
  }
  for (const HitPoint& h : sheet.hits) {
    LiveCommand hit;
    hit.type = LiveCommand::Type::hit;
    hit.text = h.kind == "death" || h.kind == "cry" || h.kind == "danger" ? "danger" : "accent";
    out.push_back(at(hit, h.time_s));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LiveCommand& a, const LiveCommand& b) { return *a.t < *b.t; });
  LiveCommand stop;
  stop.type = LiveCommand::Type::stop;
  stop.ending = live::Ending::cadence;
  out.push_back(at(stop, std::max(sheet.duration_s, out.empty() ? 0.0 : *out.back().t)));
  return out;
}

}  // namespace tonepoem
