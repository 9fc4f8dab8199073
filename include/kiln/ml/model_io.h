// Model files: a versioned, self-describing array file (core/array_file.h, magic "KILNMODL").
// The header JSON holds the format version, algorithm, params, label, input schema, training
// metadata and the algorithm's own body; large arrays follow and load by mmap without copying.
// The whole file is checksummed. Truncated, corrupted or newer-version files are clear errors.
#pragma once

#include <memory>
#include <string>

#include "kiln/core/result.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/model.h"

namespace kiln::ml {

inline constexpr const char* kModelMagic = "KILNMODL";
inline constexpr uint32_t kModelFormatVersion = 1;

core::Status SaveModel(const Model& model, const std::string& path);
core::Result<std::unique_ptr<Model>> LoadModel(const std::string& path,
                                               const AlgorithmRegistry& registry);
// The common header only (no algorithm code needed), e.g. to list or inspect files.
core::Result<ModelInfo> ReadModelInfo(const std::string& path);

}  // namespace kiln::ml
