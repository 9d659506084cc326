#include "live/osc.h"

#include <lo/lo.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace tonepoem::live {

namespace {

struct MessageFree {
  void operator()(lo_message m) const { lo_message_free(m); }
};

bool is_number(char type) {
  return type == 'i' || type == 'f' || type == 'd' || type == 'h';
}

// liblo's arguments point into the datagram, 4-byte aligned only: read them by copying, never
// through lo_arg (a union of 8-byte members).
template <typename T>
T read_arg(const lo_arg* arg) {
  T value;
  std::memcpy(&value, arg, sizeof value);
  return value;
}

double number_of(char type, const lo_arg* arg) {
  switch (type) {
    case 'i':
      return read_arg<std::int32_t>(arg);
    case 'f':
      return read_arg<float>(arg);
    case 'd':
      return read_arg<double>(arg);
    default:
      return static_cast<double>(read_arg<std::int64_t>(arg));
  }
}

std::optional<At> at_of(std::string_view s) {
  if (s == "beat") return At::beat;
  if (s == "bar") return At::bar;
  if (s == "phrase") return At::phrase;
  return std::nullopt;
}

}  // namespace

ParsedLine parse_osc_message(std::span<const std::byte> datagram, std::size_t number) {
  ParsedLine out;
  std::string where = fmt::format("OSC message {}", number);
  auto skip = [&](const std::string& why) {
    out.warnings.push_back(fmt::format("{}: {}; skipped, the music goes on", where, why));
    return out;
  };
  if (datagram.size() >= 8 && std::string_view(reinterpret_cast<const char*>(datagram.data()), 7) ==
                                  std::string_view("#bundle", 7))
    return skip("OSC bundles are not taken; send each command as its own message");
  // liblo reads from a mutable buffer; it never writes past `size`.
  std::vector<std::byte> copy(datagram.begin(), datagram.end());
  int result = 0;
  std::unique_ptr<std::remove_pointer_t<lo_message>, MessageFree> message(
      copy.empty() ? nullptr : lo_message_deserialise(copy.data(), copy.size(), &result));
  if (!message || result != 0) return skip("not an OSC message");
  // The address is the datagram's first string, which the decoder has just checked.
  const std::string path(reinterpret_cast<const char*>(copy.data()),
                         strnlen(reinterpret_cast<const char*>(copy.data()), copy.size()));
  const char* types_c = lo_message_get_types(message.get());
  const std::string types = types_c ? types_c : "";
  lo_arg** argv = lo_message_get_argv(message.get());
  where = fmt::format("OSC message {} ({} ,{})", number, path, types);

  constexpr std::string_view kPrefix = "/tonepoem/";
  if (path.rfind(kPrefix, 0) != 0)
    return skip(
        "addresses start /tonepoem/ (emotion, valence, arousal, tension, hit, character, caption, "
        "stop)");
  const std::string verb = path.substr(kPrefix.size());
  const std::size_t numbers = static_cast<std::size_t>(
      std::find_if_not(types.begin(), types.end(), is_number) - types.begin());
  auto string_at = [&](std::size_t i) -> std::optional<std::string> {
    if (i >= types.size() || (types[i] != 's' && types[i] != 'S')) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(argv[i]));
  };
  LiveCommand c;
  auto clamped = [&](std::size_t i, const char* name, double lo, double hi) {
    const double x = number_of(types[i], argv[i]);
    const double v = std::isfinite(x) ? std::clamp(x, lo, hi) : 0.0;
    if (v != x)
      out.warnings.push_back(
          fmt::format("{}: {} {} is outside {} .. {}; clamped to {}", where, name, x, lo, hi, v));
    return v;
  };
  auto read_at = [&](std::size_t i) -> bool {
    if (i == types.size()) return true;
    const auto s = string_at(i);
    const auto at = s ? at_of(*s) : std::nullopt;
    if (!at || i + 1 != types.size()) return false;
    c.at = *at;
    return true;
  };

  if (verb == "emotion") {
    if (numbers < 2 || numbers > 3 || !read_at(numbers))
      return skip(
          "give valence and arousal (and tension) as numbers, then \"beat\", \"bar\" or "
          "\"phrase\" if wanted");
    c.type = LiveCommand::Type::emotion;
    c.valence = clamped(0, "valence", -1, 1);
    c.arousal = clamped(1, "arousal", -1, 1);
    if (numbers == 3) c.tension = clamped(2, "tension", 0, 1);
  } else if (verb == "valence" || verb == "arousal" || verb == "tension") {
    if (numbers != 1 || !read_at(1))
      return skip("give one number, then \"beat\", \"bar\" or \"phrase\" if wanted");
    c.type = LiveCommand::Type::emotion;
    if (verb == "valence") c.valence = clamped(0, "valence", -1, 1);
    if (verb == "arousal") c.arousal = clamped(0, "arousal", -1, 1);
    if (verb == "tension") c.tension = clamped(0, "tension", 0, 1);
  } else if (verb == "hit" || verb == "character" || verb == "caption") {
    const auto s = string_at(0);
    if (!s || types.size() != 1) return skip("give one string");
    c.type = verb == "hit"         ? LiveCommand::Type::hit
             : verb == "character" ? LiveCommand::Type::character
                                   : LiveCommand::Type::caption;
    c.text = *s;
  } else if (verb == "stop") {
    c.type = LiveCommand::Type::stop;
    const auto s = string_at(0);
    if (types.empty() || (s && *s == "cadence" && types.size() == 1)) {
      c.ending = Ending::cadence;
    } else if (s && *s == "now" && types.size() == 1) {
      c.ending = Ending::now;
    } else {
      return skip("give nothing, \"cadence\" or \"now\"");
    }
  } else {
    return skip(fmt::format(
        "unknown address (known: /tonepoem/emotion, valence, arousal, tension, hit, character, "
        "caption, stop)"));
  }
  out.command = c;
  return out;
}

}  // namespace tonepoem::live
