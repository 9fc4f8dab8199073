// The algorithm registry: name -> how to build an Estimator from params and how to load a saved
// Model, with the ParamSpec, description and capabilities. Built by explicit calls
// (algorithms/builtin.h: RegisterBuiltinAlgorithms); there is no global instance.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kiln/core/array_file.h"
#include "kiln/core/param_spec.h"
#include "kiln/core/registry.h"
#include "kiln/ml/estimator.h"
#include "kiln/ml/model.h"

namespace kiln::ml {

struct AlgorithmFactory {
  // Tasks the algorithm can learn.
  std::vector<Task> tasks;
  // A configured estimator; params come from the entry's ParamSpec (already validated).
  std::function<core::Result<std::unique_ptr<Estimator>>(const core::ParamMap& params)> create;
  // Restores a model from its file; `info` is the parsed common header.
  std::function<core::Result<std::unique_ptr<Model>>(const core::ArrayFileReader& file,
                                                     ModelInfo info)>
      load;
};

using AlgorithmRegistry = core::Registry<AlgorithmFactory>;
using AlgorithmEntry = AlgorithmRegistry::Entry;

// Capability names used in registry entries.
namespace capability {
inline constexpr const char* kBinary = "binary";
inline constexpr const char* kMulticlass = "multiclass";
inline constexpr const char* kRegression = "regression";
inline constexpr const char* kDense = "dense";
inline constexpr const char* kSparse = "sparse";
inline constexpr const char* kWeights = "weights";
inline constexpr const char* kClassWeights = "class_weights";
inline constexpr const char* kOnline = "online";
inline constexpr const char* kMultithreaded = "multithreaded";
inline constexpr const char* kWarmStart = "warm_start";
// Trains data-parallel over TrainInput::collective (kiln train --dist allreduce|mpi).
inline constexpr const char* kDistributed = "distributed";
}  // namespace capability

}  // namespace kiln::ml
