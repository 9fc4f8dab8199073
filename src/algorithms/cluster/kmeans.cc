// kmeans: k-means clustering — greedy k-means++ or random seeding, Lloyd's iterations or
// mini-batch steps, several seeded starts (n_init) keeping the lowest inertia — on the
// FeatureEncoder's features (numbers unscaled unless standardize, categories one-hot, missing
// numbers imputed with the mean, LibSVM rows as they are). With the same initial centres
// (init_centers) it reaches scikit-learn's KMeans inertia (tests/integration/
// test_parity_classic.py). Deterministic for a seed, whatever the thread count.
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "../common/training_data.h"
#include "kiln/core/strings.h"
#include "kiln/data/reader.h"
#include "kiln/ml/algorithm_registry.h"
#include "kmeans_model.h"
#include "kmeans_solver.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using cluster::KMeansModel;
using cluster::KMeansOptions;
using cluster::KMeansResult;
using cluster::PointSet;

constexpr const char* kName = "kmeans";
// Centres are dense k x d doubles (and a feature-major copy): keep them within a few GB.
constexpr size_t kMaxCentreValues = size_t{64} << 20;

core::ParamSpec Spec() {
  core::ParamSpec spec(kName);
  spec.Int("num_clusters", 8, "Number of clusters k.")
      .Min(1)
      .Max(1 << 20)
      .Alias("n_clusters")
      .Alias("k");
  spec.Choice("init", "k-means++", {"k-means++", "random"},
              "How the centres start: greedy k-means++ (spread out, sklearn's default) or k "
              "distinct random rows. Ignored when init_centers is given.");
  spec.String("init_centers", "",
              "A CSV file of starting centres, one row per cluster, with a header naming the "
              "encoded features (the names 'kiln inspect' lists: the numeric columns for a plain "
              "numeric table, f1, f2, ... for LibSVM); its row count sets num_clusters when that "
              "is not given. Runs once (n_init is ignored).")
      .Alias("init_centres");
  spec.Int("n_init", 0,
           "Starts with different seeds; the one with the lowest inertia is kept. 0 = auto: 1 for "
           "k-means++, 10 for random (sklearn's n_init='auto').")
      .Min(0)
      .Max(1000);
  spec.Int("max_iter", 300,
           "Lloyd: maximum iterations. minibatch: maximum passes over the data (of "
           "rows / batch_size steps each).")
      .Min(1);
  spec.Double("tol", 1e-4,
              "Lloyd stops when the centres move by at most this much in total (Σ‖Δc‖²), relative "
              "to the mean feature variance (sklearn's tol). Also stops when no row changes "
              "cluster.")
      .Min(0);
  spec.Choice("solver", "lloyd", {"lloyd", "minibatch"},
              "lloyd: full passes (exact k-means iterations, multi-threaded). minibatch: "
              "Sculley's mini-batch k-means on random batches, much faster on large data at a "
              "slightly higher inertia.")
      .Alias("algorithm");
  spec.Int("batch_size", 1024, "minibatch: rows per step (sklearn's default 1024).").Min(1);
  spec.Int("max_no_improvement", 10,
           "minibatch: stop after this many steps without a lower smoothed batch inertia; 0 "
           "never stops early.")
      .Min(0);
  spec.Bool("standardize", false,
            "Scale numeric columns to zero mean and unit variance before clustering (centres "
            "are then in that space). Off by default, as in sklearn, where distances are in the "
            "data's own units.");
  AddCategoryParams(spec);
  return spec;
}

// Starting centres from the init_centers file, matched to the encoded features by name.
core::Result<std::vector<double>> ReadCentres(const std::string& path,
                                              const ml::FeatureEncoder& encoder, core::Context& ctx,
                                              size_t* k) {
  data::ReadOptions read;
  read.label_policy = data::LabelPolicy::kNone;
  read.use_cache = false;
  read.format = data::Format::kCsv;
  auto ds = data::ReadDataset(path, read, ctx);
  if (!ds.ok()) return core::Status(ds.status()).AddContext("in parameter 'init_centers'");
  const std::vector<std::string> names = encoder.FeatureNames();
  const size_t d = names.size();
  const size_t rows = ds->num_rows();
  if (rows == 0) return core::InvalidArgument("init_centers {}: the file has no centres", path);
  std::vector<std::string> missing;
  std::vector<const data::Column*> cols(d, nullptr);
  for (size_t j = 0; j < d; ++j) {
    const int idx = ds->FindColumn(names[j]);
    if (idx < 0) {
      missing.push_back(names[j]);
    } else {
      cols[j] = &ds->columns()[static_cast<size_t>(idx)];
    }
  }
  if (!missing.empty()) {
    return core::InvalidArgument(
        "init_centers {}: no column for feature{} {}; the header must name the model's {} "
        "features ({})",
        path, missing.size() == 1 ? "" : "s", core::Excerpt(core::Join(missing, ", "), 200), d,
        core::Excerpt(core::Join(names, ", "), 200));
  }
  if (ds->columns().size() > d) {
    std::vector<std::string> extra;
    for (const data::Column& c : ds->columns()) {
      if (std::find(names.begin(), names.end(), c.name) == names.end()) extra.push_back(c.name);
    }
    return core::InvalidArgument("init_centers {}: column{} {} {} not a feature of the data", path,
                                 extra.size() == 1 ? "" : "s", core::Join(extra, ", "),
                                 extra.size() == 1 ? "is" : "are");
  }
  if (*k != 0 && *k != rows) {
    return core::InvalidArgument(
        "init_centers {} has {} centres but num_clusters = {}; give one centre per cluster (or "
        "leave num_clusters out)",
        path, rows, *k);
  }
  *k = rows;
  std::vector<double> centres(rows * d);
  for (size_t j = 0; j < d; ++j) {
    const data::Column& c = *cols[j];
    if (c.type != data::ColumnType::kNumeric) {
      return core::InvalidArgument("init_centers {}: column '{}' holds text; centres are numbers",
                                   path, c.name);
    }
    for (size_t r = 0; r < rows; ++r) {
      if (std::isnan(c.values[r])) {
        return core::InvalidArgument("{}: centre value of '{}' is missing", ds->Where(r), c.name);
      }
      centres[r * d + j] = c.values[r];
    }
  }
  return centres;
}

class KMeans final : public ml::Estimator {
 public:
  explicit KMeans(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    PrepareOptions prepare;
    prepare.target = Target::kNone;
    prepare.encoder = CategoryOptions(params_, params_.GetBool("standardize"));
    KILN_ASSIGN_OR_RETURN(TrainingData data,
                          PrepareTrainingData(kName, params_, prepare, input, ctx));
    const size_t n = data.x.rows();
    const size_t d = data.x.cols();
    std::vector<double> weights(n);
    for (size_t i = 0; i < n; ++i) weights[i] = input.train.weight(i);
    const PointSet points(data.x, std::move(weights), ctx.pool());

    const std::string centres_file = params_.GetString("init_centers");
    size_t k = params_.IsSet("num_clusters") || centres_file.empty()
                   ? static_cast<size_t>(params_.GetInt("num_clusters"))
                   : 0;
    std::vector<double> given;
    if (!centres_file.empty()) {
      KILN_ASSIGN_OR_RETURN(given, ReadCentres(centres_file, data.encoder, ctx, &k));
    }
    if (k > n) {
      return core::InvalidArgument(
          "{}: num_clusters = {} but the data has only {}; k-means needs at least one row per "
          "cluster",
          kName, k, n == 1 ? "1 row" : fmt::format("{} rows", n));
    }
    if (k * d > kMaxCentreValues) {
      return core::ResourceExhausted(
          "{}: {} clusters x {} features is {} centre values (limit {}); use fewer clusters or "
          "features",
          kName, k, d, k * d, kMaxCentreValues);
    }

    KMeansOptions o;
    o.k = k;
    o.max_iter = static_cast<int>(params_.GetInt("max_iter"));
    o.tol = params_.GetDouble("tol");
    o.batch_size = static_cast<size_t>(params_.GetInt("batch_size"));
    o.max_no_improvement = static_cast<int>(params_.GetInt("max_no_improvement"));
    o.label = kName;
    const bool minibatch = params_.GetString("solver") == "minibatch";
    const bool random_init = params_.GetString("init") == "random";
    int runs = static_cast<int>(params_.GetInt("n_init"));
    if (runs == 0 || !given.empty()) runs = !given.empty() || !random_init ? 1 : 10;

    KMeansResult best;
    int best_run = -1;
    const core::Rng root(ctx.seed());
    for (int run = 0; run < runs; ++run) {
      core::Rng rng = root.Fork(static_cast<uint64_t>(run));
      std::vector<double> start = !given.empty() ? given
                                  : random_init
                                      ? cluster::RandomRows(points, k, rng)
                                      : cluster::KMeansPlusPlus(points, k, rng, ctx.pool());
      KILN_ASSIGN_OR_RETURN(KMeansResult r,
                            minibatch ? cluster::MiniBatch(points, std::move(start), o, rng, ctx)
                                      : cluster::Lloyd(points, std::move(start), o, ctx));
      if (best_run < 0 || r.inertia < best.inertia) {
        best = std::move(r);
        best_run = run;
      }
    }
    data.info.label.clusters = k;
    data.info.training.extra = {{"solver", minibatch ? "minibatch" : "lloyd"},
                                {"inertia", best.inertia},
                                {"iterations", best.iterations},
                                {"converged", best.converged},
                                {"stop_reason", best.stop_reason},
                                {"runs", runs},
                                {"best_run", best_run}};
    return std::unique_ptr<ml::Model>(
        std::make_unique<KMeansModel>(std::move(data.info), std::move(data.encoder), k,
                                      core::Array<double>(std::move(best.centres))));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

core::Status RegisterKMeans(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "k-means clustering (no label needed): k-means++ seeding, multi-threaded Lloyd iterations "
      "or mini-batch k-means, best of n_init starts; predicts each row's cluster and its "
      "distance to the centre. Categories are one-hot encoded and missing numbers imputed.";
  entry.params = Spec();
  entry.capabilities = {ml::capability::kDense, ml::capability::kSparse, ml::capability::kWeights,
                        ml::capability::kMultithreaded};
  entry.factory.tasks = {ml::Task::kClustering};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<KMeans>(params));
  };
  entry.factory.load = &KMeansModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
