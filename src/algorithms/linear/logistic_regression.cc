// logistic_regression: binary and multinomial (softmax) logistic regression.
//
// Objective (see objectives.h), with c_i = w_i · cw_{y_i} / W (sample weight times class
// weight, W = Σ sample weights; W = n without weights):
//     minimise  Σ_i c_i · logloss(y_i, W·x_i + b) + l2/2 · ‖W‖² + l1 · ‖W‖₁
// The intercept is never regularised. Mapping to scikit-learn (verified numerically):
//     LogisticRegression(C=C)                 ≡ l2 = 1 / (C · W)   (also with class_weight)
//     LogisticRegression(penalty='l1', C=C)   ≡ l1 = 1 / (C · W), l2 = 0
//     LogisticRegression(penalty='elasticnet', C, l1_ratio=r)
//                                             ≡ l1 = r / (C · W), l2 = (1 − r) / (C · W)
// Multiclass uses K weight vectors and the softmax, like sklearn's multinomial lbfgs; the
// intercepts are reported centred (they are only defined up to a common shift).
// Data-parallel (TrainInput::collective, capability "distributed"): lbfgs and owlqn only; every
// rank sums its rows' loss and gradient (quasi_newton_fit.h).
#include <algorithm>
#include <cmath>
#include <memory>

#include "kiln/ml/algorithm_registry.h"
#include "linear_model.h"
#include "online.h"
#include "quasi_newton_fit.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using linear::Loss;
using linear::Problem;

constexpr const char* kName = "logistic_regression";

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.Double("l2", 0.0,
              std::string(linear::kL2Help) +
                  "L2 penalty on the weights, per unit of (mean) loss: minimise mean weighted "
                  "log-loss + l2/2·‖w‖² + l1·‖w‖₁. sklearn LogisticRegression(C) is l2 = 1/(C·n) "
                  "(n = rows, or the sum of sample weights).")
      .Min(0)
      .LogScale();
  spec.Double("l1", 0.0,
              "L1 penalty (sparsity); with l2 > 0 as well it is an elastic net. sklearn "
              "penalty='l1', C is l1 = 1/(C·n). Needs solver auto, owlqn, sgd, adagrad or ftrl.")
      .Min(0)
      .LogScale();
  spec.Choice("solver", "auto", {"auto", "lbfgs", "owlqn", "sgd", "adagrad", "ftrl"},
              "Optimiser. auto: FTRL (a few online epochs) for large data (over ~5M non-zero "
              "entries), else OWL-QN when l1 > 0, else L-BFGS. lbfgs/owlqn solve to tolerance "
              "'tol'; sgd/adagrad/ftrl make 'epochs' passes over shuffled rows.");
  spec.Int("max_iter", 1000, "Maximum L-BFGS / OWL-QN iterations.").Min(1);
  spec.Double("tol", 1e-6,
              "L-BFGS / OWL-QN stop when the largest gradient component (of the mean-loss "
              "objective) is below this. Online solvers stop when an epoch's loss improves by "
              "less than this fraction.")
      .Min(0, false);
  spec.Int("epochs", 0,
           "Passes over the data for sgd/adagrad/ftrl; 0 = automatic (1 for the auto choice on "
           "large data, 10 otherwise).")
      .Min(0);
  spec.Double("learning_rate", 0.0,
              "Step size of the online solvers (SGD η0, Adagrad η, FTRL α); 0 = automatic "
              "(FTRL 0.2, Adagrad 0.1, SGD 0.01).")
      .Min(0);
  linear::AddEncoderParams(spec);
  linear::AddClassWeightParam(spec);
  return spec;
}

// Above this many stored entries the auto solver uses an online pass.
constexpr size_t kOnlineThreshold = 5'000'000;

class LogisticRegression final : public ml::Estimator {
 public:
  explicit LogisticRegression(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const double l1 = params_.GetDouble("l1");
    const std::string solver = params_.GetString("solver");
    if (l1 > 0 && solver == "lbfgs") {
      return core::InvalidArgument(
          "{}: l1 = {} needs a solver that handles the L1 penalty (owlqn, sgd, adagrad, ftrl or "
          "auto), but solver = lbfgs",
          kName, l1);
    }
    const bool distributed = linear::IsDistributed(input.collective);
    if (distributed && solver != "auto" && solver != "lbfgs" && solver != "owlqn") {
      return core::InvalidArgument(
          "{}: solver = {} does not train data-parallel; with --dist use solver lbfgs, owlqn or "
          "auto",
          kName, solver);
    }
    KILN_ASSIGN_OR_RETURN(linear::PreparedData data,
                          linear::Prepare(kName, params_, true, input, ctx));
    const double l2 = linear::EffectiveL2(params_, data.total_weight);
    const size_t classes = data.info.label.num_classes();
    Problem p;
    p.x = &data.x;
    p.loss = classes == 2 ? Loss::kLogistic : Loss::kSoftmax;
    p.outputs = classes == 2 ? 1 : classes;
    p.y.assign(data.classes.begin(), data.classes.end());
    p.c = std::move(data.c);
    p.fit_intercept = params_.GetBool("fit_intercept");
    p.l2 = l2;
    p.l1 = l1;

    std::string chosen = solver;
    if (solver == "auto") {
      // Every rank chooses from the non-zeros of all ranks' rows, so all choose alike.
      KILN_ASSIGN_OR_RETURN(const size_t nnz, linear::GlobalNnz(data.x, input.collective));
      chosen = nnz > kOnlineThreshold ? "ftrl" : (l1 > 0 ? "owlqn" : "lbfgs");
      if (distributed && chosen == "ftrl") {
        return core::InvalidArgument(
            "{}: solver = auto chose ftrl for {} non-zero entries (over {}), which does not "
            "train data-parallel; with --dist pass -p solver=lbfgs (or owlqn with l1)",
            kName, nnz, kOnlineThreshold);
      }
    }
    std::vector<double> theta(p.dim(), 0.0);
    linear::SolverReport report;
    if (chosen == "lbfgs" || chosen == "owlqn") {
      linear::QuasiNewtonOptions qn;
      qn.max_iter = static_cast<int>(params_.GetInt("max_iter"));
      qn.tol = params_.GetDouble("tol");
      qn.label = kName;
      KILN_ASSIGN_OR_RETURN(
          report, linear::FitQuasiNewton(p, chosen == "owlqn", qn, input.collective, &theta, ctx));
    } else {
      linear::OnlineOptions o;
      o.method = chosen == "ftrl"      ? linear::OnlineMethod::kFtrl
                 : chosen == "adagrad" ? linear::OnlineMethod::kAdagrad
                                       : linear::OnlineMethod::kSgd;
      const int64_t epochs = params_.GetInt("epochs");
      o.epochs = epochs > 0 ? static_cast<int>(epochs) : (solver == "auto" ? 1 : 10);
      const double lr = params_.GetDouble("learning_rate");
      o.learning_rate = lr > 0 ? lr : linear::DefaultLearningRate(o.method);
      o.tol = params_.GetDouble("tol");
      o.seed = ctx.seed();
      o.label = kName;
      KILN_ASSIGN_OR_RETURN(report, linear::MinimizeOnline(p, o, &theta, ctx));
    }
    const size_t k = p.outputs;
    const size_t nw = p.num_weights();
    std::vector<double> b(k, 0.0);
    if (p.fit_intercept) {
      std::copy(theta.begin() + static_cast<long>(nw), theta.end(), b.begin());
      if (k > 1) {  // softmax intercepts are defined up to a shift: report them centred
        double mean = 0;
        for (double v : b) mean += v / static_cast<double>(k);
        for (double& v : b) v -= mean;
      }
    }
    theta.resize(nw);
    data.info.training.extra = linear::ReportJson(report);
    data.info.training.extra["l2"] = l2;
    auto model = std::make_unique<linear::LinearModel>(
        std::move(data.info), k == 1 ? linear::Link::kLogistic : linear::Link::kSoftmax,
        std::move(data.encoder), k, core::Array<double>(std::move(theta)),
        core::Array<double>(std::move(b)));
    return std::unique_ptr<ml::Model>(std::move(model));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

core::Status RegisterLogisticRegression(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "Logistic regression, binary and multinomial (softmax), with L2 / L1 / elastic-net "
      "penalties; L-BFGS, OWL-QN or online (FTRL, Adagrad, SGD) solvers. Standardizes numeric "
      "columns, imputes missing values and one-hot encodes categories automatically.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kBinary,        ml::capability::kMulticlass,
                        ml::capability::kDense,         ml::capability::kSparse,
                        ml::capability::kWeights,       ml::capability::kClassWeights,
                        ml::capability::kMultithreaded, ml::capability::kDistributed};
  entry.factory.tasks = {ml::Task::kBinary, ml::Task::kMulticlass};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<LogisticRegression>(params));
  };
  entry.factory.load = &linear::LinearModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
