#include "server/uploads.h"

#include <algorithm>
#include <array>
#include <fstream>

#include <fmt/format.h>

#include "server/job_queue.h"

namespace tonepoem {
namespace {

bool starts_with(std::string_view bytes, std::string_view magic, std::size_t at = 0) {
  return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
}

// The lyrics formats read_lyrics tells apart by extension; anything else is stored as .txt
// (plain lines, or LRC found by its tags).
std::string lyrics_extension(std::string_view client_name) {
  std::string ext;
  if (const auto dot = client_name.rfind('.'); dot != std::string_view::npos)
    ext = std::string(client_name.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".lrc", ".srt", ".vtt", ".txt"})
    if (ext == known) return ext;
  return ".txt";
}

bool write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out.flush());
}

constexpr std::string_view kSongFormats = "WAV, FLAC, Ogg, MP3, AAC, M4A/MP4, MKV/WebM";

}  // namespace

std::string sniff_song(std::string_view b) {
  if (starts_with(b, "RIFF") && starts_with(b, "WAVE", 8)) return ".wav";
  if (starts_with(b, "fLaC")) return ".flac";
  if (starts_with(b, "OggS")) return ".ogg";
  if (starts_with(b, "ID3")) return ".mp3";
  if (starts_with(b, "ftyp", 4)) return ".m4a";
  if (starts_with(b, "\x1A\x45\xDF\xA3")) return ".mkv";
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0xFF) {
    const auto second = static_cast<unsigned char>(b[1]);
    if ((second & 0xF6) == 0xF0) return ".aac";  // ADTS: sync, layer 0
    if ((second & 0xE0) == 0xE0) return ".mp3";  // an MPEG audio frame's sync
  }
  return {};
}

std::string sniff_image(std::string_view b) {
  if (starts_with(b, "\x89PNG\r\n\x1A\n")) return ".png";
  if (starts_with(b, "\xFF\xD8\xFF")) return ".jpg";
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return ".webp";
  if (starts_with(b, "BM") && b.size() > 26) return ".bmp";
  return {};
}

StoredUpload store_mv_upload(const httplib::MultipartFormDataMap& parts,
                             const std::filesystem::path& data_dir) {
  StoredUpload out;
  auto refuse = [&](int status, std::string message, OptionProblems problems) {
    out.status = status;
    out.message = std::move(message);
    out.problems = std::move(problems);
    return out;
  };
  OptionProblems problems;
  for (const auto& [name, part] : parts)
    if (name != "kind" && name != "options" && name != "song" && name != "lyrics" &&
        name != "images")
      problems.push_back({name,
                          "is not a part of an mv request; send kind, options, song, "
                          "lyrics and images"});
  if (const auto kind = parts.find("kind"); kind != parts.end() && kind->second.content != "mv")
    problems.push_back({"kind", fmt::format("'{}' is not known; accepts mv (a story is sent as "
                                            "JSON, not as a form)",
                                            kind->second.content.substr(0, 40))});
  for (const char* single : {"kind", "options", "song", "lyrics"})
    if (parts.count(single) > 1) problems.push_back({single, "is given more than once"});
  if (!parts.count("song"))
    problems.push_back(
        {"song", fmt::format("is missing; send the song's file ({})", kSongFormats)});
  if (parts.count("images") > kMaxUploadedImages)
    problems.push_back({"images", fmt::format("{} pictures; accepts at most {}",
                                              parts.count("images"), kMaxUploadedImages)});
  if (const auto options = parts.find("options"); options != parts.end()) {
    out.record.request = nlohmann::json::parse(options->second.content, nullptr, false);
    if (!out.record.request.is_object())
      problems.push_back({"options",
                          "is not a JSON object of mv options (seed, style, "
                          "resolution, fps, quality, font, captions)"});
  }
  if (!problems.empty()) return refuse(400, "the upload is not an mv request", problems);

  // The types, from the bytes.
  const httplib::MultipartFormData& song = parts.find("song")->second;
  const std::string song_ext = sniff_song(song.content);
  if (song_ext.empty())
    problems.push_back({"song", fmt::format("is not audio FFmpeg reads here (its first bytes "
                                            "are none of {}); send the song's audio file",
                                            kSongFormats)});
  std::vector<std::pair<const httplib::MultipartFormData*, std::string>> images;
  const auto [first, last] = parts.equal_range("images");
  std::size_t index = 0;
  for (auto it = first; it != last; ++it, ++index) {
    const std::string ext = sniff_image(it->second.content);
    if (ext.empty())
      problems.push_back({fmt::format("images[{}]", index),
                          fmt::format("{} is not a PNG, JPEG, WebP or BMP picture",
                                      it->second.filename.substr(0, 80))});
    images.emplace_back(&it->second, ext);
  }
  const auto lyrics = parts.find("lyrics");
  if (lyrics != parts.end() &&
      (lyrics->second.content.empty() || lyrics->second.content.find('\0') != std::string::npos))
    problems.push_back({"lyrics", "is not text; send LRC, SRT, WebVTT or plain lines in UTF-8"});
  if (!problems.empty()) return refuse(415, "a file is not of the type its part needs", problems);

  // Stored under names of our own.
  out.record.upload = new_job_id();
  const std::filesystem::path folder = data_dir / "uploads" / out.record.upload;
  std::error_code error;
  std::filesystem::create_directories(folder / "images", error);
  bool written = !error;
  out.record.song = "song" + song_ext;
  written = written && write_file(folder / out.record.song, song.content);
  if (lyrics != parts.end()) {
    out.record.lyrics = "lyrics" + lyrics_extension(lyrics->second.filename);
    written = written && write_file(folder / out.record.lyrics, lyrics->second.content);
  }
  for (std::size_t i = 0; i < images.size(); ++i)
    written =
        written && write_file(folder / "images" / fmt::format("{:03}{}", i + 1, images[i].second),
                              images[i].first->content);
  out.record.images = !images.empty();
  if (!written) {
    remove_upload(data_dir, out.record);
    return refuse(507, fmt::format("the upload could not be stored under {}", folder.string()), {});
  }
  return out;
}

void remove_upload(const std::filesystem::path& data_dir, const MvUploadRecord& record) {
  if (record.upload.size() != 32) return;
  std::error_code ignored;
  std::filesystem::remove_all(data_dir / "uploads" / record.upload, ignored);
}

}  // namespace tonepoem
