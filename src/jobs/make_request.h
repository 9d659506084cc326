// The make job's options by name, for front-ends that receive them as values rather than flags (the
// HTTP server's JSON body), and the string parsers every front-end shares (the CLI's --resolution,
// --format, --lang, --captions go through the same functions). Validation stays in one place,
// MakeOptions::validate(); this only turns named values into MakeOptions and names what is wrong.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "jobs/make_job.h"
#include "jobs/mv_job.h"
#include "jobs/score_job.h"

namespace tonepoem {

// "1280x720" -> width and height of `video`. Returns the problem (empty when parsed), which says
// what is accepted.
std::string parse_resolution(std::string_view text, VideoOptions& video);
// "auto", "en", "zh" (case-insensitive).
std::optional<LanguageChoice> parse_language(std::string_view name);
// "none", "srt", "ass" (case-insensitive).
std::optional<CaptionFormat> parse_caption_format(std::string_view name);
// The problem with an audio format name (empty when known), listing the accepted ones.
std::string audio_format_problem(std::string_view name);

// One field of a make request, as the JSON body spells it. The names are the CLI's flags without
// the dashes ("refine_budget" is --refine-budget); `type` is the JSON type ("string", "number",
// "integer", "boolean").
struct MakeRequestField {
  std::string_view name;
  std::string_view type;
  std::string_view description;
};
std::span<const MakeRequestField> make_request_fields();

// The request field that carries option field `field` (OptionProblem::field from validate():
// "width" -> "resolution", "crf" -> "quality"); other names are returned unchanged.
std::string make_request_field_for(std::string_view field);

// A JSON object of make_request_fields() -> MakeOptions with `story_text` set (the story is given
// as text, never as a path: a request cannot name a file on the server). Throws InvalidOptions
// listing every problem, each naming the request field: a body that is not an object, an unknown
// field, a value of the wrong type, a name not accepted, and then everything validate() finds.
MakeOptions make_options_from_request(const nlohmann::json& request);

// The files of an mv request, already received and stored by the front-end (a request never
// names a path on the server): the song, and optionally the lyrics and a folder of pictures or
// one of video clips.
struct MvUploads {
  std::filesystem::path song;
  std::filesystem::path lyrics;  // empty: none
  std::filesystem::path images;  // empty: none
  std::filesystem::path clips;   // a folder of video clips; empty: none
};

// The options an mv request may carry beside its files: seed, style, resolution, fps, quality,
// font, captions (as make_request_fields() describes them).
std::span<const MakeRequestField> mv_request_fields();

// A JSON object of mv_request_fields() and the stored `uploads` -> MvJobOptions, the pictures or
// clips shown in full (the "storybook" style) unless a style is given, as `tonepoem mv` does.
// Throws InvalidOptions listing every problem, each naming the request field, as
// make_options_from_request does.
MvJobOptions mv_options_from_request(const nlohmann::json& request, const MvUploads& uploads);

// The files of a score request, stored by the front-end: the film, and optionally its subtitles.
struct ScoreUploads {
  std::filesystem::path video;
  std::filesystem::path subtitles;  // empty: the film's own subtitle stream, else none
};

// The options a score request may carry beside its files: seed, style (the music's), duck,
// loudness, lang.
std::span<const MakeRequestField> score_request_fields();

// A JSON object of score_request_fields() and the stored `uploads` -> ScoreOptions. Throws
// InvalidOptions listing every problem, each naming the request field.
ScoreOptions score_options_from_request(const nlohmann::json& request, const ScoreUploads& uploads);

}  // namespace tonepoem
