#include "live/commands.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tonepoem::live {

namespace {

// The field as a number clamped into [lo, hi], with a warning when it was not in range; nullopt
// (and a warning) when it is not a number.
std::optional<double> number_field(const nlohmann::json& j, const char* name, double lo, double hi,
                                   std::size_t line, std::vector<std::string>& warnings) {
  if (!j.contains(name)) return std::nullopt;
  const nlohmann::json& v = j.at(name);
  if (!v.is_number()) {
    warnings.push_back(fmt::format("line {}: {} must be a number from {} to {} (got {}); ignored",
                                   line, name, lo, hi, v.dump()));
    return std::nullopt;
  }
  const double x = v.get<double>();
  const double c = std::clamp(x, lo, hi);
  if (c != x)
    warnings.push_back(
        fmt::format("line {}: {} {} is outside {} .. {}; clamped to {}", line, name, x, lo, hi, c));
  return c;
}

}  // namespace

ParsedLine parse_command_line(std::string_view line, std::size_t n) {
  ParsedLine out;
  const auto first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || line[first] == '#') return out;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    out.warnings.push_back(fmt::format(
        "line {}: not JSON (a syntax error at byte {}); skipped, the music goes on", n, e.byte));
    return out;
  }
  if (!j.is_object()) {
    out.warnings.push_back(
        fmt::format("line {}: a command is a JSON object such as {{\"valence\": -0.5, \"at\": "
                    "\"bar\"}} (got {}); skipped",
                    n, j.dump()));
    return out;
  }
  static constexpr std::string_view kKnown[] = {"t",   "valence",   "arousal", "tension", "at",
                                                "hit", "character", "stop",    "caption"};
  for (const auto& [key, value] : j.items())
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      out.warnings.push_back(fmt::format(
          "line {}: unknown field '{}' ignored (known: t, valence, arousal, tension, at, hit, "
          "character, stop, caption)",
          n, key));

  LiveCommand c;
  if (j.contains("t")) {
    const nlohmann::json& t = j.at("t");
    if (t.is_number() && std::isfinite(t.get<double>()) && t.get<double>() >= 0)
      c.t = t.get<double>();
    else
      out.warnings.push_back(fmt::format(
          "line {}: t must be seconds >= 0 (got {}); the command is made when read", n, t.dump()));
  }
  const bool is_emotion = j.contains("valence") || j.contains("arousal") || j.contains("tension");
  const int kinds = (is_emotion ? 1 : 0) + (j.contains("hit") ? 1 : 0) +
                    (j.contains("character") ? 1 : 0) + (j.contains("stop") ? 1 : 0) +
                    (j.contains("caption") ? 1 : 0);
  if (kinds == 0) {
    out.warnings.push_back(fmt::format(
        "line {}: no command (give valence/arousal/tension, hit, character, stop or caption); "
        "skipped",
        n));
    return out;
  }
  if (kinds > 1) {
    out.warnings.push_back(
        fmt::format("line {}: one command per line (emotion, hit, character, stop or caption); "
                    "skipped",
                    n));
    return out;
  }
  if (j.contains("stop")) {
    const nlohmann::json& s = j.at("stop");
    c.type = LiveCommand::Type::stop;
    if (s == true || s == "cadence") {
      c.ending = Ending::cadence;
    } else if (s == "now") {
      c.ending = Ending::now;
    } else {
      out.warnings.push_back(fmt::format(
          "line {}: stop is true, \"cadence\" or \"now\" (got {}); skipped", n, s.dump()));
      return out;
    }
  } else if (j.contains("hit") || j.contains("character") || j.contains("caption")) {
    const char* key = j.contains("hit") ? "hit" : j.contains("character") ? "character" : "caption";
    const nlohmann::json& v = j.at(key);
    if (!v.is_string()) {
      out.warnings.push_back(
          fmt::format("line {}: {} must be a string (got {}); skipped", n, key, v.dump()));
      return out;
    }
    c.type = j.contains("hit")         ? LiveCommand::Type::hit
             : j.contains("character") ? LiveCommand::Type::character
                                       : LiveCommand::Type::caption;
    c.text = v.get<std::string>();
  } else {
    c.type = LiveCommand::Type::emotion;
    c.valence = number_field(j, "valence", -1, 1, n, out.warnings);
    c.arousal = number_field(j, "arousal", -1, 1, n, out.warnings);
    c.tension = number_field(j, "tension", 0, 1, n, out.warnings);
    if (!c.valence && !c.arousal && !c.tension) {
      out.warnings.push_back(fmt::format("line {}: no usable emotion value; skipped", n));
      return out;
    }
  }
  if (j.contains("at")) {
    const nlohmann::json& at = j.at("at");
    if (at == "beat") {
      c.at = At::beat;
    } else if (at == "bar") {
      c.at = At::bar;
    } else if (at == "phrase") {
      c.at = At::phrase;
    } else {
      out.warnings.push_back(
          fmt::format("line {}: at must be \"beat\", \"bar\" or \"phrase\" (got {}); using \"bar\"",
                      n, at.dump()));
    }
  }
  out.command = c;
  return out;
}

}  // namespace tonepoem::live
