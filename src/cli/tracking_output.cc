#include "tracking_output.h"

#include <chrono>

#include <fmt/format.h>

#include "kiln/cli/format.h"

namespace kiln::cli {

std::string TimeText(int64_t ms) {
  if (ms == 0) return "-";
  return IsoTimestampUtc(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

std::string DurationText(int64_t start_ms, std::optional<int64_t> end_ms) {
  if (!end_ms) return "-";
  return FormatSeconds(static_cast<double>(*end_ms - start_ms) / 1000.0);
}

std::string NumberText(double value) { return fmt::format("{:.4g}", value); }

std::string BytesText(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

nlohmann::json RunJson(const track::RunRecord& run, bool details) {
  nlohmann::json j;
  j["id"] = run.id;
  j["experiment"] = run.experiment;
  j["project"] = run.project;
  j["kind"] = run.kind;
  j["status"] = run.status;
  j["start_ms"] = run.start_ms;
  j["end_ms"] = run.end_ms ? nlohmann::json(*run.end_ms) : nlohmann::json(nullptr);
  j["command"] = run.command;
  j["params"] = run.params;
  j["metrics"] = run.metrics;
  if (details) {
    j["host"] = run.host;
    j["pid"] = run.pid;
    j["kiln_version"] = run.kiln_version;
    j["message"] = run.message;
    j["tags"] = run.tags;
    nlohmann::json artifacts = nlohmann::json::array();
    for (const track::RunArtifact& a : run.artifacts) {
      artifacts.push_back({{"name", a.name}, {"uri", a.uri}, {"size_bytes", a.size_bytes}});
    }
    j["artifacts"] = artifacts;
  }
  return j;
}

std::map<std::string, double> ScalarMetrics(const std::string& metrics_json) {
  std::map<std::string, double> out;
  const nlohmann::json j = nlohmann::json::parse(metrics_json, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_number()) out[key] = value.get<double>();
  }
  return out;
}

nlohmann::json ModelVersionJson(const track::ModelVersionRecord& version) {
  nlohmann::json j;
  j["model"] = version.model;
  j["version"] = version.version;
  j["run_id"] = version.run_id ? nlohmann::json(*version.run_id) : nlohmann::json(nullptr);
  j["algorithm"] = version.algorithm;
  j["artifact_uri"] = version.artifact_uri;
  j["created_ms"] = version.created_ms;
  j["aliases"] = version.aliases;
  j["metrics"] = ScalarMetrics(version.metrics_json);
  return j;
}

}  // namespace kiln::cli
