// The components Kiln ships: data (read, write, split, sample, filter, select, sql), transforms
// (standardize, minmax_scale, impute, one_hot, feature_hashing, discretize, select_features),
// one train.<algorithm> per registered algorithm, and model steps (predict, evaluate,
// compare_models, register_model, load_model, export_model), plus noop.
// Registered explicitly; there is no global registry.
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/pipeline/component.h"

namespace kiln::pipeline {

// `algorithms` must outlive `registry` (train components create estimators from it).
core::Status RegisterBuiltinComponents(ComponentRegistry& registry,
                                       const ml::AlgorithmRegistry& algorithms);

}  // namespace kiln::pipeline
