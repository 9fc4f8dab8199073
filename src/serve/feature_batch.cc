#include "kiln/serve/feature_batch.h"

#include <cmath>

#include "kiln/serve/servable.h"

namespace kiln::serve {

const FeatureColumn* FeatureBatch::Find(const std::string& name) const {
  for (const FeatureColumn& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

FeatureBatch MissingRow(const ServableMetadata& metadata) {
  FeatureBatch batch;
  batch.rows = 1;
  for (const TensorSpec& in : metadata.inputs) {
    FeatureColumn c;
    c.name = in.name;
    c.is_text = in.datatype == kBytes;
    if (c.is_text) {
      c.texts.emplace_back();
    } else {
      c.numbers.push_back(std::nan(""));
    }
    batch.columns.push_back(std::move(c));
  }
  return batch;
}

}  // namespace kiln::serve
