// Estimator: an algorithm configured with its parameters, ready to fit a Model.
// An Estimator is used for one Fit at a time (not thread-safe); Fit itself uses ctx's threads.
#pragma once

#include <memory>
#include <optional>

#include "kiln/core/context.h"
#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"
#include "kiln/dist/collective.h"
#include "kiln/ml/model.h"

namespace kiln::ml {

struct TrainInput {
  data::DatasetView train;
  std::optional<data::DatasetView> valid;  // for early stopping / validation metrics
  // Data-parallel training: this rank's collective, `train` holding only this rank's rows.
  // Every rank calls Fit together with the same params; each returns the model that Fit on all
  // ranks' rows in one process would give (within floating-point rounding), and every rank
  // returns the same error if one fails. Borrowed; nullptr = one process. Only algorithms with
  // capability::kDistributed read it: callers must refuse others when size() > 1.
  dist::Collective* collective = nullptr;
};

class Estimator {
 public:
  virtual ~Estimator() = default;
  // Fits a model. The returned model's info() has algorithm, params, label and schema filled in;
  // the caller adds TrainingInfo (paths, timings). Checks ctx's cancellation between iterations.
  virtual core::Result<std::unique_ptr<Model>> Fit(const TrainInput& input, core::Context& ctx) = 0;
};

}  // namespace kiln::ml
