// The live engine's C++ API (the C API in tonepoem_live.h wraps it): music composed a bar or two
// ahead from an emotion that changes while it plays. Threading rules as in tonepoem_live.h:
// render() is the audio thread's (no lock, no allocation); the setters may be called from any
// thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/emotion.h"
#include "core/error.h"

namespace tonepoem::live {

enum class At { beat, bar, phrase };
enum class Ending { cadence, now };
std::string_view at_name(At at);  // "beat", "bar", "phrase"

// A command the engine cannot take: after stop(), or with 256 commands already waiting.
class CommandRefused : public Error {
 public:
  enum class Reason { stopped, queue_full };
  CommandRefused(Reason reason, std::string what)
      : Error(ExitCode::usage, std::move(what)), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

struct EngineOptions {
  std::filesystem::path soundfont;  // empty: the installed General MIDI SoundFont
  int sample_rate = 48000;
  std::uint64_t seed = 1;
  std::string style;  // "" or "default"
  Emotion start = Emotion::at(0.3, -0.2, 0.0);
  // true: a composer thread keeps the look-ahead filled (real time). false: render() composes
  // when the look-ahead runs short, on the caller's thread (offline rendering; deterministic
  // whatever the machine's speed).
  bool threaded = true;
  double lookahead_s = 2.0;  // composed and queued ahead of the audio (at least a bar is kept)
  // Played note-ons remembered for tests and benchmarks (preallocated; 0: none).
  std::size_t note_log_capacity = 0;
  // Every call the audio thread makes into the synthesizer, remembered for the click check
  // (render_synth_calls; preallocated; 0: none).
  std::size_t call_log_capacity = 0;

  // Every problem, naming the field and the accepted range (empty: valid).
  std::vector<std::string> validate() const;
};

// A note the audio thread started.
struct PlayedNote {
  std::int64_t frame = 0;
  int channel = 0, key = 0, velocity = 0;
  std::uint32_t generation = 0;  // which composition it came from (0: the opening; +1 per change)
};

// One call the audio thread made into the synthesizer: a note-on or note-off, a program change or
// a controller, at the frame it was made (`scheduled`: the frame the composer asked for; the
// same unless the note reached the audio thread late).
struct SynthCall {
  enum class Kind : std::uint8_t { note_on, note_off, program, cc };
  std::int64_t frame = 0, scheduled = 0;
  Kind kind = Kind::note_on;
  std::uint8_t channel = 0, a = 0, b = 0;  // key and velocity; program; controller and value
};

// What the composer did with one command: when it was made and where its music starts.
struct Transition {
  std::int64_t command_frame = 0;
  std::int64_t change_frame = 0;  // first frame of the new music (a beat, bar line or phrase end)
  std::uint32_t generation = 0;
  At at = At::bar;
  double beat_s = 0;      // the beat playing when the command came (the one ending at the change)
  double compose_ms = 0;  // time to compose its music
};

// A hit the composer placed: where it was asked and the beat it plays on.
struct HitPlaced {
  std::int64_t command_frame = 0;
  std::int64_t hit_frame = 0;    // the first beat after the command (the new music's first beat)
  std::uint32_t generation = 0;  // the music composed around it
  double beat_s = 0;             // one beat of the music there
  std::string kind;
};

struct EngineStats {
  std::vector<double> compose_ms;          // every composition (changes and continuations)
  std::vector<double> compose_ms_per_bar;  // the same divided by the bars composed
  std::vector<std::int64_t> bar_frames;    // every bar line queued, ascending
  std::vector<Transition> transitions;
  std::vector<HitPlaced> hits;
  std::size_t late_events = 0;    // notes the audio thread got after their time (underruns)
  std::size_t dropped_notes = 0;  // notes refused because 512 were already sounding
  // The most voices FluidSynth counted active after a block (its polyphony is 128, engine.cpp).
  int peak_voices = 0;
};

class Engine {
 public:
  // Throws Error(usage) for invalid options, Error(missing_resource) for the SoundFont.
  explicit Engine(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Thread-safe. Values must be finite (else Error(usage)); they are clamped into range. Throw
  // CommandRefused after stop() or when 256 commands are already waiting.
  void set_emotion(const Emotion& emotion, At at);
  void set_character(const std::string& name);
  void hit(const std::string& kind);
  void stop(Ending ending);

  // The audio thread: `frames` stereo frames, interleaved, into `out`.
  void render(float* out, std::size_t frames) noexcept;

  bool finished() const { return finished_.load(std::memory_order_acquire); }
  std::int64_t frames_rendered() const { return rendered_.load(std::memory_order_acquire); }
  int sample_rate() const;

  // Waits until the composer has taken every command and filled the look-ahead from the current
  // frame (threaded engines; immediate otherwise). Tests and offline hosts use it to make a
  // threaded engine's output independent of scheduling.
  void sync();

  // The played notes so far (note_log_capacity of them at most). Not concurrently with render().
  std::vector<PlayedNote> played_notes() const;
  // The synthesizer calls so far (call_log_capacity of them at most). Not concurrently with
  // render().
  std::vector<SynthCall> synth_calls() const;
  EngineStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<std::int64_t> rendered_{0};
  std::atomic<bool> finished_{false};
};

// The offline render of the same notes: `calls` (ascending frames, as synth_calls() gives them)
// through a fresh synthesizer set up as an engine with `options` sets it up, as a plain sequencer
// plays a list of events, `frames` stereo frames handed to `sink` block by block. The baseline the
// live stream is checked against for clicks. Throws as the Engine does for the SoundFont.
void render_synth_calls(const std::vector<SynthCall>& calls, const EngineOptions& options,
                        std::int64_t frames,
                        const std::function<void(const float* stereo, std::size_t frames)>& sink);

}  // namespace tonepoem::live
