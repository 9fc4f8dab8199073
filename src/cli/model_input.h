// Loading a model file and reading new data the way that model expects it — the shared first
// half of `kiln predict` and `kiln evaluate`. Private to src/cli.
#pragma once

#include <memory>
#include <string>

#include "kiln/core/context.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/model.h"
#include "kiln/ml/predictions.h"
#include "session.h"

namespace kiln::cli {

// Loads --model PATH with the session's registry.
core::Result<std::unique_ptr<ml::Model>> LoadModelFile(const std::string& path, Session& session);

struct ModelDataRequest {
  std::string path;
  std::string label;   // "" = the model's label column
  std::string weight;  // "" = unweighted
  data::LabelPolicy label_policy = data::LabelPolicy::kOptional;
};

// Reads the data with the model's schema as type hints and the reading options recorded at
// training (read_flags.h; `run`'s flags override them), checks that it has every feature the
// model needs (an error naming the missing columns) and warns about columns the model ignores.
core::Result<data::Dataset> ReadDataForModel(const ml::ModelInfo& info,
                                             const ModelDataRequest& request, const RunOptions& run,
                                             Session& session, core::Context& ctx);

// "binary classification of 'churn' (2 classes: No, Yes)", "regression of 'price'",
// "clustering into 3 clusters": what a model learns, for train's and inspect's output.
std::string DescribeTask(const ml::LabelInfo& label);

// model.Predict over every row, with the result's shape checked against the model's label.
core::Result<ml::Predictions> PredictAll(const ml::Model& model, const data::Dataset& data,
                                         core::Context& ctx);

}  // namespace kiln::cli
