#include "transformed_output.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/data/csv_writer.h"

namespace kiln::cli {
namespace {

// LibSVM labels are numbers: a categorical label whose classes are not all numbers is replaced by
// each class's index in sorted order. Returns the mapping lines (empty when nothing changed).
std::vector<std::string> NumberLabels(data::Dataset& ds) {
  const data::Column* label = ds.label();
  if (label == nullptr || label->type != data::ColumnType::kCategorical) return {};
  const bool numeric = std::all_of(label->categories.begin(), label->categories.end(),
                                   [](const std::string& c) { return core::ParseDouble(c); });
  if (numeric) return {};
  std::vector<std::string> sorted = label->categories;
  std::sort(sorted.begin(), sorted.end());
  std::vector<float> index_of(label->categories.size());
  std::vector<std::string> mapping;
  for (size_t k = 0; k < sorted.size(); ++k)
    mapping.push_back(fmt::format("{} = {}", k, sorted[k]));
  for (size_t c = 0; c < label->categories.size(); ++c) {
    index_of[c] = static_cast<float>(
        std::lower_bound(sorted.begin(), sorted.end(), label->categories[c]) - sorted.begin());
  }
  std::vector<float> values(label->size());
  for (size_t r = 0; r < values.size(); ++r) {
    values[r] =
        label->codes[r] < 0 ? std::nanf("") : index_of[static_cast<size_t>(label->codes[r])];
  }
  data::Schema schema = ds.schema();
  data::Column numbered = data::Column::Numeric(label->name, std::move(values));
  data::Dataset out = ds.is_sparse()
                          ? data::Dataset::Sparse(ds.csr(), std::move(numbered), ds.weights())
                          : data::Dataset::Dense(ds.columns(), std::move(numbered), ds.weights());
  out.set_schema(std::move(schema));
  ds = std::move(out);
  return mapping;
}

}  // namespace

core::Result<std::string> TransformOutputFormat(const ml::Transformer& transformer,
                                                const std::string& algorithm,
                                                const std::string& requested,
                                                const std::string& flag) {
  if (requested.empty()) return std::string(transformer.sparse_output() ? "libsvm" : "csv");
  if (requested == "csv" && transformer.sparse_output()) {
    return core::InvalidArgument(
        "{} csv: {} makes sparse rows ({} columns), which CSV cannot hold compactly; write libsvm",
        flag, algorithm, transformer.OutputNames().size());
  }
  return requested;
}

core::Result<std::vector<std::string>> WriteTransformed(data::Dataset& rows,
                                                        const std::string& path,
                                                        const std::string& format,
                                                        core::ThreadPool& pool) {
  if (format != "libsvm") {
    KILN_RETURN_IF_ERROR(data::WriteCsv(rows, path, pool));
    return std::vector<std::string>{};
  }
  std::vector<std::string> mapping = NumberLabels(rows);
  KILN_RETURN_IF_ERROR(data::WriteLibSvm(rows, path, pool));
  return mapping;
}

void PrintLabelMapping(const data::Dataset& rows, const std::vector<std::string>& mapping,
                       std::ostream& out) {
  if (mapping.empty() || rows.label() == nullptr) return;
  out << fmt::format("label '{}' written as numbers: {}\n", rows.label()->name,
                     core::Join(mapping, ", "));
}

}  // namespace kiln::cli
