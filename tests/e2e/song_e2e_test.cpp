// `tonepoem lyrics` and `tonepoem make --song` run as a user runs them.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "audio_analysis/vocal_accuracy.h"
#include "model/score.h"
#include "music/midi.h"
#include "run_cli.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kBinary = TONEPOEM_BINARY;
const fs::path kSource = TONEPOEM_SOURCE_DIR;
const fs::path kTestSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

using e2e::quote;
using e2e::RunResult;

RunResult run(const std::string& args) {
  return e2e::run_shell(kBinary.string() + " " + args);
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-song-e2e-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path write_story(const fs::path& dir, const std::string& text) {
  const fs::path story = dir / "story.txt";
  std::ofstream(story, std::ios::binary) << text;
  return story;
}

TEST(SongE2E, LyricsPrintsVersesAndAReturningChorus) {
  const RunResult r = run("lyrics " + quote(kSource / "examples/the-lantern-at-the-ford.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[Verse 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[Chorus]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Mira"), std::string::npos) << r.output;
}

TEST(SongE2E, LyricsJsonHasSectionsLinesAndSyllables) {
  const fs::path dir = fresh_dir("json");
  const RunResult r = run("lyrics " + quote(kSource / "examples/moon-lake-boat.zh.txt") + " -o " +
                          quote(dir / "lyrics.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_file(dir / "lyrics.json"));
  EXPECT_EQ(j["language"], "zh");
  ASSERT_GE(j["sections"].size(), 2u);
  const auto& line = j["sections"][0]["lines"][0];
  std::size_t syllables = 0;
  for (const auto& w : line["words"]) syllables += w["syllables"].size();
  EXPECT_EQ(syllables, line["syllable_count"].get<std::size_t>());
  EXPECT_TRUE(line["words"][0]["syllables"][0].contains("pinyin"));
}

TEST(SongE2E, StoryWithNoLyricsFailsClearlyAndWritesNothing) {
  const fs::path dir = fresh_dir("no-lyrics");
  const fs::path story = write_story(dir, "12, 34. 56!\n7 8 9? Oh.\n");
  const RunResult r = run("lyrics " + quote(story) + " -o " + quote(dir / "lyrics.txt"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find(story.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lyrics"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "lyrics.txt"));
  const RunResult make = run("make " + quote(story) + " --song --no-video --no-refine -o " +
                             quote(dir / "out") + " --soundfont " + quote(kTestSoundFont));
  EXPECT_EQ(make.exit_code, 3) << make.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "score.mid"));
  EXPECT_FALSE(fs::exists(dir / "out" / "lyrics.txt"));
}

TEST(SongE2E, NonUtf8StoryFailsClearlyAndWritesNothing) {
  const fs::path dir = fresh_dir("latin1");
  const fs::path story = write_story(dir, "Once upon a time.\nThe caf\xe9 was warm.\n");
  const RunResult r = run("lyrics " + quote(story) + " -o " + quote(dir / "lyrics.txt"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("line 2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "lyrics.txt"));
}

TEST(SongE2E, SongWithNarrationIsAUsageError) {
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " --song --narrate -o " + quote(fresh_dir("narrate")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("song"), std::string::npos) << r.output;
}

long parse_clock(const std::string& t) {
  return std::stol(t.substr(1, 2)) * 60000 + std::stol(t.substr(4, 2)) * 1000 +
         std::stol(t.substr(7, 3));
}

// The karaoke MIDI, LRC and enhanced LRC all say the times of the vocal notes.
TEST(SongE2E, MakeSongWritesKaraokeFilesThatLineUpWithTheNotes) {
  const fs::path dir = fresh_dir("make-song");
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " --song --musicxml --captions srt --no-video --no-refine -q -o " +
                          quote(dir) + " --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f :
       {"lyrics.txt", "lyrics.json", "lyrics.lrc", "lyrics.enhanced.lrc", "lyrics.ass"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  const auto lyrics = nlohmann::json::parse(read_file(dir / "lyrics.json"));
  std::size_t syllables = 0;
  std::vector<std::string> line_texts;
  for (const auto& s : lyrics["sections"])
    for (const auto& l : s["lines"]) {
      syllables += l["syllable_count"].get<std::size_t>();
      line_texts.push_back(l["text"]);
    }
  const Score score = load_midi(dir / "score.mid");
  const Track* vocal = nullptr;
  for (const Track& t : score.tracks)
    if (!t.lyrics.empty()) vocal = &t;
  ASSERT_NE(vocal, nullptr) << "score.mid has a track with lyric events";
  EXPECT_EQ(vocal->lyrics.size(), syllables);  // every syllable on a note
  ASSERT_EQ(vocal->notes.size(), vocal->lyrics.size());
  std::vector<long> note_ms;
  for (std::size_t i = 0; i < vocal->notes.size(); ++i) {
    EXPECT_EQ(vocal->lyrics[i].tick, vocal->notes[i].tick);
    note_ms.push_back(std::lround(score.seconds_at(vocal->notes[i].tick) * 1000));
  }
  // Each LRC line starts at the note of its first syllable.
  const std::string lrc = read_file(dir / "lyrics.lrc");
  const std::regex line_re(R"((\[\d\d:\d\d\.\d\d\d\])(.*))");
  std::size_t line = 0, first_syllable = 0;
  for (auto it = std::sregex_iterator(lrc.begin(), lrc.end(), line_re);
       it != std::sregex_iterator(); ++it, ++line) {
    ASSERT_LT(line, line_texts.size());
    EXPECT_EQ((*it)[2].str(), line_texts[line]);
    EXPECT_EQ(parse_clock((*it)[1].str()), note_ms[first_syllable]) << line_texts[line];
    std::size_t n = 0;
    for (const auto& s : lyrics["sections"])
      for (const auto& l : s["lines"])
        if (n++ == line) first_syllable += l["syllable_count"].get<std::size_t>();
  }
  EXPECT_EQ(line, line_texts.size());
  // Enhanced LRC: as many word times as words, each at one of the notes.
  const std::string elrc = read_file(dir / "lyrics.enhanced.lrc");
  const std::regex word_re(R"(<\d\d:\d\d\.\d\d\d>)");
  std::size_t words = 0;
  for (auto it = std::sregex_iterator(elrc.begin(), elrc.end(), word_re);
       it != std::sregex_iterator(); ++it, ++words)
    EXPECT_NE(std::find(note_ms.begin(), note_ms.end(), parse_clock(it->str())), note_ms.end());
  std::size_t lyric_words = 0;
  for (const auto& s : lyrics["sections"])
    for (const auto& l : s["lines"]) lyric_words += l["words"].size();
  EXPECT_EQ(words, lyric_words);
  // ASS karaoke: a Dialogue per line and a {\kf} fill per sung syllable.
  const std::string ass = read_file(dir / "lyrics.ass");
  std::size_t dialogues = 0, fills = 0;
  for (std::size_t p = 0; (p = ass.find("\nDialogue: ", p)) != std::string::npos; ++p) ++dialogues;
  for (std::size_t p = 0; (p = ass.find("{\\kf", p)) != std::string::npos; ++p) ++fills;
  EXPECT_EQ(dialogues, line_texts.size());
  EXPECT_EQ(fills, syllables);
  // MusicXML: every sung syllable stands under its note.
  const std::string xml = read_file(dir / "score.musicxml");
  std::size_t xml_lyrics = 0;
  for (std::size_t p = 0; (p = xml.find("<lyric ", p)) != std::string::npos; ++p) ++xml_lyrics;
  EXPECT_EQ(xml_lyrics, syllables);
  const auto report = nlohmann::json::parse(read_file(dir / "report.json"));
  EXPECT_EQ(report["song"]["sung"], report["song"]["syllables"]);
  EXPECT_EQ(report["outputs"]["lyrics"].size(), 5u);
  // The captions (and so the video's) are the sung lines, each from its first note.
  const std::string srt = read_file(dir / "captions.srt");
  const std::regex cue_re(R"((\d\d):(\d\d):(\d\d),(\d\d\d) --> [^\n]*\n([^\n]*))");
  std::size_t cue = 0;
  first_syllable = 0;
  for (auto it = std::sregex_iterator(srt.begin(), srt.end(), cue_re); it != std::sregex_iterator();
       ++it, ++cue) {
    ASSERT_LT(cue, line_texts.size());
    EXPECT_EQ((*it)[5].str(), line_texts[cue]);
    const long ms = std::stol((*it)[1].str()) * 3600000 + std::stol((*it)[2].str()) * 60000 +
                    std::stol((*it)[3].str()) * 1000 + std::stol((*it)[4].str());
    EXPECT_NEAR(ms, note_ms[first_syllable], 1) << line_texts[cue];
    std::size_t n = 0;
    for (const auto& s : lyrics["sections"])
      for (const auto& l : s["lines"])
        if (n++ == cue) first_syllable += l["syllable_count"].get<std::size_t>();
  }
  EXPECT_EQ(cue, line_texts.size());
  // The accompaniment leaves room for the voice: under a sung line the melody keeps only notes on
  // beats, and the doubling and the counterline rest.
  std::vector<std::pair<double, double>> spans;  // each sung line, seconds
  std::size_t first = 0;
  for (const auto& s : lyrics["sections"])
    for (const auto& l : s["lines"]) {
      const std::size_t count = l["syllable_count"].get<std::size_t>();
      const Note& last = vocal->notes[first + count - 1];
      spans.emplace_back(score.seconds_at(vocal->notes[first].tick),
                         score.seconds_at(last.tick + last.duration));
      first += count;
    }
  for (const Track& t : score.tracks) {
    if (t.role != "melody" && t.role != "doubling" && t.role != "counter") continue;
    for (const Note& n : t.notes) {
      const double at = score.seconds_at(n.tick);
      const bool under = std::any_of(spans.begin(), spans.end(), [&](const auto& span) {
        return at >= span.first - 0.25 && at < span.second;
      });
      if (!under) continue;
      EXPECT_TRUE(t.role == "melody" && n.tick % score.ppq == 0)
          << t.role << " note at " << at << " s under a sung line";
    }
  }
  EXPECT_GT(report["song"]["accompaniment_notes_rested"].get<int>(), 0);
}

// --sing: a voice sings the vocal track's notes (read back from score.mid) in vocal.wav, at their
// pitch and on their starts, and it is in the mix.
TEST(SongE2E, MakeSongSingSingsTheVocalTracksNotes) {
  const fs::path dir = fresh_dir("sing");
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " --song --sing --no-video --no-refine -q -o " + quote(dir) +
                          " --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::exists(dir / "vocal.wav"));
  const auto report = nlohmann::json::parse(read_file(dir / "report.json"));
  EXPECT_EQ(report["outputs"]["vocal"], "vocal.wav");

  const Score score = load_midi(dir / "score.mid");
  const Track* vocal = nullptr;
  for (const Track& t : score.tracks)
    if (!t.lyrics.empty()) vocal = &t;
  ASSERT_NE(vocal, nullptr);
  std::vector<SungNote> notes;
  for (const Note& n : vocal->notes)
    notes.push_back({"", n.pitch, score.seconds_at(n.tick), score.seconds_at(n.tick + n.duration)});
  const AudioBuffer voice = read_audio(dir / "vocal.wav");
  const VocalAccuracy a = vocal_accuracy(voice, notes);
  EXPECT_GE(a.pitched, notes.size() * 95 / 100);
  EXPECT_LE(a.median_pitch_error_cents, 50);
  EXPECT_GE(a.within_50_cents, notes.size() * 85 / 100);
  EXPECT_GE(a.onsets_found, notes.size() * 9 / 10);
  EXPECT_LE(a.median_onset_error_ms, 30);
  EXPECT_NEAR(report["song"]["sung_vocal"]["median_pitch_error_cents"].get<double>(),
              a.median_pitch_error_cents, 1.0);

  // The voice is in the mix: taking it away leaves much less where it sings.
  const AudioBuffer mix = read_audio(dir / "score.wav");
  ASSERT_EQ(mix.sample_rate, voice.sample_rate);
  double mix_energy = 0, without_voice = 0;
  for (const SungNote& n : notes)
    for (auto i = static_cast<std::size_t>(n.start_s * mix.sample_rate);
         i < static_cast<std::size_t>(n.end_s * mix.sample_rate) && i < voice.frames(); ++i) {
      const double m = mix.samples[2 * i];
      const double rest = m - voice.samples[i * static_cast<std::size_t>(voice.channels)];
      mix_energy += m * m;
      without_voice += rest * rest;
    }
  EXPECT_LT(without_voice, 0.7 * mix_energy);
}

// 10,000 lines would take hours to sing: refused with the count, naming the file, nothing written
// (before, the first 7,000 syllables were sung and the rest dropped without a word).
TEST(SongE2E, LyricsTooLongForAnHourAreRefusedNotCut) {
  const fs::path dir = fresh_dir("ten-thousand-lines");
  const fs::path words = dir / "long.txt";
  {
    std::ofstream out(words);
    for (int i = 0; i < 10000; ++i)
      out << "the river rose and the lantern shone" << (i % 4 == 3 ? "\n\n" : "\n");
  }
  const RunResult r =
      run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") + " --song --lyrics " +
          quote(words) + " --no-video -o " + quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find(words.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("syllables fit"), std::string::npos) << r.output;
  EXPECT_TRUE(!fs::exists(dir / "out") || fs::is_empty(dir / "out"));
}

TEST(SongE2E, SingWithoutASongIsAUsageError) {
  const fs::path dir = fresh_dir("sing-alone");
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " --sing --no-video -o " + quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("sing"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--song"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "vocal.wav"));
}

// The user's own words: every one sung, in order, one lyric event a syllable; the LRC says
// the given lines.
TEST(SongE2E, MakeSongSingsTheUsersOwnLyrics) {
  const fs::path dir = fresh_dir("given-lyrics");
  const fs::path words = dir / "words.txt";
  std::ofstream(words, std::ios::binary) << "Down by the river where the willows grow,\n"
                                            "I left a lantern burning low.\n\n"
                                            "[Chorus]\nCarry me home over the water,\n"
                                            "carry me home, never alone.\n";
  const fs::path out = dir / "out";
  const RunResult r = run("make " + quote(kSource / "examples/the-lantern-at-the-ford.txt") +
                          " --song --lyrics " + quote(words) + " --no-video --no-refine -q -o " +
                          quote(out) + " --soundfont " + quote(kTestSoundFont));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Score score = load_midi(out / "score.mid");
  std::string sung;
  for (const Track& t : score.tracks)
    for (const Lyric& l : t.lyrics) sung += l.text;
  EXPECT_EQ(sung,
            "Down by the river where the willows grow"
            "I left a lantern burning low"
            "Carry me home over the water"
            "carry me home never alone");
  const std::string lrc = read_file(out / "lyrics.lrc");
  for (const char* line :
       {"]Down by the river where the willows grow\n", "]I left a lantern burning low\n",
        "]Carry me home over the water\n", "]carry me home never alone\n"})
    EXPECT_NE(lrc.find(line), std::string::npos) << line << " in\n" << lrc;
  EXPECT_NE(read_file(out / "lyrics.txt").find("[Chorus]"), std::string::npos);
}

TEST(SongE2E, GivenLyricsProblemsAreNamedAndNothingIsWritten) {
  const fs::path dir = fresh_dir("given-lyrics-bad");
  const std::string story = quote(kSource / "examples/the-lantern-at-the-ford.txt");
  // Without --song: a usage error naming the flag.
  RunResult r =
      run("make " + story + " --lyrics " + quote(dir / "none.txt") + " -o " + quote(dir / "a"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--lyrics"), std::string::npos) << r.output;
  // A missing file, an empty one, a binary one: bad input naming the file.
  const fs::path empty = dir / "empty.txt", binary = dir / "binary.lrc";
  std::ofstream(empty, std::ios::binary) << "\n\n";
  std::ofstream(binary, std::ios::binary) << std::string("\x00\x01\x02lyrics\xff", 10);
  for (const fs::path& f : {dir / "missing.txt", empty, binary}) {
    const fs::path out = dir / ("out-" + f.stem().string());
    r = run("make " + story + " --song --lyrics " + quote(f) + " --no-video -o " + quote(out) +
            " --soundfont " + quote(kTestSoundFont));
    EXPECT_EQ(r.exit_code, 3) << f << ": " << r.output;
    EXPECT_NE(r.output.find(f.filename().string()), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out / "score.mid")) << f;
  }
}

}  // namespace
}  // namespace tonepoem
