// Measures of `make --song` on the bundled examples (lyrics, vocal line, karaoke times), and the
// lyrics printed so they can be quoted. Run from build/bench/: ./song_bench
//   - syllables on notes (target 100%), stressed English syllables on beats (target >= 85%) and
//     on strong beats (bar's first or middle beat), end-rhyme rate of the pairs meant to rhyme,
//     dictionary coverage, vocal range;
//   - the time to write the lyrics against the emotion analysis before it (same run; the
//     first Chinese story's lyrics include loading the pinyin table and jieba).
#include <cstdio>
#include <filesystem>

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
    SongLyrics lyrics = write_lyrics(doc, cues, lexicons);
    const double lyrics_s = bench::now_s() - t0;
    const double sung_s = song_duration_estimate(lyrics);
    if (sung_s > cues.duration_s) {
      cues = plan(doc, arc, {.duration_s = sung_s});
      lyrics = write_lyrics(doc, cues, lexicons);
    }
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
    std::printf(
        "dictionary coverage: %.1f%% of syllables; vocal range MIDI %d..%d (%d semitones)\n",
        100.0 * dictionary_coverage(lyrics), v.lowest, v.highest, v.highest - v.lowest);
    std::printf("time: lyrics %.1f ms, emotion analysis %.1f ms (baseline, same run)\n\n",
                lyrics_s * 1000, analyze_s * 1000);
  }
  return 0;
}
