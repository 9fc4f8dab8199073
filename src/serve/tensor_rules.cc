#include "tensor_rules.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kiln/core/strings.h"
#include "kiln/serve/feature_batch.h"

namespace kiln::serve {

bool IsNumericType(const std::string& datatype) {
  static const char* const kTypes[] = {"BOOL",  "UINT8", "UINT16", "UINT32", "UINT64", "INT8",
                                       "INT16", "INT32", "INT64",  "FP16",   "FP32",   "FP64"};
  for (const char* k : kTypes)
    if (datatype == k) return true;
  return false;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::vector<std::string> InputNames(const ServableMetadata& metadata) {
  std::vector<std::string> names;
  for (const TensorSpec& t : metadata.inputs) names.push_back(t.name);
  return names;
}

core::Status UnknownFeature(const std::string& where, const std::string& name,
                            const ServableMetadata& metadata) {
  std::vector<std::string> names = InputNames(metadata);
  std::string best = core::ClosestMatch(name, names);
  return core::InvalidArgument("{}: unknown feature '{}'{}; the model's features are: {}", where,
                               name, best.empty() ? "" : " (did you mean '" + best + "'?)",
                               core::Join(names, ", "));
}

core::Status CheckShape(const std::vector<int64_t>& shape, const std::string& where) {
  for (int64_t d : shape) {
    if (d < 0)
      return core::InvalidArgument("{}: dimensions must be non-negative integers, found {}", where,
                                   d);
  }
  if (shape.empty() || shape.size() > 2)
    return core::InvalidArgument("{}: expected [rows] or [rows, features], found {} dimensions",
                                 where, shape.size());
  return core::Status::Ok();
}

core::Result<std::vector<const TensorSpec*>> InputTargets(const std::string& where,
                                                          const std::string& name,
                                                          const std::vector<int64_t>& shape,
                                                          const ServableMetadata& metadata) {
  std::vector<const TensorSpec*> targets;
  for (const TensorSpec& spec : metadata.inputs) {
    if (spec.name != name) continue;
    if (shape.size() == 2 && shape[1] != 1)
      return core::InvalidArgument("{}: feature '{}' takes shape [rows] or [rows, 1], found {}",
                                   where, name, ShapeText(shape));
    targets.push_back(&spec);
    return targets;
  }
  if (shape.size() != 2) return UnknownFeature(where + ".name", name, metadata);
  if (static_cast<size_t>(shape[1]) != metadata.inputs.size())
    return core::InvalidArgument(
        "{}: a [rows, features] tensor must have {} columns (the model's features in order: "
        "{}), found {}",
        where, metadata.inputs.size(), core::Join(InputNames(metadata), ", "), shape[1]);
  for (const TensorSpec& spec : metadata.inputs) targets.push_back(&spec);
  return targets;
}

core::Status CheckTargetDatatype(const std::string& where, const TensorSpec& spec,
                                 const std::string& datatype) {
  if (spec.datatype == kBytes ? datatype != kBytes : datatype == kBytes)
    return core::InvalidArgument("{}: feature '{}' takes datatype {}, found {}", where, spec.name,
                                 spec.datatype == kBytes ? "BYTES" : "a number type", datatype);
  return core::Status::Ok();
}

core::Status TakeRows(const std::string& where, const std::vector<int64_t>& shape,
                      FeatureBatch& batch, bool& rows_known) {
  const auto rows = static_cast<size_t>(shape[0]);
  if (rows > kMaxRows)
    return core::InvalidArgument("{}: {} rows is more than the limit of {}", where, rows, kMaxRows);
  if (rows_known && rows != batch.rows)
    return core::InvalidArgument("{}: {} rows, but an earlier input has {}", where, rows,
                                 batch.rows);
  rows_known = true;
  batch.rows = rows;
  return core::Status::Ok();
}

core::Result<FeatureColumn> NewTargetColumn(const std::string& where, const TensorSpec& spec,
                                            const std::string& datatype,
                                            const FeatureBatch& batch) {
  if (batch.Find(spec.name))
    return core::InvalidArgument("{}: feature '{}' is given twice", where, spec.name);
  KILN_RETURN_IF_ERROR(CheckTargetDatatype(where, spec, datatype));
  FeatureColumn column;
  column.name = spec.name;
  column.is_text = spec.datatype == kBytes;
  return column;
}

}  // namespace kiln::serve
