#include "text/analyze.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/lexicons.h"
#include "text/sentiment.h"

namespace tonepoem {
namespace {

const Lexicons& lex() {
  static const std::shared_ptr<const Lexicons> l = load_lexicons({});
  return *l;
}
std::shared_ptr<const Lexicons> lex_ptr() {
  static const std::shared_ptr<const Lexicons> l = load_lexicons({});
  return l;
}

Emotion en(std::string_view s) {
  return analyze_sentence(s, Language::en, lex());
}
Emotion zh(std::string_view s) {
  return analyze_sentence(s, Language::zh, lex());
}

void expect_in_range(const Emotion& e) {
  EXPECT_GE(e.valence, -1.0);
  EXPECT_LE(e.valence, 1.0);
  EXPECT_GE(e.arousal, -1.0);
  EXPECT_LE(e.arousal, 1.0);
  EXPECT_GE(e.tension, 0.0);
  EXPECT_LE(e.tension, 1.0);
  EXPECT_GE(e.confidence, 0.0);
  EXPECT_LE(e.confidence, 1.0);
  for (double c : e.categories) EXPECT_GE(c, 0.0);
}

TEST(EnglishSentence, CalmHappySentenceIsPositive) {
  const Emotion e = en("The sun was warm and the children were happy.");
  EXPECT_GT(e.valence, 0.3);
  EXPECT_GT(e.confidence, 0.3);
  expect_in_range(e);
}

TEST(EnglishSentence, NegationAndDegreeWordsMoveValence) {
  const double happy = en("I am happy.").valence;
  EXPECT_LT(en("I am not happy.").valence, 0.0);
  EXPECT_LT(en("I am not happy.").valence, happy);
  EXPECT_LT(en("I don't feel happy at all.").valence, 0.0);
  EXPECT_GT(en("I am very happy.").valence, happy);
  EXPECT_LT(en("I am slightly happy.").valence, happy);
  EXPECT_GT(en("I am VERY happy.").valence, en("I am very happy.").valence);
  EXPECT_GT(en("I am happy!!!").valence, happy);
}

TEST(EnglishSentence, ButShiftsWeightToTheSecondClause) {
  EXPECT_LT(en("The food was good, but the service was terrible.").valence, 0.0);
  EXPECT_GT(en("The service was terrible, but the food was wonderful.").valence, 0.0);
}

TEST(EnglishSentence, DangerIsMoreArousedAndTenseThanCalm) {
  const Emotion calm = en("The lake was calm and quiet in the evening light.");
  const Emotion danger = en("The wolf crept closer in the dark, and she screamed in terror!");
  EXPECT_GT(danger.arousal, calm.arousal + 0.5);
  EXPECT_GT(danger.tension, calm.tension + 0.4);
  EXPECT_LT(danger.valence, 0.0);
  EXPECT_EQ(danger.dominant_name(), "fear");
  EXPECT_LT(calm.arousal, 0.0);
}

TEST(EnglishSentence, CategoriesFollowTheWords) {
  EXPECT_EQ(en("He shouted in furious rage.").dominant_name(), "anger");
  EXPECT_EQ(en("She wept alone by the grave, full of sorrow.").dominant_name(), "sadness");
  EXPECT_EQ(en("What a disgusting, rotten stench.").dominant_name(), "disgust");
  EXPECT_EQ(en("They laughed and danced with joy.").dominant_name(), "joy");
  EXPECT_EQ(en("I am not happy.").dominant_name(), "sadness");
}

TEST(EnglishSentence, EmojiAndEmoticonsCount) {
  // The emoji moves the plain sentence clearly either way. The words themselves lean positive
  // (EmoBank's letters rate "see you" friendly; the learned evidence reads the sentence about
  // +0.4), so the crying one is asserted well below the plain and the smiling one, not below 0.
  const double plain = en("See you tomorrow").valence;
  const double smiling = en("See you tomorrow \xF0\x9F\x98\x8A").valence;
  const double crying = en("See you tomorrow \xF0\x9F\x98\xA2").valence;
  EXPECT_GT(smiling, std::max(0.2, plain + 0.15));
  EXPECT_LT(crying, plain - 0.25);
  EXPECT_LT(crying, smiling - 0.5);
  EXPECT_GT(en("See you tomorrow :)").valence, 0.1);
  // An emoji with a skin tone reads like the plain emoji.
  EXPECT_GT(en("See you then \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD").valence, 0.1);
  EXPECT_DOUBLE_EQ(en("See you then \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD").valence,
                   en("See you then \xF0\x9F\x91\x8D").valence);
}

TEST(LearnedTable, RowsWithEitherPartAndOldRows) {
  text::LearnedMap map;
  text::parse_learned_table(
      "# comment\n"
      "both\t0.5\t-0.25\t0.125\t0.0625\t0.5\n"
      "glove\t\t\t-0.5\t0.25\t1\n"
      "corpus\t0.75\t0.5\n"
      "old-weightless\t\t\t0.25\t0.5\n"
      "nothing\t\t\n"
      "notabs\n",
      map);
  ASSERT_EQ(map.size(), 4u);
  const auto& both = map.at("both");
  EXPECT_TRUE(both.in_corpus && both.embedded);
  EXPECT_FLOAT_EQ(both.valence, 0.5f);
  EXPECT_FLOAT_EQ(both.arousal, -0.25f);
  EXPECT_FLOAT_EQ(both.embed_valence, 0.125f);
  EXPECT_FLOAT_EQ(both.embed_arousal, 0.0625f);
  EXPECT_FLOAT_EQ(both.embed_weight, 0.5f);
  EXPECT_FALSE(map.at("glove").in_corpus);
  EXPECT_TRUE(map.at("glove").embedded);
  EXPECT_TRUE(map.at("corpus").in_corpus);
  EXPECT_FALSE(map.at("corpus").embedded);
  EXPECT_FLOAT_EQ(map.at("old-weightless").embed_weight, 1.0f);
  // The compiled-in table has both parts.
  EXPECT_TRUE(lex().learned_english.at("happy").in_corpus);
  EXPECT_TRUE(lex().learned_english.at("happy").embedded);
}

TEST(Calibration, QuadraticTermsClippingAndTheNeutralReference) {
  // Two features: afinn_sum and the length (log_words), which the no-evidence reference keeps.
  constexpr std::array<std::size_t, 2> features = {12, text::kLengthFeature};
  constexpr std::array<double, 2> mean = {1.0, 2.0}, scale = {2.0, 1.0};
  constexpr std::array<double, 5> terms = {0.5, 0.25, 0.1, -0.2, 0.05};  // a, b, aa, ab, bb
  const text::Calibration quadratic{features, mean, scale, terms, 4.0};
  ASSERT_TRUE(quadratic.quadratic());
  auto value = [](double a, double b) {
    return 0.5 * a + 0.25 * b + 0.1 * a * a - 0.2 * a * b + 0.05 * b * b;
  };
  std::vector<double> f(text::kFeatureCount, 0.0);
  f[text::kLengthFeature] = 3.0;
  EXPECT_DOUBLE_EQ(quadratic.predict(f), 0.0);  // no evidence reads neutral, whatever the length
  f[12] = 5.0;  // standardised (2, 1) against the reference (-0.5, 1)
  EXPECT_NEAR(quadratic.predict(f), value(2, 1) - value(-0.5, 1), 1e-12);
  f[12] = 1e6;  // clipped at 4 standard units
  EXPECT_NEAR(quadratic.predict(f), value(4, 1) - value(-0.5, 1), 1e-12);
  const text::Calibration linear{features, mean, scale, std::span(terms).first(2), 0.0};
  EXPECT_FALSE(linear.quadratic());
  EXPECT_NEAR(linear.predict(f), 0.5 * 1e6 / 2.0, 1e-6);  // unclipped
}

TEST(EnglishSentence, WordsOnlyGloveKnowsStillCount) {
  // No word list rates "massacred" and EmoBank train has neither it nor "villagers": the sentence
  // reads through the words' GloVe projections (and, without listed words, keeps confidence 0).
  ASSERT_FALSE(lex().learned_english.at("massacred").in_corpus);
  const Emotion e = en("The villagers were massacred.");
  EXPECT_LT(e.valence, -0.2);
  EXPECT_EQ(e.confidence, 0.0);
}

TEST(EnglishSentence, NeutralAndOddInputsAreSafe) {
  const Emotion none = en("The table stood in the room.");
  EXPECT_EQ(none.confidence, 0.0);
  EXPECT_EQ(none.dominant_name(), "neutral");
  for (std::string_view s : {"", "!!!", "a", "   ", "\xF0\x9F\x98\x8A\xF0\x9F\x98\x8A", "don't",
                             "n't n't", "VERY VERY VERY", "but but but", "least"}) {
    expect_in_range(en(s));
  }
  std::string long_text;
  for (int i = 0; i < 20000; ++i) long_text += "not very happy but sad ";
  expect_in_range(en(long_text));
}

TEST(ChineseSentence, NegationAndDegree) {
  const Emotion happy = zh("我很开心。");
  const Emotion unhappy = zh("我不开心。");
  const Emotion afraid = zh("他非常害怕！");
  EXPECT_GT(happy.valence, 0.3);
  EXPECT_LT(unhappy.valence, 0.0);
  EXPECT_LT(afraid.valence, -0.3);
  EXPECT_GT(zh("我非常开心。").valence, zh("我有点开心。").valence);
  EXPECT_LT(zh("我不太高兴。").valence, 0.0);
  EXPECT_GT(zh("我不太高兴。").valence, zh("我很难过。").valence);
  EXPECT_EQ(afraid.dominant_name(), "fear");
  EXPECT_EQ(happy.dominant_name(), "joy");
}

TEST(ChineseSentence, FearIsMoreArousedAndTenseThanCalm) {
  const Emotion calm = zh("湖面很平静，月光温柔。");
  const Emotion fear = zh("狼在黑暗中靠近，她害怕得尖叫起来！");
  EXPECT_GT(fear.arousal, calm.arousal + 0.5);
  EXPECT_GT(fear.tension, calm.tension + 0.4);
  EXPECT_GT(calm.valence, 0.0);
  EXPECT_LT(fear.valence, 0.0);
}

TEST(ChineseSentence, RepeatedSyllablesReadLikeTheListedForm) {
  // jieba keeps 哈哈哈哈 whole; no list holds it, the lists hold 哈哈.
  EXPECT_GT(zh("哈哈哈哈").valence, 0.1);
  EXPECT_DOUBLE_EQ(zh("哈哈哈哈").valence, zh("哈哈").valence);
  EXPECT_LT(zh("呜呜呜呜").valence, -0.1);
  EXPECT_EQ(zh("啊啊啊啊").valence, 0.0);  // an interjection without emotion stays neutral
}

TEST(ChineseSentence, ContrastAndTraditionalCharacters) {
  EXPECT_LT(zh("天气很好，但是我很难过。").valence, 0.0);
  EXPECT_GT(zh("虽然很累，可是我很开心。").valence, 0.0);
  // Traditional Chinese reads like Simplified (OpenCC t2s).
  EXPECT_NEAR(zh("他們非常快樂。").valence, zh("他们非常快乐。").valence, 1e-9);
  EXPECT_GT(zh("他們非常快樂。").valence, 0.3);
}

TEST(ChineseSentence, NamesAndFunctionWordsAreNeutral) {
  EXPECT_EQ(zh("小红和老王在院子里。").confidence, 0.0);
  for (std::string_view s : {"", "。", "！！！", "a", "不", "很很很", "不不不开心"})
    expect_in_range(zh(s));
}

TEST(ChineseResources, LoadOnceFromManyThreads) {
  const auto l = load_lexicons({});
  std::vector<std::thread> threads;
  std::vector<double> results(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] = analyze_sentence("我很开心", Language::zh, *l).valence;
    });
  for (auto& t : threads) t.join();
  for (double r : results) EXPECT_EQ(r, results[0]);
  EXPECT_GT(results[0], 0.0);
}

TEST(Lexicons, EnglishLoadIsFastAndLeavesChineseUnloaded) {
  const auto start = std::chrono::steady_clock::now();
  const auto l = load_lexicons({});
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 2000.0);  // generous: a sanity bound, not a benchmark
  EXPECT_GT(analyze_sentence("good", Language::en, *l).valence, 0.0);
  EXPECT_FALSE(l->chinese_loaded());
  EXPECT_GT(analyze_sentence("开心", Language::zh, *l).valence, 0.0);
  EXPECT_TRUE(l->chinese_loaded());
}

TEST(Lexicons, MissingDataFolderIsAResourceError) {
  LexiconOptions o;
  o.data_dir = "/nonexistent/tonepoem-data";
  try {
    load_lexicons(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE(e.file().find("en-vader.tsv"), std::string::npos);
  }
}

class UserLexicon : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tonepoem_lex_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& body) {
    const auto p = dir_ / name;
    std::ofstream(p) << body;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(UserLexicon, AddsAndOverridesEntries) {
  LexiconOptions o;
  o.user_lexicons = {write("mine.tsv",
                           "# my "
                           "words\nzorblax\t0.9\t0.8\tjoy,surprise\nhappy\t-0.8\t\t\n小猫\t0.7\t-0."
                           "2\ttenderness\n喵喵星人\t0.8\t\tjoy\n")};
  const auto l = load_lexicons(o);
  const Emotion z = analyze_sentence("The zorblax arrived.", Language::en, *l);
  EXPECT_GT(z.valence, 0.3);
  EXPECT_GT(z.weight(Category::surprise), 0.0);
  EXPECT_LT(analyze_sentence("I am happy.", Language::en, *l).valence, 0.0);
  EXPECT_GT(analyze_sentence("一只小猫。", Language::zh, *l).valence, 0.2);
  // A term jieba would cut apart is still found.
  EXPECT_GT(analyze_sentence("我看见喵喵星人。", Language::zh, *l).valence, 0.2);
  EXPECT_EQ(analyze_sentence("我看见喵喵星人。", Language::zh, *l).dominant_name(), "joy");
}

TEST_F(UserLexicon, MalformedRowsNameFileAndLine) {
  struct Case {
    std::string body, needle;
  };
  const Case cases[] = {
      {"good\t0.5\n\nbad\n", "line 3"}, {"good\t0.5\nbad\t2.0\n", "not a number in [-1, 1]"},
      {"bad\tx\n", "line 1"},           {"bad\t0.1\t0.2\tglee\n", "unknown category \"glee\""},
      {"\t0.1\n", "term is empty"},     {"a\t0.1\t0.1\tjoy\textra\n", "at most 4"},
  };
  for (const Case& c : cases) {
    LexiconOptions o;
    o.user_lexicons = {write("bad.tsv", c.body)};
    try {
      load_lexicons(o);
      ADD_FAILURE() << "accepted: " << c.body;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(e.file().find("bad.tsv"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
    }
  }
  LexiconOptions missing;
  missing.user_lexicons = {dir_ / "nope.tsv"};
  EXPECT_THROW(load_lexicons(missing), Error);
}

TEST(Analyze, ScenesFollowTheStoryAndTheClimaxIsTheDangerScene) {
  const Document d = parse_text(
      "Chapter 1\nThe village was calm and peaceful. The children laughed in the warm sun.\n"
      "Chapter 2\nThen the wolf came out of the dark forest. Everyone screamed in terror and "
      "fled!\n"
      "Chapter 3\nAt last the danger was gone. They hugged each other, safe and happy.\n",
      "story.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  ASSERT_EQ(arc.sentences.size(), d.sentences.size());
  ASSERT_EQ(arc.scenes.size(), 3u);
  EXPECT_GT(arc.scenes[0].valence, 0.0);
  EXPECT_LT(arc.scenes[1].valence, 0.0);
  EXPECT_GT(arc.scenes[2].valence, 0.0);
  EXPECT_GT(arc.scenes[1].tension, arc.scenes[0].tension + 0.3);
  EXPECT_EQ(arc.climax_scene, 1u);
  for (const Emotion& e : arc.scenes) expect_in_range(e);
}

TEST(Analyze, SmoothingSoftensNoiseButKeepsTurns) {
  // Five similar calm scenes around one that is only slightly different.
  std::string story;
  for (int i = 0; i < 5; ++i)
    story += "Chapter " + std::to_string(i + 1) + "\nThe garden was quiet and pleasant.\n";
  const Document d = parse_text(story, "s.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  for (std::size_t i = 1; i < arc.scenes.size(); ++i)
    EXPECT_NEAR(arc.scenes[i].valence, arc.scenes[0].valence, 1e-9);
}

TEST(Analyze, FindsRecurringEnglishCharacters) {
  const Document d = parse_text(
      "Chapter 1\nOnce there was a girl called Gretel. Her brother Hansel was brave.\n"
      "Chapter 2\nThe witch saw Hansel. Gretel pushed the witch. Then Gretel ran home.\n"
      "Chapter 3\nThe house was quiet. Nobody came.",
      "hg.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  ASSERT_GE(arc.characters.size(), 2u);
  EXPECT_EQ(arc.characters[0].name, "Gretel");
  EXPECT_EQ(arc.characters[0].mentions, 3u);
  EXPECT_EQ(arc.characters[0].scenes, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(arc.characters[1].name, "Hansel");
  for (const Character& c : arc.characters) {
    EXPECT_NE(c.name, "Once");
    EXPECT_NE(c.name, "Then");
    EXPECT_NE(c.name, "Chapter");
  }
}

TEST(Analyze, KeepsHyphenatedEnglishNamesWhole) {
  const Document d = parse_text(
      "Little Red-Cap went into the wood. The wolf met Red-Cap there.\n\n\n"
      "Then Red-Cap knocked. Her grandmother's door was a well-known door, and Red-Cap opened it.\n"
      "Read the Project Gutenberg-tm licence. See the Gutenberg-tm site.",
      "rc.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  ASSERT_GE(arc.characters.size(), 1u);
  EXPECT_EQ(arc.characters[0].name, "Red-Cap");
  EXPECT_EQ(arc.characters[0].mentions, 4u);
  for (const Character& c : arc.characters) {
    EXPECT_NE(c.name, "Red");
    EXPECT_NE(c.name, "Cap");
    EXPECT_NE(c.name, "Gutenberg-tm");  // its first part is no name
  }
}

TEST(Analyze, FindsRecurringChineseCharacters) {
  const Document d = parse_text(
      "第一章\n老王在院子里种花。小红来看老王。\n第二章\n小红很开心，老王也笑了。", "zh.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  std::vector<std::string> names;
  for (const Character& c : arc.characters) names.push_back(c.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "老王"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "小红"), names.end());
  EXPECT_EQ(arc.characters[0].name, "老王");
  EXPECT_EQ(arc.characters[0].scenes, (std::vector<std::size_t>{0, 1}));
}

TEST(Analyze, AChinesePlaceWordIsNoCharacter) {
  // 林 is a surname, but 林子里 is "in the woods"; 王小二 stays a name.
  const Document d =
      parse_text("小红走进林子里。林子里很黑。小红在林子里找奶奶。王小二也在林子里。王小二喊小红。",
                 "zh.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  std::vector<std::string> names;
  for (const Character& c : arc.characters) names.push_back(c.name);
  EXPECT_EQ(std::find(names.begin(), names.end(), "林子里"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "小红"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "王小二"), names.end());
}

TEST(Analyze, MixedLanguagesReadEachSentenceInItsOwnScript) {
  const Document d = parse_text("The morning was lovely and bright. 他非常害怕！", "mix.txt", {});
  ASSERT_EQ(d.language, Language::en);
  const EmotionArc arc = analyze(d, {lex_ptr()});
  ASSERT_EQ(arc.sentences.size(), 2u);
  EXPECT_GT(arc.sentences[0].valence, 0.0);
  EXPECT_LT(arc.sentences[1].valence, 0.0);
}

TEST(Analyze, RequiresLexicons) {
  EXPECT_THROW(analyze(parse_text("Hi.", "x", {}), {}), Error);
}

TEST(EmotionArcJson, RoundTrips) {
  const Document d = parse_text(
      "Chapter 1\nJohn was happy. John smiled.\nChapter 2\nThen John was afraid!", "j.txt", {});
  const EmotionArc arc = analyze(d, {lex_ptr()});
  const nlohmann::json j = arc;
  const EmotionArc back = j.get<EmotionArc>();
  EXPECT_EQ(nlohmann::json(back), j);
  ASSERT_EQ(back.characters.size(), 1u);
  EXPECT_EQ(back.characters[0].name, "John");
  nlohmann::json bad = j;
  bad["climax_scene"] = 9;
  EXPECT_THROW(bad.get<EmotionArc>(), Error);
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

TEST(PermissiveChinese, WorksFromPermissiveSourcesAloneAndSaysSo) {
  LexiconOptions o;
  o.permissive_only = true;
  const auto l = load_lexicons(o);
  const double happy = analyze_sentence("我很开心。", Language::zh, *l).valence;
  EXPECT_GT(happy, 0.2);
  EXPECT_LT(analyze_sentence("我不开心。", Language::zh, *l).valence, 0.0);
  EXPECT_LT(analyze_sentence("他非常害怕！", Language::zh, *l).valence, -0.2);
  EXPECT_LT(analyze_sentence("他遭遇了失败和痛苦。", Language::zh, *l).valence, 0.0);
  EXPECT_GT(analyze_sentence("这是美丽的成功。", Language::zh, *l).valence, 0.0);
  const auto sources = l->sources();
  EXPECT_NE(std::find(sources.begin(), sources.end(), "zh-cedict.tsv"), sources.end());
  EXPECT_EQ(std::find(sources.begin(), sources.end(), "zh-boson.tsv"), sources.end());
  EXPECT_EQ(std::find(sources.begin(), sources.end(), "zh-dutir.tsv"), sources.end());
}

TEST(PermissiveChinese, ResearchListsAreTheDefaultAndNamed) {
  const auto l = load_lexicons({});
  analyze_sentence("开心", Language::zh, *l);
  const auto sources = l->sources();
  EXPECT_NE(std::find(sources.begin(), sources.end(), "zh-dutir.tsv"), sources.end());
  EXPECT_NE(std::find(sources.begin(), sources.end(), "en-vader.tsv"), sources.end());
}

// Narrative reading: a story's lines are read for what happens, not for how many pleasant words
// surround it. Each sentence here is read as the only line of a story (analyze()), and also
// alone (analyze_sentence), where the cues pull more gently.
Emotion story_line(std::string_view s) {
  const Document d = parse_text(s, "s.txt", {});
  AnalyzeOptions o;
  o.lexicons = lex_ptr();
  const EmotionArc arc = analyze(d, o);
  EXPECT_EQ(arc.sentences.size(), 1u) << s;
  return arc.sentences.empty() ? Emotion{} : arc.sentences.front();
}

TEST(NarrativeReading, DeathOutweighsTheWarmBrightWordsAroundIt) {
  const char* line = "The little match girl froze to death on the bright, warm Christmas morning.";
  const Emotion e = story_line(line);
  EXPECT_LT(e.valence, -0.4);
  EXPECT_GT(e.weight(Category::sadness), e.weight(Category::joy));
  // The same words without the death read bright: the event is what turns the line.
  EXPECT_GT(story_line("The little match girl woke on the bright, warm Christmas morning.").valence,
            0.2);
  // Alone (a benchmark sentence) the event still makes the line negative.
  EXPECT_LT(en(line).valence, 0.0);
}

TEST(NarrativeReading, ACrowdLaughingAtAVictimIsNoJoy) {
  const Emotion mocked = story_line("The crowd laughed at the poor old woman.");
  EXPECT_LT(mocked.valence, -0.3);
  EXPECT_LT(mocked.weight(Category::joy), 0.3);
  // Laughter with someone stays happy.
  EXPECT_GT(story_line("The children laughed and sang with the old woman.").valence, 0.3);
}

TEST(NarrativeReading, PursuitThroughTheDarkIsArousedAndNegative) {
  const Emotion chase = story_line("The wolf chased them through the dark forest.");
  EXPECT_LT(chase.valence, -0.3);
  EXPECT_GT(chase.arousal, 0.5);
  EXPECT_GT(chase.tension, 0.5);
  // Sleep and stillness are low arousal, whatever EmoBank's raters would say of the words.
  const Emotion sleep = story_line("She lay down in the silent room and slept.");
  EXPECT_LT(sleep.arousal, 0.0);
  EXPECT_GT(chase.arousal, sleep.arousal + 0.6);
}

TEST(NarrativeReading, WhoSuffersTheHarmDecides) {
  // The harm is done to the villain: good news. Done by the villain: bad news.
  EXPECT_GT(story_line("The huntsman killed the wolf.").valence, 0.3);
  EXPECT_GT(story_line("At last the wicked witch was burned.").valence, 0.2);
  EXPECT_LT(story_line("The wolf killed the huntsman.").valence, -0.4);
  EXPECT_LT(story_line("The grandmother was eaten by the wolf.").valence, -0.3);
  // Saved from death is a rescue; a death that did not happen is no grief.
  EXPECT_GT(story_line("The prince saved her from death.").valence, 0.3);
  EXPECT_GT(story_line("The child did not die.").valence,
            story_line("The child died.").valence + 0.5);
}

TEST(NarrativeReading, AnEventBefallsTheLastCharacterNamed) {
  // Within a line, pronouns are passed over: "he" is the wolf, whose death is deliverance.
  EXPECT_GT(story_line("When the wolf awoke, he fell down dead.").valence, 0.2);
  // The same words about the grandmother are grief.
  EXPECT_LT(story_line("When the grandmother awoke, she fell down dead.").valence, -0.3);
  EXPECT_LT(story_line("Red-Cap was swallowed by the wolf.").valence, -0.3);
}

TEST(NarrativeReading, APossessiveNamesItsCharacter) {
  // "the wolf’s belly" names the wolf: the "he" who then dies is the wolf, not Red-Cap.
  EXPECT_GT(story_line("Red-Cap filled the wolf’s belly with stones, and when he awoke, he fell "
                       "down dead.")
                .valence,
            0.2);
  EXPECT_GT(
      story_line("Red-Cap filled the wolf's belly with stones, and he fell down dead.").valence,
      0.2);
  // The grandmother's is still a person's: her death is grief.
  EXPECT_LT(story_line("The wolf left the grandmother's house, and she fell down dead.").valence,
            -0.3);
}

TEST(NarrativeReading, AWickedPersonIsAVillain) {
  // The wicked queen's death ends the heroine's danger; a queen's death alone is loss.
  EXPECT_GT(story_line("The wicked queen fell down dead.").valence, 0.1);
  EXPECT_LT(story_line("The good queen fell down dead.").valence, -0.3);
}

TEST(NarrativeReading, WhatFollowsButIsHowTheLineEnds) {
  // A death before "but", a happy ending after it: the line ends well, and the reverse ends badly.
  const Emotion ends_well = story_line(
      "The old king fell ill and died, but the young queen recovered and they were "
      "married with great rejoicing.");
  const Emotion ends_badly = story_line(
      "The young queen recovered and they were married with great rejoicing, but the "
      "old king fell ill and died.");
  EXPECT_GT(ends_well.valence, 0.2);
  EXPECT_LT(ends_badly.valence, ends_well.valence - 0.3);
}

TEST(NarrativeReading, SorrowThatEndsIsRelief) {
  // "left off weeping": the weeping stops, which is good news, not grief.
  EXPECT_GT(story_line("And the princess left off weeping.").valence, 0.2);
  EXPECT_LT(story_line("And the princess went on weeping.").valence, -0.2);
  EXPECT_GT(story_line("The child ceased to weep.").valence, 0.0);
  // Recovery and good luck are good news even among dark words.
  EXPECT_GT(story_line("By good luck the dwarfs came home early, and she got well again.").valence,
            0.2);
}

TEST(NarrativeReading, NegationStopsAtItsClause) {
  // The weeping did not happen; the rejoicing did (-0.44 when "not" reached over "but").
  EXPECT_GT(story_line("She did not weep but rejoiced.").valence, 0.0);
  // The villain's death is no less a death for the "not" two clauses back (-0.18 before).
  EXPECT_GT(story_line("The wolf could not run and died.").valence, -0.05);
  // Coming out alive and reviving undo a harm (0.17 without the words).
  EXPECT_GT(story_line("The old woman came out alive, and the grandmother revived.").valence, 0.3);
}

TEST(NarrativeReading, ResolutionsArePositive) {
  EXPECT_GT(story_line("The king's son married her and they lived happily.").valence, 0.5);
  EXPECT_GT(story_line("The brothers were reunited with their sister at last.").valence, 0.4);
  EXPECT_LT(story_line("The soldier was captured and locked up in a dungeon.").valence, -0.4);
}

// A story's sentences as analyze() reads them.
std::vector<Emotion> story_lines(const std::string& story) {
  const Document d = parse_text(story, "s.txt", {});
  return analyze(d, {lex_ptr()}).sentences;
}

TEST(NarrativeReading, AVillainsThreatHangsOverTheLinesAfterItUntilItIsBeaten) {
  const std::string quiet = "She sat by the window and waited.";
  const auto after = [&](const std::string& first) {
    const std::vector<Emotion> e = story_lines(first + " " + quiet);
    EXPECT_EQ(e.size(), 2u) << first;
    return e.size() == 2 ? e[1].arousal : NAN;
  };
  const double calm = after("The girl came to the cottage.");
  EXPECT_GT(after("The wolf came to the cottage."), calm + 0.1);
  // Beaten, it threatens no one: the line after reads as after no villain at all.
  EXPECT_NEAR(after("The hunter killed the wolf."), calm, 1e-9);
  // A new scene leaves the threat behind.
  const std::vector<Emotion> e = story_lines("The wolf came to the cottage.\n\n* * *\n\n" + quiet);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_NEAR(e[1].arousal, calm, 1e-9);
}

TEST(NarrativeReading, AHappyEndingLiftsItsWholeResolutionAndATragedyIsReadAsItIs) {
  // 20 plain lines, tears for old wrongs, and a last line that decides the ending.
  std::string body;
  for (int i = 0; i < 20; ++i) body += "The girl walked along the road to the town. ";
  body += "The old father wept bitter tears for all the sorrow of the lost years. ";
  const std::vector<Emotion> happy =
      story_lines(body + "Then they were married and lived happily.");
  const std::vector<Emotion> plain = story_lines(body + "Then they went to the town.");
  const std::vector<Emotion> tragic = story_lines(body + "Then the poor girl died of grief.");
  ASSERT_EQ(happy.size(), 22u);
  ASSERT_EQ(plain.size(), 22u);
  ASSERT_EQ(tragic.size(), 22u);
  // The tears belong to the happy ending: brighter there than in a story with no ending.
  EXPECT_GT(happy[20].valence, plain[20].valence + 0.3);
  EXPECT_NEAR(tragic[20].valence, plain[20].valence, 1e-9);
  EXPECT_LT(tragic[21].valence, -0.3);
  // The opening is the same whatever the ending.
  EXPECT_NEAR(happy[0].valence, plain[0].valence, 1e-9);
  // A short text (a verse, a few lines: 12 + 2 here, whose last 15% holds the tears) has no
  // resolution to lift.
  std::string verse;
  for (int i = 0; i < 12; ++i) verse += "The girl walked along the road to the town. ";
  verse += "The old father wept bitter tears for all the sorrow of the lost years. ";
  const std::vector<Emotion> short_happy = story_lines(verse + "Then they lived happily.");
  const std::vector<Emotion> short_plain = story_lines(verse + "Then they went to the town.");
  ASSERT_EQ(short_happy.size(), 14u);
  EXPECT_NEAR(short_happy[12].valence, short_plain[12].valence, 1e-9);
}

TEST(NarrativeReading, AChineseStoryWithAHappyEndingLiftsItsResolution) {
  std::string body;
  for (int i = 0; i < 20; ++i) body += "小女孩沿着大路往城里走去。";
  body += "坏王后受到了惩罚，被赶出了国家。";
  const std::vector<Emotion> happy = story_lines(body + "后来他们结婚了，幸福地生活在一起。");
  const std::vector<Emotion> plain = story_lines(body + "后来他们进城去了。");
  ASSERT_EQ(happy.size(), 22u);
  ASSERT_EQ(plain.size(), 22u);
  EXPECT_GT(happy[20].valence, plain[20].valence + 0.3);
}

TEST(NarrativeReading, ChineseEventsMockeryAndRescue) {
  // Froze to death on a bright, warm festive morning; a crowd laughing at an old woman.
  const Emotion froze = story_line("在明亮温暖的节日早晨，卖火柴的小女孩冻死了。");
  EXPECT_LT(froze.valence, -0.4);
  const Emotion mocked = story_line("大家都嘲笑这个可怜的老太太。");
  EXPECT_LT(mocked.valence, -0.3);
  EXPECT_LT(mocked.weight(Category::joy), 0.3);
  // Beaten and hungry vs rescued and reunited.
  EXPECT_LT(story_line("孩子被打了，又饿又冷。").valence, -0.4);
  EXPECT_GT(story_line("猎人救出了她们，一家人终于团圆了。").valence, 0.4);
  // The wolf chasing them: aroused; sleeping quietly: calm.
  const Emotion chase = story_line("狼在黑暗的森林里追赶他们。");
  EXPECT_LT(chase.valence, -0.3);
  EXPECT_GT(chase.arousal, 0.4);
  EXPECT_LT(story_line("她静静地睡着了。").arousal, 0.0);
  // 死 after an emotion word only intensifies it: "happy to death" is happy.
  EXPECT_GT(story_line("我高兴死了！").valence, 0.0);
  EXPECT_GT(story_line("我高兴死了！").valence, story_line("他死了。").valence + 0.5);
}

TEST(NarrativeReading, ChinesePassiveAndBaDecideWhoSuffers) {
  // 被 reaches over adverbs: a beating is a beating.
  EXPECT_LT(story_line("他被狠狠地打了一顿。").valence, -0.3);
  EXPECT_LT(story_line("孩子们被卖给了强盗。").valence, -0.3);
  // 被 + doer + verb: the one before 被 suffers; 把 + sufferer + verb: the one after 把.
  EXPECT_LT(story_line("奶奶被狼吃掉了。").valence, -0.4);
  EXPECT_LT(story_line("狼把奶奶吃掉了。").valence, -0.4);
  EXPECT_GT(story_line("狼被猎人打死了。").valence, 0.3);
  EXPECT_GT(story_line("猎人把狼打死了。").valence, 0.3);
  EXPECT_GT(story_line("大灰狼被猎人狠狠地打了一顿。").valence, 0.2);
  // A pronoun under 把 suffers it, however a villain was named before.
  EXPECT_LT(story_line("狼看着她，它准会把她吃掉。").valence, -0.4);
  // Cutting off one's own finger is an injury; coming out alive is deliverance.
  EXPECT_LT(story_line("她切下了自己的小指头。").valence, -0.3);
  EXPECT_GT(story_line("接着，年老的奶奶也活着出来了。").valence, 0.3);
  // A plain verb without 被 is no harm: opening a door is nothing.
  EXPECT_NEAR(story_line("他打开了门。").valence, 0.0, 0.2);
}

TEST(NarrativeReading, ChineseLaughterTurnedOnSomeoneIsMockery) {
  // A crowd round a poor girl laughing and pointing: cruelty, no joy in it.
  const Emotion mocked = story_line("人们围着她哈哈大笑，指着她的破衣服。");
  EXPECT_LT(mocked.valence, -0.3);
  EXPECT_LT(mocked.weight(Category::joy), 0.3);
  EXPECT_LT(story_line("孩子们指着他笑个不停。").valence, -0.3);
  // Laughing together, singing: joy.
  const Emotion merry = story_line("大家都笑着唱起歌来，非常快活。");
  EXPECT_GT(merry.valence, 0.3);
  EXPECT_GT(merry.weight(Category::joy), 0.3);
}

TEST(NarrativeReading, ChineseSwallowedSpellboundAndBrokenSpells) {
  // Swallowed whole by the wolf: a death, dark and sudden.
  const Emotion swallowed = story_line("它径直走到奶奶床前，把奶奶吞进了肚子。");
  EXPECT_LT(swallowed.valence, -0.4);
  EXPECT_GT(swallowed.arousal, 0.3);
  // Cursed, turned into a bird, held fast: harm, however pretty the bird.
  EXPECT_LT(story_line("他大发脾气，咒他们全都变成乌鸦。").valence, -0.4);
  EXPECT_LT(story_line("漂亮的姑娘就会被变成一只鸟，关进笼子。").valence, -0.4);
  EXPECT_LT(story_line("他动弹不得，像石头一样定在那里。").valence, -0.2);
  // A spell broken is deliverance, though the sentence names the cruel spell.
  const Emotion broken = story_line("你已经破除了她残酷的魔咒。");
  EXPECT_GT(broken.valence, 0.2);
  EXPECT_GT(broken.valence, story_line("她残酷的魔咒落在你身上。").valence + 0.5);
  // Quiet night: calm.
  EXPECT_LT(story_line("夜深了，四周静悄悄的，她一个人坐着。").arousal, 0.0);
  // Wanting to save is not yet a rescue: it weighs less than a rescue done.
  EXPECT_LT(story_line("她想救她的哥哥们。").valence,
            story_line("她救了她的哥哥们。").valence - 0.1);
}

}  // namespace
}  // namespace tonepoem
