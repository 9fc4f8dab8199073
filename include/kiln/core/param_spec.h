// ParamSpec: the typed schema of an algorithm's (or component's) parameters — type, default,
// range, choices, help, aliases. It is the single source for CLI flags (-p key=value), config and
// pipeline validation, `kiln algorithms` output, the studio's forms and AutoML's search spaces.
//
// ParamMap: a complete, validated set of values for one ParamSpec (every parameter present,
// defaults filled in). Both are immutable value types once built; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kiln/core/result.h"

namespace kiln::core {

enum class ParamType { kBool, kInt, kDouble, kString, kChoice };
std::string_view ParamTypeName(ParamType type);

using ParamValue = std::variant<bool, int64_t, double, std::string>;
std::string ParamValueToString(const ParamValue& value);

struct ParamDef {
  std::string name;
  ParamType type = ParamType::kDouble;
  ParamValue default_value;
  std::optional<double> min;  // numeric types only
  std::optional<double> max;
  bool min_inclusive = true;
  bool max_inclusive = true;
  std::vector<std::string> choices;  // kChoice only
  std::string help;
  std::vector<std::string> aliases;  // other accepted names ("eta" for "learning_rate")
  bool log_scale = false;            // hint for search spaces and sliders

  // Fluent setters for declaring specs.
  ParamDef& Min(double v, bool inclusive = true) {
    min = v;
    min_inclusive = inclusive;
    return *this;
  }
  ParamDef& Max(double v, bool inclusive = true) {
    max = v;
    max_inclusive = inclusive;
    return *this;
  }
  ParamDef& Alias(std::string alias) {
    aliases.push_back(std::move(alias));
    return *this;
  }
  ParamDef& LogScale() {
    log_scale = true;
    return *this;
  }

  // "a number in [0, 1]", "one of: auto, lbfgs", ... used in errors and help.
  std::string Describe() const;
  // Checks a typed value against type, range and choices.
  Status Check(const ParamValue& value, std::string_view owner) const;
};

class ParamMap;

class ParamSpec {
 public:
  ParamSpec() = default;
  // `owner` names what the params belong to ("logistic_regression") in error messages.
  explicit ParamSpec(std::string owner) : owner_(std::move(owner)) {}

  ParamDef& Bool(std::string name, bool default_value, std::string help);
  ParamDef& Int(std::string name, int64_t default_value, std::string help);
  ParamDef& Double(std::string name, double default_value, std::string help);
  ParamDef& String(std::string name, std::string default_value, std::string help);
  ParamDef& Choice(std::string name, std::string default_value, std::vector<std::string> choices,
                   std::string help);

  const std::string& owner() const { return owner_; }
  const std::vector<ParamDef>& params() const { return params_; }
  // By name or alias; nullptr if unknown.
  const ParamDef* Find(std::string_view name) const;

  // The spec itself is well formed: unique names and aliases, defaults pass their own checks.
  Status Validate() const;

  // From user text (CLI -p key=value). Unknown keys, duplicates and bad values are errors that
  // name the key, what was expected and what was found; unknown keys list the valid ones.
  Result<ParamMap> Resolve(const std::vector<std::pair<std::string, std::string>>& raw) const;
  // From a JSON object of typed values (model files, pipeline specs).
  Result<ParamMap> ResolveJson(const nlohmann::json& object) const;
  // All defaults.
  ParamMap Defaults() const;

  // [{"name", "type", "default", "min", "max", "choices", "help", "aliases"}, ...]
  nlohmann::json ToJson() const;

 private:
  ParamDef& Add(ParamDef def);
  Result<ParamValue> ParseText(const ParamDef& def, std::string_view text) const;
  Status UnknownKey(std::string_view key) const;

  std::string owner_;
  std::vector<ParamDef> params_;
};

class ParamMap {
 public:
  ParamMap() = default;

  bool Has(std::string_view name) const;
  // True if the user gave this value (rather than the default).
  bool IsSet(std::string_view name) const;

  // Typed getters. The name must be in the spec (a programmer error otherwise; asserts).
  bool GetBool(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  double GetDouble(std::string_view name) const;
  const std::string& GetString(std::string_view name) const;
  const ParamValue& Get(std::string_view name) const;

  const std::vector<std::pair<std::string, ParamValue>>& values() const { return values_; }
  // {"name": typed value, ...}
  nlohmann::json ToJson() const;

 private:
  friend class ParamSpec;
  const std::pair<std::string, ParamValue>* FindEntry(std::string_view name) const;
  std::vector<std::pair<std::string, ParamValue>> values_;
  std::vector<std::string> set_by_user_;
};

// Splits "key=value"; an error names the text when there is no '='.
Result<std::pair<std::string, std::string>> SplitKeyValue(std::string_view text);

}  // namespace kiln::core
