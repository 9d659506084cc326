// Screenplays (Fountain) and timed inputs: SRT, WebVTT and ASS/SSA subtitles, LRC lyrics.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "text/segment.h"
#include "text/unicode.h"

namespace tonepoem::text {
namespace {

// A silence of this many seconds between cues or lyric lines starts a new scene.
constexpr double kSceneGapS = 5.0;
// Overlaps up to this long (common in real subtitle files) are clipped; longer ones are errors.
constexpr double kOverlapToleranceS = 0.5;

struct Line {
  std::string_view text;
  std::size_t number = 0;
};

std::vector<Line> lines_of(std::string_view text) {
  std::vector<Line> out;
  std::size_t start = 0, n = 1;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back({text.substr(start, end - start), n++});
    if (end == text.size()) break;
    start = end + 1;
  }
  return out;
}

[[noreturn]] void fail_line(std::string_view source, std::size_t line, const std::string& why,
                            std::string_view fix) {
  fail_input(source, "line " + std::to_string(line) + ": " + why, fix);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "HH:MM:SS,mmm", "HH:MM:SS.mmm" or (WebVTT) "MM:SS.mmm". Returns seconds, or nullopt.
std::optional<double> parse_clock(std::string_view s) {
  s = trim(s);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = s.find(':', start);
    parts.push_back(
        s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  std::string_view last = parts.back();
  const std::size_t sep = last.find_first_of(",.");
  const std::string_view secs = last.substr(0, sep);
  const std::string_view frac =
      sep == std::string_view::npos ? std::string_view{} : last.substr(sep + 1);
  if (!all_digits(secs) || secs.size() > 2 ||
      (sep != std::string_view::npos && !all_digits(frac)) || frac.size() > 3)
    return std::nullopt;
  double total = std::stod(std::string(secs));
  if (total >= 60) return std::nullopt;
  if (!frac.empty())
    total += std::stod(std::string(frac)) / std::pow(10.0, static_cast<double>(frac.size()));
  const std::size_t mins_i = parts.size() - 2;
  if (!all_digits(parts[mins_i]) || parts[mins_i].size() > 2) return std::nullopt;
  const double minutes = std::stod(std::string(parts[mins_i]));
  if (minutes >= 60 && parts.size() == 3) return std::nullopt;
  total += 60 * minutes;
  if (parts.size() == 3) {
    if (!all_digits(parts[0]) || parts[0].size() > 3) return std::nullopt;
    total += 3600 * std::stod(std::string(parts[0]));
  }
  return total;
}

// Removes markup from a subtitle line: <i>, </b>, <c.x>, <00:01.000>, {\an8}; keeps the speaker
// of a WebVTT <v Name> voice tag in `speaker`.
std::string strip_tags(std::string_view s, std::string* speaker) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') {
      const std::size_t close = s.find('>', i);
      if (close == std::string_view::npos) break;
      const std::string_view tag = s.substr(i + 1, close - i - 1);
      if (speaker && tag.size() > 2 && tag[0] == 'v' && (tag[1] == ' ' || tag[1] == '.')) {
        const std::size_t sp = tag.find(' ');
        if (sp != std::string_view::npos) *speaker = std::string(trim(tag.substr(sp + 1)));
      }
      i = close;
    } else if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '\\') {
      const std::size_t close = s.find('}', i);
      if (close == std::string_view::npos) break;
      i = close;
    } else {
      out += s[i];
    }
  }
  std::string_view t = trim(out);
  if (t.size() > 2 && t[0] == '-' && t[1] == ' ') t = trim(t.substr(2));  // dialogue dash
  return std::string(t);
}

struct Cue {
  double start = 0, end = 0;
  std::string text;
  std::string speaker;
  std::size_t line = 0;
};

// Checks order and overlap, then adds the cues with scene breaks at long silences.
void add_cues(std::vector<Cue>& cues, std::string_view source, DocumentBuilder& builder,
              std::string_view fix) {
  for (std::size_t i = 0; i < cues.size(); ++i) {
    Cue& c = cues[i];
    if (c.end < c.start) fail_line(source, c.line, "the cue ends before it starts", fix);
    if (i > 0) {
      Cue& prev = cues[i - 1];
      if (c.start < prev.start)
        fail_line(source, c.line,
                  "the cue starts before the one above it (cues must be in time order)", fix);
      if (c.start < prev.end - kOverlapToleranceS) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "the cue starts at %.3f s, before the previous cue (line %zu) ends at %.3f s",
                      c.start, prev.line, prev.end);
        fail_line(source, c.line, buf, fix);
      }
      if (c.start < prev.end) prev.end = c.start;  // clip a small overlap
    }
  }
  for (std::size_t i = 0; i < cues.size(); ++i) {
    if (i > 0 && cues[i].start - cues[i - 1].end >= kSceneGapS) builder.break_scene();
    builder.add_unit(cues[i].text, cues[i].line, cues[i].start, cues[i].end, cues[i].speaker);
  }
}

constexpr std::string_view kSrtFix =
    "each SRT cue is: a number, a line `00:00:01,000 --> 00:00:04,000`, text lines, then a blank "
    "line";
constexpr std::string_view kVttFix =
    "each WebVTT cue is: an optional name, a line `00:01.000 --> 00:04.000`, text lines, then a "
    "blank line";

// Parses "START --> END [settings]" at `line`; throws naming the line on a bad timestamp.
std::pair<double, double> parse_timing(const Line& line, std::string_view source,
                                       std::string_view fix) {
  const std::size_t arrow = line.text.find("-->");
  const std::string_view left = trim(line.text.substr(0, arrow));
  std::string_view right = trim(line.text.substr(arrow + 3));
  right = right.substr(0, right.find_first_of(" \t"));
  const auto a = parse_clock(left);
  if (!a) fail_line(source, line.number, "bad start time \"" + std::string(left) + "\"", fix);
  const auto b = parse_clock(right);
  if (!b) fail_line(source, line.number, "bad end time \"" + std::string(right) + "\"", fix);
  return {*a, *b};
}

void parse_cues(const std::vector<Line>& lines, std::size_t i, std::string_view source,
                DocumentBuilder& builder, bool vtt) {
  const std::string_view fix = vtt ? kVttFix : kSrtFix;
  std::vector<Cue> cues;
  while (i < lines.size()) {
    if (trim(lines[i].text).empty()) {
      ++i;
      continue;
    }
    std::string_view first = trim(lines[i].text);
    if (vtt && (first.substr(0, 4) == "NOTE" || first.substr(0, 5) == "STYLE" ||
                first.substr(0, 6) == "REGION")) {
      while (i < lines.size() && !trim(lines[i].text).empty()) ++i;
      continue;
    }
    // Cue identifier (SRT: a number; WebVTT: any text without "-->").
    if (first.find("-->") == std::string_view::npos) {
      if (!vtt && !all_digits(first))
        fail_line(source, lines[i].number,
                  "expected a cue number or a timing line, found \"" +
                      std::string(first.substr(0, 40)) + "\"",
                  fix);
      ++i;
      if (i >= lines.size() || lines[i].text.find("-->") == std::string_view::npos)
        fail_line(source, i < lines.size() ? lines[i].number : lines.back().number,
                  "expected a timing line `START --> END` after the cue number", fix);
    }
    Cue cue;
    cue.line = lines[i].number;
    std::tie(cue.start, cue.end) = parse_timing(lines[i], source, fix);
    ++i;
    std::string text;
    while (i < lines.size() && !trim(lines[i].text).empty()) {
      const std::string_view t = trim(lines[i].text);
      if (t.find("-->") != std::string_view::npos)
        fail_line(source, lines[i].number,
                  "a timing line inside a cue's text (missing blank line before it?)", fix);
      if (!vtt && all_digits(t) && i + 1 < lines.size() &&
          lines[i + 1].text.find("-->") != std::string_view::npos)
        fail_line(source, lines[i].number, "a new cue number without a blank line before it", fix);
      if (!text.empty()) text += ' ';
      text += strip_tags(t, vtt ? &cue.speaker : nullptr);
      ++i;
    }
    cue.text = std::move(text);
    if (has_word_character(cue.text)) cues.push_back(std::move(cue));
  }
  add_cues(cues, source, builder, fix);
}

}  // namespace

void parse_srt(std::string_view text, std::string_view source, DocumentBuilder& builder) {
  parse_cues(lines_of(text), 0, source, builder, false);
}

void parse_vtt(std::string_view text, std::string_view source, DocumentBuilder& builder) {
  const auto lines = lines_of(text);
  std::size_t i = 0;
  while (i < lines.size() && trim(lines[i].text).empty()) ++i;
  if (i >= lines.size() || trim(lines[i].text).substr(0, 6) != "WEBVTT")
    fail_line(source, i < lines.size() ? lines[i].number : 1,
              "a WebVTT file must start with \"WEBVTT\"", kVttFix);
  while (i < lines.size() && !trim(lines[i].text).empty()) ++i;  // header block
  parse_cues(lines, i, source, builder, true);
}

namespace {

constexpr std::string_view kAssFix =
    "an ASS/SSA file has an [Events] section with a `Format:` line and `Dialogue: "
    "0,0:00:01.00,0:00:04.00,Default,,0,0,0,,Text` lines";

// The spoken text of an ASS event: override blocks `{...}` removed, `\N` and `\n` (line breaks)
// and `\h` (hard space) made spaces. Empty for a drawing (`{\p1}` ... : vector shapes, not words).
std::string ass_event_text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      const std::size_t close = s.find('}', i);
      if (close == std::string_view::npos) break;
      const std::string_view block = s.substr(i, close - i);
      for (std::size_t p = block.find("\\p"); p != std::string_view::npos;
           p = block.find("\\p", p + 2))
        if (p + 2 < block.size() && block[p + 2] >= '1' && block[p + 2] <= '9') return {};
      i = close;
    } else if (s[i] == '\\' && i + 1 < s.size() &&
               (s[i + 1] == 'N' || s[i + 1] == 'n' || s[i + 1] == 'h')) {
      out += ' ';
      ++i;
    } else {
      out += s[i];
    }
  }
  return std::string(trim(out));
}

}  // namespace

void parse_ass(std::string_view text, std::string_view source, DocumentBuilder& builder) {
  // The V4+ default, used when [Events] has no Format line before its first event.
  std::vector<std::string> format = {"layer",   "start",   "end",     "style",  "name",
                                     "marginl", "marginr", "marginv", "effect", "text"};
  bool in_events = false, saw_events = false;
  std::vector<Cue> cues;
  for (const Line& l : lines_of(text)) {
    const std::string_view t = trim(l.text);
    if (t.empty() || t[0] == ';') continue;
    if (t[0] == '[') {
      in_events = ascii_lower(t) == "[events]";
      saw_events |= in_events;
      continue;
    }
    if (!in_events) continue;
    const std::size_t colon = t.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = ascii_lower(trim(t.substr(0, colon)));
    const std::string_view rest = t.substr(colon + 1);
    if (key == "format") {
      format.clear();
      std::size_t start = 0;
      while (true) {
        const std::size_t comma = rest.find(',', start);
        format.push_back(ascii_lower(trim(rest.substr(start, comma - start))));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      if (format.back() != "text" ||
          std::find(format.begin(), format.end(), "start") == format.end() ||
          std::find(format.begin(), format.end(), "end") == format.end())
        fail_line(source, l.number, "the Format line must name Start and End, and end with Text",
                  kAssFix);
      continue;
    }
    if (key != "dialogue") continue;  // Comment:, Picture:, Sound:, Movie:, Command:
    // The last field (Text) may hold commas: split only the ones before it.
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (std::size_t f = 0; f + 1 < format.size(); ++f) {
      const std::size_t comma = rest.find(',', start);
      if (comma == std::string_view::npos)
        fail_line(source, l.number,
                  "a Dialogue line with fewer fields than its Format line (" +
                      std::to_string(format.size()) + ")",
                  kAssFix);
      fields.push_back(trim(rest.substr(start, comma - start)));
      start = comma + 1;
    }
    fields.push_back(rest.substr(start));
    Cue cue;
    cue.line = l.number;
    for (std::size_t f = 0; f < format.size(); ++f) {
      if (format[f] == "start" || format[f] == "end") {
        const auto secs = parse_clock(fields[f]);
        if (!secs)
          fail_line(source, l.number,
                    "bad " + format[f] + " time \"" + std::string(fields[f]) + "\"", kAssFix);
        (format[f] == "start" ? cue.start : cue.end) = *secs;
      } else if (format[f] == "name") {
        cue.speaker = std::string(fields[f]);
      } else if (format[f] == "text") {
        cue.text = ass_event_text(fields[f]);
      }
    }
    if (cue.end < cue.start)
      fail_line(source, l.number, "the event ends before it starts", kAssFix);
    if (has_word_character(cue.text)) cues.push_back(std::move(cue));
  }
  if (!saw_events) fail_input(source, "no [Events] section", kAssFix);
  if (cues.empty()) fail_input(source, "no Dialogue line in [Events] holds words", kAssFix);
  // Events come in any order and often overlap (two speakers at once, one line drawn in two
  // layers): in time order, an overlapping event joins the one it overlaps.
  std::stable_sort(cues.begin(), cues.end(),
                   [](const Cue& a, const Cue& b) { return a.start < b.start; });
  std::vector<Cue> joined;
  for (Cue& c : cues) {
    if (!joined.empty() && c.start < joined.back().end - kOverlapToleranceS) {
      Cue& prev = joined.back();
      if (prev.text.find(c.text) == std::string::npos) prev.text += ' ' + c.text;
      prev.end = std::max(prev.end, c.end);
      continue;
    }
    joined.push_back(std::move(c));
  }
  add_cues(joined, source, builder, kAssFix);
}

void parse_lrc(std::string_view text, std::string_view source, DocumentBuilder& builder) {
  constexpr std::string_view fix = "each LRC line is `[mm:ss.xx]lyric`, with one or more time tags";
  struct Timed {
    double t;
    std::string text;
    std::size_t line;
  };
  std::vector<Timed> items;
  double offset = 0.0;
  for (const Line& l : lines_of(text)) {
    std::string_view t = trim(l.text);
    if (t.empty()) continue;
    if (t[0] != '[')
      fail_line(source, l.number, "expected a [mm:ss.xx] time tag at the start of the line", fix);
    std::vector<double> times;
    while (!t.empty() && t[0] == '[') {
      const std::size_t close = t.find(']');
      if (close == std::string_view::npos)
        fail_line(source, l.number, "a time tag without its closing ']'", fix);
      const std::string_view tag = t.substr(1, close - 1);
      t = trim(t.substr(close + 1));
      if (!tag.empty() && !(tag[0] >= '0' && tag[0] <= '9')) {
        // Metadata: [ti:Title], [ar:Artist], [offset:+250] (milliseconds, positive = earlier).
        const std::size_t colon = tag.find(':');
        const std::string key = ascii_lower(tag.substr(0, colon));
        const std::string_view value =
            colon == std::string_view::npos ? std::string_view{} : trim(tag.substr(colon + 1));
        if (key == "ti" && !value.empty()) builder.set_title(value);
        if (key == "offset") {
          try {
            offset = std::stod(std::string(value)) / 1000.0;
          } catch (const std::exception&) {
            fail_line(source, l.number,
                      "bad offset \"" + std::string(value) + "\" (milliseconds expected)", fix);
          }
        }
        continue;
      }
      const auto secs = parse_clock(tag);
      if (!secs) fail_line(source, l.number, "bad time tag \"[" + std::string(tag) + "]\"", fix);
      times.push_back(*secs);
    }
    for (double s : times) items.push_back({std::max(0.0, s - offset), std::string(t), l.number});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Timed& a, const Timed& b) { return a.t < b.t; });
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!has_word_character(items[i].text)) {
      // An empty timed line marks an instrumental passage: a long one starts a new scene.
      if (i + 1 < items.size() && items[i + 1].t - items[i].t >= kSceneGapS) builder.break_scene();
      continue;
    }
    // A line lasts until the next time tag; the last one gets a reading-time estimate.
    const double end =
        i + 1 < items.size()
            ? items[i + 1].t
            : items[i].t + std::clamp(0.08 * static_cast<double>(items[i].text.size()), 2.0, 8.0);
    builder.add_unit(items[i].text, items[i].line, items[i].t, end);
  }
}

void parse_fountain(std::string_view text, std::string_view /*source*/, DocumentBuilder& builder) {
  const auto lines = lines_of(text);
  std::size_t i = 0;
  // Title page: "Key: value" lines up to the first blank line.
  if (!lines.empty() && trim(lines[0].text).find(':') != std::string_view::npos &&
      trim(lines[0].text).find(':') < 20 && !is_rule_line(trim(lines[0].text))) {
    for (; i < lines.size() && !trim(lines[i].text).empty(); ++i) {
      const std::string_view t = trim(lines[i].text);
      if (ascii_lower(t.substr(0, 6)) == "title:") builder.set_title(trim(t.substr(6)));
    }
  }
  auto is_heading = [](std::string_view t) {
    if (t.size() > 1 && t[0] == '.' && t[1] != '.') return true;
    const std::string lower = ascii_lower(t.substr(0, 9));
    for (std::string_view p :
         {"int.", "ext.", "est.", "int/ext", "int./ext", "i/e", "int ", "ext "})
      if (lower.rfind(p, 0) == 0) return true;
    return false;
  };
  auto is_character = [](std::string_view t) {
    if (t.empty()) return false;
    if (t[0] == '@') return true;
    const std::string_view name = trim(t.substr(0, t.find('(')));
    bool letter = false;
    for (char c : name) {
      if (c >= 'a' && c <= 'z') return false;
      if (c >= 'A' && c <= 'Z') letter = true;
    }
    return letter && !name.empty() && name.back() != ':' && t.size() < 50;
  };
  std::vector<SourceLine> action;
  bool in_boneyard = false;
  auto flush = [&] {
    builder.add_paragraph(action);
    action.clear();
  };
  for (; i < lines.size(); ++i) {
    const std::string_view t = trim(lines[i].text);
    if (in_boneyard) {
      if (t.find("*/") != std::string_view::npos) in_boneyard = false;
      continue;
    }
    if (t.substr(0, 2) == "/*") {
      flush();
      in_boneyard = t.find("*/") == std::string_view::npos;
      continue;
    }
    if (t.empty()) {
      flush();
      continue;
    }
    const bool after_blank = i == 0 || trim(lines[i - 1].text).empty();
    const bool before_text = i + 1 < lines.size() && !trim(lines[i + 1].text).empty();
    if (t.substr(0, 2) == "[[" || t[0] == '=' || t.substr(0, 3) == "===")
      continue;  // notes, synopses
    if (t[0] == '#') {
      flush();
      std::size_t n = 0;
      while (n < t.size() && t[n] == '#') ++n;
      builder.break_scene(trim(t.substr(n)));
      continue;
    }
    if (after_blank && is_heading(t)) {
      flush();
      builder.break_scene(t[0] == '.' ? trim(t.substr(1)) : t);
      continue;
    }
    if (t[0] == '>' && t.back() != '<') continue;  // forced transition
    if (after_blank && t.size() > 3 && t.substr(t.size() - 3) == "TO:" &&
        std::none_of(t.begin(), t.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
      continue;  // transition ("CUT TO:")
    if (after_blank && before_text && is_character(t)) {
      flush();
      std::string_view name = trim(t.substr(0, t.find('(')));
      if (!name.empty() && name[0] == '@') name = trim(name.substr(1));
      if (!name.empty() && name.back() == '^')
        name = trim(name.substr(0, name.size() - 1));  // dual dialogue
      std::vector<SourceLine> dialogue;
      for (++i; i < lines.size() && !trim(lines[i].text).empty(); ++i) {
        std::string_view d = trim(lines[i].text);
        if (d.front() == '(' && d.back() == ')') continue;  // parenthetical
        if (d.front() == '~') d = trim(d.substr(1));        // lyric
        dialogue.push_back({d, lines[i].number});
      }
      builder.add_paragraph(dialogue, name);
      continue;
    }
    std::string_view a = t;
    if (a[0] == '!') a = trim(a.substr(1));  // forced action
    if (a.size() > 1 && a[0] == '>' && a.back() == '<')
      a = trim(a.substr(1, a.size() - 2));  // centered
    action.push_back({a, lines[i].number});
  }
  flush();
}

}  // namespace tonepoem::text
