// kiln algorithms: what can be trained, and each algorithm's parameters (from its ParamSpec).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"
#include "param_text.h"

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

constexpr size_t kWidth = 100;

// "name  (tasks)", the description wrapped under it, then the capabilities.
std::string Summary(const ml::AlgorithmEntry& entry) {
  std::string out = fmt::format("{}  ({})\n", entry.name, core::Join(TaskNames(entry), ", "));
  out += Wrap(entry.description, kWidth, "    ", "    ");
  out += Wrap(core::Join(entry.capabilities, ", "), kWidth, "    capabilities: ", "      ");
  return out;
}

std::string DescribeOne(const ml::AlgorithmEntry& entry) {
  return Summary(entry) + ParamsText(entry.params, "parameters (-p key=value)", kWidth);
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
  for (const auto* entry : registry->List()) out << Summary(*entry) << '\n';
  out << "'kiln algorithms NAME' shows an algorithm's parameters.\n";
  return core::Status::Ok();
}

}  // namespace kiln::cli
