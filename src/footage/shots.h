// Shots of a film: where the picture changes (hard cuts frame-exact, fades through black or a
// colour, dissolves) and what
// each shot looks like (brightness, colour, motion). The detector is fed one frame's small
// features at a time and decides each frame a fixed number of frames later, so memory does not
// grow with the length of the film.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tonepoem {

// What one decoded frame is reduced to: histograms of a downscaled copy (luma in 32 bins, each
// chroma plane in 16, each normalised to sum 1) and its luma grid for motion.
inline constexpr int kLumaBins = 32, kChromaBins = 16;
inline constexpr int kGridWidth = 64, kGridHeight = 36;
struct FrameFeatures {
  std::int64_t index = 0;  // frame number from 0, in presentation order
  double time_s = 0;       // presentation time from the first frame
  std::array<float, kLumaBins> luma{};
  std::array<float, kChromaBins> cb{}, cr{};
  double brightness = 0;  // mean luma, 0..1
  double saturation = 0;  // mean chroma distance from grey, 0..1
  std::array<std::uint8_t, kGridWidth * kGridHeight> grid{};  // luma, kGridWidth x kGridHeight
};
// Distance between two frames' colour distributions, 0 (same) .. 1 (disjoint): half the L1
// distance of the luma histograms weighted 1/2, of each chroma histogram 1/4.
double histogram_distance(const FrameFeatures& a, const FrameFeatures& b);

enum class CutKind { hard, fade, dissolve };
std::string_view cut_kind_name(CutKind kind);

struct Cut {
  std::int64_t frame = 0;  // the first frame of the new shot
  double time_s = 0;       // that frame's presentation time
  CutKind kind = CutKind::hard;
  double strength = 0;  // the histogram distance across the cut (hard), 0..1
};

struct Shot {
  std::int64_t first_frame = 0, end_frame = 0;  // [first_frame, end_frame)
  double start_s = 0, end_s = 0;
  double brightness = 0;  // mean over the shot's frames, 0..1
  double saturation = 0;  // 0..1
  double motion = 0;      // mean absolute luma change between consecutive frames, 0..1
  double contrast = 0;    // mean over the frames of the luma's standard deviation, 0..0.5
};

struct ShotOptions {
  // A hard cut: the histogram distance to the previous frame is at least `min_cut_distance` and
  // at least `sigma` standard deviations above the mean distance of the `window` frames on
  // either side, the two largest left out (an adaptive threshold: busy shots need a larger jump;
  // another cut or a flash nearby does not raise it).
  double min_cut_distance = 0.3;
  double sigma = 4.0;
  int window = 12;
  // ... and at least `min_ratio` times that mean (a fade or a zoom changes every frame a lot).
  double min_ratio = 3.0;
  // A flash (a camera flash, a white or black frame or two): the picture jumps and, within
  // `max_flash_frames`, comes back to within `flash_return_distance` of the frame before the
  // jump. Not a cut.
  int max_flash_frames = 2;
  double flash_return_distance = 0.25;
  // A fade through black or a colour: blank frames (darker than `black_brightness` mean luma, or
  // a flat field of one colour, the luma's spread under `flat_contrast`) entered without a hard
  // cut; the new shot starts at the first frame after the blank run. A blank run whose colour
  // drifts `blank_recolour_distance` from its first frame (a solid shot fading to black) counts
  // as entered gradually from there.
  double black_brightness = 0.06;
  double flat_contrast = 0.02;
  double blank_recolour_distance = 0.4;
  // A dissolve: a run of at least `min_dissolve_run` frames over each of which the mean
  // histograms of the 5 frames ending 4 before it and of the 5 starting 3 after it are at least
  // `dissolve_distance` apart, with no blank frame among them. Means of several frames, so busy
  // pictures (moving patterns, key-frame pumping) do not add up; a hard cut makes such a run too,
  // but of at most 15 frames. The new shot starts in the run's middle, and jumps inside the run
  // are part of the dissolve, not cuts. Frames in a run are decided when it ends (memory: at most
  // `max_dissolve_run` frames' features).
  double dissolve_distance = 0.25;
  int min_dissolve_run = 18;
  int max_dissolve_run = 250;
  bool dissolves = true;
  // Decode for analysis without the codec's in-loop deblocking (H.264, HEVC) and with its fast
  // shortcuts: the features are means over a coarse grid, which the filter barely moves, and
  // the film is decoded a fifth faster (a 720p veryfast H.264 clip, ffmpeg -f null: 2.6 s
  // against 2.2 s a minute). The picture shown (mv --clips) is decoded in full elsewhere.
  bool fast_decode = true;
};

// The streaming detector. Feed frames in order with push(); each frame is decided `window`
// frames later (finish() decides the rest). Cuts and shots come out in order.
class ShotDetector {
 public:
  explicit ShotDetector(ShotOptions options = {});
  void push(const FrameFeatures& frame);
  // Ends the film at `duration_s` (the last frame's end) and closes the last shot.
  void finish(double duration_s);

  const std::vector<Cut>& cuts() const { return cuts_; }
  const std::vector<Shot>& shots() const { return shots_; }
  int flashes_ignored() const { return flashes_; }

 private:
  struct Entry {
    FrameFeatures features;
    double distance = 0;  // to the previous frame (0 for the first)
    double motion = 0;    // mean absolute luma change from the previous frame, 0..1
    double contrast = 0;  // the luma grid's standard deviation, 0..0.5
    bool blank = false;   // dark, or a flat field of one colour
  };
  void decide_front();
  // Distance between the mean histograms of frames [q-8, q-4] and [q+3, q+7] of pending_, or -1
  // where pending_ does not reach.
  double span_distance(std::size_t q) const;
  // A decided frame with the cut it starts, if any: emitted now, or held while a possible
  // dissolve runs.
  struct Decided {
    Entry entry;
    bool cut = false;
    Cut what;
  };
  void settle(Decided decided, bool in_dissolve_run, bool blank_near);
  void release_held(bool run_ended);
  void commit(const Decided& decided);
  void emit(const Entry& entry, bool cut_here);

  ShotOptions options_;
  std::deque<Entry> pending_;           // frames [decided - 1 - window, newest]: context both ways
  std::size_t decide_at_ = 0;           // index in pending_ of the next frame to decide
  std::int64_t suppressed_until_ = -1;  // frames up to this one are a flash's return
  bool in_black_ = false, black_entered_by_cut_ = false, black_from_start_ = false;
  std::int64_t black_start_ = 0;
  FrameFeatures blank_first_;  // the blank run's first frame (or where its colour last drifted)
  std::vector<Decided> held_;  // a run that may be a dissolve
  bool held_blank_ = false;
  std::vector<Cut> cuts_;
  std::vector<Shot> shots_;
  Shot current_;
  std::int64_t current_frames_ = 0;
  int flashes_ = 0;
};

void to_json(nlohmann::json& j, const Cut& c);
void from_json(const nlohmann::json& j, Cut& c);
void to_json(nlohmann::json& j, const Shot& s);
void from_json(const nlohmann::json& j, Shot& s);

}  // namespace tonepoem
