#include "kiln/pipeline/spec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <set>

#include "diagnostics.h"
#include "kiln/core/file.h"
#include "kiln/core/strings.h"
#include "reference_scan.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

std::string SourceLocation::Prefix() const {
  if (line <= 0) return file.empty() ? std::string() : file + ": ";
  return fmt::format("{}:{}:{}: ", file, line, column);
}

Status Diagnostics::ToStatus(core::StatusCode code) const {
  if (lines_.empty()) return Status::Ok();
  if (lines_.size() == 1) return Status(code, lines_[0]);
  return Status(code, fmt::format("{} problems:\n  {}", lines_.size(), core::Join(lines_, "\n  ")));
}

Result<double> ParseDuration(std::string_view text) {
  const std::optional<double> v = ScanDuration(text);
  if (!v)
    return core::InvalidArgument(
        "expected a duration such as 30s, 1.5m, 2h or 500ms (a number alone is seconds), found "
        "'{}'",
        text);
  return *v;
}

namespace {

struct Parser {
  std::string file;
  Diagnostics diag;

  SourceLocation At(const YAML::Node& node) const {
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + 1, m.column + 1};
  }

  // A plain scalar's typed value under YAML 1.2's core schema; quoted scalars stay strings.
  static nlohmann::json ScalarValue(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    if (node.Tag() == "!") return s;  // quoted
    static const std::set<std::string> kTrue{"true", "True", "TRUE"};
    static const std::set<std::string> kFalse{"false", "False", "FALSE"};
    static const std::set<std::string> kNull{"", "~", "null", "Null", "NULL"};
    if (kTrue.count(s)) return true;
    if (kFalse.count(s)) return false;
    if (kNull.count(s)) return nullptr;
    if (IsIntLiteral(s)) {
      try {
        return static_cast<int64_t>(std::stoll(s));
      } catch (const std::exception&) {
        return s;  // out of range: leave it to the param check to complain
      }
    }
    if (IsFloatLiteral(s)) return std::stod(s);
    return s;
  }

  nlohmann::json ToJson(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        return ScalarValue(node);
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        for (const YAML::Node& item : node) out.push_back(ToJson(item));
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& kv : node) out[kv.first.Scalar()] = ToJson(kv.second);
        return out;
      }
      default:
        return nullptr;
    }
  }

  // The entries of a mapping in file order, reporting duplicate keys and keys outside `known`
  // (when given).
  std::vector<std::pair<YAML::Node, YAML::Node>> Entries(const YAML::Node& map,
                                                         std::string_view what,
                                                         const std::vector<std::string>& known) {
    std::vector<std::pair<YAML::Node, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) {
        diag.Add(At(kv.first), "{}: expected a name as the key, found a {}", what,
                 kv.first.IsMap() ? "mapping" : "list");
        continue;
      }
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) {
        diag.Add(At(kv.first), "{}: '{}' is given twice", what, key);
        continue;
      }
      if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
        const std::string best = core::ClosestMatch(key, known);
        diag.Add(At(kv.first), "{}: unknown key '{}'{}; expected one of: {}", what, key,
                 best.empty() ? "" : " (did you mean '" + best + "'?)", core::Join(known, ", "));
        continue;
      }
      out.emplace_back(kv.first, kv.second);
    }
    return out;
  }

  bool ExpectMap(const YAML::Node& node, std::string_view what) {
    if (node.IsMap()) return true;
    diag.Add(At(node), "{}: expected a mapping (key: value lines), found {}", what,
             node.IsSequence() ? "a list"
             : node.IsScalar() ? "'" + node.Scalar() + "'"
                               : "nothing");
    return false;
  }

  bool ExpectText(const YAML::Node& node, std::string_view what, std::string& out) {
    if (node.IsScalar() && !node.Scalar().empty()) {
      out = node.Scalar();
      return true;
    }
    diag.Add(At(node), "{}: expected text, found {}", what,
             node.IsMap()        ? "a mapping"
             : node.IsSequence() ? "a list"
                                 : "nothing");
    return false;
  }

  std::vector<std::string> TextList(const YAML::Node& node, std::string_view what) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
    } else if (node.IsSequence()) {
      for (const YAML::Node& item : node) {
        std::string text;
        if (ExpectText(item, what, text)) out.push_back(text);
      }
    } else {
      diag.Add(At(node), "{}: expected a list of names", what);
    }
    return out;
  }

  void ParseParam(const YAML::Node& key, const YAML::Node& value, PipelineSpec& spec) {
    ParamDecl decl;
    decl.where = At(key);
    core::ParamDef& def = decl.def;
    def.name = key.Scalar();
    const std::string what = "param '" + def.name + "'";
    nlohmann::json default_value;
    std::string type;
    if (value.IsMap()) {
      for (const auto& [k, v] :
           Entries(value, what, {"type", "default", "min", "max", "choices", "help"})) {
        const std::string name = k.Scalar();
        if (name == "type") {
          ExpectText(v, what + " type", type);
        } else if (name == "default") {
          default_value = ToJson(v);
        } else if (name == "help") {
          def.help = v.IsScalar() ? v.Scalar() : "";
        } else if (name == "choices") {
          def.choices = TextList(v, what + " choices");
        } else {
          nlohmann::json bound = ToJson(v);
          if (!bound.is_number()) {
            diag.Add(At(v), "{} {}: expected a number", what, name);
            continue;
          }
          (name == "min" ? def.min : def.max) = bound.get<double>();
        }
      }
      if (default_value.is_null()) {
        diag.Add(decl.where, "{}: expected a default (params: {{{}: {{type: ..., default: ...}}}})",
                 what, def.name);
        return;
      }
    } else if (value.IsScalar()) {
      default_value = ToJson(value);
    } else {
      diag.Add(At(value), "{}: expected a default value or a mapping with type and default", what);
      return;
    }
    if (type.empty()) {
      type = default_value.is_boolean()          ? "bool"
             : default_value.is_number_integer() ? "int"
             : default_value.is_number()         ? "double"
             : !def.choices.empty()              ? "choice"
                                                 : "string";
    }
    if (type == "bool" && default_value.is_boolean()) {
      def.type = core::ParamType::kBool;
      def.default_value = default_value.get<bool>();
    } else if (type == "int" && default_value.is_number_integer()) {
      def.type = core::ParamType::kInt;
      def.default_value = default_value.get<int64_t>();
    } else if ((type == "double" || type == "float" || type == "number") &&
               default_value.is_number()) {
      def.type = core::ParamType::kDouble;
      def.default_value = default_value.get<double>();
    } else if ((type == "string" || type == "choice") && default_value.is_string()) {
      def.type = type == "choice" ? core::ParamType::kChoice : core::ParamType::kString;
      def.default_value = default_value.get<std::string>();
      if (def.type == core::ParamType::kChoice && def.choices.empty()) {
        diag.Add(decl.where, "{}: a choice needs choices: [...]", what);
        return;
      }
    } else if (type == "bool" || type == "int" || type == "double" || type == "float" ||
               type == "number" || type == "string" || type == "choice") {
      diag.Add(decl.where, "{}: default {} is not a {}", what, default_value.dump(), type);
      return;
    } else {
      diag.Add(decl.where, "{}: unknown type '{}'; expected bool, int, double, string or choice",
               what, type);
      return;
    }
    if (Status s = def.Check(def.default_value, "pipeline"); !s.ok()) {
      diag.Add(decl.where, "{}: default {}", what, s.message());
      return;
    }
    spec.params.push_back(std::move(decl));
  }

  bool ParseRef(const YAML::Node& node, InputRef& ref) {
    ref.where = At(node);
    if (!node.IsScalar()) {
      diag.Add(ref.where, "expected a reference ${{steps.STEP.outputs.PORT}}, found a {}",
               node.IsMap() ? "mapping (quote references inside {{...}})" : "list");
      return false;
    }
    const std::string& text = node.Scalar();
    if (!ParseStepRef(text, ref.step, ref.output)) {
      diag.Add(ref.where, "expected a reference ${{steps.STEP.outputs.PORT}}, found '{}'", text);
      return false;
    }
    return true;
  }

  void ParseStep(const YAML::Node& key, const YAML::Node& value, PipelineSpec& spec) {
    StepSpec step;
    step.name = key.Scalar();
    step.where = At(key);
    const std::string what = "step '" + step.name + "'";
    if (!IsStepName(step.name)) {
      diag.Add(step.where,
               "{}: a step name is 1-64 letters, digits, '_' or '-', starting with a letter", what);
    }
    if (!ExpectMap(value, what)) return;
    for (const auto& [k, v] : Entries(value, what,
                                      {"component", "params", "inputs", "cache", "retries",
                                       "retry_delay", "timeout", "description"})) {
      const std::string name = k.Scalar();
      if (name == "component") {
        step.component_where = At(v);
        ExpectText(v, what + " component", step.component);
      } else if (name == "params") {
        if (v.IsNull()) continue;
        if (!ExpectMap(v, what + " params")) continue;
        for (const auto& [pk, pv] : Entries(v, what + " params", {}))
          step.params[pk.Scalar()] = StepParam{ToJson(pv), At(pk)};
      } else if (name == "inputs") {
        if (v.IsNull()) continue;
        if (!ExpectMap(v, what + " inputs")) continue;
        for (const auto& [ik, iv] : Entries(v, what + " inputs", {})) {
          InputBinding binding;
          binding.port = ik.Scalar();
          binding.where = At(ik);
          if (iv.IsSequence()) {
            binding.is_list = true;
            for (const YAML::Node& item : iv) {
              InputRef ref;
              if (ParseRef(item, ref)) binding.refs.push_back(std::move(ref));
            }
          } else {
            InputRef ref;
            if (ParseRef(iv, ref)) binding.refs.push_back(std::move(ref));
          }
          step.inputs.push_back(std::move(binding));
        }
      } else if (name == "cache") {
        nlohmann::json b = ToJson(v);
        if (b.is_boolean()) {
          step.cache = b.get<bool>();
        } else {
          diag.Add(At(v), "{} cache: expected true or false", what);
        }
      } else if (name == "retries") {
        nlohmann::json n = ToJson(v);
        if (n.is_number_integer() && n.get<int64_t>() >= 0 && n.get<int64_t>() <= 100) {
          step.retries = static_cast<int>(n.get<int64_t>());
        } else {
          diag.Add(At(v), "{} retries: expected an integer in [0, 100], found '{}'", what,
                   v.IsScalar() ? v.Scalar() : "?");
        }
      } else if (name == "retry_delay" || name == "timeout") {
        Result<double> d = ParseDuration(v.IsScalar() ? v.Scalar() : "?");
        if (!d.ok()) {
          diag.Add(At(v), "{} {}: {}", what, name, d.status().message());
        } else if (name == "timeout" && *d <= 0) {
          diag.Add(At(v), "{} timeout: expected a positive duration", what);
        } else {
          (name == "timeout" ? step.timeout_seconds : step.retry_delay_seconds) = *d;
        }
      }
    }
    if (step.component.empty() && !value["component"]) {
      diag.Add(step.where, "{}: missing 'component' (see kiln components)", what);
    }
    spec.steps.push_back(std::move(step));
  }

  void ParseRoot(const YAML::Node& root, PipelineSpec& spec) {
    spec.where = At(root);
    if (!root.IsMap()) {
      diag.Add(At(root), "expected a pipeline (a mapping with name and steps), found {}",
               root.IsNull()       ? "an empty document"
               : root.IsSequence() ? "a list"
                                   : "text");
      return;
    }
    bool has_steps = false;
    for (const auto& [k, v] :
         Entries(root, "pipeline", {"name", "description", "params", "access", "steps"})) {
      const std::string name = k.Scalar();
      if (name == "name") {
        ExpectText(v, "name", spec.name);
      } else if (name == "description") {
        spec.description = v.IsScalar() ? v.Scalar() : "";
      } else if (name == "params") {
        if (v.IsNull()) continue;
        if (!ExpectMap(v, "params")) continue;
        for (const auto& [pk, pv] : Entries(v, "params", {})) ParseParam(pk, pv, spec);
      } else if (name == "access") {
        if (!ExpectMap(v, "access")) continue;
        for (const auto& [ak, av] : Entries(v, "access", {"read", "write"})) {
          (ak.Scalar() == "read" ? spec.read_projects : spec.write_projects) =
              TextList(av, "access " + ak.Scalar());
        }
      } else if (name == "steps") {
        has_steps = true;
        if (!ExpectMap(v, "steps")) continue;
        for (const auto& [sk, sv] : Entries(v, "steps", {})) ParseStep(sk, sv, spec);
      }
    }
    if (spec.name.empty() && !root["name"]) diag.Add(spec.where, "missing 'name'");
    if (!has_steps) diag.Add(spec.where, "missing 'steps'");
  }
};

}  // namespace

Result<PipelineSpec> ParsePipelineSpec(const std::string& path, const std::string& text) {
  PipelineSpec spec;
  spec.path = path;
  spec.text = text;
  Parser parser{path, {}};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourceLocation where{path, e.mark.is_null() ? 0 : e.mark.line + 1,
                         e.mark.is_null() ? 0 : e.mark.column + 1};
    return core::ParseError("{}invalid YAML: {}{}", where.Prefix(), e.msg,
                            text.find("${") != std::string::npos
                                ? " (a ${...} reference inside {...} must be quoted)"
                                : "");
  }
  try {
    parser.ParseRoot(root, spec);
  } catch (const YAML::Exception& e) {
    return core::ParseError("{}: invalid YAML: {}", path, e.what());
  }
  KILN_RETURN_IF_ERROR(parser.diag.ToStatus(core::StatusCode::kInvalidArgument));
  return spec;
}

Result<PipelineSpec> LoadPipelineSpec(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(path));
  return ParsePipelineSpec(path, text);
}

}  // namespace kiln::pipeline
