// Small in-memory datasets and helpers for the algorithm tests.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kiln/algorithms/builtin.h"
#include "kiln/core/context.h"
#include "kiln/core/random.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/algorithm_registry.h"

namespace kiln::algorithms::testing {

inline ml::AlgorithmRegistry MakeRegistry() {
  ml::AlgorithmRegistry registry("algorithm");
  (void)RegisterBuiltinAlgorithms(registry);
  return registry;
}

// Two informative numeric columns and a categorical one; label from a noisy linear rule.
inline data::Dataset Classification(size_t n, int classes, uint64_t seed,
                                    std::vector<float> weights = {}) {
  core::Rng rng(seed);
  std::vector<float> a(n), b(n);
  std::vector<int32_t> cat(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(rng.Normal() * 2 + 1);
    b[i] = static_cast<float>(rng.Normal());
    cat[i] = static_cast<int32_t>(rng.UniformInt(3));
    const double s = a[i] - 1 + 0.8 * b[i] + (cat[i] == 2 ? 0.7 : 0.0) + rng.Normal() * 0.7;
    if (classes == 2) {
      y[i] = s > 0 ? 1 : 0;
    } else {
      y[i] = s < -0.8 ? 0 : (s < 0.8 ? 1 : 2);
    }
  }
  std::vector<std::string> names = classes == 2 ? std::vector<std::string>{"no", "yes"}
                                                : std::vector<std::string>{"lo", "mid", "hi"};
  return data::Dataset::Dense(
      {data::Column::Numeric("a", a), data::Column::Numeric("b", b),
       data::Column::Categorical("c", cat, {"x", "y", "z"})},
      data::Column::Categorical("label", y, names),
      weights.empty() ? core::Array<float>() : core::Array<float>(std::move(weights)));
}

inline core::Result<std::unique_ptr<ml::Model>> Train(
    const std::string& algo, const data::Dataset& ds,
    std::vector<std::pair<std::string, std::string>> params, int threads = 1) {
  const ml::AlgorithmRegistry registry = MakeRegistry();
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmEntry* entry, registry.Get(algo));
  KILN_ASSIGN_OR_RETURN(core::ParamMap map, entry->params.Resolve(params));
  KILN_ASSIGN_OR_RETURN(auto est, entry->factory.create(map));
  core::Context ctx(core::ContextOptions{threads, 7});
  return est->Fit(ml::TrainInput{data::DatasetView(ds), std::nullopt}, ctx);
}

// model.Predict on every row of ds (two threads); a failure is a test failure.
inline ml::Predictions PredictOn(const ml::Model& model, const data::Dataset& ds) {
  core::Context ctx(core::ContextOptions{.threads = 2});
  auto p = model.Predict(data::DatasetView(ds), ctx);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *std::move(p) : ml::Predictions{};
}

}  // namespace kiln::algorithms::testing
