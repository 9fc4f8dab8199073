#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "kiln/data/dataset_cache.h"
#include "kiln/ml/model_io.h"
#include "pipeline_test_util.h"

namespace kiln::pipeline {
namespace {

class ComponentsTest : public testing::PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    // 240 rows: x1 drives the label, x2 is noise, color is categorical, x3 has missing values.
    std::ostringstream csv;
    csv << "x1,x2,color,x3,y\n";
    for (int i = 0; i < 240; ++i) {
      const double x1 = (i % 24) / 2.0 - 6;
      const double x2 = ((i * 7) % 11) / 3.0;
      const char* color = i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue";
      csv << x1 << ',' << x2 << ',' << color << ',';
      if (i % 5 != 0) csv << (i % 13);
      csv << ',' << (x1 + (i % 4 == 0 ? 2 : 0) > 0 ? "yes" : "no") << '\n';
    }
    WriteFile("data.csv", csv.str());
  }

  // A dataset output of a step.
  data::Dataset Output(const RunOutcome& out, const std::string& step, const std::string& port) {
    auto path = artifacts_->PathFor(Step(out, step).outputs.at(port).uri);
    EXPECT_TRUE(path.ok());
    auto ds = data::DatasetCache::ReadBinary(*path);
    EXPECT_TRUE(ds.ok()) << ds.status().ToString();
    return ds.ok() ? *ds : data::Dataset();
  }
  nlohmann::json Json(const RunOutcome& out, const std::string& step, const std::string& port) {
    auto text = artifacts_->ReadVerified(Step(out, step).outputs.at(port).uri);
    EXPECT_TRUE(text.ok());
    return nlohmann::json::parse(*text);
  }
  RunOutcome MustRun(const std::string& steps) {
    RunOutcome out = RunYaml(
        "name: t\nsteps:\n  read:\n    component: read\n    params: {path: "
        "data.csv, label: y}\n" +
        steps);
    EXPECT_EQ(out.status, "finished");
    for (size_t i = 0; i < out.steps.size(); ++i) {
      EXPECT_TRUE(out.steps[i].state == StepState::kFinished ||
                  out.steps[i].state == StepState::kCached)
          << plan_.steps[i].name << ": " << out.steps[i].message;
    }
    return out;
  }
};

TEST_F(ComponentsTest, ReadRecordsADatasetVersion) {
  RunOutcome out = MustRun("");
  data::Dataset ds = Output(out, "read", "data");
  EXPECT_EQ(ds.num_rows(), 240u);
  EXPECT_EQ(ds.num_features(), 4u);
  auto versions = store_->datasets().Find(project_id_, Path("data.csv"));
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].num_rows, 240);
  // An edited file is read again; the unchanged one comes from the cache.
  EXPECT_EQ(State(MustRun(""), "read"), StepState::kCached);
  WriteFile("data.csv", "x1,x2,color,x3,y\n1,2,red,3,yes\n0,1,blue,,no\n");
  RunOutcome edited = MustRun("");
  EXPECT_EQ(State(edited, "read"), StepState::kFinished);
  EXPECT_EQ(Output(edited, "read", "data").num_rows(), 2u);
}

TEST_F(ComponentsTest, ReadARecordedDatasetByNameAndProject) {
  ASSERT_EQ(RunYaml("name: t\nsteps:\n  r: {component: read, params: {path: data.csv, label: y, "
                    "name: churn_data}}\n")
                .status,
            "finished");
  RunOutcome by_name =
      RunYaml("name: t\nsteps:\n  r: {component: read, params: {dataset: churn_data, label: y}}\n");
  EXPECT_EQ(by_name.status, "finished") << Step(by_name, "r").message;
  EXPECT_EQ(Output(by_name, "r", "data").num_rows(), 240u);
  RunOutcome no_version = RunYaml(
      "name: t\nsteps:\n  r: {component: read, params: {dataset: churn_data/7, label: y}}\n");
  EXPECT_NE(Step(no_version, "r").message.find("has no version 7"), std::string::npos)
      << Step(no_version, "r").message;
  // Another project's dataset needs access: read.
  auto other = store_->projects().Ensure("dev");
  ASSERT_TRUE(other.ok());
  ExecutorOptions dev = Options();
  dev.project_id = other->id;
  dev.project = "dev";
  const std::string cross =
      "steps:\n  r: {component: read, params: {dataset: churn_data, project: default, label: "
      "y}}\n";
  RunOutcome denied = RunYaml("name: t\n" + cross, dev);
  EXPECT_EQ(Step(denied, "r").code, core::StatusCode::kPermissionDenied);
  RunOutcome allowed = RunYaml("name: t\naccess: {read: [default]}\n" + cross, dev);
  EXPECT_EQ(allowed.status, "finished") << Step(allowed, "r").message;
  // The file changed since it was recorded: an error, not silently other data.
  WriteFile("data.csv", "x1,x2,color,x3,y\n1,2,red,3,yes\n");
  RunOutcome changed =
      RunYaml("name: t\nsteps:\n  r: {component: read, params: {dataset: churn_data, label: y}}\n");
  EXPECT_EQ(Step(changed, "r").code, core::StatusCode::kDataError);
  EXPECT_NE(Step(changed, "r").message.find("the file changed since"), std::string::npos)
      << Step(changed, "r").message;
}

TEST_F(ComponentsTest, ReadingAMissingFileFailsTheStepClearly) {
  RunOutcome out =
      RunYaml("name: t\nsteps:\n  read: {component: read, params: {path: nope.csv}}\n");
  EXPECT_EQ(out.status, "failed");
  EXPECT_NE(Step(out, "read").message.find("nope.csv"), std::string::npos)
      << Step(out, "read").message;
}

TEST_F(ComponentsTest, SplitSampleFilterSelect) {
  RunOutcome out = MustRun(R"(  split:
    component: split
    inputs: {data: "${steps.read.outputs.data}"}
    params: {method: stratified, test_fraction: 0.25}
  sample:
    component: sample
    inputs: {data: "${steps.read.outputs.data}"}
    params: {rows: 50, seed: 3}
  filter:
    component: filter
    inputs: {data: "${steps.read.outputs.data}"}
    params: {where: 'x1 > 0 and color in ("red", "blue") and x3 is not null'}
  select:
    component: select
    inputs: {data: "${steps.read.outputs.data}"}
    params: {drop: "x2, color"}
)");
  const data::Dataset train = Output(out, "split", "train");
  const data::Dataset test = Output(out, "split", "test");
  EXPECT_EQ(train.num_rows() + test.num_rows(), 240u);
  EXPECT_EQ(test.num_rows(), 60u);
  EXPECT_EQ(Output(out, "sample", "data").num_rows(), 50u);
  const data::Dataset kept = Output(out, "filter", "data");
  EXPECT_GT(kept.num_rows(), 0u);
  const int x1 = kept.FindColumn("x1"), color = kept.FindColumn("color");
  for (size_t r = 0; r < kept.num_rows(); ++r) {
    EXPECT_GT(kept.columns()[static_cast<size_t>(x1)].values[r], 0);
    EXPECT_NE(kept.columns()[static_cast<size_t>(color)].ValueText(r), "green");
  }
  // Lines still point into the file: row 0 of the filtered data is not line 2.
  EXPECT_NE(kept.LineOf(0), 0u);
  const data::Dataset selected = Output(out, "select", "data");
  EXPECT_EQ(selected.num_features(), 2u);
  EXPECT_NE(selected.label(), nullptr);
}

TEST_F(ComponentsTest, FilterErrorsNameTheProblem) {
  RunOutcome out = RunYaml(R"(name: t
steps:
  read: {component: read, params: {path: data.csv, label: y}}
  f:
    component: filter
    inputs: {data: "${steps.read.outputs.data}"}
    params: {where: "colour == 'red'"}
  g:
    component: filter
    inputs: {data: "${steps.read.outputs.data}"}
    params: {where: "color > 3"}
)");
  EXPECT_NE(Step(out, "f").message.find("no column 'colour' (did you mean 'color'?)"),
            std::string::npos)
      << Step(out, "f").message;
  EXPECT_NE(Step(out, "g").message.find("cannot compare text with a number"), std::string::npos)
      << Step(out, "g").message;
}

TEST_F(ComponentsTest, SqlOverADataset) {
  RunOutcome out = MustRun(R"(  sql:
    component: sql
    inputs: {data: "${steps.read.outputs.data}"}
    params:
      query: SELECT color, AVG(x1) AS mean_x1, COUNT(*) AS n, y FROM data GROUP BY color, y ORDER BY color, y
)");
  const data::Dataset ds = Output(out, "sql", "data");
  EXPECT_EQ(ds.num_rows(), 6u);  // 3 colors x 2 labels
  ASSERT_NE(ds.label(), nullptr);
  EXPECT_EQ(ds.label()->name, "y");
  EXPECT_EQ(ds.columns()[0].type, data::ColumnType::kCategorical);
  EXPECT_EQ(ds.columns()[2].name, "n");
  double total = 0;
  for (float v : ds.columns()[2].values) total += v;
  EXPECT_EQ(total, 240);

  RunOutcome bad = RunYaml(R"(name: t
steps:
  read: {component: read, params: {path: data.csv, label: y}}
  sql:
    component: sql
    inputs: {data: "${steps.read.outputs.data}"}
    params: {query: "DELETE FROM data"}
)");
  EXPECT_NE(Step(bad, "sql").message.find("must be a SELECT"), std::string::npos);
}

TEST_F(ComponentsTest, TransformsLearnOnDataAndApplyToOtherData) {
  RunOutcome out = MustRun(R"(  split:
    component: split
    inputs: {data: "${steps.read.outputs.data}"}
  impute:
    component: impute
    inputs: {data: "${steps.split.outputs.train}", apply_to: "${steps.split.outputs.test}"}
    params: {strategy: median, add_indicator: true}
  scale:
    component: standardize
    inputs: {data: "${steps.impute.outputs.data}", apply_to: "${steps.impute.outputs.applied}"}
  minmax:
    component: minmax_scale
    inputs: {data: "${steps.impute.outputs.data}"}
    params: {min: -1, max: 1}
  onehot:
    component: one_hot
    inputs: {data: "${steps.scale.outputs.data}", apply_to: "${steps.scale.outputs.applied}"}
  bins:
    component: discretize
    inputs: {data: "${steps.impute.outputs.data}"}
    params: {bins: 4, columns: x1}
  hashed:
    component: feature_hashing
    inputs: {data: "${steps.read.outputs.data}"}
    params: {buckets: 64}
  chosen:
    component: select_features
    inputs: {data: "${steps.onehot.outputs.data}"}
    params: {method: correlation, k: 2}
)");
  const data::Dataset imputed = Output(out, "impute", "applied");
  const int x3 = imputed.FindColumn("x3");
  for (float v : imputed.columns()[static_cast<size_t>(x3)].values) EXPECT_FALSE(std::isnan(v));
  EXPECT_GE(imputed.FindColumn("x3_missing"), 0);

  const data::Dataset scaled = Output(out, "scale", "data");
  double mean = 0, sq = 0;
  const auto& x1 = scaled.columns()[static_cast<size_t>(scaled.FindColumn("x1"))].values;
  for (float v : x1) mean += v;
  mean /= static_cast<double>(x1.size());
  for (float v : x1) sq += (v - mean) * (v - mean);
  EXPECT_NEAR(mean, 0, 1e-5);
  EXPECT_NEAR(sq / static_cast<double>(x1.size()), 1, 1e-4);

  const data::Dataset mm = Output(out, "minmax", "data");
  float lo = 1e9, hi = -1e9;
  for (float v : mm.columns()[static_cast<size_t>(mm.FindColumn("x2"))].values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_FLOAT_EQ(lo, -1);
  EXPECT_FLOAT_EQ(hi, 1);

  const data::Dataset encoded = Output(out, "onehot", "applied");
  EXPECT_LT(encoded.FindColumn("color"), 0);
  EXPECT_GE(encoded.FindColumn("color=red"), 0);
  EXPECT_GE(encoded.FindColumn("color=(other)"), 0);

  const data::Dataset binned = Output(out, "bins", "data");
  for (float v : binned.columns()[static_cast<size_t>(binned.FindColumn("x1"))].values) {
    EXPECT_GE(v, 0);
    EXPECT_LE(v, 3);
  }

  const data::Dataset hashed = Output(out, "hashed", "data");
  EXPECT_TRUE(hashed.is_sparse());
  EXPECT_EQ(hashed.num_features(), 64u);
  EXPECT_EQ(hashed.num_rows(), 240u);

  const data::Dataset chosen = Output(out, "chosen", "data");
  EXPECT_GE(chosen.FindColumn("x1"), 0);  // the informative column survives
  size_t numeric = 0;
  for (const data::Column& c : chosen.columns()) numeric += c.type == data::ColumnType::kNumeric;
  EXPECT_EQ(numeric, 2u);
}

TEST_F(ComponentsTest, TrainEvaluateCompareRegisterLoadExport) {
  RunOutcome out = MustRun(R"(  split:
    component: split
    inputs: {data: "${steps.read.outputs.data}"}
    params: {method: stratified}
  weak:
    component: train.logistic_regression
    inputs: {train: "${steps.split.outputs.train}", valid: "${steps.split.outputs.test}"}
    params: {l2: 100}
  strong:
    component: train.logistic_regression
    inputs: {train: "${steps.split.outputs.train}"}
    params: {l2: 0.001}
  pick:
    component: compare_models
    inputs:
      models: ["${steps.weak.outputs.model}", "${steps.strong.outputs.model}"]
      data: "${steps.split.outputs.test}"
    params: {metric: logloss}
  evaluate:
    component: evaluate
    inputs: {model: "${steps.pick.outputs.best}", data: "${steps.split.outputs.test}"}
  predict:
    component: predict
    inputs: {model: "${steps.pick.outputs.best}", data: "${steps.split.outputs.test}"}
  register:
    component: register_model
    inputs: {model: "${steps.pick.outputs.best}"}
    params: {name: toy, alias: production}
  export:
    component: export_model
    inputs: {model: "${steps.pick.outputs.best}"}
    params: {path: out/toy.pmml}
)");
  EXPECT_GT(Json(out, "weak", "metrics")["auc"].get<double>(), 0.5);
  const nlohmann::json report = Json(out, "pick", "report");
  EXPECT_EQ(report["metric"], "logloss");
  EXPECT_FALSE(report["higher_is_better"].get<bool>());
  EXPECT_EQ(Step(out, "pick").outputs.at("best").uri,
            Step(out, report["best"].get<int>() == 0 ? "weak" : "strong").outputs.at("model").uri);
  EXPECT_GT(Json(out, "evaluate", "metrics")["auc"].get<double>(), 0.8);
  const data::Dataset predictions = Output(out, "predict", "predictions");
  EXPECT_GE(predictions.FindColumn("prediction"), 0);
  EXPECT_GE(predictions.FindColumn("p_yes"), 0);

  auto version = store_->registry().Resolve(project_id_, "toy@production");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->artifact_uri, Step(out, "pick").outputs.at("best").uri);
  EXPECT_TRUE(std::filesystem::exists(Path("out/toy.pmml")));
  // train and evaluate steps record runs of their own.
  EXPECT_TRUE(store_->runs().Get(*store_->pipelines().Get(out.run_id)->steps[3].run_id).ok());

  // load_model uses the registered version; an unchanged alias keeps it cached.
  const std::string load = R"(name: l
steps:
  m: {component: load_model, params: {model: toy@production}}
  e:
    component: evaluate
    inputs: {model: "${steps.m.outputs.model}", data: "${steps.r.outputs.data}"}
  r: {component: read, params: {path: data.csv, label: y}}
)";
  RunOutcome loaded = RunYaml(load);
  EXPECT_EQ(loaded.status, "finished") << Step(loaded, "m").message;
  EXPECT_EQ(State(RunYaml(load), "e"), StepState::kCached);

  // A deleted export is written again; an untouched one is cached.
  std::filesystem::remove(Path("out/toy.pmml"));
  RunOutcome again = MustRun(R"(  split:
    component: split
    inputs: {data: "${steps.read.outputs.data}"}
    params: {method: stratified}
  strong:
    component: train.logistic_regression
    inputs: {train: "${steps.split.outputs.train}"}
    params: {l2: 0.001}
  export:
    component: export_model
    inputs: {model: "${steps.strong.outputs.model}"}
    params: {path: out/toy.pmml}
)");
  EXPECT_EQ(State(again, "strong"), StepState::kCached);
  EXPECT_EQ(State(again, "export"), StepState::kFinished);
  EXPECT_TRUE(std::filesystem::exists(Path("out/toy.pmml")));
}

TEST_F(ComponentsTest, AnotherProjectNeedsThePipelinesPermission) {
  const std::string steps = R"(  t:
    component: train.logistic_regression
    inputs: {train: "${steps.read.outputs.data}"}
  reg:
    component: register_model
    inputs: {model: "${steps.t.outputs.model}"}
    params: {name: toy, project: prod}
)";
  RunOutcome denied = RunYaml(
      "name: t\nsteps:\n  read:\n    component: read\n    params: {path: "
      "data.csv, label: y}\n" +
      steps);
  EXPECT_EQ(State(denied, "reg"), StepState::kFailed);
  EXPECT_EQ(Step(denied, "reg").code, core::StatusCode::kPermissionDenied);
  EXPECT_NE(Step(denied, "reg").message.find("access: {write: [prod]}"), std::string::npos)
      << Step(denied, "reg").message;
  EXPECT_FALSE(store_->projects().Find("prod").ok());  // nothing was written there

  RunOutcome allowed = RunYaml(
      "name: t\naccess: {write: [prod]}\nsteps:\n  read:\n    "
      "component: read\n    params: {path: data.csv, label: y}\n" +
      steps);
  EXPECT_EQ(allowed.status, "finished") << Step(allowed, "reg").message;
  auto prod = store_->projects().Find("prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_TRUE(store_->registry().Resolve(prod->id, "toy").ok());
  EXPECT_FALSE(store_->registry().Resolve(project_id_, "toy").ok());

  // Reading prod's model from another project needs read (or write) access too.
  RunOutcome read_denied = RunYaml(
      "name: t\nsteps:\n  m: {component: load_model, params: {model: toy, project: prod}}\n");
  EXPECT_EQ(Step(read_denied, "m").code, core::StatusCode::kPermissionDenied);
  RunOutcome read_ok = RunYaml(
      "name: t\naccess: {read: [prod]}\nsteps:\n  m: {component: load_model, params: {model: "
      "toy, project: prod}}\n");
  EXPECT_EQ(read_ok.status, "finished") << Step(read_ok, "m").message;
}

TEST_F(ComponentsTest, ClusteringNeedsNoLabel) {
  RunOutcome out = RunYaml(R"(name: c
steps:
  read: {component: read, params: {path: data.csv, label: "", ignore: color}}
  fill:
    component: impute
    inputs: {data: "${steps.read.outputs.data}"}
  km:
    component: train.kmeans
    inputs: {train: "${steps.fill.outputs.data}"}
    params: {k: 3}
  score:
    component: evaluate
    inputs: {model: "${steps.km.outputs.model}", data: "${steps.fill.outputs.data}"}
  assign:
    component: predict
    inputs: {model: "${steps.km.outputs.model}", data: "${steps.fill.outputs.data}"}
)");
  ASSERT_EQ(out.status, "finished") << Step(out, "km").message << Step(out, "score").message;
  const nlohmann::json metrics = Json(out, "score", "metrics");
  EXPECT_GT(metrics["inertia"].get<double>(), 0);
  EXPECT_TRUE(metrics.contains("silhouette"));
  const data::Dataset assigned = Output(out, "assign", "predictions");
  const int cluster = assigned.FindColumn("cluster");
  ASSERT_GE(cluster, 0);
  for (float c : assigned.columns()[static_cast<size_t>(cluster)].values) {
    EXPECT_GE(c, 0);
    EXPECT_LE(c, 2);
  }
}

TEST_F(ComponentsTest, TrainingWithoutALabelIsAClearError) {
  RunOutcome out = RunYaml(R"(name: t
steps:
  read: {component: read, params: {path: data.csv, label: ""}}
  t:
    component: train.logistic_regression
    inputs: {train: "${steps.read.outputs.data}"}
)");
  EXPECT_EQ(State(out, "t"), StepState::kFailed);
  EXPECT_NE(Step(out, "t").message.find("has no label"), std::string::npos)
      << Step(out, "t").message;
}

}  // namespace
}  // namespace kiln::pipeline
