// PMML documents as servables: RegressionModel, TreeModel and MiningModel (regression and
// classification) read by pmml_parser.h and scored by pmml_evaluator.h.
//
// Inputs are the model's active MiningFields (and any DataField its TransformationDictionary
// reads), each a named feature: FP32 in the metadata for numeric data types, BYTES for string
// fields (a number sent for a string field is taken as its shortest text). A missing value is
// null / NaN / an empty text, or one of the DataField's "missing" Values. Outputs match the other
// processors: regression answers "predictions" (FP64); classification answers "predictions"
// (BYTES, the category) and "probabilities" ([N, K] FP64 in the target's category order) —
// "scores" instead for a RegressionModel with normalizationMethod="none", whose values are not
// probabilities.
//
// Thread-safety: immutable after loading; Infer is safe to call concurrently.
#pragma once

#include <memory>

#include "kiln/core/result.h"
#include "kiln/serve/processor_registry.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// Reads and checks files.path (errors: see pmml_parser.h).
core::Result<std::unique_ptr<Servable>> LoadPmmlServable(const ModelFiles& files);

}  // namespace kiln::serve
