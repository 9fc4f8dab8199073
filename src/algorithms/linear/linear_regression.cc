// linear_regression: least squares with optional ridge (L2), lasso (L1) or elastic-net penalty.
//
// Objective (see objectives.h), c_i = w_i / W with W = Σ sample weights:
//     minimise  Σ_i c_i · ½(y_i − w·x_i − b)² + l2/2 · ‖w‖² + l1 · ‖w‖₁
// The intercept is never regularised. Mapping to scikit-learn (verified numerically, n rows):
//     LinearRegression()            ≡ l2 = 0, l1 = 0
//     Ridge(alpha)                  ≡ l2 = alpha / n      (sklearn: ‖y − Xw‖² + alpha‖w‖²)
//     Lasso(alpha)                  ≡ l1 = alpha, l2 = 0  (sklearn: 1/(2n)‖y − Xw‖² + alpha‖w‖₁)
//     ElasticNet(alpha, l1_ratio=r) ≡ l1 = alpha·r, l2 = alpha·(1 − r)
// Solvers: normal (Cholesky/LDLT of the Gram matrix, exact; min-norm solution when singular),
// cd (coordinate descent, dense, any l1/l2), lbfgs (l1 = 0), sgd/adagrad/ftrl (online).
// Iterative solvers work on the target centred and scaled to unit variance (the penalties are
// rescaled so the solution is the same), which makes 'tol' independent of the target's units.
// Data-parallel (TrainInput::collective, capability "distributed"): normal (sums of the Gram
// matrix over ranks) and lbfgs / owlqn (sums of the gradient); cd and the online solvers refuse.
#include <algorithm>
#include <cmath>
#include <memory>

#include <Eigen/Dense>

#include "coordinate_descent.h"
#include "kiln/ml/algorithm_registry.h"
#include "linear_model.h"
#include "online.h"
#include "quasi_newton_fit.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using linear::Loss;
using linear::Problem;

constexpr const char* kName = "linear_regression";

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.Double("l2", 0.0,
              std::string(linear::kL2Help) +
                  "L2 (ridge) penalty per unit of mean loss: minimise mean weighted ½(y − ŷ)² + "
                  "l2/2·‖w‖² + l1·‖w‖₁. sklearn Ridge(alpha) is l2 = alpha/n; ElasticNet(alpha, "
                  "l1_ratio) is l2 = alpha·(1 − l1_ratio). 0 gives ordinary least squares.")
      .Min(0)
      .LogScale();
  spec.Double("l1", 0.0,
              "L1 (lasso) penalty; sklearn Lasso(alpha) is l1 = alpha, ElasticNet is l1 = "
              "alpha·l1_ratio. Needs solver auto, cd, sgd, adagrad or ftrl.")
      .Min(0)
      .LogScale();
  spec.Choice("solver", "auto", {"auto", "normal", "cd", "lbfgs", "sgd", "adagrad", "ftrl"},
              "Optimiser. auto: online FTRL for large data (over ~5M non-zero entries); else "
              "coordinate descent (cd) when l1 > 0 on dense data (OWL-QN on sparse); else the "
              "normal equations for dense data with up to 1000 features; else L-BFGS.");
  spec.Int("max_iter", 1000, "Maximum iterations (L-BFGS) or sweeps (cd).").Min(1);
  spec.Double("tol", 1e-6,
              "Stop when the largest gradient component / optimality violation (for the "
              "unit-variance target) is below this; online solvers: relative epoch-loss change.")
      .Min(0, false);
  spec.Int("epochs", 0, "Passes for sgd/adagrad/ftrl; 0 = automatic (2 on large data, else 10).")
      .Min(0);
  spec.Double("learning_rate", 0.0,
              "Online step size (SGD η0, Adagrad η, FTRL α); 0 = automatic (FTRL 0.2, Adagrad 0.1, "
              "SGD 0.01).")
      .Min(0);
  linear::AddEncoderParams(spec);
  return spec;
}

constexpr size_t kOnlineThreshold = 5'000'000;
constexpr size_t kNormalMaxFeatures = 1000;

// Exact ridge / least squares through the (weighted, centred) normal equations. Data-parallel:
// the weighted means, then the Gram matrix and right-hand side are sums over the ranks' rows.
core::Result<linear::SolverReport> SolveNormal(const Problem& p, std::vector<double>* theta,
                                               dist::Collective* collective,
                                               core::ThreadPool& pool) {
  const ml::DesignMatrix& x = *p.x;
  const size_t n = p.rows(), d = p.cols();
  std::vector<double> mean(d + 1, 0.0);  // [d] = the target's mean
  if (p.fit_intercept) {
    double ymean = 0;
    for (size_t i = 0; i < n; ++i) ymean += p.c[i] * p.y[i];
    mean[d] = ymean;
    core::ParallelForBlocks(pool, 0, d, 1, [&](size_t begin, size_t end, size_t) {
      for (size_t j = begin; j < end; ++j) {
        const float* col = x.column(j);
        double s = 0;
        for (size_t i = 0; i < n; ++i) s += p.c[i] * col[i];
        mean[j] = s;
      }
    });
    if (collective != nullptr) {
      KILN_RETURN_IF_ERROR(collective->AllReduce(std::span<double>(mean), dist::ReduceOp::kSum));
    }
  }
  const double ymean = mean[d];
  Eigen::MatrixXd gram =
      Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
  Eigen::VectorXd rhs(d);
  core::ParallelForBlocks(pool, 0, d, 1, [&](size_t begin, size_t end, size_t) {
    std::vector<double> cj(n);
    for (size_t j = begin; j < end; ++j) {
      const float* colj = x.column(j);
      double r = 0;
      for (size_t i = 0; i < n; ++i) {
        cj[i] = p.c[i] * (colj[i] - mean[j]);
        r += cj[i] * (p.y[i] - ymean);
      }
      rhs(static_cast<Eigen::Index>(j)) = r;
      for (size_t k = 0; k <= j; ++k) {
        const float* colk = x.column(k);
        double s = 0;
        for (size_t i = 0; i < n; ++i) s += cj[i] * (colk[i] - mean[k]);
        gram(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(k)) = s;
      }
    }
  });
  if (collective != nullptr) {
    KILN_RETURN_IF_ERROR(
        collective->AllReduce(std::span<double>(gram.data(), d * d), dist::ReduceOp::kSum));
    KILN_RETURN_IF_ERROR(
        collective->AllReduce(std::span<double>(rhs.data(), d), dist::ReduceOp::kSum));
  }
  gram = gram.selfadjointView<Eigen::Lower>();
  gram.diagonal().array() += p.l2;
  Eigen::VectorXd w;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(gram);
  const double dmax = d > 0 ? ldlt.vectorD().cwiseAbs().maxCoeff() : 0.0;
  const double dmin = d > 0 ? ldlt.vectorD().minCoeff() : 0.0;
  linear::SolverReport report;
  report.solver = "normal";
  if (d > 0 && ldlt.info() == Eigen::Success && dmin > 1e-10 * dmax) {
    w = ldlt.solve(rhs);
    report.stop_reason = "ldlt";
  } else {
    // Singular (collinear columns, l2 = 0): the minimum-norm solution, as numpy's lstsq.
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(gram);
    cod.setThreshold(1e-10);
    w = d > 0 ? Eigen::VectorXd(cod.solve(rhs)) : Eigen::VectorXd();
    report.stop_reason = "min_norm";
  }
  theta->assign(p.dim(), 0.0);
  double b = ymean;
  for (size_t j = 0; j < d; ++j) {
    (*theta)[j] = w(static_cast<Eigen::Index>(j));
    b -= mean[j] * (*theta)[j];
  }
  if (p.fit_intercept) (*theta)[d] = b;
  report.converged = true;
  report.iterations = 1;
  return report;
}

class LinearRegression final : public ml::Estimator {
 public:
  explicit LinearRegression(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const double l1 = params_.GetDouble("l1");
    const std::string solver = params_.GetString("solver");
    if (l1 > 0 && (solver == "normal" || solver == "lbfgs")) {
      return core::InvalidArgument(
          "{}: l1 = {} needs a solver that handles the L1 penalty (cd, sgd, adagrad, ftrl or "
          "auto), but solver = {}",
          kName, l1, solver);
    }
    dist::Collective* collective = input.collective;
    const bool distributed = linear::IsDistributed(collective);
    if (distributed && solver != "auto" && solver != "normal" && solver != "lbfgs") {
      return core::InvalidArgument(
          "{}: solver = {} does not train data-parallel; with --dist use solver normal, lbfgs or "
          "auto",
          kName, solver);
    }
    KILN_ASSIGN_OR_RETURN(linear::PreparedData data,
                          linear::Prepare(kName, params_, false, input, ctx));
    const double l2 = linear::EffectiveL2(params_, data.total_weight);
    const bool sparse = data.x.is_sparse();
    if (sparse && (solver == "normal" || solver == "cd")) {
      return core::InvalidArgument(
          "{}: solver = {} needs tabular (dense) data, but the data is sparse; use solver = "
          "lbfgs, ftrl, adagrad, sgd or auto",
          kName, solver);
    }
    Problem p;
    p.x = &data.x;
    p.loss = Loss::kSquared;
    p.outputs = 1;
    p.c = std::move(data.c);
    p.fit_intercept = params_.GetBool("fit_intercept");
    p.l2 = l2;
    p.l1 = l1;
    const size_t d = data.x.cols();
    std::string chosen = solver;
    if (solver == "auto") {
      // Every rank chooses from the non-zeros of all ranks' rows, so all choose alike.
      KILN_ASSIGN_OR_RETURN(const size_t nnz, linear::GlobalNnz(data.x, collective));
      if (nnz > kOnlineThreshold) {
        chosen = "ftrl";
      } else if (l1 > 0) {
        chosen = sparse ? "owlqn" : "cd";
      } else {
        chosen = !sparse && d <= kNormalMaxFeatures ? "normal" : "lbfgs";
      }
      if (distributed && chosen != "normal" && chosen != "lbfgs" && chosen != "owlqn") {
        return core::InvalidArgument(
            "{}: solver = auto chose {} ({}), which does not train data-parallel; with --dist "
            "use l1 = 0 (normal or lbfgs), or sparse data for l1 > 0",
            kName, chosen,
            chosen == "cd" ? "coordinate descent for l1 > 0 on dense data"
                           : fmt::format("{} non-zero entries, over {}", nnz, kOnlineThreshold));
      }
    }
    std::vector<double> theta;
    linear::SolverReport report;
    if (chosen == "normal") {
      p.y = std::move(data.targets);
      KILN_ASSIGN_OR_RETURN(report, SolveNormal(p, &theta, collective, ctx.pool()));
    } else {
      // Centre and scale the target; the l1 penalty scales with it, l2 does not.
      double mean = 0, var = 0;
      if (p.fit_intercept) {
        for (size_t i = 0; i < p.c.size(); ++i) mean += p.c[i] * data.targets[i];
        if (collective != nullptr) {
          KILN_RETURN_IF_ERROR(
              collective->AllReduce(std::span<double>(&mean, 1), dist::ReduceOp::kSum));
        }
      }
      for (size_t i = 0; i < p.c.size(); ++i)
        var += p.c[i] * (data.targets[i] - mean) * (data.targets[i] - mean);
      if (collective != nullptr) {
        KILN_RETURN_IF_ERROR(
            collective->AllReduce(std::span<double>(&var, 1), dist::ReduceOp::kSum));
      }
      const double scale = var > 0 ? std::sqrt(var) : 1.0;
      p.y.resize(data.targets.size());
      for (size_t i = 0; i < p.y.size(); ++i) p.y[i] = (data.targets[i] - mean) / scale;
      p.l1 = l1 / scale;
      theta.assign(p.dim(), 0.0);
      KILN_ASSIGN_OR_RETURN(report, RunIterative(chosen, p, collective, &theta, ctx));
      for (double& v : theta) v *= scale;
      if (p.fit_intercept) theta[d] += mean;
      report.objective *= scale * scale;
    }
    std::vector<double> b(1, p.fit_intercept ? theta[d] : 0.0);
    theta.resize(d);
    data.info.training.extra = linear::ReportJson(report);
    data.info.training.extra["l2"] = l2;
    return std::unique_ptr<ml::Model>(std::make_unique<linear::LinearModel>(
        std::move(data.info), linear::Link::kIdentity, std::move(data.encoder), 1,
        core::Array<double>(std::move(theta)), core::Array<double>(std::move(b))));
  }

 private:
  core::Result<linear::SolverReport> RunIterative(const std::string& chosen, const Problem& p,
                                                  dist::Collective* collective,
                                                  std::vector<double>* theta,
                                                  core::Context& ctx) const {
    const int max_iter = static_cast<int>(params_.GetInt("max_iter"));
    const double tol = params_.GetDouble("tol");
    if (chosen == "cd") {
      linear::CdOptions o;
      o.max_iter = max_iter;
      o.tol = tol;
      o.label = kName;
      return linear::MinimizeElasticNetCd(p, o, theta, ctx);
    }
    if (chosen == "lbfgs" || chosen == "owlqn") {
      linear::QuasiNewtonOptions qn;
      qn.max_iter = max_iter;
      qn.tol = tol;
      qn.label = kName;
      return linear::FitQuasiNewton(p, chosen == "owlqn", qn, collective, theta, ctx);
    }
    linear::OnlineOptions o;
    o.method = chosen == "ftrl"      ? linear::OnlineMethod::kFtrl
               : chosen == "adagrad" ? linear::OnlineMethod::kAdagrad
                                     : linear::OnlineMethod::kSgd;
    const int64_t epochs = params_.GetInt("epochs");
    o.epochs =
        epochs > 0 ? static_cast<int>(epochs) : (params_.GetString("solver") == "auto" ? 3 : 10);
    const double lr = params_.GetDouble("learning_rate");
    o.learning_rate = lr > 0 ? lr : (o.method == linear::OnlineMethod::kSgd ? 0.01 : 0.1);
    o.tol = tol;
    o.seed = ctx.seed();
    o.label = kName;
    return linear::MinimizeOnline(p, o, theta, ctx);
  }

  core::ParamMap params_;
};

}  // namespace

core::Status RegisterLinearRegression(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "Linear regression: ordinary least squares, ridge, lasso and elastic net; normal "
      "equations, coordinate descent, L-BFGS or online solvers. Standardizes numeric columns, "
      "imputes missing values and one-hot encodes categories automatically.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kRegression,    ml::capability::kDense,
                        ml::capability::kSparse,        ml::capability::kWeights,
                        ml::capability::kMultithreaded, ml::capability::kDistributed};
  entry.factory.tasks = {ml::Task::kRegression};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<LinearRegression>(params));
  };
  entry.factory.load = &linear::LinearModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
