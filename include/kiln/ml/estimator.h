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

// A transform model with its own training rows transformed (FitTransform).
struct FitTransformResult {
  std::unique_ptr<Model> model;
  data::Dataset transformed;  // input.train's rows through the model, in view order
};

class Estimator {
 public:
  virtual ~Estimator() = default;
  // Fits a model. The returned model's info() has algorithm, params, label and schema filled in;
  // the caller adds TrainingInfo (paths, timings). Checks ctx's cancellation between iterations.
  virtual core::Result<std::unique_ptr<Model>> Fit(const TrainInput& input, core::Context& ctx) = 0;
  // Fits a transform model and transforms the training rows with it. The default calls Fit,
  // then the model's Transform (kInvalidArgument when the model is not a transform); an
  // algorithm that already passes over every row while fitting (tfidf) overrides it to make
  // the rows in that pass. Either way the rows equal what Transform gives.
  virtual core::Result<FitTransformResult> FitTransform(const TrainInput& input,
                                                        core::Context& ctx);
};

}  // namespace kiln::ml
