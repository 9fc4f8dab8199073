// The MetaStore suite, run on both dialects (SQLite file, PostgreSQL on loopback).
#include <algorithm>
#include <cmath>
#include <thread>

#include "../../../src/track/migrations.h"
#include "store_test_util.h"

namespace kiln::track {
namespace {

using testing::StoreTest;

class MetaStoreTest : public StoreTest {
 protected:
  int64_t Project(const std::string& name = "default") {
    auto p = store_->projects().Ensure(name);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p->id;
  }
  int64_t Experiment(int64_t project, const std::string& name = "default") {
    auto e = store_->projects().EnsureExperiment(project, name);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e->id;
  }
  int64_t NewRunIn(int64_t experiment, std::map<std::string, std::string> params = {}) {
    NewRun run;
    run.experiment_id = experiment;
    run.kind = "train";
    run.command = "kiln train --algo x";
    run.kiln_version = "0.1.0";
    run.host = "testhost";
    run.pid = 1;
    run.params = std::move(params);
    auto id = store_->runs().Create(run);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
};

TEST_P(MetaStoreTest, SchemaVersionIsRecordedAndReopeningIsIdempotent) {
  auto version = SchemaVersion(store_->sql());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, BuiltinMigrations().back().version);
  auto again = MetaStore::Open(Connect());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*SchemaVersion((*again)->sql()), *version);
  // The store keeps one identity across openings.
  EXPECT_EQ((*again)->store_id(), store_->store_id());
  EXPECT_EQ(store_->store_id().size(), 16u);
}

TEST_P(MetaStoreTest, StoreFromANewerKilnIsAClearError) {
  ASSERT_TRUE(store_->sql()
                  .Execute("INSERT INTO kiln_schema_version (version, name, applied_ms) VALUES "
                           "(9999, 'future', 0)")
                  .ok());
  auto reopened = MetaStore::Open(Connect());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), core::StatusCode::kVersionMismatch);
  EXPECT_NE(reopened.status().ToString().find("9999"), std::string::npos);
  EXPECT_NE(reopened.status().ToString().find("newer Kiln"), std::string::npos);
}

TEST_P(MetaStoreTest, ProjectsKeepExperimentsApart) {
  const int64_t dev = Project("dev");
  const int64_t prod = Project("prod");
  EXPECT_NE(dev, prod);
  EXPECT_EQ(Project("dev"), dev);
  EXPECT_NE(Experiment(dev, "churn"), Experiment(prod, "churn"));
  auto missing = store_->projects().Find("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("dev, prod"), std::string::npos);
  EXPECT_EQ(store_->projects().Ensure("bad name; DROP TABLE runs").status().code(),
            core::StatusCode::kInvalidArgument);
}

TEST_P(MetaStoreTest, RunRecordsParamsMetricsAndArtifacts) {
  const int64_t exp = Experiment(Project());
  const int64_t run = NewRunIn(exp, {{"l2", "0.1"}, {"quote's", "va'l\"ue; --"}});
  std::vector<MetricPoint> points;
  for (int step = 0; step < 50; ++step) {
    points.push_back({"loss", 1.0 / (step + 1), step, 1000 + step});
  }
  points.push_back({"auc", 0.91, 0, 5});
  ASSERT_TRUE(store_->runs().LogMetrics(run, points).ok());
  // An older point logged later does not move the latest value back.
  std::vector<MetricPoint> old{{"loss", 99.0, 3, 7}};
  ASSERT_TRUE(store_->runs().LogMetrics(run, old).ok());
  ASSERT_TRUE(store_->runs().AddArtifact(run, {"model", "kiln-blob:xxh128:ab", 10}).ok());
  ASSERT_TRUE(store_->runs().Finish(run, kRunFinished).ok());

  auto record = store_->runs().Get(run);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->status, kRunFinished);
  EXPECT_TRUE(record->end_ms.has_value());
  EXPECT_EQ(record->params.at("quote's"), "va'l\"ue; --");
  EXPECT_DOUBLE_EQ(record->metrics.at("loss"), 1.0 / 50);
  EXPECT_DOUBLE_EQ(record->metrics.at("auc"), 0.91);
  ASSERT_EQ(record->artifacts.size(), 1u);
  EXPECT_EQ(record->artifacts[0].uri, "kiln-blob:xxh128:ab");
  EXPECT_EQ(record->experiment, "default");
  EXPECT_EQ(record->project, "default");

  auto history = store_->runs().MetricHistory(run, "loss");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 51u);
  EXPECT_EQ(history->front().step, 0);
  EXPECT_EQ(history->back().step, 49);

  EXPECT_EQ(store_->runs().Get(run + 1000).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store_->runs().Finish(run + 1000, kRunFailed).code(), core::StatusCode::kNotFound);
}

TEST_P(MetaStoreTest, ListFiltersOrdersAndPages) {
  const int64_t project = Project();
  const int64_t a = Experiment(project, "a");
  const int64_t b = Experiment(project, "b");
  std::vector<int64_t> runs;
  for (int i = 0; i < 25; ++i) {
    const int64_t run = NewRunIn(i % 5 == 0 ? b : a, {{"l2", i % 2 == 0 ? "0.1" : "1"}});
    if (i != 7) {  // run 7 has no auc
      std::vector<MetricPoint> m{{"auc", 0.5 + 0.01 * ((i * 7) % 25), 0, 0}};
      ASSERT_TRUE(store_->runs().LogMetrics(run, m).ok());
    }
    ASSERT_TRUE(store_->runs().Finish(run, i % 3 == 0 ? kRunFailed : kRunFinished).ok());
    runs.push_back(run);
  }
  RunQuery q;
  q.project_id = project;
  q.experiment_id = a;
  q.order_by = "metric.auc";
  q.limit = 7;
  std::vector<RunRecord> all;
  for (int page = 0; page < 10; ++page) {
    auto result = store_->runs().List(q);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    all.insert(all.end(), result->runs.begin(), result->runs.end());
    if (result->next_page_token.empty()) break;
    q.page_token = result->next_page_token;
  }
  ASSERT_EQ(all.size(), 20u);
  for (size_t i = 1; i + 1 < all.size(); ++i) {
    EXPECT_GE(all[i - 1].metrics.at("auc"), all[i].metrics.at("auc"));
  }
  EXPECT_EQ(all.back().id, runs[7]);  // no metric: last
  EXPECT_EQ(all.back().metrics.count("auc"), 0u);

  RunQuery f;
  f.project_id = project;
  f.status = kRunFinished;
  f.params = {{"l2", "0.1"}};
  auto m = ParseMetricFilter("auc >= 0.6");
  ASSERT_TRUE(m.ok());
  f.metrics.push_back(*m);
  auto filtered = store_->runs().List(f);
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  size_t expected = 0;
  for (int i = 0; i < 25; ++i) {
    if (i % 3 != 0 && i % 2 == 0 && i != 7 && 0.5 + 0.01 * ((i * 7) % 25) >= 0.6 - 1e-12) {
      ++expected;
    }
  }
  EXPECT_EQ(filtered->runs.size(), expected);
  for (const RunRecord& r : filtered->runs) {
    EXPECT_EQ(r.status, kRunFinished);
    EXPECT_EQ(r.params.at("l2"), "0.1");
    EXPECT_GE(r.metrics.at("auc"), 0.6 - 1e-12);
  }

  RunQuery bad = q;
  bad.page_token = "garbage";
  EXPECT_EQ(store_->runs().List(bad).status().code(), core::StatusCode::kInvalidArgument);
  bad.page_token.clear();
  bad.order_by = "metric.auc; DROP TABLE runs";  // bound as a key: no match, no injection
  EXPECT_TRUE(store_->runs().List(bad).ok());
  bad.order_by = "nonsense";
  EXPECT_EQ(store_->runs().List(bad).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseMetricFilter("auc").ok());
  EXPECT_FALSE(ParseMetricFilter("auc>x").ok());
  EXPECT_FALSE(ParseMetricFilter(">0.5").ok());
}

TEST_P(MetaStoreTest, PagesCrossFromRunsWithTheKeyToRunsWithout) {
  const int64_t project = Project();
  const int64_t exp = Experiment(project);
  std::vector<int64_t> with, without;
  for (int i = 0; i < 10; ++i) {
    const int64_t run = NewRunIn(exp, {{"l2", std::to_string(i)}});
    if (i % 2 == 0) {
      std::vector<MetricPoint> m{{"auc", 0.1 * i, 0, 0}};
      ASSERT_TRUE(store_->runs().LogMetrics(run, m).ok());
      with.push_back(run);
    } else {
      without.push_back(run);
    }
  }
  for (bool descending : {true, false}) {
    RunQuery q;
    q.project_id = project;
    q.order_by = "metric.auc";
    q.descending = descending;
    q.limit = 3;
    std::vector<int64_t> seen;
    for (int page = 0; page < 10; ++page) {
      auto result = store_->runs().List(q);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      for (const RunRecord& r : result->runs) seen.push_back(r.id);
      if (result->next_page_token.empty()) break;
      q.page_token = result->next_page_token;
    }
    std::vector<int64_t> expected = with;
    if (descending) std::reverse(expected.begin(), expected.end());
    expected.insert(expected.end(), without.rbegin(), without.rend());  // newest first, last
    EXPECT_EQ(seen, expected) << (descending ? "desc" : "asc");
  }
  // A page past the end is empty, not an error.
  RunQuery past;
  past.project_id = project;
  past.order_by = "metric.auc";
  past.page_token = "o:50";
  auto empty = store_->runs().List(past);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->runs.empty());
  EXPECT_TRUE(empty->next_page_token.empty());
}

TEST_P(MetaStoreTest, DeleteRunRemovesItsRecordsButKeepsModels) {
  const int64_t project = Project();
  const int64_t run = NewRunIn(Experiment(project), {{"k", "v"}});
  std::vector<MetricPoint> m{{"auc", 0.9, 0, 0}};
  ASSERT_TRUE(store_->runs().LogMetrics(run, m).ok());
  NewModelVersion nv;
  nv.run_id = run;
  nv.algorithm = "logistic_regression";
  nv.artifact_uri = "kiln-blob:xxh128:01";
  auto version = store_->registry().CreateVersion(project, "churn", nv);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  ASSERT_TRUE(store_->lineage()
                  .AddEdge({{kNodeRun, run}, {kNodeModelVersion, version->id}, "produced"})
                  .ok());
  ASSERT_TRUE(store_->runs().Finish(run, kRunFinished).ok());
  ASSERT_TRUE(store_->runs().Delete(run).ok());
  EXPECT_EQ(store_->runs().Get(run).status().code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(store_->runs().MetricHistory(run, "auc")->empty());
  for (const char* table : {"metrics", "latest_metrics", "run_params"}) {
    EXPECT_EQ(store_->sql()
                  .Query(fmt::format("SELECT COUNT(*) FROM {} WHERE run_id = ?", table), {run})
                  ->at(0)
                  .Int(0),
              0)
        << table;
  }
  auto kept = store_->registry().Resolve(project, "churn/1");
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->run_id.has_value());
  EXPECT_TRUE(store_->lineage().EdgesTo({kNodeModelVersion, version->id})->empty());
  EXPECT_EQ(store_->runs().Delete(run).code(), core::StatusCode::kNotFound);
}

TEST_P(MetaStoreTest, RunningRunsCannotBeDeletedAndIdsAreNeverReused) {
  const int64_t exp = Experiment(Project());
  const int64_t first = NewRunIn(exp);
  const int64_t second = NewRunIn(exp);
  auto refused = store_->runs().Delete(second);
  EXPECT_EQ(refused.code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("still running"), std::string::npos);
  ASSERT_TRUE(store_->runs().Finish(second, kRunFinished).ok());
  ASSERT_TRUE(store_->runs().Delete(second).ok());
  // A deleted run's id is not handed to the next run (SQLite would without AUTOINCREMENT).
  EXPECT_GT(NewRunIn(exp), second);
  EXPECT_GT(second, first);
  std::vector<MetricPoint> nan{{"loss", std::nan(""), 3, 0}};
  EXPECT_EQ(store_->runs().LogMetrics(first, nan).code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseMetricFilter("auc>nan").ok());
  EXPECT_FALSE(ParseMetricFilter("auc>inf").ok());
}

TEST_P(MetaStoreTest, DatasetVersionsFollowContent) {
  const int64_t project = Project();
  NewDatasetVersion v;
  v.name = "data/train.csv";
  v.source_path = "/abs/data/train.csv";
  v.format = "csv";
  v.content_hash = "aaaa";
  v.num_rows = 10;
  v.num_columns = 3;
  v.schema_json = "[]";
  v.stats_json = "[]";
  auto v1 = store_->datasets().Record(project, v);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  auto same = store_->datasets().Record(project, v);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->id, v1->id);
  v.content_hash = "bbbb";
  v.num_rows = 11;
  auto v2 = store_->datasets().Record(project, v);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->dataset_id, v1->dataset_id);
  auto found = store_->datasets().Find(project, "/abs/data/train.csv");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].version, 2);  // newest first
  EXPECT_EQ(store_->datasets().GetVersion(12345).status().code(), core::StatusCode::kNotFound);
}

TEST_P(MetaStoreTest, RegistryVersionsAliasesAndDeletion) {
  const int64_t project = Project();
  NewModelVersion nv;
  nv.algorithm = "logistic_regression";
  for (int i = 1; i <= 3; ++i) {
    nv.artifact_uri = "kiln-blob:xxh128:0" + std::to_string(i);
    auto v = store_->registry().CreateVersion(project, "churn", nv);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->version, i);
  }
  ASSERT_TRUE(store_->registry().SetAlias(project, "churn", "production", 2).ok());
  ASSERT_TRUE(store_->registry().SetAlias(project, "churn", "staging", 3).ok());
  EXPECT_EQ(store_->registry().Resolve(project, "churn")->version, 3);
  EXPECT_EQ(store_->registry().Resolve(project, "churn@production")->version, 2);
  EXPECT_EQ(store_->registry().Resolve(project, "churn/1")->version, 1);
  // Moving an alias.
  ASSERT_TRUE(store_->registry().SetAlias(project, "churn", "production", 3).ok());
  auto prod = store_->registry().Resolve(project, "churn@production");
  EXPECT_EQ(prod->version, 3);
  EXPECT_EQ(prod->aliases, (std::vector<std::string>{"production", "staging"}));

  EXPECT_EQ(store_->registry().SetAlias(project, "churn", "Bad Alias", 1).code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->registry().SetAlias(project, "churn", "latest", 1).code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->registry().SetAlias(project, "churn", "x", 9).code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(store_->registry().Resolve(project, "nope").status().code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(store_->registry().Resolve(project, "churn/zero").status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->registry().Resolve(project, "churn@canary").status().code(),
            core::StatusCode::kNotFound);

  // A live deployment protects its version.
  auto deployment = store_->deployments().Create(project, "churn-live", prod->id, "http://x");
  ASSERT_TRUE(deployment.ok()) << deployment.status().ToString();
  auto refused = store_->registry().DeleteVersion(project, "churn", 3);
  EXPECT_EQ(refused.code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("churn-live"), std::string::npos);
  EXPECT_EQ(store_->registry().DeleteModel(project, "churn").code(),
            core::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->deployments().Stop(deployment->id).ok());
  ASSERT_TRUE(store_->registry().DeleteVersion(project, "churn", 3).ok());
  EXPECT_EQ(store_->registry().Resolve(project, "churn")->version, 2);
  EXPECT_EQ(store_->registry().Resolve(project, "churn@production").status().code(),
            core::StatusCode::kNotFound);
  // Version numbers are never reused: 3 was deleted, the next is 4.
  nv.artifact_uri = "kiln-blob:xxh128:04";
  EXPECT_EQ(store_->registry().CreateVersion(project, "churn", nv)->version, 4);
  EXPECT_EQ(store_->registry().Resolve(project, "churn/3").status().code(),
            core::StatusCode::kNotFound);
  auto models = store_->registry().List(project, PageRequest{});
  ASSERT_TRUE(models.ok());
  ASSERT_EQ(models->models.size(), 1u);
  ASSERT_TRUE(store_->registry().DeleteModel(project, "churn").ok());
  EXPECT_TRUE(store_->registry().List(project, PageRequest{})->models.empty());
}

TEST_P(MetaStoreTest, TrafficRoutesShareAtMostAllTheTraffic) {
  const int64_t project = Project();
  NewModelVersion nv;
  nv.algorithm = "logistic_regression";
  for (int i = 1; i <= 2; ++i) {
    nv.artifact_uri = "kiln-blob:xxh128:0" + std::to_string(i);
    ASSERT_TRUE(store_->registry().CreateVersion(project, "m", nv).ok());
  }
  ASSERT_TRUE(store_->registry().SetAlias(project, "m", "production", 1).ok());
  ASSERT_TRUE(store_->registry().SetAlias(project, "m", "canary", 2).ok());
  TrafficRepo& traffic = store_->traffic();
  EXPECT_TRUE(traffic.List(project, "m")->empty());
  ASSERT_TRUE(traffic.Set(project, "m", {"canary", 30, false}).ok());
  ASSERT_TRUE(traffic.Set(project, "m", {"canary", 40, false}).ok());  // replaces
  auto over = traffic.Set(project, "m", {"production", 70, false});
  EXPECT_EQ(over.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(over.message().find("canary 40%"), std::string::npos) << over.message();
  ASSERT_TRUE(traffic.Set(project, "m", {"production", 60, false}).ok());
  ASSERT_TRUE(traffic.Set(project, "m", {"canary", 100, true}).ok());     // a shadow adds no share
  EXPECT_EQ(traffic.Set(project, "m", {"production", 100, true}).code(),  // one shadow per model
            core::StatusCode::kInvalidArgument);
  auto routes = traffic.List(project, "m");
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].alias, "canary");
  EXPECT_TRUE((*routes)[0].shadow);
  EXPECT_EQ((*routes)[1].weight, 60);
  EXPECT_EQ(traffic.Set(project, "m", {"nope", 10, false}).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(traffic.Set(project, "x", {"canary", 10, false}).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(traffic.Set(project, "m", {"canary", 0, false}).code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(traffic.Set(project, "m", {"canary", 101, false}).code(),
            core::StatusCode::kInvalidArgument);
  ASSERT_TRUE(traffic.Remove(project, "m", "production").ok());
  EXPECT_EQ(traffic.Remove(project, "m", "production").code(), core::StatusCode::kNotFound);
  // Deleting the model deletes its routes.
  ASSERT_TRUE(store_->registry().DeleteModel(project, "m").ok());
  EXPECT_EQ(traffic.List(project, "m").status().code(), core::StatusCode::kNotFound);
  auto left = store_->sql().Query("SELECT COUNT(*) FROM traffic_routes", {});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ((*left)[0].Int(0), 0);
}

TEST_P(MetaStoreTest, ModelAndDatasetListsOrderFilterAndPage) {
  const int64_t project = Project();
  NewModelVersion nv;
  nv.algorithm = "x";
  for (const char* name : {"b", "c", "a"}) {
    nv.artifact_uri = std::string("kiln-blob:xxh128:") + name;
    ASSERT_TRUE(store_->registry().CreateVersion(project, name, nv).ok());
  }
  ASSERT_TRUE(store_->registry().SetAlias(project, "c", "production", 1).ok());
  PageRequest page{"name", false, 2, ""};
  auto first = store_->registry().List(project, page);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->models.size(), 2u);
  EXPECT_EQ(first->models[0].name, "a");
  EXPECT_EQ(first->models[1].name, "b");
  page.page_token = first->next_page_token;
  auto second = store_->registry().List(project, page);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->models.size(), 1u);
  EXPECT_EQ(second->models[0].name, "c");
  EXPECT_TRUE(second->next_page_token.empty());
  auto aliased = store_->registry().List(project, PageRequest{"", false, 10, ""}, "production");
  ASSERT_TRUE(aliased.ok());
  ASSERT_EQ(aliased->models.size(), 1u);
  EXPECT_EQ(aliased->models[0].name, "c");
  EXPECT_EQ(store_->registry().List(project, PageRequest{"bogus", false, 10, ""}).status().code(),
            core::StatusCode::kInvalidArgument);

  NewDatasetVersion d;
  d.schema_json = d.stats_json = "[]";
  for (int i = 0; i < 3; ++i) {
    d.name = d.source_path = "/d" + std::to_string(i);
    d.content_hash = "h" + std::to_string(i);
    d.format = i == 1 ? "libsvm" : "csv";
    d.num_rows = 10 * (3 - i);
    ASSERT_TRUE(store_->datasets().Record(project, d).ok());
  }
  auto by_rows = store_->datasets().List(project, PageRequest{"rows", false, 2, ""});
  ASSERT_TRUE(by_rows.ok()) << by_rows.status().ToString();
  ASSERT_EQ(by_rows->versions.size(), 2u);
  EXPECT_EQ(by_rows->versions[0].num_rows, 10);
  EXPECT_FALSE(by_rows->next_page_token.empty());
  auto libsvm = store_->datasets().List(project, PageRequest{"", true, 10, ""}, "libsvm");
  ASSERT_TRUE(libsvm.ok());
  ASSERT_EQ(libsvm->versions.size(), 1u);
  EXPECT_EQ(libsvm->versions[0].source_path, "/d1");
}

TEST_P(MetaStoreTest, LineageWalksUpAndDown) {
  const int64_t project = Project();
  NewDatasetVersion d;
  d.name = "train.csv";
  d.source_path = "/d/train.csv";
  d.format = "csv";
  d.content_hash = "feedbeef";
  d.schema_json = d.stats_json = "[]";
  auto data = store_->datasets().Record(project, d);
  ASSERT_TRUE(data.ok());
  const int64_t run = NewRunIn(Experiment(project));
  NewModelVersion nv;
  nv.run_id = run;
  nv.algorithm = "linear_svm";
  nv.artifact_uri = "kiln-blob:xxh128:aa";
  auto model = store_->registry().CreateVersion(project, "svm", nv);
  ASSERT_TRUE(model.ok());
  auto& lineage = store_->lineage();
  ASSERT_TRUE(lineage.AddEdge({{kNodeDatasetVersion, data->id}, {kNodeRun, run}, "input_of"}).ok());
  ASSERT_TRUE(lineage.AddEdge({{kNodeRun, run}, {kNodeModelVersion, model->id}, "produced"}).ok());
  ASSERT_TRUE(lineage.AddEdge({{kNodeRun, run}, {kNodeModelVersion, model->id}, "produced"}).ok());
  auto deployment = store_->deployments().Create(project, "svm-live", model->id, "http://y");
  ASSERT_TRUE(deployment.ok());

  auto up = lineage.Walk({kNodeModelVersion, model->id}, LineageDirection::kUpstream);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->label, "model svm/1 (linear_svm)");
  ASSERT_EQ(up->children.size(), 1u);
  EXPECT_EQ(up->children[0].node, (LineageNode{kNodeRun, run}));
  ASSERT_EQ(up->children[0].children.size(), 1u);
  EXPECT_NE(up->children[0].children[0].label.find("/d/train.csv v1"), std::string::npos);

  auto down = lineage.Walk({kNodeDatasetVersion, data->id}, LineageDirection::kDownstream);
  ASSERT_TRUE(down.ok());
  ASSERT_EQ(down->children.size(), 1u);
  ASSERT_EQ(down->children[0].children.size(), 1u);
  ASSERT_EQ(down->children[0].children[0].children.size(), 1u);
  EXPECT_EQ(down->children[0].children[0].children[0].node.kind, kNodeDeployment);
  EXPECT_EQ(lineage.Walk({kNodeRun, 999999}, LineageDirection::kUpstream).status().code(),
            core::StatusCode::kNotFound);

  auto referenced = store_->ReferencedArtifacts();
  ASSERT_TRUE(referenced.ok());
  EXPECT_EQ(referenced->count("kiln-blob:xxh128:aa"), 1u);
}

TEST_P(MetaStoreTest, AbandonedRunsAreMarkedFailed) {
  const int64_t exp = Experiment(Project());
  const int64_t dead = NewRunIn(exp);
  const int64_t live = NewRunIn(exp);
  // The dead run's process had pid 4242.
  ASSERT_TRUE(store_->sql().Execute("UPDATE runs SET pid = 4242 WHERE id = ?", {dead}).ok());
  auto marked =
      store_->runs().MarkAbandoned("testhost", [](int64_t pid, int64_t) { return pid != 4242; });
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(store_->runs().Get(dead)->status, kRunFailed);
  EXPECT_NE(store_->runs().Get(dead)->message.find("crashed or was killed"), std::string::npos);
  EXPECT_EQ(store_->runs().Get(live)->status, kRunRunning);
  // Other hosts' runs are never touched.
  EXPECT_EQ(*store_->runs().MarkAbandoned("otherhost", [](int64_t, int64_t) { return false; }), 0);
}

TEST_P(MetaStoreTest, ConcurrentWritersLoseNothing) {
  const int64_t exp = Experiment(Project());
  constexpr int kThreads = 6;
  constexpr int kBatches = 20;
  std::vector<std::thread> threads;
  std::vector<core::Status> errors(kThreads);
  std::vector<int64_t> run_ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = MetaStore::Open(Connect());
      if (!store.ok()) {
        errors[t] = store.status();
        return;
      }
      NewRun run;
      run.experiment_id = exp;
      run.kind = "train";
      auto id = (*store)->runs().Create(run);
      if (!id.ok()) {
        errors[t] = id.status();
        return;
      }
      run_ids[t] = *id;
      for (int b = 0; b < kBatches && errors[t].ok(); ++b) {
        std::vector<MetricPoint> points;
        for (int i = 0; i < 10; ++i) points.push_back({"loss", 1.0, b * 10 + i, 0});
        errors[t] = (*store)->runs().LogMetrics(*id, points);
      }
      NewModelVersion nv;
      nv.algorithm = "x";
      nv.artifact_uri = "kiln-blob:xxh128:" + std::to_string(t);
      if (errors[t].ok()) errors[t] = (*store)->registry().CreateVersion(1, "shared", nv).status();
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(errors[t].ok()) << errors[t].ToString();
    EXPECT_EQ(store_->runs().MetricHistory(run_ids[t], "loss")->size(), 10u * kBatches);
  }
  auto model = store_->registry().Get(1, "shared");
  ASSERT_TRUE(model.ok());
  ASSERT_EQ(model->versions.size(), static_cast<size_t>(kThreads));
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(model->versions[i].version, i + 1);
}

TEST_P(MetaStoreTest, PipelineRunsStepsCacheLookupAndSchedules) {
  const int64_t project = Project();
  const int64_t run = NewRunIn(Experiment(project, "pipe"));
  NewPipelineRun pr;
  pr.run_id = run;
  pr.pipeline = "pipe";
  pr.spec_path = "/p.yaml";
  pr.spec_text = "name: pipe";
  pr.spec_hash = "abc";
  ASSERT_TRUE(store_->pipelines().CreateRun(pr).ok());
  std::vector<PipelineStepRecord> steps(2);
  steps[0].step = "a";
  steps[0].component = "noop";
  steps[0].component_version = 1;
  steps[1].step = "b";
  steps[1].component = "noop";
  steps[1].component_version = 1;
  auto ids = store_->pipelines().AddSteps(run, steps);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 2u);
  StepUpdate running;
  running.status = kStepRunning;
  running.cache_key = "key-a";
  running.attempts = 1;
  running.start_ms = 5;
  ASSERT_TRUE(store_->pipelines().UpdateStep((*ids)[0], running).ok());
  // Not finished yet: no cache hit.
  EXPECT_FALSE(store_->pipelines().FindCached(project, "key-a")->has_value());
  StepUpdate done = running;
  done.status = kStepFinished;
  done.cache_key = "";  // keeps the key
  done.end_ms = 9;
  ASSERT_TRUE(
      store_->pipelines()
          .FinishStep((*ids)[0], done,
                      {{"out", "report", "kiln-blob:xxh128:" + std::string(32, 'a'), 3, "{}"}})
          .ok());
  auto hit = store_->pipelines().FindCached(project, "key-a");
  ASSERT_TRUE(hit.ok()) << hit.status().ToString();
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ((*hit)->step, "a");
  EXPECT_EQ((*hit)->start_ms, 5);
  ASSERT_EQ((*hit)->artifacts.size(), 1u);
  EXPECT_EQ((*hit)->artifacts[0].port, "out");
  // The cache is per project.
  EXPECT_FALSE(store_->pipelines().FindCached(Project("other"), "key-a")->has_value());
  auto record = store_->pipelines().Get(run);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->pipeline, "pipe");
  ASSERT_EQ(record->steps.size(), 2u);
  EXPECT_EQ(record->steps[1].status, kStepPending);
  EXPECT_EQ(store_->pipelines().List(project, "pipe", 10)->size(), 1u);
  EXPECT_EQ(store_->pipelines().Get(run + 1000).status().code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(store_->ReferencedArtifacts()->count("kiln-blob:xxh128:" + std::string(32, 'a')));

  ScheduleRecord sched;
  sched.project_id = project;
  sched.spec_path = "/p.yaml";
  sched.workdir = "/";
  sched.pipeline = "pipe";
  sched.cron = "@daily";
  auto sid = store_->schedules().Add(sched);
  ASSERT_TRUE(sid.ok()) << sid.status().ToString();
  EXPECT_TRUE(*store_->schedules().Claim(*sid, 1000, kFireStarted));
  EXPECT_FALSE(*store_->schedules().Claim(*sid, 1000, kFireStarted));  // once only
  ASSERT_TRUE(store_->schedules().SetFireResult(*sid, 1000, kFireFinished, run, "ok").ok());
  auto fires = store_->schedules().Fires(*sid, 5);
  ASSERT_TRUE(fires.ok());
  ASSERT_EQ(fires->size(), 1u);
  EXPECT_EQ((*fires)[0].run_id, run);
  EXPECT_EQ((*fires)[0].status, kFireFinished);
  EXPECT_EQ(store_->schedules().List(project)->size(), 1u);
  EXPECT_EQ(store_->schedules().Remove(Project("other"), *sid).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(store_->schedules().Remove(project, *sid).ok());
  EXPECT_TRUE(store_->schedules().List(std::nullopt)->empty());
}

KILN_INSTANTIATE_STORE_TEST(MetaStoreTest);

TEST(StoreUriTest, ParsesBothDialects) {
  EXPECT_EQ(ParseStoreUri("postgresql://u@h/db")->dialect, Dialect::kPostgres);
  EXPECT_EQ(ParseStoreUri("postgres://u@h/db")->dialect, Dialect::kPostgres);
  EXPECT_EQ(ParseStoreUri("sqlite:/tmp/x.db")->target, "/tmp/x.db");
  EXPECT_EQ(ParseStoreUri("sqlite:///tmp/x.db")->target, "/tmp/x.db");
  EXPECT_EQ(ParseStoreUri("rel/x.db")->target, "rel/x.db");
  EXPECT_EQ(ParseStoreUri("mysql://h/db").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStoreUri("sqlite:").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveStoreUri("", "", "/home/u/.kiln"), "/home/u/.kiln/kiln.db");
  EXPECT_EQ(ResolveStoreUri("", "postgresql://x", "/h"), "postgresql://x");
  EXPECT_EQ(ResolveStoreUri("a.db", "postgresql://x", "/h"), "a.db");
}

}  // namespace
}  // namespace kiln::track
