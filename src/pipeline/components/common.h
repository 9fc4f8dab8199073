// Helpers the built-in components share: column lists from params, port sets, a base class for
// transforms that learn on one dataset and apply to others, and registration in one call.
// Private to src/pipeline.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/data/dataset.h"
#include "kiln/pipeline/component.h"
#include "kiln/pipeline/step_context.h"

namespace kiln::pipeline {

// "a, b,c" -> {"a", "b", "c"}; "" -> {}.
std::vector<std::string> SplitList(const std::string& text);

// Indices of the named dense columns; kNotFound naming the missing ones and the columns the
// dataset has. `names` empty = every column for which `take` is true (all when unset).
core::Result<std::vector<size_t>> FindColumns(
    const data::Dataset& dataset, const std::vector<std::string>& names, std::string_view what,
    const std::function<bool(const data::Column&)>& take = nullptr);

// "<path> <xxh3-64 of its bytes>" ("<path> missing" when there is no such file).
core::Result<std::string> FileDigest(const std::string& path);

// For components that write a file outside the store: their `report` output records the path
// and FileDigest; true while the file still has that content.
bool OutputFileUnchanged(const std::map<std::string, Artifact>& outputs);

// Sets up a component that writes one file at its required `path` param: a `report` output,
// a check that `path` is given, and a cache that holds only while the file is unchanged.
void WritesFileAtPath(ComponentFactory& factory);

// kInvalidArgument when the dataset is sparse: `component` needs named columns.
core::Status RequireDense(const data::Dataset& dataset, std::string_view component);

// The ports of a fitted transform: inputs `data` (learned from and transformed) and `apply_to`
// (optional, transformed with what was learned on `data`, e.g. the test split); outputs `data`
// and `applied` (made when apply_to is bound).
std::vector<PortDef> TransformInputs();
std::vector<PortDef> TransformOutputs();

// A factory with category "transform" and the transform ports.
ComponentFactory TransformFactory();

// A transform that learns from `data` and applies what it learned to `data` and `apply_to`.
class FittedTransform : public Component {
 public:
  using Apply = std::function<core::Result<data::Dataset>(const data::Dataset&)>;
  core::Status Run(StepContext& step) final;

 protected:
  // Learns from `fit`; returns the function that transforms a dataset with the same columns.
  virtual core::Result<Apply> Fit(const data::Dataset& fit, StepContext& step) = 0;
};

// Registers `name` with the given factory parts.
core::Status Add(ComponentRegistry& registry, std::string name, std::string description,
                 core::ParamSpec params, ComponentFactory factory);

// A factory whose create() makes a T from the params.
template <typename T>
std::function<core::Result<std::unique_ptr<Component>>(const core::ParamMap&)> Make() {
  return [](const core::ParamMap& params) -> core::Result<std::unique_ptr<Component>> {
    return std::unique_ptr<Component>(std::make_unique<T>(params));
  };
}

}  // namespace kiln::pipeline
