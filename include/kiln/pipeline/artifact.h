// Artifacts: the typed values that flow between pipeline steps. Each is a content-addressed blob
// of the ArtifactStore (so its URI is also its content hash, which cache keys are built from)
// with a small JSON summary for display (rows and columns of a dataset, metric values, ...).
//   dataset  a Dataset in Kiln's binary dataset format (maps without copying when read)
//   model    a Kiln model file
//   metrics  a JSON object of metric name -> value
//   report   any JSON document (a comparison of models, a registration, an export)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/core/result.h"

namespace kiln::pipeline {

enum class ArtifactType { kDataset, kModel, kMetrics, kReport };
std::string_view ArtifactTypeName(ArtifactType type);
core::Result<ArtifactType> ParseArtifactType(std::string_view text);

struct Artifact {
  ArtifactType type = ArtifactType::kDataset;
  std::string uri;  // kiln-blob:xxh128:<digest>
  int64_t size_bytes = 0;
  nlohmann::json summary = nlohmann::json::object();
};

}  // namespace kiln::pipeline
