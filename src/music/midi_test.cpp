#include "music/midi.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "music/compose.h"

namespace tonepoem {
namespace {

Emotion emo(double v, double a, double t = 0) {
  return Emotion::at(v, a, t);
}

CueSheet two_scenes(std::uint64_t seed) {
  CueSheet c;
  c.title = "Calm then danger";
  c.duration_s = 40;
  c.seed = seed;
  c.cues = {Cue{"Calm", 0, 18, emo(0.6, -0.5), {}, {}},
            Cue{"Danger", 18, 40, emo(-0.7, 0.7, 0.9), {}, {}}};
  return c;
}

std::string u32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string header(int format, int tracks, int ppq = 96) {
  return std::string("MThd") + u32(6) + std::string{0, static_cast<char>(format),
                                                    0, static_cast<char>(tracks),
                                                    0, static_cast<char>(ppq)};
}

std::string mtrk(const std::string& data) {
  return "MTrk" + u32(static_cast<std::uint32_t>(data.size())) + data;
}

TEST(Midi, RoundTripKeepsNotesTempoMarkersAndKeys) {
  const Score s = compose(two_scenes(3), {});
  const Score r = read_midi(write_midi(s), "round trip");
  EXPECT_EQ(r.title, s.title);
  EXPECT_EQ(r.ppq, s.ppq);
  ASSERT_EQ(r.tracks.size(), s.tracks.size());
  for (std::size_t i = 0; i < s.tracks.size(); ++i) {
    const Track& a = s.tracks[i];
    const Track& b = r.tracks[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.role, b.role);
    EXPECT_EQ(a.channel, b.channel);
    if (a.channel != 9) {
      EXPECT_EQ(a.program, b.program);
      EXPECT_EQ(a.program_changes, b.program_changes);
    }
    EXPECT_NEAR(a.pan, b.pan, 0.01);
    EXPECT_NEAR(a.gain, b.gain, 0.01);
    ASSERT_EQ(a.notes.size(), b.notes.size()) << a.name;
    for (std::size_t k = 0; k < a.notes.size(); ++k) {
      EXPECT_EQ(a.notes[k].tick, b.notes[k].tick);
      EXPECT_EQ(a.notes[k].duration, b.notes[k].duration);
      EXPECT_EQ(a.notes[k].pitch, b.notes[k].pitch);
      EXPECT_EQ(a.notes[k].velocity, b.notes[k].velocity);
    }
  }
  ASSERT_EQ(r.tempo.size(), s.tempo.size());
  for (std::size_t i = 0; i < s.tempo.size(); ++i) {
    EXPECT_EQ(r.tempo[i].tick, s.tempo[i].tick);
    EXPECT_NEAR(r.tempo[i].bpm, s.tempo[i].bpm, 1e-9);
  }
  ASSERT_EQ(r.markers.size(), s.markers.size());
  for (std::size_t i = 0; i < s.markers.size(); ++i) {
    EXPECT_EQ(r.markers[i].tick, s.markers[i].tick);
    EXPECT_EQ(r.markers[i].text, s.markers[i].text);
  }
  ASSERT_EQ(r.keys.size(), s.keys.size());
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    EXPECT_EQ(r.keys[i].tonic, s.keys[i].tonic);
    EXPECT_EQ(r.keys[i].mode, s.keys[i].mode);
  }
  EXPECT_EQ(r.end_tick, s.end_tick);
  EXPECT_NEAR(r.duration_s(), s.duration_s(), 1e-6);
  // Sections come back from the markers, with their keys and tempi.
  ASSERT_EQ(r.sections.size(), s.sections.size());
  for (std::size_t i = 0; i < s.sections.size(); ++i) {
    EXPECT_EQ(r.sections[i].name, s.sections[i].name);
    EXPECT_EQ(r.sections[i].start_tick, s.sections[i].start_tick);
    EXPECT_EQ(r.sections[i].mode, s.sections[i].mode);
    EXPECT_NEAR(r.sections[i].tempo_bpm, s.sections[i].tempo_bpm, 1e-6);
    EXPECT_NEAR(r.sections[i].start_s, s.sections[i].start_s, 1e-6);
  }
}

TEST(Midi, SameSeedSameBytesDifferentSeedDifferentBytes) {
  const std::string a = write_midi(compose(two_scenes(42), {}));
  const std::string b = write_midi(compose(two_scenes(42), {}));
  const std::string c = write_midi(compose(two_scenes(43), {}));
  EXPECT_TRUE(a == b) << "same seed, different bytes";
  EXPECT_TRUE(a != c) << "different seeds, same bytes";
}

TEST(Midi, WritesTypeOneWithConductorAndNamedTracks) {
  const Score s = compose(two_scenes(1), {});
  const std::string bytes = write_midi(s);
  ASSERT_GE(bytes.size(), 14u);
  EXPECT_EQ(bytes.substr(0, 4), "MThd");
  EXPECT_EQ(bytes[9], 1) << "format 1";
  EXPECT_EQ(static_cast<unsigned char>(bytes[11]), s.tracks.size() + 1);
  // The conductor holds a time signature, key signature, tempo and the markers.
  EXPECT_NE(bytes.find("\xFF\x58\x04", 0, 3), std::string::npos);
  EXPECT_NE(bytes.find("\xFF\x59\x02", 0, 3), std::string::npos);
  EXPECT_NE(bytes.find("\xFF\x51\x03", 0, 3), std::string::npos);
  EXPECT_NE(bytes.find(std::string("\xFF\x06\x04") + "Calm"), std::string::npos);
  EXPECT_NE(bytes.find(std::string("\xFF\x06\x06") + "Danger"), std::string::npos);
}

TEST(Midi, HandWrittenScoreRoundTrips) {
  Score s;
  s.title = "hand";
  s.ppq = 480;
  s.tempo = {{0, 100.0}, {1920, 60'000'000.0 / 500'000}};
  s.keys = {{0, 2, Mode::dorian}, {1920, 4, Mode::phrygian}};
  s.meters = {{0, 3, 4}, {1440, 4, 4}};
  s.markers = {{0, "A"}, {1440, "B"}};
  Track t;
  t.name = "Melody (Oboe)";
  t.role = "melody";
  t.channel = 3;
  t.program = 68;
  t.pan = -0.5;
  t.gain = 0.8;
  t.program_changes = {{1440, 71}};
  t.notes = {{0, 480, 62, 90}, {480, 480, 64, 70}, {1440, 960, 65, 100}};
  s.tracks.push_back(t);
  s.end_tick = 3360;
  const Score r = read_midi(write_midi(s));
  ASSERT_EQ(r.tracks.size(), 1u);
  EXPECT_EQ(r.tracks[0].program, 68);
  ASSERT_EQ(r.tracks[0].program_changes.size(), 1u);
  EXPECT_EQ(r.tracks[0].program_changes[0].second, 71);
  EXPECT_EQ(r.keys[0].mode, Mode::dorian);
  EXPECT_EQ(r.keys[0].tonic, 2);
  EXPECT_EQ(r.keys[1].mode, Mode::phrygian);
  ASSERT_EQ(r.meters.size(), 2u);
  EXPECT_EQ(r.meters[0].numerator, 3);
  EXPECT_EQ(r.meters[1].tick, 1440);
  EXPECT_EQ(r.end_tick, 3360);
  EXPECT_EQ(r.sections.size(), 2u);
  EXPECT_EQ(r.sections[1].instruments, std::vector<std::string>{"Clarinet"});
  EXPECT_EQ(r.sections[0].beats_per_bar, 3);
}

TEST(Midi, ReadsTypeZeroWithRunningStatusAndSysex) {
  // One track: tempo, a sysex, two channels, running status, note-on velocity 0 as note-off.
  std::string d;
  d += std::string("\x00\xFF\x51\x03\x07\xA1\x20", 7);  // 500000 us = 120 bpm
  d += std::string("\x00\xF0\x03\x7E\x09\xF7", 6);      // sysex, skipped
  d += std::string("\x00\xC1\x28", 3);                  // ch 2: violin
  d += std::string("\x00\x90\x3C\x64", 4);              // ch 1 C4 on
  d += std::string("\x00\x40\x50", 3);                  // running: E4 on
  d += std::string("\x60\x3C\x00", 3);                  // running: C4 off (vel 0)
  d += std::string("\x00\x40\x00", 3);                  // E4 off
  d += std::string("\x00\x91\x43\x50", 4);              // ch 2 G4 on
  d += std::string("\x81\x40\x81\x43\x00", 5);          // 192 ticks later: off
  d += std::string("\x00\xFF\x2F\x00", 4);
  const Score s = read_midi(header(0, 1) + mtrk(d), "type0.mid");
  ASSERT_EQ(s.tracks.size(), 2u);
  EXPECT_EQ(s.tracks[0].channel, 0);
  ASSERT_EQ(s.tracks[0].notes.size(), 2u);
  EXPECT_EQ(s.tracks[0].notes[0].pitch, 60);
  EXPECT_EQ(s.tracks[0].notes[0].duration, 96);
  EXPECT_EQ(s.tracks[0].notes[1].pitch, 64);
  EXPECT_EQ(s.tracks[1].program, 40);
  EXPECT_EQ(s.tracks[1].notes[0].duration, 192);
  EXPECT_NEAR(s.tempo[0].bpm, 120.0, 1e-9);
  EXPECT_EQ(s.ppq, 96);
  EXPECT_EQ(s.end_tick, 288);
}

void expect_bad(const std::string& bytes, const std::string& offset_text) {
  try {
    read_midi(bytes, "broken.mid");
    ADD_FAILURE() << "expected an Error for " << offset_text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.file(), "broken.mid");
    EXPECT_NE(std::string(e.what()).find(offset_text), std::string::npos) << e.what();
  }
}

TEST(Midi, MalformedBytesThrowWithTheOffset) {
  expect_bad("", "byte 0");
  expect_bad("RIFF0000000000000000", "byte 0");
  expect_bad(header(2, 1), "byte 8");  // format 2
  // A track chunk that claims more bytes than there are: offset of the chunk (14).
  expect_bad(header(1, 1) + "MTrk" + u32(100) + std::string("\x00\xFF\x2F\x00", 4), "byte 14");
  // A data byte with no running status: first event at 14 + 8 + 1 (after the delta).
  expect_bad(header(1, 1) + mtrk(std::string("\x00\x3C\x40\x00\xFF\x2F\x00", 7)), "byte 23");
  // A system common status (0xF2) inside a file.
  expect_bad(header(1, 1) + mtrk(std::string("\x00\xF2\x00\x00", 4)), "byte 23");
  // A note-on cut short at the end of the chunk.
  expect_bad(header(1, 1) + mtrk(std::string("\x00\x90\x3C", 3)), "byte 25");
  // A data byte above 127 in a note-on.
  expect_bad(header(1, 1) + mtrk(std::string("\x00\x90\x3C\xC0\x00\xFF\x2F\x00", 8)), "byte 25");
  // Fewer tracks than the header says.
  expect_bad(header(1, 2) + mtrk(std::string("\x00\xFF\x2F\x00", 4)), "byte 26");
  // Every truncation of a real file fails cleanly or parses; never crashes.
  const std::string good = write_midi(compose(two_scenes(2), {}));
  for (std::size_t cut = 0; cut < 400; cut += 7) {
    try {
      read_midi(std::string_view(good).substr(0, cut), "cut.mid");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
    }
  }
}

TEST(Midi, SaveAndLoad) {
  const auto dir = std::filesystem::temp_directory_path() / "tonepoem_midi_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "score.mid";
  const Score s = compose(two_scenes(9), {});
  save_midi(s, path);
  const Score r = load_midi(path);
  EXPECT_EQ(r.tracks.size(), s.tracks.size());
  std::filesystem::remove_all(dir);
  EXPECT_THROW(load_midi(dir / "missing.mid"), Error);
}

}  // namespace
}  // namespace tonepoem
