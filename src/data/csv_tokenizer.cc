#include "csv_tokenizer.h"

#include <cstring>

#include <fmt/format.h>

#include "chunking.h"
#include "kiln/core/progress.h"
#include "kiln/core/strings.h"

namespace kiln::data::internal {

CsvTokenizer::CsvTokenizer(std::string_view text, size_t pos, char delimiter,
                           size_t max_record_bytes)
    : text_(text), pos_(pos), delimiter_(delimiter), max_record_bytes_(max_record_bytes) {
  for (unsigned char c : {static_cast<unsigned char>(delimiter), static_cast<unsigned char>('\n'),
                          static_cast<unsigned char>('\r'), static_cast<unsigned char>('\0')}) {
    stop_unquoted_[c] = true;
  }
  for (unsigned char c : {'"', '\n', '\0'}) stop_quoted_[c] = true;
}

CsvTokenizer::Next CsvTokenizer::Fail(core::StatusCode code, uint64_t line, size_t field,
                                      std::string message) {
  error_code_ = code;
  error_line_ = line;
  error_field_ = field;
  error_message_ = std::move(message);
  return Next::kError;
}

CsvTokenizer::Next CsvTokenizer::EndOfLimit(const char* lim, size_t field, bool in_quotes,
                                            uint64_t quote_line) {
  if (lim != text_.data() + text_.size()) {
    return Fail(core::StatusCode::kResourceExhausted, record_line_, 0,
                fmt::format("the record starting here is longer than the limit of {} "
                            "(--max-line-bytes); is the file really CSV with this delimiter{}?",
                            ByteLimitText(max_record_bytes_),
                            in_quotes ? ", or is a quote never closed" : ""));
  }
  error_ref_line_ = quote_line;
  return Fail(core::StatusCode::kParseError, quote_line, field,
              fmt::format("unterminated quote starting at line {}: the quoted field is never "
                          "closed with '\"' before the end of the file",
                          kLineMarker));
}

CsvTokenizer::Next CsvTokenizer::Read(std::vector<CsvField>* fields) {
  fields->clear();
  scratch_.clear();
  escaped_.clear();
  if (pos_ >= text_.size()) return Next::kEnd;
  record_begin_ = pos_;
  record_line_ = line_;
  const char* const base = text_.data();
  const char* const end = base + text_.size();
  const char* const lim =
      text_.size() - pos_ > max_record_bytes_ ? base + pos_ + max_record_bytes_ + 1 : end;
  const bool skip_tab = delimiter_ != '\t';
  const bool skip_space = delimiter_ != ' ';
  auto is_space = [&](char c) { return (c == ' ' && skip_space) || (c == '\t' && skip_tab); };
  const char* p = base + pos_;
  for (;;) {
    const size_t field_index = fields->size();
    CsvField field;
    field.line = line_;
    const char* q = p;
    while (q < lim && is_space(*q)) ++q;
    if (q < lim && *q == '"') {
      field.quoted = true;
      const uint64_t open_line = line_;
      ++q;
      const char* seg = q;
      bool escaped = false;
      size_t scratch_begin = scratch_.size();
      const char* content_end;
      for (;;) {
        while (q < lim && !stop_quoted_[static_cast<unsigned char>(*q)]) ++q;
        if (q >= lim) return EndOfLimit(lim, field_index + 1, true, open_line);
        if (*q == '\n') {
          ++line_;
          ++q;
          continue;
        }
        if (*q == '\0') {
          return Fail(core::StatusCode::kParseError, line_, field_index + 1,
                      "found a NUL byte inside a quoted field; is this a binary file?");
        }
        if (q + 1 < lim && q[1] == '"') {
          if (!escaped) {
            escaped = true;
            scratch_begin = scratch_.size();
          }
          scratch_.append(seg, static_cast<size_t>(q + 1 - seg));
          q += 2;
          seg = q;
          continue;
        }
        content_end = q;
        ++q;
        break;
      }
      if (escaped) {
        scratch_.append(seg, static_cast<size_t>(content_end - seg));
        escaped_.emplace_back(field_index, scratch_begin);
        field.text = std::string_view(nullptr, scratch_.size() - scratch_begin);
      } else {
        field.text = std::string_view(seg, static_cast<size_t>(content_end - seg));
      }
      while (q < lim && is_space(*q)) ++q;
      p = q;
      if (q < lim && *q != delimiter_ && *q != '\n' && *q != '\r') {
        return Fail(
            core::StatusCode::kParseError, line_, field_index + 1,
            fmt::format("expected a delimiter or the end of the line after the closing "
                        "quote, found '{}'; a '\"' inside a quoted field must be doubled",
                        core::Excerpt(std::string_view(q, static_cast<size_t>(end - q)), 20)));
      }
    } else {
      q = p;
      while (q < lim && !stop_unquoted_[static_cast<unsigned char>(*q)]) ++q;
      const char* b = p;
      const char* e = q;
      while (b < e && is_space(*b)) ++b;
      while (e > b && is_space(e[-1])) --e;
      field.text = std::string_view(b, static_cast<size_t>(e - b));
      p = q;
    }
    fields->push_back(field);
    if (p >= lim) {
      if (lim != end) return EndOfLimit(lim, field_index + 1, false, 0);
      pos_ = text_.size();
      break;
    }
    const char c = *p;
    if (c == delimiter_) {
      ++p;
      if (p >= lim && lim == end) {
        // A delimiter at the very end of the text: one more (empty) field.
        CsvField last;
        last.line = line_;
        fields->push_back(last);
        pos_ = text_.size();
        break;
      }
      continue;
    }
    if (c == '\n') {
      pos_ = static_cast<size_t>(p + 1 - base);
      ++line_;
      break;
    }
    if (c == '\r') {
      if (p + 1 < end && p[1] == '\n') {
        pos_ = static_cast<size_t>(p + 2 - base);
        ++line_;
        break;
      }
      return Fail(core::StatusCode::kParseError, line_, field_index + 1,
                  "found a carriage return (\\r) not followed by a line feed; convert old Mac "
                  "line ends to \\n or \\r\\n");
    }
    // NUL in an unquoted field.
    return Fail(core::StatusCode::kParseError, line_, field_index + 1,
                "found a NUL byte; is this a binary file?");
  }
  for (const auto& [index, offset] : escaped_) {
    CsvField& f = (*fields)[index];
    f.text = std::string_view(scratch_.data() + offset, f.text.size());
  }
  if (fields->size() == 1 && !(*fields)[0].quoted && (*fields)[0].text.empty()) {
    return Next::kBlank;
  }
  return Next::kRecord;
}

}  // namespace kiln::data::internal
