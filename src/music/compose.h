// Stage 4, compose: a CueSheet into a Score. Seeded and deterministic: the same cue sheet and seed
// give the same Score (and so the same MIDI bytes).
#pragma once

#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "music/score.h"
#include "plan/cue_sheet.h"

namespace tonepoem {

// The musical parameters one emotion maps to (the documented mapping; see README "Emotion to
// music"). Continuous: nearby emotions give nearby parameters.
struct MusicParams {
  int tonic = 0;              // pitch class of the key
  Mode mode = Mode::ionian;   // valence: lydian (brightest) .. locrian/phrygian (darkest)
  double tempo_bpm = 100;     // arousal: about 60 (calm) .. 160 (excited)
  int beats_per_bar = 4;
  double note_density = 1.0;  // melody notes per beat, arousal-driven
  int velocity = 80;          // loudness, arousal-driven
  double articulation = 0.9;  // fraction of the note value sounded (legato ~1, staccato ~0.5)
  int register_shift = 0;     // semitones added to the melody register, valence-driven
  int melody_program = 0, chord_program = 0, bass_program = 32;  // General MIDI programs
  bool percussion = false;    // high arousal adds drums
  double dissonance = 0.0;    // tension: added 7ths/9ths, pedal tones, chromatic passing notes
};
MusicParams map_emotion(const Emotion& emotion);

struct ComposeOptions {
  std::uint64_t seed = 1;     // overrides CueSheet::seed when non-zero
};

// Sections follow the cues; each is a whole number of bars of its own tempo and starts on a
// downbeat within one beat of its cue's start; the piece ends within one beat of duration_s.
Score compose(const CueSheet& cues, const ComposeOptions& options);

// A one-section cue sheet for `tonepoem compose --emotion V,A[,T] --duration S`.
CueSheet single_emotion_cues(const Emotion& emotion, double duration_s, std::uint64_t seed);

void to_json(nlohmann::json& j, const MusicParams& p);

}  // namespace tonepoem
