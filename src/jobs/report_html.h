// report.html: the make job's report.json as a page a writer can open from the output folder, with
// the studio's arc chart drawn as inline SVG (the text's emotion per sentence, the plan per
// section, the music as the judge hears it, the hit points) and the sections, hits and loudness
// as tables.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tonepoem {

// A self-contained HTML page (UTF-8; no script, no style sheet, font or picture from elsewhere)
// for `report` (report.json, "tonepoem-report/1": title, duration_s, segments, sections, hits,
// characters, loudness, outputs). Every text of the story is escaped. Missing or null parts are
// left out of the page, so an older report or a make without audio still renders.
std::string report_html(const nlohmann::json& report);

}  // namespace tonepoem
