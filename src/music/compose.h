// Stage 4, compose: a CueSheet into a Score. Seeded and deterministic: the same cue sheet and seed
// give the same Score (and so the same MIDI bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "core/error.h"
#include "model/cue_sheet.h"
#include "model/score.h"

namespace tonepoem {

// How the chord instrument plays the harmony (chosen by arousal, tension and palette).
enum class Accompaniment { arpeggio, alberti, block, pulse, ostinato, tremolo };
std::string_view accompaniment_name(Accompaniment a);

// The musical parameters one emotion maps to (the documented mapping; see README "Emotion to
// music"). Continuous: nearby emotions give nearby parameters.
struct MusicParams {
  int tonic = 0;             // pitch class of the key
  Mode mode = Mode::ionian;  // valence: lydian (brightest) .. locrian/phrygian (darkest)
  double tempo_bpm = 100;    // arousal: about 60 (calm) .. 160 (excited)
  int beats_per_bar = 4;
  double note_density = 1.0;  // melody notes per beat, arousal-driven
  int velocity = 80;          // loudness, arousal-driven
  double articulation = 0.9;  // fraction of the note value sounded (legato ~1, staccato ~0.5)
  int register_shift = 0;     // semitones added to the melody register, valence-driven
  int melody_program = 0, chord_program = 0, bass_program = 32;  // General MIDI programs
  bool percussion = false;                                       // high arousal adds drums
  double dissonance = 0.0;  // tension: added 7ths/9ths, pedal tones, chromatic passing notes
  // Orchestration (layers, texture, palette), harmonic colour and melodic shape:
  int pad_program = -1;       // sustained layer (strings, low brass, choir); -1: none
  int doubling_program = -1;  // melody doubling at the octave (glockenspiel, ...); -1: none
  int counter_program = -1;   // tenor counterline of the full orchestra (horn, ...); -1: none
  bool timpani = false;       // timpani hits and rolls at phrase starts and ends
  Accompaniment accompaniment = Accompaniment::block;
  double orchestral_weight = 0.5;    // 0..1: layers playing and voices per chord, arousal-driven
  double pedal = 0.0;                // probability that a phrase sits on a tonic pedal (tension)
  double secondary_dominants = 0.0;  // probability per chord change of a V7/x before it (tension)
  double chromaticism = 0.0;         // probability of a chromatic passing note (tension)
  double contour = 0.0;              // melodic arc: -1 falling (sad) .. +1 rising (bright)
  std::string palette;               // name of the orchestration region ("serene", "fearful", ...)
};
MusicParams map_emotion(const Emotion& emotion);
// What compose uses for a cue: map_emotion(target + adjust's emotion offsets), then the tempo
// scale, velocity, register, density and articulation nudges of `adjust` (clamped to their
// documented ranges, cue_sheet.h). A default CueAdjust gives exactly map_emotion(target).
MusicParams adjusted_params(const Emotion& target, const CueAdjust& adjust);

struct ComposeOptions {
  std::uint64_t seed = 0;  // overrides CueSheet::seed when non-zero (0: use the sheet's seed)
  // The key the music comes from (a live engine continuing what it played): the first section's
  // key is then chosen near it, as every later section's is near its predecessor's. -1: none, the
  // first key is the emotion's own.
  int previous_tonic = -1;
  Mode previous_mode = Mode::ionian;
  // The orchestration the emotions are played with, a name from music_styles(); "" or "default":
  // each emotion's own orchestral palette. "": the cue sheet's own style (CueSheet::style).
  std::string style{};
  // The music this piece continues (a live engine starting it on a beat while the old music
  // plays): its tempo, into which the first bar eases when the first section's own tempo differs
  // by more than 6% and it has two bars or more (0: none), and its loudness (MIDI velocity), from
  // which the first section's dynamics move to their own over the first bar or two (-1: none).
  double previous_tempo_bpm = 0;
  int previous_velocity = -1;

  // Every problem: an unknown style (the message lists the accepted names), a negative or
  // non-finite previous tempo, a previous velocity outside -1..127.
  OptionProblems validate() const;
};

// What a hit point's kind plays (CueSheet::hits; the live engine's hit()), on its beat: an accent
// (a sforzando chord with bass, cymbal and kick: "accent", "climax", "rescue" and any other
// kind), a stinger (a rising run into a dissonant stab and tam-tam: "danger", "stinger"), a beat
// of silence before a soft re-entry ("death", "silence"), or the rhythm stopping under a loud
// chord held two beats ("cry", "revelation", "hold").
enum class HitKind { accent, stinger, silence, held };
HitKind hit_kind(std::string_view kind);

// A music style: one orchestration of the emotion mapping (General MIDI programs, textures and
// pace), applied to every section's MusicParams after adjusted_params.
struct MusicStyle {
  std::string_view name;
  std::string_view description;
};
// Every style, "default" first (the table in mapping.cpp).
const std::vector<MusicStyle>& music_styles();
// True for a name in music_styles(); "" counts as "default".
bool is_music_style(std::string_view name);
// What is wrong with a style name that is not one: names it and lists the accepted names (empty
// for a known style).
std::string style_problem(std::string_view name);
// Re-orchestrates `p` (as map_emotion or adjusted_params gave it) in `style`; "" and "default"
// leave it as it is. Throws Error(usage) listing the accepted names for an unknown style.
void apply_style(std::string_view style, MusicParams& p);

// Sections follow the cues; each is a whole number of bars of its own tempo and starts on a
// downbeat within one beat of its cue's start; the piece ends within one beat of duration_s.
// Throws InvalidOptions (an Error(usage)) when options.validate() finds a problem.
Score compose(const CueSheet& cues, const ComposeOptions& options);

// A one-section cue sheet for `tonepoem compose --emotion V,A[,T] --duration S`.
CueSheet single_emotion_cues(const Emotion& emotion, double duration_s, std::uint64_t seed);

void to_json(nlohmann::json& j, const MusicParams& p);

// Lowest and highest MIDI pitch an instrument plays well (General MIDI program).
std::pair<int, int> instrument_range(int program);

// A character's leitmotif: scale degrees relative to the tonic (0 = tonic, 7 = octave up), realized
// in each scene's own key, mode, register and rhythm. Same name and seed, same motif.
std::vector<int> leitmotif_degrees(std::string_view character, std::uint64_t seed);

}  // namespace tonepoem
