// CSV reader: header, type inference from a sample, then parallel chunked conversion.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "chunking.h"
#include "column_roles.h"
#include "csv_tokenizer.h"
#include "kiln/core/growable_buffer.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "number_parsing.h"
#include "readers_internal.h"

namespace kiln::data {
namespace internal {
namespace {

struct CsvColumnPlan {
  std::string name;
  size_t position = 0;  // 1-based
  ColumnRole role = ColumnRole::kFeature;
  ColumnType type = ColumnType::kNumeric;
  size_t slot = 0;          // position among the kept columns
  std::string type_reason;  // appended to "expected a number" errors
};

struct CsvPlan {
  char delimiter = ',';
  size_t max_record = 0;
  bool label_required = false;
  std::vector<CsvColumnPlan> columns;
  size_t kept = 0;  // columns that are not ignored
  NaValues na{{}};
};

// One chunk's parsed values: a single mapping ("slab") holds every kept column, column slot s
// at [s * row_bound, (s + 1) * row_bound) as 4-byte floats or codes. row_bound is a true upper
// bound on the chunk's rows, and untouched pages of the slab cost no memory. Chunks are reused
// from batch to batch, so the slab's pages are too.
struct CsvChunk {
  ChunkStatus status;
  size_t rows = 0;
  size_t row_bound = 0;
  core::GrowableBuffer<uint32_t> slab;
  std::vector<CategoryDict> dicts;  // per column (categorical columns only)

  float* numbers(size_t slot) { return reinterpret_cast<float*>(slab.data() + slot * row_bound); }
  int32_t* codes(size_t slot) { return reinterpret_cast<int32_t*>(slab.data() + slot * row_bound); }
};

std::string FieldWhere(const CsvColumnPlan& col) {
  return fmt::format(", column {} '{}'", col.position, core::Excerpt(col.name));
}

// Converts field `f` of column `c`; on bad data records the error and returns false.
bool ConvertField(const CsvPlan& plan, size_t c, const CsvField& f, CsvChunk* chunk) {
  const CsvColumnPlan& col = plan.columns[c];
  if (col.role == ColumnRole::kIgnored) return true;
  const std::string_view text = f.text;
  auto fail = [&](std::string what) {
    chunk->status.Fail(core::StatusCode::kDataError, f.line, FieldWhere(col) + ": " + what);
    return false;
  };
  auto missing = [&]() -> bool {
    if (col.role == ColumnRole::kLabel && plan.label_required) {
      return fail(fmt::format(
          "the label is missing ({}); every row needs a label for training and evaluation",
          text.empty() ? std::string("empty field")
                       : fmt::format("'{}' is a missing-value token", core::Excerpt(text))));
    }
    if (col.role == ColumnRole::kWeight) {
      return fail("the weight is missing; every row needs a weight (a finite number >= 0)");
    }
    return true;
  };
  if (col.type == ColumnType::kCategorical) {
    int32_t code = kMissingCode;
    if (plan.na.Contains(text)) {
      if (!missing()) return false;
    } else {
      code = chunk->dicts[c].Intern(text);
    }
    chunk->codes(col.slot)[chunk->rows] = code;
    return true;
  }
  float v = std::numeric_limits<float>::quiet_NaN();
  bool is_missing = plan.na.has_numeric_token() && plan.na.Contains(text);
  if (!is_missing) {
    const NumberStatus st = ParseFloat(text, &v);
    if (st != NumberStatus::kOk) {
      if (st == NumberStatus::kNotNumber && plan.na.Contains(text)) {
        is_missing = true;
        v = std::numeric_limits<float>::quiet_NaN();
      } else if (st == NumberStatus::kNotNumber) {
        return fail(DescribeNumberProblem(st, text) + "; " + col.type_reason);
      } else {
        return fail(DescribeNumberProblem(st, text));
      }
    }
  }
  if (is_missing && !missing()) return false;
  if (col.role == ColumnRole::kWeight && v < 0) {
    return fail(fmt::format("weights must be >= 0, found {}", core::Excerpt(text)));
  }
  chunk->numbers(col.slot)[chunk->rows] = v;
  return true;
}

// Records the tokenizer's error in the chunk status.
void TokenizerFailure(const CsvPlan& plan, const CsvTokenizer& tok, ChunkStatus* status) {
  std::string where;
  const size_t field = tok.error_field();
  if (field > 0 && field <= plan.columns.size()) {
    where = FieldWhere(plan.columns[field - 1]);
  } else if (field > 0) {
    where = fmt::format(", field {}", field);
  }
  status->Fail(tok.error_code(), tok.error_line(), where + ": " + tok.error_message());
  status->ref_line = tok.error_ref_line();
}

std::string RaggedMessage(size_t expected, size_t found, bool header, std::string_view record) {
  const size_t eol = record.find_first_of("\r\n");
  return fmt::format(
      ": expected {} fields ({}), found {} in '{}'; check for a missing or extra delimiter, or a "
      "field containing the delimiter that should be quoted",
      expected, header ? "as in the header" : "as in the first row", found,
      core::Excerpt(record.substr(0, eol)));
}

void ParseCsvChunk(const CsvPlan& plan, bool header, std::string_view text, ChunkRange range,
                   CsvChunk* chunk) {
  const size_t ncols = plan.columns.size();
  // Every record that starts in the chunk holds ncols - 1 delimiters and a line break inside it
  // (only the last one may run past the end), and blank lines are rows only when ncols == 1.
  chunk->row_bound = (range.end - range.begin) / std::max<size_t>(ncols, 1) + 2;
  chunk->rows = 0;
  chunk->dicts.assign(ncols, CategoryDict());
  if (!chunk->slab.Reserve(std::max<size_t>(plan.kept, 1) * chunk->row_bound)) {
    chunk->status.Fail(core::StatusCode::kResourceExhausted, 0,
                       ": cannot allocate memory for the parsed columns");
    return;
  }
  CsvTokenizer tok(text, range.begin, plan.delimiter, plan.max_record);
  std::vector<CsvField> fields;
  fields.reserve(ncols);
  while (tok.pos() < range.end) {
    const CsvTokenizer::Next r = tok.Read(&fields);
    if (r == CsvTokenizer::Next::kEnd) break;
    if (r == CsvTokenizer::Next::kError) {
      TokenizerFailure(plan, tok, &chunk->status);
      return;
    }
    if (r == CsvTokenizer::Next::kBlank && ncols > 1) continue;
    if (fields.size() != ncols) {
      chunk->status.Fail(
          core::StatusCode::kParseError, tok.record_line(),
          RaggedMessage(ncols, fields.size(), header, text.substr(tok.record_begin(), 200)));
      return;
    }
    if (chunk->rows >= chunk->row_bound) {  // cannot happen; guards the slab
      chunk->status.Fail(core::StatusCode::kInternal, tok.record_line(),
                         ": internal error: row bound exceeded");
      return;
    }
    chunk->status.rows.Add(tok.record_line());
    for (size_t c = 0; c < ncols; ++c) {
      if (!ConvertField(plan, c, fields[c], chunk)) return;
    }
    ++chunk->rows;
  }
  chunk->status.stop = tok.pos();
  chunk->status.lines = tok.line();
}

char ResolveDelimiter(const std::string& path, const ReadOptions& options) {
  if (options.delimiter != 0) return options.delimiter;
  return core::EndsWith(core::ToLower(path), ".tsv") ? '\t' : ',';
}

}  // namespace

core::Result<Dataset> ReadCsvText(InputText& in, const ReadOptions& options) {
  const std::string& path = in.path();
  const std::string_view text = in.text();
  core::Context& ctx = in.ctx();
  if (text.empty()) return core::DataError("{}: the file is empty", path);
  size_t start = 0;
  if (core::StartsWith(text, "\xEF\xBB\xBF")) start = 3;  // UTF-8 byte order mark

  CsvPlan plan;
  plan.delimiter = ResolveDelimiter(path, options);
  if (plan.delimiter == '"' || plan.delimiter == '\n' || plan.delimiter == '\r') {
    return core::InvalidArgument("{}: the delimiter cannot be a quote or a line break", path);
  }
  plan.max_record = std::max<size_t>(options.max_line_bytes, 1);
  plan.label_required = options.label_policy == LabelPolicy::kRequired;
  plan.na = NaValues(options.na_values);

  // The first record: the header, or the first row that fixes the column count.
  CsvTokenizer head(text, start, plan.delimiter, plan.max_record);
  std::vector<CsvField> fields;
  CsvTokenizer::Next r;
  do {
    r = head.Read(&fields);
  } while (r == CsvTokenizer::Next::kBlank);
  if (r == CsvTokenizer::Next::kEnd) {
    return core::DataError("{}: the file has no data (only blank lines)", path);
  }
  if (r == CsvTokenizer::Next::kError) {
    CsvPlan none;
    ChunkStatus st;
    TokenizerFailure(none, head, &st);
    return ChunkError(path, st, 1);
  }
  std::vector<std::string> names;
  size_t data_start;
  uint64_t data_line;
  if (options.header) {
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string name(fields[i].text);
      if (name.empty()) name = fmt::format("c{}", i);
      names.push_back(std::move(name));
    }
    data_start = head.pos();
    data_line = 1 + head.line();
    for (size_t i = 0; i < names.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (names[i] == names[j]) {
          return core::DataError(
              "{} line {}: duplicate column name '{}' (columns {} and {}); column names must be "
              "unique (if the first line is data, not a header, pass --no-header)",
              path, 1 + head.record_line(), core::Excerpt(names[i]), j + 1, i + 1);
        }
      }
    }
  } else {
    for (size_t i = 0; i < fields.size(); ++i) names.push_back(fmt::format("c{}", i));
    data_start = head.record_begin();
    data_line = 1 + head.record_line();
  }
  KILN_ASSIGN_OR_RETURN(ColumnRoles roles, ResolveRoles(path, names, options));
  const size_t ncols = names.size();
  for (size_t i = 0; i < ncols; ++i) {
    CsvColumnPlan col;
    col.name = names[i];
    col.position = i + 1;
    col.role = roles.roles[i];
    col.type_reason = TypeReason(col.name, col.role, options, "rows");
    if (col.role != ColumnRole::kIgnored) col.slot = plan.kept++;
    plan.columns.push_back(std::move(col));
  }

  // Type inference from the first infer_rows rows (errors there are reported by the full pass).
  {
    std::vector<char> any_value(ncols, 0), all_numeric(ncols, 1);
    CsvTokenizer sample(text, data_start, plan.delimiter, plan.max_record);
    size_t rows = 0;
    while (rows < std::max<size_t>(options.infer_rows, 1)) {
      r = sample.Read(&fields);
      if (r == CsvTokenizer::Next::kEnd || r == CsvTokenizer::Next::kError) break;
      if (r == CsvTokenizer::Next::kBlank && ncols > 1) continue;
      if (fields.size() != ncols) break;
      for (size_t c = 0; c < ncols; ++c) {
        if (plan.na.Contains(fields[c].text)) continue;
        any_value[c] = 1;
        if (all_numeric[c] && !LooksNumeric(fields[c].text)) all_numeric[c] = 0;
      }
      ++rows;
    }
    for (size_t c = 0; c < ncols; ++c) {
      CsvColumnPlan& col = plan.columns[c];
      const auto forced = ForcedType(col.name, col.role, options);
      col.type =
          forced ? *forced : (all_numeric[c] ? ColumnType::kNumeric : ColumnType::kCategorical);
      if (!forced && !any_value[c]) {
        col.type_reason +=
            fmt::format(" (it had only missing values there, so it was taken as numeric)");
      }
    }
  }

  // The full pass, in parallel chunks.
  const size_t max_scan = plan.max_record + 1;
  const ChunkPlanner planner = [&](size_t from, size_t max_chunks) {
    return PlanQuotedChunks(text, from, options.chunk_bytes, max_chunks, max_scan, ctx.pool());
  };
  // Each batch of chunks is appended to the output columns as soon as it is parsed, so the
  // chunks' buffers are reused and the parsed data is never held twice.
  struct ColumnOut {
    core::GrowableBuffer<float> values;
    core::GrowableBuffer<int32_t> codes;
    CategoryDict dict;
    std::vector<int32_t> remap;
    bool failed = false;
  };
  std::vector<ColumnOut> outs(ncols);
  RowLinesBuilder lines;
  size_t total_rows = 0;
  auto absorb = [&](std::vector<CsvChunk*>& chunks,
                    const std::vector<uint64_t>& first_lines) -> core::Status {
    size_t batch_rows = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
      batch_rows += chunks[i]->rows;
      lines.Append(chunks[i]->status.rows, first_lines[i]);
    }
    if (total_rows + batch_rows > kMaxRows) {
      return core::ResourceExhausted("{}: more than Kiln's limit of {} rows per file", path,
                                     kMaxRows);
    }
    core::ParallelForBlocks(ctx.pool(), 0, ncols, 1, [&](size_t c, size_t, size_t) {
      const CsvColumnPlan& col = plan.columns[c];
      ColumnOut& out = outs[c];
      if (col.role == ColumnRole::kIgnored || batch_rows == 0) return;
      if (col.type == ColumnType::kNumeric) {
        float* dst = out.values.Extend(batch_rows);
        if (dst == nullptr) {
          out.failed = true;
          return;
        }
        AdviseHugePages(out.values);
        for (CsvChunk* chunk : chunks) {
          const float* part = chunk->numbers(col.slot);
          dst = std::copy(part, part + chunk->rows, dst);
        }
        return;
      }
      int32_t* dst = out.codes.Extend(batch_rows);
      if (dst == nullptr) {
        out.failed = true;
        return;
      }
      AdviseHugePages(out.codes);
      for (CsvChunk* chunk : chunks) {
        // Chunks in text order, each dictionary in order of first appearance: the global
        // dictionary is in order of first appearance in the file.
        const auto& local = chunk->dicts[c].categories();
        out.remap.resize(local.size());
        for (size_t k = 0; k < local.size(); ++k) out.remap[k] = out.dict.Intern(local[k]);
        const int32_t* part = chunk->codes(col.slot);
        for (size_t i = 0; i < chunk->rows; ++i) {
          const int32_t code = part[i];
          *dst++ = code < 0 ? kMissingCode : out.remap[static_cast<size_t>(code)];
        }
      }
    });
    for (const auto& out : outs) {
      if (out.failed) return core::ResourceExhausted("{}: out of memory", path);
    }
    total_rows += batch_rows;
    return core::Status::Ok();
  };
  KILN_RETURN_IF_ERROR(ParseChunks<CsvChunk>(
      in, data_start, data_line, planner,
      [&](CsvChunk& chunk, ChunkRange range) {
        ParseCsvChunk(plan, options.header, text, range, &chunk);
      },
      absorb));
  if (total_rows == 0) {
    return core::DataError("{}: {}", path,
                           options.header ? "the file has a header line but no data rows"
                                          : "the file has no data rows");
  }
  std::vector<Column> columns(ncols);
  for (size_t c = 0; c < ncols; ++c) {
    Column& out = columns[c];
    out.name = plan.columns[c].name;
    out.type = plan.columns[c].type;
    if (out.type == ColumnType::kNumeric) {
      out.values = std::move(outs[c].values).Freeze();
    } else {
      out.codes = std::move(outs[c].codes).Freeze();
      out.categories = std::move(outs[c].dict).TakeCategories();
    }
  }
  RowLines row_lines = std::move(lines).Finish(data_line);

  KILN_ASSIGN_OR_RETURN(Dataset ds, AssembleDense(path, std::move(columns), roles, options));
  SourceInfo source;
  source.path = path;
  source.format = "csv";
  source.file_bytes = text.size();
  source.content_hash = in.FinishHash();
  source.first_data_line = row_lines.first_data_line;
  source.row_lines = std::move(row_lines.row_lines);
  ds.set_source(std::move(source));
  return ds;
}

}  // namespace internal

core::Result<Dataset> ReadCsv(const std::string& path, std::string_view text,
                              const ReadOptions& options, core::Context& ctx) {
  internal::InputText in(path, text, nullptr, ctx);
  return internal::ReadCsvText(in, options);
}

}  // namespace kiln::data
