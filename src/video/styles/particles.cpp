// particles: a drifting field of sparks over an emotion gradient. Their speed follows each
// cue's arousal, their colour the emotion, their size the spectrum and the beats; they twinkle.
// Placed from the time alone, so any frame can be drawn on its own.
#include <algorithm>
#include <cmath>

#include "core/rng.h"
#include "video/style.h"

namespace tonepoem::video {
namespace {

class ParticlesStyle final : public VideoStyle {
 public:
  explicit ParticlesStyle(const StyleSetup& setup) : timeline_(setup.timeline), g_(setup.geometry) {
    Rng rng(timeline_.seed ^ 0x7061727469636c65ull);  // "particle"
    const int count = std::clamp(g_.width * g_.height / 6000, 60, 260);
    for (int i = 0; i < count; ++i) {
      Particle p;
      p.x = rng.uniform();
      p.y = rng.uniform();
      const double angle = rng.uniform(0, 2 * kPi);
      const double speed = rng.uniform(0.5, 1.5);
      p.dx = std::cos(angle) * speed * 0.35;
      p.dy = std::sin(angle) * speed * 0.35 - speed;  // mostly rising, like sparks or bubbles
      p.radius = rng.uniform(0.003, 0.011);
      p.phase = rng.uniform(0, 2 * kPi);
      particles_.push_back(p);
    }
    double travel = 0;
    for (std::size_t k = 0; k < timeline_.sections.size(); ++k) {
      travel_at_cue_.push_back(travel);
      const double a = std::clamp(timeline_.sections[k].emotion.arousal, -1.0, 1.0);
      travel += (timeline_.sections[k].end_s - timeline_.sections[k].start_s) *
                (0.02 + 0.10 * (a + 1) / 2);
    }
  }

  // Painted straight with Cairo: the particles move everywhere, so frames are drawn whole.
  void draw_music(cairo_t* cr, const MusicFrame& f, Canvas&) override {
    const double t = f.t;
    const double travel = travel_at(t);
    const Rgb tint = light_tint(f.look.colour);
    const double energy = std::clamp(static_cast<double>(f.rms) * 4.0, 0.0, 1.0);
    const double w = g_.width, h = g_.height, unit = g_.unit;
    for (std::size_t i = 0; i < particles_.size(); ++i) {
      const Particle& p = particles_[i];
      const double level = f.levels.empty() ? 0.0 : f.levels[i % f.levels.size()];
      const double x = std::fmod(std::fmod(p.x * w + p.dx * travel * unit, w) + w, w);
      const double y = std::fmod(std::fmod(p.y * h + p.dy * travel * unit, h) + h, h);
      const double r = unit * p.radius * (0.7 + 0.9 * level + 0.4 * f.pulse);
      const double twinkle = 0.5 + 0.5 * std::sin(p.phase + t * 1.7);
      cairo_arc(cr, x, y, r, 0, 2 * kPi);
      cairo_set_source_rgba(cr, tint.r, tint.g, tint.b,
                            std::min(1.0, 0.2 + 0.3 * twinkle + 0.35 * level + 0.25 * energy));
      cairo_fill(cr);
    }
  }

  bool draws_whole() const override { return true; }

 private:
  struct Particle {
    double x = 0, y = 0;    // start, as fractions of the frame
    double dx = 0, dy = 0;  // direction (unit vector) times a per-particle speed factor
    double radius = 1;      // in units of the frame's short side
    double phase = 0;       // twinkle phase
  };

  // Distance (in units of the frame's short side) a particle of speed 1 has travelled by time t:
  // the integral of a speed that follows each cue's arousal, so motion is calm or restless with
  // the story and a frame's picture depends only on its time.
  double travel_at(double t) const {
    if (timeline_.sections.empty()) return t * 0.07;
    std::size_t k = 0;
    while (k + 1 < timeline_.sections.size() && timeline_.sections[k + 1].start_s <= t) ++k;
    const double a = std::clamp(timeline_.sections[k].emotion.arousal, -1.0, 1.0);
    return travel_at_cue_[k] + (t - timeline_.sections[k].start_s) * (0.02 + 0.10 * (a + 1) / 2);
  }

  const Timeline& timeline_;
  FrameGeometry g_;
  std::vector<Particle> particles_;
  std::vector<double> travel_at_cue_;  // travel_at() at each cue's start
};

}  // namespace

std::unique_ptr<VideoStyle> make_particles_style(const StyleSetup& setup) {
  return std::make_unique<ParticlesStyle>(setup);
}

}  // namespace tonepoem::video
