// The model's JSON readers refuse counts and indices that are not whole numbers in range, naming
// the field, instead of converting them (undefined behaviour; found by fuzz/model_json_fuzz).
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/document.h"
#include "model/emotion_arc.h"
#include "model/score.h"
#include "model/timeline.h"

namespace tonepoem {
namespace {

// The message of the tonepoem::Error that reading `text` as T throws ("" if none).
template <class T>
std::string refusal(const std::string& text) {
  try {
    (void)nlohmann::json::parse(text).get<T>();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelJson, ADocumentWithAHugeOrNegativeIndexIsRefusedNamingTheField) {
  // The fuzzer's input: a scene index of 7.8e72.
  const std::string huge =
      R"({"title":"T","language":"en","sentences":[{"text":"Hi.","scene":)"
      R"(7777777777777777777777777777777777777777777777777777777777777777777777770}]})";
  EXPECT_NE(refusal<Document>(huge).find("\"scene\""), std::string::npos)
      << refusal<Document>(huge);
  const std::string negative = R"({"sentences":[{"text":"Hi.","paragraph":-3}]})";
  EXPECT_NE(refusal<Document>(negative).find("\"paragraph\""), std::string::npos);
  const std::string fraction = R"({"sentences":[{"text":"Hi."}],
      "scenes":[{"title":"s","first_sentence":0.5,"sentence_count":1}]})";
  EXPECT_NE(refusal<Document>(fraction).find("\"first_sentence\""), std::string::npos);
  // Whole numbers still read.
  const Document d =
      nlohmann::json::parse(R"({"sentences":[{"text":"Hi.","scene":0,"line":4,"paragraph":2}]})")
          .get<Document>();
  ASSERT_EQ(d.sentences.size(), 1u);
  EXPECT_EQ(d.sentences[0].line, 4u);
  EXPECT_EQ(d.sentences[0].paragraph, 2u);
}

TEST(ModelJson, ArcsScoresAndTimelinesRefuseBadNumbersToo) {
  EXPECT_NE(refusal<EmotionArc>(R"({"climax_scene":1e40})").find("\"climax_scene\""),
            std::string::npos);
  EXPECT_NE(
      refusal<EmotionArc>(R"({"characters":[{"name":"Mei","scenes":[0,-1]}]})").find("\"scenes\""),
      std::string::npos);
  EXPECT_NE(refusal<ScoreSection>(R"({"name":"A","start_tick":1e300})").find("\"start_tick\""),
            std::string::npos);
  EXPECT_NE(refusal<Timeline>(R"({"seed":-1})").find("\"seed\""), std::string::npos);
}

}  // namespace
}  // namespace tonepoem
