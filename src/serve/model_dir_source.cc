#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "kiln/serve/model_source.h"

namespace kiln::serve {
namespace {

namespace fs = std::filesystem;

bool ParseVersion(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && out > 0;
}

core::Result<nlohmann::json> ReadConfig(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return core::IoError("cannot read {}", path.string());
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return core::ParseError("{}: expected a JSON object", path.string());
  return j;
}

core::Result<VersionPolicy> ParsePolicy(const nlohmann::json& j, const std::string& where) {
  VersionPolicy p;
  if (j.is_null()) return p;
  if (j.is_string() && j.get<std::string>() == "all") {
    p.kind = VersionPolicy::Kind::kAll;
    return p;
  }
  if (j.is_object() && j.size() == 1 && j.contains("latest") && j["latest"].is_number_integer() &&
      j["latest"].get<int64_t>() > 0) {
    p.latest = j["latest"].get<int64_t>();
    return p;
  }
  if (j.is_object() && j.size() == 1 && j.contains("specific") && j["specific"].is_array()) {
    p.kind = VersionPolicy::Kind::kSpecific;
    for (const auto& v : j["specific"]) {
      if (!v.is_number_integer() || v.get<int64_t>() <= 0)
        return core::InvalidArgument("{}: version_policy.specific must list positive integers",
                                     where);
      p.specific.push_back(v.get<int64_t>());
    }
    return p;
  }
  return core::InvalidArgument(
      "{}: version_policy must be {{\"latest\": N}}, {{\"specific\": [V, ...]}} or \"all\"; found "
      "{}",
      where, j.dump());
}

core::Result<int64_t> VersionValue(const nlohmann::json& j, const std::string& where) {
  if (j.is_number_integer() && j.get<int64_t>() > 0) return j.get<int64_t>();
  int64_t v = 0;
  if (j.is_string() && ParseVersion(j.get<std::string>(), v)) return v;
  return core::InvalidArgument("{}: expected a positive version number, found {}", where, j.dump());
}

core::Status ParseTraffic(const nlohmann::json& config, const std::string& where,
                          AspiredModel& model) {
  if (config.contains("default_version")) {
    KILN_ASSIGN_OR_RETURN(model.traffic.default_version,
                          VersionValue(config["default_version"], where + ": default_version"));
  }
  if (!config.contains("traffic")) return core::Status::Ok();
  const nlohmann::json& t = config["traffic"];
  if (!t.is_object()) return core::InvalidArgument("{}: traffic must be an object", where);
  if (t.contains("split")) {
    if (!t["split"].is_object())
      return core::InvalidArgument("{}: traffic.split must map versions to weights", where);
    for (const auto& [key, weight] : t["split"].items()) {
      KILN_ASSIGN_OR_RETURN(int64_t v, VersionValue(key, where + ": traffic.split"));
      if (!weight.is_number() || weight.get<double>() <= 0)
        return core::InvalidArgument("{}: traffic.split weight of version {} must be > 0", where,
                                     v);
      model.traffic.split.emplace_back(v, weight.get<double>());
    }
  }
  if (t.contains("shadow")) {
    KILN_ASSIGN_OR_RETURN(model.traffic.shadow, VersionValue(t["shadow"], where + ": shadow"));
  }
  return core::Status::Ok();
}

// "batching": {"max_batch_size": 64, "max_delay_us": 500}; absent = the server's default.
core::Result<std::optional<BatchingOptions>> ParseBatching(const nlohmann::json& config,
                                                           const std::string& where) {
  if (!config.contains("batching")) return std::optional<BatchingOptions>();
  const nlohmann::json& b = config["batching"];
  BatchingOptions options;
  if (!b.is_object()) return core::InvalidArgument("{}: batching must be an object", where);
  for (const auto& [key, value] : b.items()) {
    if (key != "max_batch_size" && key != "max_delay_us")
      return core::InvalidArgument(
          "{}: unknown batching key '{}' (known: max_batch_size, max_delay_us)", where, key);
    if (!value.is_number_integer() || value.get<int64_t>() < 0)
      return core::InvalidArgument("{}: batching.{} must be a non-negative integer", where, key);
  }
  options.max_batch_rows = b.value("max_batch_size", size_t{0});
  options.max_delay_us = b.value("max_delay_us", int64_t{500});
  if (options.max_delay_us > 1'000'000)
    return core::InvalidArgument("{}: batching.max_delay_us must be at most 1000000", where);
  return std::optional<BatchingOptions>(options);
}

core::Result<fs::path> ModelFileIn(const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !name.starts_with(".")) files.push_back(e.path());
  }
  if (ec) return core::IoError("cannot list {}: {}", folder.string(), ec.message());
  if (files.size() == 1) return files[0];
  for (const fs::path& f : files)
    if (f.stem() == "model") return f;
  return core::InvalidArgument(
      "{}: expected one model file (or one named model.*) in a version folder, found {}",
      folder.string(), files.size());
}

std::string VersionList(const std::vector<int64_t>& versions) {
  return versions.empty() ? "none" : fmt::format("{}", fmt::join(versions, ", "));
}

std::string LabelList(const std::map<std::string, int64_t>& labels) {
  std::vector<std::string> names;
  for (const auto& [label, _] : labels) names.push_back(label);
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

// "processor": {"library": ...} serves the model file through a custom processor (platform
// "custom"); the model file's own platform moves into the processor config, and a relative
// library path is taken from the model's folder.
core::Status UseCustomProcessor(const fs::path& model_dir, const std::string& where,
                                ModelFiles& files) {
  if (!files.config.is_object() || !files.config.contains("library")) return core::Status::Ok();
  nlohmann::json& library = files.config["library"];
  if (!library.is_string() || library.get<std::string>().empty())
    return core::InvalidArgument("{}: processor.library must be the path of a shared library",
                                 where);
  if (fs::path(library.get<std::string>()).is_relative())
    library = (model_dir / library.get<std::string>()).string();
  if (!files.platform.empty() && files.platform != "custom" && !files.config.contains("platform"))
    files.config["platform"] = files.platform;
  files.platform = "custom";
  return core::Status::Ok();
}

}  // namespace

std::string FileFingerprint(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  return fmt::format("{} ({} bytes, mtime {})", path, size, mtime);
}

std::vector<int64_t> SelectVersions(const VersionPolicy& policy, std::vector<int64_t> available) {
  std::sort(available.begin(), available.end());
  available.erase(std::unique(available.begin(), available.end()), available.end());
  switch (policy.kind) {
    case VersionPolicy::Kind::kAll:
      return available;
    case VersionPolicy::Kind::kSpecific: {
      std::vector<int64_t> out;
      for (int64_t v : available)
        if (std::find(policy.specific.begin(), policy.specific.end(), v) != policy.specific.end())
          out.push_back(v);
      return out;
    }
    case VersionPolicy::Kind::kLatest:
      break;
  }
  const size_t keep = std::min(available.size(), static_cast<size_t>(policy.latest));
  return std::vector<int64_t>(available.end() - static_cast<std::ptrdiff_t>(keep), available.end());
}

namespace {

// One model folder DIR/NAME as the source serves it: the versions its policy selects (or the one
// `selector` names), labels, traffic and batching from its config.json.
core::Result<AspiredModel> ReadModel(const fs::path& model_dir, const ModelSelector& selector) {
  std::error_code ec;
  AspiredModel model;
  model.name = model_dir.filename().string();
  nlohmann::json config = nlohmann::json::object();
  const fs::path config_path = model_dir / "config.json";
  if (fs::exists(config_path, ec)) {
    KILN_ASSIGN_OR_RETURN(config, ReadConfig(config_path));
  }
  const std::string where = config_path.string();
  KILN_ASSIGN_OR_RETURN(VersionPolicy policy,
                        ParsePolicy(config.value("version_policy", nlohmann::json()), where));
  std::map<int64_t, fs::path> folders;
  for (const auto& e : fs::directory_iterator(model_dir, ec)) {
    int64_t v = 0;
    if (e.is_directory() && ParseVersion(e.path().filename().string(), v)) folders[v] = e.path();
  }
  std::vector<int64_t> available;
  for (const auto& [v, _] : folders) available.push_back(v);
  if (config.contains("labels")) {
    if (!config["labels"].is_object())
      return core::InvalidArgument("{}: labels must map names to versions", where);
    for (const auto& [label, v] : config["labels"].items()) {
      KILN_ASSIGN_OR_RETURN(model.labels[label], VersionValue(v, where + ": labels." + label));
    }
  }
  std::vector<int64_t> selected;
  if (selector.empty()) {
    selected = SelectVersions(policy, available);
  } else {
    int64_t wanted = selector.version.value_or(0);
    if (!selector.alias.empty()) {
      auto label = model.labels.find(selector.alias);
      if (label == model.labels.end())
        return core::NotFound("{}: model '{}' has no label '{}' (labels: {})", where, model.name,
                              selector.alias, LabelList(model.labels));
      wanted = label->second;
    }
    if (!folders.count(wanted))
      return core::NotFound("{} has no version folder {} (versions: {})", model_dir.string(),
                            wanted, VersionList(available));
    selected = {wanted};
  }
  KILN_ASSIGN_OR_RETURN(std::optional<BatchingOptions> batching, ParseBatching(config, where));
  for (int64_t v : selected) {
    AspiredVersion version;
    version.version = v;
    version.batching = batching;
    KILN_ASSIGN_OR_RETURN(fs::path file, ModelFileIn(folders[v]));
    version.files.path = file.string();
    version.files.platform = config.value("platform", "");
    if (config.contains("processor")) version.files.config = config["processor"];
    KILN_RETURN_IF_ERROR(UseCustomProcessor(model_dir, where, version.files));
    version.source = FileFingerprint(file.string());
    model.versions.push_back(std::move(version));
  }
  KILN_RETURN_IF_ERROR(ParseTraffic(config, where, model));
  return model;
}

}  // namespace

core::Result<std::vector<AspiredModel>> ModelDirSource::Poll() {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return core::NotFound("--model-dir {}: not a directory", dir_);
  std::vector<fs::path> model_dirs;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.is_directory() && !e.path().filename().string().starts_with("."))
      model_dirs.push_back(e.path());
  if (ec) return core::IoError("cannot list {}: {}", dir_, ec.message());
  std::sort(model_dirs.begin(), model_dirs.end());

  std::vector<AspiredModel> out;
  for (const fs::path& model_dir : model_dirs) {
    KILN_ASSIGN_OR_RETURN(AspiredModel model, ReadModel(model_dir, ModelSelector()));
    if (model.versions.empty()) continue;  // an empty model folder serves nothing (yet)
    out.push_back(std::move(model));
  }
  return out;
}

core::Result<AspiredModel> ModelDirSource::ResolveModel(const std::string& name,
                                                        const ModelSelector& selector) {
  if (name.empty() || name.starts_with(".") || name.find('/') != std::string::npos)
    return core::InvalidArgument("'{}' is not a model name (a folder of {})", name, dir_);
  std::error_code ec;
  const fs::path model_dir = fs::path(dir_) / name;
  if (!fs::is_directory(model_dir, ec)) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_, ec))
      if (e.is_directory() && !e.path().filename().string().starts_with("."))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return core::NotFound("model '{}' is not in model directory {} (models: {})", name, dir_,
                          names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
  }
  KILN_ASSIGN_OR_RETURN(AspiredModel model, ReadModel(model_dir, selector));
  if (model.versions.empty())
    return core::NotFound("{} has no version folder (DIR/NAME/VERSION/<model file>)",
                          model_dir.string());
  return model;
}

}  // namespace kiln::serve
