// ProjectRepo: projects (namespaces such as `dev` and `prod`, default `default`) and the
// experiments inside them. Thread-compatible; works on the MetaStore's connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

inline constexpr const char* kDefaultProject = "default";
inline constexpr const char* kDefaultExperiment = "default";

// Project, experiment, model and alias names: 1-128 characters from [A-Za-z0-9._-], starting with
// a letter or digit. kInvalidArgument naming `what` and the rule otherwise.
core::Status ValidateName(std::string_view what, std::string_view name);

class ProjectRepo {
 public:
  explicit ProjectRepo(SqlConnection& db) : db_(db) {}

  // The project, created if missing.
  core::Result<ProjectRecord> Ensure(const std::string& name);
  // kNotFound listing the projects that exist.
  core::Result<ProjectRecord> Find(const std::string& name);
  core::Result<std::vector<ProjectRecord>> List();

  core::Result<ExperimentRecord> EnsureExperiment(int64_t project_id, const std::string& name);
  core::Result<std::optional<ExperimentRecord>> FindExperiment(int64_t project_id,
                                                               const std::string& name);
  core::Result<std::vector<ExperimentRecord>> ListExperiments(int64_t project_id);

 private:
  SqlConnection& db_;
};

}  // namespace kiln::track
