// FeatureBatch: the rows of one inference request as named feature columns, whatever protocol
// they arrived in (Open Inference Protocol tensors, the row format's instances, gRPC). Columns
// hold numbers (NaN = missing) or texts (categorical values; "" = missing).
//
// InferenceOutput: what a servable answers, as named tensors the protocols write out.
// Plain values; not thread-safe to mutate, safe to read concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::serve {

struct FeatureColumn {
  std::string name;
  bool is_text = false;
  std::vector<double> numbers;     // !is_text: one per row
  std::vector<std::string> texts;  // is_text: one per row
};

struct FeatureBatch {
  size_t rows = 0;
  std::vector<FeatureColumn> columns;

  // The column with this name, or nullptr.
  const FeatureColumn* Find(const std::string& name) const;
};

// Datatypes of the Open Inference Protocol that Kiln produces and accepts.
inline constexpr const char* kFp32 = "FP32";
inline constexpr const char* kFp64 = "FP64";
inline constexpr const char* kInt64 = "INT64";
inline constexpr const char* kBytes = "BYTES";

struct OutputTensor {
  std::string name;
  std::string datatype;  // kFp64, kInt64 or kBytes
  std::vector<int64_t> shape;
  std::vector<double> numbers;     // FP64 / INT64 (integral values), row-major
  std::vector<std::string> texts;  // BYTES
};

struct InferenceOutput {
  std::vector<OutputTensor> outputs;
  // For the row format: class names of probability columns ("" for regression).
  std::vector<std::string> class_names;
};

}  // namespace kiln::serve
