// gbdt: histogram-based gradient-boosted decision trees (binary log loss, multiclass softmax,
// squared error, Huber, quantile), in the line of XGBoost's `hist` and LightGBM.
//
// Fit: labels and the objective, seeded quantile bins (data/bin_mapper.h) stored column-major
// (data/binned_dataset.h), then boosting rounds (booster.h) of trees grown depth-wise or
// leaf-wise (tree_learner.h). Missing values get a learned default direction; categorical
// columns are split natively (split_finder.h). A saved model can be trained further
// (init_model): its trees are kept, its margins are the starting point.
#include <chrono>
#include <cmath>
#include <memory>

#include "booster.h"
#include "gbdt_model.h"
#include "gbdt_params.h"
#include "kiln/core/strings.h"
#include "kiln/data/bin_mapper.h"
#include "kiln/data/binned_dataset.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/labels.h"
#include "kiln/ml/model_io.h"
#include "register.h"
#include "row_features.h"

namespace kiln::algorithms {
namespace {

using tree::GbdtConfig;
using tree::GbdtModel;
using tree::IsZeroOneLabel;
using tree::ObjectiveKind;

constexpr size_t kBinSampleRows = 200'000;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

core::Result<ObjectiveKind> ChooseObjective(const std::string& requested,
                                            const data::DatasetView& view, ml::LabelInfo* label) {
  const data::Column* col = view.dataset().label();
  if (col == nullptr)
    return core::InvalidArgument("{}: the data has no label column", tree::kGbdtName);
  ObjectiveKind kind = ObjectiveKind::kSquaredError;
  if (requested == "auto") {
    const bool classes = col->type == data::ColumnType::kCategorical || IsZeroOneLabel(view);
    if (!classes) {
      KILN_ASSIGN_OR_RETURN(*label, ml::FitRegressionLabel(view));
      return ObjectiveKind::kSquaredError;
    }
    KILN_ASSIGN_OR_RETURN(*label, ml::FitClassLabels(view));
    return label->num_classes() == 2 ? ObjectiveKind::kLogLoss : ObjectiveKind::kSoftmax;
  }
  KILN_ASSIGN_OR_RETURN(kind, tree::ParseObjective(requested));
  if (kind == ObjectiveKind::kLogLoss || kind == ObjectiveKind::kSoftmax) {
    KILN_ASSIGN_OR_RETURN(*label, ml::FitClassLabels(view));
    const size_t k = label->num_classes();
    if (kind == ObjectiveKind::kLogLoss && k != 2) {
      return core::InvalidArgument(
          "objective 'logloss' needs 2 classes, but label '{}' has {}; use objective=softmax",
          label->name, k);
    }
    if (kind == ObjectiveKind::kSoftmax && k < 3) {
      return core::InvalidArgument(
          "objective 'softmax' is for 3 or more classes, but label '{}' has {}; use "
          "objective=logloss",
          label->name, k);
    }
    return kind;
  }
  KILN_ASSIGN_OR_RETURN(*label, ml::FitRegressionLabel(view));
  return kind;
}

core::Result<tree::Targets> MakeTargets(const ml::LabelInfo& label, const data::DatasetView& view) {
  tree::Targets t;
  if (label.is_classification()) {
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> classes, ml::EncodeClasses(label, view));
    t.y.assign(classes.begin(), classes.end());
  } else {
    KILN_ASSIGN_OR_RETURN(t.y, ml::EncodeTargets(label, view));
  }
  if (!view.dataset().has_weights()) return t;
  t.w.resize(view.size());
  double total = 0;
  for (size_t i = 0; i < view.size(); ++i) {
    const float w = view.weight(i);
    if (!std::isfinite(w) || w < 0) {
      return core::DataError("{}: sample weight {} is not a finite number >= 0",
                             view.dataset().Where(view.row(i)), core::FormatDouble(w));
    }
    t.w[i] = w;
    total += w;
  }
  if (!(total > 0)) {
    return core::DataError("{}: the rows' weights sum to zero; nothing to learn from",
                           tree::kGbdtName);
  }
  return t;
}

core::Result<std::unique_ptr<GbdtModel>> LoadInitModel(const std::string& path) {
  auto info = ml::ReadModelInfo(path);
  if (!info.ok()) return core::Status(info.status()).AddContext("parameter 'init_model'");
  if (info->algorithm != tree::kGbdtName) {
    return core::InvalidArgument(
        "parameter 'init_model': {} holds a {} model; training can only continue from a gbdt "
        "model",
        path, info->algorithm);
  }
  KILN_ASSIGN_OR_RETURN(
      auto file,
      core::ArrayFileReader::Open(path, ml::kModelMagic, ml::kModelFormatVersion, "model file"));
  KILN_ASSIGN_OR_RETURN(auto model, GbdtModel::Load(*file, std::move(info).value()));
  return std::unique_ptr<GbdtModel>(static_cast<GbdtModel*>(model.release()));
}

// The init model's columns must be the data's.
core::Status CheckInitColumns(const GbdtModel& init, const data::Dataset& ds) {
  std::vector<std::string> have, want;
  for (const auto& c : ds.columns())
    have.push_back(fmt::format("{} ({})", c.name, data::ColumnTypeName(c.type)));
  for (const auto& f : init.state().features)
    want.push_back(fmt::format("{} ({})", f.name, data::ColumnTypeName(f.type)));
  if (have == want) return core::Status::Ok();
  return core::InvalidArgument(
      "parameter 'init_model': the model was trained on columns {}, but the data has {}",
      core::Excerpt(core::Join(want, ", "), 300), core::Excerpt(core::Join(have, ", "), 300));
}

// Categorical features keep the init model's categories (its trees index them).
void AdoptInitCategories(const GbdtModel& init, data::BinMapper* mapper) {
  std::vector<data::FeatureBins> features = mapper->features();
  for (size_t j = 0; j < features.size(); ++j) {
    if (features[j].type == data::ColumnType::kCategorical)
      features[j].categories = init.state().features[j].categories;
  }
  *mapper = data::BinMapper(std::move(features));
}

class Gbdt final : public ml::Estimator {
 public:
  explicit Gbdt(core::ParamMap params) : params_(std::move(params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const data::DatasetView& view = input.train;
    if (view.size() == 0) return core::DataError("{}: there are no training rows", tree::kGbdtName);
    if (view.dataset().is_sparse()) {
      return core::InvalidArgument(
          "{} trains on named columns (CSV or JSON Lines); sparse (LibSVM) data is not supported",
          tree::kGbdtName);
    }
    const GbdtConfig config = tree::ReadConfig(params_);
    if (config.early_stopping_rounds > 0 && !input.valid) {
      return core::InvalidArgument(
          "parameter 'early_stopping_rounds' = {} needs a validation set (kiln train --valid "
          "FILE)",
          config.early_stopping_rounds);
    }
    std::unique_ptr<GbdtModel> init;
    if (!config.init_model.empty()) {
      KILN_ASSIGN_OR_RETURN(init, LoadInitModel(config.init_model));
      KILN_RETURN_IF_ERROR(CheckInitColumns(*init, view.dataset()));
    }

    ml::ModelInfo info;
    info.algorithm = tree::kGbdtName;
    info.params = params_.ToJson();
    info.schema = view.dataset().schema();
    tree::GbdtState state;
    if (init) {
      info.label = init->info().label;
      state.objective = init->state().objective;
      if (config.objective != "auto" && config.objective != tree::ObjectiveName(state.objective)) {
        return core::InvalidArgument(
            "parameter 'objective' = {}, but init_model {} was trained with {}", config.objective,
            config.init_model, tree::ObjectiveName(state.objective));
      }
      state.huber_delta = init->state().huber_delta;
      state.quantile_alpha = init->state().quantile_alpha;
    } else {
      KILN_ASSIGN_OR_RETURN(state.objective, ChooseObjective(config.objective, view, &info.label));
      state.huber_delta = config.huber_delta;
      state.quantile_alpha = config.quantile_alpha;
    }
    state.num_classes = info.label.num_classes();
    KILN_ASSIGN_OR_RETURN(tree::Targets targets, MakeTargets(info.label, view));

    const auto bin_start = std::chrono::steady_clock::now();
    data::BinMapperOptions bin_options;
    bin_options.max_bins = config.max_bins;
    bin_options.sample_rows = kBinSampleRows;
    bin_options.seed = ctx.seed();
    KILN_ASSIGN_OR_RETURN(data::BinMapper mapper,
                          data::BinMapper::Fit(view, bin_options, ctx.pool()));
    if (init) AdoptInitCategories(*init, &mapper);
    KILN_ASSIGN_OR_RETURN(data::BinnedDataset bins,
                          data::BinnedDataset::Build(view, mapper, ctx.pool()));
    const double bin_seconds = SecondsSince(bin_start);
    state.features = tree::FeaturesFromBins(mapper);
    KILN_ASSIGN_OR_RETURN(std::vector<int> monotone,
                          tree::ParseMonotone(config.monotone_constraints, state.features));
    const bool any_monotone =
        std::any_of(monotone.begin(), monotone.end(), [](int c) { return c != 0; });
    if (any_monotone && state.objective == ObjectiveKind::kQuantile) {
      return core::InvalidArgument(
          "monotone_constraints cannot be combined with objective=quantile (its leaf values are "
          "reset to residual quantiles)");
    }
    std::vector<tree::FeatureSpec> specs;
    for (size_t j = 0; j < mapper.num_features(); ++j) {
      specs.push_back({mapper.feature(j).type == data::ColumnType::kCategorical,
                       mapper.feature(j).num_bins(), monotone[j]});
    }
    const tree::SplitFinder finder(config.split, std::move(specs));
    const tree::Objective objective(state.objective, state.num_classes, state.huber_delta,
                                    state.quantile_alpha);
    const size_t k = objective.outputs(), n = view.size(), d = state.features.size();
    state.base_scores = init ? init->state().base_scores : objective.BaseScores(targets);

    std::vector<double> margins;
    if (init) {
      KILN_ASSIGN_OR_RETURN(margins, init->Margins(view, ctx.pool()));
    } else {
      margins.resize(n * k);
      for (size_t i = 0; i < n; ++i)
        for (size_t c = 0; c < k; ++c) margins[i * k + c] = state.base_scores[c];
    }
    tree::BoostData data;
    data.bins = &bins;
    data.mapper = &mapper;
    data.train = &targets;
    data.margins = &margins;
    std::vector<float> valid_x;
    tree::Targets valid_targets;
    std::vector<double> valid_margins;
    if (input.valid) {
      const data::DatasetView& v = *input.valid;
      auto rows = tree::FeatureRows::Resolve(state.features, v);
      if (!rows.ok()) return core::Status(rows.status()).AddContext("in the validation data");
      valid_x.resize(v.size() * d);
      rows->Fill(0, v.size(), valid_x.data());
      auto vt = MakeTargets(info.label, v);
      if (!vt.ok()) return core::Status(vt.status()).AddContext("in the validation data");
      valid_targets = std::move(vt).value();
      if (init) {
        KILN_ASSIGN_OR_RETURN(valid_margins, init->Margins(v, ctx.pool()));
      } else {
        valid_margins.resize(v.size() * k);
        for (size_t i = 0; i < v.size(); ++i)
          for (size_t c = 0; c < k; ++c) valid_margins[i * k + c] = state.base_scores[c];
      }
      data.valid_x = valid_x;
      data.valid = &valid_targets;
      data.valid_margins = &valid_margins;
    }
    tree::ForestBuilder forest =
        init ? tree::ForestBuilder(init->state().forest) : tree::ForestBuilder();
    const size_t init_trees = forest.num_trees();
    const auto boost_start = std::chrono::steady_clock::now();
    KILN_ASSIGN_OR_RETURN(tree::BoostReport report,
                          tree::Boost(config, objective, finder, data, forest, ctx));
    const double boost_seconds = SecondsSince(boost_start);
    state.forest = forest.Finish();

    nlohmann::json& extra = info.training.extra;
    extra["rounds"] = report.rounds;
    extra["trees"] = state.forest.num_trees();
    extra["metric"] = objective.metric_name();
    if (init) {
      extra["init_model"] = config.init_model;
      extra["init_trees"] = init_trees;
    }
    if (report.best_round >= 0) {
      extra["rounds_run"] = report.rounds_run;
      extra["best_round"] = report.best_round + 1;
      extra["best_valid_loss"] = report.best_valid_loss;
      extra["stopped_early"] = report.stopped_early;
    }
    extra["bin_bytes"] = bins.MemoryBytes();
    extra["bin_seconds"] = bin_seconds;
    extra["boost_seconds"] = boost_seconds;
    return std::unique_ptr<ml::Model>(
        std::make_unique<GbdtModel>(std::move(info), std::move(state)));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

core::Status RegisterGbdt(ml::AlgorithmRegistry& registry) {
  ml::AlgorithmEntry entry;
  entry.name = tree::kGbdtName;
  entry.description =
      "Gradient-boosted decision trees on quantile histograms (as XGBoost hist / LightGBM): "
      "log loss, softmax, squared error, Huber and quantile objectives; depth-wise or leaf-wise "
      "growth; native missing values and categorical columns; monotone constraints; row and "
      "column subsampling; early stopping on --valid; continued training (init_model).";
  entry.params = tree::GbdtSpec();
  entry.capabilities = {ml::capability::kBinary,     ml::capability::kMulticlass,
                        ml::capability::kRegression, ml::capability::kDense,
                        ml::capability::kWeights,    ml::capability::kMultithreaded,
                        ml::capability::kWarmStart};
  entry.factory.tasks = {ml::Task::kBinary, ml::Task::kMulticlass, ml::Task::kRegression};
  entry.factory.create =
      [](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    return std::unique_ptr<ml::Estimator>(std::make_unique<Gbdt>(params));
  };
  entry.factory.load = &GbdtModel::Load;
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
