// Measures of `make --song` on the bundled examples (lyrics, vocal line, karaoke times), and the
// lyrics printed so they can be quoted. Run from build/bench/: ./song_bench
//   - syllables on notes (target 100%), stressed English syllables on beats (target >= 85%) and
//     on strong beats (bar's first or middle beat), end-rhyme rate of the pairs meant to rhyme,
//     dictionary coverage, vocal range; Chinese: the share of neighbouring syllables whose notes
//     do not move against their tones (target >= 80% on beats), beside the same lyrics set
//     without that rule (VocalOptions::follow_tones, same run);
//   - the mood of the lines: verse lines whose sentence has its scene's valence sign, with the
//     story's emotion choosing among the clauses and without (LyricsOptions::sentence_emotions);
//   - the time to write the lyrics against the emotion analysis before it (same run; the
//     first Chinese story's lyrics include loading the pinyin table and jieba);
//   - the sung guide vocal (`make --sing`, audio/sing.h) read back with aubio
//     (audio_analysis/vocal_accuracy.h): pitch error against the notes (target: median <= 50
//     cents) and onset error (median <= 30 ms), and the time to sing against the time to
//     synthesize the accompaniment with FluidSynth (baseline, same run).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "audio/audio.h"
#include "audio/sing.h"
#include "audio_analysis/vocal_accuracy.h"
#include "bench_util.h"
#include "lyrics/lyrics.h"
#include "lyrics/vocal.h"
#include "music/compose.h"
#include "plan/plan.h"
#include "text/analyze.h"
#include "text/document.h"

using namespace tonepoem;

int main() {
  bench::use_build_data_folder();
  const auto lexicons = load_lexicons({});
  const std::filesystem::path examples = std::filesystem::path(TONEPOEM_SOURCE_DIR) / "examples";
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

    const std::vector<SungNote> notes = sung_notes(vocal, lyrics);
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
        "time: sing %.2f s for %.0f s of song; FluidSynth renders the accompaniment in "
        "%.2f s (baseline, same run; %.0f s of audio)\n\n",
        sing_s, score.duration_s(), synth_s, band.duration_s());
  }
  return 0;
}
