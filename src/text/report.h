// The text stage's printable views, shared by `tonepoem analyze` and anything else that shows an
// arc: one stable JSON shape, JSON Lines and TSV.
#pragma once

#include <ostream>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "text/analyze.h"
#include "text/document.h"

namespace tonepoem {

enum class ArcFormat { json, jsonl, tsv };
// "json", "jsonl", "tsv"; throws Error(usage) listing the accepted names otherwise.
ArcFormat parse_arc_format(std::string_view name);

// The document and its arc in one object (stable; documented in README.md, "tonepoem analyze"):
// {"title", "source", "language", "climax_scene",
//  "scenes": [{"index", "title", "first_sentence", "sentence_count", "characters": [names],
//              "valence", "arousal", "tension", "emotion", "confidence", "categories": {...}}],
//  "sentences": [{"index", "scene", "line", "text", ["start_s", "end_s", "speaker"],
//                 "valence", "arousal", "tension", "emotion", "confidence", "categories": {...}}],
//  "characters": [{"name", "mentions", "scenes"}]}
nlohmann::json arc_view(const Document& document, const EmotionArc& arc);

// json: arc_view pretty-printed. jsonl: one line per sentence (the sentence objects of arc_view,
// with "kind": "sentence"), then one per scene ("kind": "scene"). tsv: a header line, then one row
// per sentence: index, scene, line, valence, arousal, tension, emotion, confidence, text.
void write_arc(std::ostream& out, const Document& document, const EmotionArc& arc,
               ArcFormat format);

// `tonepoem analyze --per-line`: every line of `text` is its own text (an empty line reads as
// neutral), analysed in order. One record per input line: jsonl objects with at least "line",
// "valence", "arousal", "tension", "emotion" (the strongest category or "neutral"), "confidence",
// "categories" and "language" (jsonl: one object a line; json: the same objects in one array,
// one a line); or TSV rows (line, valence, arousal, tension, emotion, confidence).
// `language` automatic picks per line (Han characters outnumbering Latin letters: zh).
void analyze_per_line(std::string_view text, LanguageChoice language, const Lexicons& lexicons,
                      std::ostream& out, ArcFormat format);

}  // namespace tonepoem
