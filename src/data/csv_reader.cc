// CSV reader: header, type inference from a sample, then parallel chunked conversion.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "chunking.h"
#include "column_roles.h"
#include "csv_chunk_parser.h"
#include "csv_tokenizer.h"
#include "kiln/core/growable_buffer.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "number_parsing.h"
#include "readers_internal.h"

namespace kiln::data {
namespace internal {
namespace {

// A chunk with its place in the output: rows go straight into the output columns, at `offset`
// rows past the columns' current end, with room for `bound` rows.
struct CsvOutChunk : CsvChunk {
  size_t offset = 0;
  size_t bound = 0;
};

// The output columns, grown batch by batch. Each chunk of a batch writes its rows straight into
// the columns (no copy) at an offset given by an upper bound on the rows of the chunks before
// it: the line feeds in a chunk's range (each row started in the chunk owns a distinct one:
// its own terminator, or for a last row running past the range, the line feed ending the range),
// plus one when the range does not end with a line feed. The bound is exact unless the chunk
// has blank lines or multi-line records; then absorbing the batch moves the rows together.
class CsvOutput {
 public:
  CsvOutput(const CsvPlan& plan, std::string_view text, core::Context& ctx, std::string path)
      : plan_(plan), text_(text), ctx_(ctx), path_(std::move(path)), cols_(plan.columns.size()) {
    for (size_t c = 0; c < cols_.size(); ++c) {
      cols_[c].numeric = plan.columns[c].type == ColumnType::kNumeric;
    }
  }

  core::Status Prepare(const std::vector<ChunkRange>& ranges, std::vector<CsvOutChunk*>& chunks) {
    bounds_.assign(ranges.size(), 0);
    core::ParallelForBlocks(ctx_.pool(), 0, ranges.size(), 1, [&](size_t i, size_t, size_t) {
      const ChunkRange r = ranges[i];
      const size_t feeds = CountLineFeeds(text_.data() + r.begin, r.end - r.begin);
      bounds_[i] = feeds + (r.end > r.begin && text_[r.end - 1] != '\n' ? 1 : 0);
    });
    size_t total = 0;
    for (size_t i = 0; i < ranges.size(); ++i) {
      chunks[i]->offset = total;
      chunks[i]->bound = bounds_[i];
      total += bounds_[i];
    }
    bool failed = false;
    for (size_t c = 0; c < cols_.size(); ++c) {
      Col& col = cols_[c];
      if (plan_.columns[c].role == ColumnRole::kIgnored) continue;
      if (!col.Reserve(col.size() + total)) failed = true;
    }
    if (failed) return core::ResourceExhausted("{}: out of memory for the parsed columns", path_);
    // Fault the batch's output pages in up front (in parallel), then point the chunks at them.
    core::ParallelForBlocks(ctx_.pool(), 0, cols_.size(), 1, [&](size_t c, size_t, size_t) {
      if (plan_.columns[c].role == ColumnRole::kIgnored || total == 0) return;
      PrefaultForWrite(cols_[c].end(), total * 4);
    });
    for (CsvOutChunk* chunk : chunks) {
      chunk->out.assign(plan_.kept, nullptr);
      for (size_t c = 0; c < cols_.size(); ++c) {
        if (plan_.columns[c].role == ColumnRole::kIgnored) continue;
        chunk->out[plan_.columns[c].slot] = cols_[c].end() + chunk->offset;
      }
    }
    return core::Status::Ok();
  }

  core::Status Absorb(std::vector<CsvOutChunk*>& chunks, const std::vector<uint64_t>& first_lines) {
    size_t batch_rows = 0;
    bool exact = true;
    for (size_t i = 0; i < chunks.size(); ++i) {
      batch_rows += chunks[i]->rows;
      exact = exact && chunks[i]->rows == chunks[i]->bound;
      lines_.Append(chunks[i]->status.rows, first_lines[i]);
    }
    if (rows_ + batch_rows > kMaxRows) {
      return core::ResourceExhausted("{}: more than Kiln's limit of {} rows per file", path_,
                                     kMaxRows);
    }
    core::ParallelForBlocks(ctx_.pool(), 0, cols_.size(), 1, [&](size_t c, size_t, size_t) {
      const CsvColumnPlan& plan = plan_.columns[c];
      Col& col = cols_[c];
      if (plan.role == ColumnRole::kIgnored || batch_rows == 0) return;
      uint32_t* dst = col.end();
      for (CsvOutChunk* chunk : chunks) {
        uint32_t* part = col.end() + chunk->offset;
        if (!exact && part != dst) std::memmove(dst, part, chunk->rows * sizeof(uint32_t));
        if (plan.type == ColumnType::kCategorical) {
          // Chunks in text order, each dictionary in order of first appearance: the global
          // dictionary is in order of first appearance in the file.
          const auto& local = chunk->dicts[c].categories();
          col.remap.resize(local.size());
          for (size_t k = 0; k < local.size(); ++k) col.remap[k] = col.dict.Intern(local[k]);
          auto* codes = reinterpret_cast<int32_t*>(dst);
          for (size_t i = 0; i < chunk->rows; ++i) {
            const int32_t code = codes[i];
            codes[i] = code < 0 ? kMissingCode : col.remap[static_cast<size_t>(code)];
          }
        }
        dst += chunk->rows;
      }
      col.Grow(batch_rows);  // within the reserved room: cannot fail
    });
    rows_ += batch_rows;
    return core::Status::Ok();
  }

  size_t rows() const { return rows_; }

  // The columns in file order (ignored ones empty), and the rows' lines.
  std::vector<Column> Finish(RowLines* row_lines, uint64_t data_line) && {
    std::vector<Column> columns(cols_.size());
    for (size_t c = 0; c < cols_.size(); ++c) {
      Column& out = columns[c];
      out.name = plan_.columns[c].name;
      out.type = plan_.columns[c].type;
      if (out.type == ColumnType::kNumeric) {
        out.values = std::move(cols_[c].values).Freeze();
      } else {
        out.codes = std::move(cols_[c].codes).Freeze();
        out.categories = std::move(cols_[c].dict).TakeCategories();
      }
    }
    *row_lines = std::move(lines_).Finish(data_line);
    return columns;
  }

 private:
  // One column: float values or category codes (only one of the buffers is used).
  struct Col {
    core::GrowableBuffer<float> values;
    core::GrowableBuffer<int32_t> codes;
    CategoryDict dict;
    std::vector<int32_t> remap;
    bool numeric = true;

    size_t size() const { return numeric ? values.size() : codes.size(); }
    bool Reserve(size_t n) {
      // Grow by at least 1.5x: room that is never written costs no memory.
      const size_t cap = numeric ? values.capacity() : codes.capacity();
      if (n <= cap) return true;
      n = std::max(n, cap + cap / 2);
      return numeric ? values.Reserve(n) : codes.Reserve(n);
    }
    uint32_t* end() {
      return numeric ? reinterpret_cast<uint32_t*>(values.data() + values.size())
                     : reinterpret_cast<uint32_t*>(codes.data() + codes.size());
    }
    void Grow(size_t n) {
      if (numeric) {
        values.Extend(n);
      } else {
        codes.Extend(n);
      }
    }
  };

  const CsvPlan& plan_;
  std::string_view text_;
  core::Context& ctx_;
  std::string path_;
  std::vector<Col> cols_;
  std::vector<size_t> bounds_;
  RowLinesBuilder lines_;
  size_t rows_ = 0;
};

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
  plan.header = options.header;

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

  plan.PrepareFastPath();

  // The full pass, in parallel chunks.
  // Chunk ends go after line breaks. Until a record spanning lines (a quoted line break) shows
  // up, the next line break past each nominal end is taken, which reads little of the text;
  // after that, line breaks inside quotes are told apart by quote parity (a pass over all the
  // bytes). A wrong end only costs time: ParseChunks re-plans from where a chunk really ended.
  bool multiline_seen = false;
  const size_t max_scan = plan.max_record + 1;
  const ChunkPlanner planner = [&](size_t from, size_t max_chunks) {
    if (!multiline_seen) {
      return PlanLineChunks(text, from, options.chunk_bytes, max_chunks, max_scan);
    }
    return PlanQuotedChunks(text, from, options.chunk_bytes, max_chunks, max_scan, ctx.pool());
  };
  CsvOutput output(plan, text, ctx, path);
  KILN_RETURN_IF_ERROR(ParseChunks<CsvOutChunk>(
      in, data_start, data_line, planner,
      [&](const std::vector<ChunkRange>& ranges, std::vector<CsvOutChunk*>& chunks) {
        return output.Prepare(ranges, chunks);
      },
      [&](CsvOutChunk& chunk, ChunkRange range) {
        ParseCsvChunk(plan, text, range, chunk.bound, &chunk);
      },
      [&](std::vector<CsvOutChunk*>& chunks, const std::vector<uint64_t>& first_lines) {
        for (const CsvOutChunk* chunk : chunks) multiline_seen = multiline_seen || chunk->multiline;
        return output.Absorb(chunks, first_lines);
      }));
  if (output.rows() == 0) {
    return core::DataError("{}: {}", path,
                           options.header ? "the file has a header line but no data rows"
                                          : "the file has no data rows");
  }
  RowLines row_lines;
  std::vector<Column> columns = std::move(output).Finish(&row_lines, data_line);

  KILN_ASSIGN_OR_RETURN(Dataset ds, AssembleDense(path, std::move(columns), roles, options));
  ds.set_source(MakeSourceInfo(in, "csv", std::move(row_lines)));
  return ds;
}

}  // namespace internal

core::Result<Dataset> ReadCsv(const std::string& path, std::string_view text,
                              const ReadOptions& options, core::Context& ctx) {
  internal::InputText in(path, text, nullptr, ctx);
  return internal::ReadCsvText(in, options);
}

}  // namespace kiln::data
