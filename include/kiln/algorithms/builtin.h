// Registers every algorithm that ships with Kiln. Adding an algorithm: write
// src/algorithms/<family>/<name>.cc with its ParamSpec, Estimator, Model and a RegisterX()
// function, then add one line to src/algorithms/builtin.cc.
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::algorithms {

core::Status RegisterBuiltinAlgorithms(ml::AlgorithmRegistry& registry);

}  // namespace kiln::algorithms
