#include "footage/film_cues.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "audio/audio.h"
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

void blend_picture_into_cues(CueSheet& cues, const FootageAnalysis& film, double weight) {
  if (!(weight > 0)) return;
  const double w = std::min(1.0, weight);
  for (Cue& cue : cues.cues) {
    const Emotion picture = picture_emotion(film, cue.start_s, cue.end_s);
    Emotion& t = cue.target;  // its categories and confidence stay the words'
    t.valence = (1 - w) * t.valence + w * picture.valence;
    t.arousal = (1 - w) * t.arousal + w * picture.arousal;
    t.tension = (1 - w) * t.tension + w * picture.tension;
    t = t.clamped();
  }
}

void blend_sound_into_cues(CueSheet& cues, const AudioBuffer& sound, double weight) {
  blend_sound_into_cues(cues, BufferSource(sound), weight);
}

void blend_sound_into_cues(CueSheet& cues, const PcmSource& sound, double weight,
                           const AudioFeatures* whole) {
  if (!(weight > 0) || sound.frames() == 0) return;
  const AudioFeatures film = whole ? *whole : extract_audio_features(sound, 0, sound.frames());
  if (film.rms_db < -70) return;  // silence says nothing
  const double w = std::min(1.0, weight);
  // A cue's frames as audio_slice() cuts them.
  const auto frame_at = [&](double t) {
    return std::min(sound.frames(),
                    static_cast<std::size_t>(std::max(0.0, t) * sound.sample_rate()));
  };
  for (Cue& cue : cues.cues) {
    const std::size_t first = frame_at(cue.start_s), last = std::max(first, frame_at(cue.end_s));
    const AudioFeatures here = extract_audio_features(sound, first, last - first);
    const double heard = std::clamp(
        (here.rms_db - film.rms_db) / 12.0 + (here.onset_rate - film.onset_rate) / 4.0, -1.0, 1.0);
    cue.target.arousal = std::clamp(cue.target.arousal + w * heard, -1.0, 1.0);
  }
}

std::vector<ArcPoint> shot_arc(const FootageAnalysis& film, const std::vector<Caption>& lines,
                               const PcmSource* sound, const FitOptions& options,
                               const AudioFeatures* whole_sound, double step_s, double window_s) {
  std::vector<ArcPoint> arc;
  const double duration = film.duration_s;
  AudioFeatures whole;
  bool heard = false;
  if (sound && sound->frames() > 0 && options.sound_weight > 0) {
    whole = whole_sound ? *whole_sound : extract_audio_features(*sound, 0, sound->frames());
    heard = whole.rms_db >= -70;  // silence says nothing
  }
  const double pw = std::clamp(options.picture_weight, 0.0, 1.0);
  const double sw = std::clamp(options.sound_weight, 0.0, 1.0);
  for (const Shot& shot : film.shots) {
    const double length = shot.end_s - shot.start_s;
    if (!(length > 0)) continue;
    const int points = std::max(1, static_cast<int>(std::floor(length / step_s)));
    const Emotion look = picture_emotion(film, shot.start_s, shot.end_s);
    for (int k = 0; k < points; ++k) {
      const double a = shot.start_s + length * k / points,
                   b = shot.start_s + length * (k + 1) / points;
      const double t = (a + b) / 2;
      const double w0 = std::max(0.0, t - window_s / 2), w1 = std::min(duration, t + window_s / 2);
      // Fast cutting around the shot (a shot alone has no cut inside it).
      int cuts = 0;
      for (const Cut& cut : film.cuts) cuts += cut.time_s > w0 && cut.time_s < w1;
      const double picture_arousal =
          std::clamp(look.arousal + 0.025 * 60.0 * cuts / std::max(1.0, w1 - w0), -1.0, 1.0);
      double said_v = 0, said_a = 0, said = 0;
      for (const Caption& line : lines) {
        const double overlap = std::min(b, line.end_s) - std::max(a, line.start_s);
        if (overlap <= 0 || !std::isfinite(line.emotion.valence) ||
            !std::isfinite(line.emotion.arousal))
          continue;
        said_v += overlap * line.emotion.valence;
        said_a += overlap * line.emotion.arousal;
        said += overlap;
      }
      ArcPoint p{.time_s = t};
      if (said > 0) {
        p.valence = (1 - pw) * said_v / said + pw * look.valence;
        p.arousal = (1 - pw) * said_a / said + pw * picture_arousal;
      } else {
        p.valence = look.valence;
        p.arousal = picture_arousal;
      }
      if (heard) {
        const auto frame_at = [&](double s) {
          return std::min(sound->frames(),
                          static_cast<std::size_t>(std::max(0.0, s) * sound->sample_rate()));
        };
        const std::size_t f0 = frame_at(w0), f1 = std::max(f0, frame_at(w1));
        const AudioFeatures here = extract_audio_features(*sound, f0, f1 - f0);
        p.arousal += sw * std::clamp((here.rms_db - whole.rms_db) / 12.0 +
                                         (here.onset_rate - whole.onset_rate) / 4.0,
                                     -1.0, 1.0);
      }
      p.valence = std::clamp(p.valence, -1.0, 1.0);
      p.arousal = std::clamp(p.arousal, -1.0, 1.0);
      arc.push_back(p);
    }
  }
  return arc;
}

namespace {

// How a stretch of film is cut into scenes of a consistent arc (see arc_scene_starts).
struct SceneSplit {
  double from_s = 0, to_s = 0;  // the stretch
  double shortest_s = 8, longest_s = 90;
  double change_cost = 2;
  double step_s = 5;          // where a stretch longer than longest_s holds no cut
  bool at_least_two = false;  // the best single split when the cheapest is none
};

std::vector<double> scene_starts(const std::vector<ArcPoint>& arc, const std::vector<Cut>& cuts,
                                 const SceneSplit& split) {
  const double from = split.from_s, to = split.to_s;
  const double shortest = std::max(0.0, split.shortest_s);
  const double longest = std::max(2 * shortest, split.longest_s);
  std::vector<ArcPoint> points;
  for (const ArcPoint& p : arc)
    if (p.time_s >= from && p.time_s < to) points.push_back(p);
  if (points.empty() || !(to - from >= 2 * shortest)) return {};
  std::stable_sort(points.begin(), points.end(),
                   [](const ArcPoint& a, const ArcPoint& b) { return a.time_s < b.time_s; });
  // Each point stands for the time from the midpoint with the one before to the one after, so
  // a long shot's few points weigh as much as the many of a busy stretch.
  const std::size_t n = points.size();
  std::vector<double> sw(n + 1, 0), sv(n + 1, 0), sa(n + 1, 0), sq(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double lo = i == 0 ? from : (points[i - 1].time_s + points[i].time_s) / 2;
    const double hi = i + 1 == n ? to : (points[i].time_s + points[i + 1].time_s) / 2;
    const double w = std::max(0.0, hi - lo);
    const ArcPoint& p = points[i];
    sw[i + 1] = sw[i] + w;
    sv[i + 1] = sv[i] + w * p.valence;
    sa[i + 1] = sa[i] + w * p.arousal;
    sq[i + 1] = sq[i] + w * (p.valence * p.valence + p.arousal * p.arousal);
  }
  // Where a scene may start: the cuts, and points inside a stretch with no cut for too long.
  std::vector<double> at = {from};
  for (const Cut& cut : cuts)
    if (cut.time_s > from && cut.time_s < to) at.push_back(cut.time_s);
  at.push_back(to);
  std::sort(at.begin(), at.end());
  at.erase(std::unique(at.begin(), at.end()), at.end());
  const double step = std::max(0.5, split.step_s);
  for (std::size_t k = 0, count = at.size(); k + 1 < count; ++k)
    if (at[k + 1] - at[k] > longest)
      for (double t = at[k] + step; t < at[k + 1] - step / 2; t += step) at.push_back(t);
  std::sort(at.begin(), at.end());
  const std::size_t m = at.size();
  std::vector<std::size_t> first(m);  // the first point at or after each start
  for (std::size_t k = 0; k < m; ++k)
    first[k] = static_cast<std::size_t>(
        std::lower_bound(points.begin(), points.end(), at[k],
                         [](const ArcPoint& p, double t) { return p.time_s < t; }) -
        points.begin());
  const auto spread = [&](std::size_t i, std::size_t j) {  // of the points in [at[i], at[j])
    const std::size_t a = first[i], b = first[j];
    const double weight = sw[b] - sw[a];
    if (!(weight > 0)) return 0.0;
    const double v = sv[b] - sv[a], r = sa[b] - sa[a];
    return std::max(0.0, sq[b] - sq[a] - (v * v + r * r) / weight);
  };
  // The cheapest split of [from, at[j]) into scenes of allowed lengths, and where its last starts.
  const double none = std::numeric_limits<double>::infinity();
  std::vector<double> cost(m, none);
  std::vector<std::size_t> previous(m, 0);
  cost[0] = 0;
  for (std::size_t j = 1; j < m; ++j)
    for (std::size_t i = j; i-- > 0;) {  // latest start first: stop past the longest scene
      const double length = at[j] - at[i];
      if (length > longest + 1e-9) break;
      if (length < shortest - 1e-9 || cost[i] == none) continue;
      const double c = cost[i] + spread(i, j) + (i > 0 ? split.change_cost : 0.0);
      if (c < cost[j]) {
        cost[j] = c;
        previous[j] = i;
      }
    }
  std::vector<double> starts;
  if (cost[m - 1] != none)
    for (std::size_t j = previous[m - 1]; j > 0; j = previous[j]) starts.push_back(at[j]);
  std::reverse(starts.begin(), starts.end());
  if (starts.empty() && split.at_least_two) {
    double best = none;
    for (std::size_t k = 1; k + 1 < m; ++k) {
      if (at[k] - from < shortest - 1e-9 || to - at[k] < shortest - 1e-9) continue;
      const double c = spread(0, k) + spread(k, m - 1);
      if (c < best) {
        best = c;
        starts = {at[k]};
      }
    }
  }
  return starts;
}

// The mean valence and arousal of the arc points in [from, to) (one a shot, or a step of a long
// one); {0, 0} with none.
std::pair<double, double> arc_mean(const std::vector<ArcPoint>& arc, double from, double to) {
  double v = 0, a = 0, n = 0;
  for (const ArcPoint& p : arc)
    if (p.time_s >= from && p.time_s < to) v += p.valence, a += p.arousal, n += 1;
  return n > 0 ? std::pair{v / n, a / n} : std::pair{0.0, 0.0};
}

}  // namespace

std::vector<double> arc_scene_starts(const std::vector<ArcPoint>& arc, const FootageAnalysis& film,
                                     const FitOptions& options, double min_scene_s, double step_s) {
  if (!(film.duration_s > 0)) return {};
  return scene_starts(arc, film.cuts,
                      {.from_s = 0,
                       .to_s = film.duration_s,
                       .shortest_s = min_scene_s,
                       .longest_s = options.max_scene_s,
                       .change_cost = options.scene_change_cost,
                       .step_s = step_s,
                       .at_least_two = true});
}

int split_cues_at_arc_turns(CueSheet& sheet, const FootageAnalysis& film, const FitOptions& options,
                            std::vector<BoundaryPlacement>* placements, double min_cue_s) {
  int added = 0;
  std::vector<Cue> out;
  for (const Cue& cue : sheet.cues) {
    const std::vector<double> starts =
        cue.music ? scene_starts(sheet.arc, film.cuts,
                                 {.from_s = cue.start_s,
                                  .to_s = cue.end_s,
                                  .shortest_s = min_cue_s,
                                  .longest_s = std::numeric_limits<double>::infinity(),
                                  .change_cost = options.dialogue_scene_change_cost})
                  : std::vector<double>{};
    if (starts.empty()) {
      out.push_back(cue);
      continue;
    }
    const auto [cue_v, cue_a] = arc_mean(sheet.arc, cue.start_s, cue.end_s);
    for (std::size_t k = 0; k <= starts.size(); ++k) {
      Cue part = cue;
      part.start_s = k == 0 ? cue.start_s : starts[k - 1];
      part.end_s = k < starts.size() ? starts[k] : cue.end_s;
      if (k > 0) part.name = fmt::format("{} ({})", cue.name, k + 1);
      // The cue's level stays the words'; each part carries the arc's difference from it.
      const auto [v, a] = arc_mean(sheet.arc, part.start_s, part.end_s);
      part.target.valence += v - cue_v;
      part.target.arousal += a - cue_a;
      part.target = part.target.clamped();
      out.push_back(part);
      if (k > 0 && placements) {
        const Cut* cut = nearest_cut(film, part.start_s, 0);
        placements->push_back({part.start_s, part.start_s, cut != nullptr, cut ? cut->frame : -1});
      }
    }
    added += static_cast<int>(starts.size());
  }
  sheet.cues = std::move(out);
  if (added > 0) add_cut_hits(sheet, film, options);  // a part now aroused accents its cuts
  if (placements)
    std::stable_sort(placements->begin(), placements->end(),
                     [](const BoundaryPlacement& a, const BoundaryPlacement& b) {
                       return a.placed_s < b.placed_s;
                     });
  return added;
}

CueSheet picture_cues(const FootageAnalysis& film, std::uint64_t seed, const FitOptions& options,
                      const std::vector<ArcPoint>& arc, double cue_s, double min_cue_s) {
  const double duration = film.duration_s;
  if (const std::vector<double> starts = arc_scene_starts(arc, film, options, min_cue_s);
      !starts.empty()) {
    CueSheet sheet;
    sheet.title = std::filesystem::path(film.file).stem().string();
    sheet.duration_s = duration;
    sheet.seed = seed;
    for (std::size_t k = 0; k <= starts.size(); ++k) {
      Cue cue;
      cue.name = fmt::format("Scene {}", k + 1);
      cue.start_s = k == 0 ? 0.0 : starts[k - 1];
      cue.end_s = k < starts.size() ? starts[k] : duration;
      cue.target = picture_emotion(film, cue.start_s, cue.end_s);
      sheet.cues.push_back(cue);
    }
    add_cut_hits(sheet, film, options);
    return sheet;
  }
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

void dialogue_ducking_gain_into(const std::vector<Caption>& spans, double duration_s,
                                int sample_rate, double depth_db, std::size_t first,
                                std::size_t count, float* out, double attack_s, double release_s) {
  const std::size_t frames =
      static_cast<std::size_t>(std::max(0.0, std::round(duration_s * sample_rate)));
  const auto index = [&](double t) {
    return static_cast<std::size_t>(
        std::clamp(std::round(t * sample_rate), 0.0, static_cast<double>(frames)));
  };
  // Two lines closer than a release and an attack keep the music down between them, so a frame's
  // gain depends on spans up to `bridge` frames either side: the window reaches that far.
  const std::size_t bridge = index(attack_s + release_s);
  const std::size_t w0 = first > bridge ? first - bridge : 0;
  const std::size_t w1 = std::min(frames, first + count + bridge);
  std::vector<float> amount(w1 > w0 ? w1 - w0 : 0, 0.0f);  // 0: full level, 1: fully ducked
  const auto raise = [&](std::size_t i, double a) {
    float& v = amount[i - w0];
    v = std::max(v, static_cast<float>(a));
  };
  for (const Caption& span : spans) {
    const std::size_t a0 = index(span.start_s - attack_s), s0 = index(span.start_s),
                      s1 = index(span.end_s), r1 = index(span.end_s + release_s);
    if (r1 <= w0 || a0 >= w1) continue;
    for (std::size_t i = std::max(a0, w0); i < std::min(s0, w1); ++i)
      raise(i, 0.5 - 0.5 * std::cos(M_PI * static_cast<double>(i - a0) /
                                    static_cast<double>(std::max<std::size_t>(1, s0 - a0))));
    for (std::size_t i = std::max(s0, w0); i < std::min(s1, w1); ++i) amount[i - w0] = 1.0f;
    for (std::size_t i = std::max(s1, w0); i < std::min(r1, w1); ++i)
      raise(i, 0.5 + 0.5 * std::cos(M_PI * static_cast<double>(i - s1) /
                                    static_cast<double>(std::max<std::size_t>(1, r1 - s1))));
  }
  std::size_t last_full = w1;
  for (std::size_t i = w0; i < w1; ++i) {
    if (amount[i - w0] < 1.0f) continue;
    if (last_full < w1 && i - last_full > 1 && i - last_full <= bridge)
      std::fill(amount.begin() + static_cast<std::ptrdiff_t>(last_full - w0),
                amount.begin() + static_cast<std::ptrdiff_t>(i - w0), 1.0f);
    last_full = i;
  }
  // Most frames are at full level or fully ducked: their gain is known without a pow() (the mix
  // asks for every frame once per mastering pass).
  const float ducked = static_cast<float>(std::pow(10.0, -depth_db * 1.0f / 20.0));
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = first + k;
    const float a = i < w1 ? amount[i - w0] : 0.0f;
    out[k] = a == 0.0f   ? 1.0f
             : a == 1.0f ? ducked
                         : static_cast<float>(std::pow(10.0, -depth_db * a / 20.0));
  }
}

std::vector<float> dialogue_ducking_gain(const std::vector<Caption>& spans, double duration_s,
                                         int sample_rate, double depth_db, double attack_s,
                                         double release_s) {
  const std::size_t frames =
      static_cast<std::size_t>(std::max(0.0, std::round(duration_s * sample_rate)));
  std::vector<float> gain(frames);
  dialogue_ducking_gain_into(spans, duration_s, sample_rate, depth_db, 0, frames, gain.data(),
                             attack_s, release_s);
  return gain;
}

double bend_tempo_to_cues(Score& score, const CueSheet& cues, double max_bend) {
  if (score.sections.size() != cues.cues.size()) return 0;
  // The bpm in force at `tick`, and an event there (a copy of the one in force) when none is.
  const auto event_at = [&](std::int64_t tick) -> std::size_t {
    std::size_t in_force = 0;
    for (std::size_t i = 0; i < score.tempo.size(); ++i)
      if (score.tempo[i].tick <= tick) in_force = i;
    if (score.tempo.empty() || score.tempo[in_force].tick != tick) {
      const double bpm = score.tempo.empty() ? 120.0 : score.tempo[in_force].bpm;
      const auto at =
          std::upper_bound(score.tempo.begin(), score.tempo.end(), tick,
                           [](std::int64_t t, const TempoEvent& e) { return t < e.tick; });
      return static_cast<std::size_t>(score.tempo.insert(at, {tick, bpm}) - score.tempo.begin());
    }
    return in_force;
  };
  // Anchors: each section start at its cue's start, each composed hit at its cue-sheet hit's
  // time (the composer put it on the nearest beat); ascending ticks, one per tick.
  std::vector<std::pair<std::int64_t, double>> anchors;
  for (std::size_t c = 1; c < score.sections.size(); ++c)
    anchors.emplace_back(score.sections[c].start_tick, cues.cues[c].start_s);
  if (score.hits.size() == cues.hits.size())
    for (std::size_t h = 0; h < cues.hits.size(); ++h)
      anchors.emplace_back(score.hits[h].tick, cues.hits[h].time_s);
  std::stable_sort(anchors.begin(), anchors.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  anchors.erase(std::unique(anchors.begin(), anchors.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                anchors.end());
  double largest = 0;
  std::int64_t from = 0;
  for (const auto& [to, wanted_s] : anchors) {
    if (to <= from) continue;
    const double start = score.seconds_at(from);
    const double have = score.seconds_at(to) - start, want = wanted_s - start;
    if (have > 0 && want > 0) {
      const double factor = have / want;  // > 1: play faster
      if (std::abs(factor - 1) <= max_bend && std::abs(factor - 1) > 1e-9) {
        event_at(from);
        event_at(to);
        for (TempoEvent& e : score.tempo)
          if (e.tick >= from && e.tick < to) e.bpm *= factor;
        largest = std::max(largest, std::abs(factor - 1));
      }
    }
    from = to;
  }
  for (ScoreSection& section : score.sections) {
    section.start_s = score.seconds_at(section.start_tick);
    section.end_s = score.seconds_at(section.end_tick);
    for (const TempoEvent& e : score.tempo)
      if (e.tick <= section.start_tick) section.tempo_bpm = e.bpm;
  }
  return largest;
}

std::vector<HitRow> hit_list(const FootageAnalysis& film, const CueSheet& cues,
                             const Score& score) {
  const double fps = film.fps > 0 ? film.fps : 25.0;
  const auto place = [&](HitRow& row, double cue_time) {
    const Cut* cut = nearest_cut(film, cue_time, 0.5 / fps);
    if (cut) {
      row.cut_frame = row.frame = cut->frame;
      row.error_s = row.music_s - cut->time_s;
    } else {
      row.frame = static_cast<std::int64_t>(std::floor(row.music_s * fps + 1e-6));
    }
  };
  std::vector<HitRow> rows;
  if (score.sections.size() == cues.cues.size())
    for (std::size_t c = 0; c < cues.cues.size(); ++c) {
      HitRow row;
      // A cue without music is a gap: the music goes out at its start and comes back in at the
      // next cue with music.
      const bool after_gap = c == 0 || !cues.cues[c - 1].music;
      row.event = !cues.cues[c].music ? "music out" : after_gap ? "music in" : "section start";
      row.detail = cues.cues[c].name;
      row.music_s = score.seconds_at(score.sections[c].start_tick);
      place(row, cues.cues[c].start_s);
      rows.push_back(std::move(row));
    }
  for (std::size_t h = 0; h < cues.hits.size() && !score.hits.empty(); ++h) {
    // By order when the composer kept every hit, else the composed hit nearest in time.
    std::size_t composed = h;
    if (score.hits.size() != cues.hits.size())
      for (std::size_t k = 0; k < score.hits.size(); ++k)
        if (std::abs(score.seconds_at(score.hits[k].tick) - cues.hits[h].time_s) <
            std::abs(score.seconds_at(score.hits[composed % score.hits.size()].tick) -
                     cues.hits[h].time_s))
          composed = k;
    composed %= score.hits.size();
    HitRow row;
    row.event = cues.hits[h].kind == "cut" ? "accent" : "hit";
    row.detail = cues.hits[h].kind == "cut" ? cues.hits[h].text
                                            : cues.hits[h].kind + ": " + cues.hits[h].text;
    row.music_s = score.seconds_at(score.hits[composed].tick);
    place(row, cues.hits[h].time_s);
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const HitRow& a, const HitRow& b) { return a.music_s < b.music_s; });
  return rows;
}

std::string timecode(std::int64_t frame, double fps) {
  const std::int64_t base = std::max<std::int64_t>(1, std::llround(fps));
  const std::int64_t seconds = frame / base;
  return fmt::format("{:02}:{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60,
                     frame % base);
}

std::string hits_csv(const std::vector<HitRow>& rows, double fps) {
  // A field with a comma, a quote or a line break is quoted, its quotes doubled (RFC 4180).
  const auto field = [](const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::string out = "timecode,frame,seconds,cut_frame,error_ms,event,detail\n";
  for (const HitRow& r : rows)
    out += fmt::format("{},{},{:.3f},{},{},{},{}\n", timecode(r.frame, fps), r.frame, r.music_s,
                       r.cut_frame >= 0 ? std::to_string(r.cut_frame) : "",
                       r.cut_frame >= 0 ? fmt::format("{:.1f}", r.error_s * 1000) : "",
                       field(r.event), field(r.detail));
  return out;
}

std::string hits_edl(const std::vector<HitRow>& rows, double fps, const std::string& title) {
  const auto clean = [](std::string text) {
    for (char& c : text) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (c == '|') c = '/';
    }
    return text;
  };
  const auto colour = [](const std::string& event) -> std::string_view {
    if (event == "music in") return "Green";
    if (event == "section start") return "Blue";
    if (event == "accent") return "Red";
    return "Yellow";
  };
  std::string out = fmt::format("TITLE: {}\nFCM: NON-DROP FRAME\n\n", clean(title));
  int number = 0;
  for (const HitRow& r : rows) {
    const std::string in = timecode(r.frame, fps), out_tc = timecode(r.frame + 1, fps);
    out += fmt::format("{:03}  001      V     C        {} {} {} {}\n", ++number, in, out_tc, in,
                       out_tc);
    out += fmt::format(" |C:ResolveColor{} |M:{}: {} |D:1\n\n", colour(r.event), clean(r.event),
                       clean(r.detail));
  }
  return out;
}

int leave_gaps_for_dialogue(CueSheet& cues, const std::vector<Caption>& spans,
                            const FitOptions& options) {
  if (cues.cues.size() < 3) return 0;
  int gaps = 0;
  for (std::size_t c = 1; c + 1 < cues.cues.size(); ++c) {
    Cue& cue = cues.cues[c];
    const double length = cue.end_s - cue.start_s;
    if (length <= 0 || cue.target.arousal > options.gap_max_arousal) continue;
    double spoken = 0;
    for (const Caption& span : spans)
      spoken +=
          std::max(0.0, std::min(span.end_s, cue.end_s) - std::max(span.start_s, cue.start_s));
    if (spoken < options.gap_dialogue_share * length) continue;
    cue.music = false;
    ++gaps;
  }
  return gaps;
}

int thin_lead_under_dialogue(Score& score, const std::vector<Caption>& spans, double lead_s,
                             double soften) {
  const auto under_a_line = [&](const Note& note) {
    const double t = score.seconds_at(note.tick);
    return std::any_of(spans.begin(), spans.end(), [&](const Caption& span) {
      return t >= span.start_s - lead_s && t < span.end_s;
    });
  };
  int removed = 0;
  for (Track& track : score.tracks) {
    const bool rests = track.role == "doubling" || track.role == "counter";
    if (track.role != "melody" && !rests) continue;
    std::vector<Note> kept;
    kept.reserve(track.notes.size());
    for (Note note : track.notes) {
      if (!under_a_line(note)) {
        kept.push_back(note);
        continue;
      }
      if (rests || note.tick % score.ppq != 0) {
        ++removed;
        continue;
      }
      note.velocity = std::max(1, static_cast<int>(std::lround(note.velocity * soften)));
      kept.push_back(note);
    }
    track.notes = std::move(kept);
  }
  return removed;
}

}  // namespace tonepoem
