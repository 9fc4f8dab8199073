// CsvTokenizer: splits CSV text into records and fields (RFC 4180), private to src/data.
//
// - Fields are separated by the delimiter; records end with "\n" or "\r\n" (or the end of text).
// - A field whose first non-space byte is '"' is quoted: it runs to the matching '"', may contain
//   delimiters and line breaks, and "" inside stands for one '"'. Only spaces may follow the
//   closing quote before the delimiter or line end.
// - Unquoted fields are trimmed of spaces (and tabs, unless tab is the delimiter); a '"' inside
//   an unquoted field is kept literally.
// - NUL bytes and a carriage return not followed by a line feed are errors.
// - A record longer than max_record_bytes is an error (found without reading past the limit).
// Field views point into the text or into the tokenizer's scratch buffer (fields with "" escapes)
// and stay valid until the next call. Not thread-safe; one tokenizer per chunk.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/status.h"

namespace kiln::data::internal {

struct CsvField {
  std::string_view text;  // content: unescaped if quoted, trimmed if not
  bool quoted = false;
  uint64_t line = 0;  // line break count before the field starts (relative to the tokenizer start)
};

class CsvTokenizer {
 public:
  enum class Next { kRecord, kBlank, kEnd, kError };

  CsvTokenizer(std::string_view text, size_t pos, char delimiter, size_t max_record_bytes);

  // Reads the next record into `fields`. kBlank: an empty or all-space line (fields holds one
  // empty field). kEnd: no input left. kError: see the error accessors.
  Next Read(std::vector<CsvField>* fields);

  // Continues at byte `pos` (a record start), which lies `line` line breaks after the start.
  void Seek(size_t pos, uint64_t line) {
    pos_ = pos;
    line_ = line;
  }

  size_t pos() const { return pos_; }
  uint64_t line() const { return line_; }                // line breaks consumed so far
  size_t record_begin() const { return record_begin_; }  // byte offset of the last record
  uint64_t record_line() const { return record_line_; }  // line of the last record's start

  core::StatusCode error_code() const { return error_code_; }
  uint64_t error_line() const { return error_line_; }
  // 1-based position of the field at fault; 0 when the error concerns the whole record.
  size_t error_field() const { return error_field_; }
  // What went wrong; may contain kLineMarker (see chunking.h) for a line reference.
  const std::string& error_message() const { return error_message_; }
  uint64_t error_ref_line() const { return error_ref_line_; }

 private:
  Next Fail(core::StatusCode code, uint64_t line, size_t field, std::string message);
  Next EndOfLimit(const char* lim, size_t field, bool in_quotes, uint64_t quote_line);

  std::string_view text_;
  size_t pos_;
  char delimiter_;
  size_t max_record_bytes_;
  uint64_t line_ = 0;
  size_t record_begin_ = 0;
  uint64_t record_line_ = 0;
  std::array<bool, 256> stop_unquoted_{};  // delimiter, '\n', '\r', NUL
  std::array<bool, 256> stop_quoted_{};    // '"', '\n', NUL
  std::string scratch_;
  std::vector<std::pair<size_t, size_t>> escaped_;  // (field index, scratch offset)

  core::StatusCode error_code_ = core::StatusCode::kParseError;
  uint64_t error_line_ = 0;
  uint64_t error_ref_line_ = 0;
  size_t error_field_ = 0;
  std::string error_message_;
};

}  // namespace kiln::data::internal
