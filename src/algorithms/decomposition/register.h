// Registration function of the matrix decompositions (called from algorithms/builtin.cc).
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::algorithms {

core::Status RegisterPca(ml::AlgorithmRegistry& registry);

}  // namespace kiln::algorithms
