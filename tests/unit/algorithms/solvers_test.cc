// Optimality of the linear solvers on small problems.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "../../../src/algorithms/linear/coordinate_descent.h"
#include "../../../src/algorithms/linear/dual_cd.h"
#include "../../../src/algorithms/linear/ftrl.h"
#include "../../../src/algorithms/linear/lbfgs.h"
#include "../../../src/algorithms/linear/minibatch.h"
#include "../../../src/algorithms/linear/objectives.h"
#include "../../../src/algorithms/linear/online.h"
#include "kiln/core/random.h"

namespace kiln::algorithms::linear {
namespace {

struct Data {
  ml::DesignMatrix x;
  std::vector<double> y01, ypm, yreg, yclass;
};

// n x d dense data (or the same as CSR) with labels from a linear rule plus noise.
Data Make(size_t n, size_t d, bool sparse, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> cm(n * d);
  std::vector<uint64_t> indptr{0};
  std::vector<uint32_t> idx;
  std::vector<float> val;
  Data out;
  for (size_t i = 0; i < n; ++i) {
    double s = 0.3;
    for (size_t j = 0; j < d; ++j) {
      const float v = static_cast<float>(rng.Normal());
      cm[j * n + i] = v;
      idx.push_back(static_cast<uint32_t>(j));
      val.push_back(v);
      s += v * (j % 3 == 0 ? 1.0 : (j % 3 == 1 ? -0.5 : 0.0));
    }
    indptr.push_back(idx.size());
    const double noisy = s + rng.Normal();
    out.y01.push_back(noisy > 0 ? 1 : 0);
    out.ypm.push_back(noisy > 0 ? 1 : -1);
    out.yreg.push_back(noisy);
    out.yclass.push_back(noisy < -0.5 ? 0 : (noisy < 0.5 ? 1 : 2));
  }
  out.x = sparse ? ml::DesignMatrix::Sparse(d, core::Array<uint64_t>(indptr),
                                            core::Array<uint32_t>(idx), core::Array<float>(val))
                 : ml::DesignMatrix::Dense(n, d, core::Array<float>(cm));
  return out;
}

Problem MakeProblem(const Data& data, Loss loss, double l2, double l1 = 0) {
  Problem p;
  p.x = &data.x;
  p.loss = loss;
  p.outputs = loss == Loss::kSoftmax ? 3 : 1;
  p.y = loss == Loss::kLogistic  ? data.y01
        : loss == Loss::kSoftmax ? data.yclass
        : loss == Loss::kSquared ? data.yreg
                                 : data.ypm;
  p.c.assign(data.x.rows(), 1.0 / static_cast<double>(data.x.rows()));
  p.l2 = l2;
  p.l1 = l1;
  return p;
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

TEST(LbfgsTest, GradientVanishesAtTheSolution) {
  for (bool sparse : {false, true}) {
    for (Loss loss : {Loss::kLogistic, Loss::kSoftmax, Loss::kSquared, Loss::kSquaredHinge}) {
      Data data = Make(300, 6, sparse, 1);
      Problem p = MakeProblem(data, loss, 1e-2);
      core::Context ctx(core::ContextOptions{2, 1});
      SmoothObjective obj(p, ctx.pool());
      std::vector<double> theta(p.dim(), 0.0);
      QuasiNewtonOptions o;
      o.tol = 1e-9;
      auto r = MinimizeLbfgs(
          [&](std::span<const double> t, std::span<double> g) { return obj.ValueGradient(t, g); },
          &theta, o, ctx);
      ASSERT_TRUE(r.ok());
      EXPECT_TRUE(r->converged);
      std::vector<double> g(p.dim());
      obj.ValueGradient(theta, g);
      EXPECT_LT(MaxAbs(g), 1e-7) << "loss " << static_cast<int>(loss) << " sparse " << sparse;
    }
  }
}

TEST(LbfgsTest, GradientMatchesFiniteDifferences) {
  Data data = Make(50, 4, false, 2);
  for (Loss loss : {Loss::kLogistic, Loss::kSoftmax, Loss::kSquared, Loss::kSquaredHinge}) {
    Problem p = MakeProblem(data, loss, 0.1);
    core::ThreadPool pool(1);
    SmoothObjective obj(p, pool);
    std::vector<double> theta(p.dim());
    core::Rng rng(3);
    for (auto& v : theta) v = rng.Normal() * 0.3;
    std::vector<double> g(p.dim()), scratch(p.dim());
    obj.ValueGradient(theta, g);
    for (size_t i = 0; i < p.dim(); ++i) {
      const double h = 1e-6;
      std::vector<double> a = theta, b = theta;
      a[i] += h;
      b[i] -= h;
      const double fd = (obj.ValueGradient(a, scratch) - obj.ValueGradient(b, scratch)) / (2 * h);
      EXPECT_NEAR(g[i], fd, 1e-6);
    }
  }
}

TEST(OwlqnTest, SatisfiesL1OptimalityConditions) {
  Data data = Make(400, 10, false, 4);
  Problem p = MakeProblem(data, Loss::kLogistic, 1e-3, 0.02);
  core::Context ctx(core::ContextOptions{1, 1});
  SmoothObjective obj(p, ctx.pool());
  std::vector<double> theta(p.dim(), 0.0);
  std::vector<uint8_t> mask(p.dim(), 1);
  mask.back() = 0;  // intercept
  QuasiNewtonOptions o;
  o.tol = 1e-9;
  auto r = MinimizeOwlqn(
      [&](std::span<const double> t, std::span<double> g) { return obj.ValueGradient(t, g); }, p.l1,
      mask, &theta, o, ctx);
  ASSERT_TRUE(r.ok());
  std::vector<double> g(p.dim());
  obj.ValueGradient(theta, g);
  size_t zeros = 0;
  for (size_t j = 0; j < p.num_weights(); ++j) {
    if (theta[j] == 0) {
      ++zeros;
      EXPECT_LE(std::abs(g[j]), p.l1 + 1e-7);  // subgradient contains 0
    } else {
      EXPECT_NEAR(g[j] + std::copysign(p.l1, theta[j]), 0.0, 1e-6);
    }
  }
  EXPECT_GT(zeros, 0u);  // the irrelevant columns (j % 3 == 2) are dropped
  EXPECT_NEAR(g.back(), 0.0, 1e-7);
}

TEST(CoordinateDescentTest, LassoKktAndRidgeAgreesWithLbfgs) {
  Data data = Make(300, 9, false, 5);
  core::Context ctx(core::ContextOptions{2, 1});
  Problem lasso = MakeProblem(data, Loss::kSquared, 0.0, 0.05);
  std::vector<double> theta;
  CdOptions o;
  o.tol = 1e-10;
  auto r = MinimizeElasticNetCd(lasso, o, &theta, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->converged);
  EXPECT_LE(ElasticNetKktViolation(lasso, theta, ctx.pool()), 1e-10);
  Problem ridge = MakeProblem(data, Loss::kSquared, 0.1);
  std::vector<double> cd, qn(ridge.dim(), 0.0);
  ASSERT_TRUE(MinimizeElasticNetCd(ridge, o, &cd, ctx).ok());
  SmoothObjective obj(ridge, ctx.pool());
  QuasiNewtonOptions q;
  q.tol = 1e-11;
  ASSERT_TRUE(MinimizeLbfgs([&](std::span<const double> t,
                                std::span<double> g) { return obj.ValueGradient(t, g); },
                            &qn, q, ctx)
                  .ok());
  for (size_t i = 0; i < cd.size(); ++i) EXPECT_NEAR(cd[i], qn[i], 1e-6);
}

TEST(DualCdTest, DualFeasibleAndPrimalConsistent) {
  for (bool squared : {false, true}) {
    Data data = Make(200, 5, true, 6);
    std::vector<double> cost(200, 0.5);
    cost[3] = 0;  // a zero-weight row never moves
    DualCdOptions o;
    o.squared_hinge = squared;
    o.tol = 1e-8;
    core::Context ctx(core::ContextOptions{1, 1});
    auto r = SolveSvmDual(data.x, data.ypm, cost, o, ctx);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->report.converged);
    std::vector<double> w(6, 0.0);
    for (size_t i = 0; i < 200; ++i) {
      EXPECT_GE(r->alpha[i], 0.0);
      if (!squared) {
        EXPECT_LE(r->alpha[i], cost[i] + 1e-12);
      }
      data.x.ForEachInRow(i, [&](size_t j, float v) { w[j] += r->alpha[i] * data.ypm[i] * v; });
      w[5] += r->alpha[i] * data.ypm[i];  // bias feature
    }
    EXPECT_EQ(r->alpha[3], 0.0);
    for (size_t j = 0; j < 6; ++j) EXPECT_NEAR(w[j], r->w[j], 1e-9);  // w = Σ α y x
    // Complementary slackness (hinge): rows strictly inside the margin sit at the bound.
    if (!squared) {
      for (size_t i = 0; i < 200; ++i) {
        double m = r->w[5];
        data.x.ForEachInRow(i, [&](size_t j, float v) { m += r->w[j] * v; });
        if (data.ypm[i] * m < 1 - 1e-3 && cost[i] > 0) {
          EXPECT_NEAR(r->alpha[i], cost[i], 1e-6);
        }
        if (data.ypm[i] * m > 1 + 1e-3) {
          EXPECT_NEAR(r->alpha[i], 0.0, 1e-6);
        }
      }
    }
  }
}

TEST(OnlineTest, ReachesTheBatchSolutionAndIsSeeded) {
  Data data = Make(2000, 6, true, 7);
  Problem p = MakeProblem(data, Loss::kLogistic, 1e-3);
  core::Context ctx(core::ContextOptions{1, 1});
  SmoothObjective obj(p, ctx.pool());
  std::vector<double> best(p.dim(), 0.0);
  QuasiNewtonOptions q;
  ASSERT_TRUE(MinimizeLbfgs([&](std::span<const double> t,
                                std::span<double> g) { return obj.ValueGradient(t, g); },
                            &best, q, ctx)
                  .ok());
  const double optimum = obj.Value(best);
  for (OnlineMethod m : {OnlineMethod::kFtrl, OnlineMethod::kAdagrad, OnlineMethod::kSgd}) {
    OnlineOptions o;
    o.method = m;
    o.epochs = 30;
    o.tol = 0;
    o.learning_rate = m == OnlineMethod::kSgd ? 0.05 : 0.2;
    std::vector<double> a(p.dim(), 0.0), b(p.dim(), 0.0);
    ASSERT_TRUE(MinimizeOnline(p, o, &a, ctx).ok());
    ASSERT_TRUE(MinimizeOnline(p, o, &b, ctx).ok());
    EXPECT_EQ(a, b);
    EXPECT_LT(obj.Value(a), optimum * 1.02) << static_cast<int>(m);
  }
}

TEST(OnlineTest, FtrlL1GivesSparseWeights) {
  Data data = Make(2000, 12, true, 8);
  Problem p = MakeProblem(data, Loss::kLogistic, 0.0, 0.01);
  core::Context ctx(core::ContextOptions{1, 1});
  OnlineOptions o;
  o.epochs = 10;
  std::vector<double> theta(p.dim(), 0.0);
  ASSERT_TRUE(MinimizeOnline(p, o, &theta, ctx).ok());
  size_t zeros = 0;
  for (size_t j = 0; j < 12; ++j) zeros += theta[j] == 0;
  EXPECT_GE(zeros, 2u);
  EXPECT_NE(theta[0], 0.0);
}

// Wide sparse rows (many feature groups, so FTRL's update phase really splits between threads)
// and enough rows for mini-batches larger than one.
Data MakeWideSparse(size_t n, size_t d, size_t nnz, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<uint64_t> indptr{0};
  std::vector<uint32_t> idx;
  std::vector<float> val;
  Data out;
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint32_t> cols;
    while (cols.size() < nnz) {
      const auto j = static_cast<uint32_t>(rng.UniformInt(d));
      if (std::find(cols.begin(), cols.end(), j) == cols.end()) cols.push_back(j);
    }
    std::sort(cols.begin(), cols.end());
    double s = -0.5;
    for (uint32_t j : cols) {
      idx.push_back(j);
      val.push_back(1.0f);
      s += (j % 7 == 0) ? 0.8 : (j % 7 == 1 ? -0.6 : 0.0);
    }
    indptr.push_back(idx.size());
    const double noisy = s + rng.Normal();
    out.y01.push_back(noisy > 0 ? 1 : 0);
    out.yclass.push_back(noisy < -0.5 ? 0 : (noisy < 0.5 ? 1 : 2));
  }
  out.x = ml::DesignMatrix::Sparse(d, core::Array<uint64_t>(indptr), core::Array<uint32_t>(idx),
                                   core::Array<float>(val));
  return out;
}

TEST(OnlineTest, MiniBatchesAreIdenticalForAnyThreadCount) {
  Data data = MakeWideSparse(6000, 3000, 20, 11);
  ASSERT_GT(MiniBatchSize(data.x.rows(), OnlineMethod::kSgd), 1u);
  for (OnlineMethod method : {OnlineMethod::kFtrl, OnlineMethod::kAdagrad, OnlineMethod::kSgd}) {
    for (Loss loss : {Loss::kLogistic, Loss::kSoftmax}) {
      Problem p = MakeProblem(data, loss, 1e-4, 1e-5);
      OnlineOptions o;
      o.method = method;
      o.epochs = 2;
      o.learning_rate = DefaultLearningRate(method);
      std::vector<std::vector<double>> thetas;
      for (int threads : {1, 2, 3}) {
        core::Context ctx(core::ContextOptions{threads, 5});
        std::vector<double> theta(p.dim(), 0.0);
        ASSERT_TRUE(MinimizeOnline(p, o, &theta, ctx).ok());
        thetas.push_back(std::move(theta));
      }
      EXPECT_EQ(thetas[0], thetas[1]) << static_cast<int>(method);
      EXPECT_EQ(thetas[0], thetas[2]) << static_cast<int>(method);
      EXPECT_GT(MaxAbs(thetas[0]), 0.01) << static_cast<int>(method);
    }
  }
}

TEST(OnlineTest, BatchSizeGrowsWithRowsAndIsBounded) {
  for (OnlineMethod m : {OnlineMethod::kFtrl, OnlineMethod::kAdagrad, OnlineMethod::kSgd}) {
    EXPECT_EQ(MiniBatchSize(10, m), 1u);
    EXPECT_EQ(MiniBatchSize(1999, m), 1u);
    EXPECT_EQ(MiniBatchSize(50'000, m), 50u);
  }
  EXPECT_EQ(MiniBatchSize(100'000'000, OnlineMethod::kFtrl), 1024u);
  EXPECT_EQ(MiniBatchSize(100'000'000, OnlineMethod::kAdagrad), 1024u);
  EXPECT_EQ(MiniBatchSize(100'000'000, OnlineMethod::kSgd), 128u);
}

}  // namespace
}  // namespace kiln::algorithms::linear
