// Measures of `make --song` on the bundled examples (lyrics, vocal line, karaoke times), and the
// lyrics printed so they can be quoted. Run from build/bench/: ./song_bench [--no-sing]
// (--no-sing: everything but the sung vocal, in about a second)
//   - syllables on notes (target 100%), stressed English syllables on beats (target >= 85%) and
//     on strong beats (bar's first or middle beat), end-rhyme rate of the pairs meant to rhyme,
//     dictionary coverage, vocal range; Chinese: the share of neighbouring syllables whose notes
//     do not move against their tones (target >= 80% on beats), beside the same lyrics set
//     without that rule (VocalOptions::follow_tones, same run);
//   - the mood of the lines: verse lines whose sentence has its scene's valence sign, with the
//     story's emotion choosing among the clauses and without (LyricsOptions::sentence_emotions);
//   - the time to write the lyrics against the emotion analysis before it (same run; the
//     first Chinese story's lyrics include loading the pinyin table and jieba);
//   - on real prose: the 15 Grimm tales of bench/arcs (cut out of ../shared/data/stories-en;
//     skipped, saying so, without it): end rhymes and stressed syllables on strong beats per
//     tale and in all, lyrics and vocal only;
//   - the sung guide vocal (`make --sing`, audio/sing.h) read back with aubio
//     (audio_analysis/vocal_accuracy.h): pitch error against the notes (target: median <= 50
//     cents) and onset error (median <= 30 ms), and the time to sing against the time to
//     synthesize the accompaniment with FluidSynth (baseline, same run).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <tuple>

#include "audio/audio.h"
#include "audio/sing.h"
#include "audio_analysis/vocal_accuracy.h"
#include "bench_util.h"
#include "grimm.h"
#include "lyrics/lyrics.h"
#include "lyrics/vocal.h"
#include "music/compose.h"
#include "plan/plan.h"
#include "text/analyze.h"
#include "text/document.h"

#include <nlohmann/json.hpp>

using namespace tonepoem;

namespace {

// End rhymes and strong-beat stresses on the annotated Grimm tales (all splits: these figures
// are about lyrics, not the arcs the held-out rule protects), as `make --song` writes them.
void grimm_tales(const std::shared_ptr<const Lexicons>& lexicons) {
  const std::filesystem::path grimm = bench::grimm_file();
  if (!std::filesystem::exists(grimm)) {
    std::printf("==== Grimm tales: %s not found; skipped\n\n", grimm.string().c_str());
    return;
  }
  std::set<std::string> titles;  // sorted, so the order does not depend on the directory
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(TONEPOEM_SOURCE_DIR) / "bench" / "arcs"))
    if (entry.path().extension() == ".json") {
      std::ifstream in(entry.path());
      titles.insert(nlohmann::json::parse(in).at("title").get<std::string>());
    }
  const std::vector<std::string> lines = bench::read_lines(grimm);
  std::printf("==== Grimm tales (lyrics and vocal line, no singing)\n%-42s %9s %14s %9s\n", "tale",
              "rhymes", "strong beats", "lyrics");
  RhymeStats all_rhymes;
  std::size_t stressed = 0, strong = 0;
  for (const std::string& title : titles) {
    const std::optional<std::string> text = bench::grimm_tale(lines, title);
    if (!text) continue;
    const Document doc = parse_text(*text, title, {});
    const EmotionArc arc = analyze(doc, {.lexicons = lexicons});
    CueSheet cues = plan(doc, arc, {});
    LyricsOptions options;
    options.sentence_emotions = arc.sentences;
    const double t0 = bench::now_s();
    SongLyrics lyrics = write_lyrics(doc, cues, lexicons, options);
    const double lyrics_s = bench::now_s() - t0;
    if (const double sung_s = song_duration_estimate(lyrics); sung_s > cues.duration_s) {
      cues = plan(doc, arc, {.duration_s = sung_s});
      lyrics = write_lyrics(doc, cues, lexicons, options);
    }
    const VocalStats v = vocal_stats(lyrics, write_vocal(compose(cues, {.seed = 1}), lyrics));
    const RhymeStats r = rhyme_stats(lyrics);
    all_rhymes.pairs += r.pairs;
    all_rhymes.perfect += r.perfect;
    all_rhymes.slant += r.slant;
    stressed += v.stressed;
    strong += v.stressed_on_strong;
    std::printf("%-42.42s %4zu/%-4zu %13.1f%% %7.0f ms\n", title.c_str(), r.perfect + r.slant,
                r.pairs,
                100.0 * double(v.stressed_on_strong) / double(std::max<std::size_t>(1, v.stressed)),
                lyrics_s * 1000);
  }
  std::printf(
      "all: end rhymes %zu/%zu (%.1f%%: %zu perfect, %zu slant); stressed syllables on a "
      "strong beat %zu/%zu (%.1f%%)\n\n",
      all_rhymes.perfect + all_rhymes.slant, all_rhymes.pairs, 100.0 * all_rhymes.rate(),
      all_rhymes.perfect, all_rhymes.slant, strong, stressed,
      100.0 * double(strong) / double(std::max<std::size_t>(1, stressed)));
}

}  // namespace

int main(int argc, char** argv) {
  bench::use_build_data_folder();
  const bool sing_too = !(argc > 1 && std::string_view(argv[1]) == "--no-sing");
  const auto lexicons = load_lexicons({});
  const std::filesystem::path examples = std::filesystem::path(TONEPOEM_SOURCE_DIR) / "examples";
  grimm_tales(lexicons);
  for (const char* name :
       {"the-lantern-at-the-ford.txt", "the-miller-s-daughter.txt", "moon-lake-boat.zh.txt"}) {
    const Document doc = parse_file(examples / name, {});
    double t0 = bench::now_s();
    const EmotionArc arc = analyze(doc, {.lexicons = lexicons});
    const double analyze_s = bench::now_s() - t0;
    CueSheet cues = plan(doc, arc, {});
    t0 = bench::now_s();
    LyricsOptions with_mood;
    with_mood.sentence_emotions = arc.sentences;
    SongLyrics lyrics = write_lyrics(doc, cues, lexicons, with_mood);
    const double lyrics_s = bench::now_s() - t0;
    const double sung_s = song_duration_estimate(lyrics);
    if (sung_s > cues.duration_s) {
      cues = plan(doc, arc, {.duration_s = sung_s});
      lyrics = write_lyrics(doc, cues, lexicons, with_mood);
    }
    // The mood of the lines: verse and bridge lines whose sentence's valence has the sign of
    // their scene's target (scenes at least 0.2 from neutral, sentences 0.05), with the emotion
    // choosing among the clauses and without it (the words alone; same run).
    auto mood_agreement = [&](const SongLyrics& l) {
      std::size_t lines = 0, agreeing = 0, all_lines = 0;
      double product = 0;  // mean of scene valence x sentence valence over every verse line
      for (const LyricSection& section : l.sections) {
        if (section.kind == "chorus" || section.cue >= cues.cues.size()) continue;
        const double target = cues.cues[section.cue].target.valence;
        for (const LyricLine& line : section.lines) {
          product += target * arc.sentences[line.sentence].valence;
          ++all_lines;
        }
        if (std::abs(target) < 0.2) continue;
        for (const LyricLine& line : section.lines) {
          const double v = arc.sentences[line.sentence].valence;
          if (std::abs(v) < 0.05) continue;
          ++lines;
          agreeing += (v > 0) == (target > 0) ? 1 : 0;
        }
      }
      return std::tuple{agreeing, lines, product / double(std::max<std::size_t>(1, all_lines))};
    };
    const auto [mood_ok, mood_lines, mood_product] = mood_agreement(lyrics);
    const auto [plain_ok, plain_lines, plain_product] =
        mood_agreement(write_lyrics(doc, cues, lexicons));
    const Score score = compose(cues, {.seed = 1});
    const Vocal vocal = write_vocal(score, lyrics);
    const VocalStats v = vocal_stats(lyrics, vocal);
    const RhymeStats r = rhyme_stats(lyrics);
    std::printf("==== %s (%.0f s, %zu sections)\n%s\n", name, score.duration_s(),
                lyrics.sections.size(), lyrics_text(lyrics).c_str());
    std::printf("syllables on notes: %zu/%zu (%.1f%%)\n", v.sung, v.syllables,
                100.0 * double(v.sung) / double(std::max<std::size_t>(1, v.syllables)));
    if (v.stressed)
      std::printf("stressed syllables on a beat: %zu/%zu (%.1f%%); on a strong beat: %.1f%%\n",
                  v.stressed_on_beat, v.stressed, 100.0 * double(v.stressed_on_beat) / v.stressed,
                  100.0 * double(v.stressed_on_strong) / v.stressed);
    std::printf("end rhymes: %zu/%zu pairs (%.0f%%: %zu perfect, %zu slant)\n", r.perfect + r.slant,
                r.pairs, 100.0 * r.rate(), r.perfect, r.slant);
    if (v.tone_pairs) {
      // The melody against the tones, beside the same lyrics set without the rule (same run).
      const VocalStats plain =
          vocal_stats(lyrics, write_vocal(score, lyrics, {.follow_tones = false}));
      std::printf(
          "tones: melody not against them on %zu/%zu pairs on beats (%.1f%%), %zu/%zu in "
          "all (%.1f%%); without the rule %zu/%zu (%.1f%%), %zu/%zu (%.1f%%)\n",
          v.tone_agreeing_on_beat, v.tone_pairs_on_beat,
          100.0 * double(v.tone_agreeing_on_beat) / double(v.tone_pairs_on_beat), v.tone_agreeing,
          v.tone_pairs, 100.0 * double(v.tone_agreeing) / double(v.tone_pairs),
          plain.tone_agreeing_on_beat, plain.tone_pairs_on_beat,
          100.0 * double(plain.tone_agreeing_on_beat) / double(plain.tone_pairs_on_beat),
          plain.tone_agreeing, plain.tone_pairs,
          100.0 * double(plain.tone_agreeing) / double(plain.tone_pairs));
    }
    std::printf(
        "dictionary coverage: %.1f%% of syllables; vocal range MIDI %d..%d (%d semitones)\n",
        100.0 * dictionary_coverage(lyrics), v.lowest, v.highest, v.highest - v.lowest);
    std::printf(
        "mood: %zu/%zu lines in their scene's valence sign (%.0f%%), scene x line valence "
        "%.3f; words alone %zu/%zu (%.0f%%), %.3f\n",
        mood_ok, mood_lines, 100.0 * double(mood_ok) / double(std::max<std::size_t>(1, mood_lines)),
        mood_product, plain_ok, plain_lines,
        100.0 * double(plain_ok) / double(std::max<std::size_t>(1, plain_lines)), plain_product);
    std::printf("time: lyrics %.1f ms, emotion analysis %.1f ms (baseline, same run)\n",
                lyrics_s * 1000, analyze_s * 1000);

    if (!sing_too) {
      std::printf("\n");
      continue;
    }
    const std::vector<SungNote> notes = sung_notes(vocal, lyrics);
    double sung_seconds = 0, longest = 0;
    for (const SungNote& n : notes) {
      sung_seconds += n.end_s - n.start_s;
      longest = std::max(longest, n.end_s - n.start_s);
    }
    t0 = bench::now_s();
    const AudioBuffer voice =
        sing(notes, {.voice = lyrics.language == Language::zh ? "cmn-latn-pinyin+f3" : "en+f3"});
    const double sing_s = bench::now_s() - t0;
    const VocalAccuracy a = vocal_accuracy(voice, notes);
    t0 = bench::now_s();  // the score without its vocal track, as make --sing renders it
    SynthOptions synth;
    synth.soundfont = find_soundfont({});
    const AudioBuffer band = synthesize(score, synth);
    const double synth_s = bench::now_s() - t0;
    std::printf(
        "sung: %zu notes, pitch read on %zu: error median %.1f cents, p90 %.1f, %zu within 50 "
        "cents (%.1f%%); onsets found %zu (%.1f%%): error median %.1f ms, p90 %.1f ms\n",
        a.notes, a.pitched, a.median_pitch_error_cents, a.p90_pitch_error_cents, a.within_50_cents,
        100.0 * double(a.within_50_cents) / double(std::max<std::size_t>(1, a.notes)),
        a.onsets_found, 100.0 * double(a.onsets_found) / double(std::max<std::size_t>(1, a.notes)),
        a.median_onset_error_ms, a.p90_onset_error_ms);
    std::printf(
        "time: sing %.2f s for %.0f s of song (%.0f s of it sung, the longest note %.1f s); "
        "FluidSynth renders the accompaniment in %.2f s (baseline, same run; %.0f s of audio)\n\n",
        sing_s, score.duration_s(), sung_seconds, longest, synth_s, band.duration_s());
  }
  return 0;
}
