#include "kiln/data/csv_writer.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "kiln/core/atomic_file_writer.h"

namespace kiln::data {

namespace {

void AppendText(std::string& out, std::string_view text, char delimiter) {
  if (text.find_first_of(std::string{delimiter, '"', '\n', '\r'}) == std::string_view::npos &&
      !text.empty()) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void AppendCell(std::string& out, const Column& column, size_t row, char delimiter) {
  if (column.type == ColumnType::kNumeric) {
    const float v = column.values[row];
    if (!std::isnan(v)) fmt::format_to(std::back_inserter(out), "{}", v);
    return;
  }
  const int32_t code = column.codes[row];
  if (code >= 0) AppendText(out, column.categories[static_cast<size_t>(code)], delimiter);
}

std::string LabelName(const Dataset& ds) {
  return ds.schema().label.empty() ? ds.label()->name : ds.schema().label;
}

// Rows per formatting task: a few MB of text for TF-IDF rows, little for narrow ones.
constexpr size_t kChunkRows = 4096;

// Formats rows [0, rows) with format(begin, end, out) — in chunks of kChunkRows on the pool, a
// wave of chunks at a time so at most a few chunks of text are in memory — and appends the
// chunks to `writer` in row order. The first failing chunk's status (in row order) is returned.
template <typename Format>
core::Status WriteRows(core::AtomicFileWriter& writer, size_t rows, core::ThreadPool& pool,
                       Format&& format) {
  const size_t wave = kChunkRows * 2 * static_cast<size_t>(std::max(pool.num_threads(), 1));
  std::vector<std::string> chunks;
  std::vector<core::Status> statuses;
  for (size_t first = 0; first < rows; first += wave) {
    const size_t last = std::min(rows, first + wave);
    const size_t count = core::NumBlocks(last - first, kChunkRows);
    if (chunks.size() < count) chunks.resize(count);
    statuses.assign(count, core::Status::Ok());
    core::ParallelForBlocks(pool, first, last, kChunkRows, [&](size_t begin, size_t end, size_t b) {
      chunks[b].clear();
      statuses[b] = format(begin, end, chunks[b]);
    });
    for (size_t b = 0; b < count; ++b) {
      KILN_RETURN_IF_ERROR(statuses[b]);
      KILN_RETURN_IF_ERROR(writer.Append(chunks[b]));
    }
  }
  return core::Status::Ok();
}

// A LibSVM label: integers (the usual class indices) by std::to_chars, anything else as the
// column prints it.
void AppendLabel(std::string& out, const Column& label, size_t row) {
  if (label.type == ColumnType::kNumeric) {
    const double v = label.values[row];
    if (v == std::floor(v) && std::abs(v) < 9.0e15) {
      char buf[24];
      const char* end = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v)).ptr;
      out.append(buf, static_cast<size_t>(end - buf));
      return;
    }
  }
  out += label.ValueText(row);
}

}  // namespace

core::Status WriteCsv(const Dataset& ds, const std::string& path, core::ThreadPool& pool,
                      char delimiter) {
  if (ds.is_sparse()) {
    return core::InvalidArgument(
        "{}: sparse data has no named columns to write as CSV; write it as LibSVM (.libsvm)", path);
  }
  std::string header;
  bool first_field = true;
  auto sep = [&](std::string& out, bool& first) {
    if (!first) out += delimiter;
    first = false;
  };
  for (const Column& c : ds.columns()) {
    sep(header, first_field);
    AppendText(header, c.name, delimiter);
  }
  if (ds.label() != nullptr) {
    sep(header, first_field);
    AppendText(header, LabelName(ds), delimiter);
  }
  const std::string weight = ds.schema().weight.empty() ? "weight" : ds.schema().weight;
  if (ds.has_weights()) {
    sep(header, first_field);
    AppendText(header, weight, delimiter);
  }
  header += '\n';
  KILN_ASSIGN_OR_RETURN(core::AtomicFileWriter writer, core::AtomicFileWriter::Create(path));
  KILN_RETURN_IF_ERROR(writer.Append(header));
  KILN_RETURN_IF_ERROR(
      WriteRows(writer, ds.num_rows(), pool, [&](size_t begin, size_t end, std::string& out) {
        for (size_t r = begin; r < end; ++r) {
          bool first = true;
          for (const Column& c : ds.columns()) {
            sep(out, first);
            AppendCell(out, c, r, delimiter);
          }
          if (ds.label() != nullptr) {
            sep(out, first);
            AppendCell(out, *ds.label(), r, delimiter);
          }
          if (ds.has_weights()) {
            sep(out, first);
            fmt::format_to(std::back_inserter(out), "{}", ds.weights()[r]);
          }
          out += '\n';
        }
        return core::Status::Ok();
      }));
  return writer.Commit();
}

core::Status WriteLibSvm(const Dataset& ds, const std::string& path, core::ThreadPool& pool) {
  if (!ds.is_sparse()) {
    return core::InvalidArgument("{}: LibSVM output needs sparse data; write dense data as CSV",
                                 path);
  }
  const CsrMatrix& m = ds.csr();
  const uint32_t base = ds.schema().index_base == 0 ? 0 : 1;
  const Column* label = ds.label();
  KILN_ASSIGN_OR_RETURN(core::AtomicFileWriter writer, core::AtomicFileWriter::Create(path));
  KILN_RETURN_IF_ERROR(
      WriteRows(writer, m.rows(), pool, [&](size_t begin, size_t end, std::string& out) {
        out.reserve((end - begin) * 4 + (m.RowBegin(end) - m.RowBegin(begin)) * 18);
        char buf[64];
        for (size_t r = begin; r < end; ++r) {
          if (label != nullptr) {
            if (label->IsMissing(r)) {
              return core::DataError("{}: row {} has no label; LibSVM needs one on every line",
                                     path, r + 1);
            }
            AppendLabel(out, *label, r);
          } else {
            out += '0';
          }
          for (size_t k = m.RowBegin(r); k < m.RowEnd(r); ++k) {
            // std::to_chars: the shortest text that reads back as the same float, without fmt's
            // per-call overhead (LibSVM files of TF-IDF rows hold tens of millions of entries).
            char* p = buf;
            *p++ = ' ';
            p = std::to_chars(p, buf + sizeof(buf), m.indices[k] + base).ptr;
            *p++ = ':';
            p = std::to_chars(p, buf + sizeof(buf), m.values[k]).ptr;
            out.append(buf, static_cast<size_t>(p - buf));
          }
          out += '\n';
        }
        return core::Status::Ok();
      }));
  return writer.Commit();
}

}  // namespace kiln::data
