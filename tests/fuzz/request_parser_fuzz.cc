// libFuzzer target for the request decoders of `kiln serve`: the bytes go through the REST path
// (DecodeV1's one-pass reader; ParseJsonBody, then DecodeV2) and, if they parse as a protobuf
// ModelInferRequest, through the gRPC decoder (DecodeGrpcInfer), against two fixed models: one
// with numeric and BYTES inputs and one with numeric inputs only (where one [N, F] tensor can
// fill every feature). Besides the sanitizers' findings (crashes, leaks, undefined
// behaviour), a decoded batch that breaks the decoders' contract aborts: every model feature
// exactly once, `rows` values each, numbers finite or NaN, an error with a message.
//
// Built with libFuzzer by -DKILN_FUZZ=ON under clang (scripts/fuzz.sh); replayed over the corpus
// by tests/fuzz/replay_main.cc in the ordinary test suite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>
#include <nlohmann/json.hpp>

#include "grpc_predict_v2.pb.h"
#include "kiln/serve/grpc_codec.h"
#include "kiln/serve/inference_codec.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {
namespace {

ServableMetadata MixedMetadata() {
  ServableMetadata m;
  m.platform = "kiln";
  m.inputs = {{"age", kFp64, {-1}},
              {"income", kFp32, {-1}},
              {"city", kBytes, {-1}},
              {"score", kInt64, {-1}}};
  m.outputs = {{"predictions", kFp64, {-1}}, {"probabilities", kFp64, {-1, 2}}};
  return m;
}

ServableMetadata NumericMetadata() {
  ServableMetadata m;
  m.platform = "kiln";
  m.inputs = {{"x0", kFp64, {-1}}, {"x1", kFp64, {-1}}, {"x2", kFp32, {-1}}};
  m.outputs = {{"predictions", kFp64, {-1}}};
  return m;
}

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "request_parser_fuzz: contract violation: %s\n", what);
  std::abort();
}

// The error path: a message, and one that the REST front end can write into a JSON answer.
void CheckError(const core::Status& status) {
  if (status.ok()) Violation("a failed result carries an OK status");
  if (status.message().empty()) Violation("an error without a message");
  const nlohmann::json answer = {{"error", status.message()}};
  (void)answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void CheckBatch(const FeatureBatch& batch, const ServableMetadata& metadata) {
  if (batch.columns.size() != metadata.inputs.size()) {
    // DecodeV2 / gRPC leave a feature out if no tensor names it; the servable reports it. Every
    // column present must still be a model feature, once.
    if (batch.columns.size() > metadata.inputs.size()) Violation("more columns than features");
  }
  for (size_t i = 0; i < batch.columns.size(); ++i) {
    const FeatureColumn& c = batch.columns[i];
    const TensorSpec* spec = nullptr;
    for (const TensorSpec& s : metadata.inputs)
      if (s.name == c.name) spec = &s;
    if (spec == nullptr) Violation("a column that is not a model feature");
    for (size_t j = 0; j < i; ++j)
      if (batch.columns[j].name == c.name) Violation("a feature given twice");
    if (c.is_text != (spec->datatype == kBytes)) Violation("a column of the wrong kind");
    const size_t n = c.is_text ? c.texts.size() : c.numbers.size();
    if (n != batch.rows) Violation("a column whose length is not the row count");
    if (c.is_text ? !c.numbers.empty() : !c.texts.empty()) Violation("a column with both kinds");
    for (double v : c.numbers)
      if (std::isinf(v)) Violation("an infinite number");
  }
}

void FuzzJson(const std::string& body, const ServableMetadata& metadata) {
  // The row format reads the body in one SAX pass of its own; the Open Inference Protocol
  // parses it into a JSON tree first.
  core::Result<FeatureBatch> v1 = DecodeV1(body, metadata);
  if (v1.ok()) {
    CheckBatch(*v1, metadata);
    if (v1->columns.size() != metadata.inputs.size()) Violation("DecodeV1 left a feature out");
    if (v1->rows == 0) Violation("DecodeV1 accepted zero rows");
  } else {
    CheckError(v1.status());
  }
  core::Result<nlohmann::json> parsed = ParseJsonBody(body);
  if (!parsed.ok()) {
    if (v1.ok()) Violation("DecodeV1 accepted a body that is not a JSON object");
    return CheckError(parsed.status());
  }
  if (!parsed->is_object()) Violation("ParseJsonBody accepted a non-object");
  core::Result<V2Request> v2 = DecodeV2(*parsed, metadata);
  if (v2.ok()) {
    CheckBatch(v2->batch, metadata);
  } else {
    CheckError(v2.status());
  }
}

void FuzzGrpc(const uint8_t* data, size_t size, const ServableMetadata& metadata) {
  inference::ModelInferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  core::Result<V2Request> decoded = DecodeGrpcInfer(request, metadata);
  if (decoded.ok()) {
    CheckBatch(decoded->batch, metadata);
    if (decoded->id != request.id()) Violation("DecodeGrpcInfer changed the id");
  } else {
    CheckError(decoded.status());
  }
}

}  // namespace
}  // namespace kiln::serve

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kiln::serve::ServableMetadata kModels[] = {kiln::serve::MixedMetadata(),
                                                          kiln::serve::NumericMetadata()};
  // Protobuf logs every string field with invalid UTF-8 it parses; quiet, not an error.
  static const bool kQuiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)kQuiet;
  if (size > (size_t{1} << 30)) return 0;  // protobuf parses at most 2 GiB
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const kiln::serve::ServableMetadata& metadata : kModels) {
    kiln::serve::FuzzJson(body, metadata);
    kiln::serve::FuzzGrpc(data, size, metadata);
  }
  return 0;
}
