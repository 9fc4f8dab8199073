#include "kiln/ml/model_io.h"

#include <nlohmann/json.hpp>

namespace kiln::ml {

nlohmann::json TrainingInfo::ToJson() const {
  return {{"rows", rows},
          {"seconds", seconds},
          {"threads", threads},
          {"seed", seed},
          {"data_path", data_path},
          {"data_hash", data_hash},
          {"created_at", created_at},
          {"kiln_version", kiln_version},
          {"extra", extra}};
}

TrainingInfo TrainingInfo::FromJson(const nlohmann::json& j) {
  TrainingInfo t;
  if (!j.is_object()) return t;
  t.rows = j.value("rows", uint64_t{0});
  t.seconds = j.value("seconds", 0.0);
  t.threads = j.value("threads", 1);
  t.seed = j.value("seed", uint64_t{0});
  t.data_path = j.value("data_path", "");
  t.data_hash = j.value("data_hash", "");
  t.created_at = j.value("created_at", "");
  t.kiln_version = j.value("kiln_version", "");
  t.extra = j.value("extra", nlohmann::json::object());
  return t;
}

namespace {

core::Result<ModelInfo> ParseInfo(const core::ArrayFileReader& file) {
  const nlohmann::json& meta = file.meta();
  auto bad = [&](std::string_view what) {
    return core::Corrupt("{}: model header {}", file.path(), what);
  };
  if (!meta.contains("algorithm") || !meta["algorithm"].is_string()) return bad("has no algorithm");
  ModelInfo info;
  info.algorithm = meta["algorithm"].get<std::string>();
  info.params = meta.value("params", nlohmann::json::object());
  if (!meta.contains("label")) return bad("has no label section");
  auto label = LabelInfo::FromJson(meta["label"]);
  if (!label.ok()) return core::Status(label.status()).AddContext("in " + file.path());
  info.label = std::move(label).value();
  if (!meta.contains("schema")) return bad("has no schema section");
  auto schema = data::Schema::FromJson(meta["schema"]);
  if (!schema.ok()) return core::Status(schema.status()).AddContext("in " + file.path());
  info.schema = std::move(schema).value();
  info.training = TrainingInfo::FromJson(meta.value("training", nlohmann::json::object()));
  return info;
}

}  // namespace

core::Status SaveModel(const Model& model, const std::string& path) {
  core::ArrayFileWriter writer(kModelMagic, kModelFormatVersion);
  const ModelInfo& info = model.info();
  auto& meta = writer.meta();
  meta["format"] = "kiln-model";
  meta["format_version"] = kModelFormatVersion;
  meta["algorithm"] = info.algorithm;
  meta["params"] = info.params;
  meta["label"] = info.label.ToJson();
  meta["schema"] = info.schema.ToJson();
  meta["training"] = info.training.ToJson();
  meta["body"] = nlohmann::json::object();
  KILN_RETURN_IF_ERROR(model.Save(writer));
  return writer.Write(path);
}

core::Result<ModelInfo> ReadModelInfo(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(
      auto file, core::ArrayFileReader::Open(path, kModelMagic, kModelFormatVersion, "model file"));
  return ParseInfo(*file);
}

core::Result<std::unique_ptr<Model>> LoadModel(const std::string& path,
                                               const AlgorithmRegistry& registry) {
  KILN_ASSIGN_OR_RETURN(
      auto file, core::ArrayFileReader::Open(path, kModelMagic, kModelFormatVersion, "model file"));
  KILN_ASSIGN_OR_RETURN(ModelInfo info, ParseInfo(*file));
  const AlgorithmEntry* entry = registry.Find(info.algorithm);
  if (entry == nullptr) {
    return core::NotFound(
        "{}: the model was trained with algorithm '{}', which this Kiln does not "
        "have; known: {}",
        path, info.algorithm, core::Join(registry.Names(), ", "));
  }
  auto model = entry->factory.load(*file, std::move(info));
  if (!model.ok()) return core::Status(model.status()).AddContext("while loading " + path);
  return model;
}

}  // namespace kiln::ml
