// select_features: keep the numeric columns that score best on `data` — by variance (drop
// near-constant columns), chi² against a class label (non-negative features such as counts and
// one-hot columns, as scikit-learn's chi2) or |Pearson correlation| with a numeric or binary
// label. Categorical columns are kept as they are.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "common.h"
#include "kiln/core/strings.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

// The label as numbers: numeric values, or category codes (classification).
Result<std::vector<double>> LabelValues(const data::Dataset& ds, bool need_classes) {
  if (ds.label() == nullptr) return core::InvalidArgument("select_features: the data has no label");
  const data::Column& l = *ds.label();
  std::vector<double> y(ds.num_rows());
  for (size_t r = 0; r < y.size(); ++r) {
    if (l.IsMissing(r)) return core::DataError("select_features: {} has no label", ds.Where(r));
    y[r] = l.type == data::ColumnType::kNumeric ? l.values[r] : l.codes[r];
  }
  if (need_classes && l.type == data::ColumnType::kNumeric) {
    std::set<double> distinct(y.begin(), y.end());
    if (distinct.size() > 100)
      return core::InvalidArgument("select_features: chi2 needs a class label; '{}' has {} values",
                                   l.name, distinct.size());
  }
  return y;
}

Result<std::vector<double>> Scores(const data::Dataset& ds, const std::vector<size_t>& cols,
                                   const std::string& method) {
  std::vector<double> scores;
  if (method == "variance") {
    for (size_t i : cols) {
      double n = 0, mean = 0, m2 = 0;
      for (float v : ds.columns()[i].values) {
        if (std::isnan(v)) continue;
        n += 1;
        const double d = v - mean;
        mean += d / n;
        m2 += d * (v - mean);
      }
      scores.push_back(n > 0 ? m2 / n : 0);
    }
    return scores;
  }
  KILN_ASSIGN_OR_RETURN(std::vector<double> y, LabelValues(ds, method == "chi2"));
  if (method == "correlation") {
    if (ds.label()->type == data::ColumnType::kCategorical && ds.label()->categories.size() > 2)
      return core::InvalidArgument(
          "select_features: correlation needs a numeric or binary label; "
          "'{}' has {} classes (use chi2)",
          ds.label()->name, ds.label()->categories.size());
    for (size_t i : cols) {
      const data::Column& c = ds.columns()[i];
      double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (size_t r = 0; r < y.size(); ++r) {
        const double x = c.values[r];
        if (std::isnan(x)) continue;
        n += 1, sx += x, sy += y[r], sxx += x * x, syy += y[r] * y[r], sxy += x * y[r];
      }
      const double cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
      scores.push_back(n > 1 && vx > 0 && vy > 0 ? std::abs(cov / std::sqrt(vx * vy)) : 0);
    }
    return scores;
  }
  std::map<double, size_t> class_index;
  for (double v : y) class_index.emplace(v, class_index.size());
  std::vector<double> class_count(class_index.size(), 0);
  for (double v : y) class_count[class_index[v]] += 1;
  for (size_t i : cols) {
    const data::Column& c = ds.columns()[i];
    std::vector<double> observed(class_index.size(), 0);
    double total = 0;
    for (size_t r = 0; r < y.size(); ++r) {
      const double x = c.values[r];
      if (std::isnan(x)) continue;
      if (x < 0)
        return core::DataError(
            "select_features: chi2 needs non-negative features; column '{}' "
            "is {} at {}",
            c.name, x, ds.Where(r));
      observed[class_index[y[r]]] += x;
      total += x;
    }
    double chi2 = 0;
    for (size_t k = 0; k < observed.size(); ++k) {
      const double expected = total * class_count[k] / static_cast<double>(y.size());
      if (expected > 0) chi2 += (observed[k] - expected) * (observed[k] - expected) / expected;
    }
    scores.push_back(chi2);
  }
  return scores;
}

class SelectFeatures final : public FittedTransform {
 public:
  explicit SelectFeatures(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "select_features"));
    KILN_ASSIGN_OR_RETURN(std::vector<size_t> cols,
                          FindColumns(ds, {}, "select_features", [](const data::Column& c) {
                            return c.type == data::ColumnType::kNumeric;
                          }));
    KILN_ASSIGN_OR_RETURN(std::vector<double> scores,
                          Scores(ds, cols, params_.GetString("method")));
    std::vector<size_t> order(cols.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    const size_t k = static_cast<size_t>(params_.GetInt("k"));
    const double threshold = params_.GetDouble("threshold");
    std::set<std::string> dropped;
    for (size_t rank = 0; rank < order.size(); ++rank) {
      const size_t j = order[rank];
      const bool keep = k > 0 ? rank < k : scores[j] > threshold;
      if (!keep) dropped.insert(ds.columns()[cols[j]].name);
    }
    if (dropped.size() == cols.size() && !cols.empty())
      return core::DataError("select_features: no column scores above {} by {}", threshold,
                             params_.GetString("method"));
    step.Note(
        fmt::format("kept {} of {} numeric columns", cols.size() - dropped.size(), cols.size()));
    return Apply([dropped](const data::Dataset& in) -> Result<data::Dataset> {
      KILN_RETURN_IF_ERROR(RequireDense(in, "select_features"));
      std::vector<data::Column> columns;
      for (const data::Column& c : in.columns()) {
        if (!dropped.count(c.name)) columns.push_back(c);
      }
      return data::WithColumns(in, std::move(columns));
    });
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterSelectFeatures(ComponentRegistry& registry) {
  core::ParamSpec p("select_features");
  p.Choice("method", "variance", {"variance", "chi2", "correlation"},
           "variance of the column; chi² with a class label; |Pearson r| with the label");
  p.Int("k", 0, "keep the k best numeric columns (0 = every column above threshold)").Min(0);
  p.Double("threshold", 0, "with k = 0: keep columns whose score is above this");
  ComponentFactory f = TransformFactory();
  f.create = Make<SelectFeatures>();
  return Add(registry, "select_features", "Keep the most informative numeric columns", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
