// PipelineSpec: a pipeline as written in YAML, before validation — its name, typed params with
// defaults, project access rules and steps. Every element keeps where it was written (file,
// line, column) so validation errors point at the YAML.
//
//   name: churn
//   params:
//     l2: 0.01                                   # type from the default
//     solver: {type: choice, default: auto, choices: [auto, lbfgs, cd]}
//   access: {read: [prod]}                       # other projects steps may read (or write)
//   steps:
//     read:
//       component: read
//       params: {path: data/wa_churn/train.csv, label: churn}
//     train:
//       component: train.logistic_regression
//       inputs:
//         train: ${steps.read.outputs.data}
//       params: {l2: "${params.l2}"}
//       retries: 2            # extra attempts after a failure, with exponential backoff
//       retry_delay: 1s       # the first backoff (then 2x, 4x, ...)
//       timeout: 10m          # per attempt
//       cache: false          # always run this step
//
// Parsing checks the YAML's shape only (a mapping where one is expected, known keys, durations);
// Compile (plan.h) checks components, params, references and cycles.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/param_spec.h"
#include "kiln/core/result.h"

namespace kiln::pipeline {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
  // "file:line:column: " (or "file: "), the prefix of a validation message.
  std::string Prefix() const;
};

struct ParamDecl {
  core::ParamDef def;
  SourceLocation where;
};

// ${steps.STEP.outputs.PORT}
struct InputRef {
  std::string step;
  std::string output;
  SourceLocation where;
};

struct InputBinding {
  std::string port;
  std::vector<InputRef> refs;  // one, or a list for a port that takes several
  bool is_list = false;        // written as a YAML sequence
  SourceLocation where;
};

struct StepParam {
  nlohmann::json value;  // a scalar, list or map; strings may contain ${params.NAME}
  SourceLocation where;
};

struct StepSpec {
  std::string name;
  SourceLocation where;
  std::string component;
  SourceLocation component_where;
  std::map<std::string, StepParam> params;
  std::vector<InputBinding> inputs;
  bool cache = true;
  int retries = 0;
  double retry_delay_seconds = 1.0;
  double timeout_seconds = 0;  // 0 = none
};

struct PipelineSpec {
  std::string path;  // as given
  std::string text;  // the YAML
  std::string name;
  std::string description;
  SourceLocation where;
  std::vector<ParamDecl> params;
  std::vector<std::string> read_projects;
  std::vector<std::string> write_projects;
  std::vector<StepSpec> steps;  // in file order
};

// Parses YAML text; `path` names the file in messages. kParseError for malformed YAML
// (line:column) and kInvalidArgument for a wrong shape, each with its location.
core::Result<PipelineSpec> ParsePipelineSpec(const std::string& path, const std::string& text);
// Reads and parses a file.
core::Result<PipelineSpec> LoadPipelineSpec(const std::string& path);

// "90", "90s", "1.5m", "2h", "500ms" -> seconds; kInvalidArgument otherwise.
core::Result<double> ParseDuration(std::string_view text);

}  // namespace kiln::pipeline
