#include "kiln/track/project_repo.h"

#include <cctype>

#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

Status ValidateName(std::string_view what, std::string_view name) {
  auto ok_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  };
  bool valid =
      !name.empty() && name.size() <= 128 && std::isalnum(static_cast<unsigned char>(name[0])) != 0;
  for (char c : name) valid = valid && ok_char(c);
  if (valid) return Status::Ok();
  return core::InvalidArgument(
      "invalid {} name '{}': expected 1-128 characters from letters, digits, '.', '_' and '-', "
      "starting with a letter or digit",
      what, name);
}

namespace {

ProjectRecord ToProject(const SqlRow& row) { return {row.Int(0), row.Text(1), row.Int(2)}; }
ExperimentRecord ToExperiment(const SqlRow& row) {
  return {row.Int(0), row.Int(1), row.Text(2), row.Int(3)};
}

}  // namespace

Result<ProjectRecord> ProjectRepo::Ensure(const std::string& name) {
  KILN_RETURN_IF_ERROR(ValidateName("project", name));
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows, db_.Query("SELECT id, name, created_ms FROM projects WHERE name = ?", {name}));
  if (!rows.empty()) return ToProject(rows[0]);
  KILN_RETURN_IF_ERROR(db_.Execute("INSERT INTO projects (name, created_ms) VALUES (?, ?) "
                                   "ON CONFLICT (name) DO NOTHING",
                                   {name, NowMs()})
                           .status());
  KILN_ASSIGN_OR_RETURN(
      rows, db_.Query("SELECT id, name, created_ms FROM projects WHERE name = ?", {name}));
  return ToProject(rows.at(0));
}

Result<ProjectRecord> ProjectRepo::Find(const std::string& name) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows, db_.Query("SELECT id, name, created_ms FROM projects WHERE name = ?", {name}));
  if (!rows.empty()) return ToProject(rows[0]);
  KILN_ASSIGN_OR_RETURN(std::vector<ProjectRecord> all, List());
  std::string names;
  for (const ProjectRecord& p : all) names += (names.empty() ? "" : ", ") + p.name;
  return core::NotFound("no project '{}' in {} (projects: {})", name, db_.description(),
                        names.empty() ? "none yet" : names);
}

Result<std::vector<ProjectRecord>> ProjectRepo::List() {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query("SELECT id, name, created_ms FROM projects ORDER BY name"));
  std::vector<ProjectRecord> out;
  for (const SqlRow& row : rows) out.push_back(ToProject(row));
  return out;
}

Result<ExperimentRecord> ProjectRepo::EnsureExperiment(int64_t project_id,
                                                       const std::string& name) {
  KILN_RETURN_IF_ERROR(ValidateName("experiment", name));
  KILN_ASSIGN_OR_RETURN(std::optional<ExperimentRecord> found, FindExperiment(project_id, name));
  if (found) return *found;
  KILN_RETURN_IF_ERROR(db_.Execute("INSERT INTO experiments (project_id, name, created_ms) "
                                   "VALUES (?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING",
                                   {project_id, name, NowMs()})
                           .status());
  KILN_ASSIGN_OR_RETURN(found, FindExperiment(project_id, name));
  return found.value();
}

Result<std::optional<ExperimentRecord>> ProjectRepo::FindExperiment(int64_t project_id,
                                                                    const std::string& name) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query("SELECT id, project_id, name, created_ms FROM "
                                                "experiments WHERE project_id = ? AND name = ?",
                                                {project_id, name}));
  if (rows.empty()) return std::optional<ExperimentRecord>();
  return std::optional<ExperimentRecord>(ToExperiment(rows[0]));
}

Result<std::vector<ExperimentRecord>> ProjectRepo::ListExperiments(int64_t project_id) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query("SELECT id, project_id, name, created_ms FROM "
                                                "experiments WHERE project_id = ? ORDER BY name",
                                                {project_id}));
  std::vector<ExperimentRecord> out;
  for (const SqlRow& row : rows) out.push_back(ToExperiment(row));
  return out;
}

}  // namespace kiln::track
