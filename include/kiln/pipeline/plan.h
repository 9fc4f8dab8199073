// Plan: a validated pipeline, ready to execute — pipeline params resolved (defaults < -p
// overrides), every step's component found, its params substituted and checked against the
// component's ParamSpec, its inputs resolved to upstream outputs of the right type, and the steps
// in a topological order. Compile reports every problem it finds at once, each with the YAML
// file, line and column: unknown component or param, a bad value (with the allowed range), a
// missing or unknown input, a reference to a step or output that does not exist or is not made,
// a type mismatch, a cycle.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/param_spec.h"
#include "kiln/core/result.h"
#include "kiln/pipeline/component.h"
#include "kiln/pipeline/spec.h"

namespace kiln::pipeline {

struct PlannedSource {
  size_t step = 0;     // index into Plan::steps
  std::string output;  // the upstream step's output port
};

struct PlannedInput {
  std::string port;
  std::vector<PlannedSource> sources;
};

struct PlannedStep {
  std::string name;
  const ComponentEntry* component = nullptr;  // owned by the registry
  core::ParamMap params;
  std::vector<PlannedInput> inputs;
  std::vector<size_t> upstream;      // distinct steps this one reads from
  std::vector<size_t> downstream;    // distinct steps that read from this one
  std::vector<std::string> outputs;  // the output ports this step makes
  bool cache = true;
  int retries = 0;
  double retry_delay_seconds = 1.0;
  double timeout_seconds = 0;
  SourceLocation where;
};

struct Plan {
  PipelineSpec spec;
  core::ParamSpec param_spec;      // the pipeline's declared params
  core::ParamMap params;           // their values for this run
  std::vector<PlannedStep> steps;  // topological order (file order among independent steps)
  std::string spec_hash;           // hex XXH3-64 of the YAML text

  // Index of the named step, or -1.
  int Find(std::string_view name) const;
};

// Validates `spec` against `registry` with `overrides` ("key", "value" from -p) of the
// pipeline's params. kInvalidArgument (kNotFound for unknown components) listing every problem.
core::Result<Plan> Compile(PipelineSpec spec, const ComponentRegistry& registry,
                           const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace kiln::pipeline
