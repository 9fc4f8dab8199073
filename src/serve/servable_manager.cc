#include "kiln/serve/servable_manager.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::serve {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string VersionList(const ModelState& state) {
  std::vector<std::string> v;
  for (const ServableHandle& h : state.versions) v.push_back(std::to_string(h->version));
  return v.empty() ? "none" : core::Join(v, ", ");
}

ServableHandle FindVersion(const ModelState& state, int64_t version) {
  for (const ServableHandle& h : state.versions)
    if (h->version == version) return h;
  return nullptr;
}

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

ServedVersion::~ServedVersion() {
  batcher.reset();  // answers what is queued, then stops its thread
  servable.reset();
  // Give freed pages back to the system now, not at the allocator's leisure: unloading a model
  // must lower resident memory.
  malloc_trim(0);
}

std::shared_ptr<const ServableManager::Table> ServableManager::Snapshot() const {
  std::lock_guard lock(table_mutex_);
  return table_;
}

void ServableManager::Publish(std::shared_ptr<const Table> table) {
  std::shared_ptr<const Table> old;
  {
    std::lock_guard lock(table_mutex_);
    old = table_;
    table_ = table;
  }
  // The versions that left the table.
  std::vector<ServableHandle> retired;
  for (const auto& [name, state] : *old) {
    auto it = table->find(name);
    for (const ServableHandle& h : state.versions)
      if (it == table->end() || std::find(it->second.versions.begin(), it->second.versions.end(),
                                          h) == it->second.versions.end())
        retired.push_back(h);
  }
  old.reset();
  table.reset();
  // Free them here rather than on whichever request thread lets go last: wait (bounded) for the
  // in-flight requests that still hold one. Past the deadline the last holder frees it.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(release_wait_seconds_);
  for (ServableHandle& h : retired) {
    while (h.use_count() > 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    h.reset();
  }
}

core::Result<ServableHandle> ServableManager::LoadVersion(const std::string& model,
                                                          const AspiredVersion& version) const {
  const auto start = std::chrono::steady_clock::now();
  auto servable = LoadServable(processors_, version.files);
  if (!servable.ok()) {
    core::Status s = servable.status();
    return std::move(s).AddContext(fmt::format("model '{}' version {}", model, version.version));
  }
  auto warm = (*servable)->Infer(MissingRow((*servable)->metadata()));
  if (!warm.ok()) {
    core::Status s = warm.status();
    return std::move(s).AddContext(
        fmt::format("warming up model '{}' version {}", model, version.version));
  }
  // What parsing the model file needed and freed (an XGBoost JSON document is several times the
  // model's own size) goes back to the system now, not at the next unload.
  malloc_trim(0);
  auto served = std::make_shared<ServedVersion>();
  served->model = model;
  served->version = version.version;
  served->source = version.source.empty() ? version.files.path : version.source;
  served->servable = std::move(*servable);
  const BatchingOptions batching = version.batching.value_or(default_batching_);
  if (batching.max_batch_rows > 1)
    served->batcher = std::make_unique<Batcher>(*served->servable, batching);
  served->loaded_ms = NowMs();
  served->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return ServableHandle(std::move(served));
}

std::vector<core::Status> ServableManager::Apply(const std::vector<AspiredModel>& models) {
  std::lock_guard apply_lock(apply_mutex_);
  std::shared_ptr<const Table> current = Snapshot();
  auto next = std::make_shared<Table>();
  std::vector<core::Status> errors;
  bool all_live = true;
  for (const AspiredModel& aspired : models) {
    ModelState state;
    state.name = aspired.name;
    const ModelState* before = nullptr;
    if (auto it = current->find(aspired.name); it != current->end()) before = &it->second;
    for (const AspiredVersion& v : aspired.versions) {
      ServableHandle kept = before ? FindVersion(*before, v.version) : nullptr;
      if (kept && kept->source == (v.source.empty() ? v.files.path : v.source)) {
        state.versions.push_back(std::move(kept));
        continue;
      }
      auto loaded = LoadVersion(aspired.name, v);
      if (loaded.ok()) {
        state.versions.push_back(std::move(*loaded));
      } else {
        errors.push_back(loaded.status());
        if (kept) state.versions.push_back(std::move(kept));  // keep serving what worked
      }
    }
    std::sort(
        state.versions.begin(), state.versions.end(),
        [](const ServableHandle& a, const ServableHandle& b) { return a->version < b->version; });
    if (state.versions.empty() && before != nullptr) {
      // Nothing new could load: keep every version that was live rather than go dark.
      state.versions = before->versions;
    }
    for (const auto& [label, version] : aspired.labels)
      if (FindVersion(state, version)) state.labels[label] = version;
    state.traffic = aspired.traffic;
    if (state.traffic.default_version && !FindVersion(state, *state.traffic.default_version))
      state.traffic.default_version.reset();
    std::erase_if(state.traffic.split,
                  [&](const auto& entry) { return !FindVersion(state, entry.first); });
    if (state.traffic.shadow && !FindVersion(state, *state.traffic.shadow))
      state.traffic.shadow.reset();
    all_live = all_live && !state.versions.empty();
    next->emplace(aspired.name, std::move(state));
  }
  current.reset();  // else Publish would wait for this reference to the versions that leave
  Publish(std::move(next));
  ready_ = all_live;
  return errors;
}

core::Status ServableManager::Load(const std::string& model, const AspiredVersion& version) {
  std::lock_guard apply_lock(apply_mutex_);
  KILN_ASSIGN_OR_RETURN(ServableHandle loaded, LoadVersion(model, version));
  auto next = std::make_shared<Table>(*Snapshot());
  ModelState& state = (*next)[model];
  state.name = model;
  std::erase_if(state.versions,
                [&](const ServableHandle& h) { return h->version == version.version; });
  state.versions.push_back(std::move(loaded));
  std::sort(
      state.versions.begin(), state.versions.end(),
      [](const ServableHandle& a, const ServableHandle& b) { return a->version < b->version; });
  Publish(std::move(next));
  return core::Status::Ok();
}

core::Status ServableManager::Unload(const std::string& model, int64_t version) {
  std::lock_guard apply_lock(apply_mutex_);
  auto next = std::make_shared<Table>(*Snapshot());
  auto it = next->find(model);
  if (it == next->end()) return core::NotFound("model '{}' is not served", model);
  ModelState& state = it->second;
  if (!FindVersion(state, version)) {
    return core::NotFound("model '{}' has no live version {} (live: {})", model, version,
                          VersionList(state));
  }
  std::erase_if(state.versions, [&](const ServableHandle& h) { return h->version == version; });
  std::erase_if(state.labels, [&](const auto& entry) { return entry.second == version; });
  std::erase_if(state.traffic.split, [&](const auto& entry) { return entry.first == version; });
  if (state.traffic.default_version == version) state.traffic.default_version.reset();
  if (state.traffic.shadow == version) state.traffic.shadow.reset();
  if (state.versions.empty()) next->erase(it);
  Publish(std::move(next));
  return core::Status::Ok();
}

core::Result<Route> ServableManager::Resolve(const RouteRequest& request) const {
  std::shared_ptr<const Table> table = Snapshot();
  auto it = table->find(request.model);
  if (it == table->end()) {
    std::vector<std::string> names;
    for (const auto& [name, _] : *table) names.push_back(name);
    return core::NotFound("model '{}' is not served (served: {})", request.model,
                          names.empty() ? "none" : core::Join(names, ", "));
  }
  const ModelState& state = it->second;
  Route route;
  if (request.version) {
    route.primary = FindVersion(state, *request.version);
    if (!route.primary) {
      return core::NotFound("model '{}' has no live version {} (live: {})", request.model,
                            *request.version, VersionList(state));
    }
    return route;
  }
  if (!request.label.empty()) {
    auto l = state.labels.find(request.label);
    if (l == state.labels.end()) {
      std::vector<std::string> labels;
      for (const auto& [label, _] : state.labels) labels.push_back(label);
      return core::NotFound("model '{}' has no live version labelled '{}' (labels: {})",
                            request.model, request.label,
                            labels.empty() ? "none" : core::Join(labels, ", "));
    }
    route.primary = FindVersion(state, l->second);
  } else if (!state.traffic.split.empty()) {
    double total = 0;
    for (const auto& [_, w] : state.traffic.split) total += w;
    const uint64_t draw = Mix(request.has_key ? request.key_hash : request.key_hash + 1);
    const double u = static_cast<double>(draw >> 11) * 0x1.0p-53 * total;
    double acc = 0;
    for (const auto& [version, w] : state.traffic.split) {
      acc += w;
      if (u < acc) {
        route.primary = FindVersion(state, version);
        break;
      }
    }
    if (!route.primary) route.primary = FindVersion(state, state.traffic.split.back().first);
  } else if (state.traffic.default_version) {
    route.primary = FindVersion(state, *state.traffic.default_version);
  } else if (!state.versions.empty()) {
    route.primary = state.versions.back();
  }
  if (!route.primary) return core::NotFound("model '{}' has no live version", request.model);
  if (state.traffic.shadow && *state.traffic.shadow != route.primary->version)
    route.shadow = FindVersion(state, *state.traffic.shadow);
  return route;
}

std::vector<ModelState> ServableManager::List() const {
  std::shared_ptr<const Table> table = Snapshot();
  std::vector<ModelState> out;
  for (const auto& [_, state] : *table) out.push_back(state);
  return out;
}

std::optional<ModelState> ServableManager::Find(const std::string& model) const {
  std::shared_ptr<const Table> table = Snapshot();
  auto it = table->find(model);
  if (it == table->end()) return std::nullopt;
  return it->second;
}

}  // namespace kiln::serve
