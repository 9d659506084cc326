#include "video/painter.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "core/rng.h"
#include "video/image.h"

namespace tonepoem::video {
namespace {

constexpr double kCrossFadeS = 1.0;    // background cross-fade at cue changes
constexpr double kTitleS = 3.5;        // opening title, at most
constexpr double kSectionCardS = 2.5;  // section title cards
constexpr double kCreditsS = 4.0;      // closing credits, at most
constexpr double kMinCreditsVideoS = 8.0;
constexpr std::size_t kSpriteCacheSize = 8;

double smoothstep(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

Rgb mix(const Rgb& a, const Rgb& b, double w) {
  return {a.r + (b.r - a.r) * w, a.g + (b.g - a.g) * w, a.b + (b.b - a.b) * w};
}

// The named style; the default (the table's first) for a name that validation would refuse.
std::unique_ptr<VideoStyle> make_style(const std::string& name, const StyleSetup& setup) {
  const StyleEntry* entry = find_style(name);
  return (entry ? *entry : style_table().front()).make(setup);
}

std::int64_t frame_at(double t, double fps) {
  return static_cast<std::int64_t>(std::llround(t * fps));
}

// An A8 mask of w x h holding a radial ramp from `from` (alpha at radius r0) to `to` (at r1, and
// beyond) around (cx, cy), in a space scaled by (sx, sy): the vignette and the glow, drawn once.
SurfacePtr radial_mask(int w, int h, double sx, double sy, double cx, double cy, double r0,
                       double r1, double from, double to) {
  SurfacePtr mask(cairo_image_surface_create(CAIRO_FORMAT_A8, w, h));
  cairo_t* cr = cairo_create(mask.get());
  cairo_scale(cr, sx, sy);
  cairo_pattern_t* ramp = cairo_pattern_create_radial(cx, cy, r0, cx, cy, r1);
  cairo_pattern_add_color_stop_rgba(ramp, 0, 0, 0, 0, from);
  cairo_pattern_add_color_stop_rgba(ramp, 1, 0, 0, 0, to);
  cairo_set_source(cr, ramp);
  cairo_paint(cr);
  cairo_pattern_destroy(ramp);
  cairo_destroy(cr);
  return mask;
}

}  // namespace

std::int64_t frame_count(double duration_s, int fps) {
  return std::max<std::int64_t>(1, frame_at(duration_s, fps));
}

FramePainter::FramePainter(const PcmSource& audio, const Timeline& timeline,
                           const VideoOptions& options)
    : timeline_(timeline),
      options_(options),
      geometry_{options.width, options.height,
                static_cast<double>(std::min(options.width, options.height)),
                static_cast<double>(options.fps)},
      style_(make_style(options.style, StyleSetup{timeline, geometry_})),
      frames_(frame_count(audio.duration_s(), options.fps)),
      fps_(options.fps),
      width_(options.width),
      height_(options.height),
      unit_(std::min(options.width, options.height)),
      analyzer_(audio, std::clamp(options.width / 22, 16, 64)),
      smoother_(options.fps),
      text_(options.font) {
  const auto& downbeats = timeline.downbeats;
  for (double b : timeline.beats) {
    beat_frames_.push_back(frame_at(b, fps_));
    downbeat_.push_back(std::any_of(downbeats.begin(), downbeats.end(),
                                    [&](double d) { return std::fabs(d - b) < 1e-6; }));
  }
  title_ = timeline.title;
  {
    // Mean square of the mix per frame, then a centred 1.5 s window over frames (prefix sums).
    const std::size_t frames = static_cast<std::size_t>(std::max<std::int64_t>(frames_, 0));
    const std::size_t samples = audio.frames();
    const auto channels = static_cast<std::size_t>(std::max(1, audio.channels()));
    std::vector<double> prefix(frames + 1, 0.0), counts(frames + 1, 0.0);
    std::vector<float> block;  // one video frame's audio, read from the source
    for (std::size_t n = 0; n < frames; ++n) {
      const auto lo = std::min(
          samples, static_cast<std::size_t>(static_cast<double>(n) * audio.sample_rate() / fps_));
      const auto hi = std::min(samples, static_cast<std::size_t>(static_cast<double>(n + 1) *
                                                                 audio.sample_rate() / fps_));
      double sum = 0;
      block.resize((hi - lo) * channels);
      audio.read(static_cast<std::int64_t>(lo), hi - lo, block.data());
      for (float v : block) sum += static_cast<double>(v) * v;
      prefix[n + 1] = prefix[n] + sum;
      counts[n + 1] = counts[n] + static_cast<double>((hi - lo) * channels);
    }
    const auto half = static_cast<std::size_t>(std::lround(0.75 * fps_));
    glow_level_.resize(frames);
    for (std::size_t n = 0; n < frames; ++n) {
      const std::size_t a = n > half ? n - half : 0, b = std::min(frames, n + half + 1);
      const double count = counts[b] - counts[a];
      const double rms = count > 0 ? std::sqrt((prefix[b] - prefix[a]) / count) : 0.0;
      glow_level_[n] = static_cast<float>(std::round(std::clamp(rms * 4.0, 0.0, 1.0) * 50) / 50);
    }
  }
  // Timed words are found in order in their caption's text; one that is not there (the text was
  // edited) is skipped rather than highlighting the wrong letters.
  for (const auto& cap : timeline.captions) {
    std::vector<TimedWord> words;
    std::size_t from = 0;
    for (const auto& word : cap.words) {
      if (word.text.empty()) continue;
      const std::size_t at = cap.text.find(word.text, from);
      if (at == std::string::npos) continue;
      from = at + word.text.size();
      words.push_back({at, from, frame_at(word.start_s, fps_), frame_at(word.end_s, fps_)});
    }
    caption_words_.push_back(std::move(words));
  }
  if (!timeline.clips.empty()) {
    for (const ClipCut& c : timeline.clips) clip_first_.push_back(frame_at(c.start_s, fps_));
    clip_frames_ = std::make_unique<ClipFrames>(width_, height_);
  } else if (!options.images.empty()) {
    build_slides();
  }
  if (audio.duration_s() >= kMinCreditsVideoS) {
    credits_ = title_.empty() ? std::string() : title_ + "\n";
    credits_ += fmt::format("music generated by tonepoem\nseed {}", timeline.seed);
  }
}

FramePainter::~FramePainter() {
  if (base_) free_frame(base_);
}

// Cuts at the timeline's cut points when it has them; else at every section start and every
// fourth downbeat (phrase boundaries), or every 6 s without beats, never closer than 2.5 s. Each
// slide zooms in or out and drifts its own way.
void FramePainter::build_slides() {
  constexpr double kMinSlideS = 2.5, kPhraseBars = 4, kNoScoreSlideS = 6.0;
  const double duration = static_cast<double>(frames_) / fps_;
  std::vector<double> cuts;
  const auto& downbeats = timeline_.downbeats;
  if (!timeline_.cuts.empty()) {
    cuts = timeline_.cuts;
  } else {
    for (std::size_t k = 1; k < timeline_.sections.size(); ++k)
      cuts.push_back(timeline_.sections[k].start_s);
    for (std::size_t i = 0; i < downbeats.size(); ++i)
      if (i > 0 && i % static_cast<std::size_t>(kPhraseBars) == 0) cuts.push_back(downbeats[i]);
  }
  if (timeline_.cuts.empty() && downbeats.empty())
    for (double t = kNoScoreSlideS; t < duration; t += kNoScoreSlideS) cuts.push_back(t);
  std::sort(cuts.begin(), cuts.end());
  std::vector<double> starts{0.0};
  for (double c : cuts) {
    // Section starts win over nearby phrase cuts: drop a cut too close to the previous one.
    if (c - starts.back() >= kMinSlideS && duration - c >= kMinSlideS / 2) starts.push_back(c);
  }
  Rng rng(timeline_.seed ^ 0x736c69646573ull);  // "slides"
  for (std::size_t j = 0; j < starts.size(); ++j) {
    Slide slide;
    slide.image = j % options_.images.size();
    slide.first = frame_at(starts[j], fps_);
    slide.end = j + 1 < starts.size() ? frame_at(starts[j + 1], fps_) : frames_;
    if (j % 2) std::swap(slide.zoom_from, slide.zoom_to);
    slide.pan_x = rng.uniform(-1, 1);
    slide.pan_y = rng.uniform(-1, 1);
    slides_.push_back(slide);
  }
  image_w_ = static_cast<int>(std::ceil(width_ * 1.12));
  image_h_ = static_cast<int>(std::ceil(height_ * 1.12));
}

void FramePainter::draw_slide(cairo_t* cr, std::int64_t n) {
  auto it = std::upper_bound(slides_.begin(), slides_.end(), n,
                             [](std::int64_t f, const Slide& s) { return f < s.first; });
  const Slide& slide = *std::prev(it);
  if (!images_.count(slide.image)) {
    while (images_.size() >= 2) images_.erase(images_.begin());
    images_.emplace(slide.image,
                    load_image_cover(options_.images[slide.image], image_w_, image_h_));
  }
  cairo_surface_t* image = images_.at(slide.image).get();
  const double progress = slide.end > slide.first + 1
                              ? static_cast<double>(n - slide.first) / (slide.end - slide.first - 1)
                              : 0.0;
  const double zoom = slide.zoom_from + (slide.zoom_to - slide.zoom_from) * progress;
  const double s = zoom / 1.12;  // 1.0 shows the picture 1:1, cropped to the frame
  const double view_w = width_ / s, view_h = height_ / s;
  const double drift = progress - 0.5;
  const double ox = (image_w_ - view_w) * std::clamp(0.5 + slide.pan_x * drift, 0.0, 1.0);
  const double oy = (image_h_ - view_h) * std::clamp(0.5 + slide.pan_y * drift, 0.0, 1.0);
  cairo_save(cr);
  cairo_scale(cr, s, s);
  cairo_set_source_surface(cr, image, -ox, -oy);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint(cr);
  cairo_restore(cr);
}

void FramePainter::draw_clip(cairo_t* cr, std::int64_t n) {
  const auto it = std::upper_bound(clip_first_.begin(), clip_first_.end(), n);
  const std::size_t k =
      it == clip_first_.begin() ? 0 : static_cast<std::size_t>(std::prev(it) - clip_first_.begin());
  const ClipCut& cut = timeline_.clips[k];
  // The clip plays at its own speed from its in point: this frame's time in it.
  const double t = cut.in_s + static_cast<double>(n - clip_first_[k]) / fps_;
  cairo_surface_t* frame = clip_frames_->frame_at(cut.clip, t);
  cairo_save(cr);
  cairo_set_source_surface(cr, frame, clip_frames_->offset_x(), clip_frames_->offset_y());
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint(cr);
  cairo_restore(cr);
}

Look FramePainter::look_at(double t) const {
  const auto& sections = timeline_.sections;
  if (sections.empty()) return {emotion_colour(Emotion{}), 0.0};
  Look look{emotion_colour(sections.front().emotion), sections.front().emotion.tension};
  for (std::size_t k = 1; k < sections.size(); ++k) {
    const auto& cue = sections[k];
    const double w = smoothstep((t - (cue.start_s - kCrossFadeS / 2)) / kCrossFadeS);
    if (w <= 0) break;
    look.colour = mix(look.colour, emotion_colour(cue.emotion), w);
    look.tension += (std::clamp(cue.emotion.tension, 0.0, 1.0) - look.tension) * w;
  }
  return look;
}

double FramePainter::pulse_at(std::int64_t n) const {
  auto it = std::upper_bound(beat_frames_.begin(), beat_frames_.end(), n);
  if (it == beat_frames_.begin()) return 0.0;
  const auto i = static_cast<std::size_t>(std::distance(beat_frames_.begin(), it) - 1);
  const double dt = static_cast<double>(n - beat_frames_[i]) / fps_;
  return (downbeat_[i] ? 1.0 : 0.6) * std::exp(-dt / 0.14);
}

double FramePainter::glow_level_at(std::int64_t n) const {
  if (glow_level_.empty()) return 0.0;
  return glow_level_[static_cast<std::size_t>(
      std::clamp<std::int64_t>(n, 0, static_cast<std::int64_t>(glow_level_.size()) - 1))];
}

const std::vector<float>& FramePainter::spectrum_at(std::int64_t n, float* rms) {
  if (n != last_frame_) {
    std::int64_t from = n;
    if (n != last_frame_ + 1) {
      smoother_ = SpectrumSmoother(fps_);
      from = std::max<std::int64_t>(0, n - static_cast<std::int64_t>(fps_));
    }
    for (std::int64_t k = from; k <= n; ++k)
      smoother_.update(analyzer_.analyze(static_cast<double>(k) / fps_, &last_rms_));
    last_frame_ = n;
  }
  *rms = last_rms_;
  return smoother_.value();
}

const TextSprite& FramePainter::sprite(const std::string& key, const std::string& text,
                                       const TextStyle& style, const TextEmphasis* emphasis) {
  auto it = sprites_.find(key);
  if (it == sprites_.end()) {
    if (sprites_.size() >= kSpriteCacheSize) {
      auto oldest = std::min_element(
          sprites_.begin(), sprites_.end(),
          [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
      sprites_.erase(oldest);
    }
    it = sprites_.emplace(key, CachedSprite{text_.render(text, style, emphasis), 0}).first;
  }
  it->second.used = ++use_clock_;
  return it->second.sprite;
}

void FramePainter::vignette(cairo_t* cr, double inner, double alpha) {
  if (!vignette_) {
    const double diag = std::hypot(width_, height_) / 2;
    vignette_ = radial_mask(width_, height_, 1.0, 1.0, width_ / 2.0, height_ / 2.0, diag * inner,
                            diag, 0.0, 1.0);
  }
  cairo_set_source_rgba(cr, 0, 0, 0, alpha);
  cairo_mask_surface(cr, vignette_.get(), 0, 0);
}

void FramePainter::draw_background(cairo_t* cr, const Look& look) {
  const auto same = [](double a, double b) { return std::fabs(a - b) < 1.0 / 2048; };
  if (!background_ || !same(look.colour.r, background_look_.colour.r) ||
      !same(look.colour.g, background_look_.colour.g) ||
      !same(look.colour.b, background_look_.colour.b) ||
      !same(look.tension, background_look_.tension)) {
    if (!background_)
      background_.reset(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width_, height_));
    cairo_t* bg = cairo_create(background_.get());
    const Rgb& c = look.colour;
    if (shows_pictures()) {
      // A colour grade over the pictures: a wash of the emotion colour and a tension vignette
      // (lighter over video clips, whose own colours and light carry the picture).
      const bool clips = !clip_first_.empty();
      cairo_set_operator(bg, CAIRO_OPERATOR_SOURCE);
      cairo_set_source_rgba(bg, c.r, c.g, c.b, clips ? 0.15 : 0.30);
      cairo_paint(bg);
      cairo_set_operator(bg, CAIRO_OPERATOR_OVER);
      vignette(bg, 0.4, (clips ? 0.5 : 1.0) * (0.35 + 0.45 * look.tension));
    } else {
      style_->draw_background(bg, geometry_, look, *this);
    }
    cairo_destroy(bg);
    background_look_ = look;
    ++background_version_;
  }
  if (layout_ || part_ == Part::over) return;  // paint_yuv starts from its conversion
  cairo_set_operator(cr, shows_pictures() ? CAIRO_OPERATOR_OVER : CAIRO_OPERATOR_SOURCE);
  cairo_set_source_surface(cr, background_.get(), 0, 0);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
}

void FramePainter::glow(cairo_t* cr, double cx, double cy, double rx, double ry, const Rgb& tint,
                        double alpha) {
  const int w = static_cast<int>(std::ceil(rx * 2)), h = static_cast<int>(std::ceil(ry * 2));
  if (!glow_ || glow_w_ != w || glow_h_ != h) {
    // An elliptical radial fade, drawn once as a mask and filled with each frame's tint and alpha.
    glow_ = radial_mask(w, h, w / 2.0, h / 2.0, 1, 1, 0, 1, 1.0, 0.0);
    glow_w_ = w;
    glow_h_ = h;
    ++glow_version_;
  }
  const double x = std::round(cx - w / 2.0), y = std::round(cy - h / 2.0);
  alpha = std::clamp(alpha, 0.0, 1.0);
  if (layout_) {
    // Drawn straight over the background in every style that has one: blended in YUV.
    layout_->glow = true;
    layout_->glow_x = static_cast<int>(x);
    layout_->glow_y = static_cast<int>(y);
    layout_->glow_tint = tint;
    layout_->glow_alpha = alpha;
    return;
  }
  if (part_ == Part::over) return;
  cairo_set_source_rgba(cr, tint.r, tint.g, tint.b, alpha);
  cairo_mask_surface(cr, glow_.get(), x, y);
}

void FramePainter::draw_sprite(cairo_t* cr, const TextSprite& s, double cx, double cy,
                               double alpha) {
  if (alpha <= 0) return;
  const double x = std::round(cx - s.width / 2.0), y = std::round(cy - s.height / 2.0);
  if (layout_) {
    layout_->sprites.push_back({s.surface.get(), static_cast<int>(x), static_cast<int>(y), alpha});
    return;
  }
  if (part_ == Part::under) return;
  // For paint_yuv's boxes only where it reaches into one: elsewhere it is painted in YUV.
  if (part_ == Part::over && std::none_of(boxes_->begin(), boxes_->end(), [&](const Box& b) {
        return x < b.x1 && x + s.width > b.x0 && y < b.y1 && y + s.height > b.y0;
      }))
    return;
  cairo_set_source_surface(cr, s.surface.get(), x, y);
  cairo_paint_with_alpha(cr, std::min(alpha, 1.0));
}

void FramePainter::fill_rects(cairo_t* cr, const std::vector<FillRect>& rects, const Rgb& colour,
                              double alpha) {
  if (layout_) {
    layout_->fills.push_back({rects, colour, alpha});
    return;
  }
  if (part_ == Part::under) return;
  bool any = false;
  for (const FillRect& r : rects) {
    // For paint_yuv's boxes only those that reach into one: the rest are filled in YUV.
    if (part_ == Part::over && std::none_of(boxes_->begin(), boxes_->end(), [&](const Box& b) {
          return r.x0 < b.x1 && r.x1 > b.x0 && r.y0 < b.y1 && r.y1 > b.y0;
        }))
      continue;
    cairo_rectangle(cr, r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
    any = true;
  }
  if (!any) return;
  cairo_set_source_rgba(cr, colour.r, colour.g, colour.b, alpha);
  cairo_fill(cr);
}

void FramePainter::fill(cairo_t* cr) {
  finish_path(cr, cairo_fill, cairo_fill_extents);
}

void FramePainter::stroke(cairo_t* cr) {
  finish_path(cr, cairo_stroke, cairo_stroke_extents);
}

void FramePainter::finish_path(cairo_t* cr, void (*paint_path)(cairo_t*),
                               void (*extents)(cairo_t*, double*, double*, double*, double*)) {
  if (!layout_ && part_ != Part::under) {
    paint_path(cr);
    return;
  }
  if (layout_) {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    extents(cr, &x0, &y0, &x1, &y1);
    note_box(x0, y0, x1, y1);
  }
  cairo_new_path(cr);
}

// Widened by a pixel for antialiasing, to even coordinates for the chroma, clipped to the frame.
void FramePainter::note_box(double x0, double y0, double x1, double y1) {
  if (!(x1 > x0 && y1 > y0)) return;
  const auto down = [](double v, int hi) {
    return std::clamp(static_cast<int>(std::floor(v)) - 1, 0, hi) & ~1;
  };
  const auto up = [](double v, int hi) {
    return std::clamp((static_cast<int>(std::ceil(v)) + 2) & ~1, 0, hi);
  };
  const Box box{down(x0, width_), down(y0, height_), up(x1, width_), up(y1, height_)};
  if (box.x1 > box.x0 && box.y1 > box.y0) layout_->boxes.push_back(box);
}

void FramePainter::draw_texts(cairo_t* cr, std::int64_t n) {
  const double t = static_cast<double>(n) / fps_;
  const double duration = static_cast<double>(frames_) / fps_;
  const double text_width = geometry_.text_width();
  const double outline = geometry_.outline();

  // Opening title, fading out.
  if (!title_.empty()) {
    const double end = std::min(kTitleS, 0.35 * duration);
    if (n < frame_at(end, fps_)) {
      TextStyle st;
      st.size_px = unit_ * 0.085;
      st.bold = true;
      st.box = false;
      st.outline_px = outline * 1.2;
      st.max_width_px = text_width;
      draw_sprite(cr, sprite("title", title_, st), width_ / 2.0, height_ * 0.22,
                  std::clamp((end - t) / 0.6, 0.0, 1.0));
    }
  }
  // Section title cards at each cue's start (the first only when there is no title).
  for (std::size_t k = 0; k < timeline_.sections.size(); ++k) {
    const auto& cue = timeline_.sections[k];
    if (cue.name.empty() || (k == 0 && !title_.empty())) continue;
    const std::int64_t start = frame_at(cue.start_s, fps_);
    const double length = std::min(kSectionCardS, cue.end_s - cue.start_s);
    if (n < start || n >= frame_at(cue.start_s + length, fps_)) continue;
    TextStyle st;
    st.size_px = unit_ * 0.05;
    st.box = false;
    st.outline_px = outline;
    st.max_width_px = text_width;
    const double since = t - cue.start_s, until = cue.start_s + length - t;
    const double alpha = std::min({0.25 + since / 0.4, until / 0.5, 1.0});
    draw_sprite(cr, sprite(fmt::format("cue{}", k), cue.name, st), width_ / 2.0, height_ * 0.14,
                alpha);
  }
  // Closing credits.
  if (!credits_.empty()) {
    const double start = duration - std::min(kCreditsS, 0.25 * duration);
    if (n >= frame_at(start, fps_)) {
      TextStyle st;
      st.size_px = unit_ * 0.045;
      st.box = false;
      st.outline_px = outline;
      st.max_width_px = text_width;
      draw_sprite(cr, sprite("credits", credits_, st), width_ / 2.0, height_ * 0.3,
                  std::min(1.0, 0.2 + (t - start) / 0.8));
    }
  }
  // The caption of the sentence being told.
  for (std::size_t i = 0; i < timeline_.captions.size(); ++i) {
    const auto& cap = timeline_.captions[i];
    const std::int64_t first = frame_at(cap.start_s, fps_), end = frame_at(cap.end_s, fps_);
    if (n < first || n >= end || cap.text.empty()) continue;
    const double fade = std::max(1.0, 0.15 * fps_);
    const double alpha = std::min({0.5 + 0.5 * static_cast<double>(n - first) / fade,
                                   0.5 + 0.5 * static_cast<double>(end - 1 - n) / fade, 1.0});
    const TextStyle st = style_->caption_style(geometry_, cap.emotion);
    TextEmphasis emphasis;
    std::string key = fmt::format("caption{}", i);
    const bool timed = word_emphasis(i, n, &emphasis, &key);
    const TextSprite& s = sprite(key, cap.text, st, timed ? &emphasis : nullptr);
    draw_sprite(cr, s, width_ / 2.0, style_->caption_centre_y(geometry_, s.height), alpha);
    break;
  }
}

// The word being heard is the last one started at frame n, while it lasts; the words before it
// are drawn as heard and those after it dimmed.
bool FramePainter::word_emphasis(std::size_t i, std::int64_t n, TextEmphasis* emphasis,
                                 std::string* key) const {
  if (i >= caption_words_.size() || caption_words_[i].empty()) return false;
  const auto& words = caption_words_[i];
  std::size_t started = 0;  // words started by frame n
  while (started < words.size() && words[started].first <= n) ++started;
  emphasis->upcoming_from = started < words.size() ? words[started].begin : std::string::npos;
  bool current = false;
  if (started > 0 && n < words[started - 1].last) {
    emphasis->current_begin = words[started - 1].begin;
    emphasis->current_end = words[started - 1].end;
    current = true;
  }
  *key += fmt::format("w{}{}", started, current ? "c" : "");
  return true;
}

void FramePainter::paint(std::int64_t n, cairo_surface_t* target) {
  cairo_t* cr = cairo_create(target);
  draw(cr, n);
  cairo_destroy(cr);
  cairo_surface_flush(target);
}

void FramePainter::paint_yuv(std::int64_t n, cairo_surface_t* scratch, BgraToYuv& converter,
                             AVFrame* out) {
  converter.prepare(out);
  const std::uint8_t* data = cairo_image_surface_get_data(scratch);
  const int stride = cairo_image_surface_get_stride(scratch);
  if (shows_pictures() || style_->draws_whole()) {
    paint(n, scratch);
    converter.convert_box(data, stride, 0, 0, width_, height_, out);
    return;
  }
  // First where things go, then the background and glow in YUV, then the rest in its boxes.
  Layout layout;
  layout_ = &layout;
  cairo_t* cr = cairo_create(scratch);
  cairo_save(cr);
  draw(cr, n);
  cairo_restore(cr);
  layout_ = nullptr;
  if (!base_ || base_version_ != background_version_) {
    if (!base_) base_ = alloc_yuv_frame(width_, height_);
    cairo_surface_flush(background_.get());
    converter.convert(cairo_image_surface_get_data(background_.get()),
                      cairo_image_surface_get_stride(background_.get()), base_);
    base_version_ = background_version_;
  }
  if (layout.glow) {
    if (glow_yuv_glow_ != glow_version_ || glow_yuv_x_ != layout.glow_x ||
        glow_yuv_y_ != layout.glow_y) {
      glow_yuv_.build(glow_.get(), layout.glow_x, layout.glow_y, width_, height_);
      glow_yuv_glow_ = glow_version_;
      glow_yuv_x_ = layout.glow_x;
      glow_yuv_y_ = layout.glow_y;
    }
    // The background and the glow over it in one pass.
    glow_yuv_.apply(layout.glow_tint.r, layout.glow_tint.g, layout.glow_tint.b, layout.glow_alpha,
                    base_, out);
  } else {
    for (int plane = 0; plane < 3; ++plane) {
      const int rows = plane ? height_ / 2 : height_;
      const int bytes = plane ? width_ / 2 : width_;
      for (int y = 0; y < rows; ++y)
        std::memcpy(out->data[plane] + static_cast<std::ptrdiff_t>(y) * out->linesize[plane],
                    base_->data[plane] + static_cast<std::ptrdiff_t>(y) * base_->linesize[plane],
                    static_cast<std::size_t>(bytes));
    }
  }
  for (const auto& f : layout.fills)
    for (const FillRect& r : f.rects)
      fill_rect_yuv(r.x0, r.y0, r.x1, r.y1, f.colour.r, f.colour.g, f.colour.b, f.alpha, out);
  for (const auto& use : layout.sprites) sprite_layer(use).apply(use.alpha, out);
  if (!layout.boxes.empty()) {
    // Only the background and the glow are clipped to the boxes: Cairo rasterizes paths and
    // strokes a little differently under a clip, so the rest is drawn whole, as paint() does.
    cairo_save(cr);
    for (const Box& b : layout.boxes) cairo_rectangle(cr, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
    cairo_clip(cr);
    part_ = Part::under;
    draw(cr, n);
    cairo_restore(cr);
    part_ = Part::over;
    boxes_ = &layout.boxes;
    draw(cr, n);
    part_ = Part::all;
    boxes_ = nullptr;
    cairo_surface_flush(scratch);
    for (const Box& b : layout.boxes)
      converter.convert_box(data, stride, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0, out);
  }
  cairo_destroy(cr);
}

const YuvLayer& FramePainter::sprite_layer(const SpriteUse& use) {
  auto it = std::find_if(sprite_layers_.begin(), sprite_layers_.end(), [&](const auto& l) {
    return l.surface.get() == use.surface && l.x == use.x && l.y == use.y;
  });
  if (it == sprite_layers_.end()) {
    if (sprite_layers_.size() >= kSpriteCacheSize)
      sprite_layers_.erase(
          std::min_element(sprite_layers_.begin(), sprite_layers_.end(),
                           [](const auto& a, const auto& b) { return a.used < b.used; }));
    // Holding a reference keeps the surface's address from being reused by another sprite.
    SpriteLayer layer{SurfacePtr(cairo_surface_reference(use.surface)), use.x, use.y, {}, 0};
    layer.layer.build(use.surface, use.x, use.y, width_, height_);
    sprite_layers_.push_back(std::move(layer));
    it = std::prev(sprite_layers_.end());
  }
  it->used = ++use_clock_;
  return it->layer;
}

void FramePainter::draw(cairo_t* cr, std::int64_t n) {
  const double t = static_cast<double>(n) / fps_;
  const Look look = look_at(t);
  if (!clip_first_.empty())
    draw_clip(cr, n);
  else if (!slides_.empty())
    draw_slide(cr, n);
  draw_background(cr, look);
  float rms = 0;
  const auto& levels = spectrum_at(n, &rms);
  style_->draw_music(cr, MusicFrame{n, t, look, levels, rms, pulse_at(n), glow_level_at(n)}, *this);
  draw_texts(cr, n);
}

}  // namespace tonepoem::video
