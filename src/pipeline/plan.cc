#include "kiln/pipeline/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "diagnostics.h"
#include "kiln/core/hash.h"
#include "kiln/core/strings.h"
#include "reference_scan.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

int Plan::Find(std::string_view name) const {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

nlohmann::json ParamJson(const core::ParamValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

std::string ParamText(const core::ParamValue& v) { return core::ParamValueToString(v); }

// Replaces ${params.NAME}: a whole-string reference keeps the param's type, references inside
// text are formatted into it.
nlohmann::json Substitute(const nlohmann::json& value, const core::ParamMap& params,
                          const core::ParamSpec& spec, const SourceLocation& where,
                          Diagnostics& diag) {
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : value) out.push_back(Substitute(v, params, spec, where, diag));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : value.items()) out[k] = Substitute(v, params, spec, where, diag);
    return out;
  }
  if (!value.is_string()) return value;
  const std::string text = value.get<std::string>();
  if (text.find("${") == std::string::npos) return value;
  auto lookup = [&](const std::string& name) -> const core::ParamValue* {
    if (spec.Find(name) == nullptr) {
      std::vector<std::string> names;
      for (const auto& d : spec.params()) names.push_back(d.name);
      const std::string best = core::ClosestMatch(name, names);
      diag.Add(where, "unknown pipeline param '{}' in '{}'{}; declared: {}", name, text,
               best.empty() ? "" : " (did you mean '" + best + "'?)",
               names.empty() ? "none (add a params: section)" : core::Join(names, ", "));
      return nullptr;
    }
    return &params.Get(name);
  };
  const std::optional<ParamRefMatch> first = FindParamRef(text, 0);
  if (first && first->begin == 0 && first->end == text.size()) {
    const core::ParamValue* v = lookup(first->name);
    return v != nullptr ? ParamJson(*v) : value;
  }
  std::string out;
  size_t begin = 0;
  for (auto m = first; m; m = FindParamRef(text, m->end)) {
    out.append(text, begin, m->begin - begin);
    const core::ParamValue* v = lookup(m->name);
    out += v != nullptr ? ParamText(*v) : text.substr(m->begin, m->end - m->begin);
    begin = m->end;
  }
  out.append(text, begin, std::string::npos);
  if (out.find("${") != std::string::npos) {
    diag.Add(where, "'{}': expected ${{params.NAME}}; other ${{...}} forms are not params", text);
  }
  return out;
}

// Builds the pipeline's ParamSpec and resolves its values.
void ResolvePipelineParams(Plan& plan,
                           const std::vector<std::pair<std::string, std::string>>& overrides,
                           Diagnostics& diag) {
  plan.param_spec = core::ParamSpec("pipeline " + plan.spec.name);
  std::set<std::string> seen;
  for (const ParamDecl& d : plan.spec.params) {
    core::ParamDef& def = [&]() -> core::ParamDef& {
      const core::ParamDef& p = d.def;
      switch (p.type) {
        case core::ParamType::kBool:
          return plan.param_spec.Bool(p.name, std::get<bool>(p.default_value), p.help);
        case core::ParamType::kInt:
          return plan.param_spec.Int(p.name, std::get<int64_t>(p.default_value), p.help);
        case core::ParamType::kDouble:
          return plan.param_spec.Double(p.name, std::get<double>(p.default_value), p.help);
        case core::ParamType::kString:
          return plan.param_spec.String(p.name, std::get<std::string>(p.default_value), p.help);
        case core::ParamType::kChoice:
          return plan.param_spec.Choice(p.name, std::get<std::string>(p.default_value), p.choices,
                                        p.help);
      }
      return plan.param_spec.String(p.name, "", p.help);
    }();
    def.min = d.def.min;
    def.max = d.def.max;
  }
  Result<core::ParamMap> values = plan.param_spec.Resolve(overrides);
  if (!values.ok()) {
    diag.AddLine(fmt::format("-p: {}", values.status().message()));
    plan.params = plan.param_spec.Defaults();
    return;
  }
  plan.params = std::move(*values);
}

struct StepDraft {
  const StepSpec* spec = nullptr;
  const ComponentEntry* entry = nullptr;
  core::ParamMap params;
  bool params_ok = false;
};

void ResolveStepParams(const Plan& plan, StepDraft& draft, Diagnostics& diag) {
  const StepSpec& step = *draft.spec;
  const core::ParamSpec& spec = draft.entry->params;
  nlohmann::json all = nlohmann::json::object();
  bool ok = true;
  for (const auto& [key, param] : step.params) {
    const size_t before = diag.size();
    nlohmann::json value = Substitute(param.value, plan.params, plan.param_spec, param.where, diag);
    if (diag.size() != before) {
      ok = false;
      continue;
    }
    if (spec.Find(key) == nullptr) {
      std::vector<std::string> names;
      for (const auto& d : spec.params()) names.push_back(d.name);
      const std::string best = core::ClosestMatch(key, names);
      diag.Add(param.where, "step '{}': unknown param '{}' for component {}{}; valid: {}",
               step.name, key, draft.entry->name,
               best.empty() ? "" : " (did you mean '" + best + "'?)",
               names.empty() ? "none" : core::Join(names, ", "));
      ok = false;
      continue;
    }
    Result<core::ParamMap> one = spec.ResolveJson(nlohmann::json{{key, value}});
    if (!one.ok()) {
      diag.Add(param.where, "step '{}': {}", step.name, one.status().message());
      ok = false;
      continue;
    }
    all[key] = std::move(value);
  }
  if (!ok) return;
  Result<core::ParamMap> resolved = spec.ResolveJson(all);
  if (!resolved.ok()) {
    diag.Add(step.where, "step '{}': {}", step.name, resolved.status().message());
    return;
  }
  if (draft.entry->factory.check) {
    if (Status s = draft.entry->factory.check(*resolved); !s.ok()) {
      diag.Add(step.where, "step '{}' ({}): {}", step.name, draft.entry->name, s.message());
      return;
    }
  }
  draft.params = std::move(*resolved);
  draft.params_ok = true;
}

std::vector<std::string> PortNames(const std::vector<PortDef>& ports) {
  std::vector<std::string> names;
  for (const PortDef& p : ports) names.push_back(p.name);
  return names;
}

bool Binds(const StepSpec& step, const std::string& port) {
  for (const InputBinding& b : step.inputs) {
    if (b.port == port && !b.refs.empty()) return true;
  }
  return false;
}

// Resolves one step's input bindings against the other steps; fills `out`.
void ResolveInputs(const std::vector<StepDraft>& drafts, const std::map<std::string, size_t>& index,
                   size_t self, std::vector<PlannedInput>& out, Diagnostics& diag) {
  const StepSpec& step = *drafts[self].spec;
  const ComponentFactory& factory = drafts[self].entry->factory;
  std::set<std::string> bound;
  for (const InputBinding& b : step.inputs) {
    const PortDef* port = factory.FindInput(b.port);
    if (port == nullptr) {
      const std::vector<std::string> names = PortNames(factory.inputs);
      const std::string best = core::ClosestMatch(b.port, names);
      diag.Add(b.where, "step '{}': component {} has no input '{}'{}; its inputs: {}", step.name,
               drafts[self].entry->name, b.port,
               best.empty() ? "" : " (did you mean '" + best + "'?)",
               names.empty() ? "none" : core::Join(names, ", "));
      continue;
    }
    if (b.is_list && !port->multiple) {
      diag.Add(b.where, "step '{}': input '{}' takes one reference, found a list of {}", step.name,
               b.port, b.refs.size());
    }
    bound.insert(b.port);
    PlannedInput planned{b.port, {}};
    for (const InputRef& ref : b.refs) {
      auto it = index.find(ref.step);
      if (it == index.end()) {
        std::vector<std::string> names;
        for (const auto& [n, _] : index) names.push_back(n);
        const std::string best = core::ClosestMatch(ref.step, names);
        diag.Add(ref.where, "step '{}' input '{}': no step named '{}'{}", step.name, b.port,
                 ref.step, best.empty() ? "" : " (did you mean '" + best + "'?)");
        continue;
      }
      const StepDraft& up = drafts[it->second];
      if (up.entry == nullptr) continue;  // its unknown component is reported already
      const PortDef* output = up.entry->factory.FindOutput(ref.output);
      if (output == nullptr) {
        const std::vector<std::string> names = PortNames(up.entry->factory.outputs);
        const std::string best = core::ClosestMatch(ref.output, names);
        diag.Add(ref.where,
                 "step '{}' input '{}': step '{}' ({}) has no output '{}'{}; its "
                 "outputs: {}",
                 step.name, b.port, ref.step, up.entry->name, ref.output,
                 best.empty() ? "" : " (did you mean '" + best + "'?)", core::Join(names, ", "));
        continue;
      }
      if (!output->produced_when.empty() && !Binds(*up.spec, output->produced_when)) {
        diag.Add(ref.where,
                 "step '{}' input '{}': step '{}' makes output '{}' only when its input '{}' is "
                 "bound, and it is not",
                 step.name, b.port, ref.step, ref.output, output->produced_when);
        continue;
      }
      if (output->type != port->type) {
        diag.Add(ref.where,
                 "step '{}' input '{}' expects a {}, but output '{}' of step '{}' is a {}",
                 step.name, b.port, ArtifactTypeName(port->type), ref.output, ref.step,
                 ArtifactTypeName(output->type));
        continue;
      }
      planned.sources.push_back({it->second, ref.output});
    }
    out.push_back(std::move(planned));
  }
  for (const PortDef& port : factory.inputs) {
    if (!port.optional && !bound.count(port.name)) {
      diag.Add(step.where,
               "step '{}': component {} needs input '{}' ({}): add inputs: {{{}: "
               "${{steps.STEP.outputs.PORT}}}}",
               step.name, drafts[self].entry->name, port.name, ArtifactTypeName(port.type),
               port.name);
    }
  }
}

// Kahn's algorithm, taking ready steps in file order; a leftover means a cycle, reported as a
// path.
std::vector<size_t> TopologicalOrder(const std::vector<std::vector<size_t>>& upstream,
                                     const std::vector<std::string>& names,
                                     const std::vector<SourceLocation>& where, Diagnostics& diag) {
  const size_t n = upstream.size();
  std::vector<std::vector<size_t>> downstream(n);
  std::vector<size_t> missing(n, 0);
  for (size_t i = 0; i < n; ++i) {
    missing[i] = upstream[i].size();
    for (size_t u : upstream[i]) downstream[u].push_back(i);
  }
  std::vector<size_t> order;
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i) {
    if (missing[i] == 0) ready.insert(i);
  }
  while (!ready.empty()) {
    const size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (size_t d : downstream[i]) {
      if (--missing[d] == 0) ready.insert(d);
    }
  }
  if (order.size() == n) return order;
  // Walk upstream from a leftover step until a step repeats: that loop is a cycle.
  size_t start = 0;
  while (missing[start] == 0) ++start;
  std::vector<size_t> path{start};
  std::vector<int> position(n, -1);
  position[start] = 0;
  for (size_t cur = start;;) {
    size_t next = cur;
    for (size_t u : upstream[cur]) {
      if (missing[u] != 0) {
        next = u;
        break;
      }
    }
    if (position[next] >= 0) {
      std::vector<std::string> cycle;
      for (size_t k = path.size(); k-- > static_cast<size_t>(position[next]);)
        cycle.push_back(names[path[k]]);
      cycle.push_back(names[path.back()]);
      diag.Add(where[next], "the steps form a cycle: {}", core::Join(cycle, " -> "));
      break;
    }
    position[next] = static_cast<int>(path.size());
    path.push_back(next);
    cur = next;
  }
  return {};
}

}  // namespace

Result<Plan> Compile(PipelineSpec spec, const ComponentRegistry& registry,
                     const std::vector<std::pair<std::string, std::string>>& overrides) {
  Plan plan;
  plan.spec = std::move(spec);
  plan.spec_hash = core::HexDigest(core::Hash64(plan.spec.text));
  Diagnostics diag;
  bool unknown_component = false;
  ResolvePipelineParams(plan, overrides, diag);

  const std::vector<StepSpec>& steps = plan.spec.steps;
  std::vector<StepDraft> drafts(steps.size());
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < steps.size(); ++i) {
    drafts[i].spec = &steps[i];
    index[steps[i].name] = i;
    if (steps[i].component.empty()) continue;
    Result<const ComponentEntry*> entry = registry.Get(steps[i].component);
    if (!entry.ok()) {
      diag.Add(steps[i].component_where, "step '{}': {} (see kiln components)", steps[i].name,
               entry.status().message());
      unknown_component = true;
      continue;
    }
    drafts[i].entry = *entry;
    ResolveStepParams(plan, drafts[i], diag);
  }

  std::vector<std::vector<PlannedInput>> inputs(steps.size());
  std::vector<std::vector<size_t>> upstream(steps.size());
  std::vector<std::string> names;
  std::vector<SourceLocation> where;
  for (size_t i = 0; i < steps.size(); ++i) {
    names.push_back(steps[i].name);
    where.push_back(steps[i].where);
    if (drafts[i].entry == nullptr) continue;
    ResolveInputs(drafts, index, i, inputs[i], diag);
    std::set<size_t> ups;
    for (const PlannedInput& in : inputs[i]) {
      for (const PlannedSource& s : in.sources) ups.insert(s.step);
    }
    upstream[i].assign(ups.begin(), ups.end());
  }
  const std::vector<size_t> order = TopologicalOrder(upstream, names, where, diag);
  if (steps.empty()) diag.Add(plan.spec.where, "the pipeline has no steps");
  KILN_RETURN_IF_ERROR(diag.ToStatus(unknown_component ? core::StatusCode::kNotFound
                                                       : core::StatusCode::kInvalidArgument));

  std::vector<size_t> position(steps.size());
  for (size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
  for (size_t i : order) {
    PlannedStep p;
    const StepSpec& s = steps[i];
    p.name = s.name;
    p.component = drafts[i].entry;
    p.params = std::move(drafts[i].params);
    p.inputs = std::move(inputs[i]);
    for (PlannedInput& in : p.inputs) {
      for (PlannedSource& src : in.sources) src.step = position[src.step];
    }
    for (size_t u : upstream[i]) p.upstream.push_back(position[u]);
    std::sort(p.upstream.begin(), p.upstream.end());
    for (const PortDef& out : p.component->factory.outputs) {
      if (out.produced_when.empty() || Binds(s, out.produced_when)) p.outputs.push_back(out.name);
    }
    p.cache = s.cache;
    p.retries = s.retries;
    p.retry_delay_seconds = s.retry_delay_seconds;
    p.timeout_seconds = s.timeout_seconds;
    p.where = s.where;
    plan.steps.push_back(std::move(p));
  }
  for (size_t k = 0; k < plan.steps.size(); ++k) {
    for (size_t u : plan.steps[k].upstream) plan.steps[u].downstream.push_back(k);
  }
  return plan;
}

}  // namespace kiln::pipeline
