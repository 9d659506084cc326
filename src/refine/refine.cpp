// Refinement: a greedy, section-by-section search over CueAdjust, scored by the judge.
#include "refine/refine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "music/metrics.h"

namespace tonepoem {
namespace {

struct Candidate {
  CueAdjust adjust;
  Emotion judged;
  double cost = 0, error = 0;
};

// The cue sheet up to and including cue `last` (section `last - 1`'s notes depend on no later cue).
CueSheet prefix(const CueSheet& cues, std::size_t last) {
  CueSheet p;
  p.title = cues.title;
  p.language = cues.language;
  p.seed = cues.seed;
  p.cues.assign(cues.cues.begin(), cues.cues.begin() + static_cast<std::ptrdiff_t>(last + 1));
  p.duration_s = p.cues.back().end_s;
  return p;
}

double in_scale_of(const Score& score, const ScoreSection& section) {
  Score sub;
  sub.ppq = score.ppq;
  sub.tempo = score.tempo;
  sub.meters = score.meters;
  sub.end_tick = section.end_tick;
  for (const Track& t : score.tracks) {
    Track copy = t;
    copy.notes.clear();
    for (const Note& n : t.notes)
      if (n.tick >= section.start_tick && n.tick < section.end_tick) copy.notes.push_back(n);
    sub.tracks.push_back(std::move(copy));
  }
  const ScoreMetrics m = measure(sub);
  return m.notes > 0 ? m.in_scale_ratio : 1.0;
}

std::vector<std::string> describe(const CueAdjust& a) {
  std::vector<std::string> out;
  if (a.variation != 0) out.push_back(fmt::format("variation {}", a.variation));
  if (a.valence != 0) out.push_back(fmt::format("valence steered {:+.2f}", a.valence));
  if (a.arousal != 0) out.push_back(fmt::format("arousal steered {:+.2f}", a.arousal));
  if (a.tension != 0) out.push_back(fmt::format("tension steered {:+.2f}", a.tension));
  if (a.tempo_scale != 1.0) out.push_back(fmt::format("tempo x{:.2f}", a.tempo_scale));
  if (a.velocity != 0) out.push_back(fmt::format("velocity {:+d}", a.velocity));
  if (a.register_shift != 0)
    out.push_back(fmt::format("register {:+d} semitones", a.register_shift));
  if (a.density_scale != 1.0) out.push_back(fmt::format("melody density x{:.2f}", a.density_scale));
  if (a.articulation != 0) out.push_back(fmt::format("articulation {:+.2f}", a.articulation));
  return out;
}

// Moves `a` toward the target's arousal by `gain` x the error. Valence is never steered: the
// steering judge's valence is no better than the majority baseline (judge_weights.txt), so the
// plan's valence (and with it the mode and register the mapping chose) stands.
CueAdjust nudged(const CueAdjust& a, const Emotion& judged, const Emotion& target, double gain) {
  const double ea = target.arousal - judged.arousal;
  CueAdjust n = a;
  n.arousal = std::clamp(a.arousal + gain * ea, -2.0, 2.0);
  n.tempo_scale =
      std::clamp(std::round(a.tempo_scale * std::exp(0.3 * gain * ea) * 100) / 100, 0.6, 1.6);
  n.velocity = std::clamp(a.velocity + static_cast<int>(std::lround(18 * gain * ea)), -35, 35);
  n.arousal = std::round(n.arousal * 100) / 100;
  return n;
}

// One lever moved by `step` (in units of the lever's base step), within its range; values are
// rounded so that cues.json stays readable.
CueAdjust moved(const CueAdjust& a, int lever, double step) {
  CueAdjust n = a;
  auto r2 = [](double x) { return std::round(x * 100) / 100; };
  switch (lever) {
    case 1:
      n.arousal = r2(std::clamp(a.arousal + 0.3 * step, -2.0, 2.0));
      break;
    case 2:
      n.tempo_scale = r2(std::clamp(a.tempo_scale * std::pow(1.15, step), 0.6, 1.6));
      break;
    case 3:
      n.velocity = std::clamp(a.velocity + static_cast<int>(std::lround(10 * step)), -35, 35);
      break;
    case 5:
      n.density_scale = r2(std::clamp(a.density_scale * std::pow(1.25, step), 0.5, 2.0));
      break;
    default:
      n.articulation = r2(std::clamp(a.articulation + 0.12 * step, -0.4, 0.2));
      break;
  }
  return n;
}
// The levers refinement may move: arousal, tempo, velocity, melody density, articulation (not
// valence (0) or register (4), which carry valence).
constexpr std::array<int, 5> kLevers = {1, 2, 3, 5, 6};

// The error refinement steers by: arousal only (see nudged).
double steered_error(const Emotion& judged, const Emotion& target) {
  return std::abs(judged.arousal - target.arousal);
}

// True when sections a and a+1 of `piece` break the story's order: the target's arousal rises
// (falls) by more than 0.2 but the tempo does not rise (fall) with it.
bool out_of_tempo_order(const Score& piece, const CueSheet& cues, std::size_t a) {
  if (a + 1 >= piece.sections.size() || a + 1 >= cues.cues.size()) return false;
  const double tempo_a = piece.sections[a].tempo_bpm, tempo_b = piece.sections[a + 1].tempo_bpm;
  if (tempo_a <= 0 || tempo_b <= 0) return false;
  const double rise = cues.cues[a + 1].target.arousal - cues.cues[a].target.arousal;
  const double faster = tempo_b - tempo_a;
  return (rise > 0.2 && faster <= 0) || (rise < -0.2 && faster >= 0);
}

// A guard the judge cannot argue with. The search weighs the order only softly and one section at
// a time, so a calm section refined first can outrun the storm refined after it. A refined section
// that breaks the order goes back to its plain composition (the unrefined mapping keeps the order:
// tempo rises with arousal), the one whose tempo moved most first.
void keep_tempo_order(RefineResult& result, const CueSheet& original,
                      const ComposeOptions& compose_options) {
  const std::size_t n = result.cues.cues.size();
  for (std::size_t round = 0; round < n; ++round) {
    const Score piece = compose(result.cues, compose_options);
    bool reverted = false;
    for (std::size_t i = 0; i + 1 < n && !reverted; ++i) {
      if (!out_of_tempo_order(piece, original, i)) continue;
      auto moved = [&](std::size_t k) {
        return std::abs(std::log(result.cues.cues[k].adjust.tempo_scale));
      };
      for (std::size_t k : moved(i) >= moved(i + 1) ? std::array{i, i + 1} : std::array{i + 1, i}) {
        if (result.cues.cues[k].adjust.is_default()) continue;
        result.cues.cues[k].adjust = CueAdjust{};
        result.sections[k].adjust = CueAdjust{};
        result.sections[k].changes = {"reverted: its refinement broke the story's tempo order"};
        reverted = true;
        break;
      }
    }
    if (!reverted) return;
  }
}

}  // namespace

double emotion_distance(const Emotion& j, const Emotion& t) {
  return std::hypot(j.valence - t.valence, j.arousal - t.arousal);
}

double axis_error(const Emotion& j, const Emotion& t) {
  return std::max(std::abs(j.valence - t.valence), std::abs(j.arousal - t.arousal));
}

std::vector<std::string> RefineOptions::validate() const {
  std::vector<std::string> p;
  if (seeds < 1 || seeds > 16) p.push_back(fmt::format("seeds: {} is outside 1 .. 16", seeds));
  if (rounds < 0 || rounds > 8) p.push_back(fmt::format("rounds: {} is outside 0 .. 8", rounds));
  if (gains.empty() || gains.size() > 4) p.emplace_back("gains: give 1 to 4 gains");
  for (double g : gains)
    if (!(g > 0 && g <= 3)) p.push_back(fmt::format("gains: {} is outside (0, 3]", g));
  if (!(tolerance >= 0 && tolerance <= 1))
    p.push_back(fmt::format("tolerance: {} is outside 0 .. 1", tolerance));
  if (!(quality_weight >= 0 && quality_weight <= 2))
    p.push_back(fmt::format("quality_weight: {} is outside 0 .. 2", quality_weight));
  if (!(continuity_weight >= 0 && continuity_weight <= 2))
    p.push_back(fmt::format("continuity_weight: {} is outside 0 .. 2", continuity_weight));
  if (passes < 1 || passes > 4) p.push_back(fmt::format("passes: {} is outside 1 .. 4", passes));
  if (!(order_weight >= 0 && order_weight <= 2))
    p.push_back(fmt::format("order_weight: {} is outside 0 .. 2", order_weight));
  if (!(time_cap_s >= 0)) p.push_back(fmt::format("time cap: {} s must be >= 0", time_cap_s));
  return p;
}

RefineResult refine(const CueSheet& cues, const ComposeOptions& compose_options,
                    const RefineOptions& options) {
  if (auto problems = options.validate(); !problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    fail_usage("refinement options: " + all, "see src/refine/README.md");
  }
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const JudgeWeights& weights = options.weights ? *options.weights : steering_judge_weights();
  RefineResult result;
  result.cues = cues;
  const Score initial = compose(cues, compose_options);
  const std::vector<Emotion> before = judge_sections(initial, weights);

  auto finish = [&](Score score) {
    result.score = std::move(score);
    const std::vector<Emotion> after = judge_sections(result.score, weights);
    for (std::size_t i = 0; i < result.sections.size() && i < after.size(); ++i) {
      SectionRefinement& s = result.sections[i];
      s.judged_after = after[i];
      s.distance_after = emotion_distance(after[i], s.target);
      if (s.flagged.empty() && steered_error(after[i], s.target) > options.tolerance)
        s.flagged = fmt::format(
            "judged arousal {:.2f} against target {:.2f}: error {:.2f} is above the tolerance "
            "{:.2f} after {} candidates{}",
            after[i].arousal, s.target.arousal, steered_error(after[i], s.target),
            options.tolerance, s.candidates,
            result.stopped_early ? " (stopped by the time cap)" : "");
    }
    result.seconds = elapsed();
    return result;
  };

  for (std::size_t i = 0; i < initial.sections.size(); ++i) {
    SectionRefinement s;
    s.name = initial.sections[i].name;
    s.target = initial.sections[i].target;
    s.judged_before = i < before.size() ? before[i] : Emotion{};
    s.distance_before = emotion_distance(s.judged_before, s.target);
    result.sections.push_back(std::move(s));
  }
  if (cues.cues.empty() || initial.sections.size() != cues.cues.size()) {
    for (SectionRefinement& s : result.sections)
      s.flagged = "not refined: the cue sheet has cues shorter than 1.5 s, which compose merges";
    return finish(initial);
  }

  const std::size_t n = cues.cues.size();
  for (int pass = 0; pass < options.passes && !result.stopped_early; ++pass) {
    std::vector<Emotion> now;
    if (pass > 0) now = judge_sections(compose(result.cues, compose_options), weights);
    for (std::size_t i = 0; i < n; ++i) {
      if (pass > 0 &&
          (i >= now.size() || steered_error(now[i], cues.cues[i].target) <= options.tolerance))
        continue;
      SectionRefinement& report = result.sections[i];
      const Emotion target = cues.cues[i].target;
      const bool plan_minor = is_minor_mode(map_emotion(target).mode);
      std::optional<Candidate> best;
      auto evaluate = [&](const CueAdjust& adjust) {
        if (options.time_cap_s > 0 && best && elapsed() > options.time_cap_s) {
          result.stopped_early = true;
          return false;
        }
        result.cues.cues[i].adjust = adjust;
        const Score piece = compose(prefix(result.cues, std::min(i + 1, n - 1)), compose_options);
        ++report.candidates;
        ++result.candidates;
        if (i >= piece.sections.size()) return true;
        const ScoreSection& sec = piece.sections[i];
        Candidate c;
        c.adjust = adjust;
        c.judged = judge_features(extract_features(piece, sec.start_tick, sec.end_tick), weights);
        c.error = steered_error(c.judged, target);
        const double quality = std::max(0.0, 0.85 - in_scale_of(piece, sec));
        double continuity = 0;
        if (i > 0 && sec.tempo_bpm > 0 && piece.sections[i - 1].tempo_bpm > 0)
          continuity = std::max(
              0.0, std::abs(std::log2(sec.tempo_bpm / piece.sections[i - 1].tempo_bpm)) - 0.5);
        // Order: a section meant to be clearly more (less) aroused than the previous one must not
        // be slower (faster) than it, whatever the judge says (keep_tempo_order enforces it).
        double order = 0;
        if (i > 0 && out_of_tempo_order(piece, cues, i - 1)) order += 1;
        if (i + 1 < n && out_of_tempo_order(piece, cues, i)) order += 1;
        // Never a mode family other than the plan's (major-ish or minor-ish): such a candidate is
        // not eligible, whatever the judge says.
        if (is_minor_mode(sec.mode) != plan_minor) return true;
        c.cost = c.error + options.quality_weight * quality +
                 options.continuity_weight * continuity + options.order_weight * order;
        if (!best || c.cost < best->cost) best = c;
        return true;
      };
      bool going = true;
      if (pass > 0) {
        // Again, now that the next section's choice is known: from the current choice.
        going = evaluate(result.cues.cues[i].adjust);
      } else {
        for (int v = 0; going && v < options.seeds; ++v) {
          CueAdjust a;
          a.variation = static_cast<std::uint64_t>(v);
          going = evaluate(a);
        }
      }
      // Correction rounds: the proportional moves, then each lever one step either way around the
      // best so far; a round that improves nothing halves the step.
      double step = 1.0;
      for (int r = 0; going && best && best->error > options.tolerance && r < options.rounds; ++r) {
        const Candidate from = *best;
        for (double g : options.gains) {
          going = evaluate(nudged(from.adjust, from.judged, target, g));
          if (!going) break;
        }
        for (std::size_t l = 0; going && best->error > options.tolerance && l < kLevers.size(); ++l)
          for (double dir : {1.0, -1.0}) {
            const CueAdjust a = moved(best->adjust, kLevers[l], dir * step);
            if (a == best->adjust) continue;
            going = evaluate(a);
            if (!going || best->error <= options.tolerance) break;
          }
        if (best->cost >= from.cost) step *= 0.5;
      }
      result.cues.cues[i].adjust = best ? best->adjust : CueAdjust{};
      report.adjust = result.cues.cues[i].adjust;
      report.changes = describe(report.adjust);
      if (result.stopped_early && !going) {
        // Later sections keep their plain composition.
        for (std::size_t k = i + 1; k < n; ++k)
          result.sections[k].flagged = "not refined: the refinement time cap was reached";
        break;
      }
    }
  }
  keep_tempo_order(result, cues, compose_options);
  return finish(compose(result.cues, compose_options));
}

void to_json(nlohmann::json& j, const SectionRefinement& s) {
  auto ax = [](const Emotion& e) {
    return nlohmann::json{{"valence", e.valence}, {"arousal", e.arousal}, {"tension", e.tension}};
  };
  j = nlohmann::json{{"name", s.name},
                     {"target", ax(s.target)},
                     {"judged_before", ax(s.judged_before)},
                     {"judged_after", ax(s.judged_after)},
                     {"distance_before", s.distance_before},
                     {"distance", s.distance_after},
                     {"candidates", s.candidates},
                     {"changes", s.changes}};
  if (!s.flagged.empty()) j["flagged"] = s.flagged;
}

}  // namespace tonepoem
