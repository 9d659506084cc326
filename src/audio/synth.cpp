// Offline FluidSynth rendering of a Score: one synth, no audio driver, events fed in time order
// and fluid_synth_write_float called between them (the pull loop of FluidSynth's file renderer).
#include <fluidsynth.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "audio/audio.h"
#include "core/cancel.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

constexpr std::array<const char*, 3> kDebianSoundFonts = {
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",  // fluid-soundfont-gm
    "/usr/share/sounds/sf2/TimGM6mb.sf2",    // timgm6mb-soundfont
    "/usr/share/sounds/sf2/default-GM.sf2",  // Debian alternative
};
std::atomic<bool> g_keep_soundfonts{false};  // keep_soundfonts_loaded() was called

constexpr const char* kInstallFix =
    "install a General MIDI SoundFont (sudo apt-get install fluid-soundfont-gm) or give one with "
    "--soundfont PATH";

// FluidSynth reports through a global log callback; keep the last error so that a failed load can
// say why, and print nothing.
thread_local std::string t_fluid_last_error;
extern "C" void fluid_log_sink(int level, const char* message, void* /*data*/) {
  if ((level == FLUID_ERR || level == FLUID_PANIC) && message) t_fluid_last_error = message;
}

// Process-wide FluidSynth set-up, once: silence its logging, and create (and drop) a first synth.
// The first new_fluid_synth() fills FluidSynth's global tables (default modulators, conversion
// tables) and a second synth created meanwhile on another thread would see them half-filled (its
// notes then ignore velocity): renders were louder at random until this was serialised.
void init_fluidsynth() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int level = FLUID_PANIC; level < LAST_LOG_LEVEL; ++level)
      fluid_set_log_function(level, fluid_log_sink, nullptr);
    fluid_settings_t* settings = new_fluid_settings();
    if (settings) {
      if (fluid_synth_t* synth = new_fluid_synth(settings)) delete_fluid_synth(synth);
      delete_fluid_settings(settings);
    }
  });
}

// "RIFF" <size> "sfbk": the header every SoundFont 2 file starts with.
bool looks_like_sf2(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[12] = {};
  if (!in.read(head, sizeof head)) return false;
  return std::memcmp(head, "RIFF", 4) == 0 && std::memcmp(head + 8, "sfbk", 4) == 0;
}

struct SettingsDeleter {
  void operator()(fluid_settings_t* s) const { delete_fluid_settings(s); }
};
struct SynthDeleter {
  void operator()(fluid_synth_t* s) const { delete_fluid_synth(s); }
};

// One timed MIDI action. Ordered by sample position, then kind (program changes before note-offs
// before note-ons at the same instant, so a repeated note is released before it is struck again).
struct Event {
  enum Kind : int { control = 0, note_off = 1, note_on = 2 };
  std::int64_t frame = 0;
  Kind kind = note_on;
  int channel = 0;
  int a = 0;      // key, program or controller
  int b = 0;      // velocity or value
  int order = 0;  // stable tiebreak: input order
};

int to_cc(double value) {
  return std::clamp(static_cast<int>(std::lround(value)), 0, 127);
}

// Channel volume for a linear gain: General MIDI's CC7 curve is 40*log10(cc/127) dB, so
// cc = 127 * sqrt(gain).
int volume_cc(double gain) {
  return to_cc(127.0 * std::sqrt(std::clamp(gain, 0.0, 1.0)));
}
int pan_cc(double pan) {
  return to_cc(64.0 + 63.0 * std::clamp(pan, -1.0, 1.0));
}

// Each track gets its own synth channel: the one it declares when free, else the next free one
// (drum tracks stay drum channels). Returns the channel per track and the channel count needed.
std::vector<int> assign_channels(const Score& score, int& channel_count) {
  std::vector<int> out(score.tracks.size(), -1);
  std::vector<bool> used(16, false);
  for (std::size_t i = 0; i < score.tracks.size(); ++i) {
    const int ch = score.tracks[i].channel;
    if (ch >= 0 && ch < 16 && !used[static_cast<std::size_t>(ch)]) {
      used[static_cast<std::size_t>(ch)] = true;
      out[i] = ch;
    }
  }
  for (std::size_t i = 0; i < score.tracks.size(); ++i) {
    if (out[i] >= 0) continue;
    int ch = 0;
    while (true) {
      if (static_cast<std::size_t>(ch) >= used.size()) used.resize(used.size() + 16, false);
      if (!used[static_cast<std::size_t>(ch)] && ch % 16 != 9) break;
      ++ch;
    }
    used[static_cast<std::size_t>(ch)] = true;
    out[i] = ch;
  }
  channel_count = static_cast<int>(used.size());
  return out;
}

}  // namespace

fs::path find_soundfont(const fs::path& requested) {
  std::error_code ec;
  if (!requested.empty()) {
    const std::string name = requested.string();
    if (!fs::exists(requested, ec))
      fail_resource(name, "SoundFont not found",
                    "check the --soundfont path, or leave it out to use an installed General MIDI "
                    "SoundFont (sudo apt-get install fluid-soundfont-gm)");
    if (!fs::is_regular_file(requested, ec) || !looks_like_sf2(requested))
      fail_resource(
          name, "not a readable SoundFont 2 file (.sf2)",
          "give a valid .sf2 file with --soundfont, e.g. /usr/share/sounds/sf2/FluidR3_GM.sf2");
    return requested;
  }
  std::string searched;
  for (const char* candidate : kDebianSoundFonts) {
    const fs::path p(candidate);
    if (fs::is_regular_file(p, ec) && looks_like_sf2(p)) return p;
    searched += fmt::format("{}{}", searched.empty() ? "" : ", ", candidate);
  }
  throw Error(ExitCode::missing_resource,
              "no General MIDI SoundFont found (searched " + searched + ")", kDebianSoundFonts[0],
              kInstallFix);
}

void keep_soundfonts_loaded() {
  g_keep_soundfonts = true;
}

namespace {

// keep_soundfonts_loaded() (audio.h): one small synthesizer per SoundFont file holds it for the
// life of the process (never freed: it would only be freed at exit, after FluidSynth's own
// globals). Called once the file has loaded, so it never fails a render.
void keep_loaded(const std::string& sf_name) {
  if (!g_keep_soundfonts) return;
  static std::mutex mutex;
  static auto* kept = new std::set<std::string>;
  const std::lock_guard lock(mutex);
  if (kept->count(sf_name)) return;
  fluid_settings_t* settings = new_fluid_settings();
  if (!settings) return;
  fluid_settings_setint(settings, "synth.polyphony", 1);
  fluid_synth_t* keeper = new_fluid_synth(settings);
  if (!keeper || fluid_synth_sfload(keeper, sf_name.c_str(), 0) == FLUID_FAILED) {
    if (keeper) delete_fluid_synth(keeper);
    delete_fluid_settings(settings);
    return;
  }
  kept->insert(sf_name);  // keeper and settings stay, on purpose
}

// A synthesizer with the SoundFont loaded. Throws Error(missing_resource) naming the SoundFont.
std::unique_ptr<fluid_synth_t, SynthDeleter> make_synth(fluid_settings_t* settings,
                                                        const std::string& sf_name) {
  std::unique_ptr<fluid_synth_t, SynthDeleter> synth(new_fluid_synth(settings));
  if (!synth) throw Error(ExitCode::internal, "FluidSynth could not create a synthesizer");
  t_fluid_last_error.clear();
  if (!looks_like_sf2(sf_name) ||
      fluid_synth_sfload(synth.get(), sf_name.c_str(), 1) == FLUID_FAILED) {
    const std::string why = t_fluid_last_error.empty() ? "" : " (" + t_fluid_last_error + ")";
    fail_resource(sf_name, "cannot load the SoundFont: missing or not a valid SF2 file" + why,
                  "give a valid .sf2 file with --soundfont, or reinstall it "
                  "(sudo apt-get install --reinstall fluid-soundfont-gm)");
  }
  keep_loaded(sf_name);
  return synth;
}

// Which part renders each note: part_of[track][key]. Every note of one key on one track stays
// in one part, so a re-struck key still cuts its previous voice as it would in one synthesizer;
// the parts' outputs then sum to what one synthesizer renders (effects are linear), up to voice
// stealing and float rounding.
using KeyParts = std::vector<std::array<int, 128>>;

KeyParts whole_tracks(const std::vector<int>& part_of_track) {
  KeyParts out(part_of_track.size());
  for (std::size_t t = 0; t < out.size(); ++t) out[t].fill(part_of_track[t]);
  return out;
}

// What each key of each track costs to render, in voice-seconds: every note starts `voices`
// voices that sound for its length plus `release_s` after its note-off. Both are measured on a
// probe synth (effects off, so a probe costs microseconds) with the track's instrument at its
// median key and velocity (drums: per key, as each drum is its own sample). Deterministic: depends
// on the score and the SoundFont only.
std::vector<std::array<double, 128>> key_costs(const Score& score, fluid_synth_t* probe,
                                               double sample_rate) {
  fluid_synth_reverb_on(probe, -1, 0);
  fluid_synth_chorus_on(probe, -1, 0);
  std::vector<float> scratch(2 * 1024);
  auto render = [&](int frames) {
    for (int done = 0; done < frames; done += 1024)
      fluid_synth_write_float(probe, std::min(1024, frames - done), scratch.data(), 0, 2,
                              scratch.data(), 1, 2);
  };
  struct Probe {
    double voices = 1, release_s = 0.5;
  };
  auto measure = [&](bool drums, int program, int key, int velocity) {
    fluid_synth_all_sounds_off(probe, -1);
    render(64);
    fluid_synth_set_channel_type(probe, 0, drums ? CHANNEL_TYPE_DRUM : CHANNEL_TYPE_MELODIC);
    fluid_synth_bank_select(probe, 0, drums ? 128 : 0);
    fluid_synth_program_change(probe, 0, drums ? 0 : program);
    Probe p;
    if (fluid_synth_noteon(probe, 0, key, velocity) != FLUID_OK) return p;
    p.voices = std::max(1, fluid_synth_get_active_voice_count(probe));
    render(1024);
    fluid_synth_noteoff(probe, 0, key);
    const int limit = static_cast<int>(8 * sample_rate);  // longer tails count as 8 s
    int after = 0;
    while (after < limit && fluid_synth_get_active_voice_count(probe) > 0) {
      render(1024);
      after += 1024;
    }
    p.release_s = after / sample_rate;
    return p;
  };
  auto median = [](std::vector<int> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  std::vector<std::array<double, 128>> cost(score.tracks.size());
  for (std::size_t t = 0; t < score.tracks.size(); ++t) {
    cost[t].fill(0.0);
    const Track& track = score.tracks[t];
    if (track.notes.empty()) continue;
    const bool drums = track.channel == 9;
    std::vector<int> keys, velocities;
    for (const Note& n : track.notes) {
      keys.push_back(std::clamp(n.pitch, 0, 127));
      velocities.push_back(std::clamp(n.velocity, 1, 127));
    }
    const int velocity = median(velocities);
    std::map<int, Probe> by_key;
    const Probe melodic = drums ? Probe{} : measure(false, track.program, median(keys), velocity);
    for (const Note& n : track.notes) {
      if (n.duration <= 0 || n.pitch < 0 || n.pitch > 127) continue;
      Probe p = melodic;
      if (drums) {
        auto it = by_key.find(n.pitch);
        if (it == by_key.end())
          it = by_key.emplace(n.pitch, measure(true, 0, n.pitch, velocity)).first;
        p = it->second;
      }
      const double length = score.seconds_at(n.tick + n.duration) - score.seconds_at(n.tick);
      cost[t][static_cast<std::size_t>(n.pitch)] += p.voices * (length + p.release_s);
    }
  }
  fluid_synth_all_sounds_off(probe, -1);
  return cost;
}

// Splits the (track, key) units into `parts` groups of similar cost (greedy, costliest first;
// ties by track, then key), so the result depends only on the score, the SoundFont and `parts`.
KeyParts balance_parts(const std::vector<std::array<double, 128>>& cost, int parts) {
  struct Unit {
    double cost;
    std::size_t track;
    int key;
  };
  std::vector<Unit> units;
  for (std::size_t t = 0; t < cost.size(); ++t)
    for (int k = 0; k < 128; ++k)
      if (cost[t][static_cast<std::size_t>(k)] > 0)
        units.push_back({cost[t][static_cast<std::size_t>(k)], t, k});
  std::stable_sort(units.begin(), units.end(),
                   [](const Unit& a, const Unit& b) { return a.cost > b.cost; });
  std::vector<double> load(static_cast<std::size_t>(parts), 0.0);
  KeyParts part_of = whole_tracks(std::vector<int>(cost.size(), 0));
  for (const Unit& u : units) {
    const auto lightest =
        static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    part_of[u.track][static_cast<std::size_t>(u.key)] = static_cast<int>(lightest);
    load[lightest] += u.cost;
  }
  return part_of;
}

constexpr const char* kSiblingFailed = "a sibling render failed";

// Renders the notes of each part (part_of[track][key] in [0, parts); empty: balanced by
// key_costs) with its own synthesizer into its own stereo buffer, parts in parallel. Every part
// sets up every track's channel (program, volume, pan, effect sends). The machinery under
// synthesize() and synthesize_stems().
//
// With `sink`, every part runs on its own thread and the parts are instead summed (part 0 + part
// 1 + ..., in that order, as the caller would) a slice of a few seconds at a time, every part
// waiting for the others at the end of each slice, and each summed slice goes to *sink: no
// whole-length buffer. The returned list is then empty.
std::vector<std::vector<float>> render_parts(const Score& score, const SynthOptions& options,
                                             KeyParts part_of, int parts, int voices_per_part,
                                             const ProgressFn& progress, const CancelToken& cancel,
                                             const AudioSink* sink = nullptr) {
  init_fluidsynth();
  const std::string sf_name = options.soundfont.string();
  if (options.soundfont.empty())
    fail_resource("", "no SoundFont given to the synthesizer", kInstallFix);
  if (const auto problems = options.validate(); !problems.empty())
    fail_usage(
        "invalid synthesis options:\n    " + fmt::format("{}", fmt::join(problems, "\n    ")),
        "correct the values listed above");

  int channel_count = 16;
  const std::vector<int> channels = assign_channels(score, channel_count);

  std::unique_ptr<fluid_settings_t, SettingsDeleter> settings(new_fluid_settings());
  if (!settings) throw Error(ExitCode::internal, "FluidSynth could not create its settings");
  fluid_settings_setnum(settings.get(), "synth.sample-rate", options.sample_rate);
  fluid_settings_setint(settings.get(), "synth.midi-channels", channel_count);
  fluid_settings_setint(settings.get(), "synth.reverb.active", options.reverb ? 1 : 0);
  fluid_settings_setint(settings.get(), "synth.chorus.active", options.chorus ? 1 : 0);
  fluid_settings_setint(settings.get(), "synth.polyphony", voices_per_part);
  fluid_settings_setint(settings.get(), "synth.threadsafe-api", 0);
  fluid_settings_setnum(settings.get(), "synth.gain", options.gain);
  if (options.reverb) {
    fluid_settings_setnum(settings.get(), "synth.reverb.room-size", options.reverb_room_size);
    fluid_settings_setnum(settings.get(), "synth.reverb.level", options.reverb_level);
  }

  if (part_of.empty() && parts == 1)
    part_of = whole_tracks(std::vector<int>(score.tracks.size(), 0));
  if (part_of.empty()) {
    const auto probe = make_synth(settings.get(), sf_name);
    part_of = balance_parts(key_costs(score, probe.get(), options.sample_rate), parts);
  }

  // Events through the tempo map: program changes, notes and effect sends, one list per part.
  const double sr = options.sample_rate;
  auto frame_of = [&](std::int64_t tick) {
    return static_cast<std::int64_t>(std::llround(score.seconds_at(tick) * sr));
  };
  std::vector<std::vector<Event>> events(static_cast<std::size_t>(parts));
  int order = 0;
  for (std::size_t t = 0; t < score.tracks.size(); ++t) {
    const Track& track = score.tracks[t];
    // Channel set-up goes to every part; each note to its key's part.
    auto to_all = [&](const Event& e) {
      for (auto& list : events) list.push_back(e);
    };
    const int ch = channels[t];
    const bool drums = track.channel == 9;
    for (const auto& [tick, program] : track.program_changes)
      if (!drums)
        to_all({frame_of(tick), Event::control, ch, -1, std::clamp(program, 0, 127), order++});
    for (const Note& n : track.notes) {
      if (n.duration <= 0 || n.pitch < 0 || n.pitch > 127) continue;
      const int velocity = std::clamp(n.velocity, 1, 127);
      auto& list = events[static_cast<std::size_t>(part_of[t][static_cast<std::size_t>(n.pitch)])];
      list.push_back({frame_of(n.tick), Event::note_on, ch, n.pitch, velocity, order++});
      list.push_back({frame_of(n.tick + n.duration), Event::note_off, ch, n.pitch, 0, order++});
    }
    // Effect sends glide from one section's values to the next over fx_ramp_s (in CC steps),
    // starting at the boundary, so the room does not jump.
    for (std::size_t i = 0; i < options.section_fx.size(); ++i) {
      const SectionFx& fx = options.section_fx[i];
      const SectionFx from = i > 0 ? options.section_fx[i - 1] : fx;
      const int steps = i > 0 && options.fx_ramp_s > 0 ? 16 : 1;
      for (int k = 1; k <= steps; ++k) {
        const double f = static_cast<double>(k) / steps;
        const double at = fx.start_s + (steps > 1 ? options.fx_ramp_s * (f - 1.0 / steps) : 0.0);
        const auto frame = static_cast<std::int64_t>(std::llround(at * sr));
        const double reverb = from.reverb_send + (fx.reverb_send - from.reverb_send) * f;
        const double chorus = from.chorus_send + (fx.chorus_send - from.chorus_send) * f;
        to_all({frame, Event::control, ch, 91, to_cc(reverb * 127), order++});
        to_all({frame, Event::control, ch, 93, to_cc(chorus * 127), order++});
      }
    }
  }
  for (auto& list : events)
    std::sort(list.begin(), list.end(), [](const Event& x, const Event& y) {
      if (x.frame != y.frame) return x.frame < y.frame;
      if (x.kind != y.kind) return x.kind < y.kind;
      return x.order < y.order;
    });

  const double total_s = std::max(0.0, score.duration_s()) + std::max(0.0, options.tail_s);
  const auto total_frames = static_cast<std::int64_t>(std::llround(total_s * sr));
  std::vector<std::vector<float>> buffers(static_cast<std::size_t>(parts));
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  // Sliced: buffers[p] holds one slice; the barrier's completion sums the slice into *sink.
  const bool sliced = sink != nullptr && total_frames > 0;
  const int threads =
      sliced ? parts : std::clamp(options.threads > 0 ? options.threads : hardware, 1, parts);
  constexpr std::int64_t kSlice = 1 << 17;  // about 3 s at 44.1 kHz
  std::int64_t slice_start = 0;
  std::vector<float> slice_sum;
  std::exception_ptr sink_error;
  std::atomic<bool> failed{false};
  auto add_slice = [&]() noexcept {
    const std::int64_t len = std::min(kSlice, total_frames - slice_start);
    if (sink_error) return;
    slice_sum.resize(static_cast<std::size_t>(len) * 2);
    float* dst = slice_sum.data();
    for (std::size_t p = 0; p < buffers.size(); ++p)
      for (std::int64_t i = 0; i < len * 2; ++i)
        dst[i] = p == 0 ? buffers[p][static_cast<std::size_t>(i)]
                        : dst[i] + buffers[p][static_cast<std::size_t>(i)];
    slice_start += len;
    try {
      (*sink)(dst, static_cast<std::size_t>(len));
    } catch (...) {  // the parts stop at their next block; the sink's error is the one rethrown
      sink_error = std::current_exception();
      failed = true;
    }
  };
  std::barrier slice_done(sliced ? parts : 1, add_slice);
  std::atomic<std::int64_t> frames_done{0};

  // Renders one part into buffers[part]. Only part 0 (on the calling thread) reports progress.
  // Synthesizers are created and loaded one after another on this thread (FluidSynth's SoundFont
  // loading shares a sample cache; later loads of the same file are cheap), then run in parallel.
  std::vector<std::unique_ptr<fluid_synth_t, SynthDeleter>> synths;
  for (int part = 0; part < parts; ++part) synths.push_back(make_synth(settings.get(), sf_name));

  auto render_part = [&](int part) {
    fluid_synth_t* synth = synths[static_cast<std::size_t>(part)].get();
    for (std::size_t t = 0; t < score.tracks.size(); ++t) {
      const Track& track = score.tracks[t];
      const int ch = channels[t];
      const bool drums = track.channel == 9;
      fluid_synth_set_channel_type(synth, ch, drums ? CHANNEL_TYPE_DRUM : CHANNEL_TYPE_MELODIC);
      fluid_synth_bank_select(synth, ch, drums ? 128 : 0);  // General MIDI: drum kits in bank 128
      fluid_synth_program_change(synth, ch, drums ? 0 : std::clamp(track.program, 0, 127));
      fluid_synth_cc(synth, ch, 7, volume_cc(track.gain));
      fluid_synth_cc(synth, ch, 10, pan_cc(track.pan));
    }
    std::vector<float>& out = buffers[static_cast<std::size_t>(part)];
    out.assign(static_cast<std::size_t>(sliced ? std::min(kSlice, total_frames) : total_frames) * 2,
               0.0f);
    // Overlapping notes of one key on one channel: FluidSynth releases the old voice when the key
    // is struck again, so only the last note-off of an overlapping run is sent.
    std::map<std::pair<int, int>, int> held;
    constexpr std::int64_t kBlock = 4096;
    std::int64_t rendered = 0;
    auto render_to = [&](std::int64_t frame) {
      frame = std::min(frame, total_frames);
      while (rendered < frame) {
        if (failed.load(std::memory_order_relaxed)) throw Error(ExitCode::internal, kSiblingFailed);
        cancel.throw_if_cancelled();
        // Sliced: frames of the current slice only; at its end, wait for the other parts.
        const std::int64_t slice_end =
            sliced ? std::min(total_frames, (rendered / kSlice + 1) * kSlice) : total_frames;
        const auto len =
            static_cast<int>(std::min({kBlock, frame - rendered, slice_end - rendered}));
        float* base = out.data() + (sliced ? rendered % kSlice : rendered) * 2;
        if (fluid_synth_write_float(synth, len, base, 0, 2, base, 1, 2) != FLUID_OK)
          throw Error(ExitCode::internal, "FluidSynth failed while rendering", sf_name);
        rendered += len;
        if (sliced && rendered == slice_end) slice_done.arrive_and_wait();
        const std::int64_t done = frames_done.fetch_add(len) + len;
        if (part == 0 && progress)
          progress(static_cast<double>(done) / static_cast<double>(total_frames * parts));
      }
    };
    for (const Event& e : events[static_cast<std::size_t>(part)]) {
      if (e.frame >= total_frames) break;
      render_to(e.frame);
      switch (e.kind) {
        case Event::control:
          if (e.a < 0)
            fluid_synth_program_change(synth, e.channel, e.b);
          else
            fluid_synth_cc(synth, e.channel, e.a, e.b);
          break;
        case Event::note_on:
          ++held[{e.channel, e.a}];
          fluid_synth_noteon(synth, e.channel, e.a, e.b);
          break;
        case Event::note_off: {
          int& count = held[{e.channel, e.a}];
          if (count > 0 && --count == 0) fluid_synth_noteoff(synth, e.channel, e.a);
          break;
        }
      }
    }
    render_to(total_frames);
  };

  // Parts 1.. on their own threads (at most `threads` at once, counting the calling one).
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(parts));
  auto guarded = [&](int part) {
    try {
      render_part(part);
    } catch (...) {
      errors[static_cast<std::size_t>(part)] = std::current_exception();
      failed = true;
      if (sliced) slice_done.arrive_and_drop();  // the others go on to their own failure
    }
  };
  for (int first = 0; first < parts; first += threads) {
    std::vector<std::thread> pool;
    for (int part = first + 1; part < std::min(parts, first + threads); ++part)
      pool.emplace_back(guarded, part);
    guarded(first);
    for (auto& th : pool) th.join();
  }
  // Rethrow the first real failure (the sink's, interruption, SoundFont), not a sibling's echo.
  if (sink_error) std::rethrow_exception(sink_error);
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& error : errors) {
      if (!error) continue;
      try {
        std::rethrow_exception(error);
      } catch (const Error& e) {
        if (pass == 0 && std::string_view(e.what()) == kSiblingFailed) continue;
        throw;
      }
    }

  if (progress) progress(1.0);
  if (sliced) return {};
  return buffers;
}

}  // namespace

namespace {

// More parts than sounding (track, key) pairs would render silence.
int part_count(const Score& score, const SynthOptions& options) {
  std::set<std::pair<std::size_t, int>> keys;
  for (std::size_t t = 0; t < score.tracks.size(); ++t)
    for (const Note& n : score.tracks[t].notes) keys.emplace(t, n.pitch);
  return std::clamp(options.parts, 1, std::max(1, static_cast<int>(keys.size())));
}

// The parts' whole buffers summed in part order (what the sliced rendering does a slice at a
// time).
std::vector<float> sum_parts(std::vector<std::vector<float>> buffers) {
  if (buffers.empty()) return {};
  std::vector<float> sum = std::move(buffers[0]);
  for (std::size_t p = 1; p < buffers.size(); ++p)
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += buffers[p][i];
  return sum;
}

}  // namespace

std::size_t synthesize_to(const Score& score, const SynthOptions& options, const AudioSink& sink,
                          const ProgressFn& progress, const CancelToken& cancel) {
  const int parts = part_count(score, options);
  std::size_t delivered = 0;
  const AudioSink counted = [&](const float* frames, std::size_t count) {
    sink(frames, count);
    delivered += count;
  };
  std::vector<std::vector<float>> buffers =
      render_parts(score, options, {}, parts, (options.polyphony + parts - 1) / parts, progress,
                   cancel, &counted);
  // Nothing is left over unless there was nothing to render (zero length).
  if (const std::vector<float> sum = sum_parts(std::move(buffers)); !sum.empty())
    counted(sum.data(), sum.size() / 2);
  return delivered;
}

AudioBuffer synthesize(const Score& score, const SynthOptions& options, const ProgressFn& progress,
                       const CancelToken& cancel) {
  AudioBuffer result;
  result.sample_rate = options.sample_rate;
  result.channels = 2;
  const int parts = part_count(score, options);
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  const int threads = std::clamp(options.threads > 0 ? options.threads : hardware, 1, parts);
  if (threads < parts) {  // fewer threads than parts: each part whole, one after another
    result.samples = sum_parts(render_parts(
        score, options, {}, parts, (options.polyphony + parts - 1) / parts, progress, cancel));
    return result;
  }
  const double total_s = std::max(0.0, score.duration_s()) + std::max(0.0, options.tail_s);
  result.samples.reserve(static_cast<std::size_t>(std::llround(total_s * options.sample_rate)) * 2);
  synthesize_to(
      score, options,
      [&](const float* frames, std::size_t count) {
        result.samples.insert(result.samples.end(), frames, frames + count * 2);
      },
      progress, cancel);
  return result;
}

std::string stem_name(const Track& track) {
  std::string name = track.role.empty() ? track.name : track.role;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return name.empty() ? "track" : name;
}

std::vector<Stem> synthesize_stems(const Score& score, const SynthOptions& options,
                                   const ProgressFn& progress, const CancelToken& cancel) {
  std::vector<std::string> names;
  std::vector<int> part_of(score.tracks.size(), 0);
  for (std::size_t t = 0; t < score.tracks.size(); ++t) {
    const std::string name = stem_name(score.tracks[t]);
    auto it = std::find(names.begin(), names.end(), name);
    part_of[t] = static_cast<int>(it - names.begin());
    if (it == names.end()) names.push_back(name);
  }
  if (names.empty()) return {};
  std::vector<std::vector<float>> buffers =
      render_parts(score, options, whole_tracks(part_of), static_cast<int>(names.size()),
                   options.polyphony, progress, cancel);
  std::vector<Stem> stems;
  for (std::size_t i = 0; i < names.size(); ++i) {
    Stem stem;
    stem.name = names[i];
    stem.audio.sample_rate = options.sample_rate;
    stem.audio.channels = 2;
    stem.audio.samples = std::move(buffers[i]);
    stems.push_back(std::move(stem));
  }
  return stems;
}

}  // namespace tonepoem

namespace tonepoem {

std::vector<std::string> SynthOptions::validate() const {
  std::vector<std::string> problems;
  auto in = [&](std::string_view name, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi))
      problems.push_back(fmt::format("{} = {} (accepted: {} to {})", name, value, lo, hi));
  };
  in("sample_rate", sample_rate, 8000, 192000);
  in("tail_s", tail_s, 0, 60);
  in("reverb_room_size", reverb_room_size, 0, 1);
  in("reverb_level", reverb_level, 0, 1);
  in("polyphony", polyphony, 1, 65535);
  in("gain", gain, 0, 10);
  in("parts", parts, 1, 64);
  in("fx_ramp_s", fx_ramp_s, 0, 30);
  in("threads", threads, 0, 1024);
  for (const SectionFx& fx : section_fx) {
    in("section_fx.reverb_send", fx.reverb_send, 0, 1);
    in("section_fx.chorus_send", fx.chorus_send, 0, 1);
  }
  return problems;
}

std::vector<SectionFx> section_fx_for(const Score& score) {
  // Reverb send 0.35 at the neutral centre, +0.2 for each unit of calm and +0.1 for each unit of
  // unpleasantness (slow, sad music sounds farther away); chorus only thickens calm sections.
  std::vector<SectionFx> out;
  for (const ScoreSection& s : score.sections) {
    const Emotion e = s.target.clamped();
    SectionFx fx;
    fx.start_s = score.seconds_at(s.start_tick);
    fx.reverb_send = std::clamp(0.35 - 0.2 * e.arousal - 0.1 * e.valence, 0.05, 0.8);
    fx.chorus_send = std::clamp(0.1 + 0.1 * std::max(0.0, -e.arousal), 0.0, 0.5);
    out.push_back(fx);
  }
  return out;
}

}  // namespace tonepoem
