// naive_bayes: Gaussian, multinomial and Bernoulli naive Bayes, as scikit-learn's GaussianNB,
// MultinomialNB and BernoulliNB (same parameters, same estimates, verified against them by
// tests/integration/test_parity_classic.py). Features are the FeatureEncoder's, unscaled:
// numbers as they are (missing ones imputed with the mean, plus a missing indicator), categories
// one-hot, sparse (LibSVM) rows as they are. With sample weights every count and moment is
// weighted, as sklearn's sample_weight.
//   gaussian     per class and feature the (weighted) mean and variance; every variance gets
//                var_smoothing × the largest feature variance (over all rows) added.
//   multinomial  per class the feature totals N_cj: p_cj = (N_cj + α) / (Σ_j N_cj + α·d).
//                Needs counts: a negative value is an error.
//   bernoulli    per class how often x_j > binarize: p_cj = (N_cj + α) / (N_c + 2α).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "../common/training_data.h"
#include "kiln/core/strings.h"
#include "kiln/ml/algorithm_registry.h"
#include "naive_bayes_model.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using bayes::NaiveBayesModel;
using bayes::NaiveBayesState;
using bayes::Variant;

constexpr const char* kName = "naive_bayes";
// sklearn (force_alpha=False, its default before 1.4) raises a smaller alpha to this.
constexpr double kMinAlpha = 1e-10;

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.Choice("variant", "gaussian", {"gaussian", "multinomial", "bernoulli"},
              "Which likelihood: gaussian (continuous features; sklearn GaussianNB), "
              "multinomial (counts such as word counts or TF-IDF; MultinomialNB) or bernoulli "
              "(presence of binary features; BernoulliNB).");
  spec.Double("var_smoothing", 1e-9,
              "gaussian: this fraction of the largest feature variance is added to every "
              "variance, for stability (sklearn's var_smoothing).")
      .Min(0)
      .LogScale();
  spec.Double("alpha", 1.0,
              "multinomial / bernoulli: additive (Laplace/Lidstone) smoothing of the counts; "
              "values below 1e-10 are raised to 1e-10, as sklearn does, so no log probability is "
              "infinite.")
      .Min(0)
      .LogScale();
  spec.Double("binarize", 0.0,
              "bernoulli: a feature counts as present when its value is above this threshold "
              "(sklearn's binarize); at least 0, so that absent (zero) features count as 0.")
      .Min(0);
  spec.Bool("fit_prior", true,
            "Estimate the class priors from the (weighted) class frequencies; false: uniform "
            "priors. Ignored when 'priors' is given.");
  spec.String("priors", "",
              "Class priors as 'CLASS:P,CLASS:P' naming every class (normalised to sum to 1); "
              "empty: see fit_prior.")
      .Alias("class_prior");
  AddCategoryParams(spec);
  return spec;
}

// Log priors from the class weights, the fit_prior flag or the 'priors' text.
core::Result<std::vector<double>> LogPriors(const core::ParamMap& params,
                                            const std::vector<std::string>& classes,
                                            const std::vector<double>& class_weight) {
  const size_t k = classes.size();
  std::vector<double> out(k);
  const std::string text(core::Trim(params.GetString("priors")));
  if (!text.empty()) {
    std::vector<double> p(k, std::numeric_limits<double>::quiet_NaN());
    for (const std::string& part : core::Split(text, ',')) {
      const size_t colon = part.rfind(':');
      const auto value = colon == std::string::npos
                             ? std::nullopt
                             : core::ParseDouble(std::string_view(part).substr(colon + 1));
      if (!value || !std::isfinite(*value) || *value <= 0) {
        return core::InvalidArgument(
            "parameter 'priors': expected 'CLASS:P,CLASS:P' with every P > 0, found '{}'",
            core::Excerpt(part));
      }
      const std::string name(core::Trim(std::string_view(part).substr(0, colon)));
      auto it = std::find(classes.begin(), classes.end(), name);
      if (it == classes.end()) {
        return core::InvalidArgument(
            "parameter 'priors' names class '{}', which is not in the training labels; classes: "
            "{}",
            name, core::Join(classes, ", "));
      }
      p[static_cast<size_t>(it - classes.begin())] = *value;
    }
    double total = 0;
    for (size_t c = 0; c < k; ++c) {
      if (std::isnan(p[c])) {
        return core::InvalidArgument(
            "parameter 'priors' gives no prior for class '{}'; it must "
            "name every class ({})",
            classes[c], core::Join(classes, ", "));
      }
      total += p[c];
    }
    for (size_t c = 0; c < k; ++c) out[c] = std::log(p[c] / total);
    return out;
  }
  double total = 0;
  for (double w : class_weight) total += w;
  for (size_t c = 0; c < k; ++c) {
    out[c] = params.GetBool("fit_prior") ? std::log(class_weight[c]) - std::log(total)
                                         : -std::log(static_cast<double>(k));
  }
  return out;
}

// The first row (in row order) with a negative value, for multinomial's error.
core::Status CheckCounts(const TrainingData& data, const data::DatasetView& view) {
  const ml::DesignMatrix& x = data.x;
  size_t bad_row = x.rows();
  size_t bad_col = 0;
  float bad_value = 0;
  if (x.is_sparse()) {
    for (size_t i = 0; i < x.rows() && bad_row == x.rows(); ++i) {
      x.ForEachInRow(i, [&](size_t j, float v) {
        if (v < 0 && bad_row == x.rows()) {
          bad_row = i;
          bad_col = j;
          bad_value = v;
        }
      });
    }
  } else {
    for (size_t j = 0; j < x.cols(); ++j) {
      const float* col = x.column(j);
      for (size_t i = 0; i < std::min(bad_row, x.rows()); ++i) {
        if (col[i] < 0) {
          bad_row = i;
          bad_col = j;
          bad_value = col[i];
          break;
        }
      }
    }
  }
  if (bad_row == x.rows()) return core::Status::Ok();
  return core::DataError(
      "{}: feature '{}' is {}, but multinomial naive Bayes needs counts (values >= 0); use "
      "variant=gaussian for other numbers",
      view.dataset().Where(view.row(bad_row)), data.encoder.FeatureNames()[bad_col],
      core::FormatDouble(bad_value));
}

// Per class and feature Σ w·f(x) over the rows, with f(0) = 0 (zeros are skipped).
template <typename F>
std::vector<double> ClassSums(const ml::DesignMatrix& x, const std::vector<int32_t>& y,
                              const std::vector<double>& w, size_t k, core::ThreadPool& pool,
                              F&& f) {
  const size_t d = x.cols();
  std::vector<double> sums(k * d, 0.0);
  if (x.is_sparse()) {
    for (size_t i = 0; i < x.rows(); ++i) {
      double* s = sums.data() + static_cast<size_t>(y[i]) * d;
      x.ForEachInRow(i, [&](size_t j, float v) { s[j] += w[i] * f(j, v); });
    }
    return sums;
  }
  core::ParallelForBlocks(pool, 0, d, 1, [&](size_t begin, size_t end, size_t) {
    for (size_t j = begin; j < end; ++j) {
      const float* col = x.column(j);
      for (size_t i = 0; i < x.rows(); ++i) {
        if (col[i] != 0.0f) sums[static_cast<size_t>(y[i]) * d + j] += w[i] * f(j, col[i]);
      }
    }
  });
  return sums;
}

class NaiveBayes final : public ml::Estimator {
 public:
  explicit NaiveBayes(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    PrepareOptions prepare;
    prepare.target = Target::kClasses;
    prepare.encoder = CategoryOptions(params_, /*standardize=*/false);
    KILN_ASSIGN_OR_RETURN(TrainingData data,
                          PrepareTrainingData(kName, params_, prepare, input, ctx));
    const std::string variant = params_.GetString("variant");
    NaiveBayesState s;
    s.variant = variant == "gaussian"      ? Variant::kGaussian
                : variant == "multinomial" ? Variant::kMultinomial
                                           : Variant::kBernoulli;
    s.classes = data.info.label.num_classes();
    s.features = data.x.cols();
    const size_t k = s.classes;
    const size_t n = data.x.rows();
    // Raw sample weights: smoothing adds to (weighted) counts, so their scale matters.
    std::vector<double> w(n);
    std::vector<double> class_weight(k, 0.0);
    for (size_t i = 0; i < n; ++i) {
      w[i] = input.train.weight(i);
      class_weight[static_cast<size_t>(data.classes[i])] += w[i];
    }
    for (size_t c = 0; c < k; ++c) {
      if (!(class_weight[c] > 0)) {
        return core::DataError("{}: class '{}' has no weight in the training rows", kName,
                               data.info.label.classes[c]);
      }
    }
    KILN_ASSIGN_OR_RETURN(std::vector<double> log_prior,
                          LogPriors(params_, data.info.label.classes, class_weight));
    s.class_log_prior = core::Array<double>(std::move(log_prior));
    if (s.variant == Variant::kGaussian) {
      FitGaussian(data, w, class_weight, ctx.pool(), s);
    } else {
      if (s.variant == Variant::kMultinomial) KILN_RETURN_IF_ERROR(CheckCounts(data, input.train));
      FitDiscrete(data, w, class_weight, ctx.pool(), s);
    }
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled(kName));
    return std::unique_ptr<ml::Model>(std::make_unique<NaiveBayesModel>(
        std::move(data.info), std::move(data.encoder), std::move(s)));
  }

 private:
  void FitGaussian(const TrainingData& data, const std::vector<double>& w,
                   const std::vector<double>& class_weight, core::ThreadPool& pool,
                   NaiveBayesState& s) const {
    const size_t k = s.classes;
    const size_t d = s.features;
    const ml::DesignMatrix& x = data.x;
    const std::vector<int32_t>& y = data.classes;
    std::vector<double> mean = ClassSums(x, y, w, k, pool, [](size_t, float v) { return v; });
    for (size_t c = 0; c < k; ++c)
      for (size_t j = 0; j < d; ++j) mean[c * d + j] /= class_weight[c];
    // Σ w (x − μ)²: over the stored values, plus μ² for each row's unstored zero (sparse).
    std::vector<double> var(k * d, 0.0);
    std::vector<double> present(x.is_sparse() ? k * d : 0, 0.0);  // Σ w over stored entries
    if (x.is_sparse()) {
      for (size_t i = 0; i < x.rows(); ++i) {
        const size_t c = static_cast<size_t>(y[i]);
        x.ForEachInRow(i, [&](size_t j, float v) {
          const double diff = v - mean[c * d + j];
          var[c * d + j] += w[i] * diff * diff;
          present[c * d + j] += w[i];
        });
      }
      for (size_t q = 0; q < k * d; ++q) {
        const double m = mean[q];
        var[q] += (class_weight[q / d] - present[q]) * m * m;
      }
    } else {
      core::ParallelForBlocks(pool, 0, d, 1, [&](size_t begin, size_t end, size_t) {
        for (size_t j = begin; j < end; ++j) {
          const float* col = x.column(j);
          for (size_t i = 0; i < x.rows(); ++i) {
            const size_t q = static_cast<size_t>(y[i]) * d + j;
            const double diff = col[i] - mean[q];
            var[q] += w[i] * diff * diff;
          }
        }
      });
    }
    for (size_t q = 0; q < k * d; ++q) var[q] /= class_weight[q / d];
    const double epsilon = params_.GetDouble("var_smoothing") * LargestVariance(x, pool);
    for (double& v : var) v += epsilon;
    // A constant feature with var_smoothing = 0 would divide by zero.
    for (double& v : var) v = std::max(v, std::numeric_limits<double>::min());
    s.theta = core::Array<double>(std::move(mean));
    s.var = core::Array<double>(std::move(var));
  }

  // The largest (unweighted, population) variance of a feature over all rows, as sklearn's
  // epsilon uses.
  static double LargestVariance(const ml::DesignMatrix& x, core::ThreadPool& pool) {
    const size_t n = x.rows();
    const size_t d = x.cols();
    std::vector<double> sum(d, 0.0), sq(d, 0.0), count(d, 0.0);
    if (x.is_sparse()) {
      for (size_t i = 0; i < n; ++i) x.ForEachInRow(i, [&](size_t j, float v) { sum[j] += v; });
      for (size_t j = 0; j < d; ++j) sum[j] /= static_cast<double>(n);
      for (size_t i = 0; i < n; ++i) {
        x.ForEachInRow(i, [&](size_t j, float v) {
          sq[j] += (v - sum[j]) * (v - sum[j]);
          count[j] += 1;
        });
      }
      for (size_t j = 0; j < d; ++j) sq[j] += (static_cast<double>(n) - count[j]) * sum[j] * sum[j];
    } else {
      core::ParallelForBlocks(pool, 0, d, 1, [&](size_t begin, size_t end, size_t) {
        for (size_t j = begin; j < end; ++j) {
          const float* col = x.column(j);
          double m = 0;
          for (size_t i = 0; i < n; ++i) m += col[i];
          m /= static_cast<double>(n);
          double s = 0;
          for (size_t i = 0; i < n; ++i) s += (col[i] - m) * (col[i] - m);
          sq[j] = s;
        }
      });
    }
    double best = 0;
    for (size_t j = 0; j < d; ++j) best = std::max(best, sq[j] / static_cast<double>(n));
    return best;
  }

  void FitDiscrete(const TrainingData& data, const std::vector<double>& w,
                   const std::vector<double>& class_weight, core::ThreadPool& pool,
                   NaiveBayesState& s) const {
    const size_t k = s.classes;
    const size_t d = s.features;
    const double alpha = std::max(params_.GetDouble("alpha"), kMinAlpha);
    std::vector<double> lp;
    if (s.variant == Variant::kMultinomial) {
      lp = ClassSums(data.x, data.classes, w, k, pool, [](size_t, float v) { return v; });
      for (size_t c = 0; c < k; ++c) {
        double total = 0;
        for (size_t j = 0; j < d; ++j) total += lp[c * d + j] + alpha;
        const double log_total = std::log(total);
        for (size_t j = 0; j < d; ++j) lp[c * d + j] = std::log(lp[c * d + j] + alpha) - log_total;
      }
    } else {
      s.binarize = params_.GetDouble("binarize");
      const double t = s.binarize;
      lp = ClassSums(data.x, data.classes, w, k, pool,
                     [t](size_t, float v) { return v > t ? 1.0 : 0.0; });
      for (size_t c = 0; c < k; ++c) {
        const double log_total = std::log(class_weight[c] + 2 * alpha);
        for (size_t j = 0; j < d; ++j) lp[c * d + j] = std::log(lp[c * d + j] + alpha) - log_total;
      }
    }
    s.feature_log_prob = core::Array<double>(std::move(lp));
  }

  core::ParamMap params_;
};

}  // namespace

core::Status RegisterNaiveBayes(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "Naive Bayes classifiers: Gaussian (continuous features), multinomial (counts, e.g. words) "
      "and Bernoulli (binary features), as scikit-learn's GaussianNB / MultinomialNB / "
      "BernoulliNB; one pass over the data, probabilities computed in log space. Categories are "
      "one-hot encoded and missing numbers imputed automatically.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kBinary,  ml::capability::kMulticlass,
                        ml::capability::kDense,   ml::capability::kSparse,
                        ml::capability::kWeights, ml::capability::kMultithreaded};
  entry.factory.tasks = {ml::Task::kBinary, ml::Task::kMulticlass};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<NaiveBayes>(params));
  };
  entry.factory.load = &NaiveBayesModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
