// RegistrySource: models from the MetaStore's registry. Each spec is "NAME" (its latest
// version), "NAME@ALIAS" (the version the alias points at) or "NAME/V"; several specs of one
// model serve several versions, the first spec's version taking unlabelled traffic. Polling
// re-resolves the specs, so moving an alias or registering a new version hot-reloads.
//
// As the admin API's repository (ResolveModel), any registered model of the project can be
// loaded by name: a version, an alias, or by default what the specs name of it (else its latest
// version).
//
// Each version that goes live is recorded as a deployment (status live, lineage model_version ->
// deployment) and stopped when it leaves or the server shuts down, so a served version cannot be
// deleted under the server.
// Thread-compatible (the server polls from one thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/serve/model_source.h"
#include "kiln/track/artifact_store.h"
#include "kiln/track/meta_store.h"

namespace kiln::serve {

struct ModelSpec {
  std::string name;
  std::string alias;  // "" = latest unless version is set
  int64_t version = 0;
  std::string text;  // as the user wrote it
};

// Parses "NAME", "NAME@ALIAS" or "NAME/V"; errors quote the spec and the expected forms.
core::Result<ModelSpec> ParseModelSpec(const std::string& text);

class RegistrySource final : public ModelSource {
 public:
  // `store` (borrowed: only this source uses it while the server runs) and `artifacts` belong to
  // the store of `project_id`; deployments record the endpoint http://`host`:PORT.
  RegistrySource(track::MetaStore& store, track::ArtifactStore artifacts, int64_t project_id,
                 std::vector<ModelSpec> specs, std::string host);

  core::Result<std::vector<AspiredModel>> Poll() override;
  core::Result<AspiredModel> ResolveModel(const std::string& name,
                                          const ModelSelector& selector) override;
  void OnListening(int port) override;
  void OnLive(const std::vector<ModelState>& live) override;
  void OnShutdown() override;
  std::string Describe() const override;

 private:
  // The models `specs` name, with their traffic routes.
  core::Result<std::vector<AspiredModel>> Aspire(const std::vector<ModelSpec>& specs);

  track::MetaStore& store_;
  track::ArtifactStore artifacts_;
  int64_t project_id_;
  std::vector<ModelSpec> specs_;
  std::string host_;
  std::string endpoint_;
  // "model/version" -> the registry id and source text of each version this source has named
  // (a version loaded from a file under the same name is not a deployment of it), and live
  // deployments.
  struct Named {
    int64_t id = 0;
    std::string source;
  };
  std::map<std::string, Named> version_ids_;
  std::map<std::string, int64_t> deployments_;
};

}  // namespace kiln::serve
