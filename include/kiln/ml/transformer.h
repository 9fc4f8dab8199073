// Transformer: what a transform model (task kTransform: PCA, TF-IDF) does instead of predicting —
// it maps a batch of rows to a new Dataset of features: dense columns (PCA's pc1..pcK) or sparse
// CSR rows (TF-IDF's vocabulary). The input's label and weights, when present, are carried over
// unchanged so the output can be trained on directly.
//
// Thread-safety: Transform is const and safe to call from several threads at once. The returned
// Dataset owns its arrays (it does not point into the input).
#pragma once

#include <string>
#include <vector>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/dataset_view.h"

namespace kiln::ml {

class Transformer {
 public:
  virtual ~Transformer() = default;
  // The transformed rows of `view`, in view order. Errors name a missing or mistyped input
  // column, like Predict.
  virtual core::Result<data::Dataset> Transform(const data::DatasetView& view,
                                                core::Context& ctx) const = 0;
  // True when Transform produces sparse rows (written as LibSVM), false for dense columns (CSV).
  virtual bool sparse_output() const = 0;
  // Names of the output features (dense: the column names; sparse: what each index means, e.g.
  // the vocabulary term of each TF-IDF column).
  virtual std::vector<std::string> OutputNames() const = 0;
};

// Copies the label column and weights of the view's rows (in view order) onto `out`, which has
// view.size() rows; the transform models' common last step.
data::Dataset WithLabelAndWeights(data::Dataset out, const data::DatasetView& view);

}  // namespace kiln::ml
