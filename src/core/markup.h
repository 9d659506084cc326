// Text for XML and HTML documents (MusicXML, report.html).
#pragma once

#include <string>
#include <string_view>

namespace tonepoem {

// `text` with & < > " ' as entities, safe in element content and in quoted attributes; control
// characters other than tab and newline (not allowed in XML 1.0) are dropped.
std::string escape_markup(std::string_view text);

}  // namespace tonepoem
