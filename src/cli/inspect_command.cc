// kiln inspect: a model file's header (algorithm, params, label, schema, training) and the
// algorithm's own description.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/array_file.h"
#include "kiln/core/progress.h"
#include "kiln/core/strings.h"
#include "kiln/ml/model_io.h"
#include "model_input.h"

namespace kiln::cli {
namespace {

constexpr const char* kInspectExamples = R"(Examples:
  kiln inspect bc.kiln
  kiln inspect bc.kiln --json | python3 -m json.tool)";

std::string SchemaText(const data::Schema& schema) {
  if (schema.sparse) {
    return fmt::format("{} (sparse, LibSVM indices from {})",
                       Plural(schema.num_sparse_features, "feature"), schema.index_base);
  }
  std::vector<std::string> numeric;
  std::vector<std::string> categorical;
  for (const auto& f : schema.fields) {
    (f.type == data::ColumnType::kCategorical ? categorical : numeric).push_back(f.name);
  }
  std::vector<std::string> parts;
  if (!numeric.empty()) {
    parts.push_back(fmt::format("{} numeric ({})", numeric.size(), ListPreview(numeric, 30)));
  }
  if (!categorical.empty()) {
    parts.push_back(
        fmt::format("{} categorical ({})", categorical.size(), ListPreview(categorical, 30)));
  }
  return fmt::format("{}: {}", Plural(schema.fields.size(), "column"), core::Join(parts, "; "));
}

std::string ParamsText(const nlohmann::json& params) {
  std::vector<std::string> items;
  for (const auto& [key, value] : params.items()) {
    items.push_back(key + "=" +
                    (value.is_string()         ? value.get<std::string>()
                     : value.is_number_float() ? core::FormatDouble(value.get<double>())
                                               : value.dump()));
  }
  return items.empty() ? "(none)" : core::Join(items, " ");
}

std::string Scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

std::string TrainingText(const ml::TrainingInfo& t) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"data", t.data_path.empty() ? "(unknown)" : t.data_path});
  if (!t.data_hash.empty()) rows.push_back({"data hash", t.data_hash});
  rows.push_back({"rows", std::to_string(t.rows)});
  rows.push_back({"time", fmt::format("{} ({}, seed {})", FormatSeconds(t.seconds),
                                      Plural(static_cast<size_t>(t.threads), "thread"), t.seed)});
  rows.push_back({"created", t.created_at.empty() ? "(unknown)" : t.created_at});
  rows.push_back({"kiln version", t.kiln_version.empty() ? "(unknown)" : t.kiln_version});
  // The algorithm's notes (iterations, final loss, ...): scalars join the table, the rest follow.
  nlohmann::json nested = nlohmann::json::object();
  if (t.extra.is_object()) {
    for (const auto& [key, value] : t.extra.items()) {
      if (value.is_primitive()) {
        rows.push_back({key, Scalar(value)});
      } else {
        nested[key] = value;
      }
    }
  }
  return FormatTable(rows, false, "  ") + JsonToText(nested, 10, "  ");
}

}  // namespace

CLI::App* AddInspectCommand(CLI::App& app, InspectOptions& o) {
  CLI::App* cmd = app.add_subcommand("inspect", "Show what a model file holds");
  cmd->add_option("model", o.model, "Model file written by 'kiln train'")
      ->type_name("MODEL")
      ->required();
  cmd->add_flag("--json", o.json, "Print everything as one JSON object");
  cmd->footer(kInspectExamples);
  return cmd;
}

core::Status RunInspect(const InspectOptions& options, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("MODEL", options.model));
  KILN_ASSIGN_OR_RETURN(auto file,
                        core::ArrayFileReader::Open(options.model, ml::kModelMagic,
                                                    ml::kModelFormatVersion, "model file"));
  const uint32_t version = file->version();
  file.reset();
  KILN_ASSIGN_OR_RETURN(ml::ModelInfo info, ml::ReadModelInfo(options.model));
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* registry, session.Registry());

  // The header needs no algorithm code; the description does.
  nlohmann::json description;
  if (registry->Find(info.algorithm) == nullptr) {
    session.logger().Warn("{}: algorithm '{}' is not in this Kiln ({}); showing the header only",
                          options.model, info.algorithm, core::Join(registry->Names(), ", "));
  } else {
    KILN_ASSIGN_OR_RETURN(auto model, ml::LoadModel(options.model, *registry));
    description = model->Describe();
  }

  auto& out = session.out();
  if (options.json) {
    nlohmann::json j;
    j["path"] = options.model;
    j["format_version"] = version;
    j["algorithm"] = info.algorithm;
    j["params"] = info.params;
    j["label"] = info.label.ToJson();
    j["schema"] = info.schema.ToJson();
    j["training"] = info.training.ToJson();
    j["description"] = description;
    out << j.dump(2) << '\n';
    return core::Status::Ok();
  }
  std::vector<std::pair<std::string, std::string>> header = {
      {"model", options.model},
      {"algorithm", info.algorithm},
      {"format", fmt::format("kiln model file, version {}", version)},
      {"task", DescribeTask(info.label)},
      {"features", SchemaText(info.schema)},
      {"params", ParamsText(info.params)},
  };
  if (!info.schema.weight.empty()) {
    header.emplace_back("weights", "column '" + info.schema.weight + "'");
  }
  // "key        value", long values wrapped under the value column.
  for (const auto& [key, value] : header) {
    const std::string first = fmt::format("{:<11}", key);
    out << Wrap(value, 100, first, std::string(first.size(), ' '));
  }
  out << "training:\n" << TrainingText(info.training);
  if (!description.is_null()) {
    out << fmt::format("{}:\n", info.algorithm);
    out << (description.empty() ? "  (no details)\n" : JsonToText(description, 10, "  "));
  }
  return core::Status::Ok();
}

}  // namespace kiln::cli
