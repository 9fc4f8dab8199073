#include "kiln/track/pipeline_repo.h"

#include <fmt/format.h>

#include "kiln/track/run_repo.h"
#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

constexpr const char* kStepColumns =
    "id, pipeline_run_id, step, component, component_version, cache_key, status, attempts, "
    "start_ms, end_ms, message, cached_from, run_id";

std::optional<int64_t> OptionalInt(const SqlRow& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return row.Int(i);
}

SqlValue OptionalValue(const std::optional<int64_t>& v) {
  if (!v) return std::monostate{};
  return *v;
}

PipelineStepRecord ToStep(const SqlRow& row) {
  PipelineStepRecord s;
  s.id = row.Int(0);
  s.pipeline_run_id = row.Int(1);
  s.step = row.Text(2);
  s.component = row.Text(3);
  s.component_version = row.Int(4);
  s.cache_key = row.Text(5);
  s.status = row.Text(6);
  s.attempts = row.Int(7);
  s.start_ms = OptionalInt(row, 8);
  s.end_ms = OptionalInt(row, 9);
  s.message = row.Text(10);
  s.cached_from = OptionalInt(row, 11);
  s.run_id = OptionalInt(row, 12);
  return s;
}

Status Update(SqlConnection& db, int64_t step_id, const StepUpdate& u) {
  KILN_ASSIGN_OR_RETURN(
      int64_t changed,
      db.Execute(
          "UPDATE pipeline_steps SET status = ?, cache_key = COALESCE(NULLIF(?, ''), "
          "cache_key), attempts = ?, start_ms = COALESCE(?, start_ms), end_ms = ?, "
          "message = ?, cached_from = COALESCE(?, cached_from), run_id = COALESCE(?, "
          "run_id) WHERE id = ?",
          {u.status, u.cache_key, u.attempts, OptionalValue(u.start_ms), OptionalValue(u.end_ms),
           u.message, OptionalValue(u.cached_from), OptionalValue(u.run_id), step_id}));
  if (changed == 0) return core::NotFound("pipeline step {} not found", step_id);
  return Status::Ok();
}

}  // namespace

Status PipelineRepo::CreateRun(const NewPipelineRun& run) {
  return db_
      .Execute(
          "INSERT INTO pipeline_runs (run_id, pipeline, spec_path, spec_text, spec_hash, "
          "params_json, resumed_from, schedule_id, scheduled_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
          "?)",
          {run.run_id, run.pipeline, run.spec_path, run.spec_text, run.spec_hash, run.params_json,
           OptionalValue(run.resumed_from), OptionalValue(run.schedule_id),
           OptionalValue(run.scheduled_ms)})
      .status();
}

Result<std::vector<int64_t>> PipelineRepo::AddSteps(int64_t pipeline_run_id,
                                                    const std::vector<PipelineStepRecord>& steps) {
  std::vector<int64_t> ids;
  KILN_RETURN_IF_ERROR(WriteTransaction(db_, [&]() -> Status {
    ids.clear();
    for (const PipelineStepRecord& s : steps) {
      KILN_ASSIGN_OR_RETURN(
          SqlRows rows,
          db_.Query("INSERT INTO pipeline_steps (pipeline_run_id, step, component, "
                    "component_version, cache_key, status) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    {pipeline_run_id, s.step, s.component, s.component_version, s.cache_key,
                     s.status.empty() ? std::string(kStepPending) : s.status}));
      ids.push_back(rows.at(0).Int(0));
    }
    return Status::Ok();
  }));
  return ids;
}

Status PipelineRepo::UpdateStep(int64_t step_id, const StepUpdate& update) {
  return Update(db_, step_id, update);
}

Status PipelineRepo::FinishStep(int64_t step_id, const StepUpdate& update,
                                const std::vector<PipelineArtifactRecord>& artifacts) {
  return WriteTransaction(db_, [&]() -> Status {
    KILN_RETURN_IF_ERROR(Update(db_, step_id, update));
    for (const PipelineArtifactRecord& a : artifacts) {
      KILN_RETURN_IF_ERROR(
          db_.Execute("INSERT INTO pipeline_artifacts (step_id, port, type, uri, size_bytes, "
                      "summary_json) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (step_id, port) DO "
                      "UPDATE SET type = excluded.type, uri = excluded.uri, size_bytes = "
                      "excluded.size_bytes, summary_json = excluded.summary_json",
                      {step_id, a.port, a.type, a.uri, a.size_bytes, a.summary_json})
              .status());
    }
    return Status::Ok();
  });
}

Status PipelineRepo::FillArtifacts(PipelineStepRecord& step) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query("SELECT port, type, uri, size_bytes, summary_json FROM "
                                  "pipeline_artifacts WHERE step_id = ? ORDER BY port",
                                  {step.id}));
  step.artifacts.clear();
  for (const SqlRow& r : rows)
    step.artifacts.push_back({r.Text(0), r.Text(1), r.Text(2), r.Int(3), r.Text(4)});
  return Status::Ok();
}

Result<std::optional<PipelineStepRecord>> PipelineRepo::FindCached(int64_t project_id,
                                                                   const std::string& cache_key) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query("SELECT s.id, s.pipeline_run_id, s.step, s.component, s.component_version, "
                "s.cache_key, s.status, s.attempts, s.start_ms, s.end_ms, s.message, "
                "s.cached_from, s.run_id FROM pipeline_steps s JOIN runs r ON r.id = "
                "s.pipeline_run_id JOIN experiments e ON e.id = r.experiment_id WHERE "
                "s.cache_key = ? AND s.status = 'finished' AND e.project_id = ? ORDER BY s.id DESC "
                "LIMIT 1",  // the literal lets SQLite use the partial index
                {cache_key, project_id}));
  if (rows.empty()) return std::optional<PipelineStepRecord>();
  PipelineStepRecord step = ToStep(rows[0]);
  KILN_RETURN_IF_ERROR(FillArtifacts(step));
  return std::optional<PipelineStepRecord>(std::move(step));
}

Result<PipelineStepRecord> PipelineRepo::GetStep(int64_t step_id) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query(fmt::format("SELECT {} FROM pipeline_steps WHERE id = ?", kStepColumns),
                {step_id}));
  if (rows.empty()) return core::NotFound("pipeline step {} not found", step_id);
  PipelineStepRecord step = ToStep(rows[0]);
  KILN_RETURN_IF_ERROR(FillArtifacts(step));
  return step;
}

Result<std::vector<PipelineStepRecord>> PipelineRepo::Steps(int64_t pipeline_run_id) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query(fmt::format("SELECT {} FROM pipeline_steps WHERE pipeline_run_id = ? ORDER BY id",
                            kStepColumns),
                {pipeline_run_id}));
  std::vector<PipelineStepRecord> steps;
  for (const SqlRow& r : rows) {
    steps.push_back(ToStep(r));
    KILN_RETURN_IF_ERROR(FillArtifacts(steps.back()));
  }
  return steps;
}

Result<PipelineRunRecord> PipelineRepo::Get(int64_t run_id) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query("SELECT pipeline, spec_path, spec_text, spec_hash, params_json, "
                                  "resumed_from, schedule_id, scheduled_ms FROM pipeline_runs "
                                  "WHERE run_id = ?",
                                  {run_id}));
  if (rows.empty())
    return core::NotFound("run {} is not a pipeline run (see kiln pipelines runs)", run_id);
  PipelineRunRecord out;
  KILN_ASSIGN_OR_RETURN(out.run, RunRepo(db_).Get(run_id));
  const SqlRow& r = rows[0];
  out.pipeline = r.Text(0);
  out.spec_path = r.Text(1);
  out.spec_text = r.Text(2);
  out.spec_hash = r.Text(3);
  out.params_json = r.Text(4);
  out.resumed_from = OptionalInt(r, 5);
  out.schedule_id = OptionalInt(r, 6);
  out.scheduled_ms = OptionalInt(r, 7);
  KILN_ASSIGN_OR_RETURN(out.steps, Steps(run_id));
  return out;
}

Result<std::vector<PipelineRunRecord>> PipelineRepo::List(int64_t project_id,
                                                          const std::string& pipeline,
                                                          int64_t limit) {
  std::string sql =
      "SELECT pr.run_id FROM pipeline_runs pr JOIN runs r ON r.id = pr.run_id JOIN experiments e "
      "ON e.id = r.experiment_id WHERE e.project_id = ?";
  std::vector<SqlValue> params{project_id};
  if (!pipeline.empty()) {
    sql += " AND pr.pipeline = ?";
    params.emplace_back(pipeline);
  }
  sql += " ORDER BY pr.run_id DESC LIMIT ?";
  params.emplace_back(limit);
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query(sql, params));
  std::vector<PipelineRunRecord> out;
  for (const SqlRow& row : rows) {
    KILN_ASSIGN_OR_RETURN(PipelineRunRecord record, Get(row.Int(0)));
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace kiln::track
