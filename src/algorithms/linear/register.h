// Registration functions of the linear algorithms (called from algorithms/builtin.cc).
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::algorithms {

core::Status RegisterLogisticRegression(ml::AlgorithmRegistry& registry);
core::Status RegisterLinearRegression(ml::AlgorithmRegistry& registry);
core::Status RegisterLinearSvm(ml::AlgorithmRegistry& registry);

}  // namespace kiln::algorithms
