// Stage 5, judge: estimate the emotion that a Score carries, from musical features, so the
// pipeline can check the music against the plan.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "music/score.h"

namespace tonepoem {

struct MusicFeatures {
  double tempo_bpm = 0;
  double notes_per_second = 0;
  double mean_velocity = 0;      // 0..127
  double velocity_spread = 0;    // standard deviation
  double major_minor = 0;        // Krumhansl key-profile strength: > 0 major-like, < 0 minor-like
  double mean_pitch = 0;         // MIDI number
  double pitch_range = 0;        // semitones
  double dissonance = 0;         // share of simultaneous intervals that are dissonant, 0..1
  double articulation = 0;       // mean sounded fraction of inter-onset interval, 0..1+
  double percussion_share = 0;   // share of notes on channel 9
};

// Features of the notes sounding in [start_tick, end_tick).
MusicFeatures extract_features(const Score& score, std::int64_t start_tick, std::int64_t end_tick);

// Emotion estimated from features (valence, arousal, tension; confidence reflects note count).
Emotion judge_features(const MusicFeatures& features);

// One estimate per Score section.
std::vector<Emotion> judge_sections(const Score& score);

void to_json(nlohmann::json& j, const MusicFeatures& f);

}  // namespace tonepoem
