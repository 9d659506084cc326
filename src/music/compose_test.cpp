// Properties a musician would check in the composer's output.
#include "music/compose.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "music/metrics.h"
#include "music/midi.h"

namespace tonepoem {
namespace {

Emotion emo(double v, double a, double t = 0) {
  return Emotion::at(v, a, t);
}

CueSheet story_sheet(std::uint64_t seed = 11) {
  CueSheet c;
  c.title = "test story";
  c.duration_s = 95.3;
  c.seed = seed;
  c.cues = {
      Cue{"Morning", 0.0, 17.2, emo(0.6, -0.5), {"Mei"}, {}},
      Cue{"The storm", 17.2, 41.9, emo(-0.7, 0.7, 0.9), {"Wolf"}, {}},
      Cue{"Loss", 41.9, 63.0, emo(-0.6, -0.6, 0.2), {}, {}},
      Cue{"Home again", 63.0, 82.5, emo(0.8, 0.6), {"Mei"}, {}},
      Cue{"Night", 82.5, 95.3, emo(0.4, -0.3), {"Mei", "Wolf"}, {}},  // gentle: 3/4
  };
  return c;
}

const Track* track(const Score& s, std::string_view role) {
  for (const Track& t : s.tracks)
    if (t.role == role) return &t;
  return nullptr;
}

const ChordEvent* chord_at(const Score& s, std::int64_t tick) {
  const ChordEvent* found = nullptr;
  for (const ChordEvent& c : s.chords)
    if (c.tick <= tick) found = &c;
  return found;
}

const ScoreSection& section_at(const Score& s, std::int64_t tick) {
  for (const ScoreSection& sec : s.sections)
    if (tick >= sec.start_tick && tick < sec.end_tick) return sec;
  return s.sections.back();
}

double notes_per_second(const Score& s) {
  std::size_t n = 0;
  for (const Track& t : s.tracks) n += t.notes.size();
  return static_cast<double>(n) / s.duration_s();
}

TEST(MapEmotion, ArousalDrivesTempoDensityLoudnessAndArticulation) {
  const MusicParams calm = map_emotion(emo(0.2, -0.8));
  const MusicParams excited = map_emotion(emo(0.2, 0.8));
  EXPECT_GT(excited.tempo_bpm, calm.tempo_bpm + 50);
  EXPECT_GE(calm.tempo_bpm, 56);
  EXPECT_LE(excited.tempo_bpm, 166);
  EXPECT_GT(excited.note_density, calm.note_density);
  EXPECT_GT(excited.velocity, calm.velocity);
  EXPECT_LT(excited.articulation, calm.articulation);
  EXPECT_TRUE(excited.percussion);
  EXPECT_FALSE(calm.percussion);
  EXPECT_GT(excited.orchestral_weight, calm.orchestral_weight);
}

TEST(MapEmotion, ValenceDrivesModeFromBrightToDark) {
  int last = -1;
  for (double v = 1.0; v >= -1.0; v -= 0.1) {
    const int mode = static_cast<int>(map_emotion(emo(v, 0)).mode);
    EXPECT_GE(mode, last) << "mode must darken monotonically as valence falls (v=" << v << ")";
    last = mode;
  }
  EXPECT_FALSE(is_minor_mode(map_emotion(emo(0.6, 0.3)).mode));
  EXPECT_TRUE(is_minor_mode(map_emotion(emo(-0.6, 0.3)).mode));
  EXPECT_GT(map_emotion(emo(0.8, 0)).register_shift, map_emotion(emo(-0.8, 0)).register_shift);
}

// Cue targets spread only about +-0.3 around neutral: v -0.2 must already be plainly minor, lower,
// darker and (when calm) slower than v +0.2, whatever the tension (the family follows the sign).
TEST(MapEmotion, MildNegativeValenceIsAlreadyMinorAndDarker) {
  for (double t : {0.0, 0.3, 0.6}) {
    for (double a : {-0.4, 0.0, 0.4}) {
      const MusicParams dark = map_emotion(emo(-0.2, a, t));
      const MusicParams bright = map_emotion(emo(0.2, a, t));
      EXPECT_EQ(dark.mode, Mode::aeolian) << "a " << a << " t " << t;
      EXPECT_FALSE(is_minor_mode(bright.mode)) << "a " << a << " t " << t;
      EXPECT_LE(dark.register_shift, bright.register_shift - 3);
      EXPECT_LT(dark.tempo_bpm, bright.tempo_bpm);
    }
  }
  EXPECT_GT(map_emotion(emo(-0.4, 0.6, 0.3)).dissonance, map_emotion(emo(0.4, 0.6, 0.3)).dissonance)
      << "tense: dark and aroused is more dissonant";
  EXPECT_LT(map_emotion(emo(-0.4, -0.4)).tempo_bpm, map_emotion(emo(0.0, -0.4)).tempo_bpm - 10)
      << "sad is slower";
}

TEST(MapEmotion, IsContinuous) {
  for (double a = -1; a < 1; a += 0.05) {
    const MusicParams p = map_emotion(emo(0.1, a, 0.3));
    const MusicParams q = map_emotion(emo(0.1, a + 0.05, 0.3));
    EXPECT_LT(std::abs(p.tempo_bpm - q.tempo_bpm), 4.0);
    EXPECT_LT(std::abs(p.note_density - q.note_density), 0.12);
    EXPECT_LE(std::abs(p.velocity - q.velocity), 3);
  }
}

TEST(MapEmotion, TensionAddsDissonanceAndPedals) {
  const MusicParams relaxed = map_emotion(emo(-0.3, 0.2, 0.0));
  const MusicParams tense = map_emotion(emo(-0.3, 0.2, 0.9));
  EXPECT_GT(tense.dissonance, relaxed.dissonance);
  EXPECT_GT(tense.pedal, relaxed.pedal);
  EXPECT_GT(tense.secondary_dominants, relaxed.secondary_dominants);
}

TEST(MapEmotion, PalettesByRegion) {
  EXPECT_EQ(map_emotion(emo(0.6, -0.6)).melody_program, 73);      // flute, calm and bright
  EXPECT_EQ(map_emotion(emo(-0.6, -0.6)).melody_program, 42);     // cello, sad
  EXPECT_EQ(map_emotion(emo(-0.6, 0.5, 0.8)).chord_program, 44);  // tremolo strings, fear
  EXPECT_TRUE(map_emotion(emo(-0.6, 0.5, 0.8)).timpani);
  EXPECT_EQ(map_emotion(emo(0.7, 0.7)).doubling_program, 9);  // glockenspiel, joy
}

// The eighth part: the full orchestra gains a tenor counterline (horn when bright, trombone or
// cello when dark) that moves by small steps, enters with the second phrase, and is silent under
// the final chord; thin orchestrations have none.
TEST(Compose, TheFullOrchestraGainsACounterlineThatMovesBySmallSteps) {
  EXPECT_EQ(map_emotion(emo(0.6, 0.8)).counter_program, 60);
  EXPECT_EQ(map_emotion(emo(-0.6, 0.8, 0.8)).counter_program, 57);
  EXPECT_EQ(map_emotion(emo(0.3, -0.6)).counter_program, -1);
  const Score wild = compose(single_emotion_cues(emo(0.6, 0.8), 40, 3), {});
  const Track* counter = track(wild, "counter");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->program, 60);
  EXPECT_EQ(wild.tracks.size(), 8u) << "every part plays in the full orchestra";
  ASSERT_GE(counter->notes.size(), 6u);
  const ScoreSection& section = wild.sections.front();
  const std::int64_t second_phrase = section.start_tick + 4 * wild.ppq * section.beats_per_bar;
  std::size_t steps = 0;
  int widest = 0;
  for (std::size_t i = 0; i < counter->notes.size(); ++i) {
    const Note& n = counter->notes[i];
    EXPECT_GE(n.pitch, 48);
    EXPECT_LE(n.pitch, 67);
    if (i > 0) {
      const int leap = std::abs(n.pitch - counter->notes[i - 1].pitch);
      widest = std::max(widest, leap);
      steps += leap <= 2 ? 1 : 0;
    }
  }
  EXPECT_GE(counter->notes.front().tick, second_phrase) << "the first phrase is without it";
  EXPECT_LE(widest, 7);
  EXPECT_GE(steps * 2, counter->notes.size() - 1) << "mostly steps and held tones";
  const std::int64_t last_bar = wild.end_tick - wild.ppq * section.beats_per_bar;
  for (const Note& n : counter->notes) EXPECT_LT(n.tick, last_bar) << "under the final chord";
  const Score calm = compose(single_emotion_cues(emo(0.3, -0.6), 40, 3), {});
  EXPECT_EQ(track(calm, "counter"), nullptr);
}

TEST(Compose, HighArousalIsFasterAndDenserThanLowArousal) {
  const Score calm = compose(single_emotion_cues(emo(0.3, -0.8), 40, 3), {});
  const Score wild = compose(single_emotion_cues(emo(0.3, 0.8), 40, 3), {});
  EXPECT_GT(wild.sections[0].tempo_bpm, calm.sections[0].tempo_bpm * 1.5);
  EXPECT_GT(notes_per_second(wild), notes_per_second(calm) * 1.5);
  // Melody notes per beat, too.
  const auto melody_rate = [](const Score& s) {
    return static_cast<double>(track(s, "melody")->notes.size()) / s.beat_times().size();
  };
  EXPECT_GT(melody_rate(wild), melody_rate(calm));
}

TEST(Compose, NegativeValenceUsesADarkerMode) {
  for (double a : {-0.6, 0.0, 0.6}) {
    const Score bright = compose(single_emotion_cues(emo(0.7, a), 30, 5), {});
    const Score dark = compose(single_emotion_cues(emo(-0.7, a), 30, 5), {});
    EXPECT_FALSE(is_minor_mode(bright.sections[0].mode));
    EXPECT_TRUE(is_minor_mode(dark.sections[0].mode));
    EXPECT_GT(static_cast<int>(dark.sections[0].mode), static_cast<int>(bright.sections[0].mode));
  }
}

TEST(Compose, SectionsStartOnDownbeatsWithinOneBeatOfThePlan) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const CueSheet sheet = story_sheet(seed);
    const Score s = compose(sheet, {});
    ASSERT_EQ(s.sections.size(), sheet.cues.size());
    ASSERT_EQ(s.markers.size(), sheet.cues.size());
    const std::vector<double> downbeats = s.downbeat_times();
    for (std::size_t i = 0; i < s.sections.size(); ++i) {
      const ScoreSection& sec = s.sections[i];
      const double beat = 60.0 / sec.tempo_bpm;
      EXPECT_NEAR(sec.start_s, sheet.cues[i].start_s, beat) << sec.name;
      EXPECT_EQ(s.markers[i].tick, sec.start_tick);
      EXPECT_EQ(s.markers[i].text, sheet.cues[i].name);
      const bool on_downbeat = std::any_of(downbeats.begin(), downbeats.end(), [&](double t) {
        return std::abs(t - sec.start_s) < 1e-6;
      });
      EXPECT_TRUE(on_downbeat) << sec.name << " starts at " << sec.start_s;
      EXPECT_EQ((sec.end_tick - sec.start_tick) % (sec.beats_per_bar * s.ppq), 0) << "whole bars";
    }
    const double last_beat = 60.0 / s.tempo.back().bpm;
    EXPECT_NEAR(s.duration_s(), sheet.duration_s, last_beat);
  }
}

TEST(Compose, EndsWithinOneBeatForManyDurations) {
  for (double d : {4.0, 9.5, 31.0, 77.7, 180.0, 600.0}) {
    for (double a : {-0.9, 0.0, 0.9}) {
      const Score s = compose(single_emotion_cues(emo(0.2, a), d, 9), {});
      EXPECT_NEAR(s.duration_s(), d, 60.0 / s.tempo.back().bpm) << "d=" << d << " a=" << a;
      EXPECT_EQ(s.end_tick % (s.sections.back().beats_per_bar * s.ppq), 0);
    }
  }
}

TEST(Compose, FinalRitardandoAndHeldChord) {
  const Score s = compose(single_emotion_cues(emo(0.5, 0.5), 40, 4), {});
  const std::int64_t bar = s.sections.back().beats_per_bar * s.ppq;
  std::vector<double> last_bars;
  for (const TempoEvent& t : s.tempo)
    if (t.tick >= s.end_tick - 2 * bar) last_bars.push_back(t.bpm);
  ASSERT_GE(last_bars.size(), 3u) << "tempo events inside the last bars";
  for (std::size_t i = 1; i < last_bars.size(); ++i) EXPECT_LT(last_bars[i], last_bars[i - 1]);
  EXPECT_LT(last_bars.back(), s.sections.back().tempo_bpm * 0.8);
  // The last bar: the melody holds one note on the tonic, the bass holds the tonic.
  const Track* melody = track(s, "melody");
  const Note& last = melody->notes.back();
  EXPECT_EQ(last.tick, s.end_tick - bar);
  EXPECT_EQ((last.pitch - s.sections.back().tonic) % 12, 0);
  EXPECT_GE(last.duration, bar * 9 / 10);
  const Note& bass = track(s, "bass")->notes.back();
  EXPECT_EQ((bass.pitch - s.sections.back().tonic) % 12, 0);
  EXPECT_EQ(bass.tick, s.end_tick - bar);
}

TEST(Compose, MelodyStaysInsideItsInstrumentRange) {
  for (std::uint64_t seed : {1u, 7u, 21u}) {
    const Score s = compose(story_sheet(seed), {});
    for (const Track& t : s.tracks) {
      if (t.channel == 9) continue;
      for (const Note& n : t.notes) {
        int program = t.program;
        for (const auto& [tick, p] : t.program_changes)
          if (tick <= n.tick) program = p;
        const auto [lo, hi] = instrument_range(program);
        EXPECT_GE(n.pitch, lo) << t.name << " " << gm_program_name(program);
        EXPECT_LE(n.pitch, hi) << t.name << " " << gm_program_name(program);
      }
    }
  }
}

TEST(Compose, StrongBeatMelodyNotesAreMostlyChordTones) {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    const Score s = compose(story_sheet(seed), {});
    int strong = 0, chord_tones = 0;
    for (const Note& n : track(s, "melody")->notes) {
      const ScoreSection& sec = section_at(s, n.tick);
      const std::int64_t in_bar = (n.tick - sec.start_tick) % (sec.beats_per_bar * s.ppq);
      const bool is_strong = in_bar == 0 || (sec.beats_per_bar == 4 && in_bar == 2 * s.ppq);
      if (!is_strong) continue;
      ++strong;
      const ChordEvent* c = chord_at(s, n.tick);
      ASSERT_NE(c, nullptr);
      if (std::find(c->pitch_classes.begin(), c->pitch_classes.end(), n.pitch % 12) !=
          c->pitch_classes.end())
        ++chord_tones;
    }
    ASSERT_GT(strong, 20);
    EXPECT_GE(chord_tones, strong * 7 / 10) << chord_tones << " of " << strong;
  }
}

TEST(Compose, ChordTrackPlaysThePlannedHarmony) {
  const Score s = compose(story_sheet(), {});
  const Track* chords = track(s, "chords");
  ASSERT_NE(chords, nullptr);
  for (const Note& n : chords->notes) {
    const ChordEvent* c = chord_at(s, n.tick);
    ASSERT_NE(c, nullptr);
    EXPECT_NE(std::find(c->pitch_classes.begin(), c->pitch_classes.end(), n.pitch % 12),
              c->pitch_classes.end())
        << "chord note " << n.pitch << " at " << n.tick << " outside " << c->roman;
  }
}

TEST(Compose, MelodyMovesMostlyByStep) {
  const Score s = compose(story_sheet(), {});
  const auto& notes = track(s, "melody")->notes;
  int small = 0, steps = 0;
  for (std::size_t i = 1; i < notes.size(); ++i) {
    const int d = std::abs(notes[i].pitch - notes[i - 1].pitch);
    small += d <= 5 ? 1 : 0;
    steps += d <= 2 ? 1 : 0;
  }
  const auto intervals = static_cast<int>(notes.size()) - 1;
  EXPECT_GE(small, intervals * 8 / 10) << "intervals up to a fourth";
  EXPECT_GE(steps, intervals * 4 / 10) << "steps of a second or unison";
}

// The harmony's cadences: every phrase (at most 10 bars) ends with one, closed cadences land on
// the tonic, half cadences on the dominant, and the piece ends on an authentic cadence.
TEST(Compose, ACadenceEndsEachPhrase) {
  for (std::uint64_t seed : {1u, 5u, 9u}) {
    const Score s = compose(story_sheet(seed), {});
    std::int64_t last_cadence_end = 0;
    for (std::size_t i = 0; i < s.chords.size(); ++i) {
      const ChordEvent& c = s.chords[i];
      if (c.cadence.empty()) continue;
      const ScoreSection& sec = section_at(s, c.tick);
      const std::int64_t bar = sec.beats_per_bar * s.ppq;
      const std::int64_t end = c.tick + c.duration;
      EXPECT_EQ((end - sec.start_tick) % bar, 0) << "cadence ends on a barline";
      EXPECT_LE(end - last_cadence_end, 10 * bar) << "phrase too long before " << c.roman;
      last_cadence_end = end;
      if (c.cadence == "authentic" || c.cadence == "plagal" || c.cadence == "phrygian") {
        EXPECT_EQ(c.root, sec.tonic) << c.roman;
        ASSERT_GT(i, 0u);
        EXPECT_NE(s.chords[i - 1].root, sec.tonic) << "a cadence needs an approach chord";
      } else if (c.cadence == "half") {
        EXPECT_NE(c.root, sec.tonic) << c.roman;
      } else if (c.cadence == "modulating") {
        const ScoreSection& next = section_at(s, end);
        EXPECT_TRUE(c.root == (next.tonic + 7) % 12 || c.root == (next.tonic + 1) % 12) << c.roman;
      }
    }
    // Every section ends on a cadence.
    for (const ScoreSection& sec : s.sections) {
      const ChordEvent* c = chord_at(s, sec.end_tick - 1);
      ASSERT_NE(c, nullptr);
      EXPECT_FALSE(c->cadence.empty()) << sec.name;
    }
    EXPECT_EQ(s.chords.back().cadence,
              s.sections.back().mode >= Mode::phrygian ? "phrygian" : "authentic");
    EXPECT_EQ(s.chords.back().root, s.sections.back().tonic);
  }
}

// Scale-degree sequence of a melody in a section's key (-99 for notes outside the scale).
std::vector<int> degrees_in(const std::vector<Note>& notes, const ScoreSection& sec) {
  std::vector<int> out;
  const auto& iv = mode_intervals(sec.mode);
  for (const Note& n : notes) {
    if (n.tick < sec.start_tick || n.tick >= sec.end_tick) continue;
    const int rel = n.pitch - sec.tonic;
    const int octave = rel >= 0 ? rel / 12 : -((-rel + 11) / 12);
    const int pc = rel - 12 * octave;
    const auto it = std::find(iv.begin(), iv.end(), pc);
    out.push_back(it == iv.end() ? -99 : octave * 7 + static_cast<int>(it - iv.begin()));
  }
  return out;
}

// True when the interval pattern of `motif` (in scale steps) occurs in `degrees`, at any
// transposition.
bool contains_motif(const std::vector<int>& degrees, const std::vector<int>& motif) {
  if (degrees.size() < motif.size()) return false;
  for (std::size_t i = 0; i + motif.size() <= degrees.size(); ++i) {
    bool match = true;
    for (std::size_t k = 1; k < motif.size() && match; ++k)
      match = degrees[i + k] != -99 && degrees[i + k - 1] != -99 &&
              degrees[i + k] - degrees[i + k - 1] == motif[k] - motif[k - 1];
    if (match) return true;
  }
  return false;
}

TEST(Compose, CharacterLeitmotifReturnsInTheirScenes) {
  for (std::uint64_t seed : {17u, 18u, 19u, 20u, 21u})
    for (std::size_t i = 0; i < 5; ++i) {
      const CueSheet sheet = story_sheet(seed);
      const Score s = compose(sheet, {});
      if (sheet.cues[i].characters.empty()) continue;
      const std::string& who = sheet.cues[i].characters.front();
      EXPECT_TRUE(contains_motif(degrees_in(track(s, "melody")->notes, s.sections[i]),
                                 leitmotif_degrees(who, seed)))
          << who << " in " << sheet.cues[i].name << " seed " << seed;
    }
}

TEST(Compose, LeitmotifIsStableAndDistinct) {
  const CueSheet sheet = story_sheet(17);
  const Score s = compose(sheet, {});
  const Track* melody = track(s, "melody");
  const std::vector<int> mei = leitmotif_degrees("Mei", 17);
  const std::vector<int> wolf = leitmotif_degrees("Wolf", 17);
  ASSERT_GE(mei.size(), 4u);
  EXPECT_NE(mei, wolf);
  EXPECT_EQ(mei, leitmotif_degrees("Mei", 17)) << "stable for a name and seed";
  for (std::size_t i = 0; i < sheet.cues.size(); ++i) {
    const auto degrees = degrees_in(melody->notes, s.sections[i]);
    for (const std::string& who : sheet.cues[i].characters) {
      if (who != sheet.cues[i].characters.front()) continue;  // the scene's main character
      EXPECT_TRUE(contains_motif(degrees, leitmotif_degrees(who, 17)))
          << who << " in " << sheet.cues[i].name;
    }
  }
  // Transposition-invariant across scenes in different keys: Mei's motif as pitch intervals.
  std::set<int> mei_keys;
  for (std::size_t i = 0; i < sheet.cues.size(); ++i)
    if (!sheet.cues[i].characters.empty() && sheet.cues[i].characters.front() == "Mei")
      mei_keys.insert(s.sections[i].tonic * 10 + static_cast<int>(s.sections[i].mode));
  EXPECT_GE(mei_keys.size(), 1u);
}

TEST(Compose, SameSeedSameScoreDifferentSeedDifferentScore) {
  const Score a = compose(story_sheet(5), {});
  const Score b = compose(story_sheet(5), {});
  const Score c = compose(story_sheet(6), {});
  ASSERT_EQ(a.tracks.size(), b.tracks.size());
  for (std::size_t i = 0; i < a.tracks.size(); ++i) {
    ASSERT_EQ(a.tracks[i].notes.size(), b.tracks[i].notes.size());
    for (std::size_t k = 0; k < a.tracks[i].notes.size(); ++k) {
      EXPECT_EQ(a.tracks[i].notes[k].tick, b.tracks[i].notes[k].tick);
      EXPECT_EQ(a.tracks[i].notes[k].pitch, b.tracks[i].notes[k].pitch);
    }
  }
  bool differs = a.tracks.size() != c.tracks.size();
  for (std::size_t i = 0; !differs && i < a.tracks.size(); ++i) {
    const auto& x = a.tracks[i].notes;
    const auto& y = c.tracks[i].notes;
    differs = x.size() != y.size() ||
              !std::equal(x.begin(), x.end(), y.begin(), [](const Note& p, const Note& q) {
                return p.tick == q.tick && p.pitch == q.pitch && p.velocity == q.velocity;
              });
  }
  EXPECT_TRUE(differs);
  // ComposeOptions::seed overrides the sheet's seed.
  ComposeOptions o;
  o.seed = 6;
  EXPECT_EQ(compose(story_sheet(5), o).tracks[0].notes.size(), c.tracks[0].notes.size());
}

TEST(Compose, SectionsCarryTheirParameters) {
  const CueSheet sheet = story_sheet();
  const Score s = compose(sheet, {});
  for (std::size_t i = 0; i < s.sections.size(); ++i) {
    const ScoreSection& sec = s.sections[i];
    EXPECT_EQ(sec.name, sheet.cues[i].name);
    EXPECT_FALSE(sec.instruments.empty());
    EXPECT_DOUBLE_EQ(sec.target.valence, sheet.cues[i].target.valence);
    EXPECT_LT(sec.start_tick, sec.end_tick);
    EXPECT_NEAR(sec.end_s, sheet.cues[i].end_s, 60.0 / 50.0);
  }
  EXPECT_EQ(s.sections.back().beats_per_bar, 3) << "gentle and pleasant: a waltz meter";
  EXPECT_EQ(s.meters.back().numerator, 3);
  // The key map and meter map start at 0 and ascend.
  ASSERT_FALSE(s.keys.empty());
  EXPECT_EQ(s.keys.front().tick, 0);
  EXPECT_EQ(s.meters.front().tick, 0);
  EXPECT_EQ(s.tempo.front().tick, 0);
  // Drums play only in the excited sections.
  const Track* drums = track(s, "drums");
  ASSERT_NE(drums, nullptr);
  for (const Note& n : drums->notes) EXPECT_GT(section_at(s, n.tick).target.arousal, 0.35);
}

TEST(Compose, EmptyCueSheetGivesOneNeutralSection) {
  CueSheet c;
  c.duration_s = 12;
  const Score s = compose(c, {});
  EXPECT_EQ(s.sections.size(), 1u);
  EXPECT_NEAR(s.duration_s(), 12, 60.0 / s.tempo.back().bpm);
}

TEST(Compose, RejectsAZeroDuration) {
  CueSheet c;
  c.duration_s = 0;
  EXPECT_THROW(compose(c, {}), Error);
}

TEST(SingleEmotionCues, OneCueSpanningTheDuration) {
  const CueSheet c = single_emotion_cues(emo(0.4, -0.2, 0.1), 42, 8);
  ASSERT_EQ(c.cues.size(), 1u);
  EXPECT_EQ(c.duration_s, 42);
  EXPECT_EQ(c.seed, 8u);
  EXPECT_EQ(c.cues[0].start_s, 0);
  EXPECT_EQ(c.cues[0].end_s, 42);
  EXPECT_DOUBLE_EQ(c.cues[0].target.arousal, -0.2);
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

TEST(Compose, SurvivesOddCueSheets) {
  CueSheet c;
  c.duration_s = 30;
  c.seed = 3;
  Emotion nan_emotion;
  nan_emotion.valence = std::nan("");
  nan_emotion.arousal = 5;  // out of range
  c.cues = {Cue{"tiny first", 0, 0.3, emo(0.5, 0.5), {"A"}, {}},
            Cue{"nan", 0.3, 10, nan_emotion, {}, {}},
            Cue{"tiny", 10, 10.4, emo(-0.5, 0.5), {"B"}, {}},
            Cue{"backwards", 9, 20, emo(-0.5, -0.5), {}, {}},
            Cue{"after the end", 40, 50, emo(0.5, -0.5), {}, {}}};
  const Score s = compose(c, {});
  EXPECT_NEAR(s.duration_s(), 30, 60.0 / s.tempo.back().bpm);
  ASSERT_FALSE(s.sections.empty());
  for (std::size_t i = 1; i < s.sections.size(); ++i)
    EXPECT_EQ(s.sections[i].start_tick, s.sections[i - 1].end_tick);
  for (const ScoreSection& sec : s.sections) {
    EXPECT_TRUE(std::isfinite(sec.tempo_bpm));
    EXPECT_GT(sec.end_s - sec.start_s, 1.0) << sec.name;
  }
  for (const Track& t : s.tracks)
    for (const Note& n : t.notes) {
      EXPECT_GE(n.pitch, 0);
      EXPECT_LE(n.pitch, 127);
      EXPECT_GT(n.duration, 0);
    }
}

TEST(Compose, ManyShortScenesStillLandOnTime) {
  CueSheet c;
  c.duration_s = 120;
  c.seed = 8;
  for (int i = 0; i < 40; ++i) {
    const double v = std::sin(i * 0.7), a = std::cos(i * 1.3);
    c.cues.push_back(
        Cue{"scene " + std::to_string(i), i * 3.0, (i + 1) * 3.0, emo(v, a, i % 3 * 0.4), {}, {}});
  }
  const Score s = compose(c, {});
  ASSERT_EQ(s.sections.size(), 40u);
  for (std::size_t i = 0; i < s.sections.size(); ++i)
    EXPECT_NEAR(s.sections[i].start_s, c.cues[i].start_s, 60.0 / s.sections[i].tempo_bpm);
  EXPECT_NEAR(s.duration_s(), 120, 60.0 / s.tempo.back().bpm);
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

// Sorted pitches of a track's notes that start at `tick`.
std::vector<int> onset_set(const Track& t, std::int64_t tick) {
  std::vector<int> out;
  for (const Note& n : t.notes)
    if (n.tick == tick) out.push_back(n.pitch);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Compose, SustainedVoicesMoveSmoothly) {
  const Score s = compose(story_sheet(12), {});
  const Track* pad = track(s, "pad");
  ASSERT_NE(pad, nullptr);
  double moved = 0;
  int voices = 0, leaps = 0;
  std::vector<int> prev;
  for (const ChordEvent& c : s.chords) {
    const std::vector<int> now = onset_set(*pad, c.tick);
    if (now.size() == prev.size() && !now.empty()) {
      for (std::size_t i = 0; i < now.size(); ++i) {
        const int d = std::abs(now[i] - prev[i]);
        moved += d;
        leaps += d > 7 ? 1 : 0;
        ++voices;
      }
    }
    prev = now;
  }
  ASSERT_GT(voices, 30);
  EXPECT_LT(moved / voices, 2.5) << "mean semitones per voice per chord change";
  EXPECT_LT(leaps, voices / 20) << "voices leaping more than a fifth";
}

TEST(Compose, SectionsJoinByPivotChordsAndTempoRamps) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const CueSheet sheet = story_sheet(seed);
    const Score s = compose(sheet, {});
    int modulations = 0;
    for (std::size_t i = 0; i + 1 < s.sections.size(); ++i) {
      const ScoreSection& a = s.sections[i];
      const ScoreSection& b = s.sections[i + 1];
      const std::int64_t bar = a.beats_per_bar * s.ppq;
      // Tempo ramp: inside the last bar, the tempo moves toward the next section's tempo.
      if (std::abs(b.tempo_bpm / a.tempo_bpm - 1) > 0.1) {
        std::vector<double> ramp;
        for (const TempoEvent& t : s.tempo)
          if (t.tick > a.end_tick - bar && t.tick < a.end_tick) ramp.push_back(t.bpm);
        ASSERT_FALSE(ramp.empty()) << a.name << " -> " << b.name;
        for (double bpm : ramp) {
          EXPECT_GT(bpm, std::min(a.tempo_bpm, b.tempo_bpm) - 1e-6);
          EXPECT_LT(bpm, std::max(a.tempo_bpm, b.tempo_bpm) + 1e-6);
        }
      }
      // Key change: the last chord is the new key's dominant, and the one before it belongs to
      // both keys (the pivot).
      if (a.tonic == b.tonic && a.mode == b.mode) continue;
      ++modulations;
      std::vector<const ChordEvent*> in_a;
      for (const ChordEvent& c : s.chords)
        if (c.tick >= a.start_tick && c.tick < a.end_tick) in_a.push_back(&c);
      ASSERT_GE(in_a.size(), 2u);
      EXPECT_EQ(in_a.back()->cadence, "modulating");
      const ChordEvent& pivot = *in_a[in_a.size() - 2];
      auto in_scale = [](int pc, const ScoreSection& sec) {
        for (int iv : mode_intervals(sec.mode))
          if ((sec.tonic + iv) % 12 == pc) return true;
        return false;
      };
      for (int pc : pivot.pitch_classes) {
        EXPECT_TRUE(in_scale(pc, a)) << pivot.roman << " in " << a.name;
        EXPECT_TRUE(in_scale(pc, b)) << pivot.roman << " in " << b.name;
      }
    }
    EXPECT_GE(modulations, 1);
  }
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

TEST(Compose, EachPhraseHasOneHighPoint) {
  int phrases = 0, single = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const Score s = compose(story_sheet(seed), {});
    const Track* melody = track(s, "melody");
    std::int64_t start = 0;
    for (const ChordEvent& c : s.chords) {
      if (c.cadence.empty()) continue;
      const std::int64_t end = c.tick + c.duration;
      int top = -1, count = 0;
      for (const Note& n : melody->notes) {
        if (n.tick < start || n.tick >= end) continue;
        if (n.pitch > top) {
          top = n.pitch;
          count = 1;
        } else if (n.pitch == top) {
          ++count;
        }
      }
      ++phrases;
      single += count == 1 ? 1 : 0;
      start = end;
    }
  }
  ASSERT_GT(phrases, 20);
  EXPECT_GE(single, phrases * 85 / 100) << single << " of " << phrases;
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

TEST(MapEmotion, NamedCategoryTipsTheOrchestration) {
  Emotion fear = emo(-0.65, 0.68, 0.65);
  Emotion anger = fear;
  fear.weight(Category::fear) = 1.0;
  anger.weight(Category::anger) = 1.0;
  EXPECT_EQ(map_emotion(fear).palette, "fearful");
  EXPECT_EQ(map_emotion(anger).palette, "angry");
}

}  // namespace
}  // namespace tonepoem

namespace tonepoem {
namespace {

TEST(Compose, DynamicsSwellIntoALouderSection) {
  CueSheet c;
  c.duration_s = 40;
  c.seed = 2;
  c.cues = {Cue{"quiet", 0, 20, emo(0.3, -0.7), {}, {}},
            Cue{"loud", 20, 40, emo(0.6, 0.8), {}, {}}};
  const Score s = compose(c, {});
  const Track* bass = track(s, "bass");
  ASSERT_NE(bass, nullptr);
  const ScoreSection& quiet = s.sections[0];
  const std::int64_t bar = quiet.beats_per_bar * s.ppq;
  double early = 0, late = 0;
  int n_early = 0, n_late = 0;
  for (const Note& n : bass->notes) {
    if (n.tick < quiet.start_tick + 2 * bar) {
      early += n.velocity;
      ++n_early;
    } else if (n.tick >= quiet.end_tick - bar && n.tick < quiet.end_tick) {
      late += n.velocity;
      ++n_late;
    }
  }
  ASSERT_GT(n_early, 0);
  ASSERT_GT(n_late, 0);
  EXPECT_GT(late / n_late, early / n_early + 5) << "a crescendo into the loud section";
}

// ------------------------------------------------------------ inside a cue, and hit points

// Captions every `every` seconds over [0, duration), arousal from `arousal(t)` at each middle.
template <class F>
std::vector<Caption> lines(double duration, double every, F arousal) {
  std::vector<Caption> out;
  for (double t = 0; t + every <= duration + 1e-9; t += every) {
    Caption c;
    c.text = "line";
    c.start_s = t;
    c.end_s = t + every;
    c.emotion = emo(0.2, arousal(t + every / 2));
    out.push_back(c);
  }
  return out;
}

// Velocity x pitched-and-drum onsets per second in [t0, t1), and the roles that play there.
std::pair<double, std::set<std::string>> loudness_density(const Score& s, double t0, double t1) {
  const std::int64_t a = s.tick_at(t0), b = s.tick_at(t1);
  double vel = 0;
  int n = 0;
  std::set<std::string> roles;
  for (const Track& t : s.tracks)
    for (const Note& x : t.notes)
      if (x.tick >= a && x.tick < b) {
        vel += x.velocity;
        ++n;
        roles.insert(t.role);
      }
  return {n == 0 ? 0.0 : vel / n * n / (t1 - t0), roles};
}

TEST(Compose, InsideACueTheMusicFollowsItsLines) {
  // One 90 s cue: calm lines, then a 30 s burst of excited ones, then calm again.
  CueSheet c = single_emotion_cues(emo(0.2, 0.3), 90, 5);
  c.captions = lines(90, 5, [](double t) { return t >= 30 && t < 60 ? 0.8 : -0.4; });
  const Score s = compose(c, {});
  const auto [quiet, quiet_roles] = loudness_density(s, 10, 25);
  const auto [peak, peak_roles] = loudness_density(s, 38, 53);
  EXPECT_GT(peak, 2.0 * quiet) << "the excited lines are louder and busier";
  EXPECT_EQ(quiet_roles, std::set<std::string>{"melody"}) << "a quiet line thins to the melody";
  EXPECT_GE(peak_roles.size(), 4u) << "a peak brings in the parts";
  EXPECT_TRUE(peak_roles.count("bass") && peak_roles.count("chords"));
  // The same cue without captions stays flat (the curve comes from the lines, not from nowhere).
  c.captions.clear();
  const Score flat = compose(c, {});
  EXPECT_LT(
      std::abs(loudness_density(flat, 38, 53).first / loudness_density(flat, 10, 25).first - 1),
      0.5);
}

TEST(Compose, AnArcMovesTheMusicInsideACueInPlaceOfTheLines) {
  // A film's shots: the lines are even, the arc (picture and sound) rises from 30 s to 60 s.
  CueSheet c = single_emotion_cues(emo(0.2, 0.3), 90, 5);
  c.captions = lines(90, 5, [](double) { return 0.2; });
  for (double t = 2.5; t < 90; t += 5) c.arc.push_back({t, 0.2, t >= 30 && t < 60 ? 0.8 : -0.4});
  const Score s = compose(c, {});
  const double quiet = loudness_density(s, 10, 25).first, peak = loudness_density(s, 38, 53).first;
  EXPECT_GT(peak, 2.0 * quiet) << "the rising arc is louder and busier";
  // Without the arc the even lines leave it flat.
  c.arc.clear();
  const Score flat = compose(c, {});
  EXPECT_LT(
      std::abs(loudness_density(flat, 38, 53).first / loudness_density(flat, 10, 25).first - 1),
      0.5);
}

TEST(Compose, ALongCueDevelopsInsteadOfLooping) {
  const CueSheet c = single_emotion_cues(emo(0.4, 0.5), 240, 3);
  const Score s = compose(c, {});
  const auto rep = bar_repetition(s);
  for (const auto& [role, share] : rep)
    std::printf("  bar repetition %s %.2f\n", role.c_str(), share);
  EXPECT_LT(rep.at("melody"), 0.5);
  EXPECT_LT(rep.at("bass"), 0.7);
  EXPECT_LT(rep.at("drums"), 0.9);
  EXPECT_LT(rep.at("chords"), 0.8);
}

TEST(Compose, ALongCueModulatesAtItsPeakAndComesHome) {
  for (const double valence : {0.4, -0.5}) {
    // One 4-minute cue whose lines peak from 120 s to 160 s.
    CueSheet c = single_emotion_cues(emo(valence, 0.4), 240, 7);
    c.captions = lines(240, 5, [](double t) { return t >= 120 && t < 160 ? 0.8 : 0.1; });
    const Score s = compose(c, {});
    ASSERT_EQ(s.sections.size(), 1u);
    const ScoreSection& home = s.sections.front();
    ASSERT_EQ(s.keys.size(), 3u) << "home, away, home";
    const KeyEvent& away = s.keys[1];
    EXPECT_EQ(away.tonic, (home.tonic + 5) % 12) << "the subdominant key";
    EXPECT_EQ(away.mode, home.mode) << "the mode family stays the plan's";
    EXPECT_EQ(s.keys[2].tonic, home.tonic);
    EXPECT_EQ(s.keys[2].mode, home.mode);
    // The excursion holds the peak, and the piece is home well before its end.
    EXPECT_LE(s.seconds_at(away.tick), 160.0);
    EXPECT_GT(s.seconds_at(s.keys[2].tick), 120.0);
    EXPECT_LT(s.seconds_at(s.keys[2].tick), 220.0);
    // The notes follow the key: the pitch class the new key has and home lacks sounds inside
    // the excursion (in every pitched part together), far more often than after it.
    std::vector<Note> pitched;
    for (const Track& t : s.tracks)
      if (t.channel != 9) pitched.insert(pitched.end(), t.notes.begin(), t.notes.end());
    int added = -1;
    for (int iv : mode_intervals(away.mode)) {
      const int pc = (away.tonic + iv) % 12;
      bool at_home = false;
      for (int h : mode_intervals(home.mode)) at_home |= (home.tonic + h) % 12 == pc;
      if (!at_home) added = pc;
    }
    ASSERT_GE(added, 0);
    auto share_of = [&](std::int64_t from, std::int64_t to) {
      int hit = 0, all = 0;
      for (const Note& n : pitched)
        if (n.tick >= from && n.tick < to) ++all, hit += n.pitch % 12 == added;
      return all == 0 ? 0.0 : static_cast<double>(hit) / all;
    };
    const std::int64_t back = s.keys[2].tick, bar = home.beats_per_bar * s.ppq;
    EXPECT_GT(share_of(away.tick + bar, back - bar), 0.03);
    EXPECT_GT(share_of(away.tick + bar, back - bar), 3 * share_of(back + bar, s.end_tick));
    // Each change is prepared: the chord before it is a modulating cadence's dominant.
    for (const KeyEvent* k : {&s.keys[1], &s.keys[2]}) {
      const ChordEvent* before = chord_at(s, k->tick - 1);
      ASSERT_NE(before, nullptr);
      EXPECT_EQ(before->cadence, "modulating") << "at tick " << k->tick;
      EXPECT_EQ(before->root, (k->tonic + 7) % 12) << before->roman;
    }
    // Every part stays inside its instrument's range through the excursion.
    for (const Track& t : s.tracks) {
      if (t.channel == 9) continue;
      const auto [lo, hi] = instrument_range(t.program);
      for (const Note& n : t.notes) {
        EXPECT_GE(n.pitch, lo) << t.name;
        EXPECT_LE(n.pitch, hi) << t.name;
      }
    }
  }
  // A cue under 32 bars stays in its key.
  const Score short_cue = compose(single_emotion_cues(emo(0.4, 0.4), 40, 7), {});
  EXPECT_EQ(short_cue.keys.size(), 1u);
}

TEST(Compose, HitPointsGetAnEventWithinOneBeat) {
  CueSheet c = story_sheet();
  const std::vector<std::string> kinds = {"climax", "death",  "cry",   "revelation",
                                          "danger", "rescue", "accent"};
  for (std::size_t k = 0; k < kinds.size(); ++k)
    c.hits.push_back(HitPoint{5.3 + 12.7 * static_cast<double>(k), kinds[k], "a line"});
  const Score s = compose(c, {});
  ASSERT_EQ(s.hits.size(), c.hits.size());
  const auto beats = s.beat_times();
  for (std::size_t k = 0; k < c.hits.size(); ++k) {
    const HitPoint& h = c.hits[k];
    const Marker& m = s.hits[k];
    EXPECT_EQ(m.text, "hit: " + h.kind);
    // Within one beat: the beat length where the hit falls.
    const auto after = std::upper_bound(beats.begin(), beats.end(), h.time_s);
    ASSERT_TRUE(after != beats.begin() && after != beats.end());
    const double beat_s = *after - *(after - 1);
    EXPECT_LE(std::abs(s.seconds_at(m.tick) - h.time_s), beat_s) << h.kind;
    // An accent (a loud onset on the beat) or a silence starting there.
    int loud = 0, sounding = 0;
    for (const Track& t : s.tracks)
      for (const Note& n : t.notes) {
        if (n.tick == m.tick && n.velocity >= 90) ++loud;
        if (n.tick < m.tick + s.ppq && n.tick + n.duration > m.tick) ++sounding;
      }
    if (h.kind == "death")
      EXPECT_EQ(sounding, 0) << "a drop to silence at the death";
    else
      EXPECT_GE(loud, 3) << h.kind << ": an accented chord on the beat";
  }
  // Without hits nothing is marked, and the music is the same elsewhere.
  EXPECT_TRUE(compose(story_sheet(), {}).hits.empty());
}

}  // namespace
}  // namespace tonepoem

// ------------------------------------------------------------------------------- music styles

namespace tonepoem {
namespace {

// The story, with a hit of each kind, composed in `style`.
Score in_style(std::string_view style, std::uint64_t seed = 11) {
  CueSheet c = story_sheet(seed);
  for (const char* kind : {"climax", "cry", "danger"})
    c.hits.push_back(HitPoint{12.0 + 25.0 * static_cast<double>(c.hits.size()), kind, "a line"});
  ComposeOptions o;
  o.style = std::string(style);
  return compose(c, o);
}

// Every program a track plays (its first and each change).
std::set<int> programs_of(const Track& t) {
  std::set<int> out = {t.program};
  for (const auto& [tick, program] : t.program_changes) out.insert(program);
  return out;
}

TEST(MusicStyles, TheTableStartsWithDefaultAndKnowsItsNames) {
  const std::vector<MusicStyle>& styles = music_styles();
  ASSERT_GE(styles.size(), 5u);
  EXPECT_EQ(styles.front().name, "default");
  for (const MusicStyle& st : styles) {
    EXPECT_TRUE(is_music_style(st.name)) << st.name;
    EXPECT_FALSE(st.description.empty()) << st.name;
  }
  EXPECT_TRUE(is_music_style(""));
  EXPECT_FALSE(is_music_style("baroque"));
  EXPECT_TRUE(style_problem("piano").empty());
}

TEST(MusicStyles, EachStylePlaysItsOwnInstruments) {
  // role -> the programs the style allows there; a role not listed must not appear.
  const std::map<std::string, std::map<std::string, std::set<int>>> kAllowed = {
      {"piano", {{"melody", {0}}, {"chords", {0}}, {"bass", {0}}}},
      {"strings",
       {{"melody", {40}},
        {"chords", {48}},
        {"bass", {42, 43}},
        {"pad", {49}},
        {"timpani", {47}},
        {"counter", {42}}}},
      {"chiptune", {{"melody", {80}}, {"chords", {81}}, {"bass", {38}}, {"drums", {0}}}},
      {"ambient", {{"melody", {11}}, {"chords", {89}}, {"bass", {32}}, {"pad", {95}}}},
  };
  for (const auto& [style, roles] : kAllowed) {
    const Score s = in_style(style);
    std::set<std::string> seen;
    for (const Track& t : s.tracks) {
      seen.insert(t.role);
      const auto it = roles.find(t.role);
      ASSERT_TRUE(it != roles.end()) << style << " has a " << t.role << " track";
      for (int program : programs_of(t))
        EXPECT_TRUE(it->second.count(program)) << style << " " << t.role << " plays " << program;
      EXPECT_FALSE(t.notes.empty());
    }
    for (const char* role : {"melody", "chords", "bass"})
      EXPECT_TRUE(seen.count(role)) << style << " lacks its " << role;
  }
  // The story's aroused scenes keep their drums in chiptune; the calm pads stay in ambient.
  EXPECT_NE(track(in_style("chiptune"), "drums"), nullptr);
  EXPECT_NE(track(in_style("ambient"), "pad"), nullptr);
}

TEST(MusicStyles, PianoIsOnePianoWithoutPercussion) {
  const Score s = in_style("piano");
  for (const Track& t : s.tracks) {
    EXPECT_EQ(programs_of(t), std::set<int>{0}) << t.role;
    EXPECT_NE(t.channel, 9) << t.role;
  }
  for (const ScoreSection& sec : s.sections)
    EXPECT_EQ(sec.instruments, std::vector<std::string>{"Acoustic Grand Piano"}) << sec.name;
}

TEST(MusicStyles, AmbientIsSlowerAndSparser) {
  const CueSheet c = single_emotion_cues(emo(0.4, 0.4), 60, 5);
  ComposeOptions ambient;
  ambient.style = "ambient";
  const Score a = compose(c, ambient);
  const Score d = compose(c, {});
  EXPECT_LT(a.sections[0].tempo_bpm, d.sections[0].tempo_bpm * 0.9);
  auto melody_rate = [](const Score& s) {
    return static_cast<double>(track(s, "melody")->notes.size()) / s.duration_s();
  };
  EXPECT_LT(melody_rate(a), melody_rate(d) * 0.8);
  EXPECT_EQ(track(a, "drums"), nullptr);
  EXPECT_NE(track(d, "drums"), nullptr);
}

TEST(MusicStyles, AnUnknownStyleIsAUsageErrorListingTheNames) {
  ComposeOptions o;
  o.style = "baroque";
  try {
    compose(story_sheet(), o);
    FAIL() << "an unknown style must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    const std::string what = e.what();
    EXPECT_NE(what.find("baroque"), std::string::npos) << what;
    for (const MusicStyle& st : music_styles())
      EXPECT_NE(what.find(std::string(st.name)), std::string::npos) << what;
  }
  MusicParams p;
  EXPECT_THROW(apply_style("baroque", p), Error);
}

TEST(MusicStyles, SameStyleAndSeedSameMusicAndDefaultIsNoStyle) {
  for (const MusicStyle& st : music_styles())
    EXPECT_TRUE(write_midi(in_style(st.name, 3)) == write_midi(in_style(st.name, 3))) << st.name;
  const std::string plain = write_midi(in_style("", 3));
  EXPECT_TRUE(write_midi(in_style("default", 3)) == plain);
  EXPECT_TRUE(write_midi(in_style("piano", 3)) != plain);
}

// A cue sheet carries its style (cues.json's "style"): composed in it unless the options name
// another, and read back from its JSON.
TEST(MusicStyles, TheCueSheetsStyleIsUsedUnlessTheOptionsNameOne) {
  CueSheet c = single_emotion_cues(emo(0.4, 0.5), 20, 3);
  ComposeOptions piano, strings;
  piano.style = "piano";
  strings.style = "strings";
  const std::string as_piano = write_midi(compose(c, piano));
  const std::string as_strings = write_midi(compose(c, strings));
  c.style = "piano";
  EXPECT_TRUE(write_midi(compose(c, {})) == as_piano);
  EXPECT_TRUE(write_midi(compose(c, strings)) == as_strings);
  EXPECT_TRUE(as_piano != as_strings);
  const nlohmann::json j = c;
  EXPECT_EQ(j.at("style"), "piano");
  EXPECT_EQ(j.get<CueSheet>().style, "piano");
  c.style.clear();
  EXPECT_FALSE(nlohmann::json(c).contains("style"));  // unchanged cues.json for the default
}

// ------------------------------------------------------------ entering from other music

double tempo_at(const Score& s, std::int64_t tick) {
  double bpm = s.tempo.front().bpm;
  for (const TempoEvent& t : s.tempo)
    if (t.tick <= tick) bpm = t.bpm;
  return bpm;
}

// Mean velocity of the pitched notes starting in bar `bar` (0-based) of the first section.
double bar_loudness(const Score& s, int bar) {
  const std::int64_t len = s.sections[0].beats_per_bar * s.ppq;
  double sum = 0;
  int n = 0;
  for (const Track& t : s.tracks) {
    if (t.channel == 9) continue;
    for (const Note& note : t.notes)
      if (note.tick >= bar * len && note.tick < (bar + 1) * len) sum += note.velocity, ++n;
  }
  return n > 0 ? sum / n : 0;
}

TEST(Compose, EntersFromThePreviousTempo) {
  const CueSheet c = single_emotion_cues(emo(0.4, 0.5), 30, 6);  // about 140 bpm
  ComposeOptions from_slow;
  from_slow.previous_tempo_bpm = 60;
  const Score s = compose(c, from_slow);
  const Score plain = compose(c, {});
  const ScoreSection& sec = s.sections[0];
  ASSERT_GT(sec.tempo_bpm, 120);
  const std::int64_t bar = sec.beats_per_bar * s.ppq;
  std::vector<double> first_bar;
  for (const TempoEvent& t : s.tempo)
    if (t.tick < bar) first_bar.push_back(t.bpm);
  ASSERT_GE(first_bar.size(), 2u);
  EXPECT_LT(first_bar.front(), sec.tempo_bpm * 0.75) << "starts well below its own tempo";
  for (std::size_t i = 1; i < first_bar.size(); ++i) EXPECT_GT(first_bar[i], first_bar[i - 1]);
  EXPECT_NEAR(tempo_at(s, bar), sec.tempo_bpm, 0.5) << "at its own tempo by the second bar";
  EXPECT_NEAR(tempo_at(plain, 0), plain.sections[0].tempo_bpm, 0.5);
  // The piece still ends on time.
  EXPECT_NEAR(s.duration_s(), 30, 60.0 / sec.tempo_bpm);
  // A previous tempo near its own changes nothing.
  ComposeOptions near = from_slow;
  near.previous_tempo_bpm = map_emotion(emo(0.4, 0.5)).tempo_bpm * 1.03;
  EXPECT_TRUE(write_midi(compose(c, near)) == write_midi(plain));
}

TEST(Compose, EntersFromThePreviousLoudness) {
  const CueSheet c = single_emotion_cues(emo(0.6, 0.8), 30, 6);  // loud
  ComposeOptions from_quiet;
  from_quiet.previous_velocity = 40;
  const Score s = compose(c, from_quiet);
  const Score plain = compose(c, {});
  EXPECT_LT(bar_loudness(s, 0), bar_loudness(s, 2) - 15);
  EXPECT_LT(bar_loudness(s, 0), bar_loudness(plain, 0) - 15);
  EXPECT_NEAR(bar_loudness(s, 2), bar_loudness(plain, 2), 1e-9) << "from bar 3 on, its own level";
  EXPECT_NEAR(s.duration_s(), 30, 60.0 / s.sections[0].tempo_bpm);
}

TEST(ComposeOptions, ValidateListsEveryProblem) {
  EXPECT_TRUE(ComposeOptions{}.validate().empty());
  ComposeOptions o;
  o.style = "polka";
  o.previous_tempo_bpm = -5;
  o.previous_velocity = 200;
  EXPECT_EQ(o.validate().size(), 3u);
  EXPECT_THROW(compose(story_sheet(), o), InvalidOptions);
}

// A cue without music is a gap: no note starts in it, none from before sounds into it, and the
// music comes back in the next cue. cues.json keeps the choice.
TEST(Compose, ACueWithoutMusicIsAGap) {
  CueSheet sheet = story_sheet();
  sheet.cues[2].music = false;  // "Loss", 41.9 .. 63.0 s
  const Score score = compose(sheet, {.seed = 3});
  std::size_t before = 0, after = 0;
  for (const Track& t : score.tracks)
    for (const Note& n : t.notes) {
      const double start = score.seconds_at(n.tick), end = score.seconds_at(n.tick + n.duration);
      EXPECT_FALSE(start >= 41.9 - 0.01 && start < 63.0 - 0.01) << t.name << " note at " << start;
      if (start < 41.9) {
        EXPECT_LE(end, 41.9 + 0.01) << t.name << " note from " << start << " to " << end;
        ++before;
      }
      after += start >= 63.0 - 0.01 ? 1 : 0;
    }
  EXPECT_GT(before, 50u);
  EXPECT_GT(after, 50u);
  // The other cues are composed as without the gap.
  const Score whole = compose(story_sheet(), {.seed = 3});
  ASSERT_EQ(whole.tracks.size(), score.tracks.size());
  for (std::size_t i = 0; i < whole.tracks.size(); ++i) {
    std::size_t late = 0, late_whole = 0;
    for (const Note& n : score.tracks[i].notes) late += score.seconds_at(n.tick) >= 63.0 ? 1 : 0;
    for (const Note& n : whole.tracks[i].notes)
      late_whole += whole.seconds_at(n.tick) >= 63.0 ? 1 : 0;
    EXPECT_EQ(late, late_whole) << whole.tracks[i].name;
  }

  nlohmann::json j = sheet;
  EXPECT_EQ(j["cues"][2]["music"], false);
  EXPECT_FALSE(j["cues"][1].contains("music")) << "written only for a gap";
  const CueSheet back = j.get<CueSheet>();
  EXPECT_FALSE(back.cues[2].music);
  EXPECT_TRUE(back.cues[1].music);
  j["cues"][2]["music"] = "no";
  EXPECT_THROW(j.get<CueSheet>(), Error);
}

}  // namespace
}  // namespace tonepoem
