#include "lyrics/lyrics.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "plan/plan.h"
#include "text/analyze.h"
#include "text/document.h"

namespace tonepoem {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(TONEPOEM_SOURCE_DIR) / "examples";

std::shared_ptr<const Lexicons> lexicons() {
  static const auto shared = load_lexicons({});
  return shared;
}

SongLyrics lyrics_of(const Document& doc) {
  const EmotionArc arc = analyze(doc, {.lexicons = lexicons()});
  return write_lyrics(doc, plan(doc, arc, {}), lexicons());
}

SongLyrics lyrics_of_file(const std::string& name) {
  return lyrics_of(parse_file(kExamples / name, {}));
}

const Pronouncer& pronouncer() {
  static const Pronouncer p(find_data_dir() / "lexicons" / "en-cmudict.tsv");
  return p;
}

TEST(Pronouncer, SyllablesAndStressFromTheDictionary) {
  std::string rhyme;
  const LyricWord garden = pronouncer().pronounce("Garden", &rhyme);
  ASSERT_EQ(garden.syllables.size(), 2u);
  EXPECT_TRUE(garden.in_dictionary);
  EXPECT_TRUE(garden.syllables[0].stressed);
  EXPECT_FALSE(garden.syllables[1].stressed);
  EXPECT_EQ(garden.syllables[0].text + garden.syllables[1].text, "Garden");
  EXPECT_EQ(rhyme, "AA R D AH N");
  const LyricWord together = pronouncer().pronounce("together", nullptr);
  ASSERT_EQ(together.syllables.size(), 3u);
  EXPECT_TRUE(together.syllables[1].stressed);
  // Function words are sung unstressed even where CMUdict marks a stress.
  EXPECT_FALSE(pronouncer().pronounce("and", nullptr).syllables[0].stressed);
  std::string night, light;
  pronouncer().pronounce("night", &night);
  pronouncer().pronounce("light", &light);
  EXPECT_EQ(night, light);
}

TEST(Pronouncer, UnknownWordsStillCountSyllables) {
  std::string rhyme;
  const LyricWord w = pronouncer().pronounce("glorbastine", &rhyme);
  EXPECT_FALSE(w.in_dictionary);
  EXPECT_EQ(w.syllables.size(), 3u);  // glor-bas-tin(e): the final e is silent
  EXPECT_TRUE(w.syllables[0].stressed);
  EXPECT_FALSE(rhyme.empty());
}

TEST(Pronouncer, MissingDictionaryNamesTheFile) {
  try {
    Pronouncer p("/nonexistent/en-cmudict.tsv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE(std::string(e.what()).find("pronouncing dictionary"), std::string::npos);
  }
}

TEST(PinyinRhyme, ThirteenGroupsByFinal) {
  EXPECT_EQ(pinyin_rhyme_group("hua1"), "发花");
  EXPECT_EQ(pinyin_rhyme_group("jia1"), "发花");
  EXPECT_EQ(pinyin_rhyme_group("yue4"), "乜斜");
  EXPECT_EQ(pinyin_rhyme_group("xue3"), "乜斜");
  EXPECT_EQ(pinyin_rhyme_group("ju1"), "一七");
  EXPECT_EQ(pinyin_rhyme_group("shi4"), "一七");
  EXPECT_EQ(pinyin_rhyme_group("wu3"), "姑苏");
  EXPECT_EQ(pinyin_rhyme_group("zhong1"), "中东");
  EXPECT_EQ(pinyin_rhyme_group("yuan2"), "言前");
  EXPECT_EQ(pinyin_rhyme_group("chuan2"), "言前");
  EXPECT_EQ(pinyin_rhyme_group("wei4"), "灰堆");
  EXPECT_EQ(pinyin_rhyme_group("shui3"), "灰堆");
  EXPECT_EQ(pinyin_rhyme_group("guang1"), "江阳");
  EXPECT_EQ(pinyin_rhyme_group("yun2"), "人辰");
  EXPECT_EQ(pinyin_rhyme_group("liu2"), "油求");
  EXPECT_EQ(pinyin_rhyme_group("bo1"), "梭波");
}

// Every line is words of the sentence it names, in order (no template text), within the
// syllable bounds; a chorus returns unchanged.
void expect_distilled(const Document& doc, const SongLyrics& lyrics) {
  ASSERT_FALSE(lyrics.sections.empty());
  std::size_t verses = 0, choruses = 0, bridges = 0;
  for (const LyricSection& s : lyrics.sections) {
    (s.kind == "verse" ? verses : s.kind == "chorus" ? choruses : bridges) += 1;
    for (const LyricLine& l : s.lines) {
      ASSERT_LT(l.sentence, doc.sentences.size());
      const std::string& sentence = doc.sentences[l.sentence].text;
      std::size_t at = 0;
      for (const LyricWord& w : l.words) {
        const std::size_t found = sentence.find(w.text, at);
        ASSERT_NE(found, std::string::npos) << w.text << " not in: " << sentence;
        at = found + w.text.size();
      }
      EXPECT_GE(l.syllable_count(), 4u) << l.text();
      EXPECT_LE(l.syllable_count(), 10u) << l.text();
    }
  }
  EXPECT_GE(verses, 2u);
  EXPECT_GE(choruses, 2u);
  EXPECT_LE(bridges, 1u);
  const LyricSection* first_chorus = nullptr;
  for (const LyricSection& s : lyrics.sections) {
    if (s.kind != "chorus") continue;
    if (!first_chorus) first_chorus = &s;
    EXPECT_EQ(nlohmann::json(s), nlohmann::json(*first_chorus));
  }
}

TEST(WriteLyrics, EnglishExampleTellsTheStory) {
  const Document doc = parse_file(kExamples / "the-lantern-at-the-ford.txt", {});
  const SongLyrics lyrics = lyrics_of(doc);
  expect_distilled(doc, lyrics);
  const std::string text = lyrics_text(lyrics);
  EXPECT_NE(text.find("Mira"), std::string::npos) << text;     // the heroine's name
  EXPECT_NE(text.find("lantern"), std::string::npos) << text;  // the central image
  EXPECT_GE(dictionary_coverage(lyrics), 0.95);
  // Every English syllable has text; a stressed one exists in every line.
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines) {
      bool stressed = false;
      for (const LyricWord& w : l.words)
        for (const LyricSyllable& syl : w.syllables) {
          EXPECT_FALSE(syl.text.empty());
          stressed = stressed || syl.stressed;
        }
      EXPECT_TRUE(stressed) << l.text();
    }
  // Same story, same bytes.
  EXPECT_EQ(nlohmann::json(lyrics).dump(), nlohmann::json(lyrics_of(doc)).dump());
}

// Verse, chorus, then a bridge over the scene holding the climax, then the chorus again.
TEST(WriteLyrics, ABridgeAtTheClimaxThenTheChorus) {
  const Document doc = parse_file(kExamples / "the-lantern-at-the-ford.txt", {});
  const EmotionArc arc = analyze(doc, {.lexicons = lexicons()});
  const CueSheet cues = plan(doc, arc, {});
  const SongLyrics lyrics = write_lyrics(doc, cues, lexicons());
  std::size_t climax = cues.cues.size();
  for (const HitPoint& hit : cues.hits)
    for (std::size_t c = 0; c < cues.cues.size(); ++c)
      if (hit.kind == "climax" && hit.time_s >= cues.cues[c].start_s &&
          hit.time_s < cues.cues[c].end_s)
        climax = c;
  ASSERT_LT(climax, cues.cues.size()) << "the example's plan marks its climax";
  std::vector<std::string> form;
  for (const LyricSection& s : lyrics.sections) form.push_back(s.kind);
  const auto bridge = std::find(form.begin(), form.end(), "bridge");
  ASSERT_NE(bridge, form.end()) << lyrics_text(lyrics);
  EXPECT_EQ(std::count(form.begin(), form.end(), "bridge"), 1);
  const LyricSection& b = lyrics.sections[std::size_t(bridge - form.begin())];
  EXPECT_EQ(b.cue, climax);
  EXPECT_EQ(b.name.rfind("Bridge", 0), 0u) << b.name;
  ASSERT_NE(bridge + 1, form.end());
  EXPECT_EQ(*(bridge + 1), "chorus");
  EXPECT_NE(std::find(form.begin(), bridge, "verse"), bridge) << "a verse comes first";
  EXPECT_NE(std::find(form.begin(), bridge, "chorus"), bridge) << "and a chorus";
}

// The scene's mood chooses among its clauses: a dark scene sings its dark line, a bright one its
// bright line, from the same two sentences.
TEST(WriteLyrics, TheScenesMoodChoosesAmongItsLines) {
  const Document doc = parse_text(
      "The bright garden shone with golden flowers. The dark cellar hid the cold old bones.",
      "mood.txt", {});
  ASSERT_EQ(doc.sentences.size(), 2u);
  const EmotionArc arc = analyze(doc, {.lexicons = lexicons()});
  CueSheet cues = plan(doc, arc, {});
  ASSERT_FALSE(cues.cues.empty());
  LyricsOptions options;
  options.verse_lines = 1;
  options.sentence_emotions.resize(2);
  options.sentence_emotions[0].valence = 0.8;   // the garden
  options.sentence_emotions[1].valence = -0.8;  // the cellar
  auto sung_sentence = [&](double scene_valence) {
    for (Cue& cue : cues.cues) cue.target.valence = scene_valence;
    const SongLyrics lyrics = write_lyrics(doc, cues, lexicons(), options);
    for (const LyricSection& s : lyrics.sections)
      if (s.kind == "verse" && !s.lines.empty()) return s.lines.front().sentence;
    return std::size_t(99);
  };
  EXPECT_EQ(sung_sentence(-0.7), 1u);
  EXPECT_EQ(sung_sentence(0.7), 0u);
}

TEST(WriteLyrics, ChineseExampleOneSyllablePerCharacter) {
  const Document doc = parse_file(kExamples / "moon-lake-boat.zh.txt", {});
  ASSERT_EQ(doc.language, Language::zh);
  const SongLyrics lyrics = lyrics_of(doc);
  expect_distilled(doc, lyrics);
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines) {
      EXPECT_FALSE(l.rhyme.empty());
      for (const LyricWord& w : l.words)
        for (const LyricSyllable& syl : w.syllables) {
          EXPECT_EQ(syl.text.size(), 3u) << syl.text;  // one BMP Han character
          ASSERT_FALSE(syl.pinyin.empty());
          EXPECT_TRUE(syl.pinyin.back() >= '1' && syl.pinyin.back() <= '5') << syl.pinyin;
        }
    }
}

TEST(WriteLyrics, RhymesWhereTheTextAllows) {
  // Lines 2 and 4 of every verse and chorus are chosen for rhyme (the issue asks >= 90% of the
  // pairs meant to rhyme), in both languages; no line is cut before the word its last word needs
  // ("along the bank through", "it the most").
  for (const char* name :
       {"the-miller-s-daughter.txt", "the-lantern-at-the-ford.txt", "moon-lake-boat.zh.txt"}) {
    const SongLyrics lyrics = lyrics_of_file(name);
    const RhymeStats stats = rhyme_stats(lyrics);
    EXPECT_GE(stats.pairs, 3u) << name;
    EXPECT_GE(stats.rate(), 0.9) << name << ": " << stats.perfect << " perfect, " << stats.slant
                                 << " slant of " << stats.pairs;
    for (const LyricSection& s : lyrics.sections)
      for (const LyricLine& line : s.lines) {
        const std::string last = line.words.back().text;
        for (const char* word : {"through", "along", "across", "beneath", "most", "between"})
          EXPECT_NE(last, word) << name << ": " << line.text();
      }
  }
}

TEST(WriteLyrics, NoSentenceFitForLyricsIsBadInput) {
  const Document doc = parse_text("12, 34. 56! 7 8 9? Oh.\n", "numbers.txt", {});
  try {
    lyrics_of(doc);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("lyrics"), std::string::npos) << e.what();
  }
}

// A cue sheet of `n` cues over 60 s each (where given lyrics' verses are spread).
CueSheet cues_of(std::size_t n) {
  CueSheet c;
  c.duration_s = 60.0 * double(n);
  for (std::size_t i = 0; i < n; ++i)
    c.cues.push_back(Cue{"Cue " + std::to_string(i),
                         60.0 * double(i),
                         60.0 * double(i + 1),
                         Emotion::at(0.3, 0.2),
                         {},
                         {}});
  return c;
}

std::vector<std::string> line_texts(const LyricSection& s) {
  std::vector<std::string> out;
  for (const LyricLine& l : s.lines) out.push_back(l.text());
  return out;
}

TEST(GivenLyrics, EveryWordSungInItsStanzaTheRepeatedOneAChorus) {
  const std::string text =
      "Down by the river where the willows grow,\n"
      "I left a lantern burning low.\n"
      "\n"
      "Carry me home, carry me home,\n"
      "over the water, never alone.\n"
      "\n"
      "[Verse 2]\n"
      "The storm came rolling from the hill,\n"
      "and every candle flickered still.\n"
      "\n"
      "Carry me home, carry me home,\n"
      "over the water, never alone.\n";
  const SongLyrics l = read_given_lyrics(text, "song.txt", "River", cues_of(4), lexicons());
  EXPECT_EQ(l.language, Language::en);
  EXPECT_EQ(l.title, "River");
  ASSERT_EQ(l.sections.size(), 4u);
  EXPECT_EQ(l.sections[0].kind, "verse");
  EXPECT_EQ(l.sections[1].kind, "chorus");  // sung again word for word
  EXPECT_EQ(l.sections[2].kind, "verse");
  EXPECT_EQ(l.sections[2].name, "Verse 2");
  EXPECT_EQ(l.sections[3].kind, "chorus");
  // Every word kept, in order (punctuation is not sung).
  EXPECT_EQ(line_texts(l.sections[0]),
            (std::vector<std::string>{"Down by the river where the willows grow",
                                      "I left a lantern burning low"}));
  EXPECT_EQ(line_texts(l.sections[1])[1], "over the water never alone");
  // Two verses over four cues: the first and the third; a chorus over the cue it follows.
  EXPECT_EQ(l.sections[0].cue, 0u);
  EXPECT_EQ(l.sections[1].cue, 0u);
  EXPECT_EQ(l.sections[2].cue, 2u);
  EXPECT_EQ(l.sections[3].cue, 2u);
  // Stress from the dictionary: "RIV-er" stressed on its first syllable.
  const LyricWord& river = l.sections[0].lines[0].words[3];
  ASSERT_EQ(river.syllables.size(), 2u);
  EXPECT_TRUE(river.syllables[0].stressed);
  EXPECT_FALSE(river.syllables[1].stressed);
  // The rhyme keys of "grow" and "low" agree.
  EXPECT_EQ(l.sections[0].lines[0].rhyme, l.sections[0].lines[1].rhyme);
}

TEST(GivenLyrics, LrcTimesAndTagsAreDroppedTheTitleKept) {
  const std::string lrc =
      "[ti:Moon Song]\n[ar:Someone]\n[offset:+200]\n"
      "[00:01.00]Silver moon above the bay\n"
      "[00:05.50][01:05.50]<00:05.50>Sing <00:06.00>the <00:06.40>night away\n";
  const SongLyrics l = read_given_lyrics(lrc, "moon.lrc", "Story", cues_of(1), lexicons());
  EXPECT_EQ(l.title, "Moon Song");
  ASSERT_EQ(l.sections.size(), 1u);
  EXPECT_EQ(line_texts(l.sections[0]),
            (std::vector<std::string>{"Silver moon above the bay", "Sing the night away"}));
}

TEST(GivenLyrics, ChineseOneSyllablePerCharacterWithPinyin) {
  const SongLyrics l = read_given_lyrics("副歌：\n月亮船儿摇啊摇\n摇到外婆桥\n", "song.txt", "船",
                                         cues_of(2), lexicons());
  EXPECT_EQ(l.language, Language::zh);
  ASSERT_EQ(l.sections.size(), 1u);
  EXPECT_EQ(l.sections[0].kind, "chorus");
  ASSERT_EQ(l.sections[0].lines.size(), 2u);
  EXPECT_EQ(l.sections[0].lines[0].syllable_count(), 7u);
  EXPECT_EQ(l.sections[0].lines[1].syllable_count(), 5u);
  for (const LyricWord& w : l.sections[0].lines[1].words)
    for (const LyricSyllable& s : w.syllables) EXPECT_FALSE(s.pinyin.empty()) << s.text;
  // 摇 (yao2) and 桥 (qiao2): one 十三辙 group.
  EXPECT_EQ(l.sections[0].lines[0].rhyme, l.sections[0].lines[1].rhyme);
}

// Lyrics in both scripts: every word is sung, English words by CMUdict and Chinese ones with
// their pinyin, whichever script the song is counted as.
TEST(GivenLyrics, MixedScriptsKeepEveryWord) {
  const SongLyrics zh = read_given_lyrics("我们一起唱歌\nHello my friend\n月亮 shining 在湖上\n",
                                          "mixed.txt", "", cues_of(2), lexicons());
  EXPECT_EQ(zh.language, Language::zh);
  ASSERT_EQ(zh.sections.size(), 1u);
  ASSERT_EQ(zh.sections[0].lines.size(), 3u);
  EXPECT_EQ(zh.sections[0].lines[1].text(), "Hello my friend");
  EXPECT_EQ(zh.sections[0].lines[1].syllable_count(), 4u);  // hel-lo my friend
  EXPECT_EQ(zh.sections[0].lines[2].text(), "月亮 shining 在湖上");
  EXPECT_EQ(zh.sections[0].lines[2].syllable_count(), 7u);  // 月亮 shi-ning 在湖上
  const SongLyrics en = read_given_lyrics("We sang by the lake\nThe moon 月亮 shone bright\n",
                                          "mixed.txt", "", cues_of(2), lexicons());
  EXPECT_EQ(en.language, Language::en);
  ASSERT_EQ(en.sections.size(), 1u);
  ASSERT_EQ(en.sections[0].lines.size(), 2u);
  EXPECT_EQ(en.sections[0].lines[1].text(), "The moon 月亮 shone bright");
  std::vector<std::string> pinyin;
  for (const LyricWord& w : en.sections[0].lines[1].words)
    for (const LyricSyllable& syl : w.syllables)
      if (!syl.pinyin.empty()) pinyin.push_back(syl.pinyin);
  EXPECT_EQ(pinyin, (std::vector<std::string>{"yue4", "liang5"}));
}

TEST(GivenLyrics, ALongLineIsSungAsTwo) {
  const std::string line =
      "and the long grey road went winding on past the farms and the fields and the old stone "
      "mill\n";
  const SongLyrics l = read_given_lyrics(line, "long.txt", "", cues_of(1), lexicons());
  ASSERT_EQ(l.sections.size(), 1u);
  ASSERT_GE(l.sections[0].lines.size(), 2u);
  std::string joined;
  for (const LyricLine& part : l.sections[0].lines) {
    EXPECT_LE(part.syllable_count(), 16u) << part.text();
    joined += (joined.empty() ? "" : " ") + part.text();
  }
  EXPECT_EQ(joined + "\n", line);  // nothing lost, nothing reordered
}

TEST(GivenLyrics, NothingToSingIsBadInputNamingTheFile) {
  for (const char* text : {"\n\n   \n", "[ti:Only a title]\n[00:01.00]\n", "123 456\n--- !!!\n"}) {
    try {
      read_given_lyrics(text, "empty.lrc", "", cues_of(1), lexicons());
      FAIL() << "expected an error for " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_EQ(e.file(), "empty.lrc") << e.describe();
    }
  }
}

}  // namespace
}  // namespace tonepoem
