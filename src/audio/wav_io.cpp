// Audio files through libsndfile: WAV out (atomically), anything libsndfile reads in.
#include <sndfile.h>

#include <memory>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/error.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {
struct FileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndFile = std::unique_ptr<SNDFILE, FileCloser>;

int wav_format(SampleFormat format) {
  switch (format) {
    case SampleFormat::pcm24:
      return SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    case SampleFormat::float32:
      return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    case SampleFormat::pcm16:
      break;
  }
  return SF_FORMAT_WAV | SF_FORMAT_PCM_16;
}
}  // namespace

void write_wav(const AudioBuffer& audio, const fs::path& path, SampleFormat format) {
  const std::string name = path.string();
  if (audio.channels <= 0 || audio.sample_rate <= 0)
    throw Error(ExitCode::internal,
                fmt::format("cannot write audio with {} channels at {} Hz", audio.channels,
                            audio.sample_rate),
                name);
  std::error_code ec;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    fail_output(name, "the output folder does not exist or is not a folder",
                "create the folder first or choose another output path");
  AtomicOutput out(path);
  SF_INFO info{};
  info.samplerate = audio.sample_rate;
  info.channels = audio.channels;
  info.format = wav_format(format);
  {
    SndFile file(sf_open(out.temp_path().c_str(), SFM_WRITE, &info));
    if (!file)
      fail_output(name, fmt::format("cannot create the audio file ({})", sf_strerror(nullptr)),
                  "check that the folder is writable and has free space");
    // Clip out-of-range samples instead of letting them wrap around.
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const auto frames = static_cast<sf_count_t>(audio.frames());
    if (sf_writef_float(file.get(), audio.samples.data(), frames) != frames)
      fail_output(name, fmt::format("write failed ({})", sf_strerror(file.get())),
                  "check free disk space");
    if (sf_close(file.release()) != 0)
      fail_output(name, "could not finish the audio file", "check free disk space");
  }
  out.commit();
}

AudioBuffer read_audio(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail_input(name, "audio file not found", "check the path");
  SF_INFO info{};
  SndFile file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    fail_input(name, fmt::format("cannot read the audio file ({})", sf_strerror(nullptr)),
               "give a WAV, FLAC or Ogg file that libsndfile can read");
  if (info.channels <= 0 || info.samplerate <= 0)
    fail_input(name, "the audio file has no channels or no sample rate", "give a valid audio file");
  AudioBuffer audio;
  audio.sample_rate = info.samplerate;
  audio.channels = info.channels;
  audio.samples.resize(static_cast<std::size_t>(info.frames) *
                       static_cast<std::size_t>(info.channels));
  const sf_count_t got = sf_readf_float(file.get(), audio.samples.data(), info.frames);
  if (got < 0) fail_input(name, "read error", "check the file");
  audio.samples.resize(static_cast<std::size_t>(got) * static_cast<std::size_t>(info.channels));
  return audio;
}

}  // namespace tonepoem
