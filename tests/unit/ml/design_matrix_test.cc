#include "kiln/ml/design_matrix.h"

#include <gtest/gtest.h>

#include "kiln/core/random.h"

namespace kiln::ml {
namespace {

// A random n x d matrix with ~30% non-zeros in both layouts.
struct Pair {
  DesignMatrix dense, sparse;
  std::vector<double> full;  // row-major
};

Pair Make(size_t n, size_t d, uint64_t seed) {
  core::Rng rng(seed);
  Pair p;
  p.full.assign(n * d, 0.0);
  std::vector<float> col_major(n * d, 0.0f);
  std::vector<uint64_t> indptr{0};
  std::vector<uint32_t> idx;
  std::vector<float> val;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      if (rng.Uniform() < 0.3) {
        const float v = static_cast<float>(rng.Normal());
        p.full[i * d + j] = v;
        col_major[j * n + i] = v;
        idx.push_back(static_cast<uint32_t>(j));
        val.push_back(v);
      }
    }
    indptr.push_back(idx.size());
  }
  p.dense = DesignMatrix::Dense(n, d, core::Array<float>(std::move(col_major)));
  p.sparse = DesignMatrix::Sparse(d, core::Array<uint64_t>(std::move(indptr)),
                                  core::Array<uint32_t>(std::move(idx)),
                                  core::Array<float>(std::move(val)));
  return p;
}

TEST(DesignMatrixTest, ProductsMatchNaiveForBothLayouts) {
  const size_t n = 9000, d = 13, k = 3;  // several row blocks
  Pair p = Make(n, d, 1);
  core::Rng rng(2);
  std::vector<double> w(k * d), r(n * k);
  for (auto& v : w) v = rng.Normal();
  for (auto& v : r) v = rng.Normal();
  std::vector<double> xw(n * k, 0.0), xtr(k * d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < k; ++c)
      for (size_t j = 0; j < d; ++j) {
        xw[i * k + c] += p.full[i * d + j] * w[c * d + j];
        xtr[c * d + j] += p.full[i * d + j] * r[i * k + c];
      }
  core::ThreadPool pool(2);
  for (const DesignMatrix* m : {&p.dense, &p.sparse}) {
    std::vector<double> out(n * k), outt(k * d);
    m->Multiply(w, k, out, pool);
    m->MultiplyTransposed(r, k, outt, pool);
    for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], xw[i], 1e-9);
    for (size_t i = 0; i < outt.size(); ++i) EXPECT_NEAR(outt[i], xtr[i], 1e-8);
  }
}

TEST(DesignMatrixTest, ResultsDoNotDependOnThreadCount) {
  const size_t n = 20000, d = 40;
  Pair p = Make(n, d, 3);
  std::vector<double> r(n);
  core::Rng rng(4);
  for (auto& v : r) v = rng.Normal();
  core::ThreadPool one(1), two(2);
  for (const DesignMatrix* m : {&p.dense, &p.sparse}) {
    std::vector<double> a(d), b(d);
    m->MultiplyTransposed(r, 1, a, one);
    m->MultiplyTransposed(r, 1, b, two);
    EXPECT_EQ(a, b);  // bit-identical
    EXPECT_EQ(m->WeightedColumnSquares({}, one), m->WeightedColumnSquares({}, two));
  }
}

TEST(DesignMatrixTest, RowIterationAgreesAcrossLayouts) {
  Pair p = Make(50, 7, 5);
  for (size_t i = 0; i < 50; ++i) {
    std::vector<double> a(7, 0.0), b(7, 0.0);
    p.dense.ForEachInRow(i, [&](size_t j, float v) { a[j] += v; });
    p.sparse.ForEachInRow(i, [&](size_t j, float v) { b[j] += v; });
    EXPECT_EQ(a, b);
    for (size_t j = 0; j < 7; ++j) EXPECT_EQ(p.dense.dense_row(i)[j], p.dense.at(i, j));
  }
}

}  // namespace
}  // namespace kiln::ml
