// Reads a PMML 4.x document (pugixml) into the representation of pmml_model.h, checking it
// whole: every field a model refers to is defined and visible (in the model's MiningSchema, its
// LocalTransformations, the TransformationDictionary or, in a model chain, an earlier segment's
// Output), every category is a value of the target field, every value has its field's type,
// every tree's defaultChild is one of its children.
//
// Supported: DataDictionary (types string, integer, float, double, boolean; Value and Interval
// validity), TransformationDictionary and LocalTransformations (Constant, FieldRef, Apply with
// arithmetic, comparison, logical and math built-ins, NormContinuous, NormDiscrete),
// MiningSchema treatments (missingValueReplacement, missingValueTreatment="returnInvalid",
// invalidValueTreatment, outliers), Targets (min, max, rescaleFactor, rescaleConstant,
// castInteger), RegressionModel, TreeModel and MiningModel (Segmentation, nested). Anything
// else that can change a score is refused with kUnimplemented naming the element and its line;
// documentation elements (Header, ModelStats, Extension, ...) are skipped.
//
// Thread-safety: stateless functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kiln/core/result.h"
#include "pmml_model.h"

namespace kiln::serve::pmml {

// Errors: kParseError "<path>:<line>: <Element>: <problem>" (malformed XML, a missing attribute,
// an unknown field, a bad value), kUnimplemented (valid PMML this parser does not support).
core::Result<std::unique_ptr<Document>> ParseDocument(std::string_view text,
                                                      const std::string& path);

// Reads `path` and parses it (kIoError/kNotFound when it cannot be read).
core::Result<std::unique_ptr<Document>> ParseDocumentFile(const std::string& path);

}  // namespace kiln::serve::pmml
