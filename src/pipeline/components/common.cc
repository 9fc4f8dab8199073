#include "common.h"

#include <fmt/format.h>

#include "kiln/core/file.h"
#include "kiln/core/hash.h"
#include "kiln/core/strings.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    const size_t b = part.find_first_not_of(" \t");
    const size_t e = part.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

Result<std::vector<size_t>> FindColumns(const data::Dataset& dataset,
                                        const std::vector<std::string>& names,
                                        std::string_view what,
                                        const std::function<bool(const data::Column&)>& take) {
  std::vector<size_t> out;
  if (names.empty()) {
    for (size_t i = 0; i < dataset.columns().size(); ++i) {
      if (!take || take(dataset.columns()[i])) out.push_back(i);
    }
    return out;
  }
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    const int i = dataset.FindColumn(name);
    if (i < 0) {
      missing.push_back(name);
    } else {
      out.push_back(static_cast<size_t>(i));
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> have;
    for (const data::Column& c : dataset.columns()) have.push_back(c.name);
    const std::string best = core::ClosestMatch(missing[0], have);
    return core::NotFound(
        "{}: no column {}{}; the data has: {}", what, core::Join(missing, ", "),
        best.empty() ? "" : " (did you mean '" + best + "'?)",
        have.size() > 40 ? fmt::format("{} columns", have.size()) : core::Join(have, ", "));
  }
  return out;
}

Result<std::string> FileDigest(const std::string& path) {
  if (!core::FileExists(path)) return path + " missing";
  KILN_ASSIGN_OR_RETURN(core::FileStat st, core::StatFile(path));
  if (!st.is_regular) return core::InvalidArgument("{} is not a regular file", path);
  if (st.size == 0) return path + " empty";
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<core::MappedFile> file, core::MappedFile::Open(path));
  return fmt::format("{} {}", path, core::HexDigest(core::Hash64(file->data(), file->size())));
}

Status RequireDense(const data::Dataset& dataset, std::string_view component) {
  if (!dataset.is_sparse()) return Status::Ok();
  return core::InvalidArgument(
      "{} works on named columns, but its input is sparse (LibSVM) data with {} features",
      component, dataset.num_features());
}

std::vector<PortDef> TransformInputs() {
  return {{"data", ArtifactType::kDataset, "the data to learn from and transform"},
          {"apply_to", ArtifactType::kDataset,
           "more data to transform with what was learned from `data` (e.g. the test split)",
           /*optional=*/true}};
}

std::vector<PortDef> TransformOutputs() {
  return {{"data", ArtifactType::kDataset, "`data`, transformed"},
          {"applied", ArtifactType::kDataset, "`apply_to`, transformed", false, false, "apply_to"}};
}

ComponentFactory TransformFactory() {
  ComponentFactory f;
  f.category = "transform";
  f.inputs = TransformInputs();
  f.outputs = TransformOutputs();
  return f;
}

Status FittedTransform::Run(StepContext& step) {
  KILN_ASSIGN_OR_RETURN(data::Dataset fit, step.ReadDataset(step.Input("data")));
  KILN_ASSIGN_OR_RETURN(Apply apply, Fit(fit, step));
  KILN_RETURN_IF_ERROR(step.ctx().CheckCancelled("step " + step.step()));
  KILN_ASSIGN_OR_RETURN(data::Dataset out, apply(fit));
  KILN_RETURN_IF_ERROR(step.WriteDataset("data", out));
  if (step.HasInput("apply_to")) {
    KILN_ASSIGN_OR_RETURN(data::Dataset other, step.ReadDataset(step.Input("apply_to")));
    Result<data::Dataset> applied = apply(other);
    if (!applied.ok())
      return core::Status(applied.status()).AddContext("while applying it to input 'apply_to'");
    KILN_RETURN_IF_ERROR(step.WriteDataset("applied", *applied));
  }
  return Status::Ok();
}

Status Add(ComponentRegistry& registry, std::string name, std::string description,
           core::ParamSpec params, ComponentFactory factory) {
  ComponentEntry entry;
  entry.name = std::move(name);
  entry.description = std::move(description);
  entry.params = std::move(params);
  entry.factory = std::move(factory);
  return registry.Register(std::move(entry));
}

}  // namespace kiln::pipeline
