// Narration: each sentence synthesized into memory by espeak-ng (audio/espeak_engine.h), its
// words timed from the voice's word events.
#include "audio/narrate.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "audio/espeak_engine.h"
#include "core/cancel.h"
#include "core/error.h"

namespace tonepoem {
namespace {

// Byte offset of the code point `index` (0-based) in UTF-8 `text` (text.size() past the end).
std::size_t byte_of_char(std::string_view text, int index) {
  std::size_t pos = 0;
  for (int seen = 0; pos < text.size(); ++pos) {
    if ((static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) continue;
    if (seen++ == index) return pos;
  }
  return text.size();
}

std::string word_text(std::string_view text, int char_pos, int char_len) {
  const std::size_t from = byte_of_char(text, std::max(0, char_pos - 1));
  const std::size_t to = byte_of_char(text, std::max(0, char_pos - 1 + std::max(1, char_len)));
  std::string word(text.substr(from, to - from));
  // espeak-ng's span may hold punctuation or spaces around the word (or only those, for a pause
  // it reads as a word): keep words bare, and nothing for a pause.
  constexpr std::string_view kTrim = " \t\n,.;:!?\"'()-";
  const std::size_t first = word.find_first_not_of(kTrim);
  if (first == std::string::npos) return {};
  return word.substr(first, word.find_last_not_of(kTrim) - first + 1);
}

}  // namespace

std::vector<std::string> NarrationOptions::validate() const {
  std::vector<std::string> problems;
  auto in = [&](std::string_view name, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi))
      problems.push_back(fmt::format("{} = {} (accepted: {} to {})", name, value, lo, hi));
  };
  if (voice.empty())
    problems.emplace_back("voice is empty (accepted: an espeak-ng voice such as en or cmn)");
  in("rate_wpm", rate_wpm, 80, 450);
  in("lead_in_s", lead_in_s, 0, 30);
  in("sentence_gap_s", sentence_gap_s, 0, 10);
  in("scene_gap_s", scene_gap_s, 0, 30);
  in("outro_s", outro_s, 0, 60);
  return problems;
}

Narration narrate(const std::vector<std::string>& sentences, const std::vector<bool>& scene_starts,
                  const NarrationOptions& options, const CancelToken& cancel) {
  std::vector<SentenceReading> readings;
  readings.reserve(sentences.size());
  for (const std::string& s : sentences) readings.push_back(reading_as_written(s));
  return narrate_readings(readings, scene_starts, options, cancel);
}

Narration narrate_readings(const std::vector<SentenceReading>& sentences,
                           const std::vector<bool>& scene_starts, const NarrationOptions& options,
                           const CancelToken& cancel) {
  if (const auto problems = options.validate(); !problems.empty())
    fail_usage(
        "invalid narration options:\n    " + fmt::format("{}", fmt::join(problems, "\n    ")),
        "correct the values listed above");
  EspeakSession espeak;
  std::string current_voice;
  auto use_voice = [&](const std::string& wanted) {
    const std::string& voice = wanted.empty() ? options.voice : wanted;
    if (voice == current_voice) return;
    if (!espeak.select_voice(voice))
      fail_resource(voice, "espeak-ng has no such voice",
                    "use --voice en (English) or --voice cmn (Mandarin); espeak-ng --voices lists "
                    "them all");
    espeak.set_parameter(espeakRATE, options.rate_wpm);
    current_voice = voice;
  };
  use_voice(options.voice);

  Narration out;
  out.audio.sample_rate = espeak.sample_rate();
  out.audio.channels = 1;
  const double sr = espeak.sample_rate();
  auto& pcm = out.audio.samples;
  pcm.assign(static_cast<std::size_t>(std::llround(options.lead_in_s * sr)), 0.0f);
  constexpr float kSilence = 1e-3f;   // -60 dBFS: espeak-ng's padding is digital silence
  constexpr double kRunGap_s = 0.06;  // between runs of different voices inside a sentence

  for (std::size_t i = 0; i < sentences.size(); ++i) {
    cancel.throw_if_cancelled();
    if (i > 0) {
      const bool scene = i < scene_starts.size() && scene_starts[i];
      pcm.resize(pcm.size() + static_cast<std::size_t>(std::llround(
                                  (scene ? options.scene_gap_s : options.sentence_gap_s) * sr)),
                 0.0f);
    }
    SpokenSentence spoken;
    spoken.start_s = spoken.end_s = static_cast<double>(pcm.size()) / sr;
    bool sounded = false;
    for (const ReadingRun& run : sentences[i].runs) {
      // What the voice reads, and where each word starts in it (code points).
      std::string text;
      std::vector<int> word_starts;
      int chars = 0;
      for (const ReadingWord& w : run.words) {
        if (!text.empty()) {
          text += ' ';
          ++chars;
        }
        word_starts.push_back(chars);
        text += w.spoken;
        for (unsigned char c : w.spoken) chars += (c & 0xC0) != 0x80;
      }
      if (text.find_first_not_of(" ") == std::string::npos) continue;
      use_voice(run.voice);
      const EspeakCapture capture = espeak.synthesize(text);
      // Trim the silence around the speech; times below are relative to the trimmed start.
      std::size_t first = 0, last = capture.samples.size();
      while (first < last && std::abs(capture.samples[first]) < kSilence) ++first;
      while (last > first && std::abs(capture.samples[last - 1]) < kSilence) --last;
      if (first == last) continue;
      if (sounded) pcm.resize(pcm.size() + static_cast<std::size_t>(std::llround(kRunGap_s * sr)));
      sounded = true;
      const double offset_s = static_cast<double>(first) / sr;
      const double length_s = static_cast<double>(last - first) / sr;
      const double start_s = static_cast<double>(pcm.size()) / sr;
      const double end_s = start_s + length_s;
      pcm.insert(pcm.end(), capture.samples.begin() + static_cast<std::ptrdiff_t>(first),
                 capture.samples.begin() + static_cast<std::ptrdiff_t>(last));
      auto place = [&](double t) { return std::clamp(start_s + t - offset_s, start_s, end_s); };
      std::ptrdiff_t previous_word = -1;
      for (std::size_t m = 0; m < capture.marks.size(); ++m) {
        const EspeakCapture::Mark& mark = capture.marks[m];
        if (mark.type != espeakEVENT_WORD) continue;
        // The reading's word under the event: as written when the voice reads it so (a caption
        // shows the event's own span), else the whole word as written (小河 for xiao3he2).
        const auto at = std::upper_bound(word_starts.begin(), word_starts.end(), mark.char_pos - 1);
        const std::ptrdiff_t index = at - word_starts.begin() - 1;
        if (index < 0) continue;  // a pause event, before any word
        const ReadingWord& source = run.words[static_cast<std::size_t>(index)];
        SpokenWord word;
        if (source.spoken == source.text) {
          word.text = word_text(text, mark.char_pos, mark.char_len);
        } else {
          if (index == previous_word) continue;  // one written word, one caption word
          if (!word_text(source.spoken, 1, 1 << 20).empty()) word.text = source.text;
        }
        if (word.text.empty()) continue;
        previous_word = index;
        word.start_s = place(mark.time_s);
        // A word lasts until the next word or the end of its clause.
        double end = length_s + offset_s;
        if (m + 1 < capture.marks.size()) end = capture.marks[m + 1].time_s;
        word.end_s = std::max(word.start_s, place(end));
        spoken.words.push_back(std::move(word));
      }
      spoken.end_s = end_s;
    }
    out.sentences.push_back(std::move(spoken));
  }
  pcm.resize(pcm.size() + static_cast<std::size_t>(std::llround(options.outro_s * sr)), 0.0f);
  return out;
}

}  // namespace tonepoem
