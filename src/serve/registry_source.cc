#include "kiln/serve/registry_source.h"

#include <charconv>

#include <fmt/format.h>

#include "kiln/core/logging.h"

namespace kiln::serve {
namespace {

std::string Key(const std::string& model, int64_t version) {
  return fmt::format("{}/{}", model, version);
}

}  // namespace

core::Result<ModelSpec> ParseModelSpec(const std::string& text) {
  ModelSpec spec;
  spec.text = text;
  const size_t at = text.find('@');
  const size_t slash = text.find('/');
  if (at != std::string::npos && slash != std::string::npos) {
    return core::InvalidArgument(
        "--models '{}': use NAME, NAME@ALIAS or NAME/VERSION, not both '@' and '/'", text);
  }
  spec.name = text.substr(0, std::min(at, slash));
  if (at != std::string::npos) spec.alias = text.substr(at + 1);
  if (slash != std::string::npos) {
    const std::string v = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), spec.version);
    if (ec != std::errc() || ptr != v.data() + v.size() || spec.version <= 0)
      return core::InvalidArgument(
          "--models '{}': the version after '/' must be a positive "
          "integer, found '{}'",
          text, v);
  }
  if (spec.name.empty() || (at != std::string::npos && spec.alias.empty()))
    return core::InvalidArgument("--models '{}': expected NAME, NAME@ALIAS or NAME/VERSION", text);
  return spec;
}

RegistrySource::RegistrySource(track::MetaStore& store, track::ArtifactStore artifacts,
                               int64_t project_id, std::vector<ModelSpec> specs, std::string host)
    : store_(store),
      artifacts_(std::move(artifacts)),
      project_id_(project_id),
      specs_(std::move(specs)),
      host_(std::move(host)) {}

void RegistrySource::OnListening(int port) { endpoint_ = fmt::format("http://{}:{}", host_, port); }

std::string RegistrySource::Describe() const {
  std::vector<std::string> texts;
  for (const ModelSpec& s : specs_) texts.push_back(s.text);
  if (texts.empty()) return fmt::format("registry {}", store_.description());
  return fmt::format("registry {} ({})", store_.description(), fmt::join(texts, ", "));
}

core::Result<std::vector<AspiredModel>> RegistrySource::Poll() { return Aspire(specs_); }

core::Result<AspiredModel> RegistrySource::ResolveModel(const std::string& name,
                                                        const ModelSelector& selector) {
  std::vector<ModelSpec> specs;
  if (selector.empty()) {
    for (const ModelSpec& spec : specs_)
      if (spec.name == name) specs.push_back(spec);
  }
  if (specs.empty()) {
    ModelSpec spec;
    spec.name = name;
    spec.alias = selector.alias;
    spec.version = selector.version.value_or(0);
    spec.text = !spec.alias.empty() ? fmt::format("{}@{}", name, spec.alias)
                : spec.version > 0  ? fmt::format("{}/{}", name, spec.version)
                                    : name;
    specs.push_back(std::move(spec));
  }
  KILN_ASSIGN_OR_RETURN(std::vector<AspiredModel> models, Aspire(specs));
  if (models.size() != 1)
    return core::Internal("registry: '{}' resolved to {} models", name, models.size());
  return std::move(models.front());
}

core::Result<std::vector<AspiredModel>> RegistrySource::Aspire(
    const std::vector<ModelSpec>& specs) {
  std::vector<AspiredModel> out;
  std::map<std::string, Named> ids;
  auto add_version = [&](AspiredModel& model,
                         const track::ModelVersionRecord& record) -> core::Status {
    const bool have =
        std::any_of(model.versions.begin(), model.versions.end(),
                    [&](const AspiredVersion& v) { return v.version == record.version; });
    if (have) return core::Status::Ok();
    AspiredVersion version;
    version.version = record.version;
    KILN_ASSIGN_OR_RETURN(version.files.path, artifacts_.PathFor(record.artifact_uri));
    version.files.platform = "kiln";
    version.source = fmt::format("{}/{} ({})", model.name, record.version, record.artifact_uri);
    ids[Key(model.name, record.version)] = {record.id, version.source};
    model.versions.push_back(std::move(version));
    return core::Status::Ok();
  };
  for (const ModelSpec& spec : specs) {
    const std::string reference = !spec.alias.empty() ? fmt::format("{}@{}", spec.name, spec.alias)
                                  : spec.version > 0 ? fmt::format("{}/{}", spec.name, spec.version)
                                                     : spec.name;
    KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord record,
                          store_.registry().Resolve(project_id_, reference));
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const AspiredModel& m) { return m.name == spec.name; });
    if (it == out.end()) {
      out.emplace_back();
      it = std::prev(out.end());
      it->name = spec.name;
      it->traffic.default_version = record.version;
    }
    it->labels[spec.alias.empty() ? (spec.version > 0 ? "pinned" : "latest") : spec.alias] =
        record.version;
    KILN_RETURN_IF_ERROR(add_version(*it, record));
  }
  // Traffic routes set with `kiln deploy`: routed aliases join the model's versions.
  for (AspiredModel& model : out) {
    KILN_ASSIGN_OR_RETURN(std::vector<track::TrafficRoute> routes,
                          store_.traffic().List(project_id_, model.name));
    double routed = 0;
    for (const track::TrafficRoute& route : routes) {
      auto record =
          store_.registry().Resolve(project_id_, fmt::format("{}@{}", model.name, route.alias));
      if (!record.ok()) continue;  // the alias was removed: its route has nothing to serve
      KILN_RETURN_IF_ERROR(add_version(model, *record));
      model.labels[route.alias] = record->version;
      if (route.shadow) {
        model.traffic.shadow = record->version;
      } else {
        model.traffic.split.emplace_back(record->version, route.weight);
        routed += route.weight;
      }
    }
    if (!model.traffic.split.empty() && routed < 100 && model.traffic.default_version)
      model.traffic.split.emplace_back(*model.traffic.default_version, 100 - routed);
  }
  for (auto& [key, named] : ids) version_ids_[key] = std::move(named);
  return out;
}

void RegistrySource::OnLive(const std::vector<ModelState>& live) {
  std::map<std::string, int64_t> still;
  for (const ModelState& m : live) {
    for (const ServableHandle& h : m.versions) {
      const std::string key = Key(m.name, h->version);
      if (auto d = deployments_.find(key); d != deployments_.end()) {
        still.insert(*d);
        continue;
      }
      auto named = version_ids_.find(key);
      if (named == version_ids_.end() || named->second.source != h->source) continue;
      auto created = store_.deployments().Create(project_id_, m.name, named->second.id, endpoint_);
      if (created.ok()) {
        still[key] = created->id;
      } else {
        fmt::print(stderr, "warning: could not record the deployment of {}: {}\n", key,
                   created.status().ToString());
      }
    }
  }
  for (const auto& [key, id] : deployments_) {
    if (still.count(key)) continue;
    core::Status s = store_.deployments().Stop(id);
    if (!s.ok())
      fmt::print(stderr, "warning: could not mark deployment {} stopped: {}\n", id, s.ToString());
  }
  deployments_ = std::move(still);
}

void RegistrySource::OnShutdown() { OnLive({}); }

}  // namespace kiln::serve
