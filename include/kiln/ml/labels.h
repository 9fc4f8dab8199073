// Turning a dataset's label column into training targets, and back.
//
// Classification: classes are the distinct label values, sorted (numerically when every value is
// a number, else as text), so 0/1, -1/+1 and "No"/"Yes" all give {negative, positive}. Regression:
// the label must be numeric. Missing labels and values unknown to a model are errors that name
// the file and line.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/data/dataset_view.h"
#include "kiln/dist/collective.h"
#include "kiln/ml/task.h"

namespace kiln::ml {

// The classes present in the view's labels. Errors: no label column, a missing value, a
// non-integer number or more than 100 distinct numbers (both point the user at a regression
// algorithm), fewer than 2 classes, or more than `max_classes`. With a collective, every rank
// calls it with its own rows and gets the classes of all ranks' rows (and the same error).
core::Result<LabelInfo> FitClassLabels(const data::DatasetView& view, size_t max_classes = 1000,
                                       dist::Collective* collective = nullptr);

// A numeric target; errors on a categorical (text) label or a missing value.
core::Result<LabelInfo> FitRegressionLabel(const data::DatasetView& view);

// Class index of each row's label under `info`. Errors on values the model has not seen.
core::Result<std::vector<int32_t>> EncodeClasses(const LabelInfo& info,
                                                 const data::DatasetView& view);

// Numeric target of each row (regression).
core::Result<std::vector<double>> EncodeTargets(const LabelInfo& info,
                                                const data::DatasetView& view);

}  // namespace kiln::ml
