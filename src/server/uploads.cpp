#include "server/uploads.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <initializer_list>

#include <fmt/format.h>

#include "server/job_queue.h"

namespace tonepoem {
namespace {

bool starts_with(std::string_view bytes, std::string_view magic, std::size_t at = 0) {
  return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
}

// The extension a text file is stored under: the client's when it is one of `known` (the
// readers tell formats apart by it), else `fallback`.
std::string text_extension(std::string_view client_name, std::initializer_list<const char*> known,
                           const char* fallback) {
  std::string ext;
  if (const auto dot = client_name.rfind('.'); dot != std::string_view::npos)
    ext = std::string(client_name.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* k : known)
    if (ext == k) return ext;
  return fallback;
}

// The name a file is stored under: the client's base name without its extension, reduced to
// lower-case letters, digits, '-' and '_' (at most 48; "../../etc/passwd" is "passwd"), or
// `fallback` when nothing is left; then `extension`. The name matters: a film's subtitles file
// names the score's title, as it does for `tonepoem score`.
std::string stored_name(std::string_view client_name, std::string_view fallback,
                        std::string_view extension) {
  if (const auto slash = client_name.find_last_of("/\\"); slash != std::string_view::npos)
    client_name = client_name.substr(slash + 1);
  if (const auto dot = client_name.rfind('.'); dot != std::string_view::npos)
    client_name = client_name.substr(0, dot);
  std::string name;
  for (unsigned char c : client_name) {
    if (name.size() >= 48) break;
    if (std::isalnum(c))
      name += static_cast<char>(std::tolower(c));
    else if (c == '-' || c == '_' || c == ' ')
      name += c == ' ' ? '-' : static_cast<char>(c);
  }
  if (name.empty()) name = fallback;
  return name + std::string(extension);
}

bool is_text(const std::string& bytes) {
  return !bytes.empty() && bytes.find('\0') == std::string::npos;
}

bool write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out.flush());
}

constexpr std::string_view kSongFormats = "WAV, FLAC, Ogg, MP3, AAC, M4A/MP4, MKV/WebM";
constexpr std::string_view kVideoFormats = "MP4/MOV, MKV/WebM, AVI, MPEG-TS";

// The parts each kind accepts: its main file, its text file, whether pictures or clips.
struct FormKind {
  std::string_view kind, file, text;
  bool images;
};
constexpr FormKind kForms[] = {{"mv", "song", "lyrics", true},
                               {"score", "video", "subtitles", false}};

// Moves the staged files into `folder` as 001.EXT, 002.EXT ... with the extension found in each;
// false when one cannot be moved.
bool move_numbered(const std::vector<std::pair<const ReceivedPart*, std::string>>& files,
                   const std::filesystem::path& folder) {
  std::error_code error;
  if (!files.empty()) std::filesystem::create_directories(folder, error);
  for (std::size_t i = 0; i < files.size() && !error; ++i)
    std::filesystem::rename(files[i].first->staged,
                            folder / fmt::format("{:03}{}", i + 1, files[i].second), error);
  return !error;
}

// The parts named `name`, each with the extension `sniff` finds in its first bytes; a problem
// named name[N] for each it finds none in.
std::vector<std::pair<const ReceivedPart*, std::string>> sniffed_parts(
    const ReceivedForm& parts, const std::string& name, std::string (*sniff)(std::string_view),
    std::string_view what, OptionProblems& problems) {
  std::vector<std::pair<const ReceivedPart*, std::string>> out;
  const auto [first, last] = parts.equal_range(name);
  std::size_t index = 0;
  for (auto it = first; it != last; ++it, ++index) {
    const std::string ext = it->second.staged.empty() ? "" : sniff(it->second.content);
    if (ext.empty())
      problems.push_back({fmt::format("{}[{}]", name, index),
                          fmt::format("{} is not {}", it->second.filename.substr(0, 80), what)});
    out.emplace_back(&it->second, ext);
  }
  return out;
}

// Bytes of a file part kept in memory for sniffing its type.
constexpr std::size_t kSniffBytes = 4096;
// Parts a form may have at most (two files per picture allowed, and the rest).
constexpr std::size_t kMaxParts = 2 * kMaxUploadedImages + 16;

bool is_file_part(std::string_view name) {
  return name == "song" || name == "video" || name == "images" || name == "clips";
}

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

std::string sniff_video(std::string_view b) {
  if (starts_with(b, "ftyp", 4)) return ".mp4";
  if (starts_with(b, "\x1A\x45\xDF\xA3")) return ".mkv";
  if (starts_with(b, "RIFF") && starts_with(b, "AVI ", 8)) return ".avi";
  if (b.size() > 376 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47) return ".ts";
  return {};
}

std::string sniff_image(std::string_view b) {
  if (starts_with(b, "\x89PNG\r\n\x1A\n")) return ".png";
  if (starts_with(b, "\xFF\xD8\xFF")) return ".jpg";
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return ".webp";
  if (starts_with(b, "BM") && b.size() > 26) return ".bmp";
  return {};
}

FormReceiver::FormReceiver(std::filesystem::path data_dir, std::uint64_t max_bytes)
    : data_dir_(std::move(data_dir)), id_(new_job_id()), max_bytes_(max_bytes) {
  folder_ = data_dir_ / "uploads" / (id_ + ".partial");
}

FormReceiver::~FormReceiver() {
  close_file();
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

void FormReceiver::close_file() {
  if (file_ && std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
}

bool FormReceiver::begin_part(const httplib::MultipartFormData& header) {
  close_file();
  if (parts_.size() >= kMaxParts) {
    too_many_ = true;
    return false;
  }
  ReceivedPart part;
  part.name = header.name;
  part.filename = header.filename;
  // Files past the most a form may need are not staged: store_upload counts and refuses them.
  if (is_file_part(part.name) && files_ <= kMaxUploadedImages + 1) {
    std::error_code error;
    std::filesystem::create_directories(folder_, error);
    part.staged = folder_ / fmt::format(".part-{}", files_++);
    file_ = error ? nullptr : std::fopen(part.staged.c_str(), "wb");
    if (!file_) {
      failed_ = true;
      return false;
    }
  }
  current_ = &parts_.emplace(part.name, std::move(part))->second;
  return true;
}

bool FormReceiver::append(const char* data, std::size_t size) {
  received_ += size;
  if (received_ > max_bytes_) {
    too_large_ = true;
    return false;
  }
  if (!current_) return true;
  ReceivedPart& part = *current_;
  part.size += size;
  if (!part.staged.empty()) {
    if (part.content.size() < kSniffBytes)
      part.content.append(data, std::min(size, kSniffBytes - part.content.size()));
    if (file_ && std::fwrite(data, 1, size, file_) != size) {
      failed_ = true;
      return false;
    }
  } else if (part.content.size() + size > kMaxTextBody) {
    part.over_limit = true;
  } else if (!part.over_limit && !is_file_part(part.name)) {
    part.content.append(data, size);
  }
  return true;
}

void remove_stale_uploads(const std::filesystem::path& data_dir) {
  std::error_code error;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (std::filesystem::directory_iterator it(data_dir / "uploads", error), end;
       !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(".partial")) continue;
    // The folder's own time moves only when a part starts; a slow upload still arriving writes
    // to a file in it, so the newest of them says whether anyone is still at work there.
    std::error_code ignored;
    auto newest = it->last_write_time(ignored);
    for (std::filesystem::directory_iterator file(it->path(), ignored), last;
         !ignored && file != last; file.increment(ignored)) {
      std::error_code unreadable;
      newest = std::max(newest, file->last_write_time(unreadable));
    }
    if (now - newest > std::chrono::hours(1)) std::filesystem::remove_all(it->path(), ignored);
  }
}

StoredUpload store_upload(FormReceiver& received, const std::filesystem::path& data_dir) {
  const ReceivedForm& parts = received.parts();
  StoredUpload out;
  auto refuse = [&](int status, std::string message, OptionProblems problems) {
    out.status = status;
    out.message = std::move(message);
    out.problems = std::move(problems);
    return out;
  };
  OptionProblems problems;
  const auto kind_part = parts.find("kind");
  out.kind = kind_part == parts.end() ? "mv" : kind_part->second.content;
  const FormKind* form = nullptr;
  for (const FormKind& f : kForms)
    if (f.kind == out.kind) form = &f;
  if (!form)
    return refuse(400, "the upload is not a job this server makes",
                  {{"kind", fmt::format("'{}' is not known; accepts mv (a song) or score (a film); "
                                        "a story is sent as JSON, not as a form",
                                        out.kind.substr(0, 40))}});
  for (const auto& [name, part] : parts)
    if (name != "kind" && name != "options" && name != form->file && name != form->text &&
        !(form->images && (name == "images" || name == "clips")))
      problems.push_back(
          {name, fmt::format("is not a part of a {} request; send kind, options, {}, "
                             "{}{}",
                             form->kind, form->file, form->text,
                             form->images ? ", images or clips" : "")});
  for (std::string_view single :
       {std::string_view("kind"), std::string_view("options"), form->file, form->text})
    if (parts.count(std::string(single)) > 1)
      problems.push_back({std::string(single), "is given more than once"});
  const std::string_view formats = form->images ? kSongFormats : kVideoFormats;
  const auto file = parts.find(std::string(form->file));
  if (file == parts.end())
    problems.push_back(
        {std::string(form->file), fmt::format("is missing; send the {}'s file ({})",
                                              form->images ? "song" : "film", formats)});
  if (parts.count("images") > kMaxUploadedImages)
    problems.push_back({"images", fmt::format("{} pictures; accepts at most {}",
                                              parts.count("images"), kMaxUploadedImages)});
  if (parts.count("clips") > kMaxUploadedImages)
    problems.push_back({"clips", fmt::format("{} clips; accepts at most {}", parts.count("clips"),
                                             kMaxUploadedImages)});
  if (parts.count("images") && parts.count("clips"))
    problems.push_back({"clips", "give pictures or video clips, not both"});
  if (const auto options = parts.find("options"); options != parts.end()) {
    out.record.request = nlohmann::json::parse(options->second.content, nullptr, false);
    if (!out.record.request.is_object())
      problems.push_back(
          {"options", fmt::format("is not a JSON object of {} options", form->kind)});
  }
  if (!problems.empty())
    return refuse(400, fmt::format("the upload is not a {} request", form->kind), problems);
  for (const auto& [name, part] : parts)
    if (part.over_limit)
      problems.push_back({name, fmt::format("is over {} MiB; text parts (kind, options, {}) are "
                                            "at most that",
                                            kMaxTextBody >> 20, form->text)});
  if (!problems.empty()) return refuse(413, "a part of the upload is too large", problems);

  // The types, from the bytes.
  const std::string file_ext =
      form->images ? sniff_song(file->second.content) : sniff_video(file->second.content);
  if (file_ext.empty())
    problems.push_back(
        {std::string(form->file),
         fmt::format("is not {} FFmpeg reads here (its first bytes are none of "
                     "{}); send the {}'s file",
                     form->images ? "audio" : "a video", formats, form->images ? "song" : "film")});
  const auto images =
      sniffed_parts(parts, "images", sniff_image, "a PNG, JPEG, WebP or BMP picture", problems);
  const auto clips = sniffed_parts(parts, "clips", sniff_video,
                                   "a video clip (MP4/MOV, MKV/WebM, AVI, MPEG-TS)", problems);
  const auto text = parts.find(std::string(form->text));
  if (text != parts.end() && !is_text(text->second.content))
    problems.push_back({std::string(form->text),
                        form->images ? "is not text; send LRC, SRT, WebVTT or plain lines in UTF-8"
                                     : "is not text; send SRT, WebVTT or ASS/SSA subtitles"});
  if (!problems.empty()) return refuse(415, "a file is not of the type its part needs", problems);

  // Stored under names of our own, in the staging folder, which then becomes the upload's.
  out.record.upload = received.id();
  const std::filesystem::path folder = received.folder();
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  bool written = !error;
  out.record.file = stored_name(file->second.filename, form->file, file_ext);
  std::filesystem::rename(file->second.staged, folder / out.record.file, error);
  written = written && !error;
  if (text != parts.end()) {
    out.record.text = stored_name(
        text->second.filename, form->text,
        form->images
            ? text_extension(text->second.filename, {".lrc", ".srt", ".vtt", ".txt"}, ".txt")
            : text_extension(text->second.filename, {".srt", ".vtt", ".ass", ".ssa"},
                             text->second.content.rfind("WEBVTT", 0) == 0 ? ".vtt"
                             : text->second.content.find("[Script Info]") != std::string::npos
                                 ? ".ass"
                                 : ".srt"));
    written = written && write_file(folder / out.record.text, text->second.content);
  }
  written =
      written && move_numbered(images, folder / "images") && move_numbered(clips, folder / "clips");
  out.record.images = !images.empty();
  out.record.clips = !clips.empty();
  // The staged files no part took (a second song, say) go; then the folder is the upload's.
  for (std::filesystem::directory_iterator it(folder, error), end; written && !error && it != end;
       it.increment(error))
    if (it->path().filename().string().starts_with(".part-"))
      std::filesystem::remove(it->path(), error);
  written = written && !error;
  if (written) std::filesystem::rename(folder, data_dir / "uploads" / out.record.upload, error);
  if (!written || error)
    return refuse(507, fmt::format("the upload could not be stored under {}", folder.string()), {});
  return out;
}

void remove_upload(const std::filesystem::path& data_dir, const UploadRecord& record) {
  if (record.upload.size() != 32) return;
  std::error_code ignored;
  std::filesystem::remove_all(data_dir / "uploads" / record.upload, ignored);
}

}  // namespace tonepoem
