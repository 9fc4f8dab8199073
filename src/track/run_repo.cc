#include "kiln/track/run_repo.h"

#include <charconv>
#include <cmath>

#include "kiln/core/strings.h"
#include "kiln/track/page.h"
#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

constexpr const char* kRunColumns =
    "r.id, r.experiment_id, e.name, p.name, r.kind, r.status, r.start_ms, r.end_ms, r.command, "
    "r.kiln_version, r.host, r.pid, r.message";

RunRecord ToRun(const SqlRow& row) {
  RunRecord run;
  run.id = row.Int(0);
  run.experiment_id = row.Int(1);
  run.experiment = row.Text(2);
  run.project = row.Text(3);
  run.kind = row.Text(4);
  run.status = row.Text(5);
  run.start_ms = row.Int(6);
  if (!row.IsNull(7)) run.end_ms = row.Int(7);
  run.command = row.Text(8);
  run.kiln_version = row.Text(9);
  run.host = row.Text(10);
  run.pid = row.Int(11);
  run.message = row.Text(12);
  return run;
}

Status InsertKeyValues(SqlConnection& db, const char* table, int64_t run_id,
                       const std::map<std::string, std::string>& values) {
  const std::string sql = fmt::format(
      "INSERT INTO {} (run_id, key, value) VALUES (?, ?, ?) "
      "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
      table);
  for (const auto& [key, value] : values) {
    if (key.empty()) return core::InvalidArgument("a {} key must not be empty", table);
    KILN_RETURN_IF_ERROR(db.Execute(sql, {run_id, key, value}).status());
  }
  return Status::Ok();
}

std::string InList(size_t n) {
  std::string out = "(";
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out + ")";
}

}  // namespace

Result<MetricFilter> ParseMetricFilter(std::string_view text) {
  static constexpr std::string_view kOps[] = {"<=", ">=", "!=", "<", ">", "="};
  for (std::string_view op : kOps) {
    const size_t pos = text.find(op);
    if (pos == std::string_view::npos || pos == 0) continue;
    MetricFilter filter;
    filter.key = std::string(core::Trim(text.substr(0, pos)));
    filter.op = std::string(op);
    const std::string_view number = core::Trim(text.substr(pos + op.size()));
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), filter.value);
    if (!filter.key.empty() && ec == std::errc() && ptr == number.data() + number.size() &&
        std::isfinite(filter.value)) {
      return filter;
    }
    break;
  }
  return core::InvalidArgument(
      "invalid metric filter '{}': expected NAME OP NUMBER (a finite number) with OP one of "
      "< <= > >= = != (e.g. \"auc>0.8\")",
      text);
}

Result<int64_t> RunRepo::Create(const NewRun& run) {
  int64_t id = 0;
  KILN_RETURN_IF_ERROR(WriteTransaction(db_, [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(
        SqlRows rows,
        db_.Query("INSERT INTO runs (experiment_id, kind, status, start_ms, command, "
                  "kiln_version, host, pid, pid_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "RETURNING id",
                  {run.experiment_id, run.kind, std::string(kRunRunning), NowMs(), run.command,
                   run.kiln_version, run.host, run.pid, run.pid_start}));
    id = rows.at(0).Int(0);
    KILN_RETURN_IF_ERROR(InsertKeyValues(db_, "run_params", id, run.params));
    return InsertKeyValues(db_, "run_tags", id, run.tags);
  }));
  return id;
}

Status RunRepo::LogParams(int64_t run_id, const std::map<std::string, std::string>& params) {
  return WriteTransaction(db_, [&] { return InsertKeyValues(db_, "run_params", run_id, params); });
}

Status RunRepo::SetTags(int64_t run_id, const std::map<std::string, std::string>& tags) {
  return WriteTransaction(db_, [&] { return InsertKeyValues(db_, "run_tags", run_id, tags); });
}

Status RunRepo::LogMetrics(int64_t run_id, std::span<const MetricPoint> points) {
  if (points.empty()) return Status::Ok();
  return WriteTransaction(db_, [&]() -> Status {
    // The latest point of each series in this batch (highest step, then the later one).
    std::map<std::string, const MetricPoint*> latest;
    for (const MetricPoint& p : points) {
      if (p.key.empty()) return core::InvalidArgument("a metric name must not be empty");
      if (!std::isfinite(p.value)) {
        return core::InvalidArgument("metric '{}' at step {} is {}: expected a finite number",
                                     p.key, p.step, p.value);
      }
      KILN_RETURN_IF_ERROR(db_.Execute("INSERT INTO metrics (run_id, key, step, value, time_ms) "
                                       "VALUES (?, ?, ?, ?, ?)",
                                       {run_id, p.key, p.step, p.value, p.time_ms})
                               .status());
      const MetricPoint*& best = latest[p.key];
      if (best == nullptr || p.step >= best->step) best = &p;
    }
    for (const auto& [key, p] : latest) {
      KILN_RETURN_IF_ERROR(
          db_.Execute("INSERT INTO latest_metrics (run_id, key, value, step, time_ms) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET "
                      "value = excluded.value, step = excluded.step, time_ms = excluded.time_ms "
                      "WHERE excluded.step >= latest_metrics.step",
                      {run_id, key, p->value, p->step, p->time_ms})
              .status());
    }
    return Status::Ok();
  });
}

Status RunRepo::AddArtifact(int64_t run_id, const RunArtifact& artifact) {
  return db_
      .Execute(
          "INSERT INTO run_artifacts (run_id, name, uri, size_bytes) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (run_id, name) DO UPDATE SET uri = excluded.uri, "
          "size_bytes = excluded.size_bytes",
          {run_id, artifact.name, artifact.uri, artifact.size_bytes})
      .status();
}

Status RunRepo::Finish(int64_t run_id, const std::string& status, const std::string& message) {
  KILN_ASSIGN_OR_RETURN(int64_t changed,
                        db_.Execute("UPDATE runs SET status = ?, end_ms = ?, message = ? "
                                    "WHERE id = ?",
                                    {status, NowMs(), message, run_id}));
  if (changed == 0) return core::NotFound("run {} not found in {}", run_id, db_.description());
  return Status::Ok();
}

Result<RunRecord> RunRepo::Get(int64_t run_id) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query(fmt::format("SELECT {} FROM runs r JOIN experiments e ON e.id = "
                                              "r.experiment_id JOIN projects p ON p.id = "
                                              "e.project_id WHERE r.id = ?",
                                              kRunColumns),
                                  {run_id}));
  if (rows.empty()) return core::NotFound("run {} not found in {}", run_id, db_.description());
  std::vector<RunRecord> runs{ToRun(rows[0])};
  KILN_RETURN_IF_ERROR(FillDetails(runs, /*artifacts=*/true));
  return std::move(runs[0]);
}

Status RunRepo::FillDetails(std::vector<RunRecord>& runs, bool artifacts) {
  if (runs.empty()) return Status::Ok();
  std::vector<SqlValue> ids;
  std::map<int64_t, RunRecord*> by_id;
  for (RunRecord& run : runs) {
    ids.emplace_back(run.id);
    by_id[run.id] = &run;
  }
  const std::string in = InList(ids.size());
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query("SELECT run_id, key, value FROM run_params WHERE run_id IN " + in, ids));
  for (const SqlRow& row : rows) by_id[row.Int(0)]->params[row.Text(1)] = row.Text(2);
  KILN_ASSIGN_OR_RETURN(
      rows, db_.Query("SELECT run_id, key, value FROM run_tags WHERE run_id IN " + in, ids));
  for (const SqlRow& row : rows) by_id[row.Int(0)]->tags[row.Text(1)] = row.Text(2);
  KILN_ASSIGN_OR_RETURN(
      rows, db_.Query("SELECT run_id, key, value FROM latest_metrics WHERE run_id IN " + in, ids));
  for (const SqlRow& row : rows) by_id[row.Int(0)]->metrics[row.Text(1)] = row.Double(2);
  if (artifacts) {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("SELECT run_id, name, uri, size_bytes FROM "
                                          "run_artifacts WHERE run_id IN " +
                                              in + " ORDER BY name",
                                          ids));
    for (const SqlRow& row : rows) {
      by_id[row.Int(0)]->artifacts.push_back({row.Text(1), row.Text(2), row.Int(3)});
    }
  }
  return Status::Ok();
}

Result<std::vector<MetricPoint>> RunRepo::MetricHistory(int64_t run_id, const std::string& key) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query("SELECT key, value, step, time_ms FROM metrics WHERE run_id = ? "
                                  "AND key = ? ORDER BY step, time_ms",
                                  {run_id, key}));
  std::vector<MetricPoint> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows)
    out.push_back({row.Text(0), row.Double(1), row.Int(2), row.Int(3)});
  return out;
}

Result<RunPage> RunRepo::List(const RunQuery& query) {
  KILN_ASSIGN_OR_RETURN(int64_t offset, PageOffset({query.order_by, query.descending, query.limit,
                                                    query.page_token}));
  const char* dir = query.descending ? "DESC" : "ASC";
  // The order key: a metric or param (runs without it come last), or a run column.
  std::string key_table, key;
  std::string order;
  if (query.order_by.starts_with("metric.") || query.order_by.starts_with("param.")) {
    key_table = query.order_by.starts_with("metric.") ? "latest_metrics" : "run_params";
    key = query.order_by.substr(query.order_by.find('.') + 1);
    if (key.empty()) return core::InvalidArgument("--order-by {} names no key", query.order_by);
  } else if (query.order_by == "start" || query.order_by == "id") {
    order = fmt::format("r.id {}", dir);  // ids grow with start time
  } else if (query.order_by == "end") {
    order = fmt::format("(r.end_ms IS NULL), r.end_ms {}, r.id {}", dir, dir);
  } else {
    return core::InvalidArgument(
        "invalid --order-by '{}': expected start, end, id, metric.NAME or param.NAME",
        query.order_by);
  }

  // The filters, as SQL conditions on r (runs) and e (experiments) with bound values.
  std::string where = "e.project_id = ?";
  std::vector<SqlValue> filter_params{query.project_id};
  if (query.experiment_id) {
    where += " AND r.experiment_id = ?";
    filter_params.emplace_back(*query.experiment_id);
  }
  if (query.status) {
    where += " AND r.status = ?";
    filter_params.emplace_back(*query.status);
  }
  if (query.kind) {
    where += " AND r.kind = ?";
    filter_params.emplace_back(*query.kind);
  }
  for (const auto& [param, value] : query.params) {
    where +=
        " AND EXISTS (SELECT 1 FROM run_params f WHERE f.run_id = r.id AND f.key = ? AND "
        "f.value = ?)";
    filter_params.emplace_back(param);
    filter_params.emplace_back(value);
  }
  for (const MetricFilter& m : query.metrics) {
    static constexpr std::string_view kOps[] = {"<", "<=", ">", ">=", "=", "!="};
    if (std::find(std::begin(kOps), std::end(kOps), m.op) == std::end(kOps)) {
      return core::InvalidArgument("invalid metric comparison '{}'", m.op);
    }
    // m.op is one of the fixed operators above, never user text.
    where += fmt::format(
        " AND EXISTS (SELECT 1 FROM latest_metrics f WHERE f.run_id = r.id AND f.key = ? AND "
        "f.value {} ?)",
        m.op);
    filter_params.emplace_back(m.key);
    filter_params.emplace_back(m.value);
  }
  const std::string joins =
      " JOIN experiments e ON e.id = r.experiment_id JOIN projects p ON p.id = e.project_id";
  const int64_t want = query.limit + 1;  // one more than a page tells whether another follows
  auto run_query = [&](const std::string& sql, std::vector<SqlValue> params, int64_t limit,
                       int64_t skip, std::vector<RunRecord>& out) -> Status {
    params.emplace_back(limit);
    params.emplace_back(skip);
    KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query(sql, params));
    for (const SqlRow& row : rows) out.push_back(ToRun(row));
    return Status::Ok();
  };

  RunPage page;
  if (key.empty()) {
    KILN_RETURN_IF_ERROR(run_query(fmt::format("SELECT {} FROM runs r{} WHERE {} ORDER BY {} "
                                               "LIMIT ? OFFSET ?",
                                               kRunColumns, joins, where, order),
                                   filter_params, want, offset, page.runs));
  } else {
    // Runs that have the key, walked in the order of the (key, value, run_id) index so the first
    // page reads about a page of rows however many runs there are (CROSS JOIN keeps SQLite's
    // planner on that index; PostgreSQL treats it as an inner join).
    std::vector<SqlValue> params{key};
    params.insert(params.end(), filter_params.begin(), filter_params.end());
    KILN_RETURN_IF_ERROR(run_query(
        fmt::format("SELECT {} FROM {} o CROSS JOIN runs r{} WHERE r.id = o.run_id AND o.key = ? "
                    "AND {} ORDER BY o.value {}, o.run_id {} LIMIT ? OFFSET ?",
                    kRunColumns, key_table, joins, where, dir, dir),
        params, want, offset, page.runs));
    if (static_cast<int64_t>(page.runs.size()) < want) {
      // Then the runs without it, newest first (in either direction: they come last).
      int64_t with_key = offset + static_cast<int64_t>(page.runs.size());
      if (page.runs.empty() && offset > 0) {
        KILN_ASSIGN_OR_RETURN(
            SqlRows count,
            db_.Query(fmt::format("SELECT COUNT(*) FROM {} o CROSS JOIN runs r{} WHERE r.id = "
                                  "o.run_id AND o.key = ? AND {}",
                                  key_table, joins, where),
                      params));
        with_key = count.at(0).Int(0);
      }
      std::vector<SqlValue> rest = filter_params;
      rest.emplace_back(key);
      KILN_RETURN_IF_ERROR(run_query(
          fmt::format("SELECT {} FROM runs r{} WHERE {} AND NOT EXISTS (SELECT 1 FROM {} o WHERE "
                      "o.run_id = r.id AND o.key = ?) ORDER BY r.id DESC LIMIT ? OFFSET ?",
                      kRunColumns, joins, where, key_table),
          rest, want - static_cast<int64_t>(page.runs.size()),
          std::max<int64_t>(0, offset - with_key), page.runs));
    }
  }
  if (static_cast<int64_t>(page.runs.size()) > query.limit) {
    page.runs.resize(static_cast<size_t>(query.limit));
    page.next_page_token = NextPageToken(offset, query.limit);
  }
  KILN_RETURN_IF_ERROR(FillDetails(page.runs, /*artifacts=*/false));
  return page;
}

Status RunRepo::Delete(int64_t run_id) {
  return WriteTransaction(db_, [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(SqlRows rows,
                          db_.Query("SELECT status, pid, host FROM runs WHERE id = ?", {run_id}));
    if (rows.empty()) return core::NotFound("run {} not found in {}", run_id, db_.description());
    if (rows[0].Text(0) == kRunRunning) {
      return core::FailedPrecondition(
          "run {} is still running (pid {} on {}); wait for it to end or stop it, then delete it",
          run_id, rows[0].Int(1), rows[0].Text(2));
    }
    const std::string kind = kNodeRun;
    KILN_RETURN_IF_ERROR(db_.Execute("DELETE FROM lineage_edges WHERE (src_kind = ? AND src_id = "
                                     "?) OR (dst_kind = ? AND dst_id = ?)",
                                     {kind, run_id, kind, run_id})
                             .status());
    // Params, tags, metrics and artifact records go by ON DELETE CASCADE; model versions keep
    // their row with run_id set to NULL (ON DELETE SET NULL).
    return db_.Execute("DELETE FROM runs WHERE id = ?", {run_id}).status();
  });
}

Result<int64_t> RunRepo::MarkAbandoned(const std::string& host,
                                       const std::function<bool(int64_t, int64_t)>& alive) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        // The literal status matches the partial index runs_running.
                        db_.Query("SELECT id, pid, pid_start FROM runs WHERE status = 'running' "
                                  "AND host = ?",
                                  {host}));
  int64_t marked = 0;
  for (const SqlRow& row : rows) {
    if (alive(row.Int(1), row.Int(2))) continue;
    KILN_ASSIGN_OR_RETURN(
        int64_t changed,
        db_.Execute("UPDATE runs SET status = ?, end_ms = ?, message = ? WHERE id = ? AND "
                    "status = ?",
                    {std::string(kRunFailed), NowMs(),
                     fmt::format("the process (pid {} on {}) ended without finishing the run: "
                                 "it crashed or was killed",
                                 row.Int(1), host),
                     row.Int(0), std::string(kRunRunning)}));
    marked += changed;
  }
  return marked;
}

}  // namespace kiln::track
