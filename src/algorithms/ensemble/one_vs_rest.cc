// one_vs_rest: turns any registered binary classifier into a multiclass one, as scikit-learn's
// OneVsRestClassifier — one model of the base algorithm per class, trained on "this class or
// not", all saved in one model file. The K models train side by side on the context's threads
// (each on one thread with its own seed, derived from the run's seed and the class) when there
// are at least as many classes as threads, else one after another on all threads; the base
// algorithms give the same model for any thread count, so the ensemble does too.
//
// one_vs_rest wraps the binary classifiers registered before it: builtin.cc registers it last.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/core/random.h"
#include "kiln/core/strings.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/labels.h"
#include "one_vs_rest_model.h"
#include "register.h"

namespace kiln::algorithms {
namespace {

using ensemble::OneVsRestModel;

constexpr const char* kName = "one_vs_rest";

struct Base {
  std::string name;
  core::ParamSpec params;
  ml::AlgorithmFactory factory;
};
using Bases = std::map<std::string, Base, std::less<>>;

core::ParamSpec Spec(const Bases& bases) {
  std::vector<std::string> names;
  for (const auto& [name, _] : bases) names.push_back(name);
  const std::string fallback =
      bases.count("logistic_regression") ? "logistic_regression" : names.front();
  core::ParamSpec spec(kName);
  spec.Choice("base", fallback, names,
              "The binary classifier trained once per class (class k against the rest).")
      .Alias("estimator");
  spec.String("base_params", "",
              "Parameters of the base algorithm, as 'key=value;key=value' or a JSON object "
              "('{\"l2\": 0.01}'); checked against its parameters ('kiln algorithms BASE').");
  return spec;
}

// base_params as the base's ParamMap.
core::Result<core::ParamMap> ResolveBaseParams(const Base& base, const std::string& text) {
  const std::string t(core::Trim(text));
  core::Result<core::ParamMap> resolved = core::ParamMap();
  if (!t.empty() && t.front() == '{') {
    const nlohmann::json j = nlohmann::json::parse(t, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return core::InvalidArgument(
          "parameter 'base_params': '{}' is not a JSON object; expected '{{\"key\": value}}' or "
          "'key=value;key=value'",
          core::Excerpt(t));
    }
    resolved = base.params.ResolveJson(j);
  } else {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const std::string& part : core::Split(t, ';')) {
      if (core::Trim(part).empty()) continue;
      auto kv = core::SplitKeyValue(core::Trim(part));
      if (!kv.ok()) return core::Status(kv.status()).AddContext("in parameter 'base_params'");
      pairs.push_back(std::move(kv).value());
    }
    resolved = base.params.Resolve(pairs);
  }
  if (!resolved.ok()) {
    return core::Status(resolved.status())
        .AddContext(fmt::format("in parameter 'base_params' (for base {})", base.name));
  }
  return resolved;
}

// The training data with a 0/1 label: "1" for rows of class `positive`.
data::Dataset BinaryData(const data::Dataset& ds, const data::DatasetView& view,
                         const std::vector<int32_t>& classes, int32_t positive) {
  std::vector<int32_t> codes(ds.num_rows(), 0);
  for (size_t i = 0; i < view.size(); ++i) codes[view.row(i)] = classes[i] == positive ? 1 : 0;
  data::Column label = data::Column::Categorical(ds.label()->name, std::move(codes), {"0", "1"});
  data::Dataset out = ds.is_sparse()
                          ? data::Dataset::Sparse(ds.csr(), std::move(label), ds.weights())
                          : data::Dataset::Dense(ds.columns(), std::move(label), ds.weights());
  out.set_source(ds.source());
  out.set_schema(ds.schema());
  return out;
}

class OneVsRest final : public ml::Estimator {
 public:
  OneVsRest(Base base, core::ParamMap params, core::ParamMap base_params)
      : base_(std::move(base)), params_(std::move(params)), base_params_(std::move(base_params)) {}

  core::Result<std::unique_ptr<ml::Model>> Fit(const ml::TrainInput& input,
                                               core::Context& ctx) override {
    const data::DatasetView& view = input.train;
    if (view.size() == 0) return core::DataError("{}: there are no training rows", kName);
    ml::ModelInfo info;
    info.algorithm = kName;
    info.params = params_.ToJson();
    info.schema = view.dataset().schema();
    KILN_ASSIGN_OR_RETURN(info.label, ml::FitClassLabels(view));
    KILN_ASSIGN_OR_RETURN(std::vector<int32_t> classes, ml::EncodeClasses(info.label, view));
    const size_t k = info.label.num_classes();
    const size_t parts = k == 2 ? 1 : k;

    std::vector<std::optional<data::Dataset>> datasets(parts);
    std::vector<std::unique_ptr<ml::Model>> models(parts);
    std::vector<core::Status> errors(parts);
    const core::Rng root(ctx.seed());
    auto progress = ctx.progress().Start(kName, parts, "models");
    auto fit_one = [&](size_t c, int threads) {
      const data::Dataset& ds = *datasets[c];
      data::DatasetView part_view =
          view.all_rows() ? data::DatasetView(ds) : data::DatasetView(ds, Rows(view));
      auto estimator = base_.factory.create(base_params_);
      if (!estimator.ok()) {
        errors[c] = estimator.status();
        return;
      }
      auto child = ctx.Child(threads, root.Fork(c).Next());
      auto model = (*estimator)->Fit(ml::TrainInput{part_view, std::nullopt}, *child);
      if (model.ok()) {
        models[c] = std::move(model).value();
      } else {
        errors[c] = model.status();
      }
      progress->Add(1);
    };
    for (size_t c = 0; c < parts; ++c) {
      datasets[c] =
          BinaryData(view.dataset(), view, classes, parts == 1 ? 1 : static_cast<int32_t>(c));
    }
    if (parts >= static_cast<size_t>(ctx.threads()) && ctx.threads() > 1) {
      ctx.pool().Run(parts, [&](size_t c) { fit_one(c, 1); });
    } else {
      for (size_t c = 0; c < parts; ++c) fit_one(c, ctx.threads());
    }
    progress->Finish();
    for (size_t c = 0; c < parts; ++c) {
      core::Status& s = errors[c];
      if (s.ok()) continue;
      if (s.code() == core::StatusCode::kCancelled) return s;
      return s.AddContext(fmt::format("while training {} for class '{}'", base_.name,
                                      info.label.classes[parts == 1 ? 1 : c]));
    }
    // Whether the parts answer probabilities, from one row.
    core::Context one(core::ContextOptions{1, ctx.seed()});
    KILN_ASSIGN_OR_RETURN(ml::Predictions probe, models[0]->Predict(view.Select({0}), one));
    return std::unique_ptr<ml::Model>(std::make_unique<OneVsRestModel>(
        std::move(info), base_.name, std::move(models), probe.probabilistic));
  }

 private:
  static std::vector<uint32_t> Rows(const data::DatasetView& view) {
    std::vector<uint32_t> rows(view.size());
    for (size_t i = 0; i < view.size(); ++i) rows[i] = view.row(i);
    return rows;
  }

  Base base_;
  core::ParamMap params_;
  core::ParamMap base_params_;
};

}  // namespace

core::Status RegisterOneVsRest(ml::AlgorithmRegistry& registry) {
  // The binary classifiers registered so far, copied: the factories outlive any move of the
  // registry object.
  auto bases = std::make_shared<Bases>();
  for (const ml::AlgorithmEntry* e : registry.List()) {
    const auto& tasks = e->factory.tasks;
    if (std::find(tasks.begin(), tasks.end(), ml::Task::kBinary) == tasks.end()) continue;
    bases->emplace(e->name, Base{e->name, e->params, e->factory});
  }
  if (bases->empty()) {
    return core::FailedPrecondition(
        "{} needs binary classifiers registered before it; register it last", kName);
  }
  ml::AlgorithmEntry entry;
  entry.name = kName;
  entry.description =
      "One-vs-rest: any binary classifier ('base', with its own 'base_params') becomes a "
      "multiclass one, one model per class trained in parallel and saved in one file; "
      "probabilities normalised over the classes.";
  entry.params = Spec(*bases);
  entry.capabilities = {ml::capability::kBinary,  ml::capability::kMulticlass,
                        ml::capability::kDense,   ml::capability::kSparse,
                        ml::capability::kWeights, ml::capability::kMultithreaded};
  entry.factory.tasks = {ml::Task::kBinary, ml::Task::kMulticlass};
  entry.factory.create =
      [bases](const core::ParamMap& params) -> core::Result<std::unique_ptr<ml::Estimator>> {
    const Base& base = bases->find(params.GetString("base"))->second;
    KILN_ASSIGN_OR_RETURN(core::ParamMap base_params,
                          ResolveBaseParams(base, params.GetString("base_params")));
    return std::unique_ptr<ml::Estimator>(
        std::make_unique<OneVsRest>(base, params, std::move(base_params)));
  };
  entry.factory.load = [bases](const core::ArrayFileReader& file,
                               ml::ModelInfo info) -> core::Result<std::unique_ptr<ml::Model>> {
    const nlohmann::json& body = file.meta().value("body", nlohmann::json::object());
    const std::string name = body.value("base", "");
    auto it = bases->find(name);
    if (it == bases->end()) {
      return core::NotFound("{}: the one-vs-rest model's base algorithm '{}' is not in this Kiln",
                            file.path(), name);
    }
    return OneVsRestModel::Load(file, std::move(info), it->second.factory);
  };
  return registry.Register(std::move(entry));
}

}  // namespace kiln::algorithms
