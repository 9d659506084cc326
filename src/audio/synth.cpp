// Offline FluidSynth rendering of a Score: one synth, no audio driver, events fed in time order
// and fluid_synth_write_float called between them (the pull loop of FluidSynth's file renderer).
#include <fluidsynth.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

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
constexpr const char* kInstallFix =
    "install a General MIDI SoundFont (sudo apt-get install fluid-soundfont-gm) or give one with "
    "--soundfont PATH";

// FluidSynth reports through a global log callback; keep the last error so that a failed load can
// say why, and print nothing.
thread_local std::string t_fluid_last_error;
extern "C" void fluid_log_sink(int level, const char* message, void* /*data*/) {
  if ((level == FLUID_ERR || level == FLUID_PANIC) && message) t_fluid_last_error = message;
}
void quiet_fluidsynth() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int level = FLUID_PANIC; level < LAST_LOG_LEVEL; ++level)
      fluid_set_log_function(level, fluid_log_sink, nullptr);
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

AudioBuffer synthesize(const Score& score, const SynthOptions& options,
                       const ProgressFn& progress) {
  quiet_fluidsynth();
  const std::string sf_name = options.soundfont.string();
  if (options.soundfont.empty())
    fail_resource("", "no SoundFont given to the synthesizer", kInstallFix);
  if (options.sample_rate < 8000 || options.sample_rate > 192000)
    fail_usage(fmt::format("sample rate {} Hz is out of range", options.sample_rate),
               "use a rate between 8000 and 192000 Hz (44100 is standard)");

  int channel_count = 16;
  const std::vector<int> channels = assign_channels(score, channel_count);

  std::unique_ptr<fluid_settings_t, SettingsDeleter> settings(new_fluid_settings());
  if (!settings) throw Error(ExitCode::internal, "FluidSynth could not create its settings");
  fluid_settings_setnum(settings.get(), "synth.sample-rate", options.sample_rate);
  fluid_settings_setint(settings.get(), "synth.midi-channels", channel_count);
  fluid_settings_setint(settings.get(), "synth.reverb.active", options.reverb ? 1 : 0);
  fluid_settings_setint(settings.get(), "synth.chorus.active", options.chorus ? 1 : 0);
  fluid_settings_setint(settings.get(), "synth.polyphony", options.polyphony);
  fluid_settings_setint(settings.get(), "synth.threadsafe-api", 0);
  fluid_settings_setnum(settings.get(), "synth.gain", options.gain);
  if (options.reverb) {
    fluid_settings_setnum(settings.get(), "synth.reverb.room-size", options.reverb_room_size);
    fluid_settings_setnum(settings.get(), "synth.reverb.level", options.reverb_level);
  }

  std::unique_ptr<fluid_synth_t, SynthDeleter> synth(new_fluid_synth(settings.get()));
  if (!synth) throw Error(ExitCode::internal, "FluidSynth could not create a synthesizer");
  t_fluid_last_error.clear();
  if (!looks_like_sf2(options.soundfont) ||
      fluid_synth_sfload(synth.get(), sf_name.c_str(), 1) == FLUID_FAILED) {
    const std::string why = t_fluid_last_error.empty() ? "" : " (" + t_fluid_last_error + ")";
    fail_resource(sf_name, "cannot load the SoundFont: missing or not a valid SF2 file" + why,
                  "give a valid .sf2 file with --soundfont, or reinstall it "
                  "(sudo apt-get install --reinstall fluid-soundfont-gm)");
  }

  // Events: channel set-up at frame 0, then notes and program changes through the tempo map.
  const double sr = options.sample_rate;
  auto frame_of = [&](std::int64_t tick) {
    return static_cast<std::int64_t>(std::llround(score.seconds_at(tick) * sr));
  };
  std::vector<Event> events;
  int order = 0;
  for (std::size_t t = 0; t < score.tracks.size(); ++t) {
    const Track& track = score.tracks[t];
    const int ch = channels[t];
    const bool drums = track.channel == 9;
    fluid_synth_set_channel_type(synth.get(), ch, drums ? CHANNEL_TYPE_DRUM : CHANNEL_TYPE_MELODIC);
    fluid_synth_program_change(synth.get(), ch, drums ? 0 : std::clamp(track.program, 0, 127));
    fluid_synth_cc(synth.get(), ch, 7, volume_cc(track.gain));
    fluid_synth_cc(synth.get(), ch, 10, pan_cc(track.pan));
    for (const auto& [tick, program] : track.program_changes)
      if (!drums)
        events.push_back(
            {frame_of(tick), Event::control, ch, -1, std::clamp(program, 0, 127), order++});
    for (const Note& n : track.notes) {
      if (n.duration <= 0 || n.pitch < 0 || n.pitch > 127) continue;
      const int velocity = std::clamp(n.velocity, 1, 127);
      events.push_back({frame_of(n.tick), Event::note_on, ch, n.pitch, velocity, order++});
      events.push_back({frame_of(n.tick + n.duration), Event::note_off, ch, n.pitch, 0, order++});
    }
  }
  // Per-section effect sends (emotion-dependent reverb and chorus), when asked for.
  for (const SectionFx& fx : options.section_fx) {
    const std::int64_t frame = static_cast<std::int64_t>(std::llround(fx.start_s * sr));
    for (std::size_t t = 0; t < score.tracks.size(); ++t) {
      events.push_back(
          {frame, Event::control, channels[t], 91, to_cc(fx.reverb_send * 127), order++});
      events.push_back(
          {frame, Event::control, channels[t], 93, to_cc(fx.chorus_send * 127), order++});
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& x, const Event& y) {
    if (x.frame != y.frame) return x.frame < y.frame;
    if (x.kind != y.kind) return x.kind < y.kind;
    return x.order < y.order;
  });

  const double total_s = std::max(0.0, score.duration_s()) + std::max(0.0, options.tail_s);
  const auto total_frames = static_cast<std::int64_t>(std::llround(total_s * sr));
  AudioBuffer out;
  out.sample_rate = options.sample_rate;
  out.channels = 2;
  out.samples.assign(static_cast<std::size_t>(total_frames) * 2, 0.0f);

  // Overlapping notes of one key on one channel: FluidSynth releases the old voice when the key is
  // struck again, so only the last note-off of an overlapping run is sent.
  std::map<std::pair<int, int>, int> held;
  constexpr std::int64_t kBlock = 4096;
  std::int64_t rendered = 0;
  std::size_t next = 0;
  auto render_to = [&](std::int64_t frame) {
    frame = std::min(frame, total_frames);
    while (rendered < frame) {
      check_interrupted();
      const auto len = static_cast<int>(std::min(kBlock, frame - rendered));
      float* base = out.samples.data() + rendered * 2;
      if (fluid_synth_write_float(synth.get(), len, base, 0, 2, base, 1, 2) != FLUID_OK)
        throw Error(ExitCode::internal, "FluidSynth failed while rendering", sf_name);
      rendered += len;
      if (progress) progress(static_cast<double>(rendered) / static_cast<double>(total_frames));
    }
  };
  while (next < events.size() && events[next].frame < total_frames) {
    const Event& e = events[next++];
    render_to(e.frame);
    switch (e.kind) {
      case Event::control:
        if (e.a < 0)
          fluid_synth_program_change(synth.get(), e.channel, e.b);
        else
          fluid_synth_cc(synth.get(), e.channel, e.a, e.b);
        break;
      case Event::note_on:
        ++held[{e.channel, e.a}];
        fluid_synth_noteon(synth.get(), e.channel, e.a, e.b);
        break;
      case Event::note_off: {
        int& count = held[{e.channel, e.a}];
        if (count > 0 && --count == 0) fluid_synth_noteoff(synth.get(), e.channel, e.a);
        break;
      }
    }
  }
  render_to(total_frames);
  if (progress) progress(1.0);
  return out;
}

}  // namespace tonepoem

namespace tonepoem {

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
