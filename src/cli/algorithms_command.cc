// kiln algorithms: what can be trained, and each algorithm's parameters (from its ParamSpec).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"

namespace kiln::cli {
namespace {

constexpr const char* kAlgorithmsExamples = R"(Examples:
  kiln algorithms
  kiln algorithms logistic_regression
  kiln algorithms --json)";

std::vector<std::string> TaskNames(const ml::AlgorithmEntry& entry) {
  std::vector<std::string> tasks;
  for (ml::Task t : entry.factory.tasks) tasks.emplace_back(ml::TaskName(t));
  return tasks;
}

nlohmann::json EntryJson(const ml::AlgorithmEntry& entry) {
  nlohmann::json j;
  j["name"] = entry.name;
  j["description"] = entry.description;
  j["tasks"] = TaskNames(entry);
  j["capabilities"] = entry.capabilities;
  j["params"] = entry.params.ToJson();
  return j;
}

std::string DefaultText(const core::ParamDef& p) {
  const std::string text = core::ParamValueToString(p.default_value);
  return text.empty() ? "\"\"" : text;
}

std::string DescribeOne(const ml::AlgorithmEntry& entry) {
  std::string out = fmt::format("{}: {}\n", entry.name, entry.description);
  out += fmt::format("tasks: {}\n", core::Join(TaskNames(entry), ", "));
  out += fmt::format("capabilities: {}\n", core::Join(entry.capabilities, ", "));
  if (entry.params.params().empty()) return out + "parameters: none\n";
  out += "\nparameters (-p key=value):\n";
  std::vector<std::vector<std::string>> rows = {{"name", "type", "default", "allowed", "help"}};
  for (const auto& p : entry.params.params()) {
    std::string help = p.help;
    if (!p.aliases.empty()) help += " (alias: " + core::Join(p.aliases, ", ") + ")";
    rows.push_back(
        {p.name, std::string(core::ParamTypeName(p.type)), DefaultText(p), p.Describe(), help});
  }
  out += FormatTable(rows, true, "  ");
  return out;
}

}  // namespace

CLI::App* AddAlgorithmsCommand(CLI::App& app, AlgorithmsOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("algorithms", "List the algorithms, or show one algorithm's parameters");
  cmd->add_option("name", o.name, "An algorithm to describe in full")->type_name("NAME");
  cmd->add_flag("--json", o.json, "Print as JSON (with every parameter's schema)");
  cmd->footer(kAlgorithmsExamples);
  return cmd;
}

core::Status RunAlgorithms(const AlgorithmsOptions& options, Session& session) {
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* registry, session.Registry());
  auto& out = session.out();
  if (!options.name.empty()) {
    KILN_ASSIGN_OR_RETURN(const ml::AlgorithmEntry* entry, registry->Get(options.name));
    if (options.json) {
      out << EntryJson(*entry).dump(2) << '\n';
    } else {
      out << DescribeOne(*entry);
    }
    return core::Status::Ok();
  }
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto* entry : registry->List()) list.push_back(EntryJson(*entry));
    out << list.dump(2) << '\n';
    return core::Status::Ok();
  }
  if (registry->size() == 0) {
    out << "no algorithms are registered in this build\n";
    return core::Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"name", "tasks", "capabilities", "description"}};
  for (const auto* entry : registry->List()) {
    rows.push_back({entry->name, core::Join(TaskNames(*entry), ", "),
                    core::Join(entry->capabilities, ", "), entry->description});
  }
  out << FormatTable(rows);
  out << "\n'kiln algorithms NAME' shows an algorithm's parameters.\n";
  return core::Status::Ok();
}

}  // namespace kiln::cli
