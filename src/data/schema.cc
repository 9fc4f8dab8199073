#include "kiln/data/schema.h"

#include <nlohmann/json.hpp>

namespace kiln::data {

nlohmann::json Schema::ToJson() const {
  nlohmann::json j;
  j["sparse"] = sparse;
  if (sparse) {
    j["num_features"] = num_sparse_features;
    j["index_base"] = index_base;
  } else {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& field : fields) {
      f.push_back({{"name", field.name}, {"type", ColumnTypeName(field.type)}});
    }
    j["fields"] = std::move(f);
  }
  j["label"] = label;
  j["weight"] = weight;
  return j;
}

core::Result<Schema> Schema::FromJson(const nlohmann::json& j) {
  auto bad = [](std::string_view what) { return core::Corrupt("schema in model file: {}", what); };
  if (!j.is_object() || !j.contains("sparse") || !j["sparse"].is_boolean()) {
    return bad("expected an object with 'sparse'");
  }
  Schema s;
  s.sparse = j["sparse"].get<bool>();
  if (s.sparse) {
    if (!j.contains("num_features") || !j["num_features"].is_number_unsigned()) {
      return bad("sparse schema without 'num_features'");
    }
    s.num_sparse_features = j["num_features"].get<uint32_t>();
    s.index_base = j.value("index_base", 1);
  } else {
    if (!j.contains("fields") || !j["fields"].is_array())
      return bad("dense schema without 'fields'");
    for (const auto& f : j["fields"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
        return bad("a field without a name");
      }
      FieldInfo info;
      info.name = f["name"].get<std::string>();
      const std::string type = f.value("type", "numeric");
      if (type == "numeric") {
        info.type = ColumnType::kNumeric;
      } else if (type == "categorical") {
        info.type = ColumnType::kCategorical;
      } else {
        return bad("field '" + info.name + "' has unknown type '" + type + "'");
      }
      s.fields.push_back(std::move(info));
    }
  }
  s.label = j.value("label", "");
  s.weight = j.value("weight", "");
  return s;
}

}  // namespace kiln::data
