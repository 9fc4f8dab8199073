// pca: principal component analysis on dense data — the encoded features (numbers unscaled
// unless standardize, categories one-hot, missing numbers imputed with the mean) are centred, their
// covariance (divisor n − 1) is accumulated in double precision over fixed row blocks (so the
// result does not depend on the thread count) and decomposed with Eigen's self-adjoint eigen
// solver. The k axes with the largest variance are kept, each with the sign that makes its
// largest-magnitude entry positive. Components equal scikit-learn's PCA up to sign
// (tests/integration/test_parity_decomposition.py).
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include <fmt/format.h>
#include <Eigen/Dense>

#include "../common/training_data.h"
#include "kiln/ml/algorithm_registry.h"
#include "pca_model.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using decomposition::PcaModel;
using decomposition::PcaState;

constexpr const char* kName = "pca";
// The covariance is d x d doubles, once per row block being summed: keep d within reach.
constexpr size_t kMaxFeatures = 8192;
// Row blocks summed in order (the split depends on n and d only).
constexpr size_t kMaxBlocks = 16;
constexpr size_t kBlockBudgetBytes = size_t{1} << 30;
constexpr size_t kGatherRows = 256;

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.Int("n_components", 0,
           "Principal components to keep; 0 keeps min(rows, features) (scikit-learn's None), "
           "unless 'variance' is set.")
      .Min(0)
      .Max(static_cast<double>(kMaxFeatures))
      .Alias("num_components")
      .Alias("k");
  spec.Double("variance", 0,
              "Keep the fewest components whose explained variance ratio adds up to more than "
              "this fraction (scikit-learn's n_components=0.95); 0 = use n_components.")
      .Min(0)
      .Max(1, false);
  spec.Bool("whiten", false,
            "Divide each component by the square root of its explained variance, so the output "
            "columns have unit variance.");
  spec.Bool("standardize", false,
            "Scale numeric columns to unit variance before the decomposition (PCA on the "
            "correlation matrix). Off by default, as in scikit-learn.");
  AddCategoryParams(spec);
  return spec;
}

// Σ over rows of the encoded x (column means), summed per block in block order.
std::vector<double> ColumnMeans(const ml::DesignMatrix& x, size_t grain, core::ThreadPool& pool) {
  const size_t n = x.rows();
  const size_t d = x.cols();
  const size_t blocks = core::NumBlocks(n, grain);
  std::vector<std::vector<double>> partial(blocks, std::vector<double>(d, 0.0));
  core::ParallelForBlocks(pool, 0, n, grain, [&](size_t begin, size_t end, size_t b) {
    std::vector<double>& s = partial[b];
    if (x.is_sparse()) {
      for (size_t i = begin; i < end; ++i) x.ForEachInRow(i, [&](size_t j, float v) { s[j] += v; });
    } else {
      for (size_t j = 0; j < d; ++j) {
        const float* col = x.column(j);
        double acc = 0;
        for (size_t i = begin; i < end; ++i) acc += col[i];
        s[j] = acc;
      }
    }
  });
  std::vector<double> mean(d, 0.0);
  for (const auto& s : partial) {
    for (size_t j = 0; j < d; ++j) mean[j] += s[j];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  return mean;
}

// Σ (x − mean)(x − mean)ᵀ over the rows, summed per block in block order (lower triangle valid).
Eigen::MatrixXd CentredGram(const ml::DesignMatrix& x, const std::vector<double>& mean,
                            size_t grain, core::Context& ctx) {
  const size_t n = x.rows();
  const size_t d = x.cols();
  const size_t blocks = core::NumBlocks(n, grain);
  std::vector<Eigen::MatrixXd> partial(blocks);
  core::ParallelForBlocks(ctx.pool(), 0, n, grain, [&](size_t begin, size_t end, size_t b) {
    Eigen::MatrixXd& g = partial[b];
    g = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(d));
    Eigen::MatrixXd rows(static_cast<Eigen::Index>(kGatherRows), static_cast<Eigen::Index>(d));
    for (size_t lo = begin; lo < end; lo += kGatherRows) {
      if (!ctx.CheckCancelled(kName).ok()) return;  // Fit reports it
      const size_t hi = std::min(end, lo + kGatherRows);
      const auto m = static_cast<Eigen::Index>(hi - lo);
      for (size_t j = 0; j < d; ++j) {
        const auto jj = static_cast<Eigen::Index>(j);
        if (x.is_sparse()) {
          for (size_t i = lo; i < hi; ++i) rows(static_cast<Eigen::Index>(i - lo), jj) = -mean[j];
        } else {
          const float* col = x.column(j);
          for (size_t i = lo; i < hi; ++i)
            rows(static_cast<Eigen::Index>(i - lo), jj) = static_cast<double>(col[i]) - mean[j];
        }
      }
      if (x.is_sparse()) {
        for (size_t i = lo; i < hi; ++i) {
          x.ForEachInRow(i, [&](size_t j, float v) {
            rows(static_cast<Eigen::Index>(i - lo), static_cast<Eigen::Index>(j)) += v;
          });
        }
      }
      g.selfadjointView<Eigen::Lower>().rankUpdate(rows.topRows(m).transpose());
    }
  });
  Eigen::MatrixXd sum = std::move(partial[0]);
  for (size_t b = 1; b < blocks; ++b) sum += partial[b];
  return sum;
}

class Pca final : public ml::Estimator {
 public:
  explicit Pca(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    if (input.train.dataset().is_sparse()) {
      return core::InvalidArgument(
          "{} works on dense data (a CSV or JSON Lines table); the training data is sparse "
          "LibSVM, where centring would make every row dense",
          kName);
    }
    PrepareOptions prepare;
    prepare.target = Target::kNone;
    prepare.encoder = CategoryOptions(params_, params_.GetBool("standardize"));
    KILN_ASSIGN_OR_RETURN(TrainingData data,
                          PrepareTrainingData(kName, params_, prepare, input, ctx));
    data.info.label.task = ml::Task::kTransform;
    const ml::DesignMatrix& x = data.x;
    const size_t n = x.rows();
    const size_t d = x.cols();
    if (n < 2) {
      return core::InvalidArgument("{}: needs at least 2 rows to estimate a covariance; found {}",
                                   kName, n);
    }
    if (d > kMaxFeatures) {
      return core::ResourceExhausted(
          "{}: {} encoded features (limit {}): the covariance matrix would be {} x {}; select "
          "fewer columns or lower max_onehot/hash_buckets",
          kName, d, kMaxFeatures, d, d);
    }
    const size_t rank = std::min(n, d);
    size_t k = static_cast<size_t>(params_.GetInt("n_components"));
    const double variance = params_.GetDouble("variance");
    if (k > rank) {
      return core::InvalidArgument(
          "{}: n_components = {} but the data allows at most min(rows, features) = min({}, {}) "
          "= {}",
          kName, k, n, d, rank);
    }

    const size_t fit_blocks = std::clamp<size_t>(
        kBlockBudgetBytes / std::max<size_t>(1, d * d * sizeof(double)), 1, kMaxBlocks);
    const size_t grain = std::max<size_t>(kGatherRows, (n + fit_blocks - 1) / fit_blocks);
    const std::vector<double> mean = ColumnMeans(x, grain, ctx.pool());
    Eigen::MatrixXd cov = CentredGram(x, mean, grain, ctx);
    KILN_RETURN_IF_ERROR(ctx.CheckCancelled("training"));
    cov /= static_cast<double>(n - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
    if (solver.info() != Eigen::Success) {
      return core::Internal(
          "{}: the eigen decomposition of the {} x {} covariance did not converge", kName, d, d);
    }
    // Eigen sorts ascending; take them largest first, at most `rank` of them.
    const Eigen::VectorXd& values = solver.eigenvalues();
    std::vector<double> ev(rank);
    double total = 0;
    for (size_t c = 0; c < d; ++c) total += std::max(0.0, values(static_cast<Eigen::Index>(c)));
    for (size_t c = 0; c < rank; ++c)
      ev[c] = std::max(0.0, values(static_cast<Eigen::Index>(d - 1 - c)));
    if (!(total > 0)) {
      return core::InvalidArgument("{}: every feature is constant; there is no variance to explain",
                                   kName);
    }
    if (variance > 0) {
      double cumulative = 0;
      k = rank;
      for (size_t c = 0; c < rank; ++c) {
        cumulative += ev[c] / total;
        if (cumulative > variance) {
          k = c + 1;
          break;
        }
      }
    } else if (k == 0) {
      k = rank;
    }

    PcaState s;
    s.k = k;
    s.whiten = params_.GetBool("whiten");
    std::vector<double> axes(k * d);
    std::vector<double> ratio(k);
    for (size_t c = 0; c < k; ++c) {
      const auto v = solver.eigenvectors().col(static_cast<Eigen::Index>(d - 1 - c));
      Eigen::Index arg = 0;
      v.cwiseAbs().maxCoeff(&arg);
      const double sign = v(arg) < 0 ? -1.0 : 1.0;
      for (size_t j = 0; j < d; ++j) axes[c * d + j] = sign * v(static_cast<Eigen::Index>(j));
      ratio[c] = ev[c] / total;
    }
    if (k < rank) {
      s.noise_variance =
          std::accumulate(ev.begin() + static_cast<std::ptrdiff_t>(k), ev.end(), 0.0) /
          static_cast<double>(rank - k);
    }
    s.mean = core::Array<double>(mean);
    s.components = core::Array<double>(std::move(axes));
    s.explained_variance = core::Array<double>(std::vector<double>(ev.begin(), ev.begin() + k));
    s.explained_variance_ratio = core::Array<double>(std::move(ratio));
    double kept = 0;
    for (double r : s.explained_variance_ratio) kept += r;
    data.info.training.extra = {{"components", k}, {"explained_variance_ratio_sum", kept}};
    return std::unique_ptr<ml::Model>(
        std::make_unique<PcaModel>(std::move(data.info), std::move(data.encoder), std::move(s)));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

core::Status RegisterPca(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "Principal component analysis (no label needed) on dense data: the k directions of "
      "largest variance, from the covariance's eigen decomposition; 'kiln transform' writes "
      "each row's coordinates pc1..pck (optionally whitened). Categories are one-hot encoded "
      "and missing numbers imputed.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kDense, ml::capability::kMultithreaded};
  entry.factory.tasks = {ml::Task::kTransform};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<Pca>(params));
  };
  entry.factory.load = &PcaModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
