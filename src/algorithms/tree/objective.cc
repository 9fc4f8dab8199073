#include "objective.h"

#include <algorithm>
#include <cmath>

namespace kiln::algorithms::tree {
namespace {

constexpr size_t kGrain = 16384;
constexpr double kProbClip = 1e-15;
constexpr double kMinHessian = 1e-16;

double Sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

// log(1 + exp(z)) without overflow.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

}  // namespace

std::string_view ObjectiveName(ObjectiveKind kind) {
  switch (kind) {
    case ObjectiveKind::kLogLoss:
      return "logloss";
    case ObjectiveKind::kSoftmax:
      return "softmax";
    case ObjectiveKind::kSquaredError:
      return "squared_error";
    case ObjectiveKind::kHuber:
      return "huber";
    case ObjectiveKind::kQuantile:
      return "quantile";
  }
  return "squared_error";
}

core::Result<ObjectiveKind> ParseObjective(std::string_view name) {
  for (ObjectiveKind k :
       {ObjectiveKind::kLogLoss, ObjectiveKind::kSoftmax, ObjectiveKind::kSquaredError,
        ObjectiveKind::kHuber, ObjectiveKind::kQuantile}) {
    if (ObjectiveName(k) == name) return k;
  }
  return core::InvalidArgument(
      "unknown objective '{}'; expected logloss, softmax, squared_error, huber or quantile", name);
}

double WeightedQuantile(std::vector<std::pair<double, double>>& items, double alpha) {
  if (items.empty()) return 0;
  std::sort(items.begin(), items.end());
  double total = 0;
  for (const auto& [v, w] : items) total += w;
  const double goal = alpha * total;
  double acc = 0;
  for (const auto& [v, w] : items) {
    acc += w;
    if (acc >= goal && w > 0) return v;
  }
  return items.back().first;
}

Objective::Objective(ObjectiveKind kind, size_t num_classes, double huber_delta,
                     double quantile_alpha)
    : kind_(kind),
      outputs_(kind == ObjectiveKind::kSoftmax ? num_classes : 1),
      delta_(huber_delta),
      alpha_(quantile_alpha) {}

std::string_view Objective::metric_name() const {
  switch (kind_) {
    case ObjectiveKind::kLogLoss:
      return "logloss";
    case ObjectiveKind::kSoftmax:
      return "mlogloss";
    case ObjectiveKind::kSquaredError:
      return "rmse";
    case ObjectiveKind::kHuber:
      return "huber";
    case ObjectiveKind::kQuantile:
      return "quantile";
  }
  return "rmse";
}

std::vector<double> Objective::BaseScores(const Targets& t) const {
  const size_t n = t.size();
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += t.weight(i);
  if (!(total > 0)) return std::vector<double>(outputs_, 0.0);
  switch (kind_) {
    case ObjectiveKind::kLogLoss: {
      double pos = 0;
      for (size_t i = 0; i < n; ++i) pos += t.weight(i) * t.y[i];
      const double p = std::clamp(pos / total, 1e-6, 1 - 1e-6);
      return {std::log(p / (1 - p))};
    }
    case ObjectiveKind::kSoftmax: {
      std::vector<double> prior(outputs_, 0.0);
      for (size_t i = 0; i < n; ++i) prior[static_cast<size_t>(t.y[i])] += t.weight(i);
      std::vector<double> out(outputs_);
      for (size_t k = 0; k < outputs_; ++k) out[k] = std::log(std::max(prior[k] / total, 1e-6));
      return out;
    }
    case ObjectiveKind::kSquaredError: {
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += t.weight(i) * t.y[i];
      return {sum / total};
    }
    case ObjectiveKind::kHuber:
    case ObjectiveKind::kQuantile: {
      std::vector<std::pair<double, double>> items(n);
      for (size_t i = 0; i < n; ++i) items[i] = {t.y[i], t.weight(i)};
      return {WeightedQuantile(items, kind_ == ObjectiveKind::kHuber ? 0.5 : alpha_)};
    }
  }
  return {0.0};
}

void Objective::Gradients(std::span<const double> margins, const Targets& t,
                          std::span<GradPair> grads, core::ThreadPool& pool) const {
  const size_t n = t.size();
  const size_t k_out = outputs_;
  core::ParallelForBlocks(pool, 0, n, kGrain, [&](size_t begin, size_t end, size_t) {
    std::vector<double> p(k_out);
    for (size_t i = begin; i < end; ++i) {
      const double w = t.weight(i);
      const double y = t.y[i];
      const double* z = margins.data() + i * k_out;
      double g = 0, h = 1;
      switch (kind_) {
        case ObjectiveKind::kLogLoss: {
          const double pr = Sigmoid(z[0]);
          g = pr - y;
          h = std::max(pr * (1 - pr), kMinHessian);
          break;
        }
        case ObjectiveKind::kSoftmax: {
          const double m = *std::max_element(z, z + k_out);
          double s = 0;
          for (size_t k = 0; k < k_out; ++k) s += (p[k] = std::exp(z[k] - m));
          for (size_t k = 0; k < k_out; ++k) {
            const double pk = p[k] / s;
            const double gk = pk - (static_cast<size_t>(y) == k ? 1.0 : 0.0);
            const double hk = std::max(2 * pk * (1 - pk), kMinHessian);
            grads[k * n + i] = {static_cast<float>(gk * w), static_cast<float>(hk * w)};
          }
          continue;
        }
        case ObjectiveKind::kSquaredError:
          g = z[0] - y;
          break;
        case ObjectiveKind::kHuber:
          g = std::clamp(z[0] - y, -delta_, delta_);
          break;
        case ObjectiveKind::kQuantile:
          g = z[0] >= y ? 1 - alpha_ : -alpha_;
          break;
      }
      grads[i] = {static_cast<float>(g * w), static_cast<float>(h * w)};
    }
  });
}

double Objective::RowLoss(const double* z, double y) const {
  switch (kind_) {
    case ObjectiveKind::kLogLoss:
      return y > 0.5 ? Softplus(-z[0]) : Softplus(z[0]);
    case ObjectiveKind::kSoftmax: {
      const double m = *std::max_element(z, z + outputs_);
      double s = 0;
      for (size_t k = 0; k < outputs_; ++k) s += std::exp(z[k] - m);
      return std::min(m + std::log(s) - z[static_cast<size_t>(y)], -std::log(kProbClip));
    }
    case ObjectiveKind::kSquaredError:
      return (z[0] - y) * (z[0] - y);
    case ObjectiveKind::kHuber: {
      const double r = std::abs(z[0] - y);
      return r <= delta_ ? 0.5 * r * r : delta_ * (r - 0.5 * delta_);
    }
    case ObjectiveKind::kQuantile: {
      const double r = y - z[0];
      return r >= 0 ? alpha_ * r : (alpha_ - 1) * r;
    }
  }
  return 0;
}

double Objective::Loss(std::span<const double> margins, const Targets& t,
                       core::ThreadPool& pool) const {
  const size_t n = t.size();
  std::vector<double> sums(core::NumBlocks(n, kGrain), 0.0), weights(sums.size(), 0.0);
  core::ParallelForBlocks(pool, 0, n, kGrain, [&](size_t begin, size_t end, size_t b) {
    double s = 0, ws = 0;
    for (size_t i = begin; i < end; ++i) {
      const double w = t.weight(i);
      s += w * RowLoss(margins.data() + i * outputs_, t.y[i]);
      ws += w;
    }
    sums[b] = s;
    weights[b] = ws;
  });
  double s = 0, ws = 0;
  for (size_t b = 0; b < sums.size(); ++b) {
    s += sums[b];
    ws += weights[b];
  }
  const double mean = ws > 0 ? s / ws : 0;
  return kind_ == ObjectiveKind::kSquaredError ? std::sqrt(mean) : mean;
}

int32_t Objective::Transform(double* z) const {
  switch (kind_) {
    case ObjectiveKind::kLogLoss: {
      const double v = z[0];
      z[0] = Sigmoid(v);
      return v > 0 ? 1 : 0;
    }
    case ObjectiveKind::kSoftmax: {
      const size_t best = static_cast<size_t>(std::max_element(z, z + outputs_) - z);
      const double m = z[best];
      double s = 0;
      for (size_t k = 0; k < outputs_; ++k) s += (z[k] = std::exp(z[k] - m));
      for (size_t k = 0; k < outputs_; ++k) z[k] /= s;
      return static_cast<int32_t>(best);
    }
    default:
      return -1;
  }
}

}  // namespace kiln::algorithms::tree
