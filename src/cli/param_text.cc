#include "param_text.h"

#include <fmt/format.h>

#include "kiln/cli/format.h"
#include "kiln/core/strings.h"

namespace kiln::cli {

namespace {

std::string DefaultText(const core::ParamDef& p) {
  const std::string text = core::ParamValueToString(p.default_value);
  return text.empty() ? "\"\"" : text;
}

}  // namespace

std::string ParamsText(const core::ParamSpec& spec, std::string_view heading, size_t width) {
  if (spec.params().empty()) return "\nparameters: none\n";
  std::string out = fmt::format("\n{}:\n", heading);
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : spec.params()) {
    rows.push_back({p.name, std::string(core::ParamTypeName(p.type)), "default " + DefaultText(p),
                    p.Describe()});
  }
  const std::vector<std::string> lines = core::Split(FormatTable(rows, false, "  "), '\n');
  for (size_t i = 0; i < spec.params().size(); ++i) {
    const core::ParamDef& p = spec.params()[i];
    out += lines[i] + '\n';
    std::string help = p.help;
    if (!p.aliases.empty()) help += " (alias: " + core::Join(p.aliases, ", ") + ")";
    if (!help.empty()) out += Wrap(help, width, "      ", "      ");
  }
  return out;
}

}  // namespace kiln::cli
