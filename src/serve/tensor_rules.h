// The rules the Open Inference Protocol decoders share (REST JSON in inference_codec.cc, gRPC in
// grpc_codec.cc): which datatypes exist, which shapes are accepted, and which model features an
// input tensor fills — one named feature ([N] or [N, 1]) or every feature in the model's input
// order ([N, F]). Errors are kInvalidArgument and start with `where` ("inputs[1]: ...").
// Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// The largest batch one request may carry.
inline constexpr size_t kMaxRows = 1'000'000;

// BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64.
bool IsNumericType(const std::string& datatype);

// "[3, 30]".
std::string ShapeText(const std::vector<int64_t>& shape);

// The model's input names, in order.
std::vector<std::string> InputNames(const ServableMetadata& metadata);

// "WHERE: unknown feature 'x' (did you mean 'y'?); the model's features are: ...".
core::Status UnknownFeature(const std::string& where, const std::string& name,
                            const ServableMetadata& metadata);

// Checks a tensor's shape: [rows] or [rows, features] with non-negative dimensions. `where`
// names the shape field ("inputs[0].shape").
core::Status CheckShape(const std::vector<int64_t>& shape, const std::string& where);

// The model inputs a tensor called `name` with `shape` fills: the named feature, or, for a
// [rows, features] tensor whose name is not a feature, every feature in the model's order.
core::Result<std::vector<const TensorSpec*>> InputTargets(const std::string& where,
                                                          const std::string& name,
                                                          const std::vector<int64_t>& shape,
                                                          const ServableMetadata& metadata);

// The rows of the next input tensor (shape[0]): at most kMaxRows, and the same for every input
// of a request — the first one sets `batch.rows` (`rows_known` tracks that).
core::Status TakeRows(const std::string& where, const std::vector<int64_t>& shape,
                      FeatureBatch& batch, bool& rows_known);

// An empty column for target `spec` of an input tensor of `datatype`, after checking that the
// feature is not given twice in `batch` and that the datatype fits it (CheckTargetDatatype).
core::Result<FeatureColumn> NewTargetColumn(const std::string& where, const TensorSpec& spec,
                                            const std::string& datatype, const FeatureBatch& batch);

// A BYTES tensor feeds text features only, a numeric tensor numeric features only.
core::Status CheckTargetDatatype(const std::string& where, const TensorSpec& spec,
                                 const std::string& datatype);

}  // namespace kiln::serve
