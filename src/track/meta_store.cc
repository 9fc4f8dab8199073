#include "kiln/track/meta_store.h"

#include <random>

#include "migrations.h"
#include "transaction.h"

namespace kiln::track {

using core::Result;
using core::Status;

Result<StoreLocation> ParseStoreUri(const std::string& uri) {
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    return StoreLocation{Dialect::kPostgres, uri};
  }
  if (uri.find('=') != std::string::npos &&
      (uri.find("host=") != std::string::npos || uri.find("dbname=") != std::string::npos)) {
    return core::InvalidArgument(
        "store '{}' looks like a libpq keyword string; expected a URI: "
        "postgresql://user@host:port/db (or sqlite:PATH)",
        RedactPassword(uri));
  }
  std::string path = uri;
  if (path.starts_with("sqlite://")) {
    path = path.substr(9);
  } else if (path.starts_with("sqlite:")) {
    path = path.substr(7);
  } else if (path.find("://") != std::string::npos) {
    return core::InvalidArgument(
        "unsupported store URI '{}': expected postgresql://..., sqlite:PATH or a file path", uri);
  }
  if (path.empty()) {
    return core::InvalidArgument("empty store path in '{}': expected sqlite:PATH", uri);
  }
  return StoreLocation{Dialect::kSqlite, path};
}

std::string ResolveStoreUri(const std::string& flag, const std::string& env_store,
                            const std::string& kiln_home) {
  if (!flag.empty()) return flag;
  if (!env_store.empty()) return env_store;
  return kiln_home + "/kiln.db";
}

MetaStore::MetaStore(std::unique_ptr<SqlConnection> db)
    : db_(std::move(db)),
      projects_(*db_),
      runs_(*db_),
      datasets_(*db_),
      registry_(*db_),
      deployments_(*db_),
      traffic_(*db_),
      lineage_(*db_),
      pipelines_(*db_),
      schedules_(*db_) {}

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const std::string& uri) {
  KILN_ASSIGN_OR_RETURN(StoreLocation location, ParseStoreUri(uri));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> db, location.dialect == Dialect::kSqlite
                                                               ? OpenSqlite(location.target)
                                                               : OpenPostgres(location.target));
  return Open(std::move(db));
}

namespace {

// The store's id: read it, or make it (the first opener wins; everyone reads the winner's).
Result<std::string> StoreId(SqlConnection& db) {
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db.Query("SELECT store_id FROM kiln_store"));
  if (!rows.empty()) return rows[0].Text(0);
  std::random_device random;
  const std::string id = fmt::format("{:08x}{:08x}", random(), random());
  KILN_RETURN_IF_ERROR(db.Execute("INSERT INTO kiln_store (singleton, store_id, created_ms) "
                                  "VALUES (1, ?, ?) ON CONFLICT (singleton) DO NOTHING",
                                  {id, NowMs()})
                           .status());
  KILN_ASSIGN_OR_RETURN(rows, db.Query("SELECT store_id FROM kiln_store"));
  return rows.at(0).Text(0);
}

}  // namespace

Result<std::unique_ptr<MetaStore>> MetaStore::Open(std::unique_ptr<SqlConnection> db) {
  KILN_RETURN_IF_ERROR(Migrate(*db, BuiltinMigrations()));
  KILN_ASSIGN_OR_RETURN(std::string id, StoreId(*db));
  auto store = std::unique_ptr<MetaStore>(new MetaStore(std::move(db)));
  store->store_id_ = std::move(id);
  return store;
}

Result<std::unordered_set<std::string>> MetaStore::ReferencedArtifacts() {
  KILN_ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT artifact_uri FROM model_versions UNION "
                                                 "SELECT uri FROM run_artifacts UNION "
                                                 "SELECT uri FROM pipeline_artifacts"));
  std::unordered_set<std::string> out;
  for (const SqlRow& row : rows) out.insert(row.Text(0));
  return out;
}

}  // namespace kiln::track
