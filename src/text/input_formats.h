// Internal to the text stage: the table of input formats (input_formats.cpp). A new input format is
// one parser (declared in segment.h) and one row of the table.
#pragma once

#include <span>
#include <string_view>

#include "text/document.h"

namespace tonepoem::text {

class DocumentBuilder;

// Fills `builder` from `text` (UTF-8 without BOM, LF line ends). `source` names the file in the
// messages of Error(bad_input).
using ParseFn = void (*)(std::string_view text, std::string_view source, DocumentBuilder& builder);

// Whether `head` (the first 200 bytes of the text, trimmed) is in this format.
using SniffFn = bool (*)(std::string_view head);

struct InputFormat {
  InputFormatInfo info;
  SniffFn sniff = nullptr;  // nullptr: recognised by its extensions only
  ParseFn parse = nullptr;
};

// The rows, in the order of input_formats(). The first row is plain text, the fallback.
std::span<const InputFormat> input_format_table();

// The row that reads `text` (already without BOM, LF line ends) from the file named `source`:
//  1. the row that lists `source`'s extension (ASCII case ignored), unless that row is the plain
//     text fallback: `.txt` says nothing about the content, so a .txt file is sniffed;
//  2. else the first row whose sniff accepts the head of `text` (no two sniffs accept the same
//     head);
//  3. else plain text.
// `source` without an extension ("-", "stdin", a path whose last part has no dot) goes to step 2.
const InputFormat& detect_input_format(std::string_view text, std::string_view source);

}  // namespace tonepoem::text
