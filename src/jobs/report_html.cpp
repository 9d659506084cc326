#include "jobs/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "core/markup.h"

namespace tonepoem {
namespace {

// The chart's geometry: two panels (valence above, arousal below), time on x.
constexpr double kWidth = 960, kLeft = 56, kRight = 16, kPanel = 180, kTop = 28, kGap = 40;

std::string fixed(double value, int decimals = 1) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

double number(const nlohmann::json& j, const char* key, double fallback = 0) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}
std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
const nlohmann::json& array(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  const auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

std::string clock(double seconds) {
  const int s = static_cast<int>(std::max(0.0, seconds) + 0.5);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%d:%02d", s / 60, s % 60);
  return buffer;
}

class Chart {
 public:
  explicit Chart(double duration_s) : duration_(std::max(duration_s, 1e-3)) {}

  double x(double t) const {
    return kLeft + (kWidth - kLeft - kRight) * std::clamp(t / duration_, 0.0, 1.0);
  }
  // Panel 0: valence, 1: arousal; `v` in [-1, 1], +1 at the top.
  static double y(int panel, double v) {
    return kTop + panel * (kPanel + kGap) + kPanel * (1 - std::clamp(v, -1.0, 1.0)) / 2;
  }
  static double height() { return kTop + 2 * kPanel + kGap + 24; }

 private:
  double duration_;
};

void draw_axes(std::string& svg, const Chart& chart, double duration_s) {
  static constexpr const char* kNames[] = {"valence", "arousal"};
  for (int p = 0; p < 2; ++p) {
    svg += "<text class=\"axis-name\" x=\"4\" y=\"" + fixed(Chart::y(p, 1) - 12) + "\">" +
           kNames[p] + "</text>";
    svg += "<rect class=\"panel\" x=\"" + fixed(kLeft) + "\" y=\"" + fixed(Chart::y(p, 1)) +
           "\" width=\"" + fixed(kWidth - kLeft - kRight) + "\" height=\"" + fixed(kPanel) + "\"/>";
    svg += "<line class=\"zero\" x1=\"" + fixed(kLeft) + "\" x2=\"" + fixed(kWidth - kRight) +
           "\" y1=\"" + fixed(Chart::y(p, 0)) + "\" y2=\"" + fixed(Chart::y(p, 0)) + "\"/>";
    for (const double v : {1.0, 0.0, -1.0})
      svg += "<text class=\"tick\" x=\"" + fixed(kLeft - 6) + "\" y=\"" +
             fixed(Chart::y(p, v) + 4) + "\" text-anchor=\"end\">" +
             (v > 0   ? "+1"
              : v < 0 ? "-1"
                      : "0") +
             "</text>";
  }
  // A time label about every sixth of the piece, on whole seconds.
  const double step = std::max(1.0, std::round(duration_s / 6));
  for (double t = 0; t <= duration_s + 1e-6; t += step)
    svg += "<text class=\"tick\" x=\"" + fixed(chart.x(t)) + "\" y=\"" +
           fixed(Chart::height() - 6) + "\" text-anchor=\"middle\">" + clock(t) + "</text>";
}

std::string arc_svg(const nlohmann::json& report, double duration_s) {
  const Chart chart(duration_s);
  std::string svg =
      "<svg class=\"arc\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + fixed(kWidth, 0) +
      " " + fixed(Chart::height(), 0) +
      "\" role=\"img\" aria-label=\"The story's arc: the text, the plan and the music\">";
  draw_axes(svg, chart, duration_s);
  const nlohmann::json& sections = array(report, "sections");
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const double start = number(sections[i], "start_s");
    svg += "<line class=\"section-start\" x1=\"" + fixed(chart.x(start)) + "\" x2=\"" +
           fixed(chart.x(start)) + "\" y1=\"" + fixed(kTop) + "\" y2=\"" + fixed(Chart::y(1, -1)) +
           "\"/>";
    svg += "<text class=\"section-number\" x=\"" + fixed(chart.x(start) + 3) + "\" y=\"" +
           fixed(kTop - 4) + "\">" + std::to_string(i + 1) + "</text>";
  }
  for (int p = 0; p < 2; ++p) {
    const char* axis = p == 0 ? "valence" : "arousal";
    // The text, one point per sentence at its caption's middle.
    std::string points;
    for (const nlohmann::json& s : array(report, "segments")) {
      const double mid = (number(s, "start_s") + number(s, "end_s")) / 2;
      if (!points.empty()) points += ' ';
      points += fixed(chart.x(mid)) + "," + fixed(Chart::y(p, number(s, axis)));
    }
    if (!points.empty())
      svg += std::string("<polyline class=\"text ") + axis + "\" points=\"" + points + "\"/>";
    // The plan: one step per section.
    std::string path;
    for (const nlohmann::json& s : sections) {
      if (!s.contains("target")) continue;
      const double y = Chart::y(p, number(s["target"], axis));
      path += (path.empty() ? "M" : " L") + fixed(chart.x(number(s, "start_s"))) + "," + fixed(y);
      path += " L" + fixed(chart.x(number(s, "end_s"))) + "," + fixed(y);
    }
    if (!path.empty()) svg += std::string("<path class=\"plan ") + axis + "\" d=\"" + path + "\"/>";
    // The music as the judge hears it, a dot per section.
    for (std::size_t i = 0; i < sections.size(); ++i) {
      const nlohmann::json& s = sections[i];
      if (!s.contains("judged") || !s["judged"].is_object()) continue;
      const double value = number(s["judged"], axis);
      svg += std::string("<circle class=\"judged ") + axis + "\" cx=\"" +
             fixed(chart.x((number(s, "start_s") + number(s, "end_s")) / 2)) + "\" cy=\"" +
             fixed(Chart::y(p, value)) + "\" r=\"5\"><title>section " + std::to_string(i + 1) +
             ", music's " + axis + " " + fixed(value, 2) + "</title></circle>";
    }
  }
  for (const nlohmann::json& hit : array(report, "hits")) {
    const double x = chart.x(number(hit, "time_s"));
    const double y = kTop + 2;
    svg += "<polygon class=\"hit\" points=\"" + fixed(x - 6) + "," + fixed(y) + " " + fixed(x + 6) +
           "," + fixed(y) + " " + fixed(x) + "," + fixed(y + 10) + "\"><title>" +
           escape_markup(text(hit, "kind")) + " at " + clock(number(hit, "time_s")) + ": " +
           escape_markup(text(hit, "text")) + "</title></polygon>";
  }
  svg += "</svg>";
  return svg;
}

std::string sections_table(const nlohmann::json& report) {
  const nlohmann::json& sections = array(report, "sections");
  if (sections.empty()) return {};
  std::string html =
      "<h2>Sections</h2><table class=\"sections\"><thead><tr><th>#</th><th>time</th><th>key</th>"
      "<th>tempo</th><th>plan (valence, arousal)</th><th>music "
      "heard</th><th>instruments</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const nlohmann::json& s = sections[i];
    html += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + clock(number(s, "start_s")) + "–" +
            clock(number(s, "end_s")) + "</td><td>" + escape_markup(text(s, "key")) + "</td><td>" +
            fixed(number(s, "tempo_bpm"), 0) + " bpm</td><td>";
    if (s.contains("target"))
      html += fixed(number(s["target"], "valence"), 2) + ", " +
              fixed(number(s["target"], "arousal"), 2) + " (" +
              escape_markup(text(s["target"], "emotion")) + ")";
    html += "</td><td>";
    if (s.contains("judged") && s["judged"].is_object())
      html += fixed(number(s["judged"], "valence"), 2) + ", " +
              fixed(number(s["judged"], "arousal"), 2) + " (" +
              escape_markup(text(s["judged"], "emotion")) + ")";
    html += "</td><td>";
    std::string instruments;
    for (const nlohmann::json& name : array(s, "instruments"))
      if (name.is_string())
        instruments += (instruments.empty() ? "" : ", ") + escape_markup(name.get<std::string>());
    html += instruments + "</td></tr>";
  }
  return html + "</tbody></table>";
}

std::string hits_table(const nlohmann::json& report) {
  const nlohmann::json& hits = array(report, "hits");
  if (hits.empty()) return {};
  std::string html =
      "<h2>Hit points</h2><table class=\"hits\"><thead><tr><th>time</th><th>kind</th><th>line</th>"
      "<th>music</th></tr></thead><tbody>";
  for (const nlohmann::json& h : hits) {
    std::string music;
    if (h.contains("music") && h["music"].is_object())
      music = std::to_string(static_cast<int>(number(h["music"], "onsets"))) + " notes, " +
              fixed(number(h["music"], "offset_s") * 1000, 0) + " ms from the line";
    html += "<tr><td>" + clock(number(h, "time_s")) + "</td><td>" + escape_markup(text(h, "kind")) +
            "</td><td>" + escape_markup(text(h, "text")) + "</td><td>" + music + "</td></tr>";
  }
  return html + "</tbody></table>";
}

std::string counted(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string summary(const nlohmann::json& report, double duration_s) {
  std::string html = "<p class=\"summary\">" + clock(duration_s) + " of music, " +
                     counted(array(report, "sections").size(), "section") + ", " +
                     counted(array(report, "hits").size(), "hit point");
  if (report.contains("loudness") && report["loudness"].is_object())
    html += ", mastered to " + fixed(number(report["loudness"], "integrated_lufs")) +
            " LUFS, true peak " + fixed(number(report["loudness"], "true_peak_dbtp")) + " dBTP";
  html += ".</p>";
  std::string names;
  for (const nlohmann::json& c : array(report, "characters"))
    if (c.is_object()) names += (names.empty() ? "" : ", ") + escape_markup(text(c, "name"));
  if (!names.empty()) html += "<p class=\"characters\">Characters: " + names + "</p>";
  std::string files;
  if (report.contains("outputs") && report["outputs"].is_object())
    for (const auto& [key, value] : report["outputs"].items()) {
      const auto add = [&](const nlohmann::json& name) {
        if (!name.is_string()) return;
        const std::string n = escape_markup(name.get<std::string>());
        files += (files.empty() ? "" : " · ") + ("<a href=\"" + n + "\">" + n + "</a>");
      };
      if (value.is_array())
        for (const nlohmann::json& v : value) add(v);
      else
        add(value);
    }
  if (!files.empty())
    html += "<p class=\"files\">Files: " + files + " · <a href=\"report.json\">report.json</a></p>";
  return html;
}

constexpr std::string_view kStyle =
    R"(body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;padding:0 12px;color:#222}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
svg.arc{width:100%;height:auto;background:#fff}
.panel{fill:#fafafa;stroke:#ccc}.zero{stroke:#bbb;stroke-dasharray:4 4}.tick,.axis-name,.section-number{font-size:11px;fill:#666}
.section-start{stroke:#ddd}.text{fill:none;stroke:#4a7fd0;stroke-width:1.5}.plan{fill:none;stroke:#e08020;stroke-width:3}
.judged{fill:#2a9a4a}.hit{fill:#d02a2a}
.legend span{margin-right:16px}.legend i{display:inline-block;width:18px;height:4px;vertical-align:middle;margin-right:4px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:left;vertical-align:top}
@media (max-width:600px){table{display:block;overflow-x:auto}})";

}  // namespace

std::string report_html(const nlohmann::json& report) {
  double duration_s = number(report, "duration_s");
  for (const nlohmann::json& s : array(report, "sections"))
    duration_s = std::max(duration_s, number(s, "end_s"));
  const std::string title =
      text(report, "title").empty() ? "tonepoem report" : text(report, "title");
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"" +
      escape_markup(text(report, "language").empty() ? "en" : text(report, "language")) +
      "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; "
      "img-src 'self'; media-src 'self'\"><title>" +
      escape_markup(title) + "</title><style>" + std::string(kStyle) + "</style></head><body><h1>" +
      escape_markup(title) + "</h1>" + summary(report, duration_s);
  html +=
      "<h2>The arc</h2><p class=\"legend\"><span><i style=\"background:#4a7fd0\"></i>the text, per "
      "sentence</span>"
      "<span><i style=\"background:#e08020\"></i>the plan, per section</span><span><i "
      "style=\"background:#2a9a4a\"></i>"
      "the music as the judge hears it</span><span><i style=\"background:#d02a2a\"></i>hit "
      "points</span></p>";
  html += arc_svg(report, duration_s);
  html += sections_table(report) + hits_table(report) + "</body></html>\n";
  return html;
}

}  // namespace tonepoem
