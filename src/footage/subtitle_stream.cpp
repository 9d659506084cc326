#include "footage/subtitle_stream.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "audio/libav_handles.h"
#include "core/error.h"

namespace tonepoem {
namespace {

struct SubtitleFreer {
  void operator()(AVSubtitle* s) const {
    avsubtitle_free(s);
    delete s;
  }
};

// H:MM:SS.mmm, which the text stage's clock reader takes.
std::string ass_clock(double seconds) {
  const auto ms = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds) * 1000));
  return fmt::format("{}:{:02}:{:02}.{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                     ms % 1000);
}

bool is_text_subtitle(AVCodecID id) {
  const AVCodecDescriptor* d = avcodec_descriptor_get(id);
  return d && (d->props & AV_CODEC_PROP_TEXT_SUB);
}

}  // namespace

EmbeddedSubtitles read_embedded_subtitles(const std::filesystem::path& video,
                                          const CancelToken& cancel) {
  const std::string name = video.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(video, ec))
    fail_input(name, "the video file does not exist or is not a file",
               "pass a video file FFmpeg can read (mp4, mkv, mov, webm, ...)");
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, video.c_str(), nullptr, nullptr) < 0)
    fail_input(name, "FFmpeg cannot open this file as media (not a video, or damaged)",
               "pass a video file FFmpeg can read (mp4, mkv, mov, webm, ...)");
  libav::InputPtr format(raw);
  if (avformat_find_stream_info(format.get(), nullptr) < 0)
    fail_input(name, "cannot read the media streams (damaged or truncated?)",
               "check the file with `ffprobe FILE`");
  EmbeddedSubtitles result;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVCodecParameters* par = format->streams[i]->codecpar;
    if (par->codec_type != AVMEDIA_TYPE_SUBTITLE) continue;
    if (!is_text_subtitle(par->codec_id)) {
      result.skipped.push_back(fmt::format("stream {}: {} (bitmap, cannot be read as text)", i,
                                           avcodec_get_name(par->codec_id)));
      continue;
    }
    if (result.stream_index < 0 && avcodec_find_decoder(par->codec_id))
      result.stream_index = static_cast<int>(i);
  }
  if (result.stream_index < 0) return result;

  AVStream* stream = format->streams[result.stream_index];
  result.codec = avcodec_get_name(stream->codecpar->codec_id);
  if (const AVDictionaryEntry* lang = av_dict_get(stream->metadata, "language", nullptr, 0))
    result.language = lang->value;
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  libav::CodecPtr dec(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(dec.get(), stream->codecpar);
  dec->pkt_timebase = stream->time_base;
  if (avcodec_open2(dec.get(), codec, nullptr) < 0)
    fail_input(name,
               fmt::format("cannot open the decoder of subtitle stream {} ({})",
                           result.stream_index, result.codec),
               "extract the subtitles to an SRT file and pass it with --subtitles");
  for (unsigned i = 0; i < format->nb_streams; ++i)
    if (static_cast<int>(i) != result.stream_index) format->streams[i]->discard = AVDISCARD_ALL;

  // Times relative to the film's first frame, as the picture's are.
  double origin_s = 0;
  const int vi = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi >= 0 && format->streams[vi]->start_time != AV_NOPTS_VALUE)
    origin_s = static_cast<double>(format->streams[vi]->start_time) *
               av_q2d(format->streams[vi]->time_base);
  const double time_base = av_q2d(stream->time_base);

  std::string events;
  libav::PacketPtr packet(av_packet_alloc());
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index == result.stream_index && packet->pts != AV_NOPTS_VALUE) {
      cancel.throw_if_cancelled();
      std::unique_ptr<AVSubtitle, SubtitleFreer> subtitle(new AVSubtitle{});
      int got = 0;
      if (avcodec_decode_subtitle2(dec.get(), subtitle.get(), &got, packet.get()) >= 0 && got) {
        const double at = static_cast<double>(packet->pts) * time_base - origin_s;
        const double start = at + subtitle->start_display_time / 1000.0;
        double end = at + (packet->duration > 0 ? static_cast<double>(packet->duration) * time_base
                                                : subtitle->end_display_time / 1000.0);
        if (end <= start) end = start + 3.0;  // no duration given: a reading time
        for (unsigned r = 0; r < subtitle->num_rects; ++r) {
          const AVSubtitleRect* rect = subtitle->rects[r];
          if (rect->type != SUBTITLE_ASS || !rect->ass) continue;
          // Since FFmpeg 3.0 a decoded event is "ReadOrder,Layer,Style,Name,...,Text".
          std::string line = rect->ass;
          line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
          std::replace(line.begin(), line.end(), '\n', ' ');
          events += fmt::format("Dialogue: {},{},{}\n", ass_clock(start), ass_clock(end), line);
          ++result.events;
        }
      }
    }
    av_packet_unref(packet.get());
  }
  result.ass_script =
      "[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Start, End, ReadOrder, Layer, "
      "Style, Name, MarginL, MarginR, MarginV, Effect, Text\n" +
      events;
  return result;
}

}  // namespace tonepoem
