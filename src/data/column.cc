#include "kiln/data/column.h"

#include "kiln/core/strings.h"

namespace kiln::data {

std::string_view ColumnTypeName(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

int32_t Column::FindCategory(std::string_view text) const {
  for (size_t i = 0; i < categories.size(); ++i) {
    if (categories[i] == text) return static_cast<int32_t>(i);
  }
  return kMissingCode;
}

std::string Column::ValueText(size_t row) const {
  if (IsMissing(row)) return "";
  if (type == ColumnType::kNumeric) return core::FormatDouble(values[row]);
  return categories[static_cast<size_t>(codes[row])];
}

Column Column::Numeric(std::string name, std::vector<float> values) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kNumeric;
  c.values = core::Array<float>(std::move(values));
  return c;
}

Column Column::Categorical(std::string name, std::vector<int32_t> codes,
                           std::vector<std::string> categories) {
  Column c;
  c.name = std::move(name);
  c.type = ColumnType::kCategorical;
  c.codes = core::Array<int32_t>(std::move(codes));
  c.categories = std::move(categories);
  return c;
}

}  // namespace kiln::data
