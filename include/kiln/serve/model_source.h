// ModelSource: says which model versions should be live. The server polls it (at start and then
// every few seconds) and hands the answer to ServableManager::Apply; a moved alias or a new
// version directory therefore becomes a hot reload. It is also the repository the admin API
// loads a model from by name (ResolveModel; model_control.h).
//
// Thread-compatible: the server calls a source from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/servable_manager.h"

namespace kiln::serve {

// What an explicit load asks the repository for; both empty = what the source itself would serve
// of the model.
struct ModelSelector {
  std::optional<int64_t> version;  // that version only
  std::string alias;               // the version an alias (registry) or label (config.json) names
  bool empty() const { return !version && alias.empty(); }
};

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  // The complete set of models and versions that should be live now.
  virtual core::Result<std::vector<AspiredModel>> Poll() = 0;
  // One model of the repository, by name, as `selector` asks (the admin API's load). kNotFound
  // names the model and what the repository has; kInvalidArgument for a name that cannot be one.
  virtual core::Result<AspiredModel> ResolveModel(const std::string& name,
                                                  const ModelSelector& selector) = 0;
  // The server is listening on `port` (called once, before the first OnLive).
  virtual void OnListening(int port) { (void)port; }
  // Told what is live after each Apply (to record deployments); default: nothing.
  virtual void OnLive(const std::vector<ModelState>& live) { (void)live; }
  // The server is shutting down; nothing is live any more.
  virtual void OnShutdown() {}
  virtual std::string Describe() const = 0;
};

// Which versions of a model should be live.
struct VersionPolicy {
  enum class Kind { kLatest, kSpecific, kAll };
  Kind kind = Kind::kLatest;
  int64_t latest = 1;             // kLatest: the N highest versions
  std::vector<int64_t> specific;  // kSpecific
};

// Applies the policy to the available versions (any order); the result is ascending.
std::vector<int64_t> SelectVersions(const VersionPolicy& policy, std::vector<int64_t> available);

// "PATH (SIZE bytes, mtime T)": a version's source text for a model file, so that a file replaced
// in place counts as a new version to load.
std::string FileFingerprint(const std::string& path);

// Models from a directory: DIR/NAME/VERSION/<model file>, VERSION a positive integer, the model
// file a Kiln model, an XGBoost JSON model or a PMML document (the only file in the folder, or
// the one named model.*). An optional DIR/NAME/config.json sets
//   {"platform": "...", "version_policy": {"latest": 2} | {"specific": [1, 3]} | "all",
//    "labels": {"production": 2}, "default_version": 2,
//    "traffic": {"split": {"1": 90, "2": 10}, "shadow": 3}, "processor": {...}}
// A "processor" with a "library" serves each version through that custom processor (platform
// "custom", processor_abi.h); a relative library path is relative to DIR/NAME.
// A file replaced in place (new size or mtime) counts as a new version to load.
class ModelDirSource final : public ModelSource {
 public:
  explicit ModelDirSource(std::string dir) : dir_(std::move(dir)) {}
  core::Result<std::vector<AspiredModel>> Poll() override;
  // DIR/NAME; a version selects DIR/NAME/VERSION, an alias one of config.json's labels.
  core::Result<AspiredModel> ResolveModel(const std::string& name,
                                          const ModelSelector& selector) override;
  std::string Describe() const override { return "model directory " + dir_; }

 private:
  std::string dir_;
};

}  // namespace kiln::serve
