#include "kiln/track/deployment_repo.h"

#include "kiln/track/project_repo.h"
#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

constexpr const char* kSelect =
    "SELECT id, name, model_version_id, endpoint, status, created_ms, ended_ms FROM deployments ";

DeploymentRecord ToDeployment(const SqlRow& row) {
  DeploymentRecord d;
  d.id = row.Int(0);
  d.name = row.Text(1);
  d.model_version_id = row.Int(2);
  d.endpoint = row.Text(3);
  d.status = row.Text(4);
  d.created_ms = row.Int(5);
  if (!row.IsNull(6)) d.ended_ms = row.Int(6);
  return d;
}

}  // namespace

Result<DeploymentRecord> DeploymentRepo::Create(int64_t project_id, const std::string& name,
                                                int64_t model_version_id,
                                                const std::string& endpoint) {
  KILN_RETURN_IF_ERROR(ValidateName("deployment", name));
  int64_t id = 0;
  KILN_RETURN_IF_ERROR(WriteTransaction(db_, [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(
        SqlRows rows, db_.Query("SELECT id FROM model_versions WHERE id = ?", {model_version_id}));
    if (rows.empty()) return core::NotFound("model version id {} not found", model_version_id);
    KILN_ASSIGN_OR_RETURN(rows, db_.Query("INSERT INTO deployments (project_id, name, "
                                          "model_version_id, endpoint, status, created_ms) "
                                          "VALUES (?, ?, ?, ?, 'live', ?) RETURNING id",
                                          {project_id, name, model_version_id, endpoint, NowMs()}));
    id = rows.at(0).Int(0);
    return db_
        .Execute(
            "INSERT INTO lineage_edges (src_kind, src_id, dst_kind, dst_id, relation, "
            "created_ms) VALUES (?, ?, ?, ?, 'deployed_as', ?)",
            {std::string(kNodeModelVersion), model_version_id, std::string(kNodeDeployment), id,
             NowMs()})
        .status();
  }));
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query(std::string(kSelect) + "WHERE id = ?", {id}));
  return ToDeployment(rows.at(0));
}

Status DeploymentRepo::Stop(int64_t deployment_id) {
  KILN_ASSIGN_OR_RETURN(int64_t changed,
                        db_.Execute("UPDATE deployments SET status = 'stopped', ended_ms = ? "
                                    "WHERE id = ?",
                                    {NowMs(), deployment_id}));
  if (changed == 0) return core::NotFound("deployment {} not found", deployment_id);
  return Status::Ok();
}

Result<std::vector<DeploymentRecord>> DeploymentRepo::List(int64_t project_id) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query(std::string(kSelect) + "WHERE project_id = ? ORDER BY id DESC", {project_id}));
  std::vector<DeploymentRecord> out;
  for (const SqlRow& row : rows) out.push_back(ToDeployment(row));
  return out;
}

}  // namespace kiln::track
