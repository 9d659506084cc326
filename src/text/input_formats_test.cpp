#include "text/input_formats.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "text/document.h"
#include "text/segment.h"

namespace tonepoem {
namespace {

using text::detect_input_format;
using text::input_format_table;
using text::InputFormat;

// One sample per format, and what its parser, and no other, makes of it.
struct Sample {
  std::string_view format;
  std::string_view text;
  bool (*parsed_as_this)(const Document&);
};

bool timed(const Document& d) {
  return d.sentences[0].start_s.has_value() && d.sentences[0].end_s.has_value();
}

const Sample kSamples[] = {
    {"text", "The Lake\n\nA *calm* day by the lake.\n",
     [](const Document& d) {
       return d.title == "The Lake" && d.sentences[0].text == "A *calm* day by the lake." &&
              !timed(d);
     }},
    {"markdown", "A *calm* day by the lake.\n",
     [](const Document& d) { return d.sentences[0].text == "A calm day by the lake."; }},
    {"fountain", "INT. KITCHEN - NIGHT\n\nMARY\nI am so afraid.\n",
     [](const Document& d) { return d.sentences.back().speaker == "MARY"; }},
    {"srt", "1\n00:00:01,000 --> 00:00:03,500\nIt was a calm night.\n",
     [](const Document& d) { return timed(d) && *d.sentences[0].end_s == 3.5; }},
    {"webvtt", "WEBVTT\n\n00:01.000 --> 00:04.000\n<v Anna>I am so happy today!</v>\n",
     [](const Document& d) { return timed(d) && d.sentences[0].speaker == "Anna"; }},
    {"ass",
     "[Script Info]\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
     "MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:04.00,Default,Anna,0,0,0,,So happy!\n",
     [](const Document& d) { return timed(d) && d.sentences[0].speaker == "Anna"; }},
    {"lrc", "[ti:Night Song]\n[00:01.00]The stars are bright\n[00:05.00]good night\n",
     [](const Document& d) { return timed(d) && d.title == "Night Song"; }},
};

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

const Sample* sample_of(std::string_view format) {
  for (const Sample& s : kSamples)
    if (s.format == format) return &s;
  return nullptr;
}

const InputFormat& row(std::string_view name) {
  for (const InputFormat& f : input_format_table())
    if (f.info.name == name) return f;
  throw std::logic_error("no input format " + std::string(name));
}

TEST(InputFormats, TableIsWellFormed) {
  const auto table = input_format_table();
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(table[0].info.name, "text");  // the fallback
  EXPECT_EQ(table[0].sniff, nullptr);
  ASSERT_EQ(input_formats().size(), table.size());
  std::set<std::string_view> names, extensions;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const InputFormat& f = table[i];
    EXPECT_EQ(input_formats()[i].name, f.info.name);
    EXPECT_TRUE(names.insert(f.info.name).second) << "two rows named " << f.info.name;
    EXPECT_NE(f.parse, nullptr) << f.info.name;
    EXPECT_FALSE(f.info.description.empty()) << f.info.name;
    EXPECT_FALSE(f.info.extensions.empty()) << f.info.name;
    EXPECT_EQ(f.sniff != nullptr || i == 0, !f.info.content_sign.empty()) << f.info.name;
    for (std::string_view ext : f.info.extensions) {
      EXPECT_TRUE(extensions.insert(ext).second) << "." << ext << " in two rows";
      EXPECT_TRUE(!ext.empty() && ext[0] != '.' &&
                  std::none_of(ext.begin(), ext.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
          << "extension \"" << ext << "\" is not lower case without the dot";
    }
    EXPECT_NE(sample_of(f.info.name), nullptr) << "add a sample for " << f.info.name;
  }
}

TEST(InputFormats, EveryExtensionRoutesToItsParser) {
  for (const InputFormat& f : input_format_table()) {
    const Sample* sample = sample_of(f.info.name);
    ASSERT_NE(sample, nullptr) << f.info.name;
    for (std::string_view ext : f.info.extensions) {
      for (std::string upper : {std::string(ext), ascii_upper(ext)}) {
        const std::string source = "dir.d/story." + upper;
        EXPECT_EQ(&detect_input_format(sample->text, source), &f) << source;
        const Document d = parse_text(sample->text, source, {});
        EXPECT_TRUE(sample->parsed_as_this(d)) << source << " not parsed as " << f.info.name;
      }
    }
  }
}

TEST(InputFormats, EverySniffRoutesToItsParserWithoutATellingExtension) {
  for (const InputFormat& f : input_format_table()) {
    if (!f.sniff) continue;
    const Sample* sample = sample_of(f.info.name);
    ASSERT_NE(sample, nullptr) << f.info.name;
    for (std::string_view source :
         {"-", "stdin", "story.txt", "story.TXT", "story.story", "a.b/c"}) {
      EXPECT_EQ(&detect_input_format(sample->text, source), &f) << f.info.name << " " << source;
      const Document d = parse_text(sample->text, source, {});
      EXPECT_TRUE(sample->parsed_as_this(d)) << source << " not parsed as " << f.info.name;
    }
    // A BOM, CRLF line ends and leading white space do not hide the format.
    std::string crlf = "\xEF\xBB\xBF\n  ";
    for (char c : sample->text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_TRUE(sample->parsed_as_this(parse_text(crlf, "-", {}))) << f.info.name;
  }
}

TEST(InputFormats, NoTwoSniffsClaimTheSameSample) {
  for (const Sample& s : kSamples) {
    for (const InputFormat& f : input_format_table()) {
      if (f.sniff && f.info.name != s.format) {
        EXPECT_FALSE(f.sniff(text::trim(s.text.substr(0, 200))))
            << f.info.name << " claims the " << s.format << " sample";
      }
    }
  }
}

TEST(InputFormats, ExtensionsBeatTheContentAndTxtDoesNot) {
  const std::string_view srt = sample_of("srt")->text;
  // A telling extension wins over the content: an SRT body named .md is Markdown.
  EXPECT_EQ(&detect_input_format(srt, "story.md"), &row("markdown"));
  EXPECT_FALSE(parse_text(srt, "story.md", {}).sentences[0].start_s.has_value());
  // .txt tells nothing: the same body named .txt is SRT.
  EXPECT_EQ(&detect_input_format(srt, "story.txt"), &row("srt"));
  // Only the last path component's extension counts.
  EXPECT_EQ(&detect_input_format("Hello.", "subs.srt/story"), &row("text"));
  EXPECT_EQ(&detect_input_format("Hello.", "story.srt.txt"), &row("text"));
  EXPECT_EQ(&detect_input_format("Hello.", "story."), &row("text"));
}

TEST(InputFormats, FountainAndMarkdownNeedTheirExtension) {
  // Neither has a content sniff: named .txt, both are read as plain text.
  const std::string_view fountain = sample_of("fountain")->text;
  EXPECT_EQ(&detect_input_format(fountain, "play.txt"), &row("text"));
  const Document play = parse_text(fountain, "play.txt", {});
  EXPECT_TRUE(std::all_of(play.sentences.begin(), play.sentences.end(),
                          [](const Sentence& s) { return s.speaker.empty(); }));
  EXPECT_EQ(&detect_input_format(sample_of("markdown")->text, "-"), &row("text"));
  EXPECT_EQ(parse_text(sample_of("markdown")->text, "-", {}).sentences[0].text,
            "A *calm* day by the lake.");
}

TEST(InputFormats, AcceptedListNamesEveryExtensionOfEveryRow) {
  const std::string accepted = accepted_input_formats();
  std::size_t count = 0;
  for (const InputFormatInfo& f : input_formats()) {
    for (std::string_view ext : f.extensions) {
      std::string dotted = ".";  // appended: "." + std::string trips GCC 12's -O3 -Wrestrict
      dotted += ext;
      const std::size_t at = accepted.find(dotted);
      ASSERT_NE(at, std::string::npos) << dotted << " missing from " << accepted;
      const char after = at + dotted.size() < accepted.size() ? accepted[at + dotted.size()] : ' ';
      EXPECT_TRUE(after == ',' || after == ' ') << dotted << " in " << accepted;
      ++count;
    }
  }
  EXPECT_EQ(static_cast<std::size_t>(std::count(accepted.begin(), accepted.end(), '.')), count)
      << accepted;
  EXPECT_EQ(accepted.substr(0, 4), ".txt");
  EXPECT_NE(accepted.find("(UTF-8)"), std::string::npos);
}

}  // namespace
}  // namespace tonepoem
