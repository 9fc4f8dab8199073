#include "feature_rows.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "kiln/core/strings.h"

namespace kiln::algorithms::tree {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string Where(const data::DatasetView& view) {
  const std::string& path = view.dataset().source().path;
  return path.empty() ? std::string("the data") : path;
}

}  // namespace

std::vector<FeatureInfo> FeaturesFromBins(const data::BinMapper& mapper) {
  std::vector<FeatureInfo> out;
  for (const data::FeatureBins& f : mapper.features()) {
    out.push_back({f.name, f.type, f.categories});
  }
  return out;
}

nlohmann::json FeaturesToJson(const std::vector<FeatureInfo>& features) {
  nlohmann::json out = nlohmann::json::array();
  for (const FeatureInfo& f : features) {
    nlohmann::json j = {{"name", f.name}, {"type", data::ColumnTypeName(f.type)}};
    if (f.type == data::ColumnType::kCategorical) j["categories"] = f.categories;
    out.push_back(std::move(j));
  }
  return out;
}

core::Result<std::vector<FeatureInfo>> FeaturesFromJson(const nlohmann::json& j) {
  if (!j.is_array()) return core::Corrupt("the model's feature list is not an array");
  std::vector<FeatureInfo> out;
  for (const nlohmann::json& item : j) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
        !item.contains("type") || !item["type"].is_string()) {
      return core::Corrupt("a feature of the model has no name or type");
    }
    FeatureInfo f;
    f.name = item["name"].get<std::string>();
    const std::string type = item["type"].get<std::string>();
    if (type == data::ColumnTypeName(data::ColumnType::kCategorical)) {
      f.type = data::ColumnType::kCategorical;
      if (!item.contains("categories") || !item["categories"].is_array()) {
        return core::Corrupt("categorical feature '{}' has no category list", f.name);
      }
      for (const nlohmann::json& c : item["categories"]) {
        if (!c.is_string()) return core::Corrupt("feature '{}' has a non-text category", f.name);
        f.categories.push_back(c.get<std::string>());
      }
    } else if (type != data::ColumnTypeName(data::ColumnType::kNumeric)) {
      return core::Corrupt("feature '{}' has unknown type '{}'", f.name, type);
    }
    out.push_back(std::move(f));
  }
  return out;
}

core::Result<FeatureRows> FeatureRows::Resolve(const std::vector<FeatureInfo>& features,
                                               const data::DatasetView& view) {
  const data::Dataset& ds = view.dataset();
  if (ds.is_sparse()) {
    return core::InvalidArgument(
        "{}: the model reads named columns (CSV or JSON Lines), but the data is sparse (LibSVM)",
        Where(view));
  }
  FeatureRows out(view);
  out.sources_.resize(features.size());
  for (size_t j = 0; j < features.size(); ++j) {
    const FeatureInfo& f = features[j];
    const int idx = ds.FindColumn(f.name);
    if (idx < 0) {
      std::vector<std::string> have;
      for (const auto& col : ds.columns()) have.push_back(col.name);
      const std::string guess = core::ClosestMatch(f.name, have);
      return core::InvalidArgument(
          "{}: column '{}' is missing; the model was trained with it{}. Columns found: {}",
          Where(view), f.name, guess.empty() ? "" : " (renamed to '" + guess + "'?)",
          core::Excerpt(core::Join(have, ", "), 400));
    }
    Source& s = out.sources_[j];
    s.column = &ds.columns()[static_cast<size_t>(idx)];
    const data::Column& col = *s.column;
    if (f.type == data::ColumnType::kNumeric) {
      if (col.type == data::ColumnType::kNumeric) continue;
      // Numbers written as text (e.g. quoted) still read as numbers.
      s.by_code.resize(col.categories.size());
      for (size_t k = 0; k < col.categories.size(); ++k) {
        const auto v = core::ParseDouble(col.categories[k]);
        if (!v || std::isnan(*v)) {
          return core::DataError(
              "{}: column '{}' has the text value '{}', but the model was trained with '{}' as a "
              "numeric column",
              Where(view), f.name, core::Excerpt(col.categories[k]), f.name);
        }
        s.by_code[k] = static_cast<float>(*v);
      }
      continue;
    }
    std::unordered_map<std::string_view, float> index;
    for (size_t k = 0; k < f.categories.size(); ++k)
      index.emplace(f.categories[k], static_cast<float>(k));
    auto lookup = [&](std::string_view text) {
      auto it = index.find(text);
      return it == index.end() ? kNaN : it->second;
    };
    if (col.type == data::ColumnType::kCategorical) {
      s.by_code.resize(col.categories.size());
      for (size_t k = 0; k < col.categories.size(); ++k) s.by_code[k] = lookup(col.categories[k]);
      continue;
    }
    // A categorical feature given as numbers: each number's shortest text is its category.
    s.by_row.resize(view.size());
    std::unordered_map<uint32_t, float> cache;
    for (size_t i = 0; i < view.size(); ++i) {
      const float v = col.values[view.row(i)];
      if (std::isnan(v)) {
        s.by_row[i] = kNaN;
        continue;
      }
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      auto it = cache.find(bits);
      if (it == cache.end()) it = cache.emplace(bits, lookup(core::FormatDouble(v))).first;
      s.by_row[i] = it->second;
    }
  }
  return out;
}

void FeatureRows::Fill(size_t begin, size_t end, float* out) const {
  const size_t d = sources_.size();
  for (size_t j = 0; j < d; ++j) {
    const Source& s = sources_[j];
    const data::Column& col = *s.column;
    float* o = out + j;
    if (!s.by_row.empty()) {
      for (size_t i = begin; i < end; ++i, o += d) *o = s.by_row[i];
    } else if (col.type == data::ColumnType::kNumeric) {
      const float* values = col.values.data();
      for (size_t i = begin; i < end; ++i, o += d) *o = values[view_.row(i)];
    } else {
      const int32_t* codes = col.codes.data();
      for (size_t i = begin; i < end; ++i, o += d) {
        const int32_t c = codes[view_.row(i)];
        *o = c < 0 ? kNaN : s.by_code[static_cast<size_t>(c)];
      }
    }
  }
}

}  // namespace kiln::algorithms::tree
