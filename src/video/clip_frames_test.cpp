#include "video/clip_frames.h"
#include "video/image.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace tonepoem::video {
namespace {

namespace fs = std::filesystem;

// A 320x180 clip, red on its left half and blue on its right, with a display matrix turning it
// `rotation` degrees counter-clockwise (as a phone writes a portrait video), made with the ffmpeg
// program. Empty when ffmpeg fails.
fs::path turned_clip(int rotation) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-clip-frames-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path plain = dir / "plain.mp4",
                 turned = dir / ("turned-" + std::to_string(rotation) + ".mp4");
  const std::string make =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "'color=c=blue:s=320x180:r=25:d=1,drawbox=x=0:y=0:w=160:h=180:color=red:t=fill' "
      "-c:v libx264 -pix_fmt yuv420p '" +
      plain.string() +
      "' && ffmpeg -nostdin -loglevel error "
      "-y -i '" +
      plain.string() + "' -c copy -metadata:s:v:0 rotate=" + std::to_string(rotation) + " '" +
      turned.string() + "'";
  if (std::system(make.c_str()) != 0) return {};
  return turned;
}

// The colour at (x, y) of the frame as drawn: red minus blue (> 0: red, < 0: blue).
int red_minus_blue(cairo_surface_t* surface, const ClipFrames& frames, int x, int y) {
  const int sx = x - static_cast<int>(frames.offset_x()),
            sy = y - static_cast<int>(frames.offset_y());
  const std::uint8_t* row =
      cairo_image_surface_get_data(surface) + sy * cairo_image_surface_get_stride(surface);
  const std::uint8_t* px = row + 4 * sx;  // BGRA in memory
  return int(px[2]) - int(px[0]);
}

// A phone's portrait clip (landscape frames and a display matrix) is shown upright: turned 90
// degrees counter-clockwise, the red left half is at the bottom of a portrait frame.
TEST(ClipFrames, APhoneClipIsTurnedUprightByItsDisplayMatrix) {
  const fs::path ninety = turned_clip(90);
  ASSERT_FALSE(ninety.empty()) << "ffmpeg could not make the test clip";
  ClipFrames portrait(180, 320);
  cairo_surface_t* f = portrait.frame_at(ninety.string(), 0.5);
  EXPECT_LT(red_minus_blue(f, portrait, 90, 40), -100) << "top: blue (the clip's right half)";
  EXPECT_GT(red_minus_blue(f, portrait, 90, 280), 100) << "bottom: red (its left half)";

  const fs::path two_seventy = turned_clip(270);
  ASSERT_FALSE(two_seventy.empty());
  f = portrait.frame_at(two_seventy.string(), 0.5);
  EXPECT_GT(red_minus_blue(f, portrait, 90, 40), 100) << "turned clockwise: red on top";
  EXPECT_LT(red_minus_blue(f, portrait, 90, 280), -100);

  const fs::path one_eighty = turned_clip(180);
  ASSERT_FALSE(one_eighty.empty());
  ClipFrames landscape(320, 180);
  f = landscape.frame_at(one_eighty.string(), 0.5);
  EXPECT_LT(red_minus_blue(f, landscape, 40, 90), -100) << "upside down: blue on the left";
  EXPECT_GT(red_minus_blue(f, landscape, 280, 90), 100);

  const fs::path none = turned_clip(0);
  ASSERT_FALSE(none.empty());
  f = landscape.frame_at(none.string(), 0.5);
  EXPECT_GT(red_minus_blue(f, landscape, 40, 90), 100) << "no matrix: as decoded";
  EXPECT_LT(red_minus_blue(f, landscape, 280, 90), -100);
  fs::remove_all(ninety.parent_path());
}

// Anamorphic video (pixels twice as wide as tall) is shown at its display aspect: a 160x180 clip
// with a 2:1 sample aspect ratio covers a 320x180 frame without being cropped, so its red top 20
// rows are at the top of the frame.
TEST(ClipFrames, AnamorphicPixelsAreShownAtTheirAspect) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-clip-sar-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path clip = dir / "wide-pixels.mp4";
  const std::string make =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "'color=c=blue:s=160x180:r=25:d=1,drawbox=x=0:y=0:w=160:h=20:color=red:t=fill,setsar=2' "
      "-c:v libx264 -pix_fmt yuv420p '" +
      clip.string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0) << "ffmpeg could not make the test clip";
  ClipFrames frames(320, 180);
  cairo_surface_t* f = frames.frame_at(clip.string(), 0.5);
  EXPECT_EQ(frames.offset_y(), 0.0) << "nothing cropped top or bottom";
  EXPECT_GT(red_minus_blue(f, frames, 160, 5), 100) << "the red top rows are on top";
  EXPECT_LT(red_minus_blue(f, frames, 160, 100), -100);
  fs::remove_all(dir);
}

// After a seek the decoder skips the frames no other refers to until near the time asked: the
// frame shown is still the one a reading from the start shows, B-frames included.
TEST(ClipFrames, AFrameReachedBySeekingIsTheFrameReadInOrder) {
  const fs::path dir =
      fs::temp_directory_path() / ("tonepoem-clip-seek-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path clip = dir / "counter.mp4";
  // testsrc draws a frame counter: every frame differs. One key frame, B-frames between P-frames.
  const std::string make =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i 'testsrc=s=320x180:r=25:d=10' "
      "-c:v libx264 -preset medium -bf 3 -g 250 -pix_fmt yuv420p '" +
      clip.string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0) << "ffmpeg could not make the test clip";
  const auto pixels = [](cairo_surface_t* f) {
    cairo_surface_flush(f);
    const std::uint8_t* data = cairo_image_surface_get_data(f);
    return std::string(reinterpret_cast<const char*>(data),
                       static_cast<std::size_t>(cairo_image_surface_get_stride(f)) *
                           static_cast<std::size_t>(cairo_image_surface_get_height(f)));
  };
  const double times[] = {3.0, 5.52, 7.0, 7.04, 7.08, 9.96};
  std::vector<std::string> in_order;
  ClipFrames reader(320, 180);
  int read = 0;
  for (const double wanted : times) {  // the frame at or before each time, read in order
    const int last = static_cast<int>(std::floor(wanted * 25 + 1e-6));
    cairo_surface_t* f = nullptr;
    for (; read <= last; ++read) f = reader.frame_at(clip.string(), read / 25.0);
    in_order.push_back(pixels(f));
  }
  ASSERT_EQ(in_order.size(), std::size(times));
  for (std::size_t k = 0; k < std::size(times); ++k) {
    ClipFrames seeker(320, 180);
    EXPECT_EQ(pixels(seeker.frame_at(clip.string(), times[k])), in_order[k]) << times[k] << " s";
  }
  EXPECT_NE(in_order[3], in_order[4]) << "the clip's frames differ";
  fs::remove_all(dir);
}

// A phone photo: a JPEG whose EXIF Orientation tag says how to turn it (6: 90 degrees clockwise).
// The same red-left, blue-right picture, with the tag written into an APP1 segment by hand.
fs::path photo_with_orientation(int orientation) {
  const fs::path dir = fs::temp_directory_path() / ("tonepoem-photo-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path plain = dir / "plain.jpg", tagged = dir / "tagged.jpg";
  const std::string make =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "'color=c=blue:s=320x180,drawbox=x=0:y=0:w=160:h=180:color=red:t=fill' -frames:v 1 '" +
      plain.string() + "'";
  if (std::system(make.c_str()) != 0) return {};
  std::ifstream in(plain, std::ios::binary);
  const std::string jpeg{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // "Exif\0\0", a big-endian TIFF header, one IFD entry: 0x0112 (Orientation), SHORT, 1 value.
  const std::string exif =
      std::string("Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0", 25) +
      static_cast<char>(orientation) + std::string(6, '\0');
  const std::size_t length = exif.size() + 2;
  std::ofstream out(tagged, std::ios::binary);
  out << jpeg.substr(0, 2) << '\xff' << '\xe1' << static_cast<char>(length >> 8)
      << static_cast<char>(length & 0xff) << exif << jpeg.substr(2);
  return tagged;
}

TEST(LoadImageCover, APhonePhotoIsTurnedUprightByItsOrientation) {
  const fs::path photo = photo_with_orientation(6);
  ASSERT_FALSE(photo.empty()) << "ffmpeg could not make the test picture";
  // Turned 90 degrees clockwise: the red left half is on top of a portrait picture.
  const SurfacePtr upright = load_image_cover(photo, 180, 320);
  ASSERT_EQ(cairo_image_surface_get_width(upright.get()), 180);
  ASSERT_EQ(cairo_image_surface_get_height(upright.get()), 320);
  const auto at = [&](int x, int y) {
    const std::uint8_t* px = cairo_image_surface_get_data(upright.get()) +
                             y * cairo_image_surface_get_stride(upright.get()) + 4 * x;
    return int(px[2]) - int(px[0]);  // red minus blue
  };
  EXPECT_GT(at(90, 40), 100) << "top: red";
  EXPECT_LT(at(90, 280), -100) << "bottom: blue";
  fs::remove_all(photo.parent_path());
}

}  // namespace
}  // namespace tonepoem::video
