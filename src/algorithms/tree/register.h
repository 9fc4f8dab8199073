// Registration functions of the tree algorithms (called from algorithms/builtin.cc).
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::algorithms {

core::Status RegisterGbdt(ml::AlgorithmRegistry& registry);
core::Status RegisterDecisionTree(ml::AlgorithmRegistry& registry);
core::Status RegisterRandomForest(ml::AlgorithmRegistry& registry);

}  // namespace kiln::algorithms
