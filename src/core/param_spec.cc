#include "kiln/core/param_spec.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "kiln/core/strings.h"

namespace kiln::core {

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kBool:
      return "bool";
    case ParamType::kInt:
      return "int";
    case ParamType::kDouble:
      return "double";
    case ParamType::kString:
      return "string";
    case ParamType::kChoice:
      return "choice";
  }
  return "unknown";
}

std::string ParamValueToString(const ParamValue& value) {
  struct Visitor {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return FormatDouble(v); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{}, value);
}

std::string ParamDef::Describe() const {
  switch (type) {
    case ParamType::kBool:
      return "true or false";
    case ParamType::kString:
      return "a string";
    case ParamType::kChoice:
      return "one of: " + Join(choices, ", ");
    case ParamType::kInt:
    case ParamType::kDouble: {
      std::string what = type == ParamType::kInt ? "an integer" : "a number";
      if (min && max) {
        return fmt::format("{} in {}{}, {}{}", what, min_inclusive ? "[" : "(", FormatDouble(*min),
                           FormatDouble(*max), max_inclusive ? "]" : ")");
      }
      if (min) return fmt::format("{} {} {}", what, min_inclusive ? ">=" : ">", FormatDouble(*min));
      if (max) return fmt::format("{} {} {}", what, max_inclusive ? "<=" : "<", FormatDouble(*max));
      return what;
    }
  }
  return "a value";
}

Status ParamDef::Check(const ParamValue& value, std::string_view owner) const {
  auto bad = [&](const std::string& found) {
    return InvalidArgument("parameter '{}'{}{}: expected {}, found {}", name,
                           owner.empty() ? "" : " of ", owner, Describe(), found);
  };
  switch (type) {
    case ParamType::kBool:
      if (!std::holds_alternative<bool>(value)) return bad(ParamValueToString(value));
      return Status::Ok();
    case ParamType::kString:
      if (!std::holds_alternative<std::string>(value)) return bad(ParamValueToString(value));
      return Status::Ok();
    case ParamType::kChoice: {
      if (!std::holds_alternative<std::string>(value)) return bad(ParamValueToString(value));
      const auto& s = std::get<std::string>(value);
      if (std::find(choices.begin(), choices.end(), s) == choices.end()) return bad("'" + s + "'");
      return Status::Ok();
    }
    case ParamType::kInt:
    case ParamType::kDouble: {
      double v;
      if (type == ParamType::kInt) {
        if (!std::holds_alternative<int64_t>(value)) return bad(ParamValueToString(value));
        v = static_cast<double>(std::get<int64_t>(value));
      } else {
        if (std::holds_alternative<int64_t>(value)) {
          v = static_cast<double>(std::get<int64_t>(value));
        } else if (std::holds_alternative<double>(value)) {
          v = std::get<double>(value);
        } else {
          return bad(ParamValueToString(value));
        }
        if (!std::isfinite(v)) return bad(FormatDouble(v));
      }
      if (min && (min_inclusive ? v < *min : v <= *min)) return bad(ParamValueToString(value));
      if (max && (max_inclusive ? v > *max : v >= *max)) return bad(ParamValueToString(value));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

ParamDef& ParamSpec::Add(ParamDef def) {
  params_.push_back(std::move(def));
  return params_.back();
}

ParamDef& ParamSpec::Bool(std::string name, bool default_value, std::string help) {
  ParamDef d;
  d.name = std::move(name);
  d.type = ParamType::kBool;
  d.default_value = default_value;
  d.help = std::move(help);
  return Add(std::move(d));
}

ParamDef& ParamSpec::Int(std::string name, int64_t default_value, std::string help) {
  ParamDef d;
  d.name = std::move(name);
  d.type = ParamType::kInt;
  d.default_value = default_value;
  d.help = std::move(help);
  return Add(std::move(d));
}

ParamDef& ParamSpec::Double(std::string name, double default_value, std::string help) {
  ParamDef d;
  d.name = std::move(name);
  d.type = ParamType::kDouble;
  d.default_value = default_value;
  d.help = std::move(help);
  return Add(std::move(d));
}

ParamDef& ParamSpec::String(std::string name, std::string default_value, std::string help) {
  ParamDef d;
  d.name = std::move(name);
  d.type = ParamType::kString;
  d.default_value = std::move(default_value);
  d.help = std::move(help);
  return Add(std::move(d));
}

ParamDef& ParamSpec::Choice(std::string name, std::string default_value,
                            std::vector<std::string> choices, std::string help) {
  ParamDef d;
  d.name = std::move(name);
  d.type = ParamType::kChoice;
  d.default_value = std::move(default_value);
  d.choices = std::move(choices);
  d.help = std::move(help);
  return Add(std::move(d));
}

const ParamDef* ParamSpec::Find(std::string_view name) const {
  for (const auto& p : params_) {
    if (p.name == name) return &p;
  }
  for (const auto& p : params_) {
    for (const auto& a : p.aliases) {
      if (a == name) return &p;
    }
  }
  return nullptr;
}

Status ParamSpec::Validate() const {
  std::vector<std::string> names;
  for (const auto& p : params_) {
    if (p.name.empty()) return Internal("{}: a parameter has an empty name", owner_);
    if (p.help.empty()) return Internal("{}: parameter '{}' has no help text", owner_, p.name);
    names.push_back(p.name);
    for (const auto& a : p.aliases) names.push_back(a);
    if (p.type == ParamType::kChoice && p.choices.empty()) {
      return Internal("{}: choice parameter '{}' has no choices", owner_, p.name);
    }
    Status s = p.Check(p.default_value, owner_);
    if (!s.ok()) return Internal("{}: default of '{}' is invalid: {}", owner_, p.name, s.message());
  }
  std::sort(names.begin(), names.end());
  auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end())
    return Internal("{}: parameter name '{}' is declared twice", owner_, *dup);
  return Status::Ok();
}

Result<ParamValue> ParamSpec::ParseText(const ParamDef& def, std::string_view raw) const {
  std::string_view text = Trim(raw);
  auto bad = [&]() {
    return InvalidArgument("parameter '{}'{}{}: expected {}, found '{}'", def.name,
                           owner_.empty() ? "" : " of ", owner_, def.Describe(), raw);
  };
  ParamValue value;
  switch (def.type) {
    case ParamType::kBool: {
      std::string lower = ToLower(text);
      if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
        value = true;
      } else if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
        value = false;
      } else {
        return bad();
      }
      break;
    }
    case ParamType::kInt: {
      int64_t v = 0;
      const char* first = text.data();
      if (!text.empty() && text[0] == '+') ++first;
      auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return bad();
      value = v;
      break;
    }
    case ParamType::kDouble: {
      auto v = ParseDouble(text);
      if (!v) return bad();
      value = *v;
      break;
    }
    case ParamType::kString:
    case ParamType::kChoice:
      value = std::string(text);
      break;
  }
  KILN_RETURN_IF_ERROR(def.Check(value, owner_));
  return value;
}

Status ParamSpec::UnknownKey(std::string_view key) const {
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.name);
  std::string hint;
  std::string best = ClosestMatch(key, names);
  if (!best.empty()) hint = fmt::format(" (did you mean '{}'?)", best);
  return InvalidArgument("unknown parameter '{}'{}{}{}; valid parameters: {}", key,
                         owner_.empty() ? "" : " for ", owner_, hint,
                         names.empty() ? "(none)" : Join(names, ", "));
}

ParamMap ParamSpec::Defaults() const {
  ParamMap map;
  for (const auto& p : params_) map.values_.emplace_back(p.name, p.default_value);
  return map;
}

Result<ParamMap> ParamSpec::Resolve(
    const std::vector<std::pair<std::string, std::string>>& raw) const {
  ParamMap map = Defaults();
  for (const auto& [key, text] : raw) {
    const ParamDef* def = Find(Trim(key));
    if (def == nullptr) return UnknownKey(key);
    if (std::find(map.set_by_user_.begin(), map.set_by_user_.end(), def->name) !=
        map.set_by_user_.end()) {
      return InvalidArgument("parameter '{}'{}{} is given twice", def->name,
                             owner_.empty() ? "" : " of ", owner_);
    }
    KILN_ASSIGN_OR_RETURN(ParamValue value, ParseText(*def, text));
    for (auto& entry : map.values_) {
      if (entry.first == def->name) entry.second = std::move(value);
    }
    map.set_by_user_.push_back(def->name);
  }
  return map;
}

Result<ParamMap> ParamSpec::ResolveJson(const nlohmann::json& object) const {
  if (!object.is_object()) {
    return InvalidArgument("parameters{}{}: expected a JSON object, found {}",
                           owner_.empty() ? "" : " of ", owner_, object.type_name());
  }
  ParamMap map = Defaults();
  for (const auto& [key, j] : object.items()) {
    const ParamDef* def = Find(key);
    if (def == nullptr) return UnknownKey(key);
    ParamValue value;
    if (j.is_boolean()) {
      value = j.get<bool>();
    } else if (j.is_number_integer()) {
      value = j.get<int64_t>();
      if (def->type == ParamType::kDouble) value = static_cast<double>(j.get<int64_t>());
    } else if (j.is_number()) {
      value = j.get<double>();
    } else if (j.is_string()) {
      if (def->type == ParamType::kString || def->type == ParamType::kChoice) {
        value = j.get<std::string>();
      } else {
        KILN_ASSIGN_OR_RETURN(value, ParseText(*def, j.get<std::string>()));
      }
    } else {
      return InvalidArgument("parameter '{}'{}{}: expected {}, found a JSON {}", key,
                             owner_.empty() ? "" : " of ", owner_, def->Describe(), j.type_name());
    }
    KILN_RETURN_IF_ERROR(def->Check(value, owner_));
    for (auto& entry : map.values_) {
      if (entry.first == def->name) entry.second = value;
    }
    map.set_by_user_.push_back(def->name);
  }
  return map;
}

namespace {
nlohmann::json ValueToJson(const ParamValue& v) {
  struct Visitor {
    nlohmann::json operator()(bool b) const { return b; }
    nlohmann::json operator()(int64_t i) const { return i; }
    nlohmann::json operator()(double d) const { return d; }
    nlohmann::json operator()(const std::string& s) const { return s; }
  };
  return std::visit(Visitor{}, v);
}
}  // namespace

nlohmann::json ParamSpec::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : params_) {
    nlohmann::json j;
    j["name"] = p.name;
    j["type"] = ParamTypeName(p.type);
    j["default"] = ValueToJson(p.default_value);
    if (p.min) {
      j["min"] = *p.min;
      j["min_inclusive"] = p.min_inclusive;
    }
    if (p.max) {
      j["max"] = *p.max;
      j["max_inclusive"] = p.max_inclusive;
    }
    if (!p.choices.empty()) j["choices"] = p.choices;
    if (!p.aliases.empty()) j["aliases"] = p.aliases;
    if (p.log_scale) j["log_scale"] = true;
    j["help"] = p.help;
    out.push_back(std::move(j));
  }
  return out;
}

const std::pair<std::string, ParamValue>* ParamMap::FindEntry(std::string_view name) const {
  for (const auto& e : values_) {
    if (e.first == name) return &e;
  }
  return nullptr;
}

bool ParamMap::Has(std::string_view name) const { return FindEntry(name) != nullptr; }

bool ParamMap::IsSet(std::string_view name) const {
  return std::find(set_by_user_.begin(), set_by_user_.end(), name) != set_by_user_.end();
}

const ParamValue& ParamMap::Get(std::string_view name) const {
  const auto* e = FindEntry(name);
  assert(e != nullptr && "parameter not in spec");
  return e->second;
}

bool ParamMap::GetBool(std::string_view name) const { return std::get<bool>(Get(name)); }

int64_t ParamMap::GetInt(std::string_view name) const { return std::get<int64_t>(Get(name)); }

double ParamMap::GetDouble(std::string_view name) const {
  const auto& v = Get(name);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  return std::get<double>(v);
}

const std::string& ParamMap::GetString(std::string_view name) const {
  return std::get<std::string>(Get(name));
}

nlohmann::json ParamMap::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : values_) out[k] = ValueToJson(v);
  return out;
}

Result<std::pair<std::string, std::string>> SplitKeyValue(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument("expected key=value, found '{}'", text);
  }
  return std::make_pair(std::string(Trim(text.substr(0, eq))), std::string(text.substr(eq + 1)));
}

}  // namespace kiln::core
