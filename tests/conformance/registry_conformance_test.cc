// Every registered algorithm, for every task it supports, must: train on tiny dense data with a
// categorical column and a missing value (and sparse data if it claims the capability); save
// and load with identical predictions; give identical models with 1 and 2 threads for a fixed
// seed; score rows one at a time (when it offers a RowPredictor) exactly as Predict does; declare
// a valid ParamSpec with help for every parameter; reject damaged model files with a clear error.
// A new algorithm gets these checks by registering itself. Clustering trains without a label.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kiln/algorithms/builtin.h"
#include "kiln/core/random.h"
#include "kiln/data/dataset.h"
#include "kiln/ml/algorithm_registry.h"
#include "kiln/ml/model_io.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

ml::AlgorithmRegistry MakeRegistry() {
  ml::AlgorithmRegistry registry("algorithm");
  const core::Status s = algorithms::RegisterBuiltinAlgorithms(registry);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return registry;
}

std::optional<data::Column> Label(ml::Task task, const std::vector<double>& score) {
  const size_t n = score.size();
  if (task == ml::Task::kClustering || task == ml::Task::kTransform) return std::nullopt;
  if (task == ml::Task::kRegression) {
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(score[i]);
    return data::Column::Numeric("target", y);
  }
  std::vector<int32_t> y(n);
  for (size_t i = 0; i < n; ++i) {
    y[i] = task == ml::Task::kBinary ? (score[i] > 0 ? 1 : 0)
                                     : (score[i] < -0.7 ? 0 : (score[i] < 0.7 ? 1 : 2));
  }
  return task == ml::Task::kBinary
             ? data::Column::Categorical("target", y, {"no", "yes"})
             : data::Column::Categorical("target", y, {"red", "green", "blue"});
}

// 60 rows: numeric x (one missing), numeric z, categorical color.
data::Dataset DenseData(ml::Task task, uint64_t seed) {
  core::Rng rng(seed);
  const size_t n = 60;
  std::vector<float> x(n), z(n);
  std::vector<int32_t> color(n);
  std::vector<double> score(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.Normal());
    z[i] = static_cast<float>(rng.Uniform() * 10);
    color[i] = static_cast<int32_t>(i % 3);
    score[i] = x[i] + 0.1 * (z[i] - 5) + (color[i] == 1 ? 0.5 : 0.0) + 0.3 * rng.Normal();
  }
  x[4] = std::nanf("");
  color[9] = data::kMissingCode;
  return data::Dataset::Dense(
      {data::Column::Numeric("x", x), data::Column::Numeric("z", z),
       data::Column::Categorical("color", color, {"dark red", "green", "light blue"})},
      Label(task, score));
}

data::Dataset SparseData(ml::Task task, uint64_t seed) {
  core::Rng rng(seed);
  const size_t n = 60;
  std::vector<uint64_t> indptr{0};
  std::vector<uint32_t> idx;
  std::vector<float> val;
  std::vector<double> score(n);
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t j = 0; j < 8; ++j) {
      if (rng.Uniform() < 0.4) {
        const float v = static_cast<float>(rng.Normal());
        idx.push_back(j);
        val.push_back(v);
        score[i] += (j < 3 ? 1.0 : -0.2) * v;
      }
    }
    indptr.push_back(idx.size());
  }
  data::CsrMatrix m;
  m.indptr = core::Array<uint64_t>(std::move(indptr));
  m.indices = core::Array<uint32_t>(std::move(idx));
  m.values = core::Array<float>(std::move(val));
  m.num_cols = 8;
  return data::Dataset::Sparse(std::move(m), Label(task, score));
}

core::Result<std::unique_ptr<ml::Model>> Fit(const ml::AlgorithmEntry& entry,
                                             const data::Dataset& ds, int threads) {
  core::Context ctx(core::ContextOptions{threads, 1234});
  KILN_ASSIGN_OR_RETURN(auto est, entry.factory.create(entry.params.Defaults()));
  return est->Fit(ml::TrainInput{data::DatasetView(ds), std::nullopt}, ctx);
}

ml::Predictions Predict(const ml::Model& model, const data::Dataset& ds) {
  core::Context ctx(core::ContextOptions{2, 1});
  auto p = model.Predict(data::DatasetView(ds), ctx);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : ml::Predictions{};
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

// A model's one-row scorer, where it has one, answers what Predict answered, bit for bit.
void ExpectRowPredictorMatches(const ml::Model& m, const data::Dataset& test,
                               const ml::Predictions& predicted) {
  std::unique_ptr<ml::RowPredictor> rows = m.MakeRowPredictor();
  if (rows == nullptr) return;
  ASSERT_EQ(rows->width(), predicted.width());
  EXPECT_EQ(rows->probabilistic(), predicted.probabilistic);
  const std::vector<data::FieldInfo>& fields = m.info().schema.fields;
  std::vector<double> numbers(fields.size(), std::nan(""));
  std::vector<std::string_view> texts(fields.size());
  std::vector<double> scores(rows->width());
  for (size_t r = 0; r < test.num_rows(); ++r) {
    for (size_t k = 0; k < fields.size(); ++k) {
      const data::Column& c = test.columns()[static_cast<size_t>(test.FindColumn(fields[k].name))];
      if (c.type == data::ColumnType::kNumeric) {
        numbers[k] = c.values[r];
      } else {
        texts[k] = c.codes[r] < 0 ? std::string_view() : std::string_view(c.categories[c.codes[r]]);
      }
    }
    const int32_t cls = rows->Predict(numbers, texts, scores);
    for (size_t j = 0; j < scores.size(); ++j)
      ASSERT_EQ(scores[j], predicted.score(r, j)) << "row " << r << " score " << j;
    ASSERT_EQ(cls, predicted.classes.empty() ? -1 : predicted.classes[r]) << "row " << r;
  }
}

// Transform models: Transform instead of Predict, with the same save/load, thread-count and
// damaged-file checks.
data::Dataset TransformAll(const ml::Model& model, const data::Dataset& ds) {
  core::Context ctx(core::ContextOptions{2, 1});
  const ml::Transformer* t = model.AsTransformer();
  EXPECT_NE(t, nullptr);
  if (t == nullptr) return {};
  auto out = t->Transform(data::DatasetView(ds), ctx);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? std::move(out).value() : data::Dataset{};
}

void ExpectSameFeatures(const data::Dataset& a, const data::Dataset& b) {
  ASSERT_EQ(a.num_rows(), b.num_rows());
  ASSERT_EQ(a.is_sparse(), b.is_sparse());
  ASSERT_EQ(a.num_features(), b.num_features());
  if (a.is_sparse()) {
    EXPECT_EQ(a.csr().indptr.ToVector(), b.csr().indptr.ToVector());
    EXPECT_EQ(a.csr().indices.ToVector(), b.csr().indices.ToVector());
    EXPECT_EQ(a.csr().values.ToVector(), b.csr().values.ToVector());
    return;
  }
  for (size_t j = 0; j < a.columns().size(); ++j) {
    EXPECT_EQ(a.columns()[j].name, b.columns()[j].name);
    EXPECT_EQ(a.columns()[j].values.ToVector(), b.columns()[j].values.ToVector()) << j;
  }
}

void CheckTransform(const ml::AlgorithmRegistry& registry, const ml::AlgorithmEntry& entry) {
  SCOPED_TRACE(entry.name + " / transform");
  const data::Dataset train = DenseData(ml::Task::kTransform, 1);
  const data::Dataset test = DenseData(ml::Task::kBinary, 2);  // a label to carry through
  auto model = Fit(entry, train, 1);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ml::Model& m = **model;
  EXPECT_EQ(m.info().label.task, ml::Task::kTransform);
  const data::Dataset before = TransformAll(m, test);
  ASSERT_EQ(before.num_rows(), test.num_rows());
  ASSERT_NE(before.label(), nullptr);
  EXPECT_EQ(before.label()->codes.ToVector(), test.label()->codes.ToVector());
  EXPECT_EQ(before.num_features(), m.AsTransformer()->OutputNames().size());
  EXPECT_EQ(before.is_sparse(), m.AsTransformer()->sparse_output());
  EXPECT_TRUE(m.Describe().is_object());

  const std::string path = TempPath(fmt::format("conf_{}_transform.kiln", entry.name));
  ASSERT_TRUE(ml::SaveModel(m, path).ok());
  auto loaded = ml::LoadModel(path, registry);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameFeatures(TransformAll(**loaded, test), before);
  EXPECT_EQ((*loaded)->Describe(), m.Describe());

  auto two = Fit(entry, train, 2);
  ASSERT_TRUE(two.ok());
  ExpectSameFeatures(TransformAll(**two, test), before);

  // Fit-and-transform (kiln train --transform-output) gives the model and its rows at once:
  // the same rows as transforming the training data with a fitted model.
  {
    core::Context ctx(core::ContextOptions{2, 1234});
    auto est = entry.factory.create(entry.params.Defaults());
    ASSERT_TRUE(est.ok());
    auto both = (*est)->FitTransform(ml::TrainInput{data::DatasetView(train), std::nullopt}, ctx);
    ASSERT_TRUE(both.ok()) << both.status().ToString();
    ExpectSameFeatures(both->transformed, TransformAll(m, train));
    ExpectSameFeatures(TransformAll(*both->model, test), before);
  }

  const auto size = std::filesystem::file_size(path);
  const std::string truncated = path + ".trunc";
  std::filesystem::copy_file(path, truncated, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(truncated, size / 2);
  auto r = ml::LoadModel(truncated, registry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kCorrupt) << r.status().ToString();

  // The input columns are needed by name.
  data::Dataset missing = data::Dataset::Dense({});
  core::Context ctx;
  auto bad = m.AsTransformer()->Transform(data::DatasetView(missing), ctx);
  EXPECT_FALSE(bad.ok());
}

void CheckModel(const ml::AlgorithmRegistry& registry, const ml::AlgorithmEntry& entry,
                ml::Task task, bool sparse) {
  if (task == ml::Task::kTransform) {
    if (!sparse) CheckTransform(registry, entry);
    return;
  }
  SCOPED_TRACE(
      fmt::format("{} / {} / {}", entry.name, ml::TaskName(task), sparse ? "sparse" : "dense"));
  const data::Dataset train = sparse ? SparseData(task, 1) : DenseData(task, 1);
  const data::Dataset test = sparse ? SparseData(task, 2) : DenseData(task, 2);
  auto model = Fit(entry, train, 1);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ml::Model& m = **model;
  EXPECT_EQ(m.info().algorithm, entry.name);
  EXPECT_EQ(m.info().label.task, task);
  const ml::Predictions before = Predict(m, test);
  ASSERT_EQ(before.rows, test.num_rows());
  EXPECT_EQ(before.task, task);
  if (task == ml::Task::kRegression) {
    EXPECT_EQ(before.width(), 1u);
  } else if (task == ml::Task::kClustering) {
    ASSERT_EQ(before.classes.size(), before.rows);
    ASSERT_GT(m.info().label.clusters, 0u);
    for (int32_t c : before.classes) {
      EXPECT_GE(c, 0);
      EXPECT_LT(static_cast<size_t>(c), m.info().label.clusters);
    }
  } else {
    ASSERT_EQ(before.classes.size(), before.rows);
    for (int32_t c : before.classes) {
      EXPECT_GE(c, 0);
      EXPECT_LT(static_cast<size_t>(c), m.info().label.num_classes());
    }
  }
  for (double s : before.scores) EXPECT_TRUE(std::isfinite(s));
  EXPECT_TRUE(m.Describe().is_object());

  // Save -> load -> identical predictions.
  const std::string path = TempPath(
      fmt::format("conf_{}_{}_{}.kiln", entry.name, ml::TaskName(task), sparse ? "s" : "d"));
  ASSERT_TRUE(ml::SaveModel(m, path).ok());
  auto loaded = ml::LoadModel(path, registry);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const ml::Predictions after = Predict(**loaded, test);
  EXPECT_EQ(after.scores, before.scores);
  EXPECT_EQ(after.classes, before.classes);
  EXPECT_EQ(after.probabilistic, before.probabilistic);
  EXPECT_EQ((*loaded)->Describe(), m.Describe());

  if (!sparse) ExpectRowPredictorMatches(m, test, before);

  // Thread-count independence with a fixed seed.
  auto two = Fit(entry, train, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(Predict(**two, test).scores, before.scores);
  EXPECT_EQ((*two)->Describe(), m.Describe());

  // Damaged files are clear errors, never crashes.
  const auto size = std::filesystem::file_size(path);
  {
    const std::string truncated = path + ".trunc";
    std::filesystem::copy_file(path, truncated, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(truncated, size / 2);
    auto r = ml::LoadModel(truncated, registry);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), core::StatusCode::kCorrupt) << r.status().ToString();
    EXPECT_THAT(r.status().ToString(), HasSubstr(truncated));
  }
  {
    const std::string flipped = path + ".flip";
    std::filesystem::copy_file(path, flipped, std::filesystem::copy_options::overwrite_existing);
    std::fstream f(flipped, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size - 3));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5A);
    f.seekp(static_cast<std::streamoff>(size - 3));
    f.write(&c, 1);
    f.close();
    auto r = ml::LoadModel(flipped, registry);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), core::StatusCode::kCorrupt) << r.status().ToString();
  }
  if (!sparse) {
    // Dense models need their columns by name.
    data::Dataset missing = data::Dataset::Dense({test.columns()[1], test.columns()[2]});
    core::Context ctx;
    auto r = m.Predict(data::DatasetView(missing), ctx);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("'x'"));
  }
}

TEST(RegistryConformanceTest, HasAlgorithms) {
  const ml::AlgorithmRegistry registry = MakeRegistry();
  EXPECT_GE(registry.size(), 10u);
  for (const char* name :
       {"logistic_regression", "linear_regression", "linear_svm", "naive_bayes", "kmeans", "fm",
        "one_vs_rest", "gbdt", "decision_tree", "random_forest", "pca", "tfidf"}) {
    EXPECT_NE(registry.Find(name), nullptr) << name;
  }
}

TEST(RegistryConformanceTest, ParamSpecsAreValidAndDocumented) {
  const ml::AlgorithmRegistry registry = MakeRegistry();
  for (const ml::AlgorithmEntry* e : registry.List()) {
    SCOPED_TRACE(e->name);
    EXPECT_TRUE(e->params.Validate().ok());
    EXPECT_FALSE(e->description.empty());
    EXPECT_FALSE(e->factory.tasks.empty());
    EXPECT_TRUE(e->factory.create && e->factory.load);
    for (const core::ParamDef& p : e->params.params()) {
      EXPECT_GE(p.help.size(), 10u) << p.name;
      EXPECT_TRUE(p.Check(p.default_value, e->name).ok()) << p.name;
    }
    // Defaults survive a JSON round trip (model files and pipelines store them so).
    auto back = e->params.ResolveJson(e->params.Defaults().ToJson());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->ToJson(), e->params.Defaults().ToJson());
    // Unknown keys are errors that name the key.
    auto bad = e->params.Resolve({{"no_such_param", "1"}});
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.status().message(), HasSubstr("no_such_param"));
  }
}

TEST(RegistryConformanceTest, EveryAlgorithmAndTask) {
  const ml::AlgorithmRegistry registry = MakeRegistry();
  for (const ml::AlgorithmEntry* e : registry.List()) {
    for (ml::Task task : e->factory.tasks) {
      CheckModel(registry, *e, task, false);
      if (e->Has(ml::capability::kSparse)) CheckModel(registry, *e, task, true);
    }
  }
}

}  // namespace
}  // namespace kiln
