// FeatureValue: one JSON scalar on its way into a feature column, whether it comes from a parsed
// document (the Open Inference Protocol decoder) or straight from a JsonScanner (the row format),
// and the one rule both decoders apply to it: null is missing; a text feature takes strings,
// numbers (as their text) and booleans; a numeric feature takes finite numbers and booleans.
// Plain functions; thread-safe.
#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/core/result.h"
#include "kiln/serve/feature_batch.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

struct FeatureValue {
  enum class Kind { kNull, kBool, kNumber, kString };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string_view text;  // kString: the unescaped text
  std::string_view raw;   // the value as written, for messages ("" = written from the value)

  static FeatureValue Null() { return {}; }
  // A scalar of a parsed document (which must outlive the value); arrays and objects are not
  // scalars and must be rejected before.
  static FeatureValue FromJson(const nlohmann::json& v);
};

// "null", "true", "the number 1.5", "the string \"x\"".
std::string Describe(const FeatureValue& v);

// Appends `v` to `column` (a feature of type `spec`). `where()` names the value's place for an
// error message; it is only called on an error (formatting it per value would cost more than the
// value).
template <typename Where>
core::Status AppendFeatureValue(const FeatureValue& v, const TensorSpec& spec,
                                FeatureColumn& column, const Where& where) {
  const bool text_input = spec.datatype == kBytes;
  switch (v.kind) {
    case FeatureValue::Kind::kNull:
      if (text_input) {
        column.texts.emplace_back();
      } else {
        column.numbers.push_back(std::nan(""));
      }
      return core::Status::Ok();
    case FeatureValue::Kind::kBool:
      if (text_input) {
        column.texts.emplace_back(v.boolean ? "true" : "false");
      } else {
        column.numbers.push_back(v.boolean ? 1.0 : 0.0);
      }
      return core::Status::Ok();
    case FeatureValue::Kind::kNumber:
      if (text_input) {
        column.texts.push_back(fmt::format("{}", v.number));
        return core::Status::Ok();
      }
      if (!std::isfinite(v.number))
        return core::InvalidArgument("{}: feature '{}' must be finite", where(), spec.name);
      column.numbers.push_back(v.number);
      return core::Status::Ok();
    case FeatureValue::Kind::kString:
      if (text_input) {
        column.texts.emplace_back(v.text);
        return core::Status::Ok();
      }
      return core::InvalidArgument("{}: feature '{}' is numeric ({}), found {}", where(), spec.name,
                                   spec.datatype, Describe(v));
  }
  return core::Status::Ok();
}

}  // namespace kiln::serve
