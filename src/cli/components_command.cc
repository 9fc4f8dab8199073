// kiln components: the pipeline components — every built-in one and train.<algorithm> for each
// algorithm — with their typed inputs, outputs, params and version.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"
#include "param_text.h"

namespace kiln::cli {
namespace {

constexpr const char* kComponentsExamples = R"(Examples:
  kiln components
  kiln components split
  kiln components train.logistic_regression --json
  kiln components --category transform)";

constexpr size_t kWidth = 100;

std::string Ports(const std::vector<pipeline::PortDef>& ports) {
  std::vector<std::string> parts;
  for (const pipeline::PortDef& p : ports) {
    parts.push_back(fmt::format("{}:{}{}{}", p.name, pipeline::ArtifactTypeName(p.type),
                                p.multiple ? "[]" : "", p.optional ? "?" : ""));
  }
  return parts.empty() ? "-" : core::Join(parts, " ");
}

std::string PortLines(const std::vector<pipeline::PortDef>& ports, bool inputs) {
  if (ports.empty()) return "  none\n";
  std::string out;
  for (const pipeline::PortDef& p : ports) {
    std::string flags;
    if (inputs && p.optional) flags += ", optional";
    if (inputs && p.multiple) flags += ", a list";
    if (!p.produced_when.empty()) flags += ", made when " + p.produced_when + " is bound";
    out += fmt::format("  {} ({}{})\n", p.name, pipeline::ArtifactTypeName(p.type), flags);
    if (!p.help.empty()) out += Wrap(p.help, kWidth, "      ", "      ");
  }
  return out;
}

std::string DescribeOne(const pipeline::ComponentEntry& e) {
  std::string out =
      fmt::format("{}  ({}, version {})\n", e.name, e.factory.category, e.factory.version);
  out += Wrap(e.description, kWidth, "    ", "    ");
  out += "\ninputs:\n" + PortLines(e.factory.inputs, true);
  out += "\noutputs:\n" + PortLines(e.factory.outputs, false);
  out += ParamsText(e.params, "params", kWidth);
  return out;
}

}  // namespace

CLI::App* AddComponentsCommand(CLI::App& app, ComponentsOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "components", "List the pipeline components, or show one's inputs, outputs and params");
  cmd->add_option("name", o.name, "A component to describe in full")->type_name("NAME");
  cmd->add_option("--category", o.category,
                  "Only this category: data, transform, train, evaluate, model, util")
      ->type_name("NAME");
  cmd->add_flag("--json", o.json, "Print the full metadata as JSON (what the studio reads)");
  cmd->footer(kComponentsExamples);
  return cmd;
}

core::Status RunComponents(const ComponentsOptions& options, Session& session) {
  KILN_ASSIGN_OR_RETURN(const pipeline::ComponentRegistry* registry, session.Components());
  auto& out = session.out();
  if (!options.name.empty()) {
    KILN_ASSIGN_OR_RETURN(const pipeline::ComponentEntry* entry, registry->Get(options.name));
    out << (options.json ? pipeline::ComponentToJson(*entry).dump(2) + "\n" : DescribeOne(*entry));
    return core::Status::Ok();
  }
  std::vector<const pipeline::ComponentEntry*> entries;
  for (const pipeline::ComponentEntry* e : registry->List()) {
    if (options.category.empty() || e->factory.category == options.category) entries.push_back(e);
  }
  if (entries.empty() && !options.category.empty())
    return core::NotFound(
        "no component in category '{}'; categories: data, transform, train, "
        "evaluate, model, util",
        options.category);
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto* e : entries) list.push_back(pipeline::ComponentToJson(*e));
    out << list.dump(2) << '\n';
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "CATEGORY", "INPUTS", "OUTPUTS"}};
  for (const auto* e : entries)
    rows.push_back(
        {e->name, e->factory.category, Ports(e->factory.inputs), Ports(e->factory.outputs)});
  out << FormatTable(rows, true, "  ");
  out << "\n'kiln components NAME' shows a component's params; `?` marks an optional input, "
         "`[]` one that takes a list.\n";
  return core::Status::Ok();
}

}  // namespace kiln::cli
