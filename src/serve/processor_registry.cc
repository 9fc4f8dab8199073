#include "kiln/serve/processor_registry.h"

#include <cstring>
#include <fstream>

#include "custom_processor.h"
#include "kiln/ml/model_io.h"
#include "kiln_servable.h"
#include "pmml_servable.h"
#include "xgboost_servable.h"

namespace kiln::serve {
namespace {

// The first non-blank bytes of a file (enough to tell the formats apart).
core::Result<std::string> Head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::IoError("cannot open model file {}", path);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

}  // namespace

core::Result<std::string> DetectPlatform(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string head, Head(path));
  if (head.compare(0, std::strlen(ml::kModelMagic), ml::kModelMagic) == 0) return "kiln";
  const size_t start = head.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && head[start] == '{' && head.find("\"learner\"") != head.npos)
    return "xgboost_json";
  if (start != std::string::npos && head[start] == '<' && head.find("<PMML") != head.npos)
    return "pmml";
  return core::InvalidArgument(
      "{}: not a model file Kiln can serve (expected a Kiln model, an XGBoost JSON model with a "
      "\"learner\" object, or a PMML document); found {} bytes starting \"{}\"",
      path, head.size(), head.substr(0, std::min<size_t>(16, head.size())));
}

core::Result<std::unique_ptr<Servable>> LoadServable(const ProcessorRegistry& registry,
                                                     const ModelFiles& files) {
  std::string platform = files.platform;
  if (platform.empty()) {
    KILN_ASSIGN_OR_RETURN(platform, DetectPlatform(files.path));
  }
  KILN_ASSIGN_OR_RETURN(const ProcessorRegistry::Entry* entry, registry.Get(platform));
  auto servable = entry->factory.load(files);
  if (!servable.ok()) return core::Status(servable.status()).AddContext("loading " + files.path);
  return servable;
}

core::Status RegisterBuiltinProcessors(ProcessorRegistry& registry,
                                       const ml::AlgorithmRegistry& algorithms) {
  ProcessorRegistry::Entry kiln;
  kiln.name = "kiln";
  kiln.description = "Kiln model files written by kiln train";
  kiln.factory.load =
      [&algorithms](const ModelFiles& files) -> core::Result<std::unique_ptr<Servable>> {
    KILN_ASSIGN_OR_RETURN(auto servable, KilnServable::Load(files.path, algorithms));
    return std::unique_ptr<Servable>(std::move(servable));
  };
  KILN_RETURN_IF_ERROR(registry.Register(std::move(kiln)));

  ProcessorRegistry::Entry xgboost;
  xgboost.name = "xgboost_json";
  xgboost.description = "XGBoost gbtree models saved as JSON (Booster.save_model(\"m.json\"))";
  xgboost.factory.load = LoadXgboostJsonServable;
  KILN_RETURN_IF_ERROR(registry.Register(std::move(xgboost)));

  ProcessorRegistry::Entry pmml;
  pmml.name = "pmml";
  pmml.description =
      "PMML 4.x documents: RegressionModel, TreeModel and MiningModel (segmentation, model "
      "chains), regression and classification";
  pmml.factory.load = LoadPmmlServable;
  KILN_RETURN_IF_ERROR(registry.Register(std::move(pmml)));

  ProcessorRegistry::Entry custom;
  custom.name = "custom";
  custom.description =
      "a model file wrapped by a custom processor library (C ABI, kiln/serve/processor_abi.h)";
  // The registry outlives its entries' loaders; the inner model loads through it.
  custom.factory.load = [&registry](const ModelFiles& files) {
    return LoadCustomProcessor(files, registry);
  };
  KILN_RETURN_IF_ERROR(registry.Register(std::move(custom)));
  return core::Status::Ok();
}

}  // namespace kiln::serve
