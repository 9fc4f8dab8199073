// JSON Lines reader: one flat JSON object per line, parsed with nlohmann-json's SAX interface
// (no DOM per line; jsonl_line_parser.h). Keys become columns in order of first appearance.
// Sequential, one pass over the lines after a short inference pass over the first infer_rows lines.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "chunking.h"
#include "column_roles.h"
#include "jsonl_line_parser.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "readers_internal.h"

namespace kiln::data {
namespace internal {
namespace {

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

}  // namespace

core::Result<Dataset> ReadJsonLinesText(InputText& in, const ReadOptions& options) {
  const std::string& path = in.path();
  const std::string_view text = in.text();
  core::Context& ctx = in.ctx();
  if (text.empty()) return core::DataError("{}: the file is empty", path);
  const size_t max_line = std::max<size_t>(options.max_line_bytes, 1);
  const NaValues na(options.na_values);
  const size_t start = core::StartsWith(text, "\xEF\xBB\xBF") ? 3 : 0;
  JsonLineHandler handler;
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
    JsonLineCursor cursor(text, start, text.size(), max_line);
    std::unordered_map<std::string, std::pair<bool, bool>, StringHash, std::equal_to<>> seen;
    for (size_t rows = 0; rows < std::max<size_t>(options.infer_rows, 1);) {
      if (!cursor.Next(&line, &too_long) || too_long || !handler.Parse(line)) break;
      for (size_t i = 0; i < handler.count(); ++i) {
        const JsonValue& v = handler.value(i);
        auto& [any_string, any_value] = seen[v.key];
        if (v.kind == JsonValueKind::kString && !na.Contains(v.text)) any_string = true;
        if (v.kind == JsonValueKind::kNumber || v.kind == JsonValueKind::kBool) any_value = true;
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
  JsonLineCursor cursor(text, start, text.size(), max_line);
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
    const uint64_t n = cursor.line() + 1;
    if (too_long) return long_line(n);
    if (!handler.Parse(line)) {
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
      if (!col.decided && v.kind != JsonValueKind::kNull) {
        decide(col, v.kind == JsonValueKind::kString && !na.Contains(v.text)
                        ? ColumnType::kCategorical
                        : ColumnType::kNumeric);
      }
      const bool is_missing = v.kind == JsonValueKind::kNull ||
                              (v.kind == JsonValueKind::kString && na.Contains(v.text));
      if (is_missing) {
        if (col.role == ColumnRole::kWeight) {
          return core::DataError("{} line {}{}the weight is missing; every row needs a weight",
                                 path, n, where());
        }
        if (col.role == ColumnRole::kLabel && options.label_policy == LabelPolicy::kRequired) {
          return core::DataError(
              "{} line {}{}the label is missing ({}); every row needs a label for training and "
              "evaluation",
              path, n, where(), DescribeJsonValue(v));
        }
        push_missing(col);
        continue;
      }
      if (col.type == ColumnType::kNumeric) {
        if (v.kind == JsonValueKind::kString) {
          return core::DataError("{} line {}{}expected a number, found {}; {}", path, n, where(),
                                 DescribeJsonValue(v),
                                 TypeReason(col.name, col.role, options, "lines"));
        }
        const double d = v.number;
        if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) {
          return core::DataError(
              "{} line {}{}found {}, which is out of range for a 32-bit float (largest "
              "magnitude about 3.4e38)",
              path, n, where(), DescribeJsonValue(v));
        }
        if (col.role == ColumnRole::kWeight && (d < 0 || v.kind == JsonValueKind::kBool)) {
          return core::DataError("{} line {}{}weights must be numbers >= 0, found {}", path, n,
                                 where(), DescribeJsonValue(v));
        }
        col.values.push_back(static_cast<float>(d));
      } else {
        std::string_view t;
        if (v.kind == JsonValueKind::kBool) {
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
