// Audio files through libsndfile: WAV, FLAC, Ogg Vorbis and MP3 out (atomically, with tags),
// anything libsndfile reads in.
#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "audio/audio.h"
#include "audio/codec.h"
#include "core/cancel.h"
#include "core/error.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {
struct FileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndFile = std::unique_ptr<SNDFILE, FileCloser>;

// The libsndfile formats, in the order of AudioFileFormat.
struct FormatInfo {
  AudioFileFormat format;
  std::string_view name;
  int sf_format;
};
constexpr FormatInfo kFormats[] = {
    {AudioFileFormat::wav16, "wav16", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {AudioFileFormat::wav24, "wav24", SF_FORMAT_WAV | SF_FORMAT_PCM_24},
    {AudioFileFormat::wav_float, "wav-float", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
    {AudioFileFormat::flac16, "flac16", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    {AudioFileFormat::flac24, "flac24", SF_FORMAT_FLAC | SF_FORMAT_PCM_24},
    {AudioFileFormat::ogg_vorbis, "ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {AudioFileFormat::mp3, "mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
    {AudioFileFormat::m4a_aac, "m4a", 0},  // FFmpeg (codec.h)
    {AudioFileFormat::opus, "opus", 0},    // FFmpeg (codec.h)
};

const FormatInfo& info_of(AudioFileFormat format) {
  for (const FormatInfo& f : kFormats)
    if (f.format == format) return f;
  return kFormats[0];
}

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}
}  // namespace

std::string_view audio_format_name(AudioFileFormat format) {
  return info_of(format).name;
}

std::string_view audio_format_extension(AudioFileFormat format) {
  switch (format) {
    case AudioFileFormat::flac16:
    case AudioFileFormat::flac24:
      return ".flac";
    case AudioFileFormat::ogg_vorbis:
      return ".ogg";
    case AudioFileFormat::mp3:
      return ".mp3";
    case AudioFileFormat::m4a_aac:
      return ".m4a";
    case AudioFileFormat::opus:
      return ".opus";
    default:
      return ".wav";
  }
}

std::optional<AudioFileFormat> parse_audio_format(std::string_view name) {
  for (const FormatInfo& f : kFormats)
    if (f.name == name) return f.format;
  if (name == "wav") return AudioFileFormat::wav16;
  if (name == "flac") return AudioFileFormat::flac16;
  if (name == "vorbis") return AudioFileFormat::ogg_vorbis;
  if (name == "aac") return AudioFileFormat::m4a_aac;
  return std::nullopt;
}

std::optional<AudioFileFormat> audio_format_for(const fs::path& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".wav") return AudioFileFormat::wav16;
  if (ext == ".flac") return AudioFileFormat::flac16;
  if (ext == ".ogg" || ext == ".oga") return AudioFileFormat::ogg_vorbis;
  if (ext == ".mp3") return AudioFileFormat::mp3;
  if (ext == ".m4a" || ext == ".aac" || ext == ".mp4") return AudioFileFormat::m4a_aac;
  if (ext == ".opus") return AudioFileFormat::opus;
  return std::nullopt;
}

void write_audio(const AudioBuffer& audio, const fs::path& path, AudioFileFormat format,
                 const AudioTags& tags, const CancelToken& cancel) {
  write_audio(BufferSource(audio), path, format, tags, cancel);
}

void write_audio(const PcmSource& audio, const fs::path& path, AudioFileFormat format,
                 const AudioTags& tags, const CancelToken& cancel) {
  const std::string name = path.string();
  if (audio.channels() <= 0 || audio.sample_rate() <= 0)
    throw Error(ExitCode::internal,
                fmt::format("cannot write audio with {} channels at {} Hz", audio.channels(),
                            audio.sample_rate()),
                name);
  std::error_code ec;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    fail_output(name, "the output folder does not exist or is not a folder",
                "create the folder first or choose another output path");
  if (info_of(format).sf_format == 0) {
    if (audio.channels() > 2)
      fail_usage(fmt::format("{}: {} is written with at most 2 channels, not {}", name,
                             audio_format_name(format), audio.channels()),
                 "mix down to stereo or choose .wav or .flac");
    AtomicOutput out(path);
    encode_with_libav(
        audio, out.temp_path(), name,
        format == AudioFileFormat::opus ? LibavAudioFormat::ogg_opus : LibavAudioFormat::m4a_aac,
        tags, cancel);
    out.commit();
    return;
  }
  SF_INFO info{};
  info.samplerate = audio.sample_rate();
  info.channels = audio.channels();
  info.format = info_of(format).sf_format;
  if (!sf_format_check(&info))
    fail_usage(fmt::format("{}: this libsndfile cannot write {} at {} Hz with {} channels", name,
                           audio_format_name(format), audio.sample_rate(), audio.channels()),
               "choose another format (.wav or .flac always work)");
  AtomicOutput out(path);
  {
    SndFile file(sf_open(out.temp_path().c_str(), SFM_WRITE, &info));
    if (!file)
      fail_output(name, fmt::format("cannot create the audio file ({})", sf_strerror(nullptr)),
                  "check that the folder is writable and has free space");
    // Tags go in before the first sample (FLAC and Ogg write them in the header).
    if (!tags.title.empty()) sf_set_string(file.get(), SF_STR_TITLE, tags.title.c_str());
    if (!tags.artist.empty()) sf_set_string(file.get(), SF_STR_ARTIST, tags.artist.c_str());
    if (!tags.comment.empty()) sf_set_string(file.get(), SF_STR_COMMENT, tags.comment.c_str());
    sf_set_string(file.get(), SF_STR_SOFTWARE, "tonepoem");
    // Clip out-of-range samples instead of letting them wrap around.
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    constexpr std::size_t kChunk = 1 << 15;
    const auto channels = static_cast<std::size_t>(audio.channels());
    std::vector<float> block;
    for (std::size_t f = 0; f < audio.frames(); f += kChunk) {
      cancel.throw_if_cancelled();
      const std::size_t len = std::min(kChunk, audio.frames() - f);
      const float* frames = nullptr;
      if (const AudioBuffer* whole = audio.buffer()) {
        frames = whole->samples.data() + f * channels;
      } else {
        block.resize(len * channels);
        audio.read(static_cast<std::int64_t>(f), len, block.data());
        frames = block.data();
      }
      const auto n = static_cast<sf_count_t>(len);
      if (sf_writef_float(file.get(), frames, n) != n)
        fail_output(name, fmt::format("write failed ({})", sf_strerror(file.get())),
                    "check free disk space");
    }
    if (sf_close(file.release()) != 0)
      fail_output(name, "could not finish the audio file", "check free disk space");
  }
  out.commit();
}

void write_wav(const AudioBuffer& audio, const fs::path& path, SampleFormat format,
               const CancelToken& cancel) {
  const AudioFileFormat f = format == SampleFormat::pcm24     ? AudioFileFormat::wav24
                            : format == SampleFormat::float32 ? AudioFileFormat::wav_float
                                                              : AudioFileFormat::wav16;
  write_audio(audio, path, f, {}, cancel);
}

namespace {

// libsndfile's handle on `path` with its format, or null when libsndfile does not know the format
// (FFmpeg's turn). Error(bad_input) for a missing file or one without channels or a rate.
SndFile open_sound_file(const fs::path& path, SF_INFO& info) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail_input(name, "audio file not found", "check the path");
  info = SF_INFO{};
  SndFile file(sf_open(path.c_str(), SFM_READ, &info));
  if (file && (info.channels <= 0 || info.samplerate <= 0))
    fail_input(name, "the audio file has no channels or no sample rate", "give a valid audio file");
  return file;
}

// An audio file read where it lies: one libsndfile handle, seek and read under a lock.
class SoundFileSource final : public PcmSource {
 public:
  SoundFileSource(fs::path path, SndFile file, const SF_INFO& info)
      : path_(std::move(path)), file_(std::move(file)), info_(info) {}
  int sample_rate() const override { return info_.samplerate; }
  int channels() const override { return info_.channels; }
  std::size_t frames() const override { return static_cast<std::size_t>(info_.frames); }
  void read(std::int64_t first, std::size_t count, float* out) const override {
    const auto ch = static_cast<std::size_t>(info_.channels);
    std::fill(out, out + count * ch, 0.0f);
    const std::int64_t from = std::max<std::int64_t>(first, 0);
    const std::int64_t to =
        std::min<std::int64_t>(first + static_cast<std::int64_t>(count), info_.frames);
    if (from >= to) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (sf_seek(file_.get(), from, SEEK_SET) != from)
      fail_output(path_.string(), "cannot seek in the audio file", "check that it is still there");
    float* dst = out + static_cast<std::size_t>(from - first) * ch;
    if (sf_readf_float(file_.get(), dst, to - from) != to - from)
      fail_output(path_.string(), "the audio file ended early",
                  "check that nothing changed it while it was read");
  }

 private:
  fs::path path_;
  SndFile file_;
  SF_INFO info_;
  mutable std::mutex mutex_;
};

// A buffer decoded whole (what libsndfile cannot read), held by its source.
class HeldBufferSource final : public PcmSource {
 public:
  explicit HeldBufferSource(AudioBuffer audio) : audio_(std::move(audio)), view_(audio_) {}
  int sample_rate() const override { return audio_.sample_rate; }
  int channels() const override { return audio_.channels; }
  std::size_t frames() const override { return audio_.frames(); }
  void read(std::int64_t first, std::size_t count, float* out) const override {
    view_.read(first, count, out);
  }
  const AudioBuffer* buffer() const override { return &audio_; }

 private:
  AudioBuffer audio_;
  BufferSource view_;
};

}  // namespace

std::unique_ptr<PcmSource> open_audio(const fs::path& path) {
  SF_INFO info{};
  SndFile file = open_sound_file(path, info);
  // Only WAV's frame count is exact before reading (an MP3's is an estimate, and a damaged one
  // decodes fewer frames than it promised): the rest is read whole, as read_audio() reads it.
  const int container = info.format & SF_FORMAT_TYPEMASK;
  const bool wav =
      container == SF_FORMAT_WAV || container == SF_FORMAT_WAVEX || container == SF_FORMAT_RF64;
  // A damaged WAV can promise more frames than its data holds (a data chunk cut short: found by
  // media_fuzz): its count is trusted only where its last frame can be read.
  float last[64];
  const bool whole = wav && info.frames > 0 && info.channels <= 64 &&
                     sf_seek(file.get(), info.frames - 1, SEEK_SET) == info.frames - 1 &&
                     sf_readf_float(file.get(), last, 1) == 1;
  if (!file || !info.seekable || !whole)
    return std::make_unique<HeldBufferSource>(read_audio(path));
  return std::make_unique<SoundFileSource>(path, std::move(file), info);
}

AudioBuffer read_audio(const fs::path& path) {
  const std::string name = path.string();
  SF_INFO info{};
  SndFile file = open_sound_file(path, info);
  if (!file) return decode_with_libav(path);  // M4A, Opus and others FFmpeg knows
  AudioBuffer audio;
  audio.sample_rate = info.samplerate;
  audio.channels = info.channels;
  const auto channels = static_cast<std::size_t>(info.channels);
  // The header's frame count is a promise a damaged or streamed file need not keep (an Ogg
  // stream of unknown length says 2^63; found by media_fuzz): read blocks until the end, reserving
  // the promise only where the file is big enough to hold it (no codec here packs 16 samples
  // into a byte).
  std::error_code ec;
  const auto file_bytes = static_cast<double>(fs::file_size(path, ec));
  if (!ec && static_cast<double>(info.frames) * static_cast<double>(channels) <= 16 * file_bytes)
    audio.samples.reserve(static_cast<std::size_t>(info.frames) * channels);
  const std::size_t block = std::max<std::size_t>(1, (std::size_t{1} << 20) / channels);
  for (;;) {
    const std::size_t have = audio.samples.size();
    audio.samples.resize(have + block * channels);
    const sf_count_t got =
        sf_readf_float(file.get(), audio.samples.data() + have, static_cast<sf_count_t>(block));
    if (got < 0) fail_input(name, "read error", "check the file");
    audio.samples.resize(have + static_cast<std::size_t>(got) * channels);
    if (static_cast<std::size_t>(got) < block) break;
  }
  return audio;
}

}  // namespace tonepoem
