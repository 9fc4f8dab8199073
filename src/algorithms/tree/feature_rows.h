// The input features of a tree model and how rows of new data become the float values trees
// read (see forest.h): numbers for numeric features, the category index for categorical ones,
// NaN for missing values and for categories the model has no bin for.
//
// FeatureRows resolves a DatasetView's columns by name once and then writes blocks of rows;
// immutable after Resolve, so Fill is safe to call from several threads. The view's dataset
// must outlive it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/core/result.h"
#include "kiln/data/bin_mapper.h"
#include "kiln/data/dataset_view.h"

namespace kiln::algorithms::tree {

struct FeatureInfo {
  std::string name;
  data::ColumnType type = data::ColumnType::kNumeric;
  std::vector<std::string> categories;  // categorical: index -> text
};

std::vector<FeatureInfo> FeaturesFromBins(const data::BinMapper& mapper);
nlohmann::json FeaturesToJson(const std::vector<FeatureInfo>& features);
core::Result<std::vector<FeatureInfo>> FeaturesFromJson(const nlohmann::json& j);

class FeatureRows {
 public:
  // Errors name a missing column (with the closest name found) or a text value in a column the
  // model reads as numbers.
  static core::Result<FeatureRows> Resolve(const std::vector<FeatureInfo>& features,
                                           const data::DatasetView& view);

  size_t num_rows() const { return view_.size(); }
  size_t width() const { return sources_.size(); }
  // View rows [begin, end) as width() floats each, row-major, into out.
  void Fill(size_t begin, size_t end, float* out) const;

 private:
  struct Source {
    const data::Column* column = nullptr;
    std::vector<float> by_code;  // categorical column: the float of each code
    std::vector<float> by_row;   // numeric column read by a categorical feature: per view row
  };
  explicit FeatureRows(const data::DatasetView& view) : view_(view) {}

  data::DatasetView view_;
  std::vector<Source> sources_;
};

}  // namespace kiln::algorithms::tree
