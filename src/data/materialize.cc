#include "kiln/data/materialize.h"

#include <cassert>
#include <optional>

namespace kiln::data {

namespace {

template <typename T>
core::Array<T> Gather(const core::Array<T>& values, const std::vector<uint32_t>& rows) {
  std::vector<T> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = values[rows[i]];
  return core::Array<T>(std::move(out));
}

void CopySchemaNames(const Dataset& from, Dataset& to) {
  Schema schema = to.schema();
  schema.label = from.schema().label;
  schema.weight = from.schema().weight;
  schema.index_base = from.schema().index_base;
  to.set_schema(std::move(schema));
}

}  // namespace

Column GatherColumn(const Column& column, const std::vector<uint32_t>& rows) {
  Column out;
  out.name = column.name;
  out.type = column.type;
  if (column.type == ColumnType::kNumeric) {
    out.values = Gather(column.values, rows);
  } else {
    out.codes = Gather(column.codes, rows);
    out.categories = column.categories;
  }
  return out;
}

Dataset Materialize(const DatasetView& view) {
  const Dataset& ds = view.dataset();
  if (view.all_rows()) return ds;
  std::vector<uint32_t> rows(view.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = view.row(i);

  std::optional<Column> label;
  if (ds.label() != nullptr) label = GatherColumn(*ds.label(), rows);
  core::Array<float> weights;
  if (ds.has_weights()) weights = Gather(ds.weights(), rows);

  Dataset out;
  if (ds.is_sparse()) {
    const CsrMatrix& csr = ds.csr();
    std::vector<uint64_t> indptr{0};
    indptr.reserve(rows.size() + 1);
    std::vector<uint32_t> indices;
    std::vector<float> values;
    for (uint32_t r : rows) {
      for (size_t k = csr.RowBegin(r); k < csr.RowEnd(r); ++k) {
        indices.push_back(csr.indices[k]);
        values.push_back(csr.values[k]);
      }
      indptr.push_back(indices.size());
    }
    CsrMatrix m;
    m.indptr = core::Array<uint64_t>(std::move(indptr));
    m.indices = core::Array<uint32_t>(std::move(indices));
    m.values = core::Array<float>(std::move(values));
    m.num_cols = csr.num_cols;
    out = Dataset::Sparse(std::move(m), std::move(label), std::move(weights));
  } else {
    std::vector<Column> columns;
    columns.reserve(ds.columns().size());
    for (const Column& c : ds.columns()) columns.push_back(GatherColumn(c, rows));
    out = Dataset::Dense(std::move(columns), std::move(label), std::move(weights));
  }
  CopySchemaNames(ds, out);
  SourceInfo source = ds.source();
  if (!source.path.empty()) {
    std::vector<uint64_t> lines(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) lines[i] = ds.LineOf(rows[i]);
    source.row_lines = core::Array<uint64_t>(std::move(lines));
  }
  out.set_source(std::move(source));
  return out;
}

Dataset WithColumns(const Dataset& base, std::vector<Column> columns) {
#ifndef NDEBUG
  for (const Column& c : columns) assert(c.size() == base.num_rows());
#endif
  std::optional<Column> label;
  if (base.label() != nullptr) label = *base.label();
  Dataset out = Dataset::Dense(std::move(columns), std::move(label), base.weights());
  CopySchemaNames(base, out);
  out.set_source(base.source());
  return out;
}

}  // namespace kiln::data
