// decision_tree (CART) and random_forest (Breiman: bootstrap samples, a random subset of the
// features at every node, trees averaged), classification (Gini or entropy) and regression
// (squared error), on the quantile bins gbdt uses (data/bin_mapper.h, up to max_bins per
// feature). The trees are grown by cart.h; random_forest grows them in parallel on the
// context's threads, tree t from its own generator (the seed forked by t), so a seed gives the
// same forest for any thread count. oob_score scores every training row with the trees that did
// not see it (accuracy or R², in the model's training info).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "cart.h"
#include "kiln/core/strings.h"
#include "kiln/data/bin_mapper.h"
#include "kiln/data/binned_dataset.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/labels.h"
#include "register.h"
#include "rf_model.h"
#include "row_features.h"

namespace kiln::algorithms {
namespace {

using tree::CartConfig;
using tree::IsZeroOneLabel;
using tree::RfModel;

constexpr const char* kDecisionTreeName = "decision_tree";
constexpr const char* kRandomForestName = "random_forest";
constexpr size_t kBinSampleRows = 200'000;
constexpr size_t kOobBlock = 1024;

void AddTreeParams(core::ParamSpec& spec, bool forest) {
  spec.Choice("task", "auto", {"auto", "classification", "regression"},
              "auto: classification for a text label or a numeric label of only 0s and 1s, "
              "regression for other numeric labels. Integer-coded classes need "
              "task=classification.");
  spec.Int("max_depth", 0, "Maximum tree depth (root = depth 0); 0 = no limit.")
      .Min(0)
      .Max(1000)
      .Alias("depth");
  spec.Int("min_samples_split", 2, "A node needs at least this many (distinct) rows to be split.")
      .Min(2)
      .Max(1'000'000'000);
  spec.Int("min_samples_leaf", 1, "Each child of a split keeps at least this many (distinct) rows.")
      .Min(1)
      .Max(1'000'000'000);
  spec.Int("max_leaves", 0,
           "Maximum leaves per tree, keeping the splits of largest impurity decrease (best "
           "first); 0 = no limit.")
      .Min(0)
      .Max(1 << 30)
      .Alias("max_leaf_nodes");
  spec.Choice("criterion", "gini", {"gini", "entropy", "squared_error"},
              "Split quality: gini or entropy (classification; squared_error is used for "
              "regression whatever is given).");
  spec.String("max_features", forest ? "auto" : "all",
              std::string(forest ? "Features tried at each node: auto (sqrt for classification, "
                                   "all for regression, as scikit-learn), "
                                 : "Features tried at each node: ") +
                  "sqrt, log2, all, a fraction in (0, 1] such as 0.5 (with a '.'), or a count "
                  "such as 3.");
  spec.Int("max_bins", 255,
           "Quantile bins per feature (of up to 200,000 sampled rows): split points are the bins' "
           "bounds. With at most max_bins distinct values every value has its own bin.")
      .Min(2)
      .Max(65535)
      .Alias("max_bin");
  spec.Int("seed", 0,
           "Random seed of the feature subsets (and bootstrap samples); 0 = the run's --seed.")
      .Min(0)
      .Alias("random_state");
}

core::ParamSpec DecisionTreeSpec() {
  core::ParamSpec spec(kDecisionTreeName);
  AddTreeParams(spec, false);
  return spec;
}

core::ParamSpec RandomForestSpec() {
  core::ParamSpec spec(kRandomForestName);
  spec.Int("num_trees", 100, "Trees in the forest.")
      .Min(1)
      .Max(100'000)
      .Alias("n_estimators")
      .Alias("num_tree");
  AddTreeParams(spec, true);
  spec.Bool("bootstrap", true,
            "Grow each tree on a bootstrap sample (n rows drawn with replacement); false = all "
            "rows.");
  spec.Bool("oob_score", false,
            "Score the training rows with the trees whose bootstrap sample left them out: "
            "accuracy (classification) or R² (regression), shown by kiln inspect. Needs "
            "bootstrap.");
  return spec;
}

// The number of features tried per node (>= 1), from max_features.
core::Result<size_t> ParseMaxFeatures(const std::string& text, size_t d, bool classification) {
  const std::string t(core::Trim(text));
  const auto err = [&] {
    return core::InvalidArgument(
        "parameter 'max_features' = '{}': expected auto, sqrt, log2, all, a fraction in (0, 1] "
        "such as 0.5, or a feature count such as 3",
        core::Excerpt(t));
  };
  double v = 0;
  if (t == "auto") return classification ? ParseMaxFeatures("sqrt", d, true) : d;
  if (t == "all" || t == "none" || t == "None") return d;
  if (t == "sqrt") {
    v = std::floor(std::sqrt(static_cast<double>(d)));
  } else if (t == "log2") {
    v = std::floor(std::log2(static_cast<double>(d)));
  } else {
    size_t used = 0;
    try {
      v = std::stod(t, &used);
    } catch (const std::exception&) {
      return err();
    }
    if (used != t.size() || !std::isfinite(v)) return err();
    if (t.find_first_of(".eE") != std::string::npos) {
      if (!(v > 0 && v <= 1)) {
        return core::InvalidArgument("parameter 'max_features' = {}: a fraction must be in (0, 1]",
                                     t);
      }
      v = std::floor(v * static_cast<double>(d));
    } else if (v < 1 || v != std::floor(v)) {
      return core::InvalidArgument("parameter 'max_features' = {}: a count must be at least 1", t);
    }
  }
  return std::min(d, static_cast<size_t>(std::max(1.0, v)));
}

class TreeEstimator final : public ml::Estimator {
 public:
  TreeEstimator(core::ParamMap params, bool forest) : params_(std::move(params)), forest_(forest) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const char* name = forest_ ? kRandomForestName : kDecisionTreeName;
    const data::DatasetView& view = input.train;
    if (view.size() == 0) return core::DataError("{}: there are no training rows", name);
    if (view.dataset().is_sparse()) {
      return core::InvalidArgument(
          "{} trains on named columns (CSV or JSON Lines); sparse (LibSVM) data is not supported",
          name);
    }
    const data::Column* label = view.dataset().label();
    if (label == nullptr) return core::InvalidArgument("{}: the data has no label column", name);
    if (view.size() > std::numeric_limits<uint32_t>::max())
      return core::InvalidArgument("{}: at most 2^32 - 1 training rows", name);

    ml::ModelInfo info;
    info.algorithm = name;
    info.params = params_.ToJson();
    info.schema = view.dataset().schema();
    const std::string task = params_.GetString("task");
    const bool classification =
        task == "classification" ||
        (task == "auto" && (label->type == data::ColumnType::kCategorical || IsZeroOneLabel(view)));
    std::vector<int32_t> classes;
    std::vector<double> targets;
    if (classification) {
      KILN_ASSIGN_OR_RETURN(info.label, ml::FitClassLabels(view));
      KILN_ASSIGN_OR_RETURN(classes, ml::EncodeClasses(info.label, view));
      if (info.label.num_classes() < 2) {
        return core::DataError("{}: label '{}' has a single class; nothing to learn", name,
                               info.label.name);
      }
    } else {
      KILN_ASSIGN_OR_RETURN(info.label, ml::FitRegressionLabel(view));
      KILN_ASSIGN_OR_RETURN(targets, ml::EncodeTargets(info.label, view));
    }
    const size_t k = classification ? info.label.num_classes() : 0;

    const int64_t seed_param = params_.GetInt("seed");
    const uint64_t seed = seed_param > 0 ? static_cast<uint64_t>(seed_param) : ctx.seed();
    data::BinMapperOptions bin_options;
    bin_options.max_bins = static_cast<uint32_t>(params_.GetInt("max_bins"));
    bin_options.sample_rows = kBinSampleRows;
    bin_options.seed = seed;
    KILN_ASSIGN_OR_RETURN(data::BinMapper mapper,
                          data::BinMapper::Fit(view, bin_options, ctx.pool()));
    KILN_ASSIGN_OR_RETURN(data::BinnedDataset bins,
                          data::BinnedDataset::Build(view, mapper, ctx.pool()));

    CartConfig config;
    config.max_depth = static_cast<int>(params_.GetInt("max_depth"));
    config.min_samples_split = static_cast<size_t>(params_.GetInt("min_samples_split"));
    config.min_samples_leaf = static_cast<size_t>(params_.GetInt("min_samples_leaf"));
    config.max_leaves = static_cast<size_t>(params_.GetInt("max_leaves"));
    const std::string criterion = params_.GetString("criterion");
    if (classification && criterion == "squared_error") {
      return core::InvalidArgument(
          "parameter 'criterion' = squared_error is for regression; label '{}' is "
          "classification (use gini or entropy)",
          info.label.name);
    }
    config.entropy = criterion == "entropy";
    KILN_ASSIGN_OR_RETURN(
        config.max_features,
        ParseMaxFeatures(params_.GetString("max_features"), mapper.num_features(), classification));

    const size_t num_trees = forest_ ? static_cast<size_t>(params_.GetInt("num_trees")) : 1;
    const bool bootstrap = forest_ && params_.GetBool("bootstrap");
    const bool oob = forest_ && params_.GetBool("oob_score");
    if (oob && !bootstrap) {
      return core::InvalidArgument(
          "parameter 'oob_score' needs bootstrap=true (without bootstrap samples every tree "
          "sees every row)");
    }

    tree::CartData data;
    data.bins = &bins;
    data.mapper = &mapper;
    data.num_classes = k;
    data.classes = classes.data();
    data.targets = targets.data();
    const size_t n = view.size();
    std::vector<tree::CartTree> trees(num_trees);
    // In-bag rows of each tree, for the out-of-bag score (one bit per row and tree).
    std::vector<std::vector<uint64_t>> in_bag(oob ? num_trees : 0);
    const core::Rng root(seed);
    std::atomic<bool> cancelled{false};
    const auto start = std::chrono::steady_clock::now();
    ctx.pool().Run(num_trees, [&](size_t t) {
      if (cancelled.load() || !ctx.CheckCancelled(name).ok()) {
        cancelled = true;
        return;
      }
      core::Rng rng = root.Fork(t);
      std::vector<uint32_t> weight(n, bootstrap ? 0 : 1);
      std::vector<uint32_t> rows;
      if (bootstrap) {
        for (size_t i = 0; i < n; ++i) ++weight[rng.UniformInt(n)];
        for (size_t i = 0; i < n; ++i) {
          if (weight[i] > 0) rows.push_back(static_cast<uint32_t>(i));
        }
      } else {
        rows.resize(n);
        for (size_t i = 0; i < n; ++i) rows[i] = static_cast<uint32_t>(i);
      }
      if (oob) {
        in_bag[t].assign((n + 63) / 64, 0);
        for (uint32_t r : rows) in_bag[t][r / 64] |= uint64_t{1} << (r % 64);
      }
      trees[t] = tree::GrowCart(config, data, std::move(rows), weight, rng);
    });
    if (cancelled.load()) KILN_RETURN_IF_ERROR(ctx.CheckCancelled(name));

    tree::RfState state;
    state.num_classes = k;
    state.features = tree::FeaturesFromBins(mapper);
    tree::ForestBuilder builder;
    std::vector<double> dist;
    for (const tree::CartTree& t : trees) {
      builder.Add(t.tree);
      dist.insert(dist.end(), t.dist.begin(), t.dist.end());
    }
    state.forest = builder.Finish();
    state.dist = core::Array<double>(std::move(dist));
    trees.clear();

    nlohmann::json& extra = info.training.extra;
    extra["trees"] = state.forest.num_trees();
    extra["max_features"] = config.max_features;
    extra["grow_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto model = std::make_unique<RfModel>(std::move(info), std::move(state));
    if (oob) {
      KILN_ASSIGN_OR_RETURN(double score, OobScore(*model, view, in_bag, classes, targets, ctx));
      model->mutable_info().training.extra[classification ? "oob_accuracy" : "oob_r2"] = score;
    }
    return std::unique_ptr<ml::Model>(std::move(model));
  }

 private:
  // Accuracy or R² of the out-of-bag predictions, over the rows left out by at least one tree.
  static core::Result<double> OobScore(const RfModel& model, const data::DatasetView& view,
                                       const std::vector<std::vector<uint64_t>>& in_bag,
                                       const std::vector<int32_t>& classes,
                                       const std::vector<double>& targets, core::Context& ctx) {
    const tree::RfState& s = model.state();
    KILN_ASSIGN_OR_RETURN(tree::FeatureRows rows, tree::FeatureRows::Resolve(s.features, view));
    const size_t n = view.size(), d = rows.width(), stride = model.stride();
    const size_t blocks = core::NumBlocks(n, kOobBlock);
    // Per block: rows scored, correct (or squared error), sum y, sum y².
    std::vector<std::array<double, 4>> parts(blocks, {0, 0, 0, 0});
    core::ParallelForBlocks(ctx.pool(), 0, n, kOobBlock, [&](size_t begin, size_t end, size_t b) {
      std::vector<float> x((end - begin) * d);
      rows.Fill(begin, end, x.data());
      std::vector<double> acc(stride);
      for (size_t i = begin; i < end; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0);
        size_t used = 0;
        for (size_t t = 0; t < s.forest.num_trees(); ++t) {
          if ((in_bag[t][i / 64] >> (i % 64)) & 1u) continue;
          const double* leaf =
              s.dist.data() + s.forest.Leaf(t, x.data() + (i - begin) * d) * stride;
          for (size_t c = 0; c < stride; ++c) acc[c] += leaf[c];
          ++used;
        }
        if (used == 0) continue;
        auto& p = parts[b];
        p[0] += 1;
        if (s.num_classes > 0) {
          const auto best =
              static_cast<int32_t>(std::max_element(acc.begin(), acc.end()) - acc.begin());
          p[1] += best == classes[i] ? 1.0 : 0.0;
        } else {
          const double err = acc[0] / static_cast<double>(used) - targets[i];
          p[1] += err * err;
          p[2] += targets[i];
          p[3] += targets[i] * targets[i];
        }
      }
    });
    std::array<double, 4> sum{0, 0, 0, 0};
    for (const auto& p : parts)
      for (size_t c = 0; c < 4; ++c) sum[c] += p[c];
    if (sum[0] == 0) return std::nan("");
    if (s.num_classes > 0) return sum[1] / sum[0];
    const double mean = sum[2] / sum[0];
    const double ss_tot = sum[3] - sum[0] * mean * mean;
    return ss_tot > 0 ? 1.0 - sum[1] / ss_tot : std::nan("");
  }

  core::ParamMap params_;
  bool forest_;
};

core::Status RegisterOne(ml::AlgorithmRegistry& registry, bool forest) {
  ml::AlgorithmEntry entry;
  entry.name = forest ? kRandomForestName : kDecisionTreeName;
  entry.description =
      forest ? "Random forest (Breiman): trees on bootstrap samples with a random feature subset "
               "per node, averaged (class probabilities = mean of the leaves' distributions); "
               "classification (Gini/entropy) and regression; out-of-bag score; splits on up "
               "to max_bins quantile bins per feature."
             : "CART decision tree: classification (Gini or entropy) or regression (squared "
               "error), best split first, depth/leaf/size limits; splits on up to max_bins "
               "quantile bins per feature.";
  entry.params = forest ? RandomForestSpec() : DecisionTreeSpec();
  entry.capabilities = {ml::capability::kBinary, ml::capability::kMulticlass,
                        ml::capability::kRegression, ml::capability::kDense};
  if (forest) entry.capabilities.push_back(ml::capability::kMultithreaded);
  entry.factory.tasks = {ml::Task::kBinary, ml::Task::kMulticlass, ml::Task::kRegression};
  entry.factory.create =
      [forest](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<TreeEstimator>(params, forest));
  };
  entry.factory.load = &RfModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace

core::Status RegisterDecisionTree(ml::AlgorithmRegistry& registry) {
  return RegisterOne(registry, false);
}

core::Status RegisterRandomForest(ml::AlgorithmRegistry& registry) {
  return RegisterOne(registry, true);
}

}  // namespace kiln::algorithms
