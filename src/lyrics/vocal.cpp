#include "lyrics/vocal.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

namespace tonepoem {
namespace {

struct Syl {
  std::size_t word = 0, syllable = 0;
  const LyricSyllable* text = nullptr;
};

std::vector<Syl> line_syllables(const LyricLine& line) {
  std::vector<Syl> out;
  for (std::size_t w = 0; w < line.words.size(); ++w)
    for (std::size_t s = 0; s < line.words[w].syllables.size(); ++s)
      out.push_back({w, s, &line.words[w].syllables[s]});
  return out;
}

// The section (of the score) that holds `tick`.
std::size_t section_at(const Score& score, std::int64_t tick) {
  std::size_t i = 0;
  while (i + 1 < score.sections.size() && score.sections[i + 1].start_tick <= tick) ++i;
  return i;
}

// Grid slots per beat: eighths, sixteenths when slow, quarters when fast.
int slots_per_beat(double bpm) {
  if (bpm < 75) return 4;
  if (bpm > 150) return 1;
  return 2;
}

// Bars the phrase of a line of `syllables` takes in section `ss`: room for its syllables and a
// beat's breath, and 2.5 s at least so that it is not rushed.
int phrase_bars(const ScoreSection& ss, std::size_t syllables) {
  const int bpb = std::max(1, ss.beats_per_bar);
  const int spb = slots_per_beat(ss.tempo_bpm);
  const double bar_s = 60.0 / ss.tempo_bpm * bpb;
  const int bars = std::max(1, int(std::ceil((double(syllables) + spb + 1) / double(bpb * spb))));
  return std::max(bars, int(std::ceil(2.5 / bar_s - 1e-9)));
}

bool is_strong_beat(int beat, int beats_per_bar) {
  if (beat == 0) return true;
  return beats_per_bar % 2 == 0 && beats_per_bar >= 4 && beat == beats_per_bar / 2;
}

// Slot positions for `syl` in a phrase of `slots` slots from its first bar line (the last beat
// free for the breath): minimal cost by dynamic programming. The unstressed
// syllables before the line's first stress may come as a pickup in the `pickup` slots before the
// bar line (negative positions), so that the stress falls on the downbeat: "the | WOLF crept".
// A pickup syllable is never on a strong beat.
// Empty when the syllables do not fit.
std::vector<int> place_rhythm(const std::vector<Syl>& syl, int slots, int spb, int bpb,
                              int pickup) {
  const int n = static_cast<int>(syl.size());
  const int span = pickup + slots;          // DP index q = position + pickup
  const int last_allowed = span - spb - 1;  // a beat of breath after the last note starts
  if (n == 0 || n - 1 > last_allowed - pickup) return {};
  int leading = 0;  // unstressed syllables before the first stress: the ones a pickup may sing
  while (leading < n && !syl[std::size_t(leading)].text->stressed) ++leading;
  if (leading == n) leading = 0;  // no stress (Chinese): no pickup, the line starts on the bar
  const double inf = std::numeric_limits<double>::infinity();
  auto cost_at = [&](int k, int q) {
    if (q < pickup && k >= leading) return inf;
    const int p = q - pickup;
    const bool beat = (p % spb + spb) % spb == 0;
    const bool strong = beat && p >= 0 && is_strong_beat((p / spb) % bpb, bpb);
    const bool stressed = syl[std::size_t(k)].text->stressed;
    double c = 0;
    if (stressed && !beat) c += 10;
    if (stressed && beat && !strong) c += 0.4;
    if (!stressed && strong) c += 0.6;
    return c;
  };
  std::vector<std::vector<double>> best(n, std::vector<double>(span, inf));
  std::vector<std::vector<int>> from(n, std::vector<int>(span, -1));
  // Starting late costs; a pickup starts "early" by its length and is the natural start.
  for (int q = 0; q <= last_allowed; ++q) best[0][q] = cost_at(0, q) + 0.3 * q;
  for (int k = 1; k < n; ++k)
    for (int q = k; q <= last_allowed; ++q) {
      const double here = cost_at(k, q);
      if (here == inf) continue;
      for (int r = std::max(0, q - 3 * spb); r < q; ++r) {
        if (best[k - 1][r] == inf) continue;
        const int gap = q - r;
        // Long holds inside a line and notes shorter than half a beat at slow grids cost a little.
        const double c = best[k - 1][r] + here + (gap > 2 * spb ? 1.5 : 0) + (gap > spb ? 0.2 : 0);
        if (c < best[k][q]) {
          best[k][q] = c;
          from[k][q] = r;
        }
      }
    }
  int end = -1;
  double top = inf;
  for (int q = n - 1; q <= last_allowed; ++q) {
    // Lines that end late in the phrase fill it (a long rest inside a line is not sung).
    const double c = best[n - 1][q] + 0.15 * (last_allowed - q);
    if (c < top) {
      top = c;
      end = q;
    }
  }
  if (end < 0) return {};
  std::vector<int> pos(n);
  for (int k = n - 1; k >= 0; --k) {
    pos[k] = end - pickup;
    end = from[k][end];
  }
  return pos;
}

// Diatonic pitches of a section's key in the vocal range, ascending, and the tonic's index.
struct Ladder {
  std::vector<int> pitches;
  std::size_t tonic = 0;
};

Ladder ladder_for(const ScoreSection& s, const VocalOptions& o) {
  Ladder l;
  const int tonic = o.low + 3 + ((s.tonic - (o.low + 3)) % 12 + 12) % 12;
  const auto& iv = mode_intervals(s.mode);
  for (int p = o.low; p <= o.high; ++p) {
    const int rel = ((p - tonic) % 12 + 12) % 12;
    if (std::find(iv.begin(), iv.end(), rel) == iv.end()) continue;
    if (p == tonic) l.tonic = l.pitches.size();
    l.pitches.push_back(p);
  }
  return l;
}

const ChordEvent* chord_at(const Score& score, std::int64_t tick) {
  const ChordEvent* found = nullptr;
  for (const ChordEvent& c : score.chords) {
    if (c.tick > tick) break;
    if (tick < c.tick + c.duration) found = &c;
  }
  return found;
}

bool in_classes(int pitch, const std::vector<int>& classes) {
  return std::find(classes.begin(), classes.end(), ((pitch % 12) + 12) % 12) != classes.end();
}

// The ladder index nearest `target` whose pitch class is in `classes` (any when none fits
// within 3 steps).
// The ladder step nearest `target` whose pitch class is in `classes` (any when empty); with a
// `direction`, only steps at or above (+1) or at or below (-1) step `from`, when there are any.
std::size_t nearest_in(const Ladder& l, double target, const std::vector<int>& classes,
                       int direction = 0, std::size_t from = 0) {
  std::size_t best = std::size_t(std::clamp(std::lround(target), 0L, long(l.pitches.size() - 1)));
  double best_d = 1e9;
  for (std::size_t i = 0; i < l.pitches.size(); ++i) {
    if (!classes.empty() && !in_classes(l.pitches[i], classes)) continue;
    if ((direction > 0 && i < from) || (direction < 0 && i > from)) continue;
    const double d = std::abs(double(i) - target);
    if (d < best_d - 1e-9) {
      best_d = d;
      best = i;
    }
  }
  if (best_d > 1e8 && direction != 0) return nearest_in(l, target, classes);
  return best;
}

// A Mandarin syllable's pitch where it starts, from Chao's tone letters (tone 1 = 55, 2 = 35,
// 3 = 214, 4 = 51): what a listener hears at a sung note's attack. 0: neutral tone or no tone.
int tone_onset_level(const std::string& pinyin) {
  switch (pinyin.empty() ? '0' : pinyin.back()) {
    case '1':
      return 5;
    case '2':
      return 3;
    case '3':
      return 2;
    case '4':
      return 5;
    default:
      return 0;
  }
}

// Where the tones ask the melody to go from one syllable to the next: +1 up, -1 down, 0 either.
int tone_direction(const LyricSyllable& from, const LyricSyllable& to) {
  const int a = tone_onset_level(from.pinyin), b = tone_onset_level(to.pinyin);
  if (a == 0 || b == 0 || a == b) return 0;
  return b > a ? 1 : -1;
}

std::string clock(double s, bool brackets) {
  const long ms = std::lround(std::max(0.0, s) * 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, brackets ? "[%02ld:%02ld.%03ld]" : "<%02ld:%02ld.%03ld>",
                ms / 60000, (ms / 1000) % 60, ms % 1000);
  return buf;
}

}  // namespace

std::optional<VoiceRange> find_voice_range(std::string_view name) {
  for (const VoiceRange& range : kVoiceRanges) {
    if (range.name.size() != name.size()) continue;
    if (std::equal(name.begin(), name.end(), range.name.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return range;
  }
  return std::nullopt;
}

std::string accepted_voice_ranges() {
  std::string out;
  for (const VoiceRange& range : kVoiceRanges) {
    if (!out.empty()) out += ", ";
    out += std::string(range.name) + " (" + std::string(range.notes) + ")";
  }
  return out;
}

double song_duration_estimate(const SongLyrics& lyrics) {
  double lines = 0;
  for (const LyricSection& s : lyrics.sections) lines += double(s.lines.size());
  return 8.0 + 7.0 * lines;
}

Vocal write_vocal(const Score& score, const SongLyrics& lyrics, const VocalOptions& options) {
  Vocal vocal;
  vocal.track.name = "Vocal (" + std::string(gm_program_name(options.program)) + ")";
  vocal.track.role = "vocal";
  vocal.track.program = options.program;
  vocal.track.pan = 0;
  vocal.track.gain = 0.9;
  std::vector<bool> used(16, false);
  used[9] = true;
  for (const Track& t : score.tracks) used[std::clamp(t.channel, 0, 15)] = true;
  vocal.track.channel = 15;
  for (int ch = 0; ch < 16; ++ch)
    if (!used[ch]) {
      vocal.track.channel = ch;
      break;
    }
  std::size_t total = 0;
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines) total += l.syllable_count();
  if (score.sections.empty()) {
    vocal.unsung = total;
    return vocal;
  }

  std::int64_t cursor = score.sections.front().start_tick;
  std::int64_t sung_until = cursor;  // the end of the last note sung so far
  for (std::size_t si = 0; si < lyrics.sections.size(); ++si) {
    const LyricSection& section = lyrics.sections[si];
    if (section.kind != "chorus" && section.cue < score.sections.size()) {
      // A verse starts with its cue, unless the lines from it to the song's end (laid at its
      // cue's pace) would run past the end: then early enough for them all, never over a line
      // already sung (the cursor).
      const ScoreSection& at = score.sections[section.cue];
      const std::int64_t bar = std::int64_t(std::max(1, at.beats_per_bar)) * score.ppq;
      std::int64_t tail = 0;
      for (std::size_t sj = si; sj < lyrics.sections.size(); ++sj)
        for (const LyricLine& line : lyrics.sections[sj].lines)
          tail += phrase_bars(at, line_syllables(line).size()) * bar;
      std::int64_t from = at.start_tick;
      if (from + tail > score.end_tick) from = std::min(from, score.end_tick - tail - bar);
      cursor = std::max(cursor, from);
    }
    for (std::size_t li = 0; li < section.lines.size(); ++li) {
      const std::vector<Syl> syl = line_syllables(section.lines[li]);
      // The phrase starts on the next bar line of the section that holds the cursor.
      std::size_t sec = section_at(score, cursor);
      const ScoreSection* ss = &score.sections[sec];
      int bpb = std::max(1, ss->beats_per_bar);
      std::int64_t bar = std::int64_t(bpb) * score.ppq;
      std::int64_t start = ss->start_tick + (cursor - ss->start_tick + bar - 1) / bar * bar;
      int spb = slots_per_beat(ss->tempo_bpm);
      int bars = phrase_bars(*ss, syl.size());
      // A phrase does not run into a section of another meter: it starts there instead.
      if (start + bars * bar > ss->end_tick && sec + 1 < score.sections.size() &&
          score.sections[sec + 1].beats_per_bar != bpb) {
        ss = &score.sections[++sec];
        start = ss->start_tick;
        bpb = std::max(1, ss->beats_per_bar);
        bar = std::int64_t(bpb) * score.ppq;
        spb = slots_per_beat(ss->tempo_bpm);
        bars = std::max(1, int(std::ceil((double(syl.size()) + spb + 1) / double(bpb * spb))));
      }
      const int slots = bars * bpb * spb;
      // A pickup of up to half a beat, in the beat of breath the line before left, keeping half
      // of it (never before the score's start).
      const int pickup = start - score.ppq >= sung_until ? spb / 2 : 0;
      const std::vector<int> pos = place_rhythm(syl, slots, spb, bpb, pickup);
      if (pos.empty() || start + std::int64_t(pos.back() + 1) * score.ppq / spb > score.end_tick) {
        vocal.unsung += syl.size();
        continue;
      }
      const std::int64_t slot_ticks = score.ppq / spb;
      const Ladder ladder = ladder_for(*ss, options);
      const auto& iv = mode_intervals(ss->mode);
      const std::vector<int> tonic_triad = {ss->tonic % 12, (ss->tonic + iv[2]) % 12,
                                            (ss->tonic + iv[4]) % 12};
      // Arch: from the tonic up to a peak 3..5 steps higher about 60% through, and back.
      // A bridge sings higher, for contrast.
      const double base =
          double(ladder.tonic) + (li % 2 == 0 ? 0 : 2) + (section.kind == "bridge" ? 2 : 0);
      const double peak = base + 3 + double(li % 3);
      const bool section_end = li + 1 == section.lines.size();
      std::size_t prev = ladder.tonic;
      SungLine sung_line{si, li, section.lines[li].text(), 0, 0, vocal.syllables.size(), 0};
      for (std::size_t k = 0; k < syl.size(); ++k) {
        const std::int64_t tick = start + std::int64_t(pos[k]) * slot_ticks;
        const std::int64_t next = k + 1 < syl.size()
                                      ? start + std::int64_t(pos[k + 1]) * slot_ticks
                                      : start + std::int64_t(slots - spb) * slot_ticks;
        const double x = syl.size() > 1 ? double(k) / double(syl.size() - 1) : 1.0;
        const double shape = x < 0.6 ? x / 0.6 : (1.0 - x) / 0.4;
        const double target = base + (peak - base) * shape;
        // Chinese: the melody does not move against the tones (up into a syllable that starts
        // higher than the one before, down into one that starts lower).
        const int tones = options.follow_tones && lyrics.language == Language::zh && k > 0
                              ? tone_direction(*syl[k - 1].text, *syl[k].text)
                              : 0;
        std::size_t idx;
        if (k + 1 == syl.size()) {
          idx = section_end ? nearest_in(ladder, target, {ss->tonic % 12}, tones, prev)
                            : nearest_in(ladder, target, tonic_triad, tones, prev);
        } else if (syl[k].text->stressed || syl.size() < 3) {
          const ChordEvent* chord = chord_at(score, tick);
          idx = nearest_in(ladder, target, chord ? chord->pitch_classes : tonic_triad, tones, prev);
        } else {  // unstressed: a step toward the arch
          long step = std::lround(std::clamp(target - double(prev), -1.0, 1.0));
          if (tones != 0 && step * tones < 0) step = tones;
          idx = std::size_t(std::clamp(long(prev) + step, 0L, long(ladder.pitches.size() - 1)));
        }
        prev = idx;
        Note note{tick, std::max<std::int64_t>(1, next - tick - slot_ticks / 8),
                  ladder.pitches[idx], syl[k].text->stressed ? 92 : 78};
        SungSyllable s;
        s.section = si;
        s.line = li;
        s.word = syl[k].word;
        s.syllable = syl[k].syllable;
        s.text = syl[k].text->text;
        s.stressed = syl[k].text->stressed;
        s.on_beat = pos[k] % spb == 0;
        s.on_strong = s.on_beat && pos[k] >= 0 && is_strong_beat((pos[k] / spb) % bpb, bpb);
        s.note = note;
        s.start_s = score.seconds_at(tick);
        s.end_s = score.seconds_at(tick + note.duration);
        vocal.track.notes.push_back(note);
        // Karaoke convention: a word's later syllables continue it; a new word starts with a
        // space (English) so players join the text as written.
        std::string lyric = s.text;
        if (lyrics.language == Language::en && s.syllable == 0 && k > 0) lyric = " " + lyric;
        const std::size_t in_word =
            section.lines[li].words[syl[k].word].syllables.size();  // the word's syllables
        const Syllabic syllabic = in_word == 1                ? Syllabic::single
                                  : s.syllable == 0           ? Syllabic::begin
                                  : s.syllable + 1 == in_word ? Syllabic::end
                                                              : Syllabic::middle;
        vocal.track.lyrics.push_back({tick, lyric, syllabic});
        vocal.syllables.push_back(std::move(s));
      }
      sung_line.count = syl.size();
      sung_line.start_s = vocal.syllables[sung_line.first].start_s;
      const Note& last = vocal.syllables.back().note;
      sung_line.end_s = score.seconds_at(last.tick + last.duration);
      sung_until = last.tick + last.duration;
      vocal.lines.push_back(sung_line);
      cursor = start + std::int64_t(slots) * slot_ticks;
    }
  }
  return vocal;
}

std::string lrc_text(const Vocal& vocal, const std::string& title) {
  std::string out = "[ti:" + title + "]\n[re:tonepoem]\n";
  for (const SungLine& l : vocal.lines) out += clock(l.start_s, true) + l.text + "\n";
  return out;
}

std::string enhanced_lrc_text(const Vocal& vocal, const SongLyrics& lyrics,
                              const std::string& title) {
  std::string out = "[ti:" + title + "]\n[re:tonepoem]\n";
  for (const SungLine& l : vocal.lines) {
    out += clock(l.start_s, true);
    const LyricLine& line = lyrics.sections[l.section].lines[l.line];
    for (std::size_t k = l.first; k < l.first + l.count; ++k) {
      const SungSyllable& s = vocal.syllables[k];
      if (s.syllable != 0) continue;
      const bool latin = lyrics.language == Language::en;
      // Appended piece by piece: `"" + std::string` trips GCC 12's -Wrestrict at -O3.
      if (latin && k != l.first) out += ' ';
      out += clock(s.start_s, false);
      out += line.words[s.word].text;
    }
    out += "\n";
  }
  return out;
}

namespace {

// ASS time: H:MM:SS.cc from whole centiseconds.
std::string ass_clock(long cs) {
  return fmt::format("{}:{:02}:{:02}.{:02}", cs / 360000, cs / 6000 % 60, cs / 100 % 60, cs % 100);
}

// ASS text: braces open override blocks and a backslash starts a tag, so neither is kept as is.
std::string ass_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '{') {
      out += '(';
    } else if (c == '}') {
      out += ')';
    } else if (c == '\\') {
      out += '/';
    } else if (c != '\n' && c != '\r') {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ass_karaoke_text(const Vocal& vocal, const SongLyrics& lyrics,
                             const std::string& title) {
  std::string out = "[Script Info]\nTitle: " + ass_escape(title) +
                    "\nScriptType: v4.00+\nPlayResX: 1920\nPlayResY: 1080\nWrapStyle: 0\n"
                    "ScaledBorderAndShadow: yes\n\n[V4+ Styles]\n"
                    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
                    "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, "
                    "ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
                    "MarginR, MarginV, Encoding\n"
                    "Style: Karaoke,Noto Sans CJK SC,64,&H0000D7FF,&H00FFFFFF,&H00000000,"
                    "&H80000000,0,0,0,0,100,100,0,0,1,3,1,2,80,80,80,1\n\n[Events]\n"
                    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
                    "Text\n";
  const bool latin = lyrics.language == Language::en;
  for (const SungLine& l : vocal.lines) {
    // Times on the centisecond grid ASS counts in: each \kf lasts from its syllable's note to
    // the next one's (the last to its note's end), measured from the line's start, so rounding
    // never accumulates along a line.
    auto cs = [](double s) { return std::lround(s * 100.0); };
    const long start = cs(l.start_s);
    std::string text;
    long at = start;
    for (std::size_t k = l.first; k < l.first + l.count; ++k) {
      const SungSyllable& s = vocal.syllables[k];
      const long next =
          k + 1 < l.first + l.count ? cs(vocal.syllables[k + 1].start_s) : cs(l.end_s);
      const std::string space = latin && s.syllable == 0 && k != l.first ? " " : "";
      text += fmt::format("{{\\kf{}}}{}{}", std::max(0L, next - at), space, ass_escape(s.text));
      at = std::max(at, next);
    }
    out += fmt::format("Dialogue: 0,{},{},Karaoke,,0,0,0,karaoke,{}\n", ass_clock(start),
                       ass_clock(std::max(at, start + 1)), text);
  }
  return out;
}

std::vector<SungNote> sung_notes(const Vocal& vocal, const SongLyrics& lyrics) {
  std::vector<SungNote> notes;
  notes.reserve(vocal.syllables.size());
  auto letters = [](const std::string& text) {
    std::string out;
    for (char c : text)
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '\'' || (c & 0x80)) out += c;
    return out;
  };
  for (const SungSyllable& s : vocal.syllables) {
    const LyricWord& word = lyrics.sections[s.section].lines[s.line].words[s.word];
    const LyricSyllable& syllable = word.syllables[s.syllable];
    std::string text;
    if (lyrics.language == Language::zh)
      text = syllable.pinyin.empty() ? syllable.text : syllable.pinyin;
    else
      text = letters(word.syllables.size() == 1 ? word.text : syllable.text);
    if (text.empty()) text = syllable.text;
    notes.push_back({text, s.note.pitch, s.start_s, s.end_s});
  }
  return notes;
}

std::vector<Caption> karaoke_captions(const Vocal& vocal, const SongLyrics& lyrics) {
  std::vector<Caption> captions;
  for (const SungLine& line : vocal.lines) {
    if (line.count == 0) continue;
    Caption caption{.text = line.text,
                    .start_s = line.start_s,
                    .end_s = line.end_s,
                    .emotion = {},
                    .words = {}};
    for (std::size_t k = line.first; k < line.first + line.count; ++k) {
      const SungSyllable& s = vocal.syllables[k];
      const bool same_word = k > line.first && vocal.syllables[k - 1].word == s.word;
      if (same_word) {
        caption.words.back().end_s = s.end_s;
      } else {
        const LyricWord& word = lyrics.sections[s.section].lines[s.line].words[s.word];
        caption.words.push_back({word.text, s.start_s, s.end_s});
      }
    }
    captions.push_back(std::move(caption));
  }
  return captions;
}

VocalStats vocal_stats(const SongLyrics& lyrics, const Vocal& vocal) {
  VocalStats st;
  for (const LyricSection& s : lyrics.sections)
    for (const LyricLine& l : s.lines) st.syllables += l.syllable_count();
  st.sung = vocal.syllables.size();
  for (std::size_t k = 1; k < vocal.syllables.size(); ++k) {
    const SungSyllable& a = vocal.syllables[k - 1];
    const SungSyllable& b = vocal.syllables[k];
    if (lyrics.language != Language::zh || a.section != b.section || a.line != b.line) continue;
    auto syllable = [&](const SungSyllable& s) -> const LyricSyllable& {
      return lyrics.sections[s.section].lines[s.line].words[s.word].syllables[s.syllable];
    };
    const int tones = tone_direction(syllable(a), syllable(b));
    if (tones == 0) continue;
    const bool agrees = (b.note.pitch - a.note.pitch) * tones >= 0;
    ++st.tone_pairs;
    st.tone_agreeing += agrees ? 1 : 0;
    if (!b.on_beat) continue;
    ++st.tone_pairs_on_beat;
    st.tone_agreeing_on_beat += agrees ? 1 : 0;
  }
  for (const SungSyllable& s : vocal.syllables) {
    st.lowest = std::min(st.lowest, s.note.pitch);
    st.highest = std::max(st.highest, s.note.pitch);
    if (!s.stressed) continue;
    ++st.stressed;
    st.stressed_on_beat += s.on_beat ? 1 : 0;
    st.stressed_on_strong += s.on_strong ? 1 : 0;
  }
  return st;
}

}  // namespace tonepoem
