#include "objectives.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::algorithms::linear {

double RowLoss(Loss loss, const double* z, size_t k, double y, double* dz) {
  switch (loss) {
    case Loss::kLogistic: {
      const double v = z[0];
      // log(1 + e^v) - y v, computed without overflow.
      const double softplus = v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
      const double p = v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v));
      dz[0] = p - y;
      return softplus - y * v;
    }
    case Loss::kSoftmax: {
      double m = z[0];
      for (size_t c = 1; c < k; ++c) m = std::max(m, z[c]);
      double s = 0;
      for (size_t c = 0; c < k; ++c) {
        dz[c] = std::exp(z[c] - m);
        s += dz[c];
      }
      const size_t label = static_cast<size_t>(y);
      for (size_t c = 0; c < k; ++c) dz[c] /= s;
      dz[label] -= 1.0;
      return m + std::log(s) - z[label];
    }
    case Loss::kSquared: {
      const double r = z[0] - y;
      dz[0] = r;
      return 0.5 * r * r;
    }
    case Loss::kHinge: {
      const double m = y * z[0];
      dz[0] = m < 1 ? -y : 0.0;
      return std::max(0.0, 1.0 - m);
    }
    case Loss::kSquaredHinge: {
      const double h = std::max(0.0, 1.0 - y * z[0]);
      dz[0] = -2.0 * y * h;
      return h * h;
    }
  }
  return 0;
}

double L1Penalty(const Problem& p, std::span<const double> theta) {
  if (p.l1 == 0) return 0;
  double s = 0;
  for (size_t j = 0; j < p.num_weights(); ++j) s += std::abs(theta[j]);
  return p.l1 * s;
}

SmoothObjective::SmoothObjective(const Problem& problem, core::ThreadPool& pool,
                                 dist::Collective* collective,
                                 const core::CancellationToken* cancel)
    : p_(problem), pool_(pool), collective_(collective), cancel_(cancel) {}

void SmoothObjective::Margins(std::span<const double> theta, std::vector<double>* z) const {
  const size_t k = p_.outputs;
  z->resize(p_.rows() * k);
  p_.x->Multiply(theta.subspan(0, p_.num_weights()), k, *z, pool_);
  if (p_.fit_intercept) {
    const double* b = theta.data() + p_.num_weights();
    for (size_t i = 0; i < p_.rows(); ++i)
      for (size_t c = 0; c < k; ++c) (*z)[i * k + c] += b[c];
  }
}

double SmoothObjective::ValueGradient(std::span<const double> theta, std::span<double> grad) {
  const size_t n = p_.rows();
  const size_t k = p_.outputs;
  Margins(theta, &z_);
  dz_.resize(n * k);
  const size_t block = ml::DesignMatrix::kRowBlock;
  const size_t blocks = core::NumBlocks(n, block);
  std::vector<double> block_loss(blocks, 0.0);
  std::vector<double> block_db(blocks * k, 0.0);
  core::ParallelForBlocks(pool_, 0, n, block, [&](size_t begin, size_t end, size_t b) {
    double loss = 0;
    double* db = block_db.data() + b * k;
    for (size_t i = begin; i < end; ++i) {
      double* d = dz_.data() + i * k;
      const double ci = p_.c[i];
      if (ci == 0) {
        std::fill(d, d + k, 0.0);
        continue;
      }
      loss += ci * RowLoss(p_.loss, z_.data() + i * k, k, p_.y[i], d);
      for (size_t c = 0; c < k; ++c) {
        d[c] *= ci;
        db[c] += d[c];
      }
    }
    block_loss[b] = loss;
  });
  double value = 0;
  for (double v : block_loss) value += v;
  const size_t nw = p_.num_weights();
  p_.x->MultiplyTransposed(dz_, k, grad.subspan(0, nw), pool_);
  if (p_.fit_intercept) {
    for (size_t c = 0; c < k; ++c) {
      double s = 0;
      for (size_t b = 0; b < blocks; ++b) s += block_db[b * k + c];
      grad[nw + c] = s;
    }
  }
  if (collective_ != nullptr) {
    if (!status_.ok()) return std::numeric_limits<double>::quiet_NaN();
    const size_t dim = grad.size();
    sum_.assign(grad.begin(), grad.end());
    sum_.push_back(value);
    sum_.push_back(cancel_ != nullptr && cancel_->cancelled() ? 1.0 : 0.0);
    status_ = collective_->AllReduce(std::span<double>(sum_), dist::ReduceOp::kSum);
    if (!status_.ok()) return std::numeric_limits<double>::quiet_NaN();
    std::copy(sum_.begin(), sum_.begin() + static_cast<long>(dim), grad.begin());
    value = sum_[dim];
    if (sum_[dim + 1] > 0) agreed_cancel_.Cancel();
  }
  if (p_.l2 > 0) {
    double sq = 0;
    for (size_t j = 0; j < nw; ++j) {
      sq += theta[j] * theta[j];
      grad[j] += p_.l2 * theta[j];
    }
    value += 0.5 * p_.l2 * sq;
  }
  return value;
}

double SmoothObjective::Value(std::span<const double> theta) {
  std::vector<double> g(theta.size());
  return ValueGradient(theta, g) + L1Penalty(p_, theta);
}

}  // namespace kiln::algorithms::linear
