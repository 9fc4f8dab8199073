#include "gbdt_params.h"

#include <algorithm>

#include "kiln/core/strings.h"

namespace kiln::algorithms::tree {

core::ParamSpec GbdtSpec() {
  core::ParamSpec spec(kGbdtName);
  spec.Int("num_trees", 100,
           "Boosting rounds (multiclass: one tree per class each round). With "
           "early_stopping_rounds the model keeps the rounds up to the best validation loss.")
      .Min(1)
      .Max(1'000'000)
      .Alias("n_estimators")
      .Alias("num_boost_round")
      .Alias("num_iterations");
  spec.Double("learning_rate", 0.1,
              "Shrinkage: every leaf value is multiplied by this. Smaller needs more trees and "
              "usually generalises better.")
      .Min(0, false)
      .Max(1)
      .LogScale()
      .Alias("eta")
      .Alias("shrinkage");
  spec.Int("max_depth", 6,
           "Maximum tree depth (root = depth 0); 0 = no limit (useful with growth=leafwise).")
      .Min(0)
      .Max(64)
      .Alias("depth");
  spec.Int("max_leaves", 0,
           "Maximum leaves per tree; 0 = no limit for depthwise growth and 31 for leafwise.")
      .Min(0)
      .Max(1 << 20)
      .Alias("num_leaves")
      .Alias("max_leaf_nodes");
  spec.Double("min_child_weight", 1.0,
              "Minimum sum of hessians (sample weights for squared error, p(1-p) for log loss) "
              "in each child of a split.")
      .Min(0)
      .Alias("min_sum_hessian_in_leaf");
  spec.Double("l1", 0.0,
              "L1 regularisation of leaf values: gradient sums are shrunk towards 0 by l1 "
              "(XGBoost alpha).")
      .Min(0)
      .Alias("reg_alpha")
      .Alias("alpha")
      .Alias("lambda_l1");
  spec.Double("l2", 1.0, "L2 regularisation of leaf values: leaf = -G / (H + l2) (XGBoost lambda).")
      .Min(0)
      .Alias("reg_lambda")
      .Alias("lambda")
      .Alias("lambda_l2");
  spec.Double("min_split_gain", 0.0,
              "A split must gain more than this: gain = G_L^2/(H_L+l2) + G_R^2/(H_R+l2) - "
              "G^2/(H+l2), i.e. twice the loss reduction, as XGBoost's gamma.")
      .Min(0)
      .Alias("gamma")
      .Alias("min_split_loss")
      .Alias("min_gain_to_split");
  spec.Double("subsample", 1.0,
              "Fraction of the rows each round's trees are grown on (a seeded Bernoulli sample "
              "per round; --seed).")
      .Min(0, false)
      .Max(1)
      .Alias("bagging_fraction");
  spec.Double("colsample", 1.0, "Fraction of the features each tree may split on (per tree).")
      .Min(0, false)
      .Max(1)
      .Alias("colsample_bytree")
      .Alias("feature_fraction");
  spec.Double("colsample_bynode", 1.0,
              "Fraction of the tree's features each node may split on (drawn per node).")
      .Min(0, false)
      .Max(1)
      .Alias("feature_fraction_bynode");
  spec.Int("early_stopping_rounds", 0,
           "Stop when the validation loss (kiln train --valid) has not improved for this many "
           "rounds and keep the best round; 0 = off. Needs --valid.")
      .Min(0)
      .Alias("n_iter_no_change");
  spec.Choice("objective", "auto",
              {"auto", "logloss", "softmax", "squared_error", "huber", "quantile"},
              "Loss to minimise. auto: logloss for two classes (a text label, or a numeric one "
              "of 0s and 1s), softmax for more text classes, squared_error for other numeric "
              "labels. Integer-coded multiclass labels need objective=softmax.");
  spec.Choice("growth", "depthwise", {"depthwise", "leafwise"},
              "Tree growth: depthwise splits every node of a level (XGBoost's default); leafwise "
              "always splits the leaf with the largest gain next (LightGBM), up to max_leaves.")
      .Alias("grow_policy");
  spec.Int("max_bins", 255,
           "Histogram bins per feature (quantiles of up to 200,000 sampled rows; categories "
           "beyond the most frequent max_bins share the missing bin). Up to 255 stores bins in "
           "one byte.")
      .Min(2)
      .Max(65535)
      .Alias("max_bin");
  spec.String("monotone_constraints", "",
              "Monotone constraints on numeric features: 'COL:1,COL:-1' by column name (1 = "
              "increasing, -1 = decreasing), or one value per feature in column order, e.g. "
              "'1,0,-1' or '(1,0,-1)'. Empty = none.");
  spec.Double("huber_delta", 1.0,
              "objective=huber: residuals beyond this are penalised linearly (gradient clipped "
              "to +-delta).")
      .Min(0, false);
  spec.Double("quantile_alpha", 0.5,
              "objective=quantile: the quantile to predict (0.5 = median); leaves are set to "
              "that quantile of their residuals.")
      .Min(0, false)
      .Max(1, false);
  spec.Double("cat_smooth", 10.0,
              "Categorical splits: categories are ordered by G / (H + cat_smooth) before the "
              "best partition is searched (LightGBM).")
      .Min(0);
  spec.Double("cat_l2", 10.0,
              "Categorical splits over more than max_cat_onehot categories: extra L2 added in "
              "their gain, against overfitting many-category columns.")
      .Min(0);
  spec.Int("max_cat_threshold", 32,
           "Categorical splits: at most this many categories on the smaller side.")
      .Min(1)
      .Max(65535);
  spec.Int("max_cat_onehot", 4,
           "Categorical columns with at most this many categories split one category against "
           "the rest.")
      .Min(0)
      .Max(65535);
  spec.String("init_model", "",
              "Continue training (warm start): a gbdt model file whose trees are kept; "
              "num_trees more rounds are added. Its objective, classes and columns are reused.");
  return spec;
}

GbdtConfig ReadConfig(const core::ParamMap& p) {
  GbdtConfig c;
  c.num_trees = static_cast<int>(p.GetInt("num_trees"));
  c.tree.learning_rate = p.GetDouble("learning_rate");
  c.tree.max_depth = static_cast<int>(p.GetInt("max_depth"));
  c.tree.max_leaves = static_cast<int>(p.GetInt("max_leaves"));
  c.tree.min_split_gain = p.GetDouble("min_split_gain");
  c.tree.leafwise = p.GetString("growth") == "leafwise";
  c.tree.colsample_bynode = p.GetDouble("colsample_bynode");
  c.split.l1 = p.GetDouble("l1");
  c.split.l2 = p.GetDouble("l2");
  c.split.min_child_weight = p.GetDouble("min_child_weight");
  c.split.cat_smooth = p.GetDouble("cat_smooth");
  c.split.cat_l2 = p.GetDouble("cat_l2");
  c.split.max_cat_threshold = static_cast<uint32_t>(p.GetInt("max_cat_threshold"));
  c.split.max_cat_onehot = static_cast<uint32_t>(p.GetInt("max_cat_onehot"));
  c.subsample = p.GetDouble("subsample");
  c.colsample = p.GetDouble("colsample");
  c.early_stopping_rounds = static_cast<int>(p.GetInt("early_stopping_rounds"));
  c.objective = p.GetString("objective");
  c.max_bins = static_cast<uint32_t>(p.GetInt("max_bins"));
  c.monotone_constraints = p.GetString("monotone_constraints");
  c.huber_delta = p.GetDouble("huber_delta");
  c.quantile_alpha = p.GetDouble("quantile_alpha");
  c.init_model = p.GetString("init_model");
  return c;
}

namespace {

core::Result<int> ParseDirection(std::string_view text, std::string_view what) {
  const std::string t(core::Trim(text));
  if (t == "1" || t == "+1") return 1;
  if (t == "-1") return -1;
  if (t == "0") return 0;
  return core::InvalidArgument(
      "parameter 'monotone_constraints': {} must be 1, -1 or 0, found '{}'", what,
      core::Excerpt(t));
}

}  // namespace

core::Result<std::vector<int>> ParseMonotone(const std::string& text,
                                             const std::vector<FeatureInfo>& features) {
  std::vector<int> out(features.size(), 0);
  std::string t(core::Trim(text));
  if (t.empty()) return out;
  if (t.front() == '(' && t.back() == ')') t = t.substr(1, t.size() - 2);
  const std::vector<std::string> parts = core::Split(t, ',');
  const bool named = t.find(':') != std::string::npos;
  std::vector<std::string> names;
  for (const FeatureInfo& f : features) names.push_back(f.name);
  if (!named && parts.size() != features.size()) {
    return core::InvalidArgument(
        "parameter 'monotone_constraints': {} values for {} features; give one per feature in "
        "column order ({}) or name them as COL:1",
        parts.size(), features.size(), core::Excerpt(core::Join(names, ", "), 200));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t j = i;
    std::string value = parts[i];
    if (named) {
      const size_t colon = parts[i].rfind(':');
      if (colon == std::string::npos) {
        return core::InvalidArgument(
            "parameter 'monotone_constraints': expected COL:1, COL:-1 or COL:0, found '{}'",
            core::Excerpt(parts[i]));
      }
      const std::string name(core::Trim(std::string_view(parts[i]).substr(0, colon)));
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        const std::string guess = core::ClosestMatch(name, names);
        return core::InvalidArgument(
            "parameter 'monotone_constraints' names column '{}', which is not a feature{}", name,
            guess.empty() ? "" : " (did you mean '" + guess + "'?)");
      }
      j = static_cast<size_t>(it - names.begin());
      value = parts[i].substr(colon + 1);
    }
    KILN_ASSIGN_OR_RETURN(out[j], ParseDirection(value, "the constraint of " + names[j]));
    if (out[j] != 0 && features[j].type == data::ColumnType::kCategorical) {
      return core::InvalidArgument(
          "parameter 'monotone_constraints': '{}' is categorical; only numeric features can be "
          "monotone",
          names[j]);
    }
  }
  return out;
}

}  // namespace kiln::algorithms::tree
