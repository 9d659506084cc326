#include <algorithm>
#include <cmath>

#include "video/video.h"

namespace tonepoem {
namespace {

Rgb hsv_to_rgb(double h, double s, double v) {
  h = std::fmod(std::fmod(h, 360.0) + 360.0, 360.0) / 60.0;
  const double c = v * s;
  const double x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1));
  const double m = v - c;
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0:
      r = c, g = x;
      break;
    case 1:
      r = x, g = c;
      break;
    case 2:
      g = c, b = x;
      break;
    case 3:
      g = x, b = c;
      break;
    case 4:
      r = x, b = c;
      break;
    default:
      r = c, b = x;
      break;
  }
  return {r + m, g + m, b + m};
}

}  // namespace

// Hue runs from blue (230 deg, valence -1) through violet and magenta to amber (30 deg, valence
// +1), so pleasant is warm and unpleasant cool; arousal raises saturation and brightness; tension
// takes light away.
Rgb emotion_colour(const Emotion& emotion) {
  const double v = std::clamp(emotion.valence, -1.0, 1.0);
  const double a = std::clamp(emotion.arousal, -1.0, 1.0);
  const double t = std::clamp(emotion.tension, 0.0, 1.0);
  const double hue = 230.0 + (v + 1.0) * 0.5 * 160.0;
  const double sat = 0.30 + 0.50 * (a + 1.0) * 0.5;
  const double val = (0.38 + 0.40 * (a + 1.0) * 0.5) * (1.0 - 0.55 * t);
  return hsv_to_rgb(hue, sat, val);
}

}  // namespace tonepoem
