#include <algorithm>
#include <cmath>

#include "text/sentiment.h"

namespace tonepoem::text {

void Evidence::add_word(const WordInfo& info, double valence_scaled, double weight, bool negated) {
  ++hits;
  valence_sum += valence_scaled;
  const double magnitude = !std::isnan(info.alt_valence) ? std::fabs(info.alt_valence)
                           : info.has_valence()          ? std::fabs(info.valence)
                                                         : 0.0;
  intensity += weight * magnitude * (negated ? 0.5 : 1.0);
  if (info.has_arousal()) arousal_sum += weight * info.arousal * (negated ? 0.3 : 1.0);
  // Lists without tension (DUTIR, user lexicons) imply it from the categories.
  double tension = info.tension;
  if (tension == 0.0 && info.has(Category::fear)) tension = 0.6;
  if (tension == 0.0 && info.has(Category::anger)) tension = 0.35;
  tension_sum += weight * tension * (negated ? 0.3 : 1.0);
  auto add = [&](Category c, double w) { categories[static_cast<std::size_t>(c)] += w; };
  if (info.categories) {
    for (std::size_t c = 0; c < kCategoryCount; ++c) {
      if (!info.has(static_cast<Category>(c))) continue;
      const auto cat = static_cast<Category>(c);
      if (!negated) {
        add(cat, weight);
      } else if (cat == Category::joy || cat == Category::tenderness) {
        add(Category::sadness, 0.5 * weight);  // "not happy"
      } else {
        add(cat, 0.15 * weight);  // "not afraid": a trace of the word remains
      }
    }
  } else if (info.has_valence()) {
    // Valence-only words lean joy or sadness a little, so a plain positive sentence is not
    // "neutral"; direction after negation is that of the scaled valence.
    const double v = std::clamp(valence_scaled / 4.0, -1.0, 1.0);
    if (v > 0) add(Category::joy, 0.35 * weight * v);
    if (v < 0) add(Category::sadness, 0.4 * weight * -v);
  }
}

Emotion Evidence::finish() const {
  Emotion e;
  // VADER's punctuation emphasis: each '!' up to 4 adds 0.292; 2-3 '?' add 0.18 each, more 0.96.
  double s = valence_sum;
  double emphasis = 0.292 * std::min(exclamations, 4);
  if (questions > 1) emphasis += questions <= 3 ? 0.18 * questions : 0.96;
  if (s > 0) s += emphasis;
  if (s < 0) s -= emphasis;
  e.valence = s / std::sqrt(s * s + 15.0);  // VADER's normalisation, alpha = 15
  double a = arousal_sum + 0.35 * intensity + 0.15 * std::min(exclamations, 3) +
             0.2 * std::min(caps_words, 3) + (questions > 0 ? 0.05 : 0.0);
  e.arousal = std::tanh(a);
  const double t = tension_sum + 0.4 * std::max(0.0, -e.valence) * std::max(0.0, e.arousal) +
                   0.08 * std::min(questions, 2);
  e.tension = 1.0 - std::exp(-1.2 * t);
  for (std::size_t c = 0; c < kCategoryCount; ++c) e.categories[c] = 1.0 - std::exp(-categories[c]);
  e.confidence = 1.0 - std::exp(-0.7 * (hits + 0.5 * std::min(exclamations, 2)));
  return e.clamped();
}

}  // namespace tonepoem::text
