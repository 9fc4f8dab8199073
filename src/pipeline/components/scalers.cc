// standardize and minmax_scale: numeric columns rescaled with statistics learned on `data`
// (missing values ignored when learning and kept missing). A constant column is centred (and
// left at scale 1) rather than divided by zero.
#include <cmath>

#include <fmt/format.h>

#include "common.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

bool IsNumeric(const data::Column& c) { return c.type == data::ColumnType::kNumeric; }

struct Affine {
  std::string column;
  double shift = 0;  // x' = (x - shift) * scale + offset
  double scale = 1;
  double offset = 0;
};

Result<FittedTransform::Apply> ApplyAffine(std::vector<Affine> maps) {
  return FittedTransform::Apply(
      [maps = std::move(maps)](const data::Dataset& ds) -> Result<data::Dataset> {
        KILN_RETURN_IF_ERROR(RequireDense(ds, "a scaler"));
        std::vector<data::Column> columns = ds.columns();
        for (const Affine& m : maps) {
          const int i = ds.FindColumn(m.column);
          if (i < 0) return core::NotFound("the data has no column '{}' to scale", m.column);
          data::Column& c = columns[static_cast<size_t>(i)];
          if (!IsNumeric(c)) return core::InvalidArgument("column '{}' is not numeric", m.column);
          std::vector<float> out(c.values.size());
          for (size_t r = 0; r < out.size(); ++r) {
            const float v = c.values[r];
            out[r] = std::isnan(v) ? v : static_cast<float>((v - m.shift) * m.scale + m.offset);
          }
          c.values = core::Array<float>(std::move(out));
        }
        return data::WithColumns(ds, std::move(columns));
      });
}

struct Moments {
  double count = 0, mean = 0, m2 = 0, min = INFINITY, max = -INFINITY;
};

Moments Measure(const data::Column& c) {
  Moments m;
  for (float v : c.values) {
    if (std::isnan(v)) continue;
    m.count += 1;
    const double d = v - m.mean;
    m.mean += d / m.count;
    m.m2 += d * (v - m.mean);
    m.min = std::min(m.min, static_cast<double>(v));
    m.max = std::max(m.max, static_cast<double>(v));
  }
  return m;
}

class Standardize final : public FittedTransform {
 public:
  explicit Standardize(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "standardize"));
    KILN_ASSIGN_OR_RETURN(
        std::vector<size_t> idx,
        FindColumns(ds, SplitList(params_.GetString("columns")), "standardize", IsNumeric));
    std::vector<Affine> maps;
    for (size_t i : idx) {
      const data::Column& c = ds.columns()[i];
      if (!IsNumeric(c))
        return core::InvalidArgument("standardize: column '{}' is categorical", c.name);
      const Moments m = Measure(c);
      Affine a{c.name};
      if (params_.GetBool("with_mean")) a.shift = m.count > 0 ? m.mean : 0;
      const double sd = m.count > 0 ? std::sqrt(m.m2 / m.count) : 0;
      if (params_.GetBool("with_std") && sd > 0) a.scale = 1 / sd;
      maps.push_back(a);
    }
    step.Note(fmt::format("{} columns", maps.size()));
    return ApplyAffine(std::move(maps));
  }

 private:
  core::ParamMap params_;
};

class MinMaxScale final : public FittedTransform {
 public:
  explicit MinMaxScale(const core::ParamMap& params) : params_(params) {}

 protected:
  Result<Apply> Fit(const data::Dataset& ds, StepContext& step) override {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "minmax_scale"));
    KILN_ASSIGN_OR_RETURN(
        std::vector<size_t> idx,
        FindColumns(ds, SplitList(params_.GetString("columns")), "minmax_scale", IsNumeric));
    const double lo = params_.GetDouble("min"), hi = params_.GetDouble("max");
    std::vector<Affine> maps;
    for (size_t i : idx) {
      const data::Column& c = ds.columns()[i];
      if (!IsNumeric(c))
        return core::InvalidArgument("minmax_scale: column '{}' is categorical", c.name);
      const Moments m = Measure(c);
      Affine a{c.name};
      a.offset = lo;
      if (m.count > 0) {
        a.shift = m.min;
        a.scale = m.max > m.min ? (hi - lo) / (m.max - m.min) : 1;
      }
      maps.push_back(a);
    }
    step.Note(fmt::format("{} columns to [{}, {}]", maps.size(), lo, hi));
    return ApplyAffine(std::move(maps));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterScalers(ComponentRegistry& registry) {
  {
    core::ParamSpec p("standardize");
    p.String("columns", "", "numeric columns, comma-separated (default: every numeric column)");
    p.Bool("with_mean", true, "subtract the mean");
    p.Bool("with_std", true, "divide by the standard deviation");
    ComponentFactory f = TransformFactory();
    f.create = Make<Standardize>();
    KILN_RETURN_IF_ERROR(Add(registry, "standardize",
                             "Scale numeric columns to mean 0 and standard deviation 1",
                             std::move(p), std::move(f)));
  }
  core::ParamSpec p("minmax_scale");
  p.String("columns", "", "numeric columns, comma-separated (default: every numeric column)");
  p.Double("min", 0, "the smallest value after scaling");
  p.Double("max", 1, "the largest value after scaling");
  ComponentFactory f = TransformFactory();
  f.create = Make<MinMaxScale>();
  f.check = [](const core::ParamMap& params) -> Status {
    if (!(params.GetDouble("min") < params.GetDouble("max")))
      return core::InvalidArgument("min ({}) must be below max ({})", params.GetDouble("min"),
                                   params.GetDouble("max"));
    return Status::Ok();
  };
  return Add(registry, "minmax_scale", "Scale numeric columns into [min, max]", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
