// Estimator: an algorithm configured with its parameters, ready to fit a Model.
// An Estimator is used for one Fit at a time (not thread-safe); Fit itself uses ctx's threads.
#pragma once

#include <memory>
#include <optional>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"
#include "kiln/ml/model.h"

namespace kiln::ml {

struct TrainInput {
  data::DatasetView train;
  std::optional<data::DatasetView> valid;  // for early stopping / validation metrics
};

class Estimator {
 public:
  virtual ~Estimator() = default;
  // Fits a model. The returned model's info() has algorithm, params, label and schema filled in;
  // the caller adds TrainingInfo (paths, timings). Checks ctx's cancellation between iterations.
  virtual core::Result<std::unique_ptr<Model>> Fit(const TrainInput& input, core::Context& ctx) = 0;
};

}  // namespace kiln::ml
