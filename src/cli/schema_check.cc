#include "kiln/cli/schema_check.h"

#include <algorithm>
#include <set>

#include "kiln/cli/format.h"
#include "kiln/core/strings.h"

namespace kiln::cli {
namespace {

std::string DataKind(const data::Dataset& ds) {
  return ds.is_sparse() ? "sparse (LibSVM-style indexed features)" : "named columns";
}

}  // namespace

core::Result<InputCheck> CheckInputSchema(const data::Schema& expected, const data::Dataset& data,
                                          const std::string& what) {
  InputCheck check;
  if (expected.sparse != data.is_sparse()) {
    if (expected.sparse) {
      return core::DataError(
          "{}: the model was trained on sparse data ({} indexed features, e.g. LibSVM), but "
          "this data has {}; give it the same format as the training data",
          what, expected.num_sparse_features, DataKind(data));
    }
    return core::DataError(
        "{}: the model was trained on {} named columns ({}), but this data is sparse (LibSVM); "
        "give it the same format as the training data",
        what, expected.fields.size(), ListPreview([&] {
          std::vector<std::string> names;
          for (const auto& f : expected.fields) names.push_back(f.name);
          return names;
        }()));
  }
  if (expected.sparse) {
    if (data.num_features() > expected.num_sparse_features) {
      check.warnings.push_back(
          fmt::format("{} has {} features, but the model was trained on {}; the model ignores "
                      "the extra ones",
                      what, data.num_features(), expected.num_sparse_features));
    }
    return check;
  }
  std::vector<std::string> missing;
  std::vector<std::string> wrong_type;
  std::set<std::string> used;
  for (const auto& field : expected.fields) {
    used.insert(field.name);
    const int index = data.FindColumn(field.name);
    if (index < 0) {
      missing.push_back("'" + field.name + "'");
      continue;
    }
    const data::Column& column = data.columns()[static_cast<size_t>(index)];
    if (column.type != field.type) {
      wrong_type.push_back(fmt::format("'{}' is {} but the model expects {}", field.name,
                                       data::ColumnTypeName(column.type),
                                       data::ColumnTypeName(field.type)));
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> have;
    for (const auto& c : data.columns()) have.push_back(c.name);
    return core::DataError("{}: missing {} the model was trained on: {}; the data has {}", what,
                           missing.size() == 1 ? "a feature column"
                                               : fmt::format("{} feature columns", missing.size()),
                           ListPreview(missing),
                           have.empty() ? "no feature columns" : "columns " + ListPreview(have));
  }
  if (!wrong_type.empty()) {
    return core::DataError("{}: column {}", what, core::Join(wrong_type, "; column "));
  }
  for (const auto& c : data.columns()) {
    if (!used.count(c.name)) check.unused_columns.push_back(c.name);
  }
  return check;
}

data::ReadOptions ReadOptionsForModel(const ml::ModelInfo& info, const std::string& label,
                                      data::LabelPolicy policy) {
  data::ReadOptions options;
  options.label = !label.empty() ? label : (!info.label.name.empty() ? info.label.name : "label");
  options.label_policy = policy;
  for (const auto& field : info.schema.fields) options.column_types[field.name] = field.type;
  if (info.schema.sparse) options.index_base = info.schema.index_base;
  return options;
}

}  // namespace kiln::cli
