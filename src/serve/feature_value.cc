#include "feature_value.h"

namespace kiln::serve {

FeatureValue FeatureValue::FromJson(const nlohmann::json& v) {
  FeatureValue out;
  if (v.is_boolean()) {
    out.kind = Kind::kBool;
    out.boolean = v.get<bool>();
  } else if (v.is_number()) {
    out.kind = Kind::kNumber;
    out.number = v.get<double>();
  } else if (v.is_string()) {
    out.kind = Kind::kString;
    out.text = v.get_ref<const std::string&>();
  }
  return out;
}

std::string Describe(const FeatureValue& v) {
  switch (v.kind) {
    case FeatureValue::Kind::kNull:
      return "null";
    case FeatureValue::Kind::kBool:
      return v.boolean ? "true" : "false";
    case FeatureValue::Kind::kNumber:
      return v.raw.empty() ? fmt::format("the number {}", v.number)
                           : fmt::format("the number {}", v.raw);
    case FeatureValue::Kind::kString:
      return v.raw.empty()
                 ? fmt::format("the string {}",
                               nlohmann::json(std::string(v.text))
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
                 : fmt::format("the string {}", v.raw);
  }
  return "null";
}

}  // namespace kiln::serve
