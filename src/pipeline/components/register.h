// One Register function per component file; builtin.cc calls them all. Private to
// src/pipeline.
#pragma once

#include "kiln/core/status.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/pipeline/component.h"

namespace kiln::pipeline {

core::Status RegisterRead(ComponentRegistry& registry);
core::Status RegisterWrite(ComponentRegistry& registry);
core::Status RegisterSplit(ComponentRegistry& registry);
core::Status RegisterSample(ComponentRegistry& registry);
core::Status RegisterFilter(ComponentRegistry& registry);
core::Status RegisterSelect(ComponentRegistry& registry);
core::Status RegisterSql(ComponentRegistry& registry);
core::Status RegisterScalers(ComponentRegistry& registry);  // standardize, minmax_scale
core::Status RegisterImpute(ComponentRegistry& registry);
core::Status RegisterOneHot(ComponentRegistry& registry);
core::Status RegisterFeatureHashing(ComponentRegistry& registry);
core::Status RegisterDiscretize(ComponentRegistry& registry);
core::Status RegisterSelectFeatures(ComponentRegistry& registry);
core::Status RegisterTrain(ComponentRegistry& registry, const ml::AlgorithmRegistry& algorithms);
core::Status RegisterPredict(ComponentRegistry& registry);
core::Status RegisterTransform(ComponentRegistry& registry);
core::Status RegisterEvaluate(ComponentRegistry& registry);
core::Status RegisterCompareModels(ComponentRegistry& registry);
core::Status RegisterRegisterModel(ComponentRegistry& registry);
core::Status RegisterLoadModel(ComponentRegistry& registry);
core::Status RegisterExportModel(ComponentRegistry& registry);
core::Status RegisterNoop(ComponentRegistry& registry);

}  // namespace kiln::pipeline
