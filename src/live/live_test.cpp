// The live engine with the real FluidSynth and the installed SoundFont: changes land on the grid
// they ask for, the same commands and seed give the same audio, the audio thread gets its notes
// in time, and malformed commands are named and skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "live/commands.h"
#include "live/engine.h"
#include "live/osc.h"

#include <lo/lo.h>
#include <unistd.h>

#include "audio/audio.h"

namespace tonepoem::live {
namespace {

constexpr int kRate = 48000;
constexpr std::size_t kBlock = 512;

struct Rendered {
  std::vector<float> audio;
  std::vector<PlayedNote> notes;
  EngineStats stats;
  bool finished = false;
};

EngineOptions offline(std::uint64_t seed) {
  EngineOptions o;
  o.sample_rate = kRate;
  o.seed = seed;
  o.start = Emotion::at(0.6, 0.2, 0.0);
  o.threaded = false;
  o.note_log_capacity = 1 << 16;
  return o;
}

// Renders `seconds` in blocks; before the block starting at frame f, `at_frame(f, engine)` may
// make commands.
Rendered render(const EngineOptions& options, double seconds,
                const std::function<void(std::int64_t, Engine&)>& at_frame = {}) {
  Engine engine(options);
  Rendered run;
  const auto total = static_cast<std::size_t>(seconds * kRate);
  run.audio.resize(total * 2);
  for (std::size_t f = 0; f < total; f += kBlock) {
    if (at_frame) at_frame(static_cast<std::int64_t>(f), engine);
    if (options.threaded) engine.sync();
    engine.render(run.audio.data() + 2 * f, std::min(kBlock, total - f));
  }
  run.notes = engine.played_notes();
  run.stats = engine.stats();
  run.finished = engine.finished();
  return run;
}

bool same_note(const PlayedNote& a, const PlayedNote& b) {
  return a.frame == b.frame && a.channel == b.channel && a.key == b.key && a.velocity == b.velocity;
}

std::vector<PlayedNote> notes_in(const std::vector<PlayedNote>& notes, std::int64_t from,
                                 std::int64_t to) {
  std::vector<PlayedNote> out;
  for (const PlayedNote& n : notes)
    if (n.frame >= from && n.frame < to) out.push_back(n);
  return out;
}

double rms(const std::vector<float>& audio, std::int64_t from, std::int64_t to) {
  double sum = 0;
  for (std::int64_t i = 2 * from; i < 2 * to; ++i)
    sum += static_cast<double>(audio[static_cast<std::size_t>(i)]) *
           audio[static_cast<std::size_t>(i)];
  return std::sqrt(sum / static_cast<double>(2 * (to - from)));
}

TEST(LiveEngine, PlaysMusicFromTheFirstBlock) {
  const Rendered run = render(offline(3), 4.0);
  EXPECT_GT(run.notes.size(), 10u);
  EXPECT_GT(rms(run.audio, 0, kRate), 1e-3);
  for (float s : run.audio) ASSERT_TRUE(std::isfinite(s));
  EXPECT_EQ(run.stats.late_events, 0u);
}

// The user's case: the story turns dark; from the next bar line on the music is different, and
// before it not one sample changes.
TEST(LiveEngine, NegativeValenceAtBarChangesTheNotesFromTheNextBarLine) {
  const std::int64_t command = 477 * static_cast<std::int64_t>(kBlock);  // 5.09 s
  const Rendered before = render(offline(3), 16.0);
  const Rendered after = render(offline(3), 16.0, [&](std::int64_t f, Engine& e) {
    if (f == command) e.set_emotion(Emotion::at(-0.8, -0.3, 0.3), At::bar);
  });
  ASSERT_EQ(after.stats.transitions.size(), 1u);
  const Transition& t = after.stats.transitions.front();
  EXPECT_EQ(t.command_frame, command);
  // The change lands on the first bar line of the unchanged music at or after the command.
  const auto& bars = before.stats.bar_frames;
  const auto next_bar = std::lower_bound(bars.begin(), bars.end(), command);
  ASSERT_NE(next_bar, bars.end());
  EXPECT_EQ(t.change_frame, *next_bar);
  const std::int64_t s = t.change_frame;
  // Before it: the same notes and the same samples.
  const auto early_before = notes_in(before.notes, 0, s), early_after = notes_in(after.notes, 0, s);
  ASSERT_EQ(early_before.size(), early_after.size());
  for (std::size_t i = 0; i < early_before.size(); ++i)
    EXPECT_TRUE(same_note(early_before[i], early_after[i])) << "note " << i;
  for (std::int64_t i = 0; i < 2 * s; ++i)
    ASSERT_EQ(before.audio[static_cast<std::size_t>(i)], after.audio[static_cast<std::size_t>(i)])
        << "sample " << i << " before the bar line changed";
  // From it: notes of the new composition, the first on the bar line itself.
  const auto late_after = notes_in(after.notes, s, s + 4 * kRate);
  ASSERT_FALSE(late_after.empty());
  EXPECT_EQ(late_after.front().frame, s);
  EXPECT_EQ(late_after.front().generation, 1u);
  const auto late_before = notes_in(before.notes, s, s + 4 * kRate);
  bool differ = late_before.size() != late_after.size();
  for (std::size_t i = 0; !differ && i < late_after.size(); ++i)
    differ = !same_note(late_before[i], late_after[i]);
  EXPECT_TRUE(differ);
}

TEST(LiveEngine, BeatAndPhraseTransitionsLandOnTheirGrid) {
  const std::int64_t command = 283 * static_cast<std::int64_t>(kBlock);  // 3.02 s
  const Rendered plain = render(offline(5), 12.0);
  const Rendered beat = render(offline(5), 12.0, [&](std::int64_t f, Engine& e) {
    if (f == command) e.set_emotion(Emotion::at(-0.5, 0.7, 0.6), At::beat);
  });
  ASSERT_EQ(beat.stats.transitions.size(), 1u);
  const Transition& tb = beat.stats.transitions.front();
  // Within one beat of the command (the opening's tempo is over 60 bpm: a beat < 1 s).
  EXPECT_GE(tb.change_frame, command);
  EXPECT_LT(tb.change_frame, command + kRate);
  EXPECT_EQ(notes_in(beat.notes, tb.change_frame, tb.change_frame + kRate).front().frame,
            tb.change_frame);

  const Rendered phrase = render(offline(5), 30.0, [&](std::int64_t f, Engine& e) {
    if (f == command) e.set_emotion(Emotion::at(-0.5, -0.5, 0.1), At::phrase);
  });
  ASSERT_EQ(phrase.stats.transitions.size(), 1u);
  const Transition& tp = phrase.stats.transitions.front();
  // A bridge starts on a bar line two bars before a phrase ends.
  const auto& bars = plain.stats.bar_frames;
  EXPECT_TRUE(std::binary_search(bars.begin(), bars.end(), tp.change_frame));
  EXPECT_GE(tp.change_frame, command);
}

TEST(LiveEngine, SameCommandsAndSeedGiveTheSameAudio) {
  auto commands = [](std::int64_t f, Engine& e) {
    if (f == 2 * 48128) e.set_emotion(Emotion::at(-0.6, 0.8, 0.5), At::beat);
    if (f == 4 * 48128) e.hit("danger");
    if (f == 6 * 48128) e.set_emotion(Emotion::at(0.4, -0.6, 0.0), At::phrase);
    if (f == 8 * 48128) e.set_character("Mara");
    if (f == 12 * 48128) e.stop(Ending::cadence);
  };
  const Rendered a = render(offline(11), 36.0, commands);
  const Rendered b = render(offline(11), 36.0, commands);
  EXPECT_EQ(a.audio, b.audio);
  EXPECT_TRUE(a.finished);
  const Rendered c = render(offline(12), 36.0, commands);
  EXPECT_NE(a.audio, c.audio);
  // The ending rings out to silence.
  EXPECT_LT(rms(a.audio, 35 * kRate, 36 * kRate), 1e-4);
}

// The real-time arrangement: a composer thread and the audio thread. With sync() between blocks
// the result does not depend on scheduling; every note reaches the audio thread in time.
TEST(LiveEngine, ThreadedEngineHandsNotesOverInTime) {
  EngineOptions o = offline(8);
  o.threaded = true;
  auto commands = [](std::int64_t f, Engine& e) {
    if (f == 3 * 48128) e.set_emotion(Emotion::at(-0.7, 0.9, 0.8), At::beat);
    if (f == 5 * 48128) e.hit("accent");
  };
  const Rendered a = render(o, 10.0, commands);
  const Rendered b = render(o, 10.0, commands);
  EXPECT_EQ(a.stats.late_events, 0u);
  EXPECT_EQ(a.stats.dropped_notes, 0u);
  ASSERT_EQ(a.stats.transitions.size(), 1u);
  // The block the audio thread may be rendering (1024 frames) is left alone.
  EXPECT_GE(a.stats.transitions.front().change_frame, 3 * 48128 + 1024);
  EXPECT_EQ(a.audio, b.audio);
}

// A stream rendered with the audio thread's log of synthesizer calls, and that log played through
// a fresh FluidSynth as a plain sequencer would.
struct Logged {
  std::vector<float> live, reference;
  std::vector<SynthCall> calls;
  EngineStats stats;
};

Logged render_logged(std::uint64_t seed, double seconds,
                     const std::function<void(std::size_t, Engine&)>& at_frame) {
  EngineOptions o = offline(seed);
  o.call_log_capacity = 1 << 16;
  Engine engine(o);
  Logged run;
  const auto total = static_cast<std::size_t>(seconds * kRate);
  run.live.resize(2 * total);
  for (std::size_t f = 0; f < total; f += kBlock) {
    at_frame(f, engine);
    engine.render(run.live.data() + 2 * f, std::min(kBlock, total - f));
  }
  run.calls = engine.synth_calls();
  run.stats = engine.stats();
  render_synth_calls(run.calls, o, static_cast<std::int64_t>(total),
                     [&](const float* stereo, std::size_t frames) {
                       run.reference.insert(run.reference.end(), stereo, stereo + 2 * frames);
                     });
  return run;
}

// No clicks of its own: the live stream (changes cutting in at a beat and a bar, a hit, an
// ending that silences everything) is, sample for sample, what a plain sequencer playing the same
// synthesizer calls at the same frames gives.
TEST(LiveEngine, TheStreamIsTheOfflineRenderOfItsOwnNotes) {
  const Logged run = render_logged(5, 14.0, [](std::size_t f, Engine& engine) {
    if (f == 2 * 48128) engine.set_emotion(Emotion::at(-0.7, 0.9, 0.8), At::beat);
    if (f == 4 * 48128) engine.hit("danger");
    if (f == 6 * 48128) engine.set_emotion(Emotion::at(0.5, -0.5, 0.0), At::bar);
    if (f == 10 * 48128) engine.stop(Ending::now);
  });
  ASSERT_GT(run.calls.size(), 100u);
  ASSERT_EQ(run.stats.transitions.size(), 3u);
  ASSERT_EQ(run.reference.size(), run.live.size());
  float worst = 0;
  for (std::size_t i = 0; i < run.live.size(); ++i)
    worst = std::max(worst, std::abs(run.live[i] - run.reference[i]));
  EXPECT_EQ(worst, 0.0f);
  EXPECT_GT(rms(run.live, 0, 2 * kRate), 1e-3);
  // Nothing late or early: every call at the frame the composer asked for (a note-off may come
  // sooner: the ending silences every note, a repeated key ends the one before).
  for (const SynthCall& c : run.calls)
    if (c.kind != SynthCall::Kind::note_off) {
      EXPECT_EQ(c.frame, c.scheduled);
    }
}

// A change of instrument is made ahead of the new music, one program change per audio block,
// after the last note the old music starts on that channel: the burst of note-ons on the bar line
// does not also pay for looking presets up, and the old notes keep their instrument. A program
// or controller change that changes nothing is not made at all.
TEST(LiveEngine, InstrumentChangesAreMadeAheadOfTheNewMusic) {
  const Logged run = render_logged(5, 12.0, [](std::size_t f, Engine& engine) {
    if (f == 2 * 48128) engine.set_emotion(Emotion::at(-0.8, 0.9, 0.9), At::bar);
  });
  ASSERT_EQ(run.stats.transitions.size(), 1u);
  const std::int64_t change = run.stats.transitions.front().change_frame;
  const std::vector<SynthCall>& calls = run.calls;
  std::array<int, 16> program;
  program.fill(-1);
  std::array<std::array<int, 128>, 16> controller;
  for (auto& c : controller) c.fill(-1);
  std::vector<SynthCall> changes;  // the program changes for the new music
  for (const SynthCall& c : calls) {
    if (c.kind == SynthCall::Kind::program) {
      EXPECT_NE(program[c.channel], c.a) << "a program change to the same program at " << c.frame;
      program[c.channel] = c.a;
      if (c.frame > 0) changes.push_back(c);
    }
    if (c.kind == SynthCall::Kind::cc) {
      EXPECT_NE(controller[c.channel][c.a], c.b) << "a controller change that changes nothing";
      controller[c.channel][c.a] = c.b;
    }
  }
  ASSERT_FALSE(changes.empty()) << "the dark, tense music should change instruments";
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const SynthCall& p = changes[i];
    EXPECT_LT(p.frame, change) << "the program change for channel " << int(p.channel);
    if (i > 0) {
      EXPECT_GE(p.frame - changes[i - 1].frame, static_cast<std::int64_t>(kBlock));
    }
    for (const SynthCall& c : calls)
      if (c.kind == SynthCall::Kind::note_on && c.channel == p.channel) {
        EXPECT_FALSE(c.frame >= p.frame && c.frame < change)
            << "an old note on channel " << int(p.channel) << " at " << c.frame
            << " would play the new instrument";
      }
  }
  // The new music starts on the bar line, and the stream is still the render of its calls.
  EXPECT_TRUE(std::any_of(calls.begin(), calls.end(), [&](const SynthCall& c) {
    return c.kind == SynthCall::Kind::note_on && c.frame == change;
  }));
  ASSERT_EQ(run.reference.size(), run.live.size());
  EXPECT_TRUE(std::equal(run.live.begin(), run.live.end(), run.reference.begin()));
}

// FluidSynth holds the whole SoundFont in memory: a file deleted (an unmounted drive, an
// uninstalled package) while the music plays changes nothing; a new engine then says which file
// is missing.
TEST(LiveEngine, ASoundFontThatVanishesWhilePlayingChangesNothing) {
  const std::filesystem::path installed = find_soundfont("");
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tonepoem-live-sf-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path copy = dir / "vanishing.sf2";
  std::filesystem::copy_file(installed, copy, std::filesystem::copy_options::overwrite_existing);
  EngineOptions o = offline(9);
  o.soundfont = copy;
  auto play = [](Engine& engine, std::size_t seconds) {
    std::vector<float> audio(2 * seconds * kRate);
    for (std::size_t f = 0; f < seconds * kRate; f += kBlock) {
      if (f == 2 * 48128) engine.set_emotion(Emotion::at(-0.6, 0.7, 0.6), At::bar);
      engine.render(audio.data() + 2 * f, std::min(kBlock, seconds * kRate - f));
    }
    return audio;
  };
  Engine kept(o);
  const std::vector<float> expected = play(kept, 6);
  Engine engine(o);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(std::filesystem::exists(copy));
  EXPECT_EQ(play(engine, 6), expected);
  EXPECT_GT(rms(expected, 4 * kRate, 6 * kRate), 1e-3);
  try {
    Engine later(o);
    FAIL() << "an engine started on a SoundFont that is gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE(e.describe().find("vanishing.sf2"), std::string::npos) << e.describe();
  }
}

// A hit is the offline composer's hit point on the next beat: an accent, a stinger with its
// pickup run, a drop to silence, a held chord; the music goes on in the same emotion after it.
TEST(LiveEngine, HitsPlayTheComposersHitPointOnTheNextBeat) {
  const std::int64_t asked = 4 * 48128 + 300;
  auto run_hit = [&](const std::string& kind) {
    EngineOptions o = offline(21);
    o.start = Emotion::at(0.4, 0.5, 0.2);  // drums play
    return render(o, 8.0, [&](std::int64_t f, Engine& e) {
      if (f == 4 * 48128) {
        std::vector<float> skip(2 * 300);
        e.render(skip.data(), 300);  // the command lands between beats
        e.hit(kind);
      }
    });
  };
  auto at = [](const Rendered& r, std::int64_t frame) {
    std::vector<PlayedNote> out;
    for (const PlayedNote& n : r.notes)
      if (n.frame == frame) out.push_back(n);
    return out;
  };
  auto has_drum = [](const std::vector<PlayedNote>& notes, int key) {
    return std::any_of(notes.begin(), notes.end(),
                       [&](const PlayedNote& n) { return n.channel == 9 && n.key == key; });
  };
  auto loud = [](const std::vector<PlayedNote>& notes) {
    return std::count_if(notes.begin(), notes.end(),
                         [](const PlayedNote& n) { return n.channel != 9 && n.velocity >= 90; });
  };
  for (const std::string kind : {"accent", "danger", "death", "cry"}) {
    SCOPED_TRACE(kind);
    const Rendered r = run_hit(kind);
    ASSERT_EQ(r.stats.hits.size(), 1u);
    const HitPlaced& h = r.stats.hits.front();
    EXPECT_EQ(h.kind, kind);
    const auto beat = static_cast<std::int64_t>(h.beat_s * kRate);
    EXPECT_GE(h.hit_frame, asked);
    EXPECT_LE(h.hit_frame - asked, beat + 1);  // within one beat of the command
    const std::vector<PlayedNote> hit = at(r, h.hit_frame);
    const std::vector<PlayedNote> after = notes_in(r.notes, h.hit_frame + 1, h.hit_frame + beat);
    if (kind == "accent") {
      EXPECT_GE(loud(hit), 3);
      EXPECT_TRUE(has_drum(hit, 49));  // crash
    } else if (kind == "danger") {
      EXPECT_GE(loud(hit), 3);
      EXPECT_TRUE(has_drum(hit, 52));  // tam-tam
      // The pickup: rising sixteenths into the hit, those not already past when it was asked.
      const std::vector<PlayedNote> run = notes_in(r.notes, asked, h.hit_frame);
      std::vector<int> rising;
      for (const PlayedNote& n : run)
        if (n.generation == 0xFFFFFFFFu) rising.push_back(n.key);
      ASSERT_GE(rising.size(), 1u);
      EXPECT_LE(rising.size(), 3u);
      EXPECT_TRUE(std::is_sorted(rising.begin(), rising.end()));
    } else if (kind == "death") {
      EXPECT_TRUE(hit.empty());
      EXPECT_TRUE(after.empty());
      // Everything stops: the beat after the hit is far quieter than the beat before it.
      EXPECT_LT(rms(r.audio, h.hit_frame + beat / 2, h.hit_frame + beat),
                0.3 * rms(r.audio, h.hit_frame - beat, h.hit_frame));
    } else {
      EXPECT_GE(loud(hit), 3);
      // The rhythm stops under the held chord: nothing but the melody starts in the next beat.
      for (const PlayedNote& n : after) EXPECT_NE(n.channel, 9);
    }
    // The music goes on after it.
    EXPECT_FALSE(notes_in(r.notes, h.hit_frame + 3 * beat, h.hit_frame + 8 * beat).empty());
  }
}

// A change at the next bar does not jump to the new tempo: the new music's first bar eases in
// from the tempo that was playing, and its loudness swells from the old level.
TEST(LiveEngine, ABarChangeEasesIntoTheNewTempoAndLoudness) {
  EngineOptions o = offline(4);
  o.start = Emotion::at(0.3, -0.7, 0.0);  // slow and soft
  const Rendered r = render(o, 20.0, [](std::int64_t f, Engine& e) {
    if (f == 3 * 48128) e.set_emotion(Emotion::at(0.5, 0.9, 0.3), At::bar);  // fast and loud
  });
  ASSERT_EQ(r.stats.transitions.size(), 1u);
  const std::int64_t change = r.stats.transitions.front().change_frame;
  std::vector<std::int64_t> bars;
  for (std::int64_t b : r.stats.bar_frames)
    if (b >= change) bars.push_back(b);
  std::sort(bars.begin(), bars.end());
  bars.erase(std::unique(bars.begin(), bars.end()), bars.end());
  ASSERT_GE(bars.size(), 4u);
  ASSERT_EQ(bars.front(), change);
  const double first = static_cast<double>(bars[1] - bars[0]);
  const double second = static_cast<double>(bars[2] - bars[1]);
  const double third = static_cast<double>(bars[3] - bars[2]);
  EXPECT_GT(first, 1.15 * second);  // the first bar is slower: it starts near the old tempo
  EXPECT_NEAR(second, third, 0.02 * third);
  auto mean_velocity = [&](std::int64_t from, std::int64_t to) {
    double sum = 0;
    int n = 0;
    for (const PlayedNote& note : notes_in(r.notes, from, to))
      if (note.channel != 9) {
        sum += note.velocity;
        ++n;
      }
    return n ? sum / n : 0.0;
  };
  EXPECT_LT(mean_velocity(bars[0], bars[1]), mean_velocity(bars[2], bars[3]) - 5);
}

// A host that stops calling render (a paused game) while commands keep coming: nothing is
// refused, nothing piles up, and when it renders again only the latest change plays.
TEST(LiveEngine, AHostThatStopsRenderingLosesNothingButTheReplacedChanges) {
  EngineOptions o = offline(13);
  o.threaded = true;
  Engine engine(o);
  std::vector<float> block(2 * kBlock);
  for (int i = 0; i < 100; ++i) engine.render(block.data(), kBlock);
  // The pause: 400 changes and 40 hits, the render not called.
  for (int i = 0; i < 400; ++i) {
    engine.set_emotion(Emotion::at(i % 2 ? 0.6 : -0.6, i % 3 ? 0.4 : -0.4, 0.2), At::beat);
    if (i % 10 == 0) engine.hit("accent");
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(6));
  }
  engine.set_emotion(Emotion::at(-0.8, 0.9, 0.9), At::beat);  // the one that should play
  engine.sync();
  std::vector<float> after(2 * 4 * kRate);
  for (std::size_t f = 0; f < 4 * kRate; f += kBlock) {
    engine.sync();
    engine.render(after.data() + 2 * f, std::min(kBlock, 4 * kRate - f));
  }
  const EngineStats st = engine.stats();
  EXPECT_EQ(st.late_events, 0u);
  ASSERT_FALSE(st.transitions.empty());
  EXPECT_LT(st.transitions.size(), 80u);  // replaced changes were dropped, not composed
  const Transition& last = st.transitions.back();
  // From the last change on, only its own music (and hit notes) plays.
  for (const PlayedNote& n : engine.played_notes())
    if (n.frame >= last.change_frame) {
      EXPECT_TRUE(n.generation >= last.generation) << "a replaced change's note at " << n.frame;
    }
  EXPECT_GT(rms(after, kRate, 4 * kRate), 1e-3);
}

TEST(LiveEngine, RefusesCommandsAfterStopAndBadValues) {
  Engine engine(offline(1));
  EXPECT_THROW(engine.set_emotion(Emotion::at(std::nan(""), 0, 0), At::bar), Error);
  engine.stop(Ending::now);
  EXPECT_THROW(engine.hit("accent"), CommandRefused);
  std::vector<float> block(2 * kBlock);
  for (int i = 0; i < 400 && !engine.finished(); ++i) engine.render(block.data(), kBlock);
  EXPECT_TRUE(engine.finished());
}

TEST(LiveEngine, InvalidOptionsNameTheField) {
  EngineOptions o = offline(1);
  o.sample_rate = 100;
  o.style = "baroque";
  const auto problems = o.validate();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("sample_rate"), std::string::npos);
  EXPECT_NE(problems[1].find("style"), std::string::npos);
  o = offline(1);
  o.soundfont = "/nonexistent/gone.sf2";
  try {
    Engine engine(o);
    FAIL() << "a missing SoundFont was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE(e.describe().find("gone.sf2"), std::string::npos);
  }
}

TEST(LiveCommands, ParsesEachKind) {
  auto p = parse_command_line(R"({"valence":-0.6,"arousal":0.8,"at":"beat","t":2.5})", 1);
  ASSERT_TRUE(p.command);
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.command->type, LiveCommand::Type::emotion);
  EXPECT_EQ(*p.command->valence, -0.6);
  EXPECT_FALSE(p.command->tension);
  EXPECT_EQ(p.command->at, At::beat);
  EXPECT_EQ(*p.command->t, 2.5);
  p = parse_command_line(R"({"hit":"accent"})", 2);
  ASSERT_TRUE(p.command);
  EXPECT_EQ(p.command->type, LiveCommand::Type::hit);
  EXPECT_EQ(p.command->text, "accent");
  p = parse_command_line(R"({"stop":"now"})", 3);
  ASSERT_TRUE(p.command);
  EXPECT_EQ(p.command->ending, Ending::now);
  p = parse_command_line(R"({"t": 4, "caption":"The river rose."})", 6);
  ASSERT_TRUE(p.command);
  EXPECT_EQ(p.command->type, LiveCommand::Type::caption);
  EXPECT_EQ(p.command->text, "The river rose.");
  EXPECT_FALSE(parse_command_line(R"({"caption": 3})", 7).command);
  EXPECT_FALSE(parse_command_line("   ", 4).command);
  EXPECT_FALSE(parse_command_line("# a comment", 5).command);
  EXPECT_TRUE(parse_command_line("# a comment", 5).warnings.empty());
}

// An OSC message encoded by liblo, as a controller would send it.
std::vector<std::byte> osc(const char* path, const std::function<void(lo_message)>& add) {
  lo_message m = lo_message_new();
  add(m);
  std::size_t size = 0;
  void* data = lo_message_serialise(m, path, nullptr, &size);
  std::vector<std::byte> out(static_cast<std::byte*>(data), static_cast<std::byte*>(data) + size);
  std::free(data);
  lo_message_free(m);
  return out;
}

TEST(LiveOsc, MessagesBecomeCommands) {
  auto p = parse_osc_message(osc("/tonepoem/emotion",
                                 [](lo_message m) {
                                   lo_message_add_float(m, -0.6f);
                                   lo_message_add_double(m, 0.8);
                                   lo_message_add_int32(m, 1);
                                   lo_message_add_string(m, "beat");
                                 }),
                             1);
  ASSERT_TRUE(p.command);
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.command->type, LiveCommand::Type::emotion);
  EXPECT_NEAR(*p.command->valence, -0.6, 1e-6);
  EXPECT_DOUBLE_EQ(*p.command->arousal, 0.8);
  EXPECT_DOUBLE_EQ(*p.command->tension, 1.0);
  EXPECT_EQ(p.command->at, At::beat);
  p = parse_osc_message(osc("/tonepoem/arousal", [](lo_message m) { lo_message_add_float(m, 2); }),
                        2);
  ASSERT_TRUE(p.command);
  EXPECT_FALSE(p.command->valence);
  EXPECT_DOUBLE_EQ(*p.command->arousal, 1.0);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("clamped to 1"), std::string::npos) << p.warnings[0];
  p = parse_osc_message(
      osc("/tonepoem/hit", [](lo_message m) { lo_message_add_string(m, "danger"); }), 3);
  ASSERT_TRUE(p.command);
  EXPECT_EQ(p.command->type, LiveCommand::Type::hit);
  EXPECT_EQ(p.command->text, "danger");
  p = parse_osc_message(osc("/tonepoem/stop", [](lo_message) {}), 4);
  ASSERT_TRUE(p.command);
  EXPECT_EQ(p.command->type, LiveCommand::Type::stop);
  EXPECT_EQ(p.command->ending, Ending::cadence);
}

TEST(LiveOsc, BadMessagesAreNamedAndSkipped) {
  auto first = [](const ParsedLine& p) { return p.warnings.empty() ? "" : p.warnings[0]; };
  auto p = parse_osc_message(
      osc("/tonepoem/emotion", [](lo_message m) { lo_message_add_string(m, "sad"); }), 5);
  EXPECT_FALSE(p.command);
  EXPECT_EQ(first(p).rfind("OSC message 5 (/tonepoem/emotion ,s): give valence and arousal", 0), 0u)
      << first(p);
  p = parse_osc_message(osc("/other/thing", [](lo_message) {}), 6);
  EXPECT_FALSE(p.command);
  EXPECT_NE(first(p).find("addresses start /tonepoem/"), std::string::npos) << first(p);
  const std::string text = "not osc at all";
  p = parse_osc_message(std::as_bytes(std::span(text.data(), text.size())), 7);
  EXPECT_FALSE(p.command);
  EXPECT_EQ(first(p), "OSC message 7: not an OSC message; skipped, the music goes on");
  EXPECT_FALSE(parse_osc_message({}, 8).command);
  // Every prefix of a good message is refused cleanly.
  const auto good = osc("/tonepoem/caption", [](lo_message m) { lo_message_add_string(m, "x"); });
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(parse_osc_message(std::span(good.data(), n), 9).command) << n;
}

TEST(LiveCommands, MalformedLinesAreNamedAndSkipped) {
  auto p = parse_command_line(R"({"valence": -0.6,)", 7);
  EXPECT_FALSE(p.command);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0],
            "line 7: not JSON (a syntax error at byte 18); skipped, the music goes on");
  p = parse_command_line("[1,2]", 8);
  EXPECT_FALSE(p.command);
  EXPECT_NE(p.warnings.at(0).find("line 8"), std::string::npos);
  p = parse_command_line(R"({"valence":"sad"})", 9);
  EXPECT_FALSE(p.command);
  EXPECT_NE(p.warnings.at(0).find("valence must be a number"), std::string::npos);
  p = parse_command_line(R"({"hit":"accent","valence":0})", 10);
  EXPECT_FALSE(p.command);
  p = parse_command_line(R"({"stop":3})", 11);
  EXPECT_FALSE(p.command);
}

TEST(LiveCommands, OutOfRangeValuesAreClampedWithAWarning) {
  auto p = parse_command_line(R"({"valence":-1.7,"tension":2,"at":"soon","colour":1})", 4);
  ASSERT_TRUE(p.command);
  EXPECT_EQ(*p.command->valence, -1.0);
  EXPECT_EQ(*p.command->tension, 1.0);
  EXPECT_EQ(p.command->at, At::bar);
  ASSERT_EQ(p.warnings.size(), 4u);
  std::string all;
  for (const auto& w : p.warnings) all += w + "\n";
  EXPECT_NE(all.find("line 4: valence -1.7 is outside -1 .. 1; clamped to -1"), std::string::npos)
      << all;
  EXPECT_NE(all.find("unknown field 'colour'"), std::string::npos) << all;
  EXPECT_NE(all.find("using \"bar\""), std::string::npos) << all;
}

}  // namespace
}  // namespace tonepoem::live
