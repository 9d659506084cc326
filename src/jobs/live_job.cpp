#include "jobs/live_job.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>

#include <fmt/format.h>

#include "audio/audio.h"
#include "live/commands.h"
#include "model/audio.h"

namespace tonepoem {

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

constexpr std::size_t kBlock = 1024;

// Renders into `audio` (and `raw`) up to frame `until`.
class Renderer {
 public:
  Renderer(live::Engine& engine, std::ostream* raw, bool keep, const CancelToken& cancel)
      : engine_(engine), raw_(raw), keep_(keep), cancel_(cancel), block_(2 * kBlock) {}

  void to(std::int64_t until) {
    while (engine_.frames_rendered() < until) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(
          static_cast<std::int64_t>(kBlock), until - engine_.frames_rendered()));
      engine_.render(block_.data(), n);
      if (keep_) samples_.insert(samples_.end(), block_.begin(), block_.begin() + 2 * n);
      if (raw_) {
        raw_->write(reinterpret_cast<const char*>(block_.data()),
                    static_cast<std::streamsize>(2 * n * sizeof(float)));
        if (!*raw_)
          throw Error(ExitCode::output, "the audio stream could not be written", "-",
                      "check the program reading it");
      }
      cancel_.throw_if_cancelled();
    }
  }
  std::vector<float>& samples() { return samples_; }

 private:
  live::Engine& engine_;
  std::ostream* raw_;
  bool keep_;
  const CancelToken& cancel_;
  std::vector<float> block_, samples_;
};

}  // namespace

LiveJobResult run_live(const LiveJobOptions& options, std::istream& input, std::ostream* raw,
                       const std::function<void(const std::string&)>& warn, JobContext& context) {
  throw_if_invalid(options.validate());
  if (!options.output_name.empty()) context.outputs().check_writable();
  context.stage("start");
  live::EngineOptions eo;
  eo.soundfont = options.soundfont;
  eo.sample_rate = options.sample_rate;
  eo.seed = options.seed;
  eo.start = options.start.emotion();
  eo.threaded = false;  // offline: the same lines and seed, the same audio
  live::Engine engine(eo);
  Emotion current = eo.start.clamped();
  const double rate = options.sample_rate;
  const auto limit = static_cast<std::int64_t>(std::llround(options.max_duration_s * rate));

  LiveJobResult result;
  auto warning = [&](const std::string& text) {
    ++result.warnings;
    if (warn) warn(text);
  };
  context.stage("render");
  Renderer renderer(engine, options.output_name.empty() ? raw : nullptr,
                    !options.output_name.empty(), context.cancel());
  bool stopped = false;
  std::string line;
  std::size_t number = 0;
  while (!stopped && std::getline(input, line)) {
    ++number;
    live::ParsedLine parsed = live::parse_command_line(line, number);
    for (const std::string& w : parsed.warnings) warning(w);
    if (!parsed.command) continue;
    const live::LiveCommand& c = *parsed.command;
    if (c.t) {
      const auto frame = static_cast<std::int64_t>(std::llround(*c.t * rate));
      if (frame >= limit) {
        warning(
            fmt::format("line {}: t {} is past the maximum duration ({} s); the input ends here",
                        number, *c.t, options.max_duration_s));
        break;
      }
      if (frame < engine.frames_rendered())
        warning(
            fmt::format("line {}: t {} is earlier than the previous command ({:.3f} s); made "
                        "at {:.3f} s",
                        number, *c.t, static_cast<double>(engine.frames_rendered()) / rate,
                        static_cast<double>(engine.frames_rendered()) / rate));
      renderer.to(frame);
    }
    try {
      switch (c.type) {
        case live::LiveCommand::Type::emotion:
          current =
              Emotion::at(c.valence.value_or(current.valence), c.arousal.value_or(current.arousal),
                          c.tension.value_or(current.tension));
          engine.set_emotion(current, c.at);
          break;
        case live::LiveCommand::Type::hit:
          engine.hit(c.text);
          break;
        case live::LiveCommand::Type::character:
          engine.set_character(c.text);
          break;
        case live::LiveCommand::Type::stop:
          engine.stop(c.ending);
          stopped = true;
          break;
      }
    } catch (const live::CommandRefused& e) {
      warning(fmt::format("line {}: {}; skipped", number, e.what()));
      continue;
    }
    ++result.commands;
  }
  if (!stopped) engine.stop(live::Ending::cadence);
  while (!engine.finished() && engine.frames_rendered() < limit)
    renderer.to(std::min(limit, engine.frames_rendered() + static_cast<std::int64_t>(rate)));
  if (!engine.finished())
    warning(
        fmt::format("the music was cut at the maximum duration ({} s)", options.max_duration_s));
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
