#include "jobs/judge_job.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "judge/judge.h"
#include "music/midi.h"

namespace tonepoem {
namespace {

bool is_midi_file(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".mid" || ext == ".midi" || ext == ".smf";
}

// Spans of the score: its sections, or windows of `segments_s`.
std::vector<JudgedSpan> judge_score(const Score& score, double segments_s) {
  std::vector<JudgedSpan> spans;
  if (segments_s > 0) {
    for (const JudgedWindow& w :
         judge_windows(score, segments_s, segments_s, steering_judge_weights()))
      spans.push_back({w.start_s, w.end_s, {}, w.emotion, "score"});
    return spans;
  }
  const auto judged = judge_sections(score, steering_judge_weights());
  for (std::size_t i = 0; i < judged.size(); ++i) {
    JudgedSpan span{0, score.duration_s(), {}, judged[i], "score"};
    if (i < score.sections.size()) {
      span.start_s = score.sections[i].start_s;
      span.end_s = score.sections[i].end_s;
      span.section = score.sections[i].name;
    }
    spans.push_back(std::move(span));
  }
  return spans;
}

}  // namespace

OptionProblems JudgeJobOptions::validate() const {
  OptionProblems problems;
  if (file.empty()) problems.push_back({"file", "give a MIDI or audio file to judge"});
  if (!audio.empty() && !file.empty() && !is_midi_file(file))
    problems.push_back({"audio", "is only taken with a MIDI file (its rendering)"});
  if (segments_s < 0 || (segments_s > 0 && segments_s < 1))
    problems.push_back(
        {"segments", fmt::format("{} is not accepted; accepts 1 second or more (or 0: the "
                                 "sections, or the whole audio)",
                                 segments_s)});
  return problems;
}

std::vector<JudgedSpan> run_judge(const JudgeJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  context.stage("judge");
  std::vector<JudgedSpan> spans;
  if (!is_midi_file(options.file)) {
    const AudioBuffer audio = read_audio(options.file);
    const double step = options.segments_s > 0 ? options.segments_s : audio.duration_s();
    for (const TimedAudioFeatures& w : audio_feature_windows(audio, step, step))
      spans.push_back({w.start_s, w.end_s, {}, judge_audio_features(w.features), "audio"});
  } else {
    spans = judge_score(load_midi(options.file), options.segments_s);
    if (!options.audio.empty()) {
      const AudioBuffer audio = read_audio(options.audio);
      for (JudgedSpan& span : spans) {
        context.cancel().throw_if_cancelled();
        const Emotion heard = judge_audio_features(
            extract_audio_features(audio_slice(audio, span.start_s, span.end_s)));
        span.emotion = combine_judgements(span.emotion, heard);
        span.source = "score+audio";
      }
    }
  }
  context.finish_stage();
  return spans;
}

void to_json(nlohmann::json& j, const JudgedSpan& s) {
  j = {{"start", s.start_s},
       {"end", s.end_s},
       {"valence", s.emotion.valence},
       {"arousal", s.emotion.arousal},
       {"tension", s.emotion.tension},
       {"confidence", s.emotion.confidence},
       {"quadrant", quadrant_name(s.emotion.valence, s.emotion.arousal)},
       {"source", s.source}};
  if (!s.section.empty()) j["section"] = s.section;
}

}  // namespace tonepoem
