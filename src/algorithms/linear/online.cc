#include "online.h"

#include "ftrl.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "kiln/core/random.h"

namespace kiln::algorithms::linear {
namespace {

constexpr double kEps = 1e-8;

class OnlineLearner {
 public:
  OnlineLearner(const Problem& p, const OnlineOptions& o, std::vector<double>& theta)
      : p_(p), o_(o), d_(p.cols()), k_(p.outputs), theta_(theta), z_(k_), dz_(k_) {
    acc_.assign(p.dim(), 0.0);
    last_.assign(d_, 0);
  }

  // One row; returns its loss (before the update).
  template <typename ForEach>
  double Step(ForEach&& for_each, double y, double scale) {
    ++t_;
    const size_t nw = k_ * d_;
    for (size_t c = 0; c < k_; ++c) {
      z_[c] = p_.fit_intercept ? theta_[nw + c] : 0.0;
    }
    for_each([&](size_t j, double v) {
      Refresh(j);
      for (size_t c = 0; c < k_; ++c) z_[c] += Weight(c * d_ + j) * v;
    });
    const double loss = RowLoss(p_.loss, z_.data(), k_, y, dz_.data());
    for (size_t c = 0; c < k_; ++c) dz_[c] *= scale;
    for_each([&](size_t j, double v) {
      for (size_t c = 0; c < k_; ++c) Update(c * d_ + j, dz_[c] * v, true);
    });
    if (p_.fit_intercept) {
      for (size_t c = 0; c < k_; ++c) Update(nw + c, dz_[c], false);
    }
    return loss;
  }

  void NextEpoch(int epoch) { epoch_ = epoch; }

  // Hints that feature j's state is needed soon.
  void Prefetch(size_t j) const { __builtin_prefetch(&theta_[j]); }

  // Brings every weight up to date (lazy regularisation).
  void Finish() {
    for (size_t j = 0; j < d_; ++j) Decay(j, t_ - last_[j]), last_[j] = t_;
  }

 private:
  // Per-coordinate step size for SGD / Adagrad.
  double Rate(size_t i) const {
    if (o_.method == OnlineMethod::kAdagrad) return o_.learning_rate / (std::sqrt(acc_[i]) + kEps);
    return o_.learning_rate /
           std::sqrt(1.0 + static_cast<double>(t_) / static_cast<double>(p_.rows()));
  }

  // Applies `steps` rows' worth of regularisation to feature j's weights.
  void Decay(size_t j, int64_t steps) {
    if (steps <= 0 || (p_.l2 == 0 && p_.l1 == 0)) return;
    for (size_t c = 0; c < k_; ++c) {
      const size_t i = c * d_ + j;
      double w = theta_[i];
      if (w == 0) continue;
      const double eta = std::isfinite(Rate(i)) ? Rate(i) : 0.0;
      if (p_.l2 > 0) w *= std::pow(std::max(0.0, 1.0 - eta * p_.l2), static_cast<double>(steps));
      if (p_.l1 > 0) w = std::copysign(std::max(0.0, std::abs(w) - eta * p_.l1 * steps), w);
      theta_[i] = w;
    }
  }

  // Makes feature j's weights current before they are used in a prediction.
  void Refresh(size_t j) {
    Decay(j, t_ - 1 - last_[j]);
    last_[j] = t_;
  }

  // SGD / Adagrad step on coordinate i (FTRL lives in ftrl.cc).
  void Update(size_t i, double g, bool regularised) {
    double w = theta_[i];
    if (regularised) g += p_.l2 * w;
    if (o_.method == OnlineMethod::kAdagrad) acc_[i] += g * g;
    const double eta = Rate(i);
    if (!std::isfinite(eta)) return;
    w -= eta * g;
    if (regularised && p_.l1 > 0) w = std::copysign(std::max(0.0, std::abs(w) - eta * p_.l1), w);
    theta_[i] = w;
  }

  double Weight(size_t i) const { return theta_[i]; }

  const Problem& p_;
  const OnlineOptions& o_;
  size_t d_, k_;
  std::vector<double>& theta_;
  std::vector<double> z_, dz_;
  std::vector<double> acc_;    // Adagrad: Σ g²
  std::vector<int64_t> last_;  // SGD/Adagrad: row count up to which feature j is regularised
  int64_t t_ = 0;
  int epoch_ = 0;
};

}  // namespace

double DefaultLearningRate(OnlineMethod method) {
  switch (method) {
    case OnlineMethod::kFtrl:
      return 0.2;
    case OnlineMethod::kAdagrad:
      return 0.1;
    case OnlineMethod::kSgd:
      return 0.01;
  }
  return 0.1;
}

core::Result<SolverReport> MinimizeOnline(const Problem& p, const OnlineOptions& options,
                                          std::vector<double>* theta, core::Context& ctx) {
  if (options.method == OnlineMethod::kFtrl) return MinimizeFtrl(p, options, theta, ctx);
  SolverReport report;
  report.solver = options.method == OnlineMethod::kAdagrad ? "adagrad" : "sgd";
  const size_t n = p.rows();
  const ml::DesignMatrix& x = *p.x;
  theta->resize(p.dim(), 0.0);
  OnlineLearner learner(p, options, *theta);
  // Rows are visited in a fresh random order of blocks of consecutive rows each epoch: block
  // granularity keeps memory access sequential within a block (twice as fast as a row-level
  // shuffle on large sparse data) while mixing the data globally.
  constexpr size_t kShuffleBlock = 256;
  const size_t blocks = core::NumBlocks(n, kShuffleBlock);
  std::vector<uint32_t> block_order(blocks);
  std::iota(block_order.begin(), block_order.end(), 0u);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  core::Rng rng(options.seed);
  auto progress =
      ctx.progress().Start(options.label, static_cast<uint64_t>(options.epochs) * n, "rows");
  const double rows = static_cast<double>(n);
  double previous = 0;
  report.stop_reason = "epochs";
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
    if (options.shuffle) {
      rng.Shuffle(block_order.begin(), block_order.end());
      size_t next = 0;
      for (uint32_t b : block_order) {
        const size_t end = std::min(n, (b + 1) * kShuffleBlock);
        for (size_t i = b * kShuffleBlock; i < end; ++i) order[next++] = static_cast<uint32_t>(i);
      }
    }
    learner.NextEpoch(epoch);
    double loss = 0;
    for (size_t pos = 0; pos < n; ++pos) {
      const size_t i = order[pos];
      const double ci = p.c[i];
      if (ci == 0) continue;
      if (x.is_sparse()) {
        const uint64_t b = x.indptr()[i], e = x.indptr()[i + 1];
        const uint32_t* idx = x.indices().data();
        const float* val = x.values().data();
        // Rows come in random order: fetch the next rows' data and state ahead of use.
        if (pos + 2 < n) {
          const uint64_t b2 = x.indptr()[order[pos + 2]];
          __builtin_prefetch(idx + b2);
          __builtin_prefetch(val + b2);
        }
        if (pos + 1 < n) {
          const size_t next = order[pos + 1];
          for (uint64_t q = x.indptr()[next]; q < x.indptr()[next + 1]; ++q)
            learner.Prefetch(idx[q]);
        }
        loss += ci * learner.Step(
                         [&](auto&& f) {
                           for (uint64_t q = b; q < e; ++q) f(size_t{idx[q]}, double{val[q]});
                         },
                         p.y[i], ci * rows);
      } else {
        const float* row = x.dense_row(i);
        const size_t d = x.cols();
        loss += ci * learner.Step(
                         [&](auto&& f) {
                           for (size_t j = 0; j < d; ++j)
                             if (row[j] != 0.0f) f(j, double{row[j]});
                         },
                         p.y[i], ci * rows);
      }
      if ((pos & 0xFFFF) == 0xFFFF) {
        progress->Add(0x10000);
        KILN_RETURN_IF_ERROR(ctx.CheckCancelled(options.label));
      }
    }
    progress->Set(static_cast<uint64_t>(epoch + 1) * n);
    progress->SetNote(fmt::format("loss {:.6g}", loss));
    report.iterations = epoch + 1;
    report.objective = loss;
    if (epoch > 0 && previous - loss < options.tol * std::max(previous, 1e-300)) {
      report.converged = true;
      report.stop_reason = "tol";
      break;
    }
    previous = loss;
  }
  learner.Finish();
  progress->Finish();
  return report;
}

}  // namespace kiln::algorithms::linear
