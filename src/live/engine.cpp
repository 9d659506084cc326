// The live engine: a composer side (commands, segments of composed Score, the look-ahead) and an
// audio side (render: FluidSynth fed from lock-free queues). They share only the queues below
// and a few atomics.
//
// The composer keeps a list of segments, each a range of one composed Score placed at a frame.
// It queues their notes bar by bar up to the look-ahead. A change composes a new segment that
// starts at the next beat, bar line or phrase end (S), and publishes a "cut": notes of earlier
// generations starting at or after S are dropped by the audio thread when it meets them (notes
// already sounding ring to their end). A segment's Score always has a tail section after the part
// that is played, so the played part ends on a phrase cadence without the final ritardando; the
// next segment (a continuation) is composed in a key near the last one.

#include "live/engine.h"

#include <fluidsynth.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/error.h"
#include "model/cue_sheet.h"
#include "model/score.h"
#include "music/compose.h"

namespace tonepoem::live {

std::string_view at_name(At at) {
  switch (at) {
    case At::beat:
      return "beat";
    case At::bar:
      return "bar";
    case At::phrase:
      return "phrase";
  }
  return "bar";
}

std::vector<std::string> EngineOptions::validate() const {
  std::vector<std::string> out;
  if (sample_rate < 8000 || sample_rate > 192000)
    out.push_back(fmt::format("sample_rate: {} is outside 8000 .. 192000", sample_rate));
  if (!is_music_style(style)) out.push_back("style: " + style_problem(style));
  if (!(lookahead_s >= 0.05 && lookahead_s <= 30))
    out.push_back(fmt::format("lookahead_s: {} is outside 0.05 .. 30", lookahead_s));
  const Emotion& e = start;
  if (!std::isfinite(e.valence) || !std::isfinite(e.arousal) || !std::isfinite(e.tension))
    out.push_back("start: the opening emotion must be finite numbers");
  return out;
}

namespace {

// ------------------------------------------------------------------- the lock-free hand-off

// Single producer (the composer), single consumer (the audio thread); a power-of-two capacity
// fixed at construction. push and peek/pop never allocate, lock or wait.
template <typename T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity) : buffer_(capacity), mask_(capacity - 1) {}
  std::size_t free_space() const {
    return buffer_.size() -
           (head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire));
  }
  bool push(const T& value) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == buffer_.size()) return false;
    buffer_[head & mask_] = value;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  const T* peek() const {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return nullptr;
    return &buffer_[tail & mask_];
  }
  void pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

 private:
  std::vector<T> buffer_;
  std::size_t mask_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

enum class Kind : std::uint8_t { note, program, cc, all_off, end };

struct Event {
  std::int64_t frame = 0;
  std::int64_t off = 0;  // notes: the frame of the note-off
  std::uint32_t generation = 0;
  Kind kind = Kind::note;
  std::uint8_t channel = 0, a = 0, b = 0;  // note: key, velocity; program: program; cc: cc, value
};

struct Cut {
  std::uint32_t generation = 0;  // events of earlier generations ...
  std::int64_t frame = 0;        // ... at or after this frame are dropped
};

constexpr std::uint32_t kAlways = std::numeric_limits<std::uint32_t>::max();  // hits
constexpr std::size_t kGenerations = 64;  // cuts remembered (generations alive at once)
constexpr std::size_t kMaxSounding = 512;
constexpr std::size_t kMaxCommands = 256;
constexpr int kDrumChannel = 9;
constexpr int kPolyphony = 128;

void init_fluidsynth_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int level = FLUID_PANIC; level < LAST_LOG_LEVEL; ++level)
      fluid_set_log_function(level, nullptr, nullptr);
    if (fluid_settings_t* settings = new_fluid_settings()) {
      if (fluid_synth_t* synth = new_fluid_synth(settings)) delete_fluid_synth(synth);
      delete_fluid_settings(settings);
    }
  });
}

// The synthesizer an engine plays through: FluidSynth at the engine's rate with the SoundFont
// loaded whole into memory (so a SoundFont file that vanishes while the music plays changes
// nothing) and the drum kit on channel 10.
struct OwnedSynth {
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* synth = nullptr;
  OwnedSynth(const std::filesystem::path& requested, int sample_rate) {
    const std::filesystem::path sf = find_soundfont(requested);
    init_fluidsynth_once();
    settings = new_fluid_settings();
    if (!settings) throw Error(ExitCode::internal, "FluidSynth settings could not be created");
    fluid_settings_setnum(settings, "synth.sample-rate", sample_rate);
    // Voices, not notes: a stereo sample is two. 128 leave room for eight parts with their
    // release tails, and bound the render of one block: on a 2-core machine a block of 200
    // voices took 4.5 ms of a 256-frame block's 5.3. Past it the quietest released voice goes.
    fluid_settings_setint(settings, "synth.polyphony", kPolyphony);
    fluid_settings_setint(settings, "synth.threadsafe-api", 0);
    fluid_settings_setint(settings, "synth.dynamic-sample-loading", 0);
    fluid_settings_setnum(settings, "synth.gain", 0.4);
    synth = new_fluid_synth(settings);
    if (!synth) {
      delete_fluid_settings(settings);
      throw Error(ExitCode::internal, "FluidSynth could not be started");
    }
    if (fluid_synth_sfload(synth, sf.string().c_str(), 1) == FLUID_FAILED) {
      delete_fluid_synth(synth);
      delete_fluid_settings(settings);
      throw Error(ExitCode::missing_resource, "the SoundFont could not be loaded", sf.string(),
                  "give a General MIDI SoundFont 2 file (.sf2)");
    }
    fluid_synth_set_channel_type(synth, kDrumChannel, CHANNEL_TYPE_DRUM);
    fluid_synth_bank_select(synth, kDrumChannel, 128);
    fluid_synth_program_change(synth, kDrumChannel, 0);
  }
  ~OwnedSynth() {
    delete_fluid_synth(synth);
    delete_fluid_settings(settings);
  }
  OwnedSynth(const OwnedSynth&) = delete;
  OwnedSynth& operator=(const OwnedSynth&) = delete;
};

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t counter) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (counter + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z == 0 ? 1 : z;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// ------------------------------------------------------------------------------ the composer

struct SegNote {
  std::int64_t tick, end;
  int channel, key, velocity;
};

// A played range of one composed Score, placed at a frame.
struct Segment {
  Score score;
  std::int64_t from_tick = 0, to_tick = 0;  // the part that plays
  std::int64_t start_frame = 0;             // frame of from_tick
  double start_s = 0;
  int sample_rate = 48000;
  std::uint32_t generation = 0;
  bool final = false;  // the ending: played to the Score's end, then the engine finishes
  Emotion emotion;
  std::vector<SegNote> notes;             // sorted by tick
  std::size_t next_note = 0;              // first note not queued
  std::int64_t queued_tick = 0;           // queued up to here
  std::vector<std::int64_t> bars;         // bar lines in [from_tick, to_tick)
  std::vector<std::int64_t> phrase_ends;  // cadence ends in (from_tick, to_tick]
  // Per channel, the frame after the last note-on planned before this segment: from there on a
  // program change for this segment touches no note of the music before it.
  std::array<std::int64_t, 16> channel_free_from{};

  std::int64_t frame_at(std::int64_t tick) const {
    return start_frame +
           std::llround((score.seconds_at(tick) - start_s) * static_cast<double>(sample_rate));
  }
  std::int64_t end_frame() const { return frame_at(to_tick); }
  int beats_at(std::int64_t tick) const {
    int beats = 4;
    for (const auto& s : score.sections)
      if (s.start_tick <= tick) beats = s.beats_per_bar;
    return beats;
  }
  KeyEvent key_at(std::int64_t tick) const {
    KeyEvent k = score.keys.empty() ? KeyEvent{} : score.keys.front();
    for (const KeyEvent& e : score.keys)
      if (e.tick <= tick) k = e;
    return k;
  }
  double bpm_at(std::int64_t tick) const {
    double bpm = 120;
    for (const TempoEvent& t : score.tempo)
      if (t.tick <= tick) bpm = t.bpm;
    return bpm;
  }
};

struct Command {
  enum class Type { emotion, character, hit, stop } type = Type::emotion;
  Emotion emotion;
  At at = At::bar;
  std::string text;
  Ending ending = Ending::cadence;
  std::int64_t frame = 0;
};

}  // namespace

struct Engine::Impl {
  Engine* self = nullptr;
  EngineOptions options;
  int sr = 48000;

  // ---- shared with the audio thread
  SpscRing<Event> events{1 << 15};
  SpscRing<Event> hits{1 << 10};
  // Program changes made ahead of their segment (see queue_programs), in frame order.
  SpscRing<Event> programs_ahead{1 << 8};
  SpscRing<Cut> cuts{1 << 8};
  std::atomic<std::size_t> late{0}, dropped{0};
  std::atomic<int> peak_voices{0};
  std::vector<PlayedNote> note_log;
  std::atomic<std::size_t> note_count{0};
  std::vector<SynthCall> call_log;
  std::atomic<std::size_t> call_count{0};

  // ---- audio thread only
  std::unique_ptr<OwnedSynth> owned;
  fluid_synth_t* synth = nullptr;
  std::array<std::int64_t, kGenerations> until{};
  std::uint32_t latest_generation = 0;
  std::atomic<std::uint32_t> seen_generation{0};  // latest_generation, for the composer
  struct Sounding {
    std::int64_t off;
    int channel, key;
  };
  std::array<Sounding, kMaxSounding> sounding{};
  std::size_t sounding_count = 0;
  // What each channel is set to, plus one (0: not set yet), so that a program or controller
  // change that changes nothing is not made: every new segment repeats every part's, and a
  // program change looks the preset up in the SoundFont, which costs up to half a millisecond
  // when the audio thread wakes with cold caches.
  std::array<std::uint8_t, 16> program_set{};
  std::array<std::array<std::uint8_t, 128>, 16> cc_set{};

  // ---- the composer (worker thread, or render() when not threaded)
  std::mutex command_mutex;
  std::condition_variable command_cv;
  std::deque<Command> commands;
  bool stopping = false;     // a stop command was accepted (under command_mutex)
  bool quit = false;         // the worker should exit (under command_mutex)
  std::uint64_t pass = 0;    // worker passes completed (under command_mutex)
  int sync_waiting = 0;      // callers of sync() waiting (under command_mutex)
  std::size_t deferred = 0;  // commands put back until the audio thread catches up (same)
  std::condition_variable pass_cv;
  std::thread worker;

  std::deque<Segment> segments;
  std::uint32_t generation = 0;
  Emotion emotion;
  std::string character;
  bool ended = false;               // no more music will be composed
  std::int64_t earliest_frame = 0;  // the earliest frame an event pushed now can still be played at
  std::int64_t next_program_frame = 0;  // programs_ahead's next free frame (it is in frame order)
  std::array<std::int64_t, 16> pickup_free_from{};  // as channel_free_from, for stinger pickups
  bool end_queued = false;
  // A change may not land inside the block the audio thread is rendering: it lands at least the
  // largest block the host has asked for, plus a little for the composer to publish it, after the
  // rendered position (1024 frames until the first block; none offline, where render() composes).
  std::atomic<std::int64_t> largest_block{0};
  std::int64_t horizon_margin() const {
    if (!options.threaded) return 0;
    const std::int64_t block = largest_block.load(std::memory_order_relaxed);
    return block == 0 ? 1024 : block + 128;
  }

  mutable std::mutex stats_mutex;
  EngineStats stats;

  // =============================================================================== audio side

  void drain_cuts() {
    while (const Cut* c = cuts.peek()) {
      for (std::uint32_t k = 1; k < kGenerations && k <= c->generation; ++k) {
        std::int64_t& u = until[(c->generation - k) % kGenerations];
        u = std::min(u, c->frame);
      }
      until[c->generation % kGenerations] = std::numeric_limits<std::int64_t>::max();
      latest_generation = std::max(latest_generation, c->generation);
      seen_generation.store(latest_generation, std::memory_order_release);
      cuts.pop();
    }
  }

  bool is_cut(const Event& e) const {
    if (e.generation == kAlways || e.kind == Kind::end || e.kind == Kind::all_off) return false;
    return e.frame >= until[e.generation % kGenerations];
  }

  void log_call(std::int64_t now, std::int64_t scheduled, SynthCall::Kind kind, int channel, int a,
                int b) {
    const std::size_t n = call_count.load(std::memory_order_relaxed);
    if (n >= call_log.size()) return;
    call_log[n] = {now,
                   scheduled,
                   kind,
                   static_cast<std::uint8_t>(channel),
                   static_cast<std::uint8_t>(a),
                   static_cast<std::uint8_t>(b)};
    call_count.store(n + 1, std::memory_order_release);
  }

  void release(std::size_t i, std::int64_t now) {
    fluid_synth_noteoff(synth, sounding[i].channel, sounding[i].key);
    log_call(now, sounding[i].off, SynthCall::Kind::note_off, sounding[i].channel, sounding[i].key,
             0);
    sounding[i] = sounding[--sounding_count];
  }

  void play(const Event& e, std::int64_t now, std::int64_t block_start) {
    if (e.frame < block_start) late.fetch_add(1, std::memory_order_relaxed);
    switch (e.kind) {
      case Kind::note: {
        for (std::size_t i = 0; i < sounding_count; ++i)
          if (sounding[i].channel == e.channel && sounding[i].key == e.a) {
            release(i, now);
            break;
          }
        if (sounding_count == kMaxSounding) {
          dropped.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        fluid_synth_noteon(synth, e.channel, e.a, e.b);
        log_call(now, e.frame, SynthCall::Kind::note_on, e.channel, e.a, e.b);
        sounding[sounding_count++] = {e.off, e.channel, e.a};
        const std::size_t n = note_count.load(std::memory_order_relaxed);
        if (n < note_log.size()) {
          note_log[n] = {e.frame, e.channel, e.a, e.b, e.generation};
          note_count.store(n + 1, std::memory_order_release);
        }
        break;
      }
      case Kind::program:
        if (program_set[e.channel & 15] == e.a + 1) break;
        program_set[e.channel & 15] = static_cast<std::uint8_t>(e.a + 1);
        fluid_synth_program_change(synth, e.channel, e.a);
        log_call(now, e.frame, SynthCall::Kind::program, e.channel, e.a, 0);
        break;
      case Kind::cc:
        if (cc_set[e.channel & 15][e.a & 127] == e.b + 1) break;
        cc_set[e.channel & 15][e.a & 127] = static_cast<std::uint8_t>(e.b + 1);
        fluid_synth_cc(synth, e.channel, e.a, e.b);
        log_call(now, e.frame, SynthCall::Kind::cc, e.channel, e.a, e.b);
        break;
      case Kind::all_off:
        while (sounding_count > 0) release(sounding_count - 1, now);
        break;
      case Kind::end:
        self->finished_.store(true, std::memory_order_release);
        break;
    }
  }

  // Plays everything due at `now` and returns the frame of the next thing due.
  std::int64_t play_due(std::int64_t now, std::int64_t block_start) {
    std::int64_t next = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < sounding_count;) {
      if (sounding[i].off <= now) {
        release(i, now);
        continue;
      }
      next = std::min(next, sounding[i].off);
      ++i;
    }
    for (SpscRing<Event>* q : {&events, &hits, &programs_ahead}) {
      while (const Event* e = q->peek()) {
        if (e->generation != kAlways && e->generation > latest_generation) drain_cuts();
        if (is_cut(*e)) {
          q->pop();
          continue;
        }
        if (e->frame > now) {
          next = std::min(next, e->frame);
          break;
        }
        const Event copy = *e;
        q->pop();
        play(copy, now, block_start);
        if (copy.kind == Kind::note) next = std::min(next, copy.off);
      }
    }
    return next;
  }

  void render(float* out, std::size_t frames) noexcept {
    const std::int64_t pos = self->rendered_.load(std::memory_order_relaxed);
    if (static_cast<std::int64_t>(frames) > largest_block.load(std::memory_order_relaxed))
      largest_block.store(static_cast<std::int64_t>(frames), std::memory_order_relaxed);
    drain_cuts();
    std::size_t done = 0;
    while (done < frames) {
      const std::int64_t now = pos + static_cast<std::int64_t>(done);
      const std::int64_t next = play_due(now, pos);
      const std::size_t len = static_cast<std::size_t>(
          std::clamp<std::int64_t>(next - now, 1, static_cast<std::int64_t>(frames - done)));
      float* base = out + 2 * done;
      fluid_synth_write_float(synth, static_cast<int>(len), base, 0, 2, base, 1, 2);
      done += len;
    }
    const int voices = fluid_synth_get_active_voice_count(synth);
    if (voices > peak_voices.load(std::memory_order_relaxed))
      peak_voices.store(voices, std::memory_order_relaxed);
    self->rendered_.store(pos + static_cast<std::int64_t>(frames), std::memory_order_release);
  }

  // ============================================================================ composer side

  // What a new segment continues: the key, tempo and loudness of the music playing where it
  // starts, and a hit point on its first beat.
  struct Continuation {
    const KeyEvent* key = nullptr;  // none: the opening
    double bpm = 0;                 // 0: no tempo ramp in
    int velocity = -1;              // -1: no swell in
    std::string hit;                // "": none
  };

  // The continuation of segment `i` at `tick`: its key, tempo and loudness there.
  Continuation continuing(std::size_t i, std::int64_t tick, const KeyEvent& key) const {
    const Segment& s = segments[i];
    MusicParams p = map_emotion(s.emotion);
    apply_style(options.style, p);
    return {&key, s.bpm_at(tick), p.velocity, {}};
  }

  // Composes `cues` (emotion, seconds) plus a tail, placed so that tick 0 sounds at `frame`;
  // the first `played` cues play.
  Segment compose_segment(const std::vector<std::pair<Emotion, double>>& cues, std::size_t played,
                          bool with_tail, std::int64_t frame, const Continuation& from) {
    const auto t0 = std::chrono::steady_clock::now();
    CueSheet sheet;
    sheet.title = "live";
    // From where and in which generation it starts, never from how many were composed before, so
    // the music does not depend on when the look-ahead was filled.
    sheet.seed = mix_seed(options.seed, static_cast<std::uint64_t>(frame) ^
                                            (static_cast<std::uint64_t>(generation) << 44));
    double t = 0;
    auto add = [&](const Emotion& e, double seconds) {
      Cue cue;
      cue.name = fmt::format("Live {}", sheet.cues.size() + 1);
      cue.start_s = t;
      cue.end_s = t + seconds;
      cue.target = e;
      if (!character.empty()) cue.characters.push_back(character);
      sheet.cues.push_back(cue);
      t += seconds;
    };
    for (const auto& [e, seconds] : cues) add(e, seconds);
    if (with_tail) add(cues.back().first, 6.0);
    sheet.duration_s = t;
    // The offline composer's hit machinery, on the segment's first beat.
    if (!from.hit.empty()) sheet.hits.push_back({0.0, from.hit, ""});
    ComposeOptions co;
    co.style = options.style;
    if (from.key) {
      co.previous_tonic = from.key->tonic;
      co.previous_mode = from.key->mode;
    }
    co.previous_tempo_bpm = from.bpm;
    co.previous_velocity = from.velocity;
    Segment seg;
    seg.score = compose(sheet, co);
    seg.sample_rate = sr;
    seg.emotion = cues.back().first;
    seg.from_tick = 0;
    const std::size_t last = std::min(played, seg.score.sections.size()) - 1;
    seg.to_tick = with_tail ? seg.score.sections[last].end_tick : seg.score.end_tick;
    seg.start_frame = frame;
    seg.start_s = 0;
    seg.channel_free_from = pickup_free_from;
    for (const Segment& before : segments)
      for (const SegNote& n : before.notes)
        if (n.tick >= before.from_tick && n.tick < before.to_tick) {
          std::int64_t& free = seg.channel_free_from[n.channel & 15];
          free = std::max(free, before.frame_at(n.tick) + 1);
        }
    seg.generation = generation;
    seg.queued_tick = seg.from_tick;
    for (const Track& track : seg.score.tracks)
      for (const Note& n : track.notes)
        if (n.tick >= seg.from_tick && n.tick < seg.to_tick)
          seg.notes.push_back({n.tick, n.tick + n.duration, track.channel, n.pitch, n.velocity});
    std::stable_sort(seg.notes.begin(), seg.notes.end(), [](const SegNote& a, const SegNote& b) {
      return a.tick != b.tick ? a.tick < b.tick : a.channel < b.channel;
    });
    for (const ScoreSection& s : seg.score.sections) {
      const std::int64_t bar = static_cast<std::int64_t>(s.beats_per_bar) * seg.score.ppq;
      for (std::int64_t tick = s.start_tick; tick < s.end_tick && tick < seg.to_tick; tick += bar)
        if (tick >= seg.from_tick) seg.bars.push_back(tick);
    }
    for (const ChordEvent& c : seg.score.chords)
      if (!c.cadence.empty() && c.tick + c.duration > seg.from_tick &&
          c.tick + c.duration <= seg.to_tick)
        seg.phrase_ends.push_back(c.tick + c.duration);
    const double ms = ms_since(t0);
    const double bars = std::max<double>(1.0, static_cast<double>(seg.bars.size()));
    std::lock_guard lock(stats_mutex);
    stats.compose_ms.push_back(ms);
    stats.compose_ms_per_bar.push_back(ms / bars);
    return seg;
  }

  // Seconds of `bars` bars of an emotion at its own tempo.
  static double bars_seconds(const Emotion& e, int bars) {
    const MusicParams p = map_emotion(e);
    return bars * p.beats_per_bar * 60.0 / p.tempo_bpm;
  }

  // A grid point at or after `threshold`: the segment it falls in and its tick.
  struct GridPoint {
    std::size_t segment = 0;
    std::int64_t tick = 0, frame = 0;
    bool found = false;
  };
  GridPoint next_point(At at, std::int64_t threshold, int bars_before = 0) const {
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& s = segments[i];
      std::vector<std::int64_t> ticks;
      if (at == At::beat) {
        for (std::int64_t t = s.from_tick; t < s.to_tick; t += s.score.ppq) ticks.push_back(t);
      } else if (at == At::bar) {
        ticks = s.bars;
      } else {
        // Phrase: the bar `bars_before` bars before each phrase end (where a bridge starts).
        for (std::int64_t end : s.phrase_ends) {
          const std::int64_t t =
              end - static_cast<std::int64_t>(bars_before) * s.beats_at(end - 1) * s.score.ppq;
          if (t >= s.from_tick) ticks.push_back(t);
        }
      }
      for (std::int64_t t : ticks) {
        const std::int64_t f = s.frame_at(t);
        if (f >= threshold) return {i, t, f, true};
      }
    }
    return {};
  }

  // Seconds of the beat that ends at `p`: the beat playing when a command that lands there was
  // made (the tempo may be easing in, so the beat at `p` can be shorter).
  double beat_before(const GridPoint& p) const {
    const Segment& s = segments[p.segment];
    if (p.tick > s.from_tick) return 60.0 / s.bpm_at(p.tick - 1);
    if (p.segment > 0) {
      const Segment& before = segments[p.segment - 1];
      return 60.0 / before.bpm_at(before.to_tick - 1);
    }
    return 60.0 / s.bpm_at(p.tick);
  }

  // Appends a continuation in the last segment's emotion, in a key near the one it ends in.
  void extend() {
    const Segment& s = segments.back();
    const KeyEvent key = s.key_at(s.to_tick - 1);
    const Emotion e = s.emotion;
    const std::int64_t frame = s.end_frame();
    segments.push_back(compose_segment({{e, bars_seconds(e, 16)}}, 1, true, frame,
                                       continuing(segments.size() - 1, s.to_tick - 1, key)));
  }

  // The next grid point, composing continuations until one is planned there.
  GridPoint find_point(At at, std::int64_t threshold, int bars_before = 0) {
    for (int tries = 0; tries < 8 && !segments.empty(); ++tries) {
      const GridPoint p = next_point(at, threshold, bars_before);
      if (p.found) return p;
      if (segments.back().final) break;
      extend();
    }
    return {};
  }

  // Drops what is planned from `p` on and publishes the cut for a new generation.
  void cut_at(const GridPoint& p) {
    segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(p.segment) + 1, segments.end());
    Segment& s = segments[p.segment];
    s.to_tick = p.tick;
    s.queued_tick = std::min(s.queued_tick, s.to_tick);
    s.final = false;
    if (s.to_tick <= s.from_tick)
      segments.erase(segments.begin() + static_cast<std::ptrdiff_t>(p.segment));
    ++generation;
    while (!cuts.push(Cut{generation, p.frame}))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  void record(const Command& c, const GridPoint& p, double beat_s, double ms) {
    std::lock_guard lock(stats_mutex);
    stats.transitions.push_back({c.frame, p.frame, generation, c.at, beat_s, ms});
  }

  void apply(const Command& c, std::int64_t audio_pos) {
    if (ended) return;
    const std::int64_t threshold = std::max(c.frame, audio_pos + horizon_margin());
    const auto t0 = std::chrono::steady_clock::now();
    switch (c.type) {
      case Command::Type::emotion:
      case Command::Type::character: {
        const Emotion next = c.type == Command::Type::emotion ? c.emotion : emotion;
        if (c.type == Command::Type::character) character = c.text;
        const At at = c.type == Command::Type::character ? At::bar : c.at;
        const GridPoint p = find_point(at, threshold, at == At::phrase ? 2 : 0);
        if (!p.found) return;
        const KeyEvent key = segments[p.segment].key_at(p.tick);
        const Emotion before = segments[p.segment].emotion;
        const double beat_s = beat_before(p);
        // At a beat or bar the new music eases in from the tempo and loudness playing; at a
        // phrase the bridge in the old emotion ramps into it.
        Continuation from = continuing(p.segment, p.tick, key);
        cut_at(p);
        std::vector<std::pair<Emotion, double>> cues;
        if (at == At::phrase) cues.emplace_back(before, bars_seconds(before, 2));  // the bridge
        cues.emplace_back(next, bars_seconds(next, 16));
        segments.push_back(compose_segment(cues, cues.size(), true, p.frame, from));
        emotion = next;
        record(c, p, beat_s, ms_since(t0));
        break;
      }
      case Command::Type::hit: {
        // The music from the next beat is composed again in the same emotion with the hit point
        // on its first beat: the offline composer's accent, stinger, silence or held chord, and
        // a new phrase after it.
        const GridPoint p = find_point(At::beat, threshold);
        if (!p.found) return;
        const KeyEvent key = segments[p.segment].key_at(p.tick);
        Continuation from = continuing(p.segment, p.tick, key);
        from.hit = c.text.empty() ? "accent" : c.text;
        const std::int64_t beat =
            segments[p.segment].frame_at(p.tick + segments[p.segment].score.ppq) - p.frame;
        const std::int64_t audio_now = audio_pos + horizon_margin();
        cut_at(p);
        segments.push_back(
            compose_segment({{emotion, bars_seconds(emotion, 16)}}, 1, true, p.frame, from));
        const HitKind kind = hit_kind(from.hit);
        if (kind == HitKind::stinger) queue_pickup(segments.back(), p.frame, beat, audio_now);
        // A drop to silence: what the old music still had sounding stops too.
        if (kind == HitKind::silence) push_event({p.frame, 0, generation, Kind::all_off, 0, 0, 0});
        {
          std::lock_guard lock(stats_mutex);
          stats.hits.push_back({c.frame, p.frame, generation,
                                static_cast<double>(beat) / static_cast<double>(sr), from.hit});
        }
        break;
      }
      case Command::Type::stop: {
        const GridPoint p = find_point(c.ending == Ending::now ? At::beat : At::bar, threshold);
        if (!p.found) return;
        const KeyEvent key = segments[p.segment].key_at(p.tick);
        const double beat_s = beat_before(p);
        const Continuation from = continuing(p.segment, p.tick, key);
        cut_at(p);
        if (c.ending == Ending::cadence) {
          Segment end =
              compose_segment({{emotion, bars_seconds(emotion, 2)}}, 1, false, p.frame, from);
          end.final = true;
          segments.push_back(std::move(end));
        } else {
          segments.clear();
          push_event({p.frame, 0, generation, Kind::all_off, 0, 0, 0});
          push_event({p.frame + 2 * sr, 0, generation, Kind::end, 0, 0, 0});
          end_queued = true;
        }
        ended = true;
        record(c, p, beat_s, ms_since(t0));
        break;
      }
    }
  }

  // A stinger's pickup: three rising sixteenths on the melody's channel into the hit, above the
  // chord it strikes (the offline composer writes them in the bar before; here that bar is
  // already queued). Those that would sound before `earliest` are left out.
  void queue_pickup(Segment& s, std::int64_t hit_frame, std::int64_t beat, std::int64_t earliest) {
    int top = -1, channel = 0, velocity = 100;
    for (const SegNote& n : s.notes) {
      if (n.tick > 0) break;
      if (n.channel != kDrumChannel && n.key > top) {
        top = n.key;
        channel = n.channel;
        velocity = n.velocity;
      }
    }
    if (top < 0) return;
    for (int k = 0; k < 3; ++k) {
      const std::int64_t at = hit_frame - (3 - k) * beat / 4;
      if (at < earliest) continue;
      pickup_free_from[channel & 15] = std::max(pickup_free_from[channel & 15], at + 1);
      s.channel_free_from[channel & 15] = std::max(s.channel_free_from[channel & 15], at + 1);
      hits.push(Event{at, at + beat / 4, kAlways, Kind::note, static_cast<std::uint8_t>(channel),
                      static_cast<std::uint8_t>(std::clamp(top + 9 + k, 0, 127)),
                      static_cast<std::uint8_t>(std::clamp(velocity - 20 + 5 * k, 1, 127))});
    }
  }

  void push_event(const Event& e) {
    while (!events.push(e)) {
      if (!options.threaded) return;  // cannot happen offline: the look-ahead is bounded
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Queues the segment's program changes. A program change looks its preset up in the
  // SoundFont, up to half a millisecond when the audio thread wakes with cold caches, and a new
  // segment starts with a burst of note-ons: so each is made ahead of the segment, one audio
  // block apart, where that frame is after the last note-on the channel plays before the
  // segment (voices already sounding keep their instrument). Where there is no room, at the start.
  void queue_programs(const Segment& s) {
    const std::int64_t spacing =
        std::max<std::int64_t>(256, largest_block.load(std::memory_order_relaxed));
    std::vector<std::pair<std::int64_t, const Track*>> ahead;
    for (const Track& track : s.score.tracks)
      if (track.channel != kDrumChannel)
        ahead.emplace_back(std::max(s.channel_free_from[track.channel & 15], earliest_frame),
                           &track);
    std::stable_sort(ahead.begin(), ahead.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [free, track] : ahead) {
      const Event e{std::max(free, next_program_frame),
                    0,
                    s.generation,
                    Kind::program,
                    static_cast<std::uint8_t>(track->channel),
                    static_cast<std::uint8_t>(std::clamp(track->program, 0, 127)),
                    0};
      if (e.frame < s.start_frame && programs_ahead.push(e)) {
        next_program_frame = e.frame + spacing;
      } else {
        push_event({s.start_frame, 0, s.generation, Kind::program, e.channel, e.a, 0});
      }
    }
  }

  // Queues one bar (or the rest of the segment) of the front segment.
  void queue_bar(Segment& s) {
    if (s.queued_tick == s.from_tick) {
      queue_programs(s);
      for (const Track& track : s.score.tracks) {
        const auto ch = static_cast<std::uint8_t>(track.channel);
        push_event({s.start_frame, 0, s.generation, Kind::cc, ch, 7,
                    static_cast<std::uint8_t>(
                        std::lround(127 * std::sqrt(std::clamp(track.gain, 0.0, 1.0))))});
        push_event(
            {s.start_frame, 0, s.generation, Kind::cc, ch, 10,
             static_cast<std::uint8_t>(std::lround(64 + 63 * std::clamp(track.pan, -1.0, 1.0)))});
      }
    }
    auto it = std::upper_bound(s.bars.begin(), s.bars.end(), s.queued_tick);
    const std::int64_t bar_end = it == s.bars.end() ? s.to_tick : std::min(*it, s.to_tick);
    {
      std::lock_guard lock(stats_mutex);
      stats.bar_frames.push_back(s.frame_at(s.queued_tick));
    }
    while (s.next_note < s.notes.size() && s.notes[s.next_note].tick < bar_end) {
      const SegNote& n = s.notes[s.next_note++];
      if (n.tick < s.queued_tick) continue;
      push_event({s.frame_at(n.tick), s.frame_at(n.end), s.generation, Kind::note,
                  static_cast<std::uint8_t>(n.channel), static_cast<std::uint8_t>(n.key),
                  static_cast<std::uint8_t>(n.velocity)});
    }
    s.queued_tick = bar_end;
  }

  void fill(std::int64_t horizon) {
    while (!segments.empty()) {
      Segment& s = segments.front();
      if (s.queued_tick >= s.to_tick) {
        if (s.final) {
          if (!end_queued)
            push_event(
                {s.frame_at(s.score.end_tick) + 3 * sr, 0, s.generation, Kind::end, 0, 0, 0});
          end_queued = true;
          segments.clear();
          return;
        }
        if (segments.size() == 1) extend();
        segments.pop_front();
        continue;
      }
      if (s.frame_at(s.queued_tick) >= horizon) return;
      if (events.free_space() < 2048) return;  // the audio thread is behind; try later
      queue_bar(s);
    }
  }

  // True when the audio thread has not yet met enough of the generations published: the audio
  // side remembers kGenerations cuts, so no more may be in flight (a host that stopped calling
  // render while commands keep coming).
  bool audio_behind() const {
    return generation - seen_generation.load(std::memory_order_acquire) >= kGenerations - 4;
  }

  // While the audio thread is behind, waiting commands that a later one replaces anyway (the
  // latest wins) are dropped: a change followed by another change, a hit by another hit.
  static void coalesce(std::deque<Command>& waiting) {
    for (std::size_t i = 0; i < waiting.size();) {
      const Command::Type t = waiting[i].type;
      bool replaced = false;
      if (t == Command::Type::emotion || t == Command::Type::hit)
        for (std::size_t j = i + 1; j < waiting.size() && !replaced; ++j)
          replaced = waiting[j].type == t;
      if (replaced)
        waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(i));
      else
        ++i;
    }
  }

  void pump(std::int64_t audio_pos) {
    std::deque<Command> todo;
    {
      std::lock_guard lock(command_mutex);
      todo.swap(commands);
      deferred = 0;
    }
    while (!todo.empty() && !audio_behind()) {
      apply(todo.front(), audio_pos);
      todo.pop_front();
    }
    if (!todo.empty()) {
      // Put back in front of what came meanwhile, to be made when the audio thread catches up.
      std::lock_guard lock(command_mutex);
      todo.insert(todo.end(), commands.begin(), commands.end());
      commands.swap(todo);
      coalesce(commands);
      deferred = commands.size();
    }
    const auto lookahead = static_cast<std::int64_t>(options.lookahead_s * sr);
    earliest_frame = audio_pos + horizon_margin();
    fill(earliest_frame + lookahead);
  }

  void run_worker() {
    std::unique_lock lock(command_mutex);
    while (!quit) {
      lock.unlock();
      try {
        pump(self->rendered_.load(std::memory_order_acquire));
      } catch (...) {
        // A composition failed (a bug): the music goes on with what is queued.
      }
      lock.lock();
      ++pass;
      pass_cv.notify_all();
      command_cv.wait_for(lock, std::chrono::milliseconds(5),
                          [&] { return quit || sync_waiting > 0 || commands.size() > deferred; });
    }
  }
};

Engine::Engine(const EngineOptions& options) : impl_(std::make_unique<Impl>()) {
  const auto problems = options.validate();
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw Error(ExitCode::usage, "invalid live engine options: " + all);
  }
  Impl& m = *impl_;
  m.self = this;
  m.options = options;
  m.sr = options.sample_rate;
  m.emotion = options.start.clamped();
  m.note_log.resize(options.note_log_capacity);
  m.call_log.resize(options.call_log_capacity);
  m.owned = std::make_unique<OwnedSynth>(options.soundfont, m.sr);
  m.synth = m.owned->synth;
  m.until.fill(std::numeric_limits<std::int64_t>::max());
  // The opening: composed now, so that the first render has music.
  m.segments.push_back(
      m.compose_segment({{m.emotion, Impl::bars_seconds(m.emotion, 16)}}, 1, true, 0, {}));
  m.fill(static_cast<std::int64_t>(options.lookahead_s * m.sr) + m.horizon_margin());
  if (options.threaded) m.worker = std::thread([&m] { m.run_worker(); });
}

Engine::~Engine() {
  Impl& m = *impl_;
  if (m.worker.joinable()) {
    {
      std::lock_guard lock(m.command_mutex);
      m.quit = true;
    }
    m.command_cv.notify_all();
    m.worker.join();
  }
}

int Engine::sample_rate() const {
  return impl_->sr;
}

namespace {
void enqueue(Engine::Impl& m, Command c, std::int64_t frame) {
  c.frame = frame;
  {
    std::lock_guard lock(m.command_mutex);
    if (m.stopping)
      throw CommandRefused(CommandRefused::Reason::stopped,
                           "the live engine was stopped: no more commands");
    if (m.commands.size() >= kMaxCommands)
      throw CommandRefused(CommandRefused::Reason::queue_full,
                           "more than 256 live commands are waiting; retry later");
    if (c.type == Command::Type::stop) m.stopping = true;
    m.commands.push_back(std::move(c));
  }
  m.command_cv.notify_one();
}
void require_finite(const Emotion& e) {
  if (!std::isfinite(e.valence) || !std::isfinite(e.arousal) || !std::isfinite(e.tension))
    throw Error(ExitCode::usage, "valence, arousal and tension must be finite numbers");
}
}  // namespace

void Engine::set_emotion(const Emotion& emotion, At at) {
  require_finite(emotion);
  Command c;
  c.type = Command::Type::emotion;
  c.emotion = Emotion::at(emotion.valence, emotion.arousal, emotion.tension).clamped();
  c.at = at;
  enqueue(*impl_, std::move(c), frames_rendered());
}

void Engine::set_character(const std::string& name) {
  Command c;
  c.type = Command::Type::character;
  c.text = name;
  enqueue(*impl_, std::move(c), frames_rendered());
}

void Engine::hit(const std::string& kind) {
  Command c;
  c.type = Command::Type::hit;
  c.text = kind;
  enqueue(*impl_, std::move(c), frames_rendered());
}

void Engine::stop(Ending ending) {
  Command c;
  c.type = Command::Type::stop;
  c.ending = ending;
  enqueue(*impl_, std::move(c), frames_rendered());
}

void Engine::render(float* out, std::size_t frames) noexcept {
  Impl& m = *impl_;
  if (!m.options.threaded) {
    try {
      m.pump(frames_rendered());
    } catch (...) {
      // As in the worker: the music goes on with what is queued.
    }
  }
  m.render(out, frames);
}

void Engine::sync() {
  Impl& m = *impl_;
  if (!m.options.threaded) return;
  std::unique_lock lock(m.command_mutex);
  const std::uint64_t target = m.pass + 2;
  ++m.sync_waiting;
  m.command_cv.notify_one();
  m.pass_cv.wait(lock, [&] { return m.pass >= target || m.quit; });
  --m.sync_waiting;
}

std::vector<PlayedNote> Engine::played_notes() const {
  const std::size_t n = impl_->note_count.load(std::memory_order_acquire);
  return {impl_->note_log.begin(), impl_->note_log.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::vector<SynthCall> Engine::synth_calls() const {
  const std::size_t n = impl_->call_count.load(std::memory_order_acquire);
  return {impl_->call_log.begin(), impl_->call_log.begin() + static_cast<std::ptrdiff_t>(n)};
}

void render_synth_calls(const std::vector<SynthCall>& calls, const EngineOptions& options,
                        std::int64_t frames,
                        const std::function<void(const float* stereo, std::size_t frames)>& sink) {
  OwnedSynth s(options.soundfont, options.sample_rate);
  constexpr std::int64_t kChunk = 1024;
  std::vector<float> buffer(2 * kChunk);
  std::size_t next = 0;
  for (std::int64_t pos = 0; pos < frames;) {
    while (next < calls.size() && calls[next].frame <= pos) {
      const SynthCall& c = calls[next++];
      switch (c.kind) {
        case SynthCall::Kind::note_on:
          fluid_synth_noteon(s.synth, c.channel, c.a, c.b);
          break;
        case SynthCall::Kind::note_off:
          fluid_synth_noteoff(s.synth, c.channel, c.a);
          break;
        case SynthCall::Kind::program:
          fluid_synth_program_change(s.synth, c.channel, c.a);
          break;
        case SynthCall::Kind::cc:
          fluid_synth_cc(s.synth, c.channel, c.a, c.b);
          break;
      }
    }
    std::int64_t until = std::min(frames, pos + kChunk);
    if (next < calls.size()) until = std::min(until, calls[next].frame);
    const auto len = static_cast<int>(until - pos);
    fluid_synth_write_float(s.synth, len, buffer.data(), 0, 2, buffer.data(), 1, 2);
    sink(buffer.data(), static_cast<std::size_t>(len));
    pos = until;
  }
}

EngineStats Engine::stats() const {
  std::lock_guard lock(impl_->stats_mutex);
  EngineStats s = impl_->stats;
  s.late_events = impl_->late.load();
  s.dropped_notes = impl_->dropped.load();
  s.peak_voices = impl_->peak_voices.load();
  return s;
}

}  // namespace tonepoem::live
