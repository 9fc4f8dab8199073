// MetaStore: Kiln's record of projects, runs, datasets, models, deployments and lineage, in one
// SQL database chosen by URI. It owns the connection, brings the schema up to date when opened,
// and hands out one repository per aggregate. Thread-compatible: open one per thread/process.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>

#include "kiln/core/result.h"
#include "kiln/track/dataset_repo.h"
#include "kiln/track/deployment_repo.h"
#include "kiln/track/lineage_repo.h"
#include "kiln/track/model_registry.h"
#include "kiln/track/pipeline_repo.h"
#include "kiln/track/project_repo.h"
#include "kiln/track/run_repo.h"
#include "kiln/track/schedule_repo.h"
#include "kiln/track/sql_connection.h"
#include "kiln/track/traffic_repo.h"

namespace kiln::track {

// Where a store lives. Accepted URIs: "postgresql://..." or "postgres://..." (libpq URI),
// "sqlite:PATH", "sqlite://PATH" or a plain file path (SQLite).
struct StoreLocation {
  Dialect dialect = Dialect::kSqlite;
  std::string target;  // file path or libpq URI
};
core::Result<StoreLocation> ParseStoreUri(const std::string& uri);

// The store a command uses: `flag` (--store) if set, else `env_store` ($KILN_STORE) if set, else
// `kiln_home`/kiln.db.
std::string ResolveStoreUri(const std::string& flag, const std::string& env_store,
                            const std::string& kiln_home);

class MetaStore {
 public:
  // Opens (creating a SQLite file if missing) and migrates the schema.
  static core::Result<std::unique_ptr<MetaStore>> Open(const std::string& uri);
  // Opens over an existing connection (tests) and migrates the schema.
  static core::Result<std::unique_ptr<MetaStore>> Open(std::unique_ptr<SqlConnection> db);

  SqlConnection& sql() { return *db_; }
  // This store's random identity, made when it was created (artifacts live under
  // $KILN_HOME/artifacts/<store_id>).
  const std::string& store_id() const { return store_id_; }
  const std::string& description() const { return db_->description(); }
  ProjectRepo& projects() { return projects_; }
  RunRepo& runs() { return runs_; }
  DatasetRepo& datasets() { return datasets_; }
  ModelRegistry& registry() { return registry_; }
  DeploymentRepo& deployments() { return deployments_; }
  TrafficRepo& traffic() { return traffic_; }
  LineageRepo& lineage() { return lineage_; }
  PipelineRepo& pipelines() { return pipelines_; }
  ScheduleRepo& schedules() { return schedules_; }

  // Every artifact URI a record points at (model versions, run artifacts, pipeline step
  // outputs): what GC must keep.
  core::Result<std::unordered_set<std::string>> ReferencedArtifacts();

 private:
  explicit MetaStore(std::unique_ptr<SqlConnection> db);
  std::unique_ptr<SqlConnection> db_;
  std::string store_id_;
  ProjectRepo projects_;
  RunRepo runs_;
  DatasetRepo datasets_;
  ModelRegistry registry_;
  DeploymentRepo deployments_;
  TrafficRepo traffic_;
  LineageRepo lineage_;
  PipelineRepo pipelines_;
  ScheduleRepo schedules_;
};

}  // namespace kiln::track
