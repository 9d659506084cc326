// The user's video clips on the picture track (Timeline::clips): one clip decoded at a time, as a
// stream, each frame turned upright by the clip's display matrix (a phone's portrait video) and
// scaled to cover the video's frame (keeping its aspect ratio; the painter centre-crops it). Only the frame shown and the one after it are held, so memory does not grow
// with the clips' length. Private to the video stage.
#pragma once

#include <cairo.h>

#include <memory>
#include <string>

#include "video/text.h"

namespace tonepoem::video {

class ClipFrames {
 public:
  // Frames are scaled to cover width x height.
  ClipFrames(int width, int height);
  ~ClipFrames();
  ClipFrames(const ClipFrames&) = delete;
  ClipFrames& operator=(const ClipFrames&) = delete;

  // The picture `file` shows at `t` seconds from its first frame (the last frame that starts at
  // or before t; past its end, its last frame), as an opaque ARGB32 surface of at least the
  // frame's size, centred by offset_x() and offset_y(). Times are meant to rise within a clip;
  // another file, or a time before the one shown, re-opens and seeks. A clip that stops decoding
  // keeps its last good frame (black if none). Throws Error(bad_input) naming the file when it
  // cannot be opened as a video.
  cairo_surface_t* frame_at(const std::string& file, double t);
  // Where to draw the surface so that its centre is the frame's: minus half the overhang.
  double offset_x() const;
  double offset_y() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tonepoem::video
