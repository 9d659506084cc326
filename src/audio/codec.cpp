// Audio files through FFmpeg's libraries: M4A (AAC, libavcodec's native encoder) and Ogg Opus
// (libopus at 48 kHz) out, anything libavformat reads in (read_audio's fallback).
#include "audio/codec.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "audio/libav_handles.h"
#include "core/cancel.h"
#include "core/error.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

std::string av_text(int err) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  av_strerror(err, buf.data(), buf.size());
  return buf.data();
}

struct FormatOut {
  AVFormatContext* ctx = nullptr;
  bool io_open = false;
  ~FormatOut() {
    if (io_open) avio_closep(&ctx->pb);
    avformat_free_context(ctx);
  }
};
using CodecFree = libav::CodecFreer;
using FrameFree = libav::FrameFreer;
using PacketFree = libav::PacketFreer;
using InputClose = libav::InputCloser;
struct SwrFree {
  void operator()(SwrContext* s) const { swr_free(&s); }
};

}  // namespace

void encode_with_libav(const PcmSource& source, const fs::path& path, const std::string& display,
                       LibavAudioFormat format, const AudioTags& tags, const CancelToken& cancel) {
  // libav's notes (encoder statistics, the muxer's doubts about the temporary file's name) are
  // not for our users; errors come back through return codes.
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
  });
  const bool opus = format == LibavAudioFormat::ogg_opus;
  // Opus runs at 48 kHz (and libopus takes these rates only); AAC at the music's own rate.
  // (No copy when the rate is already right: a whole-track copy is 21 MB a minute.)
  // (The resampler needs the whole track: a source that is not a buffer is read whole for it.)
  std::optional<BufferSource> resampled_source;
  std::optional<AudioBuffer> resampled;
  if (opus && source.sample_rate() != 48000) {
    if (const AudioBuffer* whole = source.buffer()) {
      resampled = resample(*whole, 48000);
    } else {
      AudioBuffer loaded;
      loaded.sample_rate = source.sample_rate();
      loaded.channels = source.channels();
      loaded.samples.resize(source.frames() * static_cast<std::size_t>(source.channels()));
      source.read(0, source.frames(), loaded.samples.data());
      resampled = resample(loaded, 48000);
    }
    resampled_source.emplace(*resampled);
  }
  const PcmSource& audio = resampled_source ? *resampled_source : source;
  const int channels = std::clamp(audio.channels(), 1, 2);
  const AVCodec* codec =
      opus ? avcodec_find_encoder_by_name("libopus") : avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec)
    fail_resource(display, fmt::format("this FFmpeg has no {} encoder", opus ? "libopus" : "AAC"),
                  "install the FFmpeg libraries with it (sudo apt-get install libavcodec-dev "
                  "libavcodec-extra)");
  FormatOut out;
  if (avformat_alloc_output_context2(&out.ctx, nullptr, opus ? "ogg" : "ipod", nullptr) < 0 ||
      !out.ctx)
    throw Error(ExitCode::internal, "cannot set up the FFmpeg muxer", display);
  std::unique_ptr<AVCodecContext, CodecFree> enc(avcodec_alloc_context3(codec));
  if (!enc) throw Error(ExitCode::internal, "out of memory setting up the audio encoder", display);
  enc->sample_fmt = opus ? AV_SAMPLE_FMT_FLT : AV_SAMPLE_FMT_FLTP;
  enc->sample_rate = audio.sample_rate();
  av_channel_layout_default(&enc->ch_layout, channels);
  enc->bit_rate = opus ? 96000 * channels : 128000 * channels;
  enc->time_base = AVRational{1, audio.sample_rate()};
  if (out.ctx->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (const int err = avcodec_open2(enc.get(), codec, nullptr); err < 0)
    throw Error(ExitCode::internal,
                fmt::format("cannot open the {} encoder at {} Hz: {}", codec->name,
                            audio.sample_rate(), av_text(err)),
                display);
  AVStream* stream = avformat_new_stream(out.ctx, nullptr);
  if (!stream) throw Error(ExitCode::internal, "cannot add the audio stream", display);
  stream->time_base = enc->time_base;
  avcodec_parameters_from_context(stream->codecpar, enc.get());
  auto tag = [&](const char* key, const std::string& value) {
    if (!value.empty()) av_dict_set(&out.ctx->metadata, key, value.c_str(), 0);
  };
  tag("title", tags.title);
  tag("artist", tags.artist);
  tag("comment", tags.comment);
  tag("encoder", "tonepoem");

  if (const int err = avio_open(&out.ctx->pb, path.c_str(), AVIO_FLAG_WRITE); err < 0)
    fail_output(display, fmt::format("cannot create the audio file ({})", av_text(err)),
                "check that the folder exists and is writable");
  out.io_open = true;
  auto fail_write = [&](int err, const char* what) {
    fail_output(display, fmt::format("{} ({})", what, av_text(err)), "check free disk space");
  };
  if (const int err = avformat_write_header(out.ctx, nullptr); err < 0)
    fail_write(err, "cannot write the header");

  std::unique_ptr<AVPacket, PacketFree> packet(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFree> frame(av_frame_alloc());
  if (!packet || !frame) throw Error(ExitCode::internal, "out of memory encoding audio", display);
  auto drain = [&](AVFrame* f) {
    int err = avcodec_send_frame(enc.get(), f);
    if (err < 0)
      throw Error(ExitCode::internal, "the audio encoder refused a frame: " + av_text(err),
                  display);
    while ((err = avcodec_receive_packet(enc.get(), packet.get())) >= 0) {
      av_packet_rescale_ts(packet.get(), enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      if (const int w = av_interleaved_write_frame(out.ctx, packet.get()); w < 0)
        fail_write(w, "cannot write to the audio file");
    }
    if (err != AVERROR(EAGAIN) && err != AVERROR_EOF)
      throw Error(ExitCode::internal, "audio encoding failed: " + av_text(err), display);
  };
  const int frame_size = enc->frame_size > 0 ? enc->frame_size : 1024;
  const bool small_last = (codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME) != 0;
  const auto total = static_cast<std::int64_t>(audio.frames());
  const auto in_ch = static_cast<std::size_t>(audio.channels());
  std::vector<float> block;
  for (std::int64_t pos = 0; pos < total; pos += frame_size) {
    if ((pos / frame_size) % 64 == 0) cancel.throw_if_cancelled();
    const int count = static_cast<int>(std::min<std::int64_t>(frame_size, total - pos));
    block.resize(static_cast<std::size_t>(count) * in_ch);
    audio.read(pos, static_cast<std::size_t>(count), block.data());
    av_frame_unref(frame.get());
    frame->format = enc->sample_fmt;
    frame->sample_rate = enc->sample_rate;
    frame->nb_samples = small_last ? count : frame_size;
    av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
    if (const int err = av_frame_get_buffer(frame.get(), 0); err < 0)
      throw Error(ExitCode::internal, "cannot allocate an audio frame: " + av_text(err), display);
    for (int c = 0; c < channels; ++c)
      for (int i = 0; i < frame->nb_samples; ++i) {
        const float v = i < count ? block[static_cast<std::size_t>(i) * in_ch +
                                          std::min(static_cast<std::size_t>(c), in_ch - 1)]
                                  : 0.0f;
        if (opus)
          reinterpret_cast<float*>(frame->data[0])[i * channels + c] = v;
        else
          reinterpret_cast<float*>(frame->data[c])[i] = v;
      }
    frame->pts = pos;
    drain(frame.get());
  }
  drain(nullptr);
  if (const int err = av_write_trailer(out.ctx); err < 0)
    fail_write(err, "cannot finish the audio file");
  out.io_open = false;
  if (const int err = avio_closep(&out.ctx->pb); err < 0)
    fail_write(err, "cannot close the audio file");
}

AudioBuffer decode_with_libav(const fs::path& path) {
  AudioBuffer out;
  decode_with_libav(
      path,
      [&](int sample_rate, int channels) {
        out.sample_rate = sample_rate;
        out.channels = channels;
      },
      [&](const float* frames, std::size_t count) {
        out.samples.insert(out.samples.end(), frames,
                           frames + count * static_cast<std::size_t>(out.channels));
      });
  return out;
}

namespace {

// A RIFF WAVE file whose chunk claims more bytes than the file holds: FFmpeg allocates what a
// header chunk claims before reading it, before or after the samples (164-byte files found by the
// fuzzer asked for 1.9 GB), so such a file is refused here. The data chunk may run short: a
// recording cut off is read as far as it goes.
void check_riff_chunks(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return;
  // FFmpeg skips ID3v2 tags before a file's header (some tools put one before a WAV), so the
  // RIFF header may start after them: 10 bytes, a syncsafe size, and 10 more with a footer.
  std::uintmax_t base = 0;
  std::array<unsigned char, 12> header{};
  for (int tags = 0; tags < 16; ++tags) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(base));
    if (!in.read(reinterpret_cast<char*>(header.data()), 10) || header[0] != 'I' ||
        header[1] != 'D' || header[2] != '3')
      break;
    const std::uintmax_t tag = (std::uintmax_t{header[6]} & 0x7f) << 21 |
                               (std::uintmax_t{header[7]} & 0x7f) << 14 |
                               (std::uintmax_t{header[8]} & 0x7f) << 7 | (header[9] & 0x7f);
    base += 10 + tag + ((header[5] & 0x10) ? 10 : 0);
  }
  in.clear();
  in.seekg(static_cast<std::streamoff>(base));
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size()) ||
      std::string_view(reinterpret_cast<const char*>(header.data()), 4) != "RIFF" ||
      std::string_view(reinterpret_cast<const char*>(header.data()) + 8, 4) != "WAVE")
    return;
  for (std::uintmax_t at = base + 12; at + 8 <= size;) {
    std::array<unsigned char, 8> chunk{};
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(chunk.data()), chunk.size())) return;
    std::string id(chunk.begin(), chunk.begin() + 4);
    const std::uintmax_t length = chunk[4] | (chunk[5] << 8) | (chunk[6] << 16) |
                                  (static_cast<std::uintmax_t>(chunk[7]) << 24);
    // Samples to the end of the file: a recording cut off; nothing follows to check.
    if (id == "data" && length > size - at - 8) return;
    if (length > size - at - 8) {
      for (char& c : id)
        if (c < 0x20 || c > 0x7e) c = '?';
      fail_input(path.string(),
                 fmt::format("its \"{}\" chunk says it holds {} bytes, but the file ends {} bytes "
                             "later: the file is damaged",
                             id, length, size - at - 8),
                 "export or copy the file again from where it came from");
    }
    at += 8 + length + (length & 1);
  }
}

}  // namespace

void decode_with_libav(const fs::path& path, const std::function<void(int, int)>& begin,
                       const AudioSink& sink) {
  const std::string name = path.string();
  check_riff_chunks(path);
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0)
    fail_input(name, "cannot open the audio file", "give a WAV, FLAC, Ogg, MP3, M4A or Opus file");
  std::unique_ptr<AVFormatContext, InputClose> in(raw);
  if (avformat_find_stream_info(in.get(), nullptr) < 0)
    fail_input(name, "cannot read the file's streams", "give a valid audio file");
  const int ai = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (ai < 0) fail_input(name, "the file has no audio stream", "give a file with sound");
  const AVStream* stream = in->streams[ai];
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  std::unique_ptr<AVCodecContext, CodecFree> dec(codec ? avcodec_alloc_context3(codec) : nullptr);
  if (!dec || avcodec_parameters_to_context(dec.get(), stream->codecpar) < 0 ||
      avcodec_open2(dec.get(), codec, nullptr) < 0)
    fail_input(name, "no decoder for its audio", "re-encode the file as WAV or FLAC");
  struct {
    int sample_rate, channels;
    std::vector<float> samples;  // one decoded frame
  } out{stream->codecpar->sample_rate, stream->codecpar->ch_layout.nb_channels, {}};
  if (out.sample_rate <= 0 || out.channels <= 0)
    fail_input(name, "the audio stream has no sample rate or channels", "re-encode the file");
  begin(out.sample_rate, out.channels);
  std::unique_ptr<SwrContext, SwrFree> swr;
  std::unique_ptr<AVPacket, PacketFree> packet(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFree> frame(av_frame_alloc());
  auto receive = [&] {
    while (avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
      if (!swr) {
        SwrContext* s = nullptr;
        AVChannelLayout layout;
        av_channel_layout_default(&layout, out.channels);
        if (swr_alloc_set_opts2(&s, &layout, AV_SAMPLE_FMT_FLT, out.sample_rate, &frame->ch_layout,
                                static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0,
                                nullptr) < 0 ||
            swr_init(s) < 0) {
          swr_free(&s);
          fail_input(name, "cannot convert the decoded audio", "re-encode the file");
        }
        swr.reset(s);
      }
      std::int64_t count = frame->nb_samples;
      if (frame->pkt_duration > 0)  // the last packet is padded; its duration says what is real
        count = std::min(count, av_rescale_q(frame->pkt_duration, stream->time_base,
                                             AVRational{1, frame->sample_rate}));
      const std::size_t offset = 0;
      out.samples.resize(offset + static_cast<std::size_t>(frame->nb_samples) *
                                      static_cast<std::size_t>(out.channels));
      auto* dst = reinterpret_cast<std::uint8_t*>(out.samples.data() + offset);
      const int got =
          swr_convert(swr.get(), &dst, frame->nb_samples,
                      const_cast<const std::uint8_t**>(frame->extended_data), frame->nb_samples);
      const std::int64_t kept =
          std::clamp<std::int64_t>(std::min<std::int64_t>(got, count), 0, got);
      out.samples.resize(offset +
                         static_cast<std::size_t>(kept) * static_cast<std::size_t>(out.channels));
      if (kept > 0) sink(out.samples.data(), static_cast<std::size_t>(kept));
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(in.get(), packet.get()) >= 0) {
    if (packet->stream_index == ai && avcodec_send_packet(dec.get(), packet.get()) >= 0) receive();
    av_packet_unref(packet.get());
  }
  if (avcodec_send_packet(dec.get(), nullptr) >= 0) receive();
}

}  // namespace tonepoem
