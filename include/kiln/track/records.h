// The MetaStore's entities as plain values: what the repositories (runs, datasets, registry,
// deployments, lineage) take and return. Ids are the store's integer keys; times are
// milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::track {

struct ProjectRecord {
  int64_t id = 0;
  std::string name;
  int64_t created_ms = 0;
};

struct ExperimentRecord {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  int64_t created_ms = 0;
};

// Run status values, as stored.
inline constexpr const char* kRunRunning = "running";
inline constexpr const char* kRunFinished = "finished";
inline constexpr const char* kRunFailed = "failed";
inline constexpr const char* kRunKilled = "killed";

struct MetricPoint {
  std::string key;
  double value = 0;
  int64_t step = 0;
  int64_t time_ms = 0;
};

struct RunArtifact {
  std::string name;
  std::string uri;
  int64_t size_bytes = 0;
};

// What creating a run needs; the store fills in id, status (running) and start time.
struct NewRun {
  int64_t experiment_id = 0;
  std::string kind;     // "train", "evaluate", ...
  std::string command;  // the command line that made it
  std::string kiln_version;
  std::string host;
  int64_t pid = 0;
  int64_t pid_start = 0;  // the process's start time (tells a live process from a reused pid)
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
};

struct RunRecord {
  int64_t id = 0;
  int64_t experiment_id = 0;
  std::string experiment;
  std::string project;
  std::string kind;
  std::string status;
  int64_t start_ms = 0;
  std::optional<int64_t> end_ms;
  std::string command;
  std::string kiln_version;
  std::string host;
  int64_t pid = 0;
  std::string message;  // why it failed or was killed
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
  std::map<std::string, double> metrics;  // the latest value of each series
  std::vector<RunArtifact> artifacts;
};

struct ColumnStats {
  std::string name;
  std::string type;  // "numeric" / "categorical" / ...
  int64_t count = 0;
  int64_t missing = 0;
  double mean = 0, stddev = 0, min = 0, max = 0;
  int64_t distinct = 0;  // categorical columns
};

struct NewDatasetVersion {
  std::string name;  // the dataset (default: the file's path)
  std::string content_hash;
  std::string source_path;
  std::string format;
  int64_t size_bytes = 0;
  int64_t num_rows = 0;
  int64_t num_columns = 0;
  std::string schema_json;
  std::string stats_json;
};

struct DatasetVersionRecord {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t dataset_id = 0;
  std::string dataset;  // name
  int64_t version = 0;
  std::string content_hash;
  std::string source_path;
  std::string format;
  int64_t size_bytes = 0;
  int64_t num_rows = 0;
  int64_t num_columns = 0;
  std::string schema_json;
  std::string stats_json;
  int64_t created_ms = 0;
};

struct NewModelVersion {
  std::optional<int64_t> run_id;
  std::string algorithm;
  std::string artifact_uri;
  std::string metrics_json = "{}";
};

struct ModelVersionRecord {
  int64_t id = 0;
  int64_t model_id = 0;
  std::string model;  // name
  int64_t version = 0;
  std::optional<int64_t> run_id;
  std::string algorithm;
  std::string artifact_uri;
  std::string metrics_json;
  int64_t created_ms = 0;
  std::vector<std::string> aliases;
};

struct ModelRecord {
  int64_t id = 0;
  std::string project;
  std::string name;
  std::string description;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t latest_version = 0;
  std::map<std::string, int64_t> aliases;    // alias -> version number
  std::vector<ModelVersionRecord> versions;  // filled by Get, not by List
};

struct DeploymentRecord {
  int64_t id = 0;
  std::string name;
  int64_t model_version_id = 0;
  std::string endpoint;
  std::string status;  // "live", "stopped"
  int64_t created_ms = 0;
  std::optional<int64_t> ended_ms;
};

// Lineage node kinds, as stored.
inline constexpr const char* kNodeDatasetVersion = "dataset_version";
inline constexpr const char* kNodeRun = "run";
inline constexpr const char* kNodeModelVersion = "model_version";
inline constexpr const char* kNodeDeployment = "deployment";
inline constexpr const char* kNodePipelineStep = "pipeline_step";

struct LineageNode {
  std::string kind;
  int64_t id = 0;
  bool operator==(const LineageNode&) const = default;
  auto operator<=>(const LineageNode&) const = default;
};

struct LineageEdge {
  LineageNode src;
  LineageNode dst;
  std::string relation;  // "input_of", "produced", "evaluated", "deployed_as", ...
};

}  // namespace kiln::track
