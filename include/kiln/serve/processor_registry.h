// The processor registry: platform name -> how to load a servable from a model's files. Built by
// explicit calls (RegisterBuiltinProcessors); there is no global instance.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kiln/core/registry.h"
#include "kiln/core/result.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// Where one model version's files are and how to serve it.
struct ModelFiles {
  std::string path;      // the model file (Kiln model, XGBoost JSON, PMML)
  std::string platform;  // registry key; "" = detect from the file (DetectPlatform)
  nlohmann::json config = nlohmann::json::object();  // per-model config (custom processors)
};

struct ProcessorFactory {
  std::function<core::Result<std::unique_ptr<Servable>>(const ModelFiles& files)> load;
};

using ProcessorRegistry = core::Registry<ProcessorFactory>;

// Registers "kiln" (model files of `algorithms`, which must outlive the registry), "xgboost_json",
// "pmml" and "custom" (a model file wrapped by a processor library: files.config is
// {"library": ..., "platform": ..., "config": {...}}; see processor_abi.h).
core::Status RegisterBuiltinProcessors(ProcessorRegistry& registry,
                                       const ml::AlgorithmRegistry& algorithms);

// The platform of a model file from its first bytes: "kiln" (KILNMODL magic), "xgboost_json"
// (a JSON document with a "learner" object), "pmml" (XML with a PMML root). Errors name the file
// and what was found.
core::Result<std::string> DetectPlatform(const std::string& path);

// Loads with the registry entry for files.platform (detected when empty).
core::Result<std::unique_ptr<Servable>> LoadServable(const ProcessorRegistry& registry,
                                                     const ModelFiles& files);

}  // namespace kiln::serve
