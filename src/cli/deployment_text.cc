#include "deployment_text.h"

#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "kiln/cli/format.h"

namespace kiln::cli {

core::Result<std::string> TrafficText(track::MetaStore& store, int64_t project_id,
                                      const std::string& model) {
  KILN_ASSIGN_OR_RETURN(std::vector<track::TrafficRoute> routes,
                        store.traffic().List(project_id, model));
  std::string out = fmt::format("Traffic of {} (requests that name no version):\n", model);
  if (routes.empty()) {
    out += "  all to the version each server was started with (no routes)\n";
    return out;
  }
  std::vector<std::vector<std::string>> rows = {{"ALIAS", "VERSION", "SHARE"}};
  double routed = 0;
  std::string shadow = "none";
  for (const track::TrafficRoute& r : routes) {
    auto version = store.registry().Resolve(project_id, model + "@" + r.alias);
    const std::string v = version.ok() ? std::to_string(version->version) : "(alias removed)";
    if (r.shadow) {
      shadow = fmt::format("{} (v{})", r.alias, v);
      continue;
    }
    routed += r.weight;
    rows.push_back({r.alias, v, fmt::format("{}%", r.weight)});
  }
  if (routed < 100) rows.push_back({"(server default)", "", fmt::format("{}%", 100 - routed)});
  out += FormatTable(rows, true, "  ");
  out += fmt::format("  shadow: {}\n", shadow);
  return out;
}

std::map<int64_t, std::map<std::string, double>> ModelCounters(const std::string& metrics_text,
                                                               const std::string& model) {
  std::map<int64_t, std::map<std::string, double>> out;
  std::istringstream in(metrics_text);
  std::string line;
  const std::string model_label = fmt::format("{{model=\"{}\",version=\"", model);
  while (std::getline(in, line)) {
    if (!line.starts_with("kiln_model_")) continue;
    const size_t brace = line.find(model_label);
    if (brace == std::string::npos) continue;
    std::string name = line.substr(11, brace - 11);  // after "kiln_model_"
    if (!name.ends_with("_total")) continue;
    name.resize(name.size() - 6);
    const size_t vstart = brace + model_label.size();
    const size_t vend = line.find('"', vstart);
    const size_t space = line.rfind(' ');
    if (vend == std::string::npos || space == std::string::npos) continue;
    int64_t version = 0;
    std::from_chars(line.data() + vstart, line.data() + vend, version);
    double value = 0;
    std::from_chars(line.data() + space + 1, line.data() + line.size(), value);
    out[version][name] = value;
  }
  return out;
}

}  // namespace kiln::cli
