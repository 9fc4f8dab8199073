// discretize: numeric columns into `bins` intervals learned on `data` — equal-width (uniform)
// or equal-count (quantile) — written as the bin's index or as a category naming the interval.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

struct Bins {
  std::string column;
  std::vector<double> edges;  // inner edges, ascending: bin k holds x in [edges[k-1], edges[k])
};

class Discretize final : public FittedTransform {
 public:
  explicit Discretize(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "discretize"));
    KILN_ASSIGN_OR_RETURN(
        std::vector<size_t> idx,
        FindColumns(ds, SplitList(params_.GetString("columns")), "discretize",
                    [](const data::Column& c) { return c.type == data::ColumnType::kNumeric; }));
    const int64_t k = params_.GetInt("bins");
    const bool quantile = params_.GetString("strategy") == "quantile";
    std::vector<Bins> all;
    for (size_t i : idx) {
      const data::Column& c = ds.columns()[i];
      if (c.type != data::ColumnType::kNumeric)
        return core::InvalidArgument("discretize: column '{}' is categorical", c.name);
      std::vector<float> v;
      for (float x : c.values) {
        if (!std::isnan(x)) v.push_back(x);
      }
      Bins b{c.name, {}};
      if (!v.empty()) {
        std::sort(v.begin(), v.end());
        for (int64_t j = 1; j < k; ++j) {
          double edge;
          if (quantile) {
            edge = v[static_cast<size_t>(static_cast<double>(j) * static_cast<double>(v.size()) /
                                         static_cast<double>(k))];
          } else {
            edge = v.front() +
                   (v.back() - v.front()) * static_cast<double>(j) / static_cast<double>(k);
          }
          if (b.edges.empty() || edge > b.edges.back()) b.edges.push_back(edge);
        }
      }
      all.push_back(std::move(b));
    }
    step.Note(fmt::format("{} columns into up to {} bins", all.size(), k));
    const bool as_category = params_.GetString("output") == "category";
    return Apply([all = std::move(all),
                  as_category](const data::Dataset& in) -> Result<data::Dataset> {
      KILN_RETURN_IF_ERROR(RequireDense(in, "discretize"));
      std::vector<data::Column> columns = in.columns();
      for (const Bins& b : all) {
        const int i = in.FindColumn(b.column);
        if (i < 0) return core::NotFound("the data has no column '{}' to discretize", b.column);
        data::Column& c = columns[static_cast<size_t>(i)];
        if (c.type != data::ColumnType::kNumeric)
          return core::InvalidArgument("discretize: column '{}' is categorical", b.column);
        std::vector<float> index(c.values.size());
        for (size_t r = 0; r < index.size(); ++r) {
          const float x = c.values[r];
          index[r] = std::isnan(x)
                         ? NAN
                         : static_cast<float>(std::upper_bound(b.edges.begin(), b.edges.end(), x) -
                                              b.edges.begin());
        }
        if (!as_category) {
          c.values = core::Array<float>(std::move(index));
          continue;
        }
        std::vector<std::string> names;
        for (size_t k = 0; k <= b.edges.size(); ++k) {
          names.push_back(fmt::format(
              "[{}, {})", k == 0 ? std::string("-inf") : fmt::format("{}", b.edges[k - 1]),
              k == b.edges.size() ? std::string("inf") : fmt::format("{}", b.edges[k])));
        }
        std::vector<int32_t> codes(index.size());
        for (size_t r = 0; r < index.size(); ++r)
          codes[r] = std::isnan(index[r]) ? data::kMissingCode : static_cast<int32_t>(index[r]);
        c = data::Column::Categorical(c.name, std::move(codes), std::move(names));
      }
      return data::WithColumns(in, std::move(columns));
    });
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterDiscretize(ComponentRegistry& registry) {
  core::ParamSpec p("discretize");
  p.String("columns", "", "numeric columns, comma-separated (default: every numeric column)");
  p.Int("bins", 10, "number of intervals").Min(2).Max(65536);
  p.Choice("strategy", "quantile", {"quantile", "uniform"},
           "quantile: about as many rows per bin; uniform: intervals of equal width");
  p.Choice("output", "index", {"index", "category"},
           "index: the bin number (0, 1, ...); category: a category naming the interval");
  ComponentFactory f = TransformFactory();
  f.create = Make<Discretize>();
  return Add(registry, "discretize", "Bin numeric columns into intervals", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
