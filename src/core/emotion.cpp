#include "core/emotion.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace tonepoem {

std::string_view Emotion::dominant_name() const {
  auto it = std::max_element(categories.begin(), categories.end());
  if (*it <= 0.0) return "neutral";
  return kCategoryNames[static_cast<std::size_t>(it - categories.begin())];
}

Emotion Emotion::clamped() const {
  Emotion e = *this;
  e.valence = std::clamp(e.valence, -1.0, 1.0);
  e.arousal = std::clamp(e.arousal, -1.0, 1.0);
  e.tension = std::clamp(e.tension, 0.0, 1.0);
  for (double& w : e.categories) w = std::max(0.0, w);
  e.confidence = std::clamp(e.confidence, 0.0, 1.0);
  return e;
}

std::string_view quadrant_name(double valence, double arousal) {
  if (valence >= 0) return arousal >= 0 ? "happy" : "calm";
  return arousal >= 0 ? "tense" : "sad";
}

Emotion weighted_mean(const Emotion* items, const double* weights, std::size_t count) {
  Emotion sum;
  double total = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const double w = weights[i];
    if (w <= 0) continue;
    total += w;
    sum.valence += w * items[i].valence;
    sum.arousal += w * items[i].arousal;
    sum.tension += w * items[i].tension;
    sum.confidence += w * items[i].confidence;
    for (std::size_t c = 0; c < kCategoryCount; ++c)
      sum.categories[c] += w * items[i].categories[c];
  }
  if (total <= 0) return Emotion{};
  sum.valence /= total;
  sum.arousal /= total;
  sum.tension /= total;
  sum.confidence /= total;
  for (double& c : sum.categories) c /= total;
  return sum;
}

void to_json(nlohmann::json& j, const Emotion& e) {
  j = nlohmann::json{{"valence", e.valence},
                     {"arousal", e.arousal},
                     {"tension", e.tension},
                     {"confidence", e.confidence},
                     {"emotion", e.dominant_name()}};
  nlohmann::json cats = nlohmann::json::object();
  for (std::size_t c = 0; c < kCategoryCount; ++c)
    cats[std::string(kCategoryNames[c])] = e.categories[c];
  j["categories"] = cats;
}

void from_json(const nlohmann::json& j, Emotion& e) {
  e = Emotion{};
  e.valence = j.value("valence", 0.0);
  e.arousal = j.value("arousal", 0.0);
  e.tension = j.value("tension", 0.0);
  e.confidence = j.value("confidence", 0.0);
  if (auto it = j.find("categories"); it != j.end() && it->is_object()) {
    for (std::size_t c = 0; c < kCategoryCount; ++c)
      e.categories[c] = it->value(std::string(kCategoryNames[c]), 0.0);
  }
}

}  // namespace tonepoem
