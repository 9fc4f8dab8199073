// ServableManager: which versions of which models are live, and the handles requests hold.
//
// A source (model_source.h) tells the manager, per model, which versions should be live
// (AspiredModel); Apply loads and warms the new versions outside any lock, then swaps in a new
// routing table in one step. A version that leaves the table is unloaded when its last in-flight
// request lets go of its handle (reference counting), so a swap fails no request. The thread
// that changed the table waits (up to `release_wait_seconds`) for those requests, so the version
// is freed there — off the request threads — and its memory is back when the change returns. A
// version that fails to load leaves the previous one serving (availability first) and is
// reported.
//
// Thread-safety: every method is thread-safe. Resolve is lock-light (copies a shared pointer to
// the current table); Apply/Load/Unload are serialised among themselves.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/serve/batcher.h"
#include "kiln/serve/processor_registry.h"
#include "kiln/serve/servable.h"

namespace kiln::serve {

// Per-version counters, read by /metrics and `kiln deployments show`.
struct VersionStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> shadow_requests{0};
  std::atomic<uint64_t> latency_us_total{0};
};

// One loaded version. Immutable but for its stats; destroyed (memory returned) when the manager
// and every request have let go of it.
struct ServedVersion {
  std::string model;
  int64_t version = 0;
  std::string source;  // where it came from: "churn/3 (kiln-blob:…)" or a file path
  std::unique_ptr<const Servable> servable;
  int64_t loaded_ms = 0;
  double load_seconds = 0;
  std::shared_ptr<VersionStats> stats = std::make_shared<VersionStats>();
  // Set when dynamic batching is on for this version; stopped before the servable is freed.
  std::unique_ptr<Batcher> batcher;
  ~ServedVersion();
};

using ServableHandle = std::shared_ptr<const ServedVersion>;

struct AspiredVersion {
  int64_t version = 0;
  ModelFiles files;
  std::string source;
  std::optional<BatchingOptions> batching;  // unset: the manager's default
};

// Traffic of one model: unversioned requests go to `default_version`, unless `split` gives
// weights; `shadow` gets a copy of every request (its answers are never returned).
struct TrafficPolicy {
  std::optional<int64_t> default_version;         // unset: the highest live version
  std::vector<std::pair<int64_t, double>> split;  // version -> weight (> 0)
  std::optional<int64_t> shadow;
};

struct AspiredModel {
  std::string name;
  std::vector<AspiredVersion> versions;
  std::map<std::string, int64_t> labels;  // alias -> version ("production" -> 3)
  TrafficPolicy traffic;
};

// A model's live state as the metadata endpoints and `kiln deployments show` report it.
struct ModelState {
  std::string name;
  std::vector<ServableHandle> versions;  // ascending version
  std::map<std::string, int64_t> labels;
  TrafficPolicy traffic;
};

// How a request picks a version.
struct RouteRequest {
  std::string model;
  std::optional<int64_t> version;  // explicit /versions/{v}
  std::string label;               // explicit alias (header or "name@alias")
  uint64_t key_hash = 0;           // sticky routing: a hash of the request key; 0 = random
  bool has_key = false;
};

struct Route {
  ServableHandle primary;
  ServableHandle shadow;  // null when none
};

class ServableManager {
 public:
  explicit ServableManager(const ProcessorRegistry& processors,
                           BatchingOptions default_batching = {}, double release_wait_seconds = 10)
      : processors_(processors),
        default_batching_(default_batching),
        release_wait_seconds_(release_wait_seconds) {}

  // Makes `models` the complete set of live models: loads missing versions, drops versions and
  // models that are not aspired. Returns one error per version that failed to load (those
  // models keep what they had).
  std::vector<core::Status> Apply(const std::vector<AspiredModel>& models);

  // Loads one version of a model now (replacing the same version if loaded) / drops it, outside
  // any source. The server's admin API does not use these: it goes through ModelControl
  // (model_control.h), whose next Apply would undo a change made here.
  core::Status Load(const std::string& model, const AspiredVersion& version);
  core::Status Unload(const std::string& model, int64_t version);

  // The version that should answer, by explicit version, label, traffic split or default.
  // kNotFound names what was asked for and what is live.
  core::Result<Route> Resolve(const RouteRequest& request) const;

  std::vector<ModelState> List() const;
  std::optional<ModelState> Find(const std::string& model) const;
  // True once Apply has run at least once and every aspired model has a live version.
  bool ready() const { return ready_.load(); }

 private:
  using Table = std::map<std::string, ModelState, std::less<>>;
  std::shared_ptr<const Table> Snapshot() const;
  void Publish(std::shared_ptr<const Table> table);
  core::Result<ServableHandle> LoadVersion(const std::string& model,
                                           const AspiredVersion& version) const;

  const ProcessorRegistry& processors_;
  const BatchingOptions default_batching_;
  const double release_wait_seconds_;
  mutable std::mutex table_mutex_;  // guards table_ (the pointer, not the table)
  std::shared_ptr<const Table> table_ = std::make_shared<const Table>();
  std::mutex apply_mutex_;  // serialises Apply/Load/Unload
  std::atomic<bool> ready_{false};
};

}  // namespace kiln::serve
