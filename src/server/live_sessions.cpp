#include "server/live_sessions.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emotion.h"
#include "core/error.h"
#include "live/commands.h"
#include "live/engine.h"
#include "music/compose.h"
#include "server/http_answers.h"
#include "server/job_queue.h"

namespace tonepoem {

using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr int kSampleRate = 48000;
constexpr std::size_t kBlock = 1024;  // frames per render call of a stream

}  // namespace

struct LiveSessions::Session {
  std::string id, style;
  std::uint64_t seed = 1;
  std::unique_ptr<live::Engine> engine;
  Clock::time_point created = Clock::now();

  std::mutex mutex;  // guards current and last_active
  Emotion current;
  Clock::time_point last_active = Clock::now();

  std::atomic<bool> streaming{false};
  std::atomic<bool> closed{false};

  void touch() {
    std::lock_guard lock(mutex);
    last_active = Clock::now();
  }

  nlohmann::json status() {
    const live::EngineStats stats = engine->stats();
    Emotion now;
    {
      std::lock_guard lock(mutex);
      now = current;
    }
    const std::string base = "/api/live/" + id;
    return {{"id", id},
            {"style", style.empty() ? "default" : style},
            {"seed", seed},
            {"sample_rate", kSampleRate},
            {"channels", 2},
            {"format", "s16le"},
            {"stream", base + "/stream"},
            {"commands", base + "/commands"},
            {"seconds", static_cast<double>(engine->frames_rendered()) / kSampleRate},
            {"changes", stats.transitions.size()},
            {"hits", stats.hits.size()},
            {"finished", engine->finished()},
            {"streaming", streaming.load()},
            {"valence", now.valence},
            {"arousal", now.arousal},
            {"tension", now.tension}};
  }
};

LiveSessions::LiveSessions(LiveSessionLimits limits) : limits_(limits) {}

LiveSessions::~LiveSessions() {
  close_all();
}

void LiveSessions::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& [id, session] : sessions_) session->closed = true;
  sessions_.clear();
}

std::shared_ptr<LiveSessions::Session> LiveSessions::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void LiveSessions::prune() {
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = *it->second;
    double idle = 0;
    {
      std::lock_guard session_lock(s.mutex);
      idle = seconds_since(s.last_active);
    }
    const bool expired = seconds_since(s.created) > limits_.max_s ||
                         (!s.streaming && idle > limits_.idle_s) || s.closed;
    if (expired) {
      s.closed = true;  // a stream still reading it ends at its next block
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {

// The options of a new session from the request body; problems name the field.
struct NewSession {
  std::string style;
  std::uint64_t seed = 1;
  Emotion start = Emotion::at(0.3, -0.2, 0.0);
};

NewSession parse_new_session(const std::string& body, OptionProblems& problems) {
  NewSession out;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return out;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    problems.push_back({"body", fmt::format("not JSON at byte {}: send a JSON object such as "
                                            "{{\"style\": \"piano\", \"valence\": 0.3}}",
                                            e.byte)});
    return out;
  }
  if (!j.is_object()) {
    problems.push_back({"body", "must be a JSON object"});
    return out;
  }
  const auto number = [&](const char* field, double lo, double hi, double& into) {
    if (!j.contains(field)) return;
    const auto& v = j[field];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo ||
        v.get<double>() > hi)
      problems.push_back({field, fmt::format("must be a number from {} to {}", lo, hi)});
    else
      into = v.get<double>();
  };
  for (const auto& [key, value] : j.items())
    if (key != "style" && key != "seed" && key != "valence" && key != "arousal" && key != "tension")
      problems.push_back({key,
                          "is not an option of a live session; accepted: style, seed, "
                          "valence, arousal, tension"});
  if (j.contains("style")) {
    if (!j["style"].is_string())
      problems.push_back({"style", "must be a string: " + style_problem("?")});
    else if (const std::string problem = style_problem(j["style"].get<std::string>());
             !problem.empty())
      problems.push_back({"style", problem});
    else
      out.style = j["style"].get<std::string>();
  }
  if (j.contains("seed")) {
    if (!j["seed"].is_number_unsigned())
      problems.push_back({"seed", "must be a whole number from 0 to 2^64 - 1"});
    else
      out.seed = j["seed"].get<std::uint64_t>();
  }
  double v = out.start.valence, a = out.start.arousal, t = out.start.tension;
  number("valence", -1, 1, v);
  number("arousal", -1, 1, a);
  number("tension", 0, 1, t);
  out.start = Emotion::at(v, a, t);
  return out;
}

}  // namespace

void LiveSessions::add_routes(httplib::Server& http) {
  const auto session_or_404 = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (!valid_job_id(id)) {
      send_error(res, 400, "the live session id is malformed",
                 {{"id", "must be 32 lowercase hex digits, as POST /api/live returned"}});
      return std::shared_ptr<Session>();
    }
    auto s = find(id);
    if (!s)
      send_error(res, 404,
                 fmt::format("no live session {} (it was deleted, or closed after {} s "
                             "without a stream or a command; POST /api/live starts one)",
                             id, limits_.idle_s));
    return s;
  };

  http.Post("/api/live", [this](const httplib::Request& req, httplib::Response& res) {
    prune();
    OptionProblems problems;
    const NewSession options = parse_new_session(req.body, problems);
    if (!problems.empty()) return send_error(res, 400, "invalid live session options", problems);
    {
      std::lock_guard lock(mutex_);
      if (sessions_.size() >= limits_.max_sessions) {
        res.set_header("Retry-After", "30");
        return send_error(res, 503,
                          fmt::format("{} live sessions are open, the most this server runs; "
                                      "stop one (DELETE /api/live/{{id}}) or try again later",
                                      limits_.max_sessions));
      }
    }
    auto session = std::make_shared<Session>();
    session->id = new_job_id();
    session->style = options.style;
    session->seed = options.seed;
    session->current = options.start;
    live::EngineOptions eo;
    eo.sample_rate = kSampleRate;
    eo.seed = options.seed;
    eo.style = options.style;
    eo.start = options.start;
    eo.threaded = true;
    try {
      session->engine = std::make_unique<live::Engine>(eo);
    } catch (const Error& e) {
      return send_error(res, e.code() == ExitCode::usage ? 400 : 500,
                        "the live engine could not start: " + e.describe());
    }
    {
      std::lock_guard lock(mutex_);
      sessions_[session->id] = session;
    }
    res.set_header("Location", "/api/live/" + session->id);
    send_json(res, 201, session->status());
  });

  http.Get("/api/live", [this](const httplib::Request&, httplib::Response& res) {
    prune();
    std::vector<std::shared_ptr<Session>> all;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, s] : sessions_) all.push_back(s);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : all) list.push_back(s->status());
    send_json(res, 200, {{"sessions", list}});
  });

  http.Get(R"(/api/live/([^/]+))",
           [this, session_or_404](const httplib::Request& req, httplib::Response& res) {
             prune();
             if (auto s = session_or_404(req, res)) send_json(res, 200, s->status());
           });

  http.Delete(R"(/api/live/([^/]+))",
              [this, session_or_404](const httplib::Request& req, httplib::Response& res) {
                auto s = session_or_404(req, res);
                if (!s) return;
                s->closed = true;
                prune();
                res.status = 204;
              });

  http.Post(R"(/api/live/([^/]+)/commands)", [session_or_404](const httplib::Request& req,
                                                              httplib::Response& res) {
    auto s = session_or_404(req, res);
    if (!s) return;
    s->touch();
    if (req.body.find('\n') != std::string::npos &&
        req.body.find_first_not_of(" \t\r\n", req.body.find('\n')) != std::string::npos)
      return send_error(res, 400, "one command per request",
                        {{"body", "send one JSON object, not several lines"}});
    live::ParsedLine parsed = live::parse_command_line(req.body, 1);
    for (std::string& w : parsed.warnings)
      if (w.rfind("line 1: ", 0) == 0) w.erase(0, 8);
    if (!parsed.command)
      return send_error(res, 400, "the command was not understood",
                        {{"body", parsed.warnings.empty()
                                      ? "is empty; send {\"valence\": V, \"arousal\": A, \"at\": "
                                        "\"beat\"}, {\"hit\": KIND}, {\"character\": NAME} or "
                                        "{\"stop\": true}"
                                      : parsed.warnings.front()}});
    const live::LiveCommand& c = *parsed.command;
    try {
      switch (c.type) {
        case live::LiveCommand::Type::emotion: {
          Emotion next;
          {
            std::lock_guard lock(s->mutex);
            next = Emotion::at(c.valence.value_or(s->current.valence),
                               c.arousal.value_or(s->current.arousal),
                               c.tension.value_or(s->current.tension));
          }
          s->engine->set_emotion(next, c.at);
          std::lock_guard lock(s->mutex);
          s->current = next;
          break;
        }
        case live::LiveCommand::Type::hit:
          s->engine->hit(c.text);
          break;
        case live::LiveCommand::Type::character:
          s->engine->set_character(c.text);
          break;
        case live::LiveCommand::Type::stop:
          s->engine->stop(c.ending);
          break;
        case live::LiveCommand::Type::caption:
          parsed.warnings.push_back(
              "a caption is shown by tonepoem live --read-along; "
              "here it changes nothing");
          break;
      }
    } catch (const live::CommandRefused& e) {
      const bool stopped = e.reason() == live::CommandRefused::Reason::stopped;
      if (!stopped) res.set_header("Retry-After", "1");
      return send_error(res, stopped ? 409 : 429, e.describe());
    } catch (const Error& e) {
      return send_error(res, 400, e.describe());
    }
    nlohmann::json body = s->status();
    body["warnings"] = parsed.warnings;
    send_json(res, 202, body);
  });

  http.Get(R"(/api/live/([^/]+)/stream)", [this, session_or_404](const httplib::Request& req,
                                                                 httplib::Response& res) {
    auto s = session_or_404(req, res);
    if (!s) return;
    if (s->streaming.exchange(true))
      return send_error(res, 409,
                        "this live session is already being streamed; one reader at a "
                        "time (close the other, or start another session)");
    s->touch();
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Sample-Rate", std::to_string(kSampleRate));
    res.set_header("X-Channels", "2");
    const double lead = limits_.lead_s, max_s = limits_.max_s;
    const Clock::time_point start = Clock::now();
    const std::int64_t first = s->engine->frames_rendered();
    auto pcm = std::make_shared<std::vector<float>>(2 * kBlock);
    auto out = std::make_shared<std::vector<std::int16_t>>(2 * kBlock);
    res.set_chunked_content_provider(
        "application/octet-stream",
        [s, start, first, lead, max_s, pcm, out](std::size_t, httplib::DataSink& sink) {
          if (s->closed || s->engine->finished() || seconds_since(s->created) > max_s) {
            sink.done();
            return true;
          }
          const auto target = first + static_cast<std::int64_t>((seconds_since(start) + lead) *
                                                                static_cast<double>(kSampleRate));
          if (s->engine->frames_rendered() >= target) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return true;
          }
          s->engine->render(pcm->data(), kBlock);
          for (std::size_t i = 0; i < pcm->size(); ++i)
            (*out)[i] = static_cast<std::int16_t>(
                std::lround(std::clamp((*pcm)[i], -1.0f, 1.0f) * 32767.0f));
          s->touch();
          // Little-endian on the machines this builds for (x86-64, arm64).
          return sink.write(reinterpret_cast<const char*>(out->data()),
                            out->size() * sizeof(std::int16_t));
        },
        [s](bool) {
          s->touch();
          s->streaming = false;
        });
  });
}

}  // namespace tonepoem
