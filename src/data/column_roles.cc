#include "column_roles.h"

#include <algorithm>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "number_parsing.h"

namespace kiln::data::internal {
namespace {

std::string ColumnList(const std::vector<std::string>& names) {
  constexpr size_t kMaxShown = 30;
  std::vector<std::string> shown;
  for (size_t i = 0; i < names.size() && i < kMaxShown; ++i) shown.push_back(names[i]);
  std::string out = core::Join(shown, ", ");
  if (names.size() > kMaxShown) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

core::Status UnknownColumn(const std::string& path, std::string_view flag, const std::string& name,
                           const std::vector<std::string>& names) {
  const std::string best = core::ClosestMatch(name, names);
  return core::NotFound("{}: {} names column '{}', which is not in the file{}; the columns are: {}",
                        path, flag, name, best.empty() ? "" : " (did you mean '" + best + "'?)",
                        ColumnList(names));
}

int IndexOf(const std::vector<std::string>& names, const std::string& name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

}  // namespace

core::Result<ColumnRoles> ResolveRoles(const std::string& path,
                                       const std::vector<std::string>& names,
                                       const ReadOptions& options) {
  ColumnRoles out;
  out.roles.assign(names.size(), ColumnRole::kFeature);
  if (options.label.empty() && options.label_policy == LabelPolicy::kRequired) {
    return core::InvalidArgument(
        "{}: no label column was named; the columns are: {}. Use --label NAME to say which "
        "column holds the label",
        path, ColumnList(names));
  }
  if (options.label_policy != LabelPolicy::kNone && !options.label.empty()) {
    out.label = IndexOf(names, options.label);
    if (out.label < 0 && options.label_policy == LabelPolicy::kRequired) {
      const std::string best = core::ClosestMatch(options.label, names);
      return core::NotFound(
          "{}: there is no label column '{}'{}; the columns are: {}. Use --label NAME to say "
          "which column holds the label",
          path, options.label, best.empty() ? "" : " (did you mean '" + best + "'?)",
          ColumnList(names));
    }
    if (out.label >= 0) out.roles[static_cast<size_t>(out.label)] = ColumnRole::kLabel;
  }
  if (!options.weight.empty()) {
    out.weight = IndexOf(names, options.weight);
    if (out.weight < 0) return UnknownColumn(path, "--weight", options.weight, names);
    if (out.weight == out.label) {
      return core::InvalidArgument("{}: column '{}' cannot be both the label and the weight", path,
                                   options.weight);
    }
    out.roles[static_cast<size_t>(out.weight)] = ColumnRole::kWeight;
  }
  for (const auto& name : options.ignore) {
    const int i = IndexOf(names, name);
    if (i < 0) return UnknownColumn(path, "--ignore", name, names);
    if (i == out.label || i == out.weight) {
      return core::InvalidArgument("{}: column '{}' is the {} and cannot also be ignored", path,
                                   name, i == out.label ? "label" : "weight");
    }
    out.roles[static_cast<size_t>(i)] = ColumnRole::kIgnored;
  }
  for (const auto& name : options.ignore_if_present) {
    const int i = IndexOf(names, name);
    if (i >= 0 && i != out.label && i != out.weight) {
      out.roles[static_cast<size_t>(i)] = ColumnRole::kIgnored;
    }
  }
  for (const auto& name : options.categorical) {
    const int i = IndexOf(names, name);
    if (i < 0) return UnknownColumn(path, "--categorical", name, names);
    if (i == out.weight) {
      return core::InvalidArgument(
          "{}: column '{}' is the weight column, which must be numeric; it cannot be "
          "categorical",
          path, name);
    }
  }
  return out;
}

std::optional<ColumnType> ForcedType(const std::string& name, ColumnRole role,
                                     const ReadOptions& options) {
  if (role == ColumnRole::kWeight) return ColumnType::kNumeric;
  if (std::find(options.categorical.begin(), options.categorical.end(), name) !=
      options.categorical.end()) {
    return ColumnType::kCategorical;
  }
  auto it = options.column_types.find(name);
  if (it != options.column_types.end()) return it->second;
  return std::nullopt;
}

std::string TypeReason(const std::string& name, ColumnRole role, const ReadOptions& options,
                       std::string_view rows_word) {
  if (role == ColumnRole::kWeight) return "weights must be numbers";
  if (std::find(options.categorical.begin(), options.categorical.end(), name) !=
      options.categorical.end()) {
    return "it was declared categorical";
  }
  auto it = options.column_types.find(name);
  if (it != options.column_types.end()) {
    return fmt::format("the model expects column '{}' to be {}", name, ColumnTypeName(it->second));
  }
  return fmt::format(
      "column '{}' was inferred as numeric from the first {} {}; if it is categorical, pass "
      "--categorical {}; if the value marks a missing value, add it to the NA values "
      "(--na-values)",
      name, options.infer_rows, rows_word, name);
}

NaValues::NaValues(const std::vector<std::string>& tokens) {
  for (const auto& t : tokens) {
    if (t.empty()) {
      empty_ = true;
      continue;
    }
    tokens_.push_back(t);
    if (t.size() < 64) {
      length_mask_ |= uint64_t{1} << t.size();
    }
    float v;
    if (ParseFloat(t, &v) == NumberStatus::kOk) numeric_token_ = true;
  }
  // Tokens of 64 bytes or more never match; nobody writes NA that way.
}

core::Result<Dataset> AssembleDense(const std::string& path, std::vector<Column> columns,
                                    const ColumnRoles& roles, const ReadOptions& options) {
  std::vector<Column> features;
  std::optional<Column> label;
  core::Array<float> weights;
  for (size_t i = 0; i < columns.size(); ++i) {
    switch (roles.roles[i]) {
      case ColumnRole::kFeature:
        features.push_back(std::move(columns[i]));
        break;
      case ColumnRole::kLabel:
        label = std::move(columns[i]);
        break;
      case ColumnRole::kWeight:
        weights = columns[i].values;
        break;
      case ColumnRole::kIgnored:
        break;
    }
  }
  if (features.empty()) {
    return core::DataError(
        "{}: no feature columns are left after taking out the label{}{}; a model needs at least "
        "one feature",
        path, roles.weight >= 0 ? ", the weight" : "",
        options.ignore.empty() ? "" : " and --ignore");
  }
  Dataset ds = Dataset::Dense(std::move(features), std::move(label), std::move(weights));
  Schema schema = ds.schema();
  if (roles.weight >= 0) schema.weight = options.weight;
  ds.set_schema(std::move(schema));
  return ds;
}

}  // namespace kiln::data::internal
