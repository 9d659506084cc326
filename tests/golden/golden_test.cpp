// Golden dumps: the intermediate values of `make` for both bundled examples (the arc, the cue
// sheet as refined, each section's musical parameters, the score as an event list), compared
// exactly against the text checked in under tests/golden/<example>/. A change that moves any of
// them shows as a diff. To accept an intended change, regenerate and review the diff:
//   TONEPOEM_GOLDEN=1 ctest -R Golden     (or run build/golden_tests with it set)
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "jobs/make_job.h"
#include "music/compose.h"
#include "model/score.h"
#include "text/report.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

const fs::path kSource = TONEPOEM_SOURCE_DIR;

bool regenerating() {
  const char* value = std::getenv("TONEPOEM_GOLDEN");
  return value != nullptr && std::string(value) == "1";
}

// Numbers rounded to 6 decimals, so that the dumps are readable and stable in the last bits.
nlohmann::json rounded(const nlohmann::json& j) {
  if (j.is_number_float()) {
    const double v = std::round(j.get<double>() * 1e6) / 1e6;
    return v == 0 ? 0.0 : v;
  }
  if (j.is_array() || j.is_object()) {
    nlohmann::json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = rounded(*it);
    return out;
  }
  return j;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first line where the two texts differ, for the failure message.
std::string first_difference(const std::string& expected, const std::string& actual) {
  std::istringstream a(expected), b(actual);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "identical";
    if (!more_a || !more_b || la != lb)
      return "line " + std::to_string(line) + ":\n  golden: " + (more_a ? la : "<end>") +
             "\n  now:    " + (more_b ? lb : "<end>");
  }
}

void check_golden(const fs::path& golden, const std::string& actual) {
  if (regenerating()) {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with TONEPOEM_GOLDEN=1";
  const std::string expected = read_file(golden);
  if (expected != actual) {
    const fs::path now =
        fs::temp_directory_path() /
        ("golden-now-" + std::to_string(::getpid()) + "-" +
         golden.parent_path().filename().string() + "-" + golden.filename().string());
    std::ofstream(now, std::ios::binary) << actual;
    ADD_FAILURE() << golden << " changed (the new dump is " << now << "); first difference at "
                  << first_difference(expected, actual)
                  << "\nIf the change is intended, regenerate with TONEPOEM_GOLDEN=1.";
  }
}

struct Example {
  const char* story;
  const char* golden_dir;
  const char* test_name;
};

class Golden : public ::testing::TestWithParam<Example> {};

TEST_P(Golden, IntermediateValuesMatchTheCheckedInDumps) {
  const Example example = GetParam();
  MakeOptions options;
  options.story = kSource / "examples" / example.story;
  options.video = false;
  SilentProgress quiet;
  MemorySink files;
  JobContext context(quiet, CancelToken(), files);
  const MakeResult result = run_make(options, context);

  const fs::path golden = kSource / "tests" / "golden" / example.golden_dir;
  nlohmann::json arc = arc_view(result.document, result.arc);
  arc["source"] = example.story;  // the checkout's own path is not part of the result
  check_golden(golden / "arc.json", rounded(arc).dump(1) + "\n");
  check_golden(golden / "cues.json",
               rounded(nlohmann::json::parse(files.bytes("cues.json"))).dump(1) + "\n");
  nlohmann::json sections = nlohmann::json::array();
  for (std::size_t i = 0; i < result.cues.cues.size(); ++i) {
    const Cue& cue = result.cues.cues[i];
    nlohmann::json row = {{"cue", cue.name}, {"params", adjusted_params(cue.target, cue.adjust)}};
    if (i < result.judged.size()) row["judged"] = result.judged[i];
    sections.push_back(std::move(row));
  }
  check_golden(golden / "sections.json", rounded(sections).dump(1) + "\n");
  check_golden(golden / "score.txt", score_event_list(result.score));
}

INSTANTIATE_TEST_SUITE_P(
    BundledExamples, Golden,
    ::testing::Values(Example{"the-lantern-at-the-ford.txt", "lantern", "Lantern"},
                      Example{"moon-lake-boat.zh.txt", "moon-lake-boat", "MoonLakeBoat"}),
    [](const ::testing::TestParamInfo<Example>& p) { return std::string(p.param.test_name); });

}  // namespace
}  // namespace tonepoem
