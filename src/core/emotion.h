// The emotion model shared by every stage, from text analysis to the music judge.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace tonepoem {

enum class Category : std::size_t { joy, tenderness, sadness, fear, anger, surprise, disgust };
inline constexpr std::size_t kCategoryCount = 7;
inline constexpr std::array<std::string_view, kCategoryCount> kCategoryNames = {
    "joy", "tenderness", "sadness", "fear", "anger", "surprise", "disgust"};

// valence in [-1, 1] (unpleasant .. pleasant), arousal in [-1, 1] (calm .. excited),
// tension in [0, 1] (threat, suspense). Category weights are >= 0 (not necessarily summing to 1).
// confidence in [0, 1] says how much evidence stands behind the numbers (0: none, a neutral guess).
struct Emotion {
  double valence = 0.0;
  double arousal = 0.0;
  double tension = 0.0;
  std::array<double, kCategoryCount> categories{};
  double confidence = 0.0;

  // A point of the valence-arousal(-tension) plane, no categories, confidence 0.
  static Emotion at(double valence, double arousal, double tension = 0.0) {
    Emotion e;
    e.valence = valence;
    e.arousal = arousal;
    e.tension = tension;
    return e;
  }

  double& weight(Category c) { return categories[static_cast<std::size_t>(c)]; }
  double weight(Category c) const { return categories[static_cast<std::size_t>(c)]; }
  // Name of the strongest category, or "neutral" when every weight is 0.
  std::string_view dominant_name() const;
  // Clamps every field into its documented range.
  Emotion clamped() const;
};

// Russell quadrant names: "happy" (+v +a), "calm" (+v -a), "sad" (-v -a), "angry/fearful" (-v +a).
std::string_view quadrant_name(double valence, double arousal);

// Weighted mean of emotions (weights >= 0); an empty input or zero total weight gives Emotion{}.
Emotion weighted_mean(const Emotion* items, const double* weights, std::size_t count);

void to_json(nlohmann::json& j, const Emotion& e);
void from_json(const nlohmann::json& j, Emotion& e);

}  // namespace tonepoem
