// Fuzzes the reader of a user's lyrics (`make --song --lyrics FILE`: plain text or LRC,
// read_given_lyrics). Error is the expected answer to a file with nothing to sing; lyrics that
// are accepted must hold what the header promises: at least one section, every section a line,
// every word a syllable, no line over 16 syllables unless it is one word. Anything else, or a
// crash, is a bug. Needs the data folder (TONEPOEM_DATA): CMUdict and the pinyin table.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "core/files.h"
#include "lyrics/lyrics.h"
#include "text/analyze.h"
#include "text/reading.h"

namespace {

const tonepoem::CueSheet& cues() {
  static const tonepoem::CueSheet sheet = [] {
    tonepoem::CueSheet c;
    c.duration_s = 120;
    c.cues = {tonepoem::Cue{"A", 0, 60, tonepoem::Emotion::at(0.4, 0.2), {}, {}},
              tonepoem::Cue{"B", 60, 120, tonepoem::Emotion::at(-0.3, 0.5), {}, {}}};
    return c;
  }();
  return sheet;
}

}  // namespace

// Loaded once, before fuzzing starts (libFuzzer's per-input timeout does not count it): the
// dictionary, jieba and the pinyin table cost far more than a run.
std::shared_ptr<const tonepoem::Lexicons> lexicons;
tonepoem::LyricsOptions options;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  lexicons = tonepoem::load_lexicons({});
  options.pronouncer = std::make_shared<const tonepoem::Pronouncer>(tonepoem::find_data_dir() /
                                                                    "lexicons" / "en-cmudict.tsv");
  options.reader = std::make_shared<const tonepoem::NarrationReader>(lexicons);
  tonepoem::read_given_lyrics("月亮船儿摇啊摇\nthe moon\n", "warm-up.txt", "", cues(), lexicons,
                              options);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // read_text_file hands the reader valid UTF-8 only.
  if (tonepoem::find_invalid_utf8(text)) return 0;
  try {
    const tonepoem::SongLyrics lyrics =
        tonepoem::read_given_lyrics(text, "fuzz.lrc", "Fuzz", cues(), lexicons, options);
    if (lyrics.sections.empty()) std::abort();
    for (const tonepoem::LyricSection& s : lyrics.sections) {
      if (s.lines.empty() || s.cue >= cues().cues.size()) std::abort();
      for (const tonepoem::LyricLine& l : s.lines) {
        if (l.words.empty()) std::abort();
        if (l.syllable_count() > 16 && l.words.size() > 1) std::abort();
        for (const tonepoem::LyricWord& w : l.words)
          if (w.syllables.empty()) std::abort();
      }
    }
  } catch (const tonepoem::Error& e) {
    if (e.code() != tonepoem::ExitCode::bad_input) std::abort();
  }
  return 0;
}
