// Checking new data against the schema a model was trained on, before predicting or evaluating,
// so that a missing column is reported by name rather than as a failure deep in an algorithm.
// Also builds the ReadOptions that read new data the way the training data was read. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/data/dataset.h"
#include "kiln/data/read_options.h"
#include "kiln/data/schema.h"
#include "kiln/ml/model.h"

namespace kiln::cli {

struct InputCheck {
  // Dense data: columns the model does not use (neither features nor label/weight), in file order.
  std::vector<std::string> unused_columns;
  // Anything else worth a warning (e.g. more sparse features than the model knows).
  std::vector<std::string> warnings;
};

// Errors (kDataError) when the data lacks a feature column the model needs, has a column of the
// wrong type, or is sparse where the model is dense (or the reverse). `what` names the data in
// messages (usually its path).
core::Result<InputCheck> CheckInputSchema(const data::Schema& expected, const data::Dataset& data,
                                          const std::string& what);

// Options that read data for `info`'s model: feature types from its schema, its label column
// (`label` overrides it when non-empty), the LibSVM index base of its training data.
data::ReadOptions ReadOptionsForModel(const ml::ModelInfo& info, const std::string& label,
                                      data::LabelPolicy policy);

}  // namespace kiln::cli
