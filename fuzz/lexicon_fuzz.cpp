// Fuzzes the TSV readers: lexicons (--lexicon FILE.tsv and the data folder's lists), the learned
// word table and the pinyin table (zh-pinyin.tsv). Bad rows may only throw tonepoem::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "text/lexicons.h"
#include "text/pinyin.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool lower : {false, true}) {
    try {
      tonepoem::text::WordMap map;
      tonepoem::text::parse_lexicon_tsv(text, "fuzz.tsv", map, lower,
                                        tonepoem::ExitCode::bad_input);
    } catch (const tonepoem::Error&) {
    }
  }
  try {
    tonepoem::text::LearnedMap learned;
    tonepoem::text::parse_learned_table(text, learned);
  } catch (const tonepoem::Error&) {
  }
  try {
    tonepoem::text::PinyinTable pinyin;
    tonepoem::text::parse_pinyin_tsv(text, "fuzz.tsv", pinyin);
  } catch (const tonepoem::Error&) {
  }
  return 0;
}
