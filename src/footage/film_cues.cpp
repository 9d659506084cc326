#include "footage/film_cues.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace tonepoem {
namespace {

// Hard cuts in high-arousal cues become accents (kind "cut"), clear of cue starts and other hits.
void add_cut_hits(CueSheet& sheet, const FootageAnalysis& film, const FitOptions& options) {
  for (const Cut& cut : film.cuts) {
    if (cut.kind != CutKind::hard) continue;
    const auto cue = std::find_if(sheet.cues.begin(), sheet.cues.end(), [&](const Cue& c) {
      return cut.time_s >= c.start_s && cut.time_s < c.end_s;
    });
    if (cue == sheet.cues.end() || cue->target.arousal < options.hit_arousal) continue;
    if (cut.time_s - cue->start_s < options.min_hit_gap_s) continue;
    const bool crowded = std::any_of(sheet.hits.begin(), sheet.hits.end(), [&](const HitPoint& h) {
      return std::abs(h.time_s - cut.time_s) < options.min_hit_gap_s;
    });
    if (crowded) continue;
    sheet.hits.push_back({cut.time_s, "cut", fmt::format("hard cut at frame {}", cut.frame)});
  }
  std::stable_sort(sheet.hits.begin(), sheet.hits.end(),
                   [](const HitPoint& a, const HitPoint& b) { return a.time_s < b.time_s; });
}

// The nearest cut to `t` within `reach` seconds, or null.
const Cut* nearest_cut(const FootageAnalysis& film, double t, double reach) {
  const Cut* best = nullptr;
  for (const Cut& cut : film.cuts)
    if (std::abs(cut.time_s - t) <= reach &&
        (!best || std::abs(cut.time_s - t) < std::abs(best->time_s - t)))
      best = &cut;
  return best;
}

// Cues from boundaries: cue c (c >= 1) starts at wanted[c - 1], moved onto a cut when one is
// within reach; a boundary that would leave a cue under min_cue_s is dropped and its cue merges
// into the one before (targets weighted by length).
std::vector<Cue> place_boundaries(std::vector<Cue> cues, const std::vector<double>& wanted,
                                  const FootageAnalysis& film, const FitOptions& options,
                                  std::vector<BoundaryPlacement>* placements) {
  const double end = film.duration_s;
  std::vector<Cue> out;
  out.push_back(cues.front());
  out.back().start_s = 0;
  double out_len = std::max(1e-9, cues.front().end_s - cues.front().start_s);
  for (std::size_t c = 1; c < cues.size(); ++c) {
    const double prev = out.back().start_s;
    const double want = wanted[c - 1];
    const double next = c < wanted.size() ? wanted[c] : end;
    const double reach =
        std::min(options.max_snap_s, options.snap_fraction * std::min(want - prev, next - want));
    BoundaryPlacement placement{want, want, false, -1};
    if (const Cut* cut = nearest_cut(film, want, std::max(0.0, reach))) {
      placement.placed_s = cut->time_s;
      placement.snapped = true;
      placement.cut_frame = cut->frame;
    }
    const double len = std::max(1e-9, cues[c].end_s - cues[c].start_s);
    if (placement.placed_s - prev < options.min_cue_s ||
        end - placement.placed_s < options.min_cue_s) {
      // Merge: the earlier cue takes this one's span and a share of its target.
      const Emotion parts[2] = {out.back().target, cues[c].target};
      const double weights[2] = {out_len, len};
      out.back().target = weighted_mean(parts, weights, 2);
      out_len += len;
      continue;
    }
    out.back().end_s = placement.placed_s;
    out.push_back(cues[c]);
    out.back().start_s = placement.placed_s;
    out_len = len;
    if (placements) placements->push_back(placement);
  }
  out.back().end_s = end;
  return out;
}

}  // namespace

CueSheet fit_cues_to_film(const CueSheet& planned, const std::vector<Caption>& spans,
                          const FootageAnalysis& film, const FitOptions& options,
                          std::vector<BoundaryPlacement>* placements) {
  if (spans.size() != planned.captions.size())
    throw Error(ExitCode::internal, fmt::format("fit_cues_to_film: {} spans for {} captions",
                                                spans.size(), planned.captions.size()));
  if (planned.cues.empty()) throw Error(ExitCode::internal, "fit_cues_to_film: no cues");
  CueSheet sheet = planned;
  sheet.duration_s = film.duration_s;
  const std::size_t n = spans.size();
  // The caption a planned time falls on (the first starting at or after it).
  const auto caption_at = [&](double t) {
    std::size_t i = 0;
    while (i < n && planned.captions[i].start_s < t - 1e-6) ++i;
    return i;
  };
  std::vector<double> wanted;
  for (std::size_t c = 1; c < planned.cues.size(); ++c) {
    const double at = planned.cues[c].start_s;
    const std::size_t i = caption_at(at);
    if (i == 0 || i >= n) {
      wanted.push_back(at);  // no dialogue on one side: the plan's own time
    } else {
      const double gap_start = spans[i - 1].end_s, gap_end = spans[i].start_s;
      wanted.push_back(gap_start < gap_end ? 0.5 * (gap_start + gap_end) : gap_end);
    }
  }
  if (placements) placements->clear();
  sheet.cues = place_boundaries(planned.cues, wanted, film, options, placements);

  for (std::size_t i = 0; i < n; ++i) {
    Caption& c = sheet.captions[i];
    c.start_s = std::clamp(spans[i].start_s, 0.0, film.duration_s);
    c.end_s = std::clamp(spans[i].end_s, c.start_s, film.duration_s);
    c.words.clear();  // the plan's word times were in its own scale
  }
  for (HitPoint& hit : sheet.hits) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i)
      if (std::abs(planned.captions[i].start_s - hit.time_s) <
          std::abs(planned.captions[best].start_s - hit.time_s))
        best = i;
    if (n > 0) hit.time_s = sheet.captions[best].start_s;
  }
  add_cut_hits(sheet, film, options);
  return sheet;
}

Emotion picture_emotion(const FootageAnalysis& film, double start_s, double end_s) {
  double weight = 0, brightness = 0, saturation = 0, motion = 0;
  for (const Shot& shot : film.shots) {
    const double overlap = std::min(end_s, shot.end_s) - std::max(start_s, shot.start_s);
    if (overlap <= 0) continue;
    weight += overlap;
    brightness += overlap * shot.brightness;
    saturation += overlap * shot.saturation;
    motion += overlap * shot.motion;
  }
  if (weight <= 0) return Emotion{};
  brightness /= weight;
  saturation /= weight;
  motion /= weight;
  int cuts = 0;
  for (const Cut& cut : film.cuts)
    if (cut.time_s > start_s && cut.time_s < end_s) ++cuts;
  const double cuts_per_minute = 60.0 * cuts / std::max(1.0, end_s - start_s);
  Emotion e = Emotion::at(1.8 * (brightness - 0.4) + 0.6 * (saturation - 0.2),
                          -0.5 + 0.025 * cuts_per_minute + 8.0 * motion + 0.3 * saturation,
                          0.15 + 0.6 * std::max(0.0, 0.35 - brightness) + 4.0 * motion);
  e.confidence = 0.3;
  return e.clamped();
}

CueSheet picture_cues(const FootageAnalysis& film, std::uint64_t seed, const FitOptions& options,
                      double cue_s, double min_cue_s) {
  const double duration = film.duration_s;
  // At least two scenes when the film is long enough: music that changes with the picture.
  std::size_t count =
      std::max<std::size_t>(duration >= 2 * min_cue_s ? 2 : 1, std::lround(duration / cue_s));
  while (count > 1 && duration / static_cast<double>(count) < min_cue_s) --count;
  CueSheet sheet;
  sheet.title = std::filesystem::path(film.file).stem().string();
  sheet.duration_s = duration;
  sheet.seed = seed;
  std::vector<Cue> cues(count);
  std::vector<double> wanted;
  for (std::size_t k = 0; k < count; ++k) {
    cues[k].name = fmt::format("Scene {}", k + 1);
    cues[k].start_s = duration * static_cast<double>(k) / static_cast<double>(count);
    cues[k].end_s = duration * static_cast<double>(k + 1) / static_cast<double>(count);
    if (k > 0) wanted.push_back(cues[k].start_s);
  }
  FitOptions fit = options;
  fit.min_cue_s = std::min(options.min_cue_s, min_cue_s);
  fit.max_snap_s = 0.45 * duration / static_cast<double>(count);  // any cut in the middle half
  fit.snap_fraction = 1.0;
  sheet.cues = place_boundaries(cues, wanted, film, fit, nullptr);
  for (Cue& cue : sheet.cues) cue.target = picture_emotion(film, cue.start_s, cue.end_s);
  add_cut_hits(sheet, film, options);
  return sheet;
}

std::vector<float> dialogue_ducking_gain(const std::vector<Caption>& spans, double duration_s,
                                         int sample_rate, double depth_db, double attack_s,
                                         double release_s) {
  const std::size_t frames =
      static_cast<std::size_t>(std::max(0.0, std::round(duration_s * sample_rate)));
  std::vector<float> amount(frames, 0.0f);  // 0: full level, 1: fully ducked
  const auto index = [&](double t) {
    return static_cast<std::size_t>(
        std::clamp(std::round(t * sample_rate), 0.0, static_cast<double>(frames)));
  };
  const auto raise = [&](std::size_t i, double a) {
    amount[i] = std::max(amount[i], static_cast<float>(a));
  };
  for (const Caption& span : spans) {
    const std::size_t a0 = index(span.start_s - attack_s), s0 = index(span.start_s),
                      s1 = index(span.end_s), r1 = index(span.end_s + release_s);
    for (std::size_t i = a0; i < s0; ++i)
      raise(i, 0.5 - 0.5 * std::cos(M_PI * static_cast<double>(i - a0) /
                                    static_cast<double>(std::max<std::size_t>(1, s0 - a0))));
    for (std::size_t i = s0; i < s1; ++i) amount[i] = 1.0f;
    for (std::size_t i = s1; i < r1; ++i)
      raise(i, 0.5 + 0.5 * std::cos(M_PI * static_cast<double>(i - s1) /
                                    static_cast<double>(std::max<std::size_t>(1, r1 - s1))));
  }
  // Between two lines closer than a release and an attack the music stays down.
  const std::size_t bridge = index(attack_s + release_s);
  std::size_t last_full = frames;
  for (std::size_t i = 0; i < frames; ++i) {
    if (amount[i] < 1.0f) continue;
    if (last_full < frames && i - last_full > 1 && i - last_full <= bridge)
      std::fill(amount.begin() + static_cast<std::ptrdiff_t>(last_full),
                amount.begin() + static_cast<std::ptrdiff_t>(i), 1.0f);
    last_full = i;
  }
  std::vector<float> gain(frames);
  for (std::size_t i = 0; i < frames; ++i)
    gain[i] = static_cast<float>(std::pow(10.0, -depth_db * amount[i] / 20.0));
  return gain;
}

}  // namespace tonepoem
