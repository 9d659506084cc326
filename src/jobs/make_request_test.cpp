// A make request (the server's JSON body) -> MakeOptions: the same defaults and checks as the CLI,
// every problem named by the request's field.
#include "jobs/make_request.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tonepoem {
namespace {

// The fields of the InvalidOptions a request raises (empty when it is accepted).
std::vector<std::string> problem_fields(const nlohmann::json& request) {
  std::vector<std::string> fields;
  try {
    make_options_from_request(request);
  } catch (const InvalidOptions& e) {
    for (const OptionProblem& p : e.problems()) fields.push_back(p.field);
  }
  return fields;
}

TEST(MakeRequest, AStoryAloneGivesTheCliDefaults) {
  const MakeOptions o = make_options_from_request({{"story", "Once upon a time."}});
  const MakeOptions cli;
  EXPECT_EQ(o.story_text, "Once upon a time.");
  EXPECT_TRUE(o.story.empty());  // never a path
  EXPECT_EQ(o.duration_s, cli.duration_s);
  EXPECT_EQ(o.seed, cli.seed);
  EXPECT_EQ(o.video, cli.video);
  EXPECT_EQ(o.refine, cli.refine);
  EXPECT_EQ(o.video_options.width, cli.video_options.width);
  EXPECT_EQ(o.video_options.crf, cli.video_options.crf);
}

TEST(MakeRequest, EveryFieldReachesItsOption) {
  const MakeOptions o = make_options_from_request({{"story", "x"},
                                                   {"story_name", "tale.md"},
                                                   {"duration", 12.5},
                                                   {"seed", 42},
                                                   {"lang", "ZH"},
                                                   {"video", false},
                                                   {"resolution", "720x1280"},
                                                   {"fps", 24},
                                                   {"quality", "draft"},
                                                   {"captions", "srt"},
                                                   {"musicxml", true},
                                                   {"format", "flac16"},
                                                   {"stems", true},
                                                   {"refine", false},
                                                   {"refine_budget", 3}});
  EXPECT_EQ(o.story_name, "tale.md");
  EXPECT_EQ(o.duration_s, 12.5);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.language, LanguageChoice::zh);
  EXPECT_FALSE(o.video);
  EXPECT_EQ(o.video_options.width, 720);
  EXPECT_EQ(o.video_options.height, 1280);
  EXPECT_EQ(o.video_options.fps, 24);
  EXPECT_EQ(o.video_options.preset, "ultrafast");
  EXPECT_EQ(o.captions, CaptionFormat::srt);
  EXPECT_TRUE(o.musicxml);
  EXPECT_EQ(o.audio_format, AudioFileFormat::flac16);
  EXPECT_TRUE(o.stems);
  EXPECT_FALSE(o.refine);
  EXPECT_EQ(o.refine_budget_s, 3);
}

TEST(MakeRequest, EachProblemNamesTheRequestField) {
  using V = std::vector<std::string>;
  EXPECT_EQ(problem_fields(nlohmann::json::array()), V{"body"});
  EXPECT_EQ(problem_fields(nlohmann::json::object()), V{"story"});
  EXPECT_EQ(problem_fields({{"story", ""}}), V{"story"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"duration", "10"}}), V{"duration"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"duration", 4}}), V{"duration"});  // validate()
  EXPECT_EQ(problem_fields({{"story", "x"}, {"seed", 1.5}}), V{"seed"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"seed", -1}}), V{"seed"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"lang", "fr"}}), V{"lang"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"format", "aiff"}}), V{"format"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"quality", "best"}}), V{"quality"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"resolution", "100x100"}}),
            (V{"resolution", "resolution"}));  // width and height, in the request's words
  EXPECT_EQ(problem_fields({{"story", "x"}, {"story_name", "a/b.txt"}}), V{"story_name"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"lexicon", "/etc/passwd"}}), V{"lexicon"});
  EXPECT_EQ(problem_fields({{"story", 1}, {"video", "no"}}), (V{"story", "video"}));
}

TEST(MakeRequest, ASongCarriesItsOwnWordsAsTextNeverAsAPath) {
  const MakeOptions o = make_options_from_request(
      {{"story", "x"}, {"song", true}, {"lyrics", "Lanterns on the water\nCarry me home"}});
  EXPECT_TRUE(o.song);
  EXPECT_EQ(o.lyrics_text, "Lanterns on the water\nCarry me home");
  EXPECT_TRUE(o.lyrics.empty());  // never a file on the server
  using V = std::vector<std::string>;
  EXPECT_EQ(problem_fields({{"story", "x"}, {"lyrics", "la la"}}), V{"lyrics"});  // no song
  EXPECT_EQ(problem_fields({{"story", "x"}, {"song", true}, {"lyrics", ""}}), V{"lyrics"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"song", true}, {"narrate", true}}), V{"song"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"song", "yes"}}), V{"song"});
  // The voice the line is written for: one of the table's ranges, with a song.
  EXPECT_EQ(make_options_from_request({{"story", "x"}, {"song", true}, {"voice_range", "bass"}})
                .voice_range,
            "bass");
  EXPECT_EQ(problem_fields({{"story", "x"}, {"song", true}, {"voice_range", "mezzo"}}),
            V{"voice_range"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"voice_range", "tenor"}}), V{"voice_range"});
  EXPECT_EQ(problem_fields({{"story", "x"}, {"song", true}, {"voice_range", 3}}), V{"voice_range"});
}

// A cue sheet as `make` writes it: two sections over 12 s, one caption each.
nlohmann::json two_section_cues() {
  const nlohmann::json target = {{"valence", -0.4}, {"arousal", 0.2}, {"tension", 0.3}};
  return {{"format", "tonepoem-cues/1"},
          {"title", "Lantern"},
          {"language", "en"},
          {"duration_s", 12},
          {"seed", 9},
          {"cues",
           {{{"name", "Well"}, {"start_s", 0}, {"end_s", 6}, {"target", target}},
            {{"name", "Light"}, {"start_s", 6}, {"end_s", 12}, {"target", target}}}},
          {"captions",
           {{{"text", "It was dark."}, {"start_s", 0}, {"end_s", 5}},
            {{"text", "The light came back."}, {"start_s", 6}, {"end_s", 11}}}}};
}

TEST(MakeRequest, AnEditedCueSheetReplacesTheStoryAndKeepsItsSeed) {
  const MakeOptions o = make_options_from_request({{"cues", two_section_cues()}, {"video", false}});
  ASSERT_TRUE(o.cue_sheet);
  EXPECT_EQ(o.cue_sheet->cues.size(), 2u);
  EXPECT_EQ(o.cue_sheet->cues[1].name, "Light");
  EXPECT_EQ(o.seed, 9u);   // the cue sheet's
  EXPECT_FALSE(o.refine);  // composed as written
  EXPECT_TRUE(o.story_text.empty());
  EXPECT_TRUE(o.validate().empty());
  // Asked for: another seed, refinement again.
  const MakeOptions other =
      make_options_from_request({{"cues", two_section_cues()}, {"seed", 3}, {"refine", true}});
  EXPECT_EQ(other.seed, 3u);
  EXPECT_TRUE(other.refine);
}

TEST(MakeRequest, ABadCueSheetIsNamedByItsFieldAndCue) {
  using V = std::vector<std::string>;
  EXPECT_EQ(problem_fields({{"cues", "cues.json"}}), V{"cues"});
  EXPECT_EQ(problem_fields({{"cues", two_section_cues()}, {"story", "x"}}), V{"story"});
  EXPECT_EQ(problem_fields({{"cues", two_section_cues()}, {"duration", 30}}), V{"duration"});
  EXPECT_EQ(problem_fields({{"cues", two_section_cues()}, {"lang", "en"}}), V{"lang"});
  EXPECT_EQ(problem_fields({{"cues", two_section_cues()}, {"narrate", true}}), V{"narrate"});
  nlohmann::json gap = two_section_cues();
  gap["cues"][1]["start_s"] = 7;  // a boundary moved on one side only
  nlohmann::json loud = two_section_cues();
  loud["cues"][0]["target"]["valence"] = 1.5;
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {{gap, "cues[1]"},
                                                                     {loud, "cues[0].target"}};
  for (const auto& [bad, named] : cases) {
    try {
      make_options_from_request({{"cues", bad}});
      ADD_FAILURE() << "accepted " << bad.dump();
    } catch (const InvalidOptions& e) {
      ASSERT_EQ(e.problems().size(), 1u);
      EXPECT_EQ(e.problems()[0].field, "cues");
      EXPECT_NE(e.problems()[0].message.find(named), std::string::npos) << e.problems()[0].message;
    }
  }
}

TEST(MakeRequest, SharedParsersSayWhatIsAccepted) {
  VideoOptions video;
  EXPECT_EQ(parse_resolution("1920x1080", video), "");
  EXPECT_EQ(video.width, 1920);
  EXPECT_NE(parse_resolution("1920 by 1080", video).find("WxH"), std::string::npos);
  EXPECT_NE(audio_format_problem("aiff").find("flac16"), std::string::npos);
  EXPECT_EQ(audio_format_problem("opus"), "");
  EXPECT_EQ(parse_caption_format("ASS"), CaptionFormat::ass);
  EXPECT_FALSE(parse_language("fr"));
}

TEST(MvRequest, TheFilesComeFromTheFrontEndAndTheOptionsAreMakesOwn) {
  const MvUploads files{"/uploads/x/song.flac", "/uploads/x/lyrics.lrc", {}, {}};
  const MvJobOptions o = mv_options_from_request(
      {{"seed", 9}, {"resolution", "320x180"}, {"quality", "draft"}, {"captions", "srt"}}, files);
  EXPECT_EQ(o.song, files.song);
  EXPECT_EQ(o.lyrics, files.lyrics);
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.video.width, 320);
  EXPECT_EQ(o.video.preset, "ultrafast");
  EXPECT_EQ(o.captions, CaptionFormat::srt);
  EXPECT_EQ(mv_options_from_request(nlohmann::json::object(), files).seed, 1u);
  // A path, a make-only option or a wrong type is named; nothing else is read.
  try {
    mv_options_from_request(
        {{"song", "/etc/passwd"}, {"duration", 30}, {"fps", "fast"}, {"seed", -1}}, files);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidOptions& e) {
    std::set<std::string> named;
    for (const OptionProblem& p : e.problems()) named.insert(p.field);
    EXPECT_EQ(named, (std::set<std::string>{"song", "duration", "fps", "seed"}));
  }
}

TEST(ScoreRequest, TheFilmsOptionsAreReadAndNamed) {
  const ScoreUploads files{"/uploads/x/film.mp4", "/uploads/x/film.srt"};
  const ScoreOptions o = score_options_from_request(
      {{"duck", 12}, {"loudness", -23}, {"seed", 3}, {"style", "piano"}, {"lang", "zh"}}, files);
  EXPECT_EQ(o.video, files.video);
  EXPECT_EQ(o.subtitles, files.subtitles);
  EXPECT_EQ(o.duck_db, 12);
  EXPECT_EQ(o.loudness_lufs, -23);
  EXPECT_EQ(o.seed, 3u);
  EXPECT_EQ(o.style, "piano");
  EXPECT_EQ(o.language, LanguageChoice::zh);
  try {
    score_options_from_request({{"duck", 90}, {"video", "/etc"}, {"lang", "fr"}}, files);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidOptions& e) {
    std::set<std::string> named;
    for (const OptionProblem& p : e.problems()) named.insert(p.field);
    // The range of duck is checked once the names and types are right.
    EXPECT_EQ(named, (std::set<std::string>{"video", "lang"}));
  }
  try {
    score_options_from_request({{"duck", 90}}, files);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidOptions& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].field, "duck");
  }
}

}  // namespace
}  // namespace tonepoem
