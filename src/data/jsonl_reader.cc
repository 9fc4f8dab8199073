// JSON Lines reader: one flat JSON object per line. Keys become columns in order of first
// appearance. A short sequential pass over the first infer_rows lines infers types; then the
// file is parsed in parallel chunks of whole lines (jsonl_chunk_parser.h), which are absorbed in
// order into the columns, so the result and the first error do not depend on the thread count
// or the chunk size.
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "chunking.h"
#include "column_roles.h"
#include "jsonl_chunk_parser.h"
#include "jsonl_line_parser.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "readers_internal.h"

namespace kiln::data {
namespace internal {
namespace {

// Types seen per key in the first infer_rows non-blank lines (up to the first bad line): a key
// with a string that is not an NA token is categorical, else one with a number or a bool is
// numeric; keys with only missing values stay undecided.
JsonlTypes InferTypes(std::string_view text, size_t start, const JsonlPlan& plan) {
  JsonLineCursor cursor(text, start, text.size(), plan.max_line);
  JsonLineHandler handler;
  std::string_view line;
  bool too_long = false;
  std::unordered_map<std::string, std::pair<bool, bool>, StringHash, std::equal_to<>> seen;
  for (size_t rows = 0; rows < std::max<size_t>(plan.options->infer_rows, 1); ++rows) {
    if (!cursor.Next(&line, &too_long) || too_long || !handler.Parse(line)) break;
    for (size_t i = 0; i < handler.count(); ++i) {
      const JsonValue& v = handler.value(i);
      auto& [any_string, any_value] = seen[v.key];
      if (v.kind == JsonValueKind::kString && !plan.na.Contains(v.text)) any_string = true;
      if (v.kind == JsonValueKind::kNumber || v.kind == JsonValueKind::kBool) any_value = true;
    }
  }
  JsonlTypes inferred;
  for (const auto& [key, kinds] : seen) {
    if (kinds.first) {
      inferred[key] = ColumnType::kCategorical;
    } else if (kinds.second) {
      inferred[key] = ColumnType::kNumeric;
    }
  }
  return inferred;
}

// A column of the whole file, built from the chunks in order.
struct JsonColumn {
  std::string name;
  ColumnRole role = ColumnRole::kFeature;
  bool decided = false;
  ColumnType type = ColumnType::kNumeric;
  std::vector<float> values;
  std::vector<int32_t> codes;
  CategoryDict dict;
  size_t rows = 0;  // rows filled so far

  void Decide(ColumnType t) {
    decided = true;
    type = t;
    if (type == ColumnType::kNumeric) {
      values.assign(rows, std::numeric_limits<float>::quiet_NaN());
    } else {
      codes.assign(rows, kMissingCode);
    }
  }
  void AppendMissing(size_t n) {
    if (decided) {
      if (type == ColumnType::kNumeric) {
        values.insert(values.end(), n, std::numeric_limits<float>::quiet_NaN());
      } else {
        codes.insert(codes.end(), n, kMissingCode);
      }
    }
    rows += n;
  }
  // Appends a chunk's rows of this column; types agree (or the chunk's column is undecided).
  void Append(const JsonlChunkColumn& part, size_t n) {
    if (!decided || !part.decided) {
      AppendMissing(n);
    } else if (type == ColumnType::kNumeric) {
      values.insert(values.end(), part.values.begin(), part.values.end());
      rows += n;
    } else {
      std::vector<int32_t> code_of(part.dict.size());
      for (size_t i = 0; i < code_of.size(); ++i) {
        code_of[i] = dict.Intern(part.dict.categories()[i]);
      }
      const size_t at = codes.size();
      codes.resize(at + n);
      for (size_t r = 0; r < n; ++r) {
        const int32_t c = part.codes[r];
        codes[at + r] = c == kMissingCode ? c : code_of[static_cast<size_t>(c)];
      }
      rows += n;
    }
  }
};

// The file's columns and what the absorbed chunks say about them. Not thread-safe.
class JsonlColumns {
 public:
  // Types decided by the chunks absorbed so far.
  const JsonlTypes& decided() const { return decided_; }
  size_t rows() const { return rows_; }
  uint64_t missing_label_line() const { return missing_label_line_; }
  uint64_t missing_weight_line() const { return missing_weight_line_; }
  std::vector<JsonColumn>& columns() { return cols_; }

  // Adds the rows of a chunk that starts at 1-based line `first_line` and has no error; its
  // types must agree with decided() (see JsonlChunkConflicts).
  core::Status Absorb(const JsonlChunk& chunk, uint64_t first_line) {
    touched_.assign(cols_.size(), false);
    for (const auto& part : chunk.columns) {
      auto it = by_name_.find(part.name);
      if (it == by_name_.end()) {
        JsonColumn& c = cols_.emplace_back();
        c.name = part.name;
        c.role = part.role;
        c.rows = rows_;
        it = by_name_.emplace(part.name, cols_.size() - 1).first;
        touched_.push_back(false);
      }
      JsonColumn& col = cols_[it->second];
      touched_[it->second] = true;
      if (part.decided && !col.decided) {
        col.Decide(part.type);
        decided_.emplace(col.name, col.type);
      }
      if (part.decided && col.type != part.type) {
        return core::Internal("JSON Lines chunk disagrees on the type of key '{}'", part.name);
      }
      col.Append(part, chunk.rows);
    }
    for (size_t c = 0; c < cols_.size(); ++c) {
      if (!touched_[c]) cols_[c].AppendMissing(chunk.rows);
    }
    if (chunk.label_absent && missing_label_line_ == 0) {
      missing_label_line_ = first_line + *chunk.label_absent;
    }
    if (chunk.weight_absent && missing_weight_line_ == 0) {
      missing_weight_line_ = first_line + *chunk.weight_absent;
    }
    rows_ += chunk.rows;
    return core::Status::Ok();
  }

 private:
  std::vector<JsonColumn> cols_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_name_;
  JsonlTypes decided_;
  std::vector<bool> touched_;
  size_t rows_ = 0;
  uint64_t missing_label_line_ = 0;
  uint64_t missing_weight_line_ = 0;
};

}  // namespace

core::Result<Dataset> ReadJsonLinesText(InputText& in, const ReadOptions& options) {
  const std::string& path = in.path();
  const std::string_view text = in.text();
  if (text.empty()) return core::DataError("{}: the file is empty", path);
  JsonlPlan plan;
  plan.options = &options;
  plan.na = NaValues(options.na_values);
  plan.max_line = std::max<size_t>(options.max_line_bytes, 1);
  const size_t start = core::StartsWith(text, "\xEF\xBB\xBF") ? 3 : 0;
  plan.inferred = InferTypes(text, start, plan);

  JsonlColumns columns;
  RowLinesBuilder lines;
  const ChunkPlanner planner = [&](size_t from, size_t max_chunks) {
    return PlanLineChunks(text, from, options.chunk_bytes, max_chunks, plan.max_line + 1);
  };
  auto absorb = [&](std::vector<JsonlChunk*>& chunks,
                    const std::vector<uint64_t>& first_lines) -> core::Status {
    for (size_t c = 0; c < chunks.size(); ++c) {
      JsonlChunk& chunk = *chunks[c];
      // Parsed before an earlier chunk of the batch decided a type differently: parse again
      // with the types known now, as a sequential reader would see them.
      if (JsonlChunkConflicts(chunk, columns.decided())) {
        ParseJsonlChunk(plan, columns.decided(), text, chunk.range, &chunk);
      }
      if (columns.rows() + chunk.rows > kMaxRows) {
        return core::ResourceExhausted("{}: more than Kiln's limit of {} rows per file", path,
                                       kMaxRows);
      }
      if (chunk.error.failed) return ChunkError(path, chunk.error, first_lines[c]);
      KILN_RETURN_IF_ERROR(columns.Absorb(chunk, first_lines[c]));
      lines.Append(chunk.status.rows, first_lines[c]);
    }
    return core::Status::Ok();
  };
  KILN_RETURN_IF_ERROR(ParseChunks<JsonlChunk>(
      in, start, 1, planner,
      [&](JsonlChunk& chunk, ChunkRange range) {
        ParseJsonlChunk(plan, columns.decided(), text, range, &chunk);
      },
      absorb));
  if (columns.rows() == 0) {
    return core::DataError("{}: the file has no data (only blank lines)", path);
  }

  std::vector<JsonColumn>& cols = columns.columns();
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);
  KILN_ASSIGN_OR_RETURN(ColumnRoles roles, ResolveRoles(path, names, options));
  for (const auto& col : cols) {
    // A label or weight key that is absent from the first rows it is missing from.
    if (col.role == ColumnRole::kLabel && options.label_policy == LabelPolicy::kRequired &&
        columns.missing_label_line() != 0) {
      return core::DataError(
          "{} line {}: the label '{}' is missing (the key is absent); every row needs a label "
          "for training and evaluation",
          path, columns.missing_label_line(), col.name);
    }
    if (col.role == ColumnRole::kWeight && columns.missing_weight_line() != 0) {
      return core::DataError("{} line {}: the weight '{}' is missing (the key is absent)", path,
                             columns.missing_weight_line(), col.name);
    }
  }
  std::vector<Column> dense;
  for (auto& col : cols) {
    Column c;
    c.name = col.name;
    if (!col.decided) col.Decide(ColumnType::kNumeric);
    c.type = col.type;
    if (col.type == ColumnType::kNumeric) {
      c.values = core::Array<float>(std::move(col.values));
    } else {
      c.codes = core::Array<int32_t>(std::move(col.codes));
      c.categories = std::move(col.dict).TakeCategories();
    }
    dense.push_back(std::move(c));
  }
  KILN_ASSIGN_OR_RETURN(Dataset ds, AssembleDense(path, std::move(dense), roles, options));
  RowLines row_lines = std::move(lines).Finish(1);
  ds.set_source(MakeSourceInfo(in, "jsonl", std::move(row_lines)));
  return ds;
}

}  // namespace internal

core::Result<Dataset> ReadJsonLines(const std::string& path, std::string_view text,
                                    const ReadOptions& options, core::Context& ctx) {
  internal::InputText in(path, text, nullptr, ctx);
  return internal::ReadJsonLinesText(in, options);
}

}  // namespace kiln::data
