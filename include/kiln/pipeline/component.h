// Component: one kind of pipeline step — typed inputs and outputs, parameters (a ParamSpec) and
// a version — and the code that runs it. Components are registered explicitly in a
// ComponentRegistry (RegisterBuiltinComponents); every registered algorithm becomes a
// `train.<name>` component whose params are the algorithm's ParamSpec.
//
// A component's version is part of every cache key made with it: bump it whenever the same
// params and inputs would produce different outputs.
// Thread-safety: Run may be called for different steps on different threads at once; one
// Component object runs one step.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiln/core/param_spec.h"
#include "kiln/core/registry.h"
#include "kiln/core/result.h"
#include "kiln/pipeline/artifact.h"

namespace kiln::pipeline {

class StepContext;
struct PipelineServices;

struct PortDef {
  std::string name;
  ArtifactType type = ArtifactType::kDataset;
  std::string help;
  bool optional = false;  // inputs: the step may leave it unbound
  bool multiple = false;  // inputs: takes a list of references
  // Outputs: made only when this input is bound ("" = always made). Referencing such an output
  // of a step that leaves the input unbound is a validation error.
  std::string produced_when;
};

class Component {
 public:
  virtual ~Component() = default;
  // Reads the step's inputs and writes every output it makes through `step`. Long work checks
  // step.ctx() for cancellation (Ctrl-C, the step's timeout).
  virtual core::Status Run(StepContext& step) = 0;
};

struct ComponentFactory {
  std::string category;  // "data", "transform", "train", "evaluate", "model", "util"
  int version = 1;
  std::vector<PortDef> inputs;
  std::vector<PortDef> outputs;
  // A component for one step; params are already resolved against the entry's ParamSpec.
  std::function<core::Result<std::unique_ptr<Component>>(const core::ParamMap& params)> create;
  // What the outputs depend on besides params and input artifacts (the bytes of a file a read
  // step reads, the version a registry alias points at), as text for the cache key; unset =
  // nothing. Runs on the step's thread before the cache lookup.
  std::function<core::Result<std::string>(const core::ParamMap& params,
                                          const PipelineServices& services)>
      external_key;
  // Whether cached outputs still stand for a component with effects outside the artifact store
  // (the file an export wrote is still there, unchanged); unset = always.
  std::function<bool(const core::ParamMap& params, const PipelineServices& services,
                     const std::map<std::string, Artifact>& outputs)>
      cache_valid;
  // Checks between params that a ParamSpec cannot express (method=column needs a column), run
  // by validation before anything executes; unset = none.
  std::function<core::Status(const core::ParamMap& params)> check;

  const PortDef* FindInput(std::string_view name) const;
  const PortDef* FindOutput(std::string_view name) const;
};

using ComponentRegistry = core::Registry<ComponentFactory>;
using ComponentEntry = ComponentRegistry::Entry;

// The full metadata of a component, for `kiln components --json` and the studio:
// {"name", "description", "category", "version", "inputs": [...], "outputs": [...],
//  "params": ParamSpec::ToJson()}.
nlohmann::json ComponentToJson(const ComponentEntry& entry);

}  // namespace kiln::pipeline
