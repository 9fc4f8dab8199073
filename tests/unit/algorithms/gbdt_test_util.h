// Small datasets and helpers for the gbdt tests.
#pragma once

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kiln/algorithms/builtin.h"
#include "kiln/core/context.h"
#include "kiln/core/random.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/evaluation.h"

namespace kiln::algorithms::testing {

using Params = std::vector<std::pair<std::string, std::string>>;

inline core::Result<std::unique_ptr<ml::Model>> TrainGbdt(const data::Dataset& train, Params params,
                                                          int threads = 1,
                                                          const data::Dataset* valid = nullptr,
                                                          uint64_t seed = 7) {
  ml::AlgorithmRegistry registry("algorithm");
  KILN_RETURN_IF_ERROR(RegisterBuiltinAlgorithms(registry));
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmEntry* entry, registry.Get("gbdt"));
  KILN_ASSIGN_OR_RETURN(core::ParamMap map, entry->params.Resolve(params));
  KILN_ASSIGN_OR_RETURN(auto est, entry->factory.create(map));
  core::Context ctx(core::ContextOptions{threads, seed});
  ml::TrainInput input{data::DatasetView(train), std::nullopt};
  if (valid != nullptr) input.valid = data::DatasetView(*valid);
  return est->Fit(input, ctx);
}

inline ml::Predictions PredictAll(const ml::Model& model, const data::Dataset& ds) {
  core::Context ctx(core::ContextOptions{2, 1});
  auto p = model.Predict(data::DatasetView(ds), ctx);
  return p.ok() ? std::move(p).value() : ml::Predictions{};
}

inline double Metric(const ml::Model& model, const data::Dataset& ds, const std::string& name) {
  const ml::Predictions p = PredictAll(model, ds);
  auto e = ml::Evaluate(model.info().label, data::DatasetView(ds), p);
  return e.ok() ? e->Get(name) : NAN;
}

// y = 3 sin(x) + (c in {b, d, f} ? 2 : 0) + z^2 / 4 + noise; x has missing values (their rows
// get +4), c is a categorical column of 8 levels (not ordinal: b, d, f score).
inline data::Dataset Regression(size_t n, uint64_t seed, double noise = 0.1) {
  core::Rng rng(seed);
  std::vector<float> x(n), z(n), y(n);
  std::vector<int32_t> c(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.Uniform() * 6 - 3);
    z[i] = static_cast<float>(rng.Normal());
    c[i] = static_cast<int32_t>(rng.UniformInt(8));
    const bool missing = rng.Uniform() < 0.1;
    double v = (missing ? 4.0 : 3 * std::sin(x[i])) + (c[i] % 2 == 1 ? 2.0 : 0.0) +
               z[i] * z[i] / 4 + noise * rng.Normal();
    if (missing) x[i] = NAN;
    y[i] = static_cast<float>(v);
  }
  return data::Dataset::Dense(
      {data::Column::Numeric("x", x), data::Column::Numeric("z", z),
       data::Column::Categorical("c", c, {"a", "b", "c", "d", "e", "f", "g", "h"})},
      data::Column::Numeric("y", y));
}

// Binary or 3-class labels from a nonlinear score of two numeric columns and a categorical one.
inline data::Dataset Classes(size_t n, int classes, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> a(n), b(n);
  std::vector<int32_t> cat(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(rng.Normal() * 2);
    b[i] = static_cast<float>(rng.Normal());
    cat[i] = static_cast<int32_t>(rng.UniformInt(3));
    const double s =
        std::abs(a[i]) - 1.5 + b[i] * b[i] * 0.5 - (cat[i] == 2 ? 0.8 : 0.0) + rng.Normal() * 0.4;
    y[i] = classes == 2 ? (s > 0 ? 1 : 0) : (s < -0.5 ? 0 : (s < 0.8 ? 1 : 2));
  }
  std::vector<std::string> names = classes == 2 ? std::vector<std::string>{"no", "yes"}
                                                : std::vector<std::string>{"lo", "mid", "hi"};
  return data::Dataset::Dense({data::Column::Numeric("a", a), data::Column::Numeric("b", b),
                               data::Column::Categorical("cat", cat, {"x", "y", "z"})},
                              data::Column::Categorical("label", y, names));
}

}  // namespace kiln::algorithms::testing
