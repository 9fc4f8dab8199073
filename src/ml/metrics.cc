#include "kiln/ml/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kiln::ml::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// scikit-learn's log_loss (eps="auto", its default since 1.2) clips probabilities to
// [eps, 1 - eps] with eps = the float64 machine epsilon.
constexpr double kLogLossEps = std::numeric_limits<double>::epsilon();

double WeightAt(std::span<const float> weights, size_t i) {
  return weights.empty() ? 1.0 : static_cast<double>(weights[i]);
}

double Clip(double p) { return std::clamp(p, kLogLossEps, 1.0 - kLogLossEps); }

}  // namespace

double RocAuc(std::span<const double> scores, std::span<const int32_t> labels,
              std::span<const float> weights) {
  const size_t n = scores.size();
  for (double s : scores) {
    if (std::isnan(s)) return kNaN;
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Walk the scores from lowest to highest, one group of tied scores at a time. Every positive
  // in a group beats all negatives seen in earlier (lower) groups and ties with the negatives of
  // its own group (half credit) — the trapezoid the ROC curve draws across a tied group.
  double neg_below = 0;  // weight of negatives with a strictly lower score
  double pos_total = 0;
  double area = 0;
  for (size_t start = 0; start < n;) {
    size_t end = start;
    double group_pos = 0;
    double group_neg = 0;
    while (end < n && scores[order[end]] == scores[order[start]]) {
      const size_t i = order[end];
      (labels[i] == 1 ? group_pos : group_neg) += WeightAt(weights, i);
      ++end;
    }
    area += group_pos * (neg_below + 0.5 * group_neg);
    neg_below += group_neg;
    pos_total += group_pos;
    start = end;
  }
  if (pos_total <= 0 || neg_below <= 0) return kNaN;
  return area / (pos_total * neg_below);
}

double BinaryLogLoss(std::span<const double> p, std::span<const int32_t> labels,
                     std::span<const float> weights) {
  double loss = 0;
  double total = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    // As scikit-learn: clip both columns [1 - p, p], then renormalise the row.
    const double p1 = Clip(p[i]);
    const double p0 = Clip(1.0 - p[i]);
    const double chosen = (labels[i] == 1 ? p1 : p0) / (p0 + p1);
    const double w = WeightAt(weights, i);
    loss -= w * std::log(chosen);
    total += w;
  }
  return total > 0 ? loss / total : kNaN;
}

double MulticlassLogLoss(std::span<const double> probs, size_t k, std::span<const int32_t> labels,
                         std::span<const float> weights) {
  double loss = 0;
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double* row = probs.data() + i * k;
    double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += Clip(row[c]);
    const double chosen = Clip(row[static_cast<size_t>(labels[i])]) / sum;
    const double w = WeightAt(weights, i);
    loss -= w * std::log(chosen);
    total += w;
  }
  return total > 0 ? loss / total : kNaN;
}

double Accuracy(std::span<const int32_t> predicted, std::span<const int32_t> labels,
                std::span<const float> weights) {
  double correct = 0;
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double w = WeightAt(weights, i);
    if (predicted[i] == labels[i]) correct += w;
    total += w;
  }
  return total > 0 ? correct / total : kNaN;
}

std::vector<std::vector<double>> ConfusionMatrix(std::span<const int32_t> predicted,
                                                 std::span<const int32_t> labels, size_t k,
                                                 std::span<const float> weights) {
  std::vector<std::vector<double>> m(k, std::vector<double>(k, 0.0));
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto t = static_cast<size_t>(labels[i]);
    const auto p = static_cast<size_t>(predicted[i]);
    if (labels[i] < 0 || predicted[i] < 0 || t >= k || p >= k) continue;
    m[t][p] += WeightAt(weights, i);
  }
  return m;
}

namespace {

double SafeDiv(double num, double den) { return den > 0 ? num / den : 0.0; }

double F1(double precision, double recall) {
  return SafeDiv(2 * precision * recall, precision + recall);
}

}  // namespace

PrecisionRecallF1 ComputePrecisionRecallF1(const std::vector<std::vector<double>>& confusion,
                                           Average average, size_t positive) {
  const size_t k = confusion.size();
  std::vector<double> tp(k, 0), predicted(k, 0), actual(k, 0);
  for (size_t t = 0; t < k; ++t) {
    for (size_t p = 0; p < k; ++p) {
      actual[t] += confusion[t][p];
      predicted[p] += confusion[t][p];
    }
    tp[t] = confusion[t][t];
  }
  PrecisionRecallF1 out;
  switch (average) {
    case Average::kBinary: {
      if (positive >= k) return out;
      out.precision = SafeDiv(tp[positive], predicted[positive]);
      out.recall = SafeDiv(tp[positive], actual[positive]);
      out.f1 = F1(out.precision, out.recall);
      return out;
    }
    case Average::kMicro: {
      const double tp_sum = std::accumulate(tp.begin(), tp.end(), 0.0);
      out.precision = SafeDiv(tp_sum, std::accumulate(predicted.begin(), predicted.end(), 0.0));
      out.recall = SafeDiv(tp_sum, std::accumulate(actual.begin(), actual.end(), 0.0));
      out.f1 = F1(out.precision, out.recall);
      return out;
    }
    case Average::kMacro:
    case Average::kWeighted: {
      // Like scikit-learn's default labels: the classes that occur in the truth or the
      // predictions; a class that occurs in neither does not count.
      double weight_sum = 0;
      for (size_t c = 0; c < k; ++c) {
        if (actual[c] == 0 && predicted[c] == 0) continue;
        const double precision = SafeDiv(tp[c], predicted[c]);
        const double recall = SafeDiv(tp[c], actual[c]);
        const double w = average == Average::kMacro ? 1.0 : actual[c];
        out.precision += w * precision;
        out.recall += w * recall;
        out.f1 += w * F1(precision, recall);
        weight_sum += w;
      }
      if (weight_sum <= 0) return PrecisionRecallF1{};
      out.precision /= weight_sum;
      out.recall /= weight_sum;
      out.f1 /= weight_sum;
      return out;
    }
  }
  return out;
}

double Rmse(std::span<const double> predicted, std::span<const double> targets,
            std::span<const float> weights) {
  double sum = 0;
  double total = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const double d = predicted[i] - targets[i];
    const double w = WeightAt(weights, i);
    sum += w * d * d;
    total += w;
  }
  return total > 0 ? std::sqrt(sum / total) : kNaN;
}

double Mae(std::span<const double> predicted, std::span<const double> targets,
           std::span<const float> weights) {
  double sum = 0;
  double total = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const double w = WeightAt(weights, i);
    sum += w * std::abs(predicted[i] - targets[i]);
    total += w;
  }
  return total > 0 ? sum / total : kNaN;
}

double R2(std::span<const double> predicted, std::span<const double> targets,
          std::span<const float> weights) {
  double total = 0;
  double mean = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const double w = WeightAt(weights, i);
    mean += w * targets[i];
    total += w;
  }
  if (total <= 0) return kNaN;
  mean /= total;
  double residual = 0;
  double spread = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const double w = WeightAt(weights, i);
    const double d = predicted[i] - targets[i];
    const double m = targets[i] - mean;
    residual += w * d * d;
    spread += w * m * m;
  }
  // scikit-learn (force_finite): a constant target scores 1 if predicted exactly, else 0.
  if (spread == 0) return residual == 0 ? 1.0 : 0.0;
  return 1.0 - residual / spread;
}

}  // namespace kiln::ml::metrics
