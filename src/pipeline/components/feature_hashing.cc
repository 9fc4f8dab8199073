// feature_hashing: named columns into a sparse vector of `buckets` slots (the hashing trick):
// a categorical value sets the slot of (column, value) to 1, a numeric value adds itself to the
// slot of the column. Nothing is learned, so `data` and `apply_to` hash alike. The output is
// sparse (LibSVM-like) data that sparse learners (logistic regression, FM) train on.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common.h"
#include "kiln/data/feature_hashing.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class FeatureHashing final : public FittedTransform {
 public:
  explicit FeatureHashing(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "feature_hashing"));
    const std::vector<std::string> names = SplitList(params_.GetString("columns"));
    KILN_RETURN_IF_ERROR(FindColumns(ds, names, "feature_hashing").status());
    const uint32_t buckets = static_cast<uint32_t>(params_.GetInt("buckets"));
    step.Note(fmt::format("{} buckets", buckets));
    return Apply([names, buckets](const data::Dataset& in) -> Result<data::Dataset> {
      KILN_RETURN_IF_ERROR(RequireDense(in, "feature_hashing"));
      KILN_ASSIGN_OR_RETURN(std::vector<size_t> idx, FindColumns(in, names, "feature_hashing"));
      std::vector<uint32_t> numeric_slot(in.columns().size());
      for (size_t i : idx) numeric_slot[i] = data::HashFeature(in.columns()[i].name, "", buckets);
      std::vector<uint64_t> indptr{0};
      std::vector<uint32_t> indices;
      std::vector<float> values;
      std::map<uint32_t, float> row;
      for (size_t r = 0; r < in.num_rows(); ++r) {
        row.clear();
        for (size_t i : idx) {
          const data::Column& c = in.columns()[i];
          if (c.IsMissing(r)) continue;
          if (c.type == data::ColumnType::kNumeric) {
            if (c.values[r] != 0) row[numeric_slot[i]] += c.values[r];
          } else {
            row[data::HashFeature(c.name, c.categories[static_cast<size_t>(c.codes[r])],
                                  buckets)] += 1;
          }
        }
        for (const auto& [slot, v] : row) {
          if (v == 0) continue;
          indices.push_back(slot);
          values.push_back(v);
        }
        indptr.push_back(indices.size());
      }
      data::CsrMatrix m;
      m.indptr = core::Array<uint64_t>(std::move(indptr));
      m.indices = core::Array<uint32_t>(std::move(indices));
      m.values = core::Array<float>(std::move(values));
      m.num_cols = buckets;
      std::optional<data::Column> label;
      if (in.label() != nullptr) label = *in.label();
      data::Dataset out = data::Dataset::Sparse(std::move(m), std::move(label), in.weights());
      data::Schema schema = out.schema();
      schema.index_base = 0;
      schema.weight = in.schema().weight;
      out.set_schema(std::move(schema));
      out.set_source(in.source());
      return out;
    });
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterFeatureHashing(ComponentRegistry& registry) {
  core::ParamSpec p("feature_hashing");
  p.String("columns", "", "columns to hash, comma-separated (default: every column)");
  p.Int("buckets", 1 << 18, "slots of the hashed vector").Min(1).Max(4294967295.0);
  ComponentFactory f = TransformFactory();
  f.create = Make<FeatureHashing>();
  return Add(registry, "feature_hashing",
             "Hash columns into a sparse vector (the hashing trick, for CTR-style data)",
             std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
