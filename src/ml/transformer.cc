#include "kiln/ml/transformer.h"

#include <optional>

#include "kiln/data/materialize.h"

namespace kiln::ml {

data::Dataset WithLabelAndWeights(data::Dataset out, const data::DatasetView& view) {
  const data::Dataset& in = view.dataset();
  std::vector<uint32_t> rows(view.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = view.row(i);
  std::optional<data::Column> label;
  if (in.label() != nullptr) label = data::GatherColumn(*in.label(), rows);
  core::Array<float> weights;
  if (in.has_weights()) {
    std::vector<float> w(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) w[i] = in.weights()[rows[i]];
    weights = core::Array<float>(std::move(w));
  }
  data::Schema schema = out.schema();
  data::Dataset result =
      out.is_sparse() ? data::Dataset::Sparse(out.csr(), std::move(label), std::move(weights))
                      : data::Dataset::Dense(out.columns(), std::move(label), std::move(weights));
  schema.label = in.label() != nullptr ? in.label()->name : "";
  schema.weight = in.has_weights() ? in.schema().weight : "";
  result.set_schema(std::move(schema));
  return result;
}

}  // namespace kiln::ml
