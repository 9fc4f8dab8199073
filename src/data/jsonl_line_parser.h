// Parsing the lines of a JSON Lines file (private to src/data): a cursor over the non-blank lines
// of a byte range, and a SAX handler that collects the (key, scalar) pairs of one line's flat
// object with nlohmann-json (no DOM per line). Neither is thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::data::internal {

enum class JsonValueKind : uint8_t { kNull, kNumber, kBool, kString };

struct JsonValue {
  std::string key;
  JsonValueKind kind = JsonValueKind::kNull;
  double number = 0;  // kNumber; kBool: 1 or 0
  std::string text;   // kString: the string; kNumber: the number as written
};

// "null", "true", "the number 1.5", "the string \"x\"" for error messages.
std::string DescribeJsonValue(const JsonValue& v);

// Collects the (key, scalar) pairs of one line's object, in order. Values are reused from line
// to line.
class JsonLineHandler : public nlohmann::json_sax<nlohmann::json> {
 public:
  // Parses `line`; false on an error, described by error() (", byte 5: invalid JSON: ..." or
  // ", key 'a': found an array; ..."), to follow "FILE line N".
  bool Parse(std::string_view line);

  size_t count() const { return count_; }
  const JsonValue& value(size_t i) const { return values_[i]; }
  const std::string& error() const { return error_; }

  bool null() override;
  bool boolean(bool v) override;
  bool number_integer(number_integer_t v) override;
  bool number_unsigned(number_unsigned_t v) override;
  bool number_float(number_float_t v, const string_t& s) override;
  bool string(string_t& v) override;
  bool binary(binary_t& v) override;
  bool start_object(std::size_t elements) override;
  bool key(string_t& k) override;
  bool end_object() override;
  bool start_array(std::size_t elements) override;
  bool end_array() override;
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override;

 private:
  bool Scalar(JsonValueKind kind, double number, std::string text);
  bool Nested(std::string_view what);

  std::vector<JsonValue> values_;
  size_t count_ = 0;
  int depth_ = 0;
  std::string key_;
  std::string error_;
};

// Iterates the non-blank lines of text[begin, end), where `begin` starts a line.
class JsonLineCursor {
 public:
  JsonLineCursor(std::string_view text, size_t begin, size_t end, size_t max_line)
      : text_(text.substr(0, end)), max_line_(max_line), pos_(begin) {}
  // Next non-blank line (without its '\n'); false at the end. Sets *too_long, and returns true,
  // when the next line is longer than max_line bytes.
  bool Next(std::string_view* line, bool* too_long);
  // 0-based line of the last returned line, counted from `begin`.
  uint64_t line() const { return line_ - 1; }
  // Line feeds passed so far.
  uint64_t line_feeds() const { return line_feeds_; }
  // Where the next line starts.
  size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  size_t max_line_;
  size_t pos_;
  uint64_t line_ = 0;
  uint64_t line_feeds_ = 0;
};

}  // namespace kiln::data::internal
