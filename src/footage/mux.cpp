// The delivery: the film's own video packets and a new audio track in one file, nothing
// re-encoded. Packets are merged in time order as they are read, so memory stays flat.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <fmt/format.h>

#include "audio/libav_handles.h"
#include "core/error.h"
#include "core/files.h"
#include "footage/footage.h"

namespace tonepoem {
namespace {

using libav::InputPtr;

InputPtr open_input(const std::filesystem::path& path) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0)
    fail_input(path.string(), "FFmpeg cannot open this file", "check that it is a media file");
  InputPtr input(raw);
  if (avformat_find_stream_info(input.get(), nullptr) < 0)
    fail_input(path.string(), "cannot read the media streams", "the file may be damaged");
  return input;
}

}  // namespace

void mux_video_with_audio(const std::filesystem::path& video,
                          const std::filesystem::path& audio_file,
                          const std::filesystem::path& output, const CancelToken& cancel) {
  InputPtr vin = open_input(video), ain = open_input(audio_file);
  const int vi = av_find_best_stream(vin.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const int ai = av_find_best_stream(ain.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (vi < 0) fail_input(video.string(), "the file has no video stream", "pass a video file");
  if (ai < 0) fail_input(audio_file.string(), "the file has no audio stream", "pass an audio file");
  AVStream* vstream = vin->streams[vi];
  AVStream* astream = ain->streams[ai];

  AtomicOutput out(output);
  const std::string out_name = output.string();
  const AVOutputFormat* container = av_guess_format(nullptr, output.filename().c_str(), nullptr);
  if (!container) container = av_guess_format("mp4", nullptr, nullptr);
  AVFormatContext* raw = nullptr;
  if (avformat_alloc_output_context2(&raw, container, nullptr, out.temp_path().c_str()) < 0)
    throw Error(ExitCode::internal, "cannot create the output container (libavformat)", out_name);
  libav::OutputPtr muxer(raw);
  AVStream* vout = avformat_new_stream(muxer.get(), nullptr);
  AVStream* aout = avformat_new_stream(muxer.get(), nullptr);
  if (!vout || !aout) throw Error(ExitCode::internal, "cannot add streams (libavformat)", out_name);
  avcodec_parameters_copy(vout->codecpar, vstream->codecpar);
  avcodec_parameters_copy(aout->codecpar, astream->codecpar);
  vout->codecpar->codec_tag = 0;  // let the container pick its own tag for the codec
  aout->codecpar->codec_tag = 0;
  vout->time_base = vstream->time_base;
  aout->time_base = astream->time_base;
  vout->avg_frame_rate = vstream->avg_frame_rate;
  av_dict_copy(&vout->metadata, vstream->metadata, 0);
#if LIBAVFORMAT_VERSION_INT < AV_VERSION_INT(60, 15, 100)
  // A phone video's rotation is a display matrix beside the stream (FFmpeg 6.1 and later carry it
  // in codecpar, copied above).
  std::size_t matrix_size = 0;
  if (const std::uint8_t* matrix =
          av_stream_get_side_data(vstream, AV_PKT_DATA_DISPLAYMATRIX, &matrix_size))
    if (std::uint8_t* copy = av_stream_new_side_data(vout, AV_PKT_DATA_DISPLAYMATRIX, matrix_size))
      std::memcpy(copy, matrix, matrix_size);
#endif
  if (vstream->disposition) vout->disposition = vstream->disposition;
  if (avio_open(&muxer->pb, out.temp_path().c_str(), AVIO_FLAG_WRITE) < 0)
    fail_output(out_name, "cannot create the file", "check that the folder is writable");
  if (avformat_write_header(muxer.get(), nullptr) < 0)
    fail_input(
        video.string(),
        fmt::format("its video codec ({}) cannot be copied into {}",
                    avcodec_get_name(vstream->codecpar->codec_id), output.filename().string()),
        "re-encode the video to H.264");

  // The audio starts with the film's first frame; it ends with the film.
  const std::int64_t video_start = vstream->start_time == AV_NOPTS_VALUE ? 0 : vstream->start_time;
  const double video_start_s = static_cast<double>(video_start) * av_q2d(vstream->time_base);
  const double video_end_s =
      vstream->duration > 0
          ? video_start_s + static_cast<double>(vstream->duration) * av_q2d(vstream->time_base)
          : (vin->duration > 0 ? static_cast<double>(vin->duration) / AV_TIME_BASE : 1e12);
  const std::int64_t audio_shift =
      av_rescale_q(video_start, vstream->time_base, astream->time_base);

  libav::PacketPtr vpacket(av_packet_alloc()), apacket(av_packet_alloc());
  const auto next = [](AVFormatContext* in, int index, AVPacket* p) {
    while (av_read_frame(in, p) >= 0) {
      if (p->stream_index == index) return true;
      av_packet_unref(p);
    }
    return false;
  };
  bool have_video = next(vin.get(), vi, vpacket.get());
  bool have_audio = next(ain.get(), ai, apacket.get());
  const auto seconds = [](const AVPacket* p, const AVStream* s) {
    const std::int64_t t = p->dts != AV_NOPTS_VALUE ? p->dts : p->pts;
    return t == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(t) * av_q2d(s->time_base);
  };
  while (have_video || have_audio) {
    cancel.throw_if_cancelled();
    const bool take_video =
        have_video && (!have_audio || seconds(vpacket.get(), vstream) <=
                                          seconds(apacket.get(), astream) + video_start_s);
    int status = 0;
    if (take_video) {
      av_packet_rescale_ts(vpacket.get(), vstream->time_base, vout->time_base);
      vpacket->stream_index = vout->index;
      vpacket->pos = -1;
      status = av_interleaved_write_frame(muxer.get(), vpacket.get());
      have_video = next(vin.get(), vi, vpacket.get());
    } else {
      if (apacket->pts != AV_NOPTS_VALUE) apacket->pts += audio_shift;
      if (apacket->dts != AV_NOPTS_VALUE) apacket->dts += audio_shift;
      const bool past_end = seconds(apacket.get(), astream) >= video_end_s;
      if (!past_end) {
        av_packet_rescale_ts(apacket.get(), astream->time_base, aout->time_base);
        apacket->stream_index = aout->index;
        apacket->pos = -1;
        status = av_interleaved_write_frame(muxer.get(), apacket.get());
      } else {
        av_packet_unref(apacket.get());
      }
      have_audio = !past_end && next(ain.get(), ai, apacket.get());
    }
    if (status < 0)
      fail_output(out_name, "writing a packet failed", "check the free space of the folder");
  }
  if (av_write_trailer(muxer.get()) < 0)
    fail_output(out_name, "finishing the file failed", "check the free space of the folder");
  avio_closep(&muxer->pb);
  out.commit();
}

AvSpans stream_spans(const std::filesystem::path& file) {
  InputPtr in = open_input(file);
  const int vi = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const int ai = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  AvSpans spans;
  spans.has_video = vi >= 0;
  spans.has_audio = ai >= 0;
  double first[2] = {INFINITY, INFINITY}, last[2] = {-INFINITY, -INFINITY};
  libav::PacketPtr packet(av_packet_alloc());
  while (av_read_frame(in.get(), packet.get()) >= 0) {
    const int which = packet->stream_index == vi ? 0 : packet->stream_index == ai ? 1 : -1;
    if (which >= 0 && packet->pts != AV_NOPTS_VALUE) {
      const double tb = av_q2d(in->streams[packet->stream_index]->time_base);
      first[which] = std::min(first[which], static_cast<double>(packet->pts) * tb);
      last[which] = std::max(last[which], static_cast<double>(packet->pts + packet->duration) * tb);
    }
    av_packet_unref(packet.get());
  }
  const auto span_of = [&](int index, int which) {
    StreamSpan s;
    const AVStream* st = in->streams[index];
    // The stream's start time has the edit list applied (an AAC encoder's priming removed).
    s.start_s = st->start_time != AV_NOPTS_VALUE
                    ? static_cast<double>(st->start_time) * av_q2d(st->time_base)
                    : first[which];
    s.end_s = last[which];
    return s;
  };
  if (vi >= 0 && std::isfinite(first[0])) spans.video = span_of(vi, 0);
  if (ai >= 0 && std::isfinite(first[1])) spans.audio = span_of(ai, 1);
  return spans;
}

}  // namespace tonepoem
