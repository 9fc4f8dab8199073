#include "kiln/track/model_registry.h"

#include <charconv>

#include "kiln/track/project_repo.h"
#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

namespace {

constexpr const char* kVersionSelect =
    "SELECT v.id, v.model_id, m.name, v.version, v.run_id, v.algorithm, v.artifact_uri, "
    "v.metrics_json, v.created_ms FROM model_versions v JOIN models m ON m.id = v.model_id ";

constexpr const char* kModelSelect =
    "SELECT m.id, p.name, m.name, m.description, m.created_ms, m.updated_ms, (SELECT "
    "MAX(version) FROM model_versions v WHERE v.model_id = m.id) FROM models m JOIN projects p "
    "ON p.id = m.project_id ";

ModelVersionRecord ToVersion(const SqlRow& row) {
  ModelVersionRecord v;
  v.id = row.Int(0);
  v.model_id = row.Int(1);
  v.model = row.Text(2);
  v.version = row.Int(3);
  if (!row.IsNull(4)) v.run_id = row.Int(4);
  v.algorithm = row.Text(5);
  v.artifact_uri = row.Text(6);
  v.metrics_json = row.Text(7);
  v.created_ms = row.Int(8);
  return v;
}

}  // namespace

Status ValidateAlias(std::string_view alias) {
  bool valid = !alias.empty() && alias.size() <= 64 && alias[0] >= 'a' && alias[0] <= 'z';
  for (char c : alias) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (valid && alias != "latest") return Status::Ok();
  return core::InvalidArgument(
      "invalid alias '{}': expected 1-64 characters from lowercase letters, digits, '_' and '-', "
      "starting with a letter ('latest' is reserved)",
      alias);
}

Result<int64_t> ModelRegistry::ModelId(int64_t project_id, const std::string& name) {
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query("SELECT id FROM models WHERE project_id = ? AND name = ?", {project_id, name}));
  if (rows.empty()) {
    return core::NotFound("no registered model '{}' (see `kiln models list`)", name);
  }
  return rows[0].Int(0);
}

Result<ModelVersionRecord> ModelRegistry::CreateVersion(int64_t project_id, const std::string& name,
                                                        const NewModelVersion& version) {
  KILN_RETURN_IF_ERROR(ValidateName("model", name));
  if (version.artifact_uri.empty()) {
    return core::InvalidArgument("model version of '{}' has no artifact URI", name);
  }
  int64_t id = 0;
  KILN_RETURN_IF_ERROR(WriteTransaction(db_, [&]() -> Status {
    const int64_t now = NowMs();
    KILN_RETURN_IF_ERROR(db_.Execute("INSERT INTO models (project_id, name, created_ms, "
                                     "updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, "
                                     "name) DO UPDATE SET updated_ms = excluded.updated_ms",
                                     {project_id, name, now, now})
                             .status());
    KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelId(project_id, name));
    // Bumping the model's counter takes its row lock (PostgreSQL) inside the write transaction
    // (SQLite), so concurrent registrations get consecutive numbers, never a deleted one.
    KILN_ASSIGN_OR_RETURN(SqlRows next,
                          db_.Query("UPDATE models SET last_version = last_version + 1 WHERE id "
                                    "= ? RETURNING last_version",
                                    {model_id}));
    SqlValue run = std::monostate{};
    if (version.run_id) run = *version.run_id;
    KILN_ASSIGN_OR_RETURN(
        SqlRows rows,
        db_.Query("INSERT INTO model_versions (model_id, version, run_id, algorithm, "
                  "artifact_uri, metrics_json, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
                  "RETURNING id",
                  {model_id, next.at(0).Int(0), run, version.algorithm, version.artifact_uri,
                   version.metrics_json, now}));
    id = rows.at(0).Int(0);
    return Status::Ok();
  }));
  return GetVersion(id);
}

Status ModelRegistry::FillAliases(std::vector<ModelVersionRecord>& versions) {
  for (ModelVersionRecord& v : versions) {
    KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query("SELECT alias FROM model_aliases WHERE "
                                                  "version_id = ? ORDER BY alias",
                                                  {v.id}));
    v.aliases.clear();
    for (const SqlRow& row : rows) v.aliases.push_back(row.Text(0));
  }
  return Status::Ok();
}

Result<ModelVersionRecord> ModelRegistry::GetVersion(int64_t version_id) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query(std::string(kVersionSelect) + "WHERE v.id = ?", {version_id}));
  if (rows.empty()) return core::NotFound("model version id {} not found", version_id);
  std::vector<ModelVersionRecord> out{ToVersion(rows[0])};
  KILN_RETURN_IF_ERROR(FillAliases(out));
  return out[0];
}

Result<ModelVersionRecord> ModelRegistry::Resolve(int64_t project_id, std::string_view reference) {
  const size_t at = reference.find('@');
  const size_t slash = reference.rfind('/');
  std::string name(reference.substr(0, std::min(at, slash)));
  KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelId(project_id, name));
  SqlRows rows;
  if (at != std::string_view::npos) {
    const std::string alias(reference.substr(at + 1));
    KILN_ASSIGN_OR_RETURN(
        rows, db_.Query(std::string(kVersionSelect) + "JOIN model_aliases a ON a.version_id = v.id "
                                                      "WHERE a.model_id = ? AND a.alias = ?",
                        {model_id, alias}));
    if (rows.empty()) return core::NotFound("model '{}' has no alias '{}'", name, alias);
  } else if (slash != std::string_view::npos) {
    const std::string_view text = reference.substr(slash + 1);
    int64_t version = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc() || ptr != text.data() + text.size() || version <= 0) {
      return core::InvalidArgument(
          "invalid model reference '{}': expected NAME, NAME/VERSION (a positive number) or "
          "NAME@ALIAS",
          reference);
    }
    KILN_ASSIGN_OR_RETURN(
        rows, db_.Query(std::string(kVersionSelect) + "WHERE v.model_id = ? AND v.version = ?",
                        {model_id, version}));
    if (rows.empty()) return core::NotFound("model '{}' has no version {}", name, version);
  } else {
    KILN_ASSIGN_OR_RETURN(rows, db_.Query(std::string(kVersionSelect) +
                                              "WHERE v.model_id = ? ORDER BY v.version DESC "
                                              "LIMIT 1",
                                          {model_id}));
    if (rows.empty()) return core::NotFound("model '{}' has no versions left", name);
  }
  std::vector<ModelVersionRecord> out{ToVersion(rows[0])};
  KILN_RETURN_IF_ERROR(FillAliases(out));
  return out[0];
}

Result<std::vector<ModelVersionRecord>> ModelRegistry::FindByArtifact(const std::string& uri) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_.Query(std::string(kVersionSelect) +
                                                    "WHERE v.artifact_uri = ? ORDER BY v.id DESC",
                                                {uri}));
  std::vector<ModelVersionRecord> out;
  for (const SqlRow& row : rows) out.push_back(ToVersion(row));
  KILN_RETURN_IF_ERROR(FillAliases(out));
  return out;
}

Result<ModelRegistry::ModelPage> ModelRegistry::List(int64_t project_id, const PageRequest& page,
                                                     const std::string& alias) {
  KILN_ASSIGN_OR_RETURN(int64_t offset, PageOffset(page));
  const char* dir = page.descending ? "DESC" : "ASC";
  std::string order;
  if (page.order_by.empty() || page.order_by == "name") {
    order = fmt::format("m.name {}", dir);
  } else if (page.order_by == "updated") {
    order = fmt::format("m.updated_ms {}, m.name", dir);
  } else if (page.order_by == "created") {
    order = fmt::format("m.created_ms {}, m.name", dir);
  } else {
    return core::InvalidArgument(
        "invalid --order-by '{}' for models: expected name, updated or "
        "created",
        page.order_by);
  }
  std::vector<SqlValue> params;
  params.reserve(4);
  params.emplace_back(project_id);
  std::string where = "m.project_id = ?";
  if (!alias.empty()) {
    where += " AND EXISTS (SELECT 1 FROM model_aliases a WHERE a.model_id = m.id AND a.alias = ?)";
    params.emplace_back(alias);
  }
  params.emplace_back(page.limit + 1);
  params.emplace_back(offset);
  KILN_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_.Query(fmt::format("{}WHERE {} ORDER BY {} LIMIT ? OFFSET ?", kModelSelect, where, order),
                params));
  ModelPage out;
  for (const SqlRow& row : rows) {
    if (static_cast<int64_t>(out.models.size()) == page.limit) {
      out.next_page_token = NextPageToken(offset, page.limit);
      break;
    }
    KILN_ASSIGN_OR_RETURN(ModelRecord m, ToModel(row));
    out.models.push_back(std::move(m));
  }
  return out;
}

Result<ModelRecord> ModelRegistry::Get(int64_t project_id, const std::string& name) {
  KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelId(project_id, name));
  KILN_ASSIGN_OR_RETURN(SqlRows rows,
                        db_.Query(std::string(kModelSelect) + "WHERE m.id = ?", {model_id}));
  if (rows.empty()) return core::NotFound("no registered model '{}'", name);
  KILN_ASSIGN_OR_RETURN(ModelRecord model, ToModel(rows[0]));
  KILN_ASSIGN_OR_RETURN(
      rows, db_.Query(std::string(kVersionSelect) + "WHERE v.model_id = ? ORDER BY v.version",
                      {model_id}));
  for (const SqlRow& row : rows) model.versions.push_back(ToVersion(row));
  KILN_RETURN_IF_ERROR(FillAliases(model.versions));
  return model;
}

Result<ModelRecord> ModelRegistry::ToModel(const SqlRow& row) {
  ModelRecord m;
  m.id = row.Int(0);
  m.project = row.Text(1);
  m.name = row.Text(2);
  m.description = row.Text(3);
  m.created_ms = row.Int(4);
  m.updated_ms = row.Int(5);
  m.latest_version = row.Int(6);
  KILN_ASSIGN_OR_RETURN(SqlRows aliases,
                        db_.Query("SELECT a.alias, v.version FROM model_aliases a JOIN "
                                  "model_versions v ON v.id = a.version_id WHERE a.model_id = ?",
                                  {m.id}));
  for (const SqlRow& a : aliases) m.aliases[a.Text(0)] = a.Int(1);
  return m;
}

Status ModelRegistry::SetAlias(int64_t project_id, const std::string& name,
                               const std::string& alias, int64_t version) {
  KILN_RETURN_IF_ERROR(ValidateAlias(alias));
  return WriteTransaction(db_, [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(ModelVersionRecord target,
                          Resolve(project_id, fmt::format("{}/{}", name, version)));
    return db_
        .Execute(
            "INSERT INTO model_aliases (model_id, alias, version_id, updated_ms) VALUES "
            "(?, ?, ?, ?) ON CONFLICT (model_id, alias) DO UPDATE SET version_id = "
            "excluded.version_id, updated_ms = excluded.updated_ms",
            {target.model_id, alias, target.id, NowMs()})
        .status();
  });
}

Status ModelRegistry::RemoveAlias(int64_t project_id, const std::string& name,
                                  const std::string& alias) {
  KILN_ASSIGN_OR_RETURN(int64_t model_id, ModelId(project_id, name));
  KILN_ASSIGN_OR_RETURN(
      int64_t changed,
      db_.Execute("DELETE FROM model_aliases WHERE model_id = ? AND alias = ?", {model_id, alias}));
  if (changed == 0) return core::NotFound("model '{}' has no alias '{}'", name, alias);
  return Status::Ok();
}

Status ModelRegistry::DeleteVersionRow(int64_t version_id, const std::string& label) {
  KILN_ASSIGN_OR_RETURN(SqlRows live, db_.Query("SELECT name, endpoint FROM deployments WHERE "
                                                "model_version_id = ? AND status = 'live'",
                                                {version_id}));
  if (!live.empty()) {
    return Status(core::StatusCode::kFailedPrecondition,
                  fmt::format("cannot delete model {}: deployment '{}' ({}) serves it; stop the "
                              "deployment first",
                              label, live[0].Text(0), live[0].Text(1)));
  }
  const std::string kind = kNodeModelVersion;
  KILN_RETURN_IF_ERROR(db_.Execute("DELETE FROM lineage_edges WHERE (src_kind = ? AND src_id = ?) "
                                   "OR (dst_kind = ? AND dst_id = ?)",
                                   {kind, version_id, kind, version_id})
                           .status());
  KILN_RETURN_IF_ERROR(
      db_.Execute("DELETE FROM model_aliases WHERE version_id = ?", {version_id}).status());
  // Stopped deployments of the version go with it (their rows point at the version).
  KILN_RETURN_IF_ERROR(
      db_.Execute("DELETE FROM deployments WHERE model_version_id = ?", {version_id}).status());
  return db_.Execute("DELETE FROM model_versions WHERE id = ?", {version_id}).status();
}

Status ModelRegistry::DeleteVersion(int64_t project_id, const std::string& name, int64_t version) {
  KILN_ASSIGN_OR_RETURN(ModelVersionRecord target,
                        Resolve(project_id, fmt::format("{}/{}", name, version)));
  return WriteTransaction(
      db_, [&] { return DeleteVersionRow(target.id, fmt::format("{}/{}", name, version)); });
}

Status ModelRegistry::DeleteModel(int64_t project_id, const std::string& name) {
  return WriteTransaction(db_, [&]() -> Status {
    KILN_ASSIGN_OR_RETURN(ModelRecord model, Get(project_id, name));
    for (const ModelVersionRecord& v : model.versions) {
      KILN_RETURN_IF_ERROR(DeleteVersionRow(v.id, fmt::format("{}/{}", name, v.version)));
    }
    return db_.Execute("DELETE FROM models WHERE id = ?", {model.id}).status();
  });
}

}  // namespace kiln::track
