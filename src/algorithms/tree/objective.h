// Objectives of gradient boosting: first and second derivatives of the loss per row and
// output, the starting scores, the loss itself (for early stopping) and the link from margins
// to predictions.
//   logloss        binary log loss; margins are log-odds; g = p - y, h = p(1 - p)
//   softmax        multiclass, K margins; g_k = p_k - [y = k], h_k = 2 p_k (1 - p_k) (as XGBoost)
//   squared_error  g = z - y, h = 1
//   huber          g = clip(z - y, -delta, delta), h = 1
//   quantile       pinball loss at alpha: g = 1 - alpha if z >= y else -alpha, h = 1; leaf values
//                  are renewed to the alpha-quantile of the leaf's residuals (as LightGBM)
// Every g and h is multiplied by the row's sample weight. Starting scores: log-odds of the
// weighted positive rate, log class priors, the weighted mean, median, or alpha-quantile.
// Immutable; the methods are thread-safe and use the pool for fixed blocks of rows (sums are
// combined in block order, so results do not depend on the thread count).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/thread_pool.h"

namespace kiln::algorithms::tree {

struct GradPair {
  float g = 0;
  float h = 0;
};

enum class ObjectiveKind { kLogLoss, kSoftmax, kSquaredError, kHuber, kQuantile };
std::string_view ObjectiveName(ObjectiveKind kind);
core::Result<ObjectiveKind> ParseObjective(std::string_view name);

// Labels of a set of rows: class index (classification) or target, and optional weights.
struct Targets {
  std::vector<double> y;
  std::vector<float> w;  // empty: every row weighs 1
  size_t size() const { return y.size(); }
  double weight(size_t i) const { return w.empty() ? 1.0 : static_cast<double>(w[i]); }
};

class Objective {
 public:
  Objective(ObjectiveKind kind, size_t num_classes, double huber_delta, double quantile_alpha);

  ObjectiveKind kind() const { return kind_; }
  // Margins per row: K for softmax, else 1.
  size_t outputs() const { return outputs_; }
  // Name of the loss Loss() returns: logloss, mlogloss, rmse, huber, quantile.
  std::string_view metric_name() const;
  bool renews_leaves() const { return kind_ == ObjectiveKind::kQuantile; }
  double quantile_alpha() const { return alpha_; }

  std::vector<double> BaseScores(const Targets& t) const;
  // grads[k * n + i] for output k of row i; margins are row-major n x outputs().
  void Gradients(std::span<const double> margins, const Targets& t, std::span<GradPair> grads,
                 core::ThreadPool& pool) const;
  // Weighted mean loss (rmse: its square root), lower is better.
  double Loss(std::span<const double> margins, const Targets& t, core::ThreadPool& pool) const;
  // One row's margins to scores in place (probabilities for classification); returns the
  // predicted class, or -1 for regression.
  int32_t Transform(double* z) const;

 private:
  double RowLoss(const double* z, double y) const;

  ObjectiveKind kind_;
  size_t outputs_;
  double delta_;
  double alpha_;
};

// The weighted alpha-quantile of values (lower interpolation: the smallest value whose
// cumulative weight reaches alpha of the total). Reorders `items`.
double WeightedQuantile(std::vector<std::pair<double, double>>& items, double alpha);

}  // namespace kiln::algorithms::tree
