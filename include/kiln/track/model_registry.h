// ModelRegistry: registered models, their numbered versions and aliases (`production`,
// `staging`, any name) that point at one version each. A model reference is "NAME" (the latest
// version), "NAME/3" (version 3) or "NAME@production" (the version an alias points at).
// Thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/page.h"
#include "kiln/track/records.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

// Alias names: 1-64 characters from [a-z0-9_-], starting with a letter; "latest" is reserved.
core::Status ValidateAlias(std::string_view alias);

class ModelRegistry {
 public:
  explicit ModelRegistry(SqlConnection& db) : db_(db) {}

  // Registers a new version of `name` (creating the model): version = previous highest + 1.
  core::Result<ModelVersionRecord> CreateVersion(int64_t project_id, const std::string& name,
                                                 const NewModelVersion& version);
  // Resolves "NAME", "NAME/V" or "NAME@ALIAS"; kNotFound says which part was not found.
  core::Result<ModelVersionRecord> Resolve(int64_t project_id, std::string_view reference);
  core::Result<ModelVersionRecord> GetVersion(int64_t version_id);
  // Versions whose artifact is `uri` (a model file registered twice shares one blob).
  core::Result<std::vector<ModelVersionRecord>> FindByArtifact(const std::string& uri);

  // A page of models: order_by "name" (default, ascending unless descending), "updated" or
  // "created"; `alias` keeps only models that have that alias ("" = all).
  struct ModelPage {
    std::vector<ModelRecord> models;
    std::string next_page_token;
  };
  core::Result<ModelPage> List(int64_t project_id, const PageRequest& page,
                               const std::string& alias = {});
  // The model with all its versions and aliases.
  core::Result<ModelRecord> Get(int64_t project_id, const std::string& name);

  // Points `alias` at `version` (moving it if it pointed elsewhere).
  core::Status SetAlias(int64_t project_id, const std::string& name, const std::string& alias,
                        int64_t version);
  core::Status RemoveAlias(int64_t project_id, const std::string& name, const std::string& alias);

  // Deletes a version (and aliases pointing at it, and its lineage edges);
  // kFailedPrecondition if a live deployment serves it.
  core::Status DeleteVersion(int64_t project_id, const std::string& name, int64_t version);
  // Deletes the model and every version; kFailedPrecondition if any version is deployed.
  core::Status DeleteModel(int64_t project_id, const std::string& name);

  // The model's id; kNotFound pointing at `kiln models list`.
  core::Result<int64_t> ModelId(int64_t project_id, const std::string& name);

 private:
  core::Status DeleteVersionRow(int64_t version_id, const std::string& label);
  core::Status FillAliases(std::vector<ModelVersionRecord>& versions);
  // A row of kModelSelect with the model's aliases.
  core::Result<ModelRecord> ToModel(const SqlRow& row);
  SqlConnection& db_;
};

}  // namespace kiln::track
