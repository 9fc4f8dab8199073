// Version policies, model specs and the model directory layout.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "kiln/serve/model_source.h"
#include "kiln/serve/registry_source.h"

namespace kiln::serve {
namespace {

namespace fs = std::filesystem;

TEST(SelectVersions, LatestSpecificAll) {
  VersionPolicy latest;
  latest.latest = 2;
  EXPECT_EQ(SelectVersions(latest, {3, 1, 7, 5}), (std::vector<int64_t>{5, 7}));
  latest.latest = 9;
  EXPECT_EQ(SelectVersions(latest, {2, 1}), (std::vector<int64_t>{1, 2}));
  VersionPolicy specific{VersionPolicy::Kind::kSpecific, 1, {1, 4}};
  EXPECT_EQ(SelectVersions(specific, {1, 2, 3}), (std::vector<int64_t>{1}));
  VersionPolicy all{VersionPolicy::Kind::kAll};
  EXPECT_EQ(SelectVersions(all, {2, 1, 2}), (std::vector<int64_t>{1, 2}));
}

TEST(ParseModelSpec, Forms) {
  auto a = ParseModelSpec("churn@production");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "churn");
  EXPECT_EQ(a->alias, "production");
  auto v = ParseModelSpec("churn/3");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->version, 3);
  EXPECT_EQ(ParseModelSpec("churn")->alias, "");
  for (const char* bad : {"", "@x", "churn@", "churn/x", "churn/0", "c@a/1"})
    EXPECT_FALSE(ParseModelSpec(bad).ok()) << bad;
}

class ModelDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kiln_model_dir_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  fs::path dir_;
};

TEST_F(ModelDirTest, LatestVersionByDefaultAndConfigForTheRest) {
  Write("a/1/model.kiln", "x");
  Write("a/2/model.kiln", "y");
  Write("a/notes/readme.txt", "ignored: not a version");
  Write("b/1/m.json", "{}");
  Write("b/3/m.json", "{}");
  Write("b/config.json", R"({"version_policy": "all", "labels": {"prod": 1},
                            "traffic": {"split": {"1": 3, "3": 1}, "shadow": "3"},
                            "platform": "xgboost_json"})");
  ModelDirSource source(dir_.string());
  auto models = source.Poll();
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  ASSERT_EQ(models->size(), 2u);
  const AspiredModel& a = (*models)[0];
  EXPECT_EQ(a.name, "a");
  ASSERT_EQ(a.versions.size(), 1u);
  EXPECT_EQ(a.versions[0].version, 2);
  EXPECT_EQ(fs::path(a.versions[0].files.path).filename(), "model.kiln");
  const AspiredModel& b = (*models)[1];
  ASSERT_EQ(b.versions.size(), 2u);
  EXPECT_EQ(b.versions[1].files.platform, "xgboost_json");
  EXPECT_EQ(b.labels.at("prod"), 1);
  EXPECT_EQ(b.traffic.split.size(), 2u);
  EXPECT_EQ(b.traffic.shadow, 3);
}

TEST_F(ModelDirTest, BadConfigsAndLayoutsAreClearErrors) {
  Write("a/1/one.kiln", "x");
  Write("a/1/two.kiln", "x");
  auto two = ModelDirSource(dir_.string()).Poll();
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().ToString().find("expected one model file"), std::string::npos);
  fs::remove(dir_ / "a/1/two.kiln");
  for (const char* config :
       {R"({"version_policy": {"latest": 0}})", R"({"labels": [1]})",
        R"({"traffic": {"split": {"1": -1}}})", R"([1])", "{oops",
        R"({"batching": {"max_batch_size": -1}})", R"({"batching": {"max_delay": 5}})"}) {
    Write("a/config.json", config);
    auto r = ModelDirSource(dir_.string()).Poll();
    ASSERT_FALSE(r.ok()) << config;
    EXPECT_NE(r.status().ToString().find("config.json"), std::string::npos) << config;
  }
  auto missing = ModelDirSource((dir_ / "nope").string()).Poll();
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kiln::serve
