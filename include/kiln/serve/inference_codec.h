// Decoding inference requests into FeatureBatches and encoding the answers, for the two REST
// formats:
//   Open Inference Protocol (KServe V2) — {"inputs": [{"name", "shape", "datatype", "data"}]}:
//     one tensor per feature (shape [N] or [N, 1]), or one [N, F] tensor holding every feature
//     in the model's input order.
//   Row format (v1) — {"instances": [{"feature": value, ...}, ...]}: named features, numbers
//     for numeric features, strings for categorical ones, null for a missing value.
// Errors are kInvalidArgument naming the JSON path of the problem ("inputs[1].data[3]: ...").
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/result.h"
#include "kiln/serve/feature_batch.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// Parses a request body as one JSON object; errors give the byte offset of a syntax error.
core::Result<nlohmann::json> ParseJsonBody(const std::string& body);

struct V2Request {
  std::string id;
  FeatureBatch batch;
  std::vector<std::string> outputs;  // requested output names; empty = all
};

core::Result<V2Request> DecodeV2(const nlohmann::json& body, const ServableMetadata& metadata);
// The response object; `outputs` restricts which tensors are written (empty = all).
core::Result<nlohmann::json> EncodeV2(const std::string& model, int64_t version,
                                      const std::string& id, const InferenceOutput& output,
                                      const std::vector<std::string>& outputs);

// Parses the body in one pass (no JSON tree) straight into the model's feature columns.
core::Result<FeatureBatch> DecodeV1(std::string_view body, const ServableMetadata& metadata);
// The row-format answer as JSON text: {"classes", "model", "predictions", "probabilities" or
// "scores" (one object per row, class -> value), "version"}.
std::string EncodeV1(const std::string& model, int64_t version, const InferenceOutput& output);

// Model metadata in the Open Inference Protocol's shape.
nlohmann::json MetadataJson(const std::string& model, const std::vector<int64_t>& versions,
                            const ServableMetadata& metadata);

}  // namespace kiln::serve
