#include "jsonl_line_parser.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::data::internal {

std::string DescribeJsonValue(const JsonValue& v) {
  switch (v.kind) {
    case JsonValueKind::kNull:
      return "null";
    case JsonValueKind::kBool:
      return v.number != 0 ? "true" : "false";
    case JsonValueKind::kNumber:
      return "the number " + core::Excerpt(v.text);
    case JsonValueKind::kString:
      return "the string \"" + core::Excerpt(v.text) + "\"";
  }
  return "?";
}

bool JsonLineHandler::Parse(std::string_view line) {
  count_ = 0;
  depth_ = 0;
  error_.clear();
  try {
    return nlohmann::json::sax_parse(line.begin(), line.end(), this);
  } catch (...) {  // sax_parse reports through the handler; this is only a safety net
    return false;
  }
}

bool JsonLineHandler::null() { return Scalar(JsonValueKind::kNull, 0, {}); }

bool JsonLineHandler::boolean(bool v) { return Scalar(JsonValueKind::kBool, v ? 1 : 0, {}); }

bool JsonLineHandler::number_integer(number_integer_t v) {
  return Scalar(JsonValueKind::kNumber, static_cast<double>(v), std::to_string(v));
}

bool JsonLineHandler::number_unsigned(number_unsigned_t v) {
  return Scalar(JsonValueKind::kNumber, static_cast<double>(v), std::to_string(v));
}

bool JsonLineHandler::number_float(number_float_t v, const string_t& s) {
  return Scalar(JsonValueKind::kNumber, v, s);
}

bool JsonLineHandler::string(string_t& v) {
  return Scalar(JsonValueKind::kString, 0, std::move(v));
}

bool JsonLineHandler::binary(binary_t&) { return Nested("binary value"); }

bool JsonLineHandler::start_object(std::size_t) {
  if (depth_ == 0) {
    depth_ = 1;
    return true;
  }
  return Nested("an object");
}

bool JsonLineHandler::key(string_t& k) {
  key_ = std::move(k);
  return true;
}

bool JsonLineHandler::end_object() {
  --depth_;
  return true;
}

bool JsonLineHandler::start_array(std::size_t) {
  if (depth_ == 0) {
    error_ = ": expected a JSON object on each line, found an array";
    return false;
  }
  return Nested("an array");
}

bool JsonLineHandler::end_array() { return true; }

bool JsonLineHandler::parse_error(std::size_t position, const std::string&,
                                  const nlohmann::detail::exception& ex) {
  std::string what = ex.what();
  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
  if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
  if (auto at = what.find(": "); at != std::string::npos) what = what.substr(at + 2);
  error_ = fmt::format(", byte {}: invalid JSON: {}", position, what);
  return false;
}

bool JsonLineHandler::Scalar(JsonValueKind kind, double number, std::string text) {
  if (depth_ == 0) {
    error_ = ": expected a JSON object on each line, found a single value";
    return false;
  }
  if (values_.size() <= count_) values_.emplace_back();
  JsonValue& v = values_[count_++];
  v.key = key_;
  v.kind = kind;
  v.number = number;
  v.text = std::move(text);
  return true;
}

bool JsonLineHandler::Nested(std::string_view what) {
  error_ = fmt::format(
      ", key '{}': found {}; nested arrays and objects are not supported, "
      "flatten them into scalar fields",
      core::Excerpt(key_), what);
  return false;
}

bool JsonLineCursor::Next(std::string_view* line, bool* too_long) {
  *too_long = false;
  while (pos_ < text_.size()) {
    const size_t avail = text_.size() - pos_;
    const size_t scan = std::min(avail, max_line_ + 1);
    const char* b = text_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', scan));
    ++line_;
    if (nl == nullptr && scan < avail) {
      *too_long = true;
      return true;
    }
    const size_t len = nl == nullptr ? avail : static_cast<size_t>(nl - b);
    pos_ += nl == nullptr ? avail : len + 1;
    if (nl != nullptr) ++line_feeds_;
    std::string_view l(b, len);
    if (core::Trim(l).empty()) continue;
    *line = l;
    return true;
  }
  return false;
}

}  // namespace kiln::data::internal
