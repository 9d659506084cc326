// PCM sources for streaming: a view of a buffer, and float PCM spooled to an anonymous temporary
// file (written with write(2) through a small buffer, read back with pread(2), so the audio lives
// in the page cache, never in this process's memory).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "audio/audio.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace tonepoem {

void BufferSource::read(std::int64_t first, std::size_t count, float* out) const {
  const auto ch = static_cast<std::size_t>(std::max(audio_.channels, 0));
  const auto total = static_cast<std::int64_t>(audio_.frames());
  std::fill(out, out + count * ch, 0.0f);
  const std::int64_t from = std::max<std::int64_t>(first, 0);
  const std::int64_t to = std::min<std::int64_t>(first + static_cast<std::int64_t>(count), total);
  if (from >= to) return;
  std::copy(
      audio_.samples.begin() + static_cast<std::ptrdiff_t>(from) * static_cast<std::ptrdiff_t>(ch),
      audio_.samples.begin() + static_cast<std::ptrdiff_t>(to) * static_cast<std::ptrdiff_t>(ch),
      out + static_cast<std::size_t>(from - first) * ch);
}

namespace {

constexpr std::size_t kPendingFloats = 1 << 14;  // 64 KiB written at a time

[[noreturn]] void spool_failed(const fs::path& dir, const std::string& what) {
  fail_output(dir.string(),
              fmt::format("{} the temporary audio spool ({})", what, std::strerror(errno)),
              "free some disk space there (an hour of music needs about 1.3 GB while it is made) "
              "or choose another output folder");
}

}  // namespace

PcmSpool::PcmSpool(const fs::path& dir, int sample_rate, int channels)
    : dir_(dir.empty() ? fs::path(".") : dir),
      sample_rate_(sample_rate),
      channels_(std::max(channels, 1)) {
#ifdef O_TMPFILE
  fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd_ < 0) {  // file systems without O_TMPFILE: a named file, unlinked at once
    std::string name = (dir_ / ".tonepoem-spool-XXXXXX").string();
    fd_ = ::mkstemp(name.data());
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  if (fd_ < 0) spool_failed(dir_, "cannot create");
  pending_.reserve(kPendingFloats);
}

PcmSpool::~PcmSpool() {
  if (fd_ >= 0) ::close(fd_);
}

void PcmSpool::flush() const {
  const auto* bytes = reinterpret_cast<const char*>(pending_.data());
  std::size_t left = pending_.size() * sizeof(float);
  auto offset =
      static_cast<off_t>(pending_from_ * static_cast<std::size_t>(channels_) * sizeof(float));
  while (left > 0) {
    const ssize_t n = ::pwrite(fd_, bytes, left, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) spool_failed(dir_, "cannot write to");
    bytes += n;
    left -= static_cast<std::size_t>(n);
    offset += n;
  }
  pending_from_ += pending_.size() / static_cast<std::size_t>(channels_);
  pending_.clear();
}

void PcmSpool::append(const float* frames, std::size_t count) {
  const auto ch = static_cast<std::size_t>(channels_);
  const std::size_t per_block = kPendingFloats / ch;
  while (count > 0) {
    const std::size_t room = per_block - pending_.size() / ch;
    const std::size_t n = std::min(room, count);
    pending_.insert(pending_.end(), frames, frames + n * ch);
    frames += n * ch;
    count -= n;
    frames_ += n;
    if (pending_.size() / ch == per_block) flush();
  }
}

AudioSink PcmSpool::sink() {
  return [this](const float* frames, std::size_t count) { append(frames, count); };
}

void PcmSpool::read(std::int64_t first, std::size_t count, float* out) const {
  const auto ch = static_cast<std::size_t>(channels_);
  {
    std::lock_guard lock(flush_mutex_);
    if (!pending_.empty()) flush();  // readers come after the last append
  }
  std::fill(out, out + count * ch, 0.0f);
  const std::int64_t from = std::max<std::int64_t>(first, 0);
  const std::int64_t to = std::min<std::int64_t>(first + static_cast<std::int64_t>(count),
                                                 static_cast<std::int64_t>(frames_));
  if (from >= to) return;
  auto* dst = reinterpret_cast<char*>(out + static_cast<std::size_t>(from - first) * ch);
  std::size_t left = static_cast<std::size_t>(to - from) * ch * sizeof(float);
  auto offset = static_cast<off_t>(static_cast<std::size_t>(from) * ch * sizeof(float));
  while (left > 0) {
    const ssize_t n = ::pread(fd_, dst, left, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) spool_failed(dir_, "cannot read back");
    dst += n;
    left -= static_cast<std::size_t>(n);
    offset += n;
  }
}

AudioBuffer PcmSpool::load() const {
  AudioBuffer audio;
  audio.sample_rate = sample_rate_;
  audio.channels = channels_;
  audio.samples.resize(frames_ * static_cast<std::size_t>(channels_));
  read(0, frames_, audio.samples.data());
  return audio;
}

}  // namespace tonepoem
