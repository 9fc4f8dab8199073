// Evaluation metrics. Each takes optional per-row weights (empty = unweighted) and returns a
// double; inputs must have matching lengths (checked by the callers in evaluation.cc).
// Definitions follow scikit-learn's so results can be compared directly.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kiln::ml::metrics {

// Area under the ROC curve from scores and 0/1 labels; exact, ties get half credit (the
// trapezoid over tied groups). NaN if only one class is present.
double RocAuc(std::span<const double> scores, std::span<const int32_t> labels,
              std::span<const float> weights = {});

// Mean negative log-likelihood. Binary: p = P(class 1) per row. Probabilities are clipped to
// [eps, 1 - eps] (eps = float64 machine epsilon) and each row renormalised, like scikit-learn's
// log_loss with its default eps="auto".
double BinaryLogLoss(std::span<const double> p, std::span<const int32_t> labels,
                     std::span<const float> weights = {});
// Multiclass: probs is rows x k row-major.
double MulticlassLogLoss(std::span<const double> probs, size_t k, std::span<const int32_t> labels,
                         std::span<const float> weights = {});

double Accuracy(std::span<const int32_t> predicted, std::span<const int32_t> labels,
                std::span<const float> weights = {});

// k x k, row = true class, column = predicted class, entries = (weighted) counts.
std::vector<std::vector<double>> ConfusionMatrix(std::span<const int32_t> predicted,
                                                 std::span<const int32_t> labels, size_t k,
                                                 std::span<const float> weights = {});

enum class Average { kBinary, kMacro, kMicro, kWeighted };
struct PrecisionRecallF1 {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};
// kBinary scores class `positive`; the others average over classes as scikit-learn does
// (zero_division = 0).
PrecisionRecallF1 ComputePrecisionRecallF1(const std::vector<std::vector<double>>& confusion,
                                           Average average, size_t positive = 1);

double Rmse(std::span<const double> predicted, std::span<const double> targets,
            std::span<const float> weights = {});
double Mae(std::span<const double> predicted, std::span<const double> targets,
           std::span<const float> weights = {});
double R2(std::span<const double> predicted, std::span<const double> targets,
          std::span<const float> weights = {});

}  // namespace kiln::ml::metrics
