// one_hot: each categorical column becomes 0/1 columns `name=value`, one per value learned on
// `data` (the most frequent max_categories, the rest sharing `name=(other)`); values not seen
// when learning go to (other) as well, and a missing value is all zeros.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "common.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

struct Encoding {
  std::string column;
  std::vector<std::string> values;  // in output order
  bool other = false;               // an (other) column follows
};

class OneHot final : public FittedTransform {
 public:
  explicit OneHot(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "one_hot"));
    KILN_ASSIGN_OR_RETURN(std::vector<size_t> idx,
                          FindColumns(ds, SplitList(params_.GetString("columns")), "one_hot",
                                      [](const data::Column& c) {
                                        return c.type == data::ColumnType::kCategorical;
                                      }));
    const size_t max = static_cast<size_t>(params_.GetInt("max_categories"));
    std::vector<Encoding> encodings;
    size_t made = 0;
    for (size_t i : idx) {
      const data::Column& c = ds.columns()[i];
      std::vector<std::pair<std::string, size_t>> counts;
      std::unordered_map<std::string, size_t> at;
      for (size_t r = 0; r < ds.num_rows(); ++r) {
        if (c.IsMissing(r)) continue;
        const std::string v = c.ValueText(r);
        auto [it, fresh] = at.emplace(v, counts.size());
        if (fresh) counts.emplace_back(v, 0);
        ++counts[it->second].second;
      }
      std::stable_sort(counts.begin(), counts.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      Encoding e{c.name};
      for (size_t k = 0; k < counts.size() && k < max; ++k) e.values.push_back(counts[k].first);
      e.other = params_.GetBool("other_column");
      made += e.values.size() + (e.other ? 1 : 0);
      encodings.push_back(std::move(e));
    }
    step.Note(fmt::format("{} columns into {}", encodings.size(), made));
    return Apply([encodings =
                      std::move(encodings)](const data::Dataset& in) -> Result<data::Dataset> {
      KILN_RETURN_IF_ERROR(RequireDense(in, "one_hot"));
      std::vector<data::Column> columns;
      std::vector<bool> encoded(in.columns().size(), false);
      std::vector<std::vector<data::Column>> added(in.columns().size());
      for (const Encoding& e : encodings) {
        const int i = in.FindColumn(e.column);
        if (i < 0) return core::NotFound("the data has no column '{}' to one-hot encode", e.column);
        const data::Column& c = in.columns()[static_cast<size_t>(i)];
        encoded[static_cast<size_t>(i)] = true;
        std::unordered_map<std::string, size_t> slot;
        for (size_t k = 0; k < e.values.size(); ++k) slot[e.values[k]] = k;
        const size_t width = e.values.size() + (e.other ? 1 : 0);
        std::vector<std::vector<float>> out(width, std::vector<float>(in.num_rows(), 0));
        for (size_t r = 0; r < in.num_rows(); ++r) {
          if (c.IsMissing(r)) continue;
          auto it = slot.find(c.ValueText(r));
          if (it != slot.end()) {
            out[it->second][r] = 1;
          } else if (e.other) {
            out[width - 1][r] = 1;
          }
        }
        for (size_t k = 0; k < width; ++k) {
          const std::string name =
              e.column + "=" + (k < e.values.size() ? e.values[k] : std::string("(other)"));
          added[static_cast<size_t>(i)].push_back(data::Column::Numeric(name, std::move(out[k])));
        }
      }
      for (size_t i = 0; i < in.columns().size(); ++i) {
        if (!encoded[i]) {
          columns.push_back(in.columns()[i]);
          continue;
        }
        for (data::Column& c : added[i]) columns.push_back(std::move(c));
      }
      return data::WithColumns(in, std::move(columns));
    });
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterOneHot(ComponentRegistry& registry) {
  core::ParamSpec p("one_hot");
  p.String("columns", "", "columns to encode, comma-separated (default: every categorical one)");
  p.Int("max_categories", 50, "keep at most this many values per column (the most frequent)")
      .Min(1);
  p.Bool("other_column", true, "add name=(other) for the remaining and unseen values");
  ComponentFactory f = TransformFactory();
  f.create = Make<OneHot>();
  return Add(registry, "one_hot", "One-hot encode categorical columns", std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
