// RunRepo: runs and everything logged to them — params, tags, metric series, artifacts — plus
// the queries behind `kiln runs list` (filters, ordering, paging). Listing reads only the
// latest value of each metric (latest_metrics), never the series. Thread-compatible.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

// "auc>0.8", "loss<=0.1", "accuracy=1": a filter on a run's latest metric value.
struct MetricFilter {
  std::string key;
  std::string op;  // one of < <= > >= = !=
  double value = 0;
};
core::Result<MetricFilter> ParseMetricFilter(std::string_view text);

struct RunQuery {
  int64_t project_id = 0;
  std::optional<int64_t> experiment_id;
  std::optional<std::string> status;
  std::optional<std::string> kind;
  std::vector<std::pair<std::string, std::string>> params;  // key = value
  std::vector<MetricFilter> metrics;
  // "start" (default), "id", "end", "metric.<key>" or "param.<key>"; runs without the metric or
  // param come last in either direction.
  std::string order_by = "start";
  bool descending = true;
  int64_t limit = 100;
  std::string page_token;  // from the previous page's next_page_token
};

struct RunPage {
  std::vector<RunRecord> runs;  // params and latest metrics filled; artifacts not
  std::string next_page_token;  // empty on the last page
};

class RunRepo {
 public:
  explicit RunRepo(SqlConnection& db) : db_(db) {}

  // Creates a run with status running, its params and tags, in one transaction.
  core::Result<int64_t> Create(const NewRun& run);
  core::Status LogParams(int64_t run_id, const std::map<std::string, std::string>& params);
  core::Status SetTags(int64_t run_id, const std::map<std::string, std::string>& tags);
  // Appends points (one transaction for the batch) and moves each series' latest value.
  core::Status LogMetrics(int64_t run_id, std::span<const MetricPoint> points);
  core::Status AddArtifact(int64_t run_id, const RunArtifact& artifact);
  // Sets the final status (finished, failed, killed) and end time.
  core::Status Finish(int64_t run_id, const std::string& status, const std::string& message = {});

  // The run with params, tags, latest metrics and artifacts; kNotFound for an unknown id.
  core::Result<RunRecord> Get(int64_t run_id);
  core::Result<std::vector<MetricPoint>> MetricHistory(int64_t run_id, const std::string& key);
  core::Result<RunPage> List(const RunQuery& query);
  // Deletes the run with its params, metrics, artifact records and lineage edges; model versions
  // it produced stay (their source run becomes unknown). Artifacts go at the next `kiln gc`.
  core::Status Delete(int64_t run_id);

  // Marks failed every run still "running" on `host` whose process is gone (`alive` says whether
  // pid/pid_start is still the process that started the run). Returns how many were marked.
  core::Result<int64_t> MarkAbandoned(const std::string& host,
                                      const std::function<bool(int64_t, int64_t)>& alive);

 private:
  core::Status FillDetails(std::vector<RunRecord>& runs, bool artifacts);
  SqlConnection& db_;
};

}  // namespace kiln::track
