// Fuzzes our handling of what libsndfile and FFmpeg return for a file from elsewhere: the bytes
// are written to a scratch file and opened as a user's file would be. TONEPOEM_FUZZ_FORMAT picks
// the reader:
//   audio      read_audio and open_audio (a song for mv, a WAV for video, judge --audio)
//   video      analyze_footage and read_embedded_subtitles (tonepoem score VIDEO, mv --clips)
//   mv_lyrics  mv's lyrics reader (read_lyrics: LRC, enhanced LRC, SRT, WebVTT, plain)
// Error is the expected answer to a file that is not what it claims; what is accepted must keep
// the header's promises (frames that read, shots that cover the film, captions inside the song).
// A crash, a sanitizer report, another exception or a broken promise is a bug.
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "audio/audio.h"
#include "core/error.h"
#include "footage/footage.h"
#include "footage/subtitle_stream.h"
#include "jobs/mv_job.h"

namespace fs = std::filesystem;

namespace {

enum class Reader { audio, video, mv_lyrics };

Reader reader() {
  static const Reader r = [] {
    const char* f = std::getenv("TONEPOEM_FUZZ_FORMAT");
    const std::string_view name = f ? f : "audio";
    if (name == "video") return Reader::video;
    if (name == "mv_lyrics") return Reader::mv_lyrics;
    if (name != "audio") {
      std::fprintf(stderr, "TONEPOEM_FUZZ_FORMAT: audio, video or mv_lyrics, not %s\n", f);
      std::abort();
    }
    return Reader::audio;
  }();
  return r;
}

const fs::path& scratch() {
  static const fs::path path = [] {
    const fs::path dir =
        fs::temp_directory_path() / ("tonepoem_media_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    // No extension: the readers go by content, as for a file named oddly (mv's lyrics reader
    // then takes LRC by its tags and anything else as plain lines).
    return dir / "input";
  }();
  return path;
}

void check(bool promise) {
  if (!promise) std::abort();
}

void read_as_audio(const fs::path& file) {
  const tonepoem::AudioBuffer whole = tonepoem::read_audio(file);
  check(whole.channels > 0 && whole.sample_rate > 0);
  check(whole.samples.size() % static_cast<std::size_t>(whole.channels) == 0);
  const auto source = tonepoem::open_audio(file);
  check(source->frames() == whole.frames());
  std::vector<float> block(static_cast<std::size_t>(source->channels()) * 4096);
  for (std::size_t f = 0; f < source->frames() && f < 1 << 16; f += 4096)
    source->read(static_cast<std::int64_t>(f), 4096, block.data());
}

void read_as_video(const fs::path& file) {
  try {
    const tonepoem::FootageAnalysis a = tonepoem::analyze_footage(file);
    check(!a.shots.empty());
    check(a.shots.front().start_s == 0);
    for (std::size_t i = 1; i < a.shots.size(); ++i)
      check(a.shots[i].start_s == a.shots[i - 1].end_s);
    for (std::size_t i = 1; i < a.cuts.size(); ++i) check(a.cuts[i - 1].time_s < a.cuts[i].time_s);
  } catch (const tonepoem::Error&) {
  }
  const tonepoem::EmbeddedSubtitles subs = tonepoem::read_embedded_subtitles(file);
  (void)subs;
}

void read_as_mv_lyrics(const fs::path& file) {
  const tonepoem::Lyrics lyrics = tonepoem::read_lyrics(file, 180.0, 2.0, 176.0);
  check(!lyrics.captions.empty());
  for (const tonepoem::Caption& c : lyrics.captions) {
    check(std::isfinite(c.start_s) && std::isfinite(c.end_s));
    check(c.start_s >= 0 && c.start_s < 180.0 && c.start_s <= c.end_s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    switch (reader()) {
      case Reader::audio:
        read_as_audio(scratch());
        break;
      case Reader::video:
        read_as_video(scratch());
        break;
      case Reader::mv_lyrics:
        read_as_mv_lyrics(scratch());
        break;
    }
  } catch (const tonepoem::Error&) {
  }
  return 0;
}
