// Registration function of the text algorithms (called from algorithms/builtin.cc).
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::algorithms {

core::Status RegisterTfidf(ml::AlgorithmRegistry& registry);

}  // namespace kiln::algorithms
