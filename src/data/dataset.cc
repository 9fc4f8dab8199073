#include "kiln/data/dataset.h"

#include <fmt/format.h>

namespace kiln::data {

Dataset Dataset::Dense(std::vector<Column> features, std::optional<Column> label,
                       core::Array<float> weights) {
  Dataset d;
  d.sparse_ = false;
  if (!features.empty()) {
    d.num_rows_ = features[0].size();
  } else if (label) {
    d.num_rows_ = label->size();
  } else {
    d.num_rows_ = weights.size();
  }
  for (const auto& c : features) d.schema_.fields.push_back({c.name, c.type});
  if (label) d.schema_.label = label->name;
  d.columns_ = std::move(features);
  d.label_ = std::move(label);
  d.weights_ = std::move(weights);
  return d;
}

Dataset Dataset::Sparse(CsrMatrix features, std::optional<Column> label,
                        core::Array<float> weights) {
  Dataset d;
  d.sparse_ = true;
  d.num_rows_ = features.rows();
  d.schema_.sparse = true;
  d.schema_.num_sparse_features = features.num_cols;
  if (label) d.schema_.label = label->name;
  d.csr_ = std::move(features);
  d.label_ = std::move(label);
  d.weights_ = std::move(weights);
  return d;
}

int Dataset::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

uint64_t Dataset::LineOf(size_t row) const {
  if (source_.path.empty()) return 0;
  if (!source_.row_lines.empty() && row < source_.row_lines.size()) return source_.row_lines[row];
  return source_.first_data_line + row;
}

std::string Dataset::Where(size_t row) const {
  if (source_.path.empty()) return fmt::format("row {}", row + 1);
  return fmt::format("{} line {}", source_.path, LineOf(row));
}

}  // namespace kiln::data
