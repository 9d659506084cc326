#include "footage/shots.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tonepoem {

double histogram_distance(const FrameFeatures& a, const FrameFeatures& b) {
  const auto l1 = [](const auto& x, const auto& y) {
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += std::abs(static_cast<double>(x[i]) - y[i]);
    return 0.5 * sum;
  };
  return 0.5 * l1(a.luma, b.luma) + 0.25 * l1(a.cb, b.cb) + 0.25 * l1(a.cr, b.cr);
}

std::string_view cut_kind_name(CutKind kind) {
  switch (kind) {
    case CutKind::hard:
      return "hard";
    case CutKind::fade:
      return "fade";
    case CutKind::dissolve:
      return "dissolve";
  }
  return "hard";
}

ShotDetector::ShotDetector(ShotOptions options) : options_(options) {}

void ShotDetector::push(const FrameFeatures& frame) {
  Entry entry{frame, 0, 0, 0, false};
  if (!pending_.empty()) {
    const FrameFeatures& previous = pending_.back().features;
    entry.distance = histogram_distance(previous, frame);
    long sum = 0;
    for (std::size_t i = 0; i < frame.grid.size(); ++i)
      sum += std::abs(static_cast<int>(frame.grid[i]) - previous.grid[i]);
    entry.motion = static_cast<double>(sum) / (255.0 * frame.grid.size());
  }
  {
    double sum = 0, squares = 0;
    for (std::uint8_t v : frame.grid) {
      sum += v;
      squares += static_cast<double>(v) * v;
    }
    const double n = static_cast<double>(frame.grid.size());
    const double mean = sum / n;
    entry.contrast = std::sqrt(std::max(0.0, squares / n - mean * mean)) / 255.0;
  }
  entry.blank =
      frame.brightness < options_.black_brightness || entry.contrast < options_.flat_contrast;
  pending_.push_back(entry);
  const std::size_t window = static_cast<std::size_t>(options_.window);
  while (pending_.size() - decide_at_ > window) decide_front();
}

void ShotDetector::finish(double duration_s) {
  while (decide_at_ < pending_.size()) decide_front();
  if (!held_.empty()) release_held(false);  // the film ended inside the run
  if (current_frames_ > 0) {
    const double frames = static_cast<double>(current_frames_);
    current_.brightness /= frames;
    current_.saturation /= frames;
    current_.contrast /= frames;
    current_.motion = current_frames_ > 1 ? current_.motion / (frames - 1) : 0.0;
    current_.end_s = std::max(duration_s, current_.start_s);
    shots_.push_back(current_);
    current_frames_ = 0;
  }
}

void ShotDetector::decide_front() {
  const std::size_t p = decide_at_;
  const Entry& entry = pending_[p];
  const std::int64_t k = entry.features.index;
  const int window = options_.window;
  bool hard = false, flash = false;
  if (p > 0 && k > suppressed_until_ && entry.distance >= options_.min_cut_distance) {
    // Local statistics of the distances around this frame, without it and without the two
    // largest (another cut or a flash nearby must not hide this one).
    std::vector<double> around;
    const std::size_t from = p > static_cast<std::size_t>(window) ? p - window : 1;
    const std::size_t to = std::min(pending_.size(), p + window + 1);
    for (std::size_t i = from; i < to; ++i)
      if (i != p) around.push_back(pending_[i].distance);
    std::sort(around.begin(), around.end());
    if (around.size() > 4) around.resize(around.size() - 2);
    double mean = 0, var = 0;
    for (double d : around) mean += d;
    mean /= std::max<std::size_t>(1, around.size());
    for (double d : around) var += (d - mean) * (d - mean);
    const double sd = std::sqrt(var / std::max<std::size_t>(1, around.size()));
    hard = entry.distance >= std::max({options_.min_cut_distance, mean + options_.sigma * sd,
                                       options_.min_ratio * mean});
    if (hard) {
      const FrameFeatures& before = pending_[p - 1].features;
      for (int n = 1; n <= options_.max_flash_frames && p + n < pending_.size(); ++n) {
        const double back = histogram_distance(before, pending_[p + n].features);
        if (back <= options_.flash_return_distance && back <= 0.5 * entry.distance) {
          flash = true;
          hard = false;
          suppressed_until_ = k + n;
          ++flashes_;
          break;
        }
      }
    }
  }
  bool fade = false;
  if (entry.blank && !in_black_) {
    in_black_ = true;
    black_entered_by_cut_ = hard || flash || k <= suppressed_until_;
    black_from_start_ = k == 0;
    black_start_ = k;
    blank_first_ = entry.features;
  } else if (entry.blank && in_black_ && (hard || flash)) {
    black_entered_by_cut_ = true;  // cut from one flat shot to another
    blank_first_ = entry.features;
  } else if (entry.blank && in_black_ && k > suppressed_until_ &&
             histogram_distance(blank_first_, entry.features) >= options_.blank_recolour_distance) {
    // A flat shot fading to another colour (solid red to black): entered gradually from here.
    black_entered_by_cut_ = false;
    black_from_start_ = false;
    blank_first_ = entry.features;
  } else if (!entry.blank && in_black_) {
    in_black_ = false;
    fade = !hard && !black_entered_by_cut_ && !black_from_start_ &&
           k - black_start_ > options_.max_flash_frames;
  }
  Decided decided{entry, hard || fade, {k, entry.features.time_s, CutKind::hard, entry.distance}};
  if (fade) decided.what.kind = CutKind::fade;
  const double span = options_.dissolves ? span_distance(p) : -1;
  bool blank_near = false;
  if (span >= 0)
    for (std::size_t q = p - 8; q <= p + 7; ++q) blank_near = blank_near || pending_[q].blank;
  settle(decided, span >= options_.dissolve_distance, blank_near);
  ++decide_at_;
  // Keep `window` + 1 decided frames as context for the next decisions.
  while (decide_at_ > static_cast<std::size_t>(window) + 1) {
    pending_.pop_front();
    --decide_at_;
  }
}

namespace {

// The mean of the frames' histograms (a FrameFeatures with only its histograms set).
template <typename It>
FrameFeatures mean_histograms(It first, It last) {
  FrameFeatures mean;
  double n = 0;
  for (It it = first; it != last; ++it, ++n)
    for (int pass = 0; pass < 3; ++pass) {
      const float* from = pass == 0   ? it->features.luma.data()
                          : pass == 1 ? it->features.cb.data()
                                      : it->features.cr.data();
      float* to = pass == 0 ? mean.luma.data() : pass == 1 ? mean.cb.data() : mean.cr.data();
      const int bins = pass == 0 ? kLumaBins : kChromaBins;
      for (int b = 0; b < bins; ++b) to[b] += from[b];
    }
  if (n > 0) {
    for (float& v : mean.luma) v = static_cast<float>(v / n);
    for (float& v : mean.cb) v = static_cast<float>(v / n);
    for (float& v : mean.cr) v = static_cast<float>(v / n);
  }
  return mean;
}

}  // namespace

double ShotDetector::span_distance(std::size_t q) const {
  if (q < 8 || q + 7 >= pending_.size()) return -1;
  const auto at = [&](std::size_t i) { return pending_.begin() + static_cast<std::ptrdiff_t>(i); };
  return histogram_distance(mean_histograms(at(q - 8), at(q - 3)),
                            mean_histograms(at(q + 3), at(q + 8)));
}

void ShotDetector::settle(Decided decided, bool in_dissolve_run, bool blank_near) {
  if (!in_dissolve_run) {
    if (!held_.empty()) release_held(true);
    commit(decided);
    return;
  }
  held_blank_ = held_blank_ || blank_near || (decided.cut && decided.what.kind == CutKind::fade);
  held_.push_back(std::move(decided));
  if (held_.size() >= static_cast<std::size_t>(options_.max_dissolve_run)) release_held(false);
}

void ShotDetector::release_held(bool run_ended) {
  const bool dissolve = run_ended && !held_blank_ &&
                        held_.size() >= static_cast<std::size_t>(options_.min_dissolve_run);
  if (dissolve) {
    const std::size_t middle = held_.size() / 2;
    for (std::size_t i = 0; i < held_.size(); ++i) {
      Decided& d = held_[i];
      d.cut = i == middle;  // the jumps inside a dissolve are not cuts
      if (d.cut)
        d.what = {d.entry.features.index, d.entry.features.time_s, CutKind::dissolve,
                  histogram_distance(held_.front().entry.features, held_.back().entry.features)};
    }
  }
  for (const Decided& d : held_) commit(d);
  held_.clear();
  held_blank_ = false;
}

void ShotDetector::commit(const Decided& decided) {
  if (decided.cut) cuts_.push_back(decided.what);
  emit(decided.entry, decided.cut);
}

void ShotDetector::emit(const Entry& entry, bool cut_here) {
  if (cut_here && current_frames_ > 0) {
    const double frames = static_cast<double>(current_frames_);
    current_.brightness /= frames;
    current_.saturation /= frames;
    current_.contrast /= frames;
    current_.motion = current_frames_ > 1 ? current_.motion / (frames - 1) : 0.0;
    current_.end_frame = entry.features.index;
    current_.end_s = entry.features.time_s;
    shots_.push_back(current_);
    current_frames_ = 0;
  }
  if (current_frames_ == 0) {
    current_ = Shot{};
    current_.first_frame = entry.features.index;
    current_.start_s = entry.features.time_s;
  } else {
    current_.motion += entry.motion;
  }
  current_.brightness += entry.features.brightness;
  current_.saturation += entry.features.saturation;
  current_.contrast += entry.contrast;
  current_.end_frame = entry.features.index + 1;
  ++current_frames_;
}

void to_json(nlohmann::json& j, const Cut& c) {
  j = {{"frame", c.frame},
       {"time_s", c.time_s},
       {"kind", cut_kind_name(c.kind)},
       {"strength", c.strength}};
}

void from_json(const nlohmann::json& j, Cut& c) {
  c.frame = j.at("frame").get<std::int64_t>();
  c.time_s = j.at("time_s").get<double>();
  const std::string kind = j.value("kind", "hard");
  bool known = false;
  for (CutKind k : {CutKind::hard, CutKind::fade, CutKind::dissolve})
    if (kind == cut_kind_name(k)) {
      c.kind = k;
      known = true;
    }
  if (!known)
    throw Error(ExitCode::bad_input,
                "cut kind '" + kind + "' is not known (hard, fade or dissolve)");
  c.strength = j.value("strength", 0.0);
}

void to_json(nlohmann::json& j, const Shot& s) {
  j = {{"first_frame", s.first_frame}, {"end_frame", s.end_frame},
       {"start_s", s.start_s},         {"end_s", s.end_s},
       {"brightness", s.brightness},   {"saturation", s.saturation},
       {"motion", s.motion},           {"contrast", s.contrast}};
}

void from_json(const nlohmann::json& j, Shot& s) {
  s.first_frame = j.at("first_frame").get<std::int64_t>();
  s.end_frame = j.at("end_frame").get<std::int64_t>();
  s.start_s = j.at("start_s").get<double>();
  s.end_s = j.at("end_s").get<double>();
  s.brightness = j.value("brightness", 0.0);
  s.saturation = j.value("saturation", 0.0);
  s.motion = j.value("motion", 0.0);
  s.contrast = j.value("contrast", 0.0);
}

}  // namespace tonepoem
