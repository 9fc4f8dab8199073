#include "kiln/pipeline/component.h"

#include <nlohmann/json.hpp>

namespace kiln::pipeline {

std::string_view ArtifactTypeName(ArtifactType type) {
  switch (type) {
    case ArtifactType::kDataset:
      return "dataset";
    case ArtifactType::kModel:
      return "model";
    case ArtifactType::kMetrics:
      return "metrics";
    case ArtifactType::kReport:
      return "report";
  }
  return "unknown";
}

core::Result<ArtifactType> ParseArtifactType(std::string_view text) {
  for (ArtifactType t : {ArtifactType::kDataset, ArtifactType::kModel, ArtifactType::kMetrics,
                         ArtifactType::kReport}) {
    if (ArtifactTypeName(t) == text) return t;
  }
  return core::InvalidArgument(
      "unknown artifact type '{}': expected dataset, model, metrics or report", text);
}

const PortDef* ComponentFactory::FindInput(std::string_view name) const {
  for (const PortDef& p : inputs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const PortDef* ComponentFactory::FindOutput(std::string_view name) const {
  for (const PortDef& p : outputs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

namespace {

nlohmann::json PortsJson(const std::vector<PortDef>& ports, bool inputs) {
  nlohmann::json out = nlohmann::json::array();
  for (const PortDef& p : ports) {
    nlohmann::json j{{"name", p.name}, {"type", ArtifactTypeName(p.type)}, {"help", p.help}};
    if (inputs) {
      j["optional"] = p.optional;
      j["multiple"] = p.multiple;
    } else if (!p.produced_when.empty()) {
      j["produced_when"] = p.produced_when;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

nlohmann::json ComponentToJson(const ComponentEntry& entry) {
  nlohmann::json j;
  j["name"] = entry.name;
  j["description"] = entry.description;
  j["category"] = entry.factory.category;
  j["version"] = entry.factory.version;
  j["capabilities"] = entry.capabilities;
  j["inputs"] = PortsJson(entry.factory.inputs, true);
  j["outputs"] = PortsJson(entry.factory.outputs, false);
  j["params"] = entry.params.ToJson();
  return j;
}

}  // namespace kiln::pipeline
