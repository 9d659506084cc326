// Stage "lyrics": a story (its Document and the plan's CueSheet) into song lyrics (model/lyrics.h).
// Deterministic: the same story and cue sheet give the same lyrics.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/emotion.h"
#include "model/cue_sheet.h"
#include "model/document.h"
#include "model/lyrics.h"
#include "text/analyze.h"

namespace tonepoem {

class NarrationReader;  // text/reading.h

// English pronunciations: CMUdict as en-cmudict.tsv in the data folder (scripts/setup builds it
// from the npm package cmu-pronouncing-dictionary; rows `word<TAB>ARPAbet phones`).
class Pronouncer {
 public:
  // Throws Error(missing_resource) naming the file when it is missing or malformed.
  explicit Pronouncer(const std::filesystem::path& tsv);
  // The word's syllables (letters split at vowel groups, one per dictionary vowel) with stress:
  // the primary-stressed syllable of a content word; none in a function word ("the", "and", "of").
  // Words absent from the dictionary: a vowel-group count (a silent final e dropped), stress on
  // the first syllable, in_dictionary false. `rhyme` gets the rhyme key (model/lyrics.h).
  LyricWord pronounce(std::string_view word, std::string* rhyme) const;
  std::size_t size() const { return phones_.size(); }

 private:
  std::unordered_map<std::string, std::string> phones_;
};

// Rhyme group of a tone-numbered pinyin syllable: one of the 13 十三辙 ("发花", "言前", ...).
std::string_view pinyin_rhyme_group(std::string_view syllable);

struct LyricsOptions {
  std::size_t verse_lines = 4;    // lines 2 and 4 are meant to rhyme
  std::size_t min_syllables = 4;  // per line
  std::size_t max_syllables = 10;
  std::filesystem::path data_dir;  // where lexicons/en-cmudict.tsv is; empty: find_data_dir()
  // Already loaded (for callers that write many lyrics): used instead of loading them again.
  std::shared_ptr<const Pronouncer> pronouncer;
  std::shared_ptr<const NarrationReader> reader;
  // The story's emotion per Document sentence (EmotionArc::sentences): a verse prefers the
  // clauses whose sentence carries its cue's mood (a dark scene its dark lines). Empty: the lines
  // are chosen by their words alone.
  std::vector<Emotion> sentence_emotions;
};

// The song: one verse per cue (the cue's clauses that carry the most: recurring words, named
// characters, whole clauses preferred; cut to min..max syllables at phrase boundaries only: a
// line cut inside its clause starts after a function word that does not bind forward and ends
// before a function word, never on a function word nor one that needs what follows, and holds
// a content word that is not a name), in story order, no line twice in a verse and a line sung
// in an earlier verse weighed down; the second and fourth lines rhyme (perfect, else the same
// vowel), the rhyme weighed above any line's own score, so a verse is unrhymed only where no
// two of its clauses end in a rhyme; a chorus from the story's central image (the clause
// holding the title's most recurring word, else the story's most recurring content word, the
// hook, sung twice, around two more lines chosen for their rhyme the same way) after every
// verse (or every second verse when there are more than four) and at the end. The section over the cue holding the plan's climax hit is a "bridge"
// (followed by the chorus) when it is not the first of three or more. Cues with no usable clause
// have no verse. Throws Error(bad_input) naming
// the document when no sentence gives a line, and Error(missing_resource) when the pronouncing
// dictionary or pinyin table is missing.
SongLyrics write_lyrics(const Document& document, const CueSheet& cues,
                        std::shared_ptr<const Lexicons> lexicons,
                        const LyricsOptions& options = {});

// The user's own lyrics (`text`, read from `source`): plain text, one sung line a line, a blank
// line between stanzas, or LRC / enhanced LRC (time tags and metadata dropped: the melody sets
// the times; "[ti:...]" names the song, else `title`). A heading line ("[Chorus]", "[Verse 2]",
// "Chorus:", "副歌：") names the stanza under it; a stanza sung again word for word is a chorus.
// Every word is kept, in order; a line over 16 syllables is sung as two. Language by script
// (Han characters: Chinese). Verses spread over the cues in order, a chorus sings over the cue
// it follows. Throws Error(bad_input) naming `source` when no line has a word to sing, and
// Error(missing_resource) when the pronouncing dictionary or pinyin table is missing.
SongLyrics read_given_lyrics(std::string_view text, const std::filesystem::path& source,
                             const std::string& title, const CueSheet& cues,
                             std::shared_ptr<const Lexicons> lexicons,
                             const LyricsOptions& options = {});

// Over the line pairs meant to rhyme (verses: 2 and 4; chorus: 2 and 4): how many share the
// rhyme key exactly (perfect; Chinese: the same 十三辙 group) or only its vowel (slant; Chinese:
// the same main vowel with another nasal coda or none, 发花/言前/江阳 and 人辰/中东).
struct RhymeStats {
  std::size_t pairs = 0, perfect = 0, slant = 0;
  double rate() const { return pairs ? double(perfect + slant) / double(pairs) : 0.0; }
};
RhymeStats rhyme_stats(const SongLyrics& lyrics);

// Share of syllables whose English word came from the dictionary (1 for Chinese).
double dictionary_coverage(const SongLyrics& lyrics);

}  // namespace tonepoem
