// Screenplays and timed inputs (TEMPORARY: parsed as plain text until the real parsers land).
#include "text/segment.h"

namespace tonepoem::text {

void parse_fountain(std::string_view text, DocumentBuilder& builder) {
  parse_plain(text, builder, false);
}
void parse_srt(std::string_view text, std::string_view, DocumentBuilder& builder) {
  parse_plain(text, builder, false);
}
void parse_vtt(std::string_view text, std::string_view, DocumentBuilder& builder) {
  parse_plain(text, builder, false);
}
void parse_lrc(std::string_view text, std::string_view, DocumentBuilder& builder) {
  parse_plain(text, builder, false);
}

}  // namespace tonepoem::text
