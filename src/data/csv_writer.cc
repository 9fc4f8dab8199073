#include "kiln/data/csv_writer.h"

#include <charconv>

#include <cmath>

#include <fmt/format.h>

#include "kiln/core/file.h"

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

}  // namespace

core::Status WriteCsv(const Dataset& ds, const std::string& path, char delimiter) {
  if (ds.is_sparse()) {
    return core::InvalidArgument(
        "{}: sparse data has no named columns to write as CSV; write it as LibSVM (.libsvm)", path);
  }
  std::string out;
  bool first = true;
  auto sep = [&] {
    if (!first) out += delimiter;
    first = false;
  };
  for (const Column& c : ds.columns()) {
    sep();
    AppendText(out, c.name, delimiter);
  }
  if (ds.label() != nullptr) {
    sep();
    AppendText(out, LabelName(ds), delimiter);
  }
  const std::string weight = ds.schema().weight.empty() ? "weight" : ds.schema().weight;
  if (ds.has_weights()) {
    sep();
    AppendText(out, weight, delimiter);
  }
  out += '\n';
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    first = true;
    for (const Column& c : ds.columns()) {
      sep();
      AppendCell(out, c, r, delimiter);
    }
    if (ds.label() != nullptr) {
      sep();
      AppendCell(out, *ds.label(), r, delimiter);
    }
    if (ds.has_weights()) {
      sep();
      fmt::format_to(std::back_inserter(out), "{}", ds.weights()[r]);
    }
    out += '\n';
  }
  return core::WriteFileAtomic(path, out);
}

core::Status WriteLibSvm(const Dataset& ds, const std::string& path) {
  if (!ds.is_sparse()) {
    return core::InvalidArgument("{}: LibSVM output needs sparse data; write dense data as CSV",
                                 path);
  }
  const CsrMatrix& m = ds.csr();
  const uint32_t base = ds.schema().index_base == 0 ? 0 : 1;
  std::string out;
  out.reserve(m.rows() * 4 + m.nnz() * 16);
  char buf[64];
  for (size_t r = 0; r < m.rows(); ++r) {
    if (ds.label() != nullptr) {
      const Column& label = *ds.label();
      if (label.IsMissing(r)) {
        return core::DataError("{}: row {} has no label; LibSVM needs one on every line", path,
                               r + 1);
      }
      out += label.ValueText(r);
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
  return core::WriteFileAtomic(path, out);
}

}  // namespace kiln::data
