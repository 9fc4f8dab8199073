// Hand-written scanners for the few textual forms of a pipeline spec: ${params.NAME},
// ${steps.STEP.outputs.PORT}, step names, YAML core-schema numbers and durations. (std::regex is
// slow to construct and trips GCC 12's -Wmaybe-uninitialized under the sanitizers.)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::pipeline {

// Where a ${params.NAME} reference sits in a text: [begin, end) and the name.
struct ParamRefMatch {
  size_t begin = 0;
  size_t end = 0;
  std::string name;
};

// The first ${params.NAME} (spaces allowed inside the braces) at or after `from`.
std::optional<ParamRefMatch> FindParamRef(std::string_view text, size_t from);

// ${steps.STEP.outputs.PORT} with optional surrounding spaces; STEP may contain '.', '-', '_'.
bool ParseStepRef(std::string_view text, std::string& step, std::string& port);

// 1-64 letters, digits, '_' or '-', starting with a letter.
bool IsStepName(std::string_view text);

// YAML 1.2 core schema: [-+]?[0-9]+ and [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsIntLiteral(std::string_view text);
bool IsFloatLiteral(std::string_view text);

// A number with an optional unit ms|s|m|h, spaces allowed around both; seconds, or nullopt.
std::optional<double> ScanDuration(std::string_view text);

}  // namespace kiln::pipeline
