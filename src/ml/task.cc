#include "kiln/ml/task.h"

#include <nlohmann/json.hpp>

namespace kiln::ml {

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
    case Task::kClustering:
      return "clustering";
    case Task::kTransform:
      return "transform";
  }
  return "?";
}

core::Result<Task> ParseTask(std::string_view text) {
  if (text == "binary") return Task::kBinary;
  if (text == "multiclass") return Task::kMulticlass;
  if (text == "regression") return Task::kRegression;
  if (text == "clustering") return Task::kClustering;
  if (text == "transform") return Task::kTransform;
  return core::InvalidArgument(
      "unknown task '{}'; expected binary, multiclass, regression, clustering or transform", text);
}

nlohmann::json LabelInfo::ToJson() const {
  nlohmann::json j;
  j["task"] = TaskName(task);
  j["name"] = name;
  if (is_classification()) {
    j["classes"] = classes;
    j["numeric_classes"] = numeric_classes;
  }
  if (is_clustering()) j["clusters"] = clusters;
  return j;
}

core::Result<LabelInfo> LabelInfo::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("task") || !j["task"].is_string()) {
    return core::Corrupt("label in model file: expected an object with 'task'");
  }
  LabelInfo info;
  auto task = ParseTask(j["task"].get<std::string>());
  if (!task.ok()) return core::Corrupt("label in model file: {}", task.status().message());
  info.task = *task;
  info.name = j.value("name", "");
  if (info.is_clustering()) {
    if (!j.contains("clusters") || !j["clusters"].is_number_unsigned() ||
        j["clusters"].get<size_t>() == 0) {
      return core::Corrupt("label in model file: clustering without a positive 'clusters' count");
    }
    info.clusters = j["clusters"].get<size_t>();
  }
  if (info.is_classification()) {
    if (!j.contains("classes") || !j["classes"].is_array()) {
      return core::Corrupt("label in model file: classification without 'classes'");
    }
    for (const auto& c : j["classes"]) {
      if (!c.is_string()) return core::Corrupt("label in model file: a class is not a string");
      info.classes.push_back(c.get<std::string>());
    }
    info.numeric_classes = j.value("numeric_classes", false);
    const size_t want = info.task == Task::kBinary ? 2 : 3;
    if (info.classes.size() < want || (info.task == Task::kBinary && info.classes.size() != 2)) {
      return core::Corrupt("label in model file: {} task with {} classes", TaskName(info.task),
                           info.classes.size());
    }
  }
  return info;
}

}  // namespace kiln::ml
