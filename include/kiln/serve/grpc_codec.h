// Decoding gRPC inference requests (the Open Inference Protocol's ModelInferRequest,
// proto/grpc_predict_v2.proto) into FeatureBatches and encoding the answers, by the same rules as
// the REST decoder (tensor_rules.h): one tensor per feature ([N] or [N, 1]) or one [N, F] tensor
// in the model's input order. Values come from the typed contents field that matches the
// datatype, or from raw_input_contents (one entry per input, little-endian; BYTES elements each
// prefixed by a 4-byte little-endian length). NaN is a missing numeric value; infinities are
// rejected. Errors are kInvalidArgument naming the field ("inputs[1].contents: ...").
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "grpc_predict_v2.pb.h"
#include "kiln/core/result.h"
#include "kiln/serve/feature_batch.h"
#include "kiln/serve/inference_codec.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// The decoded request; `outputs` lists the requested output names (empty = all).
core::Result<V2Request> DecodeGrpcInfer(const inference::ModelInferRequest& request,
                                        const ServableMetadata& metadata);

// Fills `response` (model, version, id, the requested outputs). `raw` writes the values to
// raw_output_contents instead of each output's typed contents. kInvalidArgument for an
// unknown requested output.
core::Status EncodeGrpcInfer(const std::string& model, int64_t version, const std::string& id,
                             const InferenceOutput& output, const std::vector<std::string>& outputs,
                             bool raw, inference::ModelInferResponse& response);

}  // namespace kiln::serve
