#include "jobs/make_request.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "audio/audio.h"

namespace tonepoem {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

constexpr std::array kFields = {
    MakeRequestField{
        "story", "string",
        "The story's text (UTF-8, English or Chinese). Required unless cues is given."},
    MakeRequestField{"cues", "object",
                     "An edited cue sheet (the cues.json of an earlier job) in place of the story: "
                     "its cues are composed as written, with its seed unless seed is given, and "
                     "not refined again unless refine is true. Not with story, story_name, "
                     "duration, lang or narrate."},
    MakeRequestField{"story_name", "string",
                     "A file name standing for the story in messages and format detection "
                     "(\"tale.md\"); default story.txt"},
    MakeRequestField{"duration", "number",
                     "Length of the piece in seconds, 5..3600 (0 or absent: reading speed)"},
    MakeRequestField{"seed", "integer", "Random seed, 0 or more; default 1"},
    MakeRequestField{"lang", "string", "Story language: auto, en or zh"},
    MakeRequestField{"video", "boolean", "Write video.mp4 (default true)"},
    MakeRequestField{"style", "string", "Video style (tonepoem video --list-styles)"},
    MakeRequestField{"music_style", "string",
                     "The music's orchestration: default, piano, strings, chiptune or ambient"},
    MakeRequestField{"resolution", "string", "Video size WxH, even numbers 160..3840"},
    MakeRequestField{"fps", "integer", "Video frames per second, 1..120"},
    MakeRequestField{"quality", "string", "Video encoding preset: draft, standard or high"},
    MakeRequestField{"font", "string", "Font family of the captions and titles"},
    MakeRequestField{"captions", "string", "Also write captions: none, srt or ass"},
    MakeRequestField{"musicxml", "boolean", "Also write score.musicxml"},
    MakeRequestField{"format", "string",
                     "Also write the mastered audio as score.EXT: wav16, wav24, wav-float, flac16, "
                     "flac24, ogg, mp3, m4a or opus"},
    MakeRequestField{"artist", "string", "Artist tag of the audio file"},
    MakeRequestField{"stems", "boolean", "Also write stems/GROUP.wav"},
    MakeRequestField{"narrate", "boolean", "espeak-ng reads the story; the music ducks under it"},
    MakeRequestField{"voice", "string", "Narration voice for espeak-ng: en, cmn, ..."},
    MakeRequestField{"duck", "number", "With narrate: how far the music drops, 8..40 dB"},
    MakeRequestField{"song", "boolean",
                     "A song: lyrics sung by a vocal line over the score, with lyrics.txt, "
                     ".json, .lrc, .enhanced.lrc and .ass (not with narrate or cues)"},
    MakeRequestField{"lyrics", "string",
                     "With song: the words to sing (plain text stanzas with optional [Chorus] "
                     "headings, or LRC) instead of lyrics written from the story"},
    MakeRequestField{"sing", "boolean",
                     "With song: a sung guide vocal (espeak-ng syllables pitched and timed to the "
                     "notes) in the audio, and vocal.wav"},
    MakeRequestField{"voice_range", "string",
                     "With song: the voice the vocal line is written for: middle (G3..D5, "
                     "default), soprano, alto, tenor, baritone or bass"},
    MakeRequestField{"refine", "boolean", "Judge and refine each section (default true)"},
    MakeRequestField{"refine_budget", "number", "Refinement time cap in seconds (0: none)"},
};

// The options an mv request carries beside its files (the make request's descriptions).
constexpr std::array kMvFields = {"seed",    "style", "resolution", "fps",
                                  "quality", "font",  "captions"};

// A score request's options (the film's own: `style` is the music's, as `tonepoem score --style`).
constexpr std::array kScoreFields = {
    MakeRequestField{"seed", "integer", "Random seed, 0 or more; default 1"},
    MakeRequestField{"style", "string",
                     "The music's orchestration: default, piano, strings, chiptune or ambient"},
    MakeRequestField{"duck", "number",
                     "How far the music drops under each subtitle, 0..40 dB (default 10)"},
    MakeRequestField{"loudness", "number",
                     "Delivery loudness of scored.mp4 in LUFS, -31..-9 (default -14)"},
    MakeRequestField{"lang", "string", "Subtitle language: auto, en or zh"},
};

// Option fields set through another request field.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kOptionToRequest = {{
    {"width", "resolution"},
    {"height", "resolution"},
    {"crf", "quality"},
    {"preset", "quality"},
    {"audio_bitrate", "quality"},
}};

bool has_type(const nlohmann::json& value, std::string_view type) {
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "number") return value.is_number();
  if (type == "integer") return value.is_number_integer();
  if (type == "object") return value.is_object();
  return false;
}

std::string_view type_in_words(std::string_view type) {
  if (type == "string") return "a string";
  if (type == "boolean") return "true or false";
  if (type == "number") return "a number";
  if (type == "object") return "a JSON object";
  return "a whole number";
}

// Reads `request`'s fields from `fields` with `apply` (name, value -> problem); every problem is
// named by its field: an unknown name, a wrong JSON type, a value `apply` refuses.
template <typename Fields, typename Apply>
OptionProblems read_fields(const nlohmann::json& request, const Fields& fields,
                           std::string_view job, Apply apply) {
  OptionProblems problems;
  for (const auto& [name, value] : request.items()) {
    const auto field =
        std::find_if(fields.begin(), fields.end(),
                     [&key = name](const MakeRequestField& f) { return f.name == key; });
    if (field == fields.end()) {
      std::string known;
      for (const MakeRequestField& f : fields)
        known += (known.empty() ? "" : ", ") + std::string(f.name);
      problems.push_back({name, fmt::format("is not {} option; accepts {}", job, known)});
      continue;
    }
    if (!has_type(value, field->type)) {
      problems.push_back({name, fmt::format("is a JSON {}; accepts {}", value.type_name(),
                                            type_in_words(field->type))});
      continue;
    }
    if (std::string problem = apply(field->name, value); !problem.empty())
      problems.push_back({name, std::move(problem)});
  }
  return problems;
}

// A seed: a whole number 0 or more (parsed JSON holds 42 as unsigned; a built one as signed).
std::string read_seed(const nlohmann::json& value, std::uint64_t& seed) {
  if (!value.is_number_unsigned() && value.get<std::int64_t>() < 0)
    return fmt::format("{} is out of range; accepts a whole number 0 or more", value.dump());
  seed = value.get<std::uint64_t>();
  return {};
}

std::string read_language(const nlohmann::json& value, LanguageChoice& language) {
  const auto parsed = parse_language(value.get<std::string>());
  if (!parsed)
    return fmt::format("'{}' is not known; accepts auto, en or zh", value.get<std::string>());
  language = *parsed;
  return {};
}

// Sets the one option `name` from `value` (already of the field's type); returns the problem.
std::string apply_field(std::string_view name, const nlohmann::json& value, MakeOptions& o,
                        std::string& quality) {
  if (name == "story") {
    o.story_text = value.get<std::string>();
    if (o.story_text.empty()) return "is empty; give the story's text";
  } else if (name == "cues") {
    try {
      o.cue_sheet = value.get<CueSheet>();
    } catch (const Error& e) {
      return e.fix().empty() ? std::string(e.what()) : fmt::format("{} ({})", e.what(), e.fix());
    } catch (const nlohmann::json::exception& e) {
      return fmt::format("is not a cue sheet: {} (see README.md, 'Cue sheet format')", e.what());
    }
  } else if (name == "story_name") {
    const std::string text = value.get<std::string>();
    if (text.empty() || text.size() > 255 || text.find('/') != std::string::npos ||
        text.find('\\') != std::string::npos || text.find('\0') != std::string::npos ||
        text == "." || text == "..")
      return "must be a plain file name of 1 to 255 characters (no folders), like tale.md";
    o.story_name = text;
  } else if (name == "duration") {
    o.duration_s = value.get<double>();
  } else if (name == "seed") {
    return read_seed(value, o.seed);
  } else if (name == "lang") {
    return read_language(value, o.language);
  } else if (name == "video") {
    o.video = value.get<bool>();
  } else if (name == "style") {
    o.video_options.style = value.get<std::string>();
  } else if (name == "music_style") {
    o.music_style = value.get<std::string>();
  } else if (name == "resolution") {
    return parse_resolution(value.get<std::string>(), o.video_options);
  } else if (name == "fps") {
    const std::int64_t fps = value.get<std::int64_t>();
    if (fps < 1 || fps > 120) return fmt::format("{} must be in 1..120", fps);
    o.video_options.fps = static_cast<int>(fps);
  } else if (name == "quality") {
    quality = value.get<std::string>();
    try {
      apply_quality(o.video_options, quality);
    } catch (const Error&) {
      return fmt::format("'{}' is not known; accepts draft, standard or high", quality);
    }
  } else if (name == "font") {
    o.video_options.font = value.get<std::string>();
  } else if (name == "captions") {
    const auto captions = parse_caption_format(value.get<std::string>());
    if (!captions)
      return fmt::format("'{}' is not known; accepts none, srt or ass", value.get<std::string>());
    o.captions = *captions;
  } else if (name == "musicxml") {
    o.musicxml = value.get<bool>();
  } else if (name == "format") {
    const std::string text = value.get<std::string>();
    if (std::string problem = audio_format_problem(text); !problem.empty()) return problem;
    o.audio_format = *parse_audio_format(text);
  } else if (name == "artist") {
    o.artist = value.get<std::string>();
  } else if (name == "stems") {
    o.stems = value.get<bool>();
  } else if (name == "narrate") {
    o.narrate = value.get<bool>();
  } else if (name == "voice") {
    o.voice = value.get<std::string>();
  } else if (name == "duck") {
    o.ducking.depth_db = value.get<double>();
  } else if (name == "song") {
    o.song = value.get<bool>();
  } else if (name == "lyrics") {
    o.lyrics_text = value.get<std::string>();
    if (o.lyrics_text.empty()) return "is empty; give the words to sing, or leave the field out";
  } else if (name == "sing") {
    o.sing = value.get<bool>();
  } else if (name == "voice_range") {
    o.voice_range = value.get<std::string>();
  } else if (name == "refine") {
    o.refine = value.get<bool>();
  } else if (name == "refine_budget") {
    o.refine_budget_s = value.get<double>();
  }
  return {};
}

}  // namespace

std::string parse_resolution(std::string_view text, VideoOptions& video) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  std::istringstream in{std::string(text)};
  if (!(in >> w >> x >> h) || (x != 'x' && x != 'X') || (in >> extra))
    return fmt::format("'{}' is not WxH (for example 1280x720, 720x1280, 1080x1080)", text);
  video.width = w;
  video.height = h;
  return {};
}

std::optional<LanguageChoice> parse_language(std::string_view name) {
  const std::string n = lower(name);
  if (n == "auto") return LanguageChoice::automatic;
  if (n == "en") return LanguageChoice::en;
  if (n == "zh") return LanguageChoice::zh;
  return std::nullopt;
}

std::optional<CaptionFormat> parse_caption_format(std::string_view name) {
  const std::string n = lower(name);
  if (n == "none") return CaptionFormat::none;
  if (n == "srt") return CaptionFormat::srt;
  if (n == "ass") return CaptionFormat::ass;
  return std::nullopt;
}

std::string audio_format_problem(std::string_view name) {
  if (parse_audio_format(name)) return {};
  return fmt::format(
      "'{}' is not known; accepts wav16, wav24, wav-float, flac16, flac24, ogg, mp3, m4a or opus",
      name);
}

std::span<const MakeRequestField> make_request_fields() {
  return kFields;
}

std::string make_request_field_for(std::string_view field) {
  for (const auto& [option, request] : kOptionToRequest)
    if (option == field) return std::string(request);
  return std::string(field);
}

std::span<const MakeRequestField> mv_request_fields() {
  static const std::vector<MakeRequestField> fields = [] {
    std::vector<MakeRequestField> out;
    for (const MakeRequestField& f : kFields)
      if (std::find(kMvFields.begin(), kMvFields.end(), f.name) != kMvFields.end())
        out.push_back(f);
    return out;
  }();
  return fields;
}

MvJobOptions mv_options_from_request(const nlohmann::json& request, const MvUploads& uploads) {
  if (!request.is_object())
    throw InvalidOptions({{"options", fmt::format("is a JSON {}; send a JSON object of options",
                                                  request.type_name())}});
  // The fields shared with make are read into a MakeOptions, then carried over.
  MakeOptions read;
  std::string quality;
  OptionProblems problems = read_fields(request, mv_request_fields(), "an mv",
                                        [&](std::string_view name, const nlohmann::json& v) {
                                          return apply_field(name, v, read, quality);
                                        });
  MvJobOptions options;
  options.song = uploads.song;
  options.lyrics = uploads.lyrics;
  options.clips = uploads.clips;
  if (request.contains("seed")) options.seed = read.seed;
  options.captions = read.captions;
  options.video = read.video_options;
  if (problems.empty() && !uploads.images.empty()) {
    try {
      options.video.images = list_images(uploads.images);
    } catch (const Error& e) {
      problems.push_back({"images", e.what()});
    }
  }
  // The pictures or clips are the point of a music video: shown in full unless a style is asked.
  if (!request.contains("style") && (!options.video.images.empty() || !options.clips.empty()))
    options.video.style = "storybook";
  if (problems.empty())
    for (OptionProblem& p : options.validate())
      problems.push_back({make_request_field_for(p.field), std::move(p.message)});
  throw_if_invalid(std::move(problems));
  return options;
}

std::span<const MakeRequestField> score_request_fields() {
  return kScoreFields;
}

ScoreOptions score_options_from_request(const nlohmann::json& request,
                                        const ScoreUploads& uploads) {
  if (!request.is_object())
    throw InvalidOptions({{"options", fmt::format("is a JSON {}; send a JSON object of options",
                                                  request.type_name())}});
  ScoreOptions options;
  options.video = uploads.video;
  options.subtitles = uploads.subtitles;
  auto apply = [&](std::string_view name, const nlohmann::json& value) -> std::string {
    if (name == "seed") return read_seed(value, options.seed);
    if (name == "lang") return read_language(value, options.language);
    if (name == "style") options.style = value.get<std::string>();
    if (name == "duck") options.duck_db = value.get<double>();
    if (name == "loudness") options.loudness_lufs = value.get<double>();
    return {};
  };
  OptionProblems problems = read_fields(request, kScoreFields, "a score", apply);
  if (problems.empty())
    for (OptionProblem& p : options.validate()) problems.push_back(std::move(p));
  throw_if_invalid(std::move(problems));
  return options;
}

MakeOptions make_options_from_request(const nlohmann::json& request) {
  if (!request.is_object())
    throw InvalidOptions({{"body", fmt::format("is a JSON {}; send a JSON object of options with "
                                               "at least \"story\"",
                                               request.type_name())}});
  MakeOptions options;
  std::string quality;
  OptionProblems problems =
      read_fields(request, kFields, "a make", [&](std::string_view name, const nlohmann::json& v) {
        return apply_field(name, v, options, quality);
      });
  if (request.contains("cues")) {
    for (const char* field : {"story", "story_name", "lang"})
      if (request.contains(field))
        problems.push_back({field, "not accepted with cues (the cue sheet replaces the story)"});
    // A cue sheet keeps its own seed and is composed as written unless asked otherwise.
    if (options.cue_sheet && !request.contains("seed")) options.seed = options.cue_sheet->seed;
    if (!request.contains("refine")) options.refine = false;
  } else if (!request.contains("story")) {
    problems.push_back({"story",
                        "is missing; give the story's text, or an edited cue sheet as "
                        "cues"});
  }
  if (problems.empty())
    for (OptionProblem& p : options.validate())
      problems.push_back({make_request_field_for(p.field), std::move(p.message)});
  throw_if_invalid(std::move(problems));
  return options;
}

}  // namespace tonepoem
