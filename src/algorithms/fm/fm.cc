// fm: factorization machines (Rendle 2010) for binary classification and regression — the
// workhorse of click-through-rate prediction on sparse data (LibSVM), and on tables through the
// FeatureEncoder (numbers standardized, categories one-hot, which is where pairwise interactions
// pay). Trained online by SGD, Adagrad or FTRL-proximal (linear part) with Adagrad on the factors,
// in the linear module's deterministic parallel mini-batches: the model is the same for any
// thread count (fm_rule.h has the arithmetic).
#include <algorithm>
#include <cmath>
#include <memory>

#include "../common/training_data.h"
#include "../linear/minibatch.h"
#include "fm_model.h"
#include "fm_rule.h"
#include "kiln/core/random.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/labels.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using fm::FmModel;
using fm::FmRule;
using fm::FmRuleOptions;
using linear::OnlineMethod;

constexpr const char* kName = "fm";
// Above this many stored entries the automatic epoch count is 1 (as logistic_regression's).
constexpr size_t kLargeNnz = 5'000'000;
// Automatic mini-batches with factors stay this small (see the batch_size help).
constexpr size_t kMaxFactorBatch = 128;

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.Choice("objective", "auto", {"auto", "binary", "regression"},
              "What to learn: binary (logistic loss, P(positive)) or regression (squared loss). "
              "auto: binary when the label is text or has two distinct values, else regression. "
              "For more classes use one_vs_rest with base=fm.");
  spec.Int("factors", 8, "Latent factors per feature (k in Rendle's paper); 0 is a linear model.")
      .Min(0)
      .Max(256)
      .Alias("num_factors");
  spec.Double("init_std", 0.01,
              "Standard deviation of the normal distribution the factors start from (seeded).")
      .Min(0)
      .Alias("init_stdev");
  spec.Choice("solver", "adagrad", {"adagrad", "ftrl", "sgd"},
              "adagrad: per-coordinate Adagrad on weights and factors. ftrl: FTRL-proximal on "
              "the bias and weights (with l1), Adagrad on the factors. sgd: plain SGD with a "
              "decaying step.");
  spec.Double("learning_rate", 0.0,
              "Step size of the linear part (SGD η0, Adagrad η, FTRL α); 0 = automatic (adagrad "
              "0.05, ftrl 0.1, sgd 0.05).")
      .Min(0)
      .Alias("eta");
  spec.Double("factor_learning_rate", 0.0,
              "Step size of the factors (SGD η0 or Adagrad η); 0 = learning_rate's automatic "
              "value for the solver.")
      .Min(0);
  spec.Double("l2", 1e-5, "L2 penalty on the linear weights, applied where a feature is present.")
      .Min(0)
      .LogScale()
      .Alias("lambda_w");
  spec.Double("l2_factors", 1e-5, "L2 penalty on the factors, applied where a feature is present.")
      .Min(0)
      .LogScale()
      .Alias("lambda_v");
  spec.Double("l1", 0.0, "L1 penalty on the linear weights (sparsity); ftrl only.").Min(0);
  spec.Int("epochs", 0,
           "Passes over the shuffled rows; 0 = automatic (1 for large data, over ~5M stored "
           "entries, else 10).")
      .Min(0)
      .Max(10000);
  spec.Int("batch_size", 0,
           "Rows per mini-batch (the rows of a batch are scored with the same parameters, then "
           "their updates applied in row order); 0 = automatic: rows / 1000, between 1 and 128 "
           "with factors (larger batches of stale factors lose accuracy: test AUC 0.778 at "
           "128, 0.772 at 256, 0.712 at 1,000 on the CTR benchmark), up to 1024 without.")
      .Min(0)
      .Max(1 << 16);
  spec.Double("tol", 1e-4,
              "Stop when an epoch's progressive loss improves by less than this fraction.")
      .Min(0);
  spec.Bool("fit_intercept", true, "Learn the bias w0.");
  spec.Bool("standardize", true,
            "Scale numeric columns to zero mean and unit variance (sparse data is used as is).");
  AddCategoryParams(spec);
  return spec;
}

// Whether the label is classes: text, or exactly two distinct numbers.
bool LooksBinary(const data::DatasetView& view) {
  const data::Column* label = view.dataset().label();
  if (label == nullptr || label->type == data::ColumnType::kCategorical) return true;
  float first = std::nanf("");
  for (size_t i = 0; i < view.size(); ++i) {
    const float v = label->values[view.row(i)];
    if (std::isnan(v)) continue;
    if (std::isnan(first)) {
      first = v;
    } else if (v != first) {
      for (size_t r = i + 1; r < view.size(); ++r) {
        const float u = label->values[view.row(r)];
        if (!std::isnan(u) && u != first && u != v) return false;
      }
      return true;
    }
  }
  return true;
}

double AutoRate(OnlineMethod method) { return method == OnlineMethod::kFtrl ? 0.1 : 0.05; }

class FactorizationMachine final : public ml::Estimator {
 public:
  explicit FactorizationMachine(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const std::string objective = params_.GetString("objective");
    const bool binary = objective == "binary" || (objective == "auto" && LooksBinary(input.train));
    PrepareOptions prepare;
    prepare.target = binary ? Target::kClasses : Target::kNumeric;
    prepare.encoder = CategoryOptions(params_, params_.GetBool("standardize"));
    KILN_ASSIGN_OR_RETURN(TrainingData data,
                          PrepareTrainingData(kName, params_, prepare, input, ctx));
    if (binary && data.info.label.task != ml::Task::kBinary) {
      return core::DataError(
          "{}: label '{}' has {} classes, but a factorization machine is binary (or a "
          "regression); use one_vs_rest with -p base=fm for more classes",
          kName, data.info.label.name, data.info.label.num_classes());
    }
    const size_t d = data.x.cols();
    const size_t f = static_cast<size_t>(params_.GetInt("factors"));

    linear::Problem p;
    p.x = &data.x;
    p.loss = binary ? linear::Loss::kLogistic : linear::Loss::kSquared;
    p.outputs = f + 2;
    if (binary) {
      p.y.assign(data.classes.begin(), data.classes.end());
    } else {
      p.y = data.targets;
    }
    p.c = data.c;
    p.fit_intercept = params_.GetBool("fit_intercept");

    const std::string solver = params_.GetString("solver");
    FmRuleOptions ro;
    ro.method = solver == "ftrl"      ? OnlineMethod::kFtrl
                : solver == "adagrad" ? OnlineMethod::kAdagrad
                                      : OnlineMethod::kSgd;
    ro.factors = f;
    const double lr = params_.GetDouble("learning_rate");
    const double flr = params_.GetDouble("factor_learning_rate");
    ro.learning_rate = lr > 0 ? lr : AutoRate(ro.method);
    ro.factor_learning_rate =
        flr > 0 ? flr
                : AutoRate(ro.method == OnlineMethod::kSgd ? OnlineMethod::kSgd
                                                           : OnlineMethod::kAdagrad);
    ro.l1 = params_.GetDouble("l1");
    ro.l2 = params_.GetDouble("l2");
    ro.l2_factors = params_.GetDouble("l2_factors");
    ro.rows = static_cast<double>(data.x.rows());
    if (ro.l1 > 0 && ro.method != OnlineMethod::kFtrl) {
      return core::InvalidArgument("{}: l1 = {} needs solver=ftrl, but solver = {}", kName, ro.l1,
                                   solver);
    }

    // Factors start from N(0, init_std²), drawn in feature order from the run's seed.
    std::vector<double> v0(d * f);
    core::Rng rng(ctx.seed());
    const double spread = params_.GetDouble("init_std");
    for (double& v : v0) v = rng.Normal() * spread;
    FmRule rule(d, ro, v0);

    linear::OnlineOptions o;
    o.method = ro.method;
    const int64_t epochs = params_.GetInt("epochs");
    o.epochs = epochs > 0 ? static_cast<int>(epochs) : (data.x.nnz() > kLargeNnz ? 1 : 10);
    o.learning_rate = ro.learning_rate;
    o.tol = params_.GetDouble("tol");
    o.seed = rng.Next();
    o.batch_size = static_cast<size_t>(params_.GetInt("batch_size"));
    if (o.batch_size == 0 && f > 0)
      o.batch_size = std::clamp<size_t>(data.x.rows() / 1000, 1, kMaxFactorBatch);
    o.label = kName;
    double rows_seen = 0;
    KILN_ASSIGN_OR_RETURN(
        linear::SolverReport report,
        linear::RunMiniBatches(p, o, rule, ctx, &rows_seen,
                               [&](const double* z, size_t, double y, double* dz) {
                                 return fm::FmLoss(p.loss, f, z, y, dz);
                               }));
    std::vector<double> w(d), v(d * f);
    for (size_t j = 0; j < d; ++j) {
      w[j] = rule.weight(j);
      for (size_t t = 0; t < f; ++t) v[j * f + t] = rule.factor(j, t);
    }
    report.solver = solver;
    data.info.training.extra = {{"solver", solver},
                                {"epochs", report.iterations},
                                {"converged", report.converged},
                                {"progressive_loss", report.objective},
                                {"stop_reason", report.stop_reason}};
    return std::unique_ptr<ml::Model>(std::make_unique<FmModel>(
        std::move(data.info), std::move(data.encoder), f, p.fit_intercept ? rule.bias() : 0.0,
        core::Array<double>(std::move(w)), core::Array<double>(std::move(v))));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

core::Status RegisterFactorizationMachine(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "Factorization machines for binary classification and regression: linear weights plus "
      "pairwise feature interactions through latent factors, trained online (Adagrad, FTRL or "
      "SGD) in deterministic multi-threaded mini-batches; for sparse click-through data and "
      "one-hot encoded tables.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kBinary,       ml::capability::kRegression,
                        ml::capability::kDense,        ml::capability::kSparse,
                        ml::capability::kWeights,      ml::capability::kOnline,
                        ml::capability::kMultithreaded};
  entry.factory.tasks = {ml::Task::kBinary, ml::Task::kRegression};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<FactorizationMachine>(params));
  };
  entry.factory.load = &FmModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
