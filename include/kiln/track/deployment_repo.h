// DeploymentRepo: where model versions are served. Filled in by `kiln serve`; a live deployment
// keeps its model version from being deleted. Creating one records the lineage edge
// model_version -> deployment. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

class DeploymentRepo {
 public:
  explicit DeploymentRepo(SqlConnection& db) : db_(db) {}

  core::Result<DeploymentRecord> Create(int64_t project_id, const std::string& name,
                                        int64_t model_version_id, const std::string& endpoint);
  // Marks the deployment stopped (its model version may then be deleted).
  core::Status Stop(int64_t deployment_id);
  core::Result<std::vector<DeploymentRecord>> List(int64_t project_id);

 private:
  SqlConnection& db_;
};

}  // namespace kiln::track
