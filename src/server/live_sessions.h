// Live sessions of `tonepoem serve`: the live engine (src/live) driven over HTTP, so that the
// studio page (or any client) moves the music while it plays. A session is one threaded engine;
// its stream is raw PCM paced at real time, rendered on the thread of the one request reading it
// (the engine's audio thread); commands are the JSON objects `tonepoem live` reads.
//
//   POST   /api/live                 {"style", "seed", "valence", "arousal", "tension"} -> 201
//   GET    /api/live                 {"sessions": [status, ...]}
//   GET    /api/live/{id}            status
//   GET    /api/live/{id}/stream     s16le stereo at sample_rate, chunked, real time (one reader)
//   POST   /api/live/{id}/commands   one command object -> 202
//   DELETE /api/live/{id}            204
//
// Limits: at most `max_sessions` at once (503 beyond, with Retry-After); a session nobody has
// streamed or commanded for `idle_s` is closed, and every session after `max_s`.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace httplib {
class Server;
}

namespace tonepoem {

struct LiveSessionLimits {
  std::size_t max_sessions = 4;
  double idle_s = 60;    // closed after this long with no stream and no command
  double max_s = 3600;   // closed after this long whatever happens
  double lead_s = 0.25;  // the stream is rendered this far ahead of the wall clock
};

class LiveSessions {
 public:
  explicit LiveSessions(LiveSessionLimits limits = {});
  ~LiveSessions();
  LiveSessions(const LiveSessions&) = delete;
  LiveSessions& operator=(const LiveSessions&) = delete;

  // Registers the routes above.
  void add_routes(httplib::Server& http);
  // Closes every session: their streams end at their next block (before the server stops, which
  // waits for its requests).
  void close_all();

  struct Session;

 private:
  std::shared_ptr<Session> find(const std::string& id);
  void prune();

  LiveSessionLimits limits_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace tonepoem
