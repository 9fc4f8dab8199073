// Output shared by the tracking commands (runs, models, datasets, lineage, gc): times, durations,
// numbers and the JSON shape of a run. Pure functions; thread-safe. Private to src/cli.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kiln/track/records.h"

namespace kiln::cli {

// Milliseconds since the epoch as "2024-06-07T12:34:56Z"; "-" for 0.
std::string TimeText(int64_t ms);
// A run's duration ("3.2s"), or "-" while it runs.
std::string DurationText(int64_t start_ms, std::optional<int64_t> end_ms);
// A metric or param value for a table: 4 significant digits for numbers.
std::string NumberText(double value);
// "12.3 KB" style sizes.
std::string BytesText(uint64_t bytes);

// id, experiment, project, kind, status, start_ms, end_ms (null while running), command,
// params{}, metrics{}; with `details`, also host, pid, kiln_version, message, tags{}, artifacts[].
nlohmann::json RunJson(const track::RunRecord& run, bool details = false);
// A model version: version, run_id, algorithm, artifact_uri, created_ms, aliases[], metrics{}.
nlohmann::json ModelVersionJson(const track::ModelVersionRecord& version);
// The numeric top-level entries of a metrics JSON object (a model version's metrics_json).
std::map<std::string, double> ScalarMetrics(const std::string& metrics_json);

}  // namespace kiln::cli
