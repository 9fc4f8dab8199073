// JSON Lines reader: one flat JSON object per line, parsed with nlohmann-json's SAX interface
// (no DOM per line). Keys become columns in order of first appearance. Sequential, one pass over
// the lines after a short inference pass over the first infer_rows lines.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "chunking.h"
#include "column_roles.h"
#include "kiln/core/progress.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "readers_internal.h"

namespace kiln::data {
namespace internal {
namespace {

using Json = nlohmann::json;

enum class ValueKind : uint8_t { kNull, kNumber, kBool, kString };

struct JsonValue {
  std::string key;
  ValueKind kind = ValueKind::kNull;
  double number = 0;
  std::string text;  // kString: the string; kNumber: the number as written
};

// Collects the (key, scalar) pairs of one line's object.
class LineHandler : public nlohmann::json_sax<Json> {
 public:
  void Reset() {
    count_ = 0;
    depth_ = 0;
    error_.clear();
  }
  size_t count() const { return count_; }
  const JsonValue& value(size_t i) const { return values_[i]; }
  const std::string& error() const { return error_; }

  bool null() override { return Scalar(ValueKind::kNull, 0, {}); }
  bool boolean(bool v) override { return Scalar(ValueKind::kBool, v ? 1 : 0, {}); }
  bool number_integer(number_integer_t v) override {
    return Scalar(ValueKind::kNumber, static_cast<double>(v), std::to_string(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    return Scalar(ValueKind::kNumber, static_cast<double>(v), std::to_string(v));
  }
  bool number_float(number_float_t v, const string_t& s) override {
    return Scalar(ValueKind::kNumber, v, s);
  }
  bool string(string_t& v) override { return Scalar(ValueKind::kString, 0, std::move(v)); }
  bool binary(binary_t&) override { return Nested("binary value"); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    return Nested("an object");
  }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) {
      error_ = ": expected a JSON object on each line, found an array";
      return false;
    }
    return Nested("an array");
  }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    if (auto at = what.find(": "); at != std::string::npos) what = what.substr(at + 2);
    error_ = fmt::format(", byte {}: invalid JSON: {}", position, what);
    return false;
  }

 private:
  bool Scalar(ValueKind kind, double number, std::string text) {
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
  bool Nested(std::string_view what) {
    error_ = fmt::format(
        ", key '{}': found {}; nested arrays and objects are not supported, "
        "flatten them into scalar fields",
        core::Excerpt(key_), what);
    return false;
  }

  std::vector<JsonValue> values_;
  size_t count_ = 0;
  int depth_ = 0;
  std::string key_;
  std::string error_;
};

// Iterates the non-blank lines of the text.
class LineCursor {
 public:
  LineCursor(std::string_view text, size_t max_line) : text_(text), max_line_(max_line) {
    if (core::StartsWith(text, "\xEF\xBB\xBF")) pos_ = 3;
  }
  // Next non-blank line; false at the end. Sets *too_long when a line exceeds the limit.
  bool Next(std::string_view* line, bool* too_long) {
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
      std::string_view l(b, len);
      if (core::Trim(l).empty()) continue;
      *line = l;
      return true;
    }
    return false;
  }
  uint64_t line() const { return line_; }  // 1-based line of the last returned line
  size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  size_t max_line_;
  size_t pos_ = 0;
  uint64_t line_ = 0;
};

bool ParseLine(std::string_view line, LineHandler* handler) {
  handler->Reset();
  try {
    return Json::sax_parse(line.begin(), line.end(), handler);
  } catch (...) {  // sax_parse reports through the handler; this is only a safety net
    return false;
  }
}

struct JsonColumn {
  std::string name;
  ColumnRole role = ColumnRole::kFeature;
  bool decided = false;
  ColumnType type = ColumnType::kNumeric;
  bool forced = false;
  std::vector<float> values;
  std::vector<int32_t> codes;
  CategoryDict dict;
  size_t rows = 0;  // rows filled so far
};

ColumnRole RoleByName(const std::string& name, const ReadOptions& options) {
  if (options.label_policy != LabelPolicy::kNone && name == options.label)
    return ColumnRole::kLabel;
  if (!options.weight.empty() && name == options.weight) return ColumnRole::kWeight;
  if (std::find(options.ignore.begin(), options.ignore.end(), name) != options.ignore.end() ||
      std::find(options.ignore_if_present.begin(), options.ignore_if_present.end(), name) !=
          options.ignore_if_present.end()) {
    return ColumnRole::kIgnored;
  }
  return ColumnRole::kFeature;
}

std::string KindName(const JsonValue& v) {
  switch (v.kind) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kBool:
      return v.number != 0 ? "true" : "false";
    case ValueKind::kNumber:
      return "the number " + core::Excerpt(v.text);
    case ValueKind::kString:
      return "the string \"" + core::Excerpt(v.text) + "\"";
  }
  return "?";
}

}  // namespace

core::Result<Dataset> ReadJsonLinesText(InputText& in, const ReadOptions& options) {
  const std::string& path = in.path();
  const std::string_view text = in.text();
  core::Context& ctx = in.ctx();
  if (text.empty()) return core::DataError("{}: the file is empty", path);
  const size_t max_line = std::max<size_t>(options.max_line_bytes, 1);
  const NaValues na(options.na_values);
  LineHandler handler;
  std::string_view line;
  bool too_long = false;
  auto line_error = [&](uint64_t n, std::string_view what) {
    return core::ParseError("{} line {}{}", path, n, what);
  };
  auto long_line = [&](uint64_t n) {
    return core::ResourceExhausted(
        "{} line {}: the line is longer than the limit of {} (--max-line-bytes); is this really a "
        "JSON Lines file?",
        path, n, ByteLimitText(max_line));
  };

  // Inference: kinds seen per key in the first infer_rows lines.
  std::unordered_map<std::string, ColumnType, StringHash, std::equal_to<>> inferred;
  {
    LineCursor cursor(text, max_line);
    std::unordered_map<std::string, std::pair<bool, bool>, StringHash, std::equal_to<>> seen;
    for (size_t rows = 0; rows < std::max<size_t>(options.infer_rows, 1);) {
      if (!cursor.Next(&line, &too_long) || too_long || !ParseLine(line, &handler)) break;
      for (size_t i = 0; i < handler.count(); ++i) {
        const JsonValue& v = handler.value(i);
        auto& [any_string, any_value] = seen[v.key];
        if (v.kind == ValueKind::kString && !na.Contains(v.text)) any_string = true;
        if (v.kind == ValueKind::kNumber || v.kind == ValueKind::kBool) any_value = true;
      }
      ++rows;
    }
    for (const auto& [key, kinds] : seen) {
      if (kinds.first) {
        inferred[key] = ColumnType::kCategorical;
      } else if (kinds.second) {
        inferred[key] = ColumnType::kNumeric;
      }
    }
  }

  std::vector<JsonColumn> cols;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_name;
  uint64_t missing_label_line = 0, missing_weight_line = 0;
  size_t rows = 0;
  std::vector<uint64_t> line_of_row;
  bool consecutive = true;
  uint64_t first_line = 0;
  LineCursor cursor(text, max_line);
  const size_t consume_every =
      options.chunk_bytes == 0 ? size_t{4} << 20 : std::max<size_t>(options.chunk_bytes, 1 << 16);
  size_t next_consume = consume_every;

  auto decide = [&](JsonColumn& col, ColumnType type) {
    col.decided = true;
    col.type = type;
    if (type == ColumnType::kNumeric) {
      col.values.assign(col.rows, std::numeric_limits<float>::quiet_NaN());
    } else {
      col.codes.assign(col.rows, kMissingCode);
    }
  };
  auto push_missing = [&](JsonColumn& col) {
    if (col.decided) {
      if (col.type == ColumnType::kNumeric) {
        col.values.push_back(std::numeric_limits<float>::quiet_NaN());
      } else {
        col.codes.push_back(kMissingCode);
      }
    }
    ++col.rows;
  };

  while (cursor.Next(&line, &too_long)) {
    const uint64_t n = cursor.line();
    if (too_long) return long_line(n);
    if (!ParseLine(line, &handler)) {
      return line_error(n,
                        handler.error().empty() ? std::string(": invalid JSON") : handler.error());
    }
    if (rows >= kMaxRows) {
      return core::ResourceExhausted("{}: more than Kiln's limit of {} rows per file", path,
                                     kMaxRows);
    }
    for (size_t i = 0; i < handler.count(); ++i) {
      const JsonValue& v = handler.value(i);
      auto it = by_name.find(v.key);
      if (it == by_name.end()) {
        JsonColumn col;
        col.name = v.key;
        col.role = RoleByName(col.name, options);
        col.rows = rows;
        it = by_name.emplace(v.key, cols.size()).first;
        cols.push_back(std::move(col));
        JsonColumn& c = cols.back();
        if (rows > 0 && c.role == ColumnRole::kLabel && missing_label_line == 0 &&
            options.label_policy == LabelPolicy::kRequired) {
          missing_label_line = first_line;
        }
        if (rows > 0 && c.role == ColumnRole::kWeight && missing_weight_line == 0) {
          missing_weight_line = first_line;
        }
        if (auto forced = ForcedType(c.name, c.role, options)) {
          c.forced = true;
          decide(c, *forced);
        } else if (auto inf = inferred.find(c.name); inf != inferred.end()) {
          decide(c, inf->second);
        }
      }
      JsonColumn& col = cols[it->second];
      const auto where = [&]() { return fmt::format(", key '{}': ", core::Excerpt(col.name)); };
      if (col.rows > rows) {
        return core::ParseError("{} line {}{}the key appears twice in the object", path, n,
                                where());
      }
      if (!col.decided && v.kind != ValueKind::kNull) {
        decide(col, v.kind == ValueKind::kString && !na.Contains(v.text) ? ColumnType::kCategorical
                                                                         : ColumnType::kNumeric);
      }
      const bool is_missing =
          v.kind == ValueKind::kNull || (v.kind == ValueKind::kString && na.Contains(v.text));
      if (is_missing) {
        if (col.role == ColumnRole::kWeight) {
          return core::DataError("{} line {}{}the weight is missing; every row needs a weight",
                                 path, n, where());
        }
        if (col.role == ColumnRole::kLabel && options.label_policy == LabelPolicy::kRequired) {
          return core::DataError(
              "{} line {}{}the label is missing ({}); every row needs a label for training and "
              "evaluation",
              path, n, where(), KindName(v));
        }
        push_missing(col);
        continue;
      }
      if (col.type == ColumnType::kNumeric) {
        if (v.kind == ValueKind::kString) {
          return core::DataError("{} line {}{}expected a number, found {}; {}", path, n, where(),
                                 KindName(v), TypeReason(col.name, col.role, options, "lines"));
        }
        const double d = v.number;
        if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
          return core::DataError(
              "{} line {}{}found {}, which is out of range for a 32-bit float (largest "
              "magnitude about 3.4e38)",
              path, n, where(), KindName(v));
        }
        if (col.role == ColumnRole::kWeight && (d < 0 || v.kind == ValueKind::kBool)) {
          return core::DataError("{} line {}{}weights must be numbers >= 0, found {}", path, n,
                                 where(), KindName(v));
        }
        col.values.push_back(static_cast<float>(d));
      } else {
        std::string_view t;
        if (v.kind == ValueKind::kBool) {
          t = v.number != 0 ? "true" : "false";
        } else {
          t = v.text;
        }
        col.codes.push_back(col.dict.Intern(t));
      }
      ++col.rows;
    }
    for (auto& col : cols) {
      if (col.rows > rows) continue;
      if (col.role == ColumnRole::kLabel && options.label_policy == LabelPolicy::kRequired &&
          missing_label_line == 0) {
        missing_label_line = n;
      }
      if (col.role == ColumnRole::kWeight && missing_weight_line == 0) missing_weight_line = n;
      push_missing(col);
    }
    if (rows == 0) first_line = n;
    if (consecutive && n != first_line + rows) {
      consecutive = false;
      for (size_t r = 0; r < rows; ++r) line_of_row.push_back(first_line + r);
    }
    if (!consecutive) line_of_row.push_back(n);
    ++rows;
    if (cursor.pos() >= next_consume) {
      KILN_RETURN_IF_ERROR(ctx.CheckCancelled("reading " + path));
      in.Consume(cursor.pos());
      next_consume = cursor.pos() + consume_every;
    }
  }
  if (rows == 0) return core::DataError("{}: the file has no data (only blank lines)", path);

  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);
  KILN_ASSIGN_OR_RETURN(ColumnRoles roles, ResolveRoles(path, names, options));
  for (const auto& col : cols) {
    // A label or weight key that is absent from the first rows it is missing from.
    if (col.role == ColumnRole::kLabel && options.label_policy == LabelPolicy::kRequired &&
        missing_label_line != 0) {
      return core::DataError(
          "{} line {}: the label '{}' is missing (the key is absent); every row needs a label "
          "for training and evaluation",
          path, missing_label_line, col.name);
    }
    if (col.role == ColumnRole::kWeight && missing_weight_line != 0) {
      return core::DataError("{} line {}: the weight '{}' is missing (the key is absent)", path,
                             missing_weight_line, col.name);
    }
  }
  std::vector<Column> columns;
  for (auto& col : cols) {
    Column c;
    c.name = col.name;
    if (!col.decided) decide(col, ColumnType::kNumeric);
    c.type = col.type;
    if (col.type == ColumnType::kNumeric) {
      c.values = core::Array<float>(std::move(col.values));
    } else {
      c.codes = core::Array<int32_t>(std::move(col.codes));
      c.categories = std::move(col.dict).TakeCategories();
    }
    columns.push_back(std::move(c));
  }
  KILN_ASSIGN_OR_RETURN(Dataset ds, AssembleDense(path, std::move(columns), roles, options));
  SourceInfo source;
  source.path = path;
  source.format = "jsonl";
  source.file_bytes = text.size();
  source.content_hash = in.FinishHash();
  source.first_data_line = first_line;
  if (!consecutive) source.row_lines = core::Array<uint64_t>(std::move(line_of_row));
  ds.set_source(std::move(source));
  return ds;
}

}  // namespace internal

core::Result<Dataset> ReadJsonLines(const std::string& path, std::string_view text,
                                    const ReadOptions& options, core::Context& ctx) {
  internal::InputText in(path, text, nullptr, ctx);
  return internal::ReadJsonLinesText(in, options);
}

}  // namespace kiln::data
