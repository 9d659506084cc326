#include "music/musicxml.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "music/compose.h"
#include "music/midi.h"

namespace tonepoem {
namespace {

Emotion emo(double v, double a, double t = 0) {
  return Emotion::at(v, a, t);
}

Score story() {
  CueSheet c;
  c.title = "Fox & <Hound>";
  c.duration_s = 45;
  c.seed = 4;
  c.cues = {Cue{"Calm", 0, 15, emo(0.5, -0.2), {"Fox"}, {}},
            Cue{"Chase", 15, 32, emo(-0.6, 0.7, 0.8), {"Hound"}, {}},
            Cue{"Rest", 32, 45, emo(0.6, -0.6), {"Fox"}, {}}};
  return compose(c, {});
}

// story() with a sung line on a free channel: "Twin-kle lit-tle star & moon", one syllable a
// quarter note from bar 2, the hyphenated words marked begin / end.
Score story_with_song() {
  Score s = story();
  Track voice;
  voice.name = "Vocal (Voice Oohs)";
  voice.role = "vocal";
  voice.channel = 12;
  voice.program = 53;
  const std::vector<std::pair<std::string, Syllabic>> words = {
      {"Twin", Syllabic::begin},  {"kle", Syllabic::end},      {" lit", Syllabic::begin},
      {"tle", Syllabic::end},     {" star", Syllabic::single}, {" &", Syllabic::single},
      {" moon", Syllabic::single}};
  for (std::size_t k = 0; k < words.size(); ++k) {
    const std::int64_t tick = 4 * s.ppq + std::int64_t(k) * s.ppq;
    voice.notes.push_back(Note{tick, s.ppq - 10, 67 + int(k % 3), 80});
    voice.lyrics.push_back({tick, words[k].first, words[k].second});
  }
  s.tracks.push_back(voice);
  return s;
}

// Every element opened is closed, in order (a small well-formedness check).
bool balanced(const std::string& xml, std::string* problem) {
  std::vector<std::string> stack;
  std::size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    const std::size_t close = xml.find('>', pos);
    if (close == std::string::npos) {
      *problem = "unclosed tag at " + std::to_string(pos);
      return false;
    }
    const std::string tag = xml.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    if (tag.back() == '/') continue;
    const std::string name =
        tag.substr(tag[0] == '/' ? 1 : 0, tag.find_first_of(" />", 1) - (tag[0] == '/' ? 1 : 0));
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != name) {
        *problem = "</" + name + "> closes <" + (stack.empty() ? "" : stack.back()) + ">";
        return false;
      }
      stack.pop_back();
    } else {
      stack.push_back(name);
    }
  }
  if (!stack.empty()) *problem = "<" + stack.back() + "> never closed";
  return stack.empty();
}

std::vector<std::string> blocks(const std::string& text, const std::string& open,
                                const std::string& close) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find(open, pos)) != std::string::npos) {
    const std::size_t end = text.find(close, pos);
    out.push_back(text.substr(pos, end + close.size() - pos));
    pos = end + close.size();
  }
  return out;
}

long duration_of(const std::string& note) {
  const std::size_t a = note.find("<duration>");
  return std::stol(note.substr(a + 10, note.find("</duration>") - a - 10));
}

TEST(MusicXml, WellFormedWithOnePartPerTrackAndFullMeasures) {
  const Score s = story();
  const std::string xml = write_musicxml(s);
  std::string problem;
  EXPECT_TRUE(balanced(xml, &problem)) << problem;
  EXPECT_NE(xml.find("<work-title>Fox &amp; &lt;Hound&gt;</work-title>"), std::string::npos);
  const auto parts = blocks(xml, "<part id=", "</part>");
  ASSERT_EQ(parts.size(), s.tracks.size());
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const auto measures = blocks(parts[p], "<measure ", "</measure>");
    // One measure per bar of the score.
    std::size_t expected = 0;
    for (const ScoreSection& sec : s.sections)
      expected +=
          static_cast<std::size_t>((sec.end_tick - sec.start_tick) / (sec.beats_per_bar * s.ppq));
    ASSERT_EQ(measures.size(), expected) << s.tracks[p].name;
    int beats = 4;
    for (const std::string& m : measures) {
      const std::size_t b = m.find("<beats>");
      if (b != std::string::npos) beats = std::stoi(m.substr(b + 7));
      long total = 0;
      for (const std::string& n : blocks(m, "<note>", "</note>"))
        if (n.find("<chord/>") == std::string::npos) total += duration_of(n);
      EXPECT_EQ(total, beats * 4) << s.tracks[p].name << ": " << m.substr(0, 40);
    }
  }
}

TEST(MusicXml, CarriesKeysModesTempoAndSections) {
  const Score s = story();
  const std::string xml = write_musicxml(s);
  for (const ScoreSection& sec : s.sections) {
    EXPECT_NE(xml.find("<rehearsal>" + sec.name + "</rehearsal>"), std::string::npos) << sec.name;
    EXPECT_NE(
        xml.find("<mode>" + std::string(is_minor_mode(sec.mode) ? "minor" : "major") + "</mode>"),
        std::string::npos);
    EXPECT_NE(xml.find("<words>" + std::string(pitch_class_name(sec.tonic)) + " " +
                       std::string(mode_name(sec.mode)) + "</words>"),
              std::string::npos);
  }
  EXPECT_NE(xml.find("<sound tempo="), std::string::npos);
  EXPECT_NE(xml.find("<words>rit.</words>"), std::string::npos) << "the final ritardando is marked";
  EXPECT_NE(xml.find("<midi-program>"), std::string::npos);
  EXPECT_NE(xml.find("light-heavy"), std::string::npos);
}

TEST(MusicXml, MelodyNotesAllAppear) {
  const Score s = story();
  const std::string xml = write_musicxml(s);
  const auto parts = blocks(xml, "<part id=", "</part>");
  // The melody is monophonic on an eighth-note grid, so every note appears once (not counting
  // the tied continuations of a note across a barline or into a longer value).
  std::size_t written = 0;
  for (const std::string& n : blocks(parts[0], "<note>", "</note>"))
    if (n.find("<pitch>") != std::string::npos &&
        n.find("<tie type=\"stop\"/>") == std::string::npos)
      ++written;
  EXPECT_EQ(written, s.tracks[0].notes.size());
}

TEST(MusicXml, Deterministic) {
  EXPECT_EQ(write_musicxml(story()), write_musicxml(story()));
}

TEST(MusicXml, EmptyScoreStillHasAPart) {
  Score s;
  s.end_tick = 1920;
  const std::string xml = write_musicxml(s);
  std::string problem;
  EXPECT_TRUE(balanced(xml, &problem)) << problem;
  EXPECT_NE(xml.find("<rest measure=\"yes\"/>"), std::string::npos);
}

// MuseScore 3 (Debian's musescore3) opens the file headless and plays back every note we wrote.
TEST(MusicXml, MuseScoreOpensItAndPlaysEveryNote) {
  if (!std::filesystem::exists("/usr/bin/mscore3")) GTEST_SKIP() << "musescore3 is not installed";
  const auto dir = std::filesystem::temp_directory_path() / "tonepoem_musicxml_test";
  std::filesystem::create_directories(dir);
  const Score s = story();
  save_musicxml(s, dir / "story.musicxml");
  const std::string command = "QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=" + dir.string() +
                              " timeout 120 /usr/bin/mscore3 -o '" + (dir / "back.mid").string() +
                              "' '" + (dir / "story.musicxml").string() + "' > '" +
                              (dir / "log.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << "see " << (dir / "log.txt");
  const Score back = load_midi(dir / "back.mid");
  ASSERT_EQ(back.tracks.size(), s.tracks.size());
  for (std::size_t i = 0; i < s.tracks.size(); ++i) {
    EXPECT_EQ(back.tracks[i].channel, s.tracks[i].channel);
    EXPECT_EQ(back.tracks[i].notes.size(), s.tracks[i].notes.size()) << s.tracks[i].name;
  }
  EXPECT_NEAR(back.duration_s(), s.duration_s(), 1.0);
  std::filesystem::remove_all(dir);
}

TEST(MusicXml, LyricsStandUnderTheirNotesWithTheirSyllabic) {
  const std::string xml = write_musicxml(story_with_song());
  std::string problem;
  ASSERT_TRUE(balanced(xml, &problem)) << problem;
  const std::vector<std::string> expected = {"<syllabic>begin</syllabic><text>Twin</text>",
                                             "<syllabic>end</syllabic><text>kle</text>",
                                             "<syllabic>begin</syllabic><text>lit</text>",
                                             "<syllabic>end</syllabic><text>tle</text>",
                                             "<syllabic>single</syllabic><text>star</text>",
                                             "<syllabic>single</syllabic><text>&amp;</text>",
                                             "<syllabic>single</syllabic><text>moon</text>"};
  std::size_t pos = 0;
  for (const std::string& e : expected) {
    pos = xml.find(e, pos);
    ASSERT_NE(pos, std::string::npos) << e << " missing or out of order";
    // Inside a pitched note of the vocal part, after its pitch.
    const std::size_t note = xml.rfind("<note>", pos);
    EXPECT_NE(xml.find("<pitch>", note), std::string::npos);
    EXPECT_LT(xml.find("<pitch>", note), pos);
    EXPECT_EQ(xml.find("<rest", note) < pos, false) << "a lyric under a rest: " << e;
  }
  std::size_t count = 0;
  for (std::size_t p = 0; (p = xml.find("<lyric ", p)) != std::string::npos; ++p) ++count;
  EXPECT_EQ(count, expected.size());
}

// MuseScore 3 reads the words under the notes: saved back as its own format, the vocal part
// holds every syllable, hyphenated words joined.
TEST(MusicXml, MuseScoreReadsTheLyrics) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/mscore3"))
      << "musescore3 is not installed: run scripts/setup";
  const auto dir = std::filesystem::temp_directory_path() / "tonepoem_musicxml_lyrics_test";
  std::filesystem::create_directories(dir);
  save_musicxml(story_with_song(), dir / "song.musicxml");
  const std::string command = "QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=" + dir.string() +
                              " timeout 120 /usr/bin/mscore3 -o '" + (dir / "back.mscx").string() +
                              "' '" + (dir / "song.musicxml").string() + "' > '" +
                              (dir / "log.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << "see " << (dir / "log.txt");
  std::ifstream in(dir / "back.mscx");
  const std::string mscx((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t lyrics = 0;
  for (std::size_t p = 0; (p = mscx.find("<Lyrics>", p)) != std::string::npos; ++p) ++lyrics;
  EXPECT_EQ(lyrics, 7u);
  for (const char* text : {"<text>Twin</text>", "<text>kle</text>", "<text>star</text>",
                           "<text>&amp;</text>", "<text>moon</text>"})
    EXPECT_NE(mscx.find(text), std::string::npos) << text;
  EXPECT_NE(mscx.find("<syllabic>begin</syllabic>"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tonepoem
