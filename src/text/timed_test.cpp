#include <gtest/gtest.h>

#include "core/error.h"
#include "text/document.h"

namespace tonepoem {
namespace {

Document parse(std::string_view text, std::string_view source) {
  return parse_text(text, source, {});
}

std::string error_of(std::string_view text, std::string_view source) {
  try {
    parse(text, source);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.file(), source);
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

TEST(Srt, TimingsBecomeSentenceTimes) {
  const Document d = parse(
      "1\n00:00:01,000 --> 00:00:03,500\n<i>It was a calm night.</i>\n\n"
      "2\n00:00:04,000 --> 00:00:06,000\n- Who's there?\n- Nobody.\n\n"
      "3\n00:00:20,000 --> 00:00:22,250\nMorning came.\n",
      "film.srt");
  ASSERT_EQ(d.sentences.size(), 3u);
  EXPECT_EQ(d.sentences[0].text, "It was a calm night.");
  EXPECT_DOUBLE_EQ(*d.sentences[0].start_s, 1.0);
  EXPECT_DOUBLE_EQ(*d.sentences[0].end_s, 3.5);
  EXPECT_EQ(d.sentences[1].text, "Who's there? Nobody.");
  EXPECT_EQ(d.sentences[1].line, 6u);
  EXPECT_DOUBLE_EQ(*d.sentences[2].end_s, 22.25);
  EXPECT_EQ(d.scenes.size(), 2u);  // the 14 s silence starts a new scene
}

TEST(Srt, SniffedWithoutExtensionAndCrlf) {
  const Document d = parse("1\r\n00:00:01,000 --> 00:00:02,000\r\nHello there.\r\n", "stdin");
  ASSERT_EQ(d.sentences.size(), 1u);
  EXPECT_TRUE(d.sentences[0].start_s.has_value());
}

TEST(Srt, MalformedCuesNameTheLineAndWhy) {
  EXPECT_NE(
      error_of("1\n00:00:01,000 --> 00:00:0x,000\nHi.\n", "a.srt").find("line 2: bad end time"),
      std::string::npos);
  EXPECT_NE(error_of("1\n00:00:05,000 --> 00:00:04,000\nHi.\n", "a.srt")
                .find("line 2: the cue ends before it starts"),
            std::string::npos);
  EXPECT_NE(
      error_of("1\n00:00:01,000 --> 00:00:09,000\nHi.\n\n2\n00:00:03,000 --> 00:00:10,000\nYo.\n",
               "a.srt")
          .find("line 6: the cue starts at 3.000 s"),
      std::string::npos);
  EXPECT_NE(
      error_of("1\n00:00:01,000 --> 00:00:02,000\nHi.\n2\n00:00:03,000 --> 00:00:04,000\nYo.\n",
               "a.srt")
          .find("line 4: a new cue number without a blank line"),
      std::string::npos);
  EXPECT_NE(error_of("1\nHello\n", "a.srt").find("line 2: expected a timing line"),
            std::string::npos);
  EXPECT_NE(error_of("hello\n", "a.srt").find("line 1"), std::string::npos);
  // A small overlap is clipped, not an error.
  const Document d = parse(
      "1\n00:00:01,000 --> 00:00:03,200\nHi.\n\n2\n00:00:03,000 --> 00:00:04,000\nYo.\n", "b.srt");
  EXPECT_DOUBLE_EQ(*d.sentences[0].end_s, 3.0);
}

TEST(WebVtt, CuesVoicesAndNotes) {
  const Document d = parse(
      "WEBVTT - a film\n\nNOTE this is a note\nspanning lines\n\nintro\n00:01.000 --> 00:04.000 "
      "align:start\n"
      "<v Anna>I am so happy today!</v>\n\n01:00:00.000 --> 01:00:02.000\nLater.\n",
      "film.vtt");
  ASSERT_EQ(d.sentences.size(), 2u);
  EXPECT_EQ(d.sentences[0].text, "I am so happy today!");
  EXPECT_EQ(d.sentences[0].speaker, "Anna");
  EXPECT_DOUBLE_EQ(*d.sentences[1].start_s, 3600.0);
  EXPECT_NE(error_of("00:01.000 --> 00:02.000\nHi.\n", "x.vtt").find("must start with \"WEBVTT\""),
            std::string::npos);
  EXPECT_NE(
      error_of("WEBVTT\n\n00:01.000 --> 00:02.000\nHi.\n00:03.000 --> 00:04.000\nYo.\n", "x.vtt")
          .find("line 5"),
      std::string::npos);
}

// The ASS script the video stage writes for captions, with what real scripts add: a Name field,
// override tags, line breaks, an event drawn in two layers, a comment, a drawing and events out
// of order.
constexpr std::string_view kAssScript =
    "[Script Info]\nScriptType: v4.00+\nPlayResX: 1920\n\n"
    "[V4+ Styles]\nFormat: Name, Fontname, Fontsize\nStyle: Default,Arial,48\n\n"
    "[Events]\n"
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    "Dialogue: 0,0:00:04.00,0:00:06.50,Default,Tom,0,0,0,,Who's there?\\NNobody, I hope.\n"
    "Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,timing note, not spoken\n"
    "Dialogue: 0,0:00:01.00,0:00:03.50,Default,Anna,0,0,0,,{\\i1}It was a calm night.{\\i0}\n"
    "Dialogue: 1,0:00:01.00,0:00:03.50,Default,Anna,0,0,0,,{\\blur3}It was a calm night.\n"
    "Dialogue: 0,0:00:07.00,0:00:09.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}\n"
    "Dialogue: 0,0:00:20.00,0:00:22.25,Default,,0,0,0,,风暴\\N来了\n";

TEST(Ass, DialogueEventsBecomeTimedSentences) {
  for (std::string_view name : {"film.ass", "film.ssa", "film.txt"}) {
    const Document d = parse(kAssScript, name);
    ASSERT_EQ(d.sentences.size(), 3u) << name;
    EXPECT_EQ(d.sentences[0].text, "It was a calm night.");  // two layers, one line
    EXPECT_EQ(d.sentences[0].speaker, "Anna");
    EXPECT_DOUBLE_EQ(*d.sentences[0].start_s, 1.0);
    EXPECT_DOUBLE_EQ(*d.sentences[0].end_s, 3.5);
    EXPECT_EQ(d.sentences[1].text, "Who's there? Nobody, I hope.");  // commas in Text kept
    EXPECT_EQ(d.sentences[1].speaker, "Tom");
    EXPECT_EQ(d.sentences[1].line, 11u);
    EXPECT_EQ(d.sentences[2].text, "风暴 来了");
    EXPECT_DOUBLE_EQ(*d.sentences[2].end_s, 22.25);
    EXPECT_EQ(d.scenes.size(), 2u);  // the 13.5 s silence starts a new scene
  }
}

TEST(Ass, OverlappingSpeakersJoinAndSsaFormatIsRead) {
  const Document d = parse(
      "[Script Info]\nScriptType: v4.00\n\n[Events]\n"
      "Format: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
      "Dialogue: Marked=0,0:00:01.00,0:00:04.00,Default,A,0000,0000,0000,,Run!\n"
      "Dialogue: Marked=0,0:00:02.00,0:00:05.00,Default,B,0000,0000,0000,,Where to?\n",
      "old.ssa");
  ASSERT_EQ(d.sentences.size(), 1u);
  EXPECT_EQ(d.sentences[0].text, "Run! Where to?");
  EXPECT_DOUBLE_EQ(*d.sentences[0].end_s, 5.0);
}

TEST(Ass, MalformedScriptsNameTheLineAndWhy) {
  const std::string head =
      "[Script Info]\n\n[Events]\n"
      "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n";
  EXPECT_NE(error_of(head + "Dialogue: 0,0:00:01.00,0:0x:03.00,Default,,0,0,0,,Hi.\n", "a.ass")
                .find("line 5: bad end time \"0:0x:03.00\""),
            std::string::npos);
  EXPECT_NE(error_of(head + "Dialogue: 0,0:00:01.00,0:00:03.00\n", "a.ass")
                .find("line 5: a Dialogue line with fewer fields"),
            std::string::npos);
  EXPECT_NE(error_of(head + "Dialogue: 0,0:00:05.00,0:00:03.00,Default,,0,0,0,,Hi.\n", "a.ass")
                .find("ends before it starts"),
            std::string::npos);
  EXPECT_NE(error_of("[Script Info]\nTitle: x\n", "a.ass").find("no [Events] section"),
            std::string::npos);
  EXPECT_NE(error_of(head + "Comment: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,Hi.\n", "a.ass")
                .find("no Dialogue line"),
            std::string::npos);
  EXPECT_NE(error_of("[Script Info]\n[Events]\nFormat: Start, Text, End\n", "a.ass")
                .find("end with Text"),
            std::string::npos);
}

TEST(Lrc, TimedLinesRepeatedTagsAndMetadata) {
  const Document d = parse(
      "[ti:Night Song]\n[ar:Someone]\n[00:01.00]The stars are bright\n[00:05.50][00:20.00]we sing "
      "along\n"
      "[00:09.00]\n[00:24.00]good night\n",
      "song.lrc");
  EXPECT_EQ(d.title, "Night Song");
  ASSERT_EQ(d.sentences.size(), 4u);
  EXPECT_EQ(d.sentences[1].text, "we sing along");
  EXPECT_DOUBLE_EQ(*d.sentences[1].start_s, 5.5);
  EXPECT_DOUBLE_EQ(*d.sentences[1].end_s, 9.0);
  EXPECT_DOUBLE_EQ(*d.sentences[2].start_s, 20.0);  // the repeated line, in time order
  EXPECT_EQ(d.scenes.size(), 2u);                   // the 11 s instrumental gap
  EXPECT_GT(*d.sentences[3].end_s, 24.0);
  EXPECT_NE(error_of("[00:01.00]ok\n[0a:02.00]bad\n", "s.lrc").find("line 2: bad time tag"),
            std::string::npos);
  EXPECT_NE(error_of("[00:01.00]ok\nno tag here\n", "s.lrc").find("line 2"), std::string::npos);
}

TEST(Fountain, ScenesSpeakersAndAction) {
  const Document d = parse(
      "Title: The Storm\nAuthor: Us\n\nINT. KITCHEN - NIGHT\n\nMARY sits alone. Rain hits the "
      "window.\n\n"
      "MARY (V.O.)\n(quietly)\nI am so afraid.\n\nCUT TO:\n\nEXT. GARDEN - DAY\n\nJOHN\nEverything "
      "is fine now!\n",
      "play.fountain");
  EXPECT_EQ(d.title, "The Storm");
  ASSERT_EQ(d.scenes.size(), 2u);
  EXPECT_EQ(d.scenes[0].title, "INT. KITCHEN - NIGHT");
  EXPECT_EQ(d.scenes[1].title, "EXT. GARDEN - DAY");
  ASSERT_EQ(d.sentences.size(), 4u);
  EXPECT_EQ(d.sentences[0].text, "MARY sits alone.");
  EXPECT_EQ(d.sentences[2].text, "I am so afraid.");
  EXPECT_EQ(d.sentences[2].speaker, "MARY");
  EXPECT_EQ(d.sentences[3].speaker, "JOHN");
  EXPECT_TRUE(d.sentences[0].speaker.empty());
}

}  // namespace
}  // namespace tonepoem
