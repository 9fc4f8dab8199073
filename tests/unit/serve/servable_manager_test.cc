// ServableManager: versions going live and leaving, handles keeping an unloaded version alive,
// availability when a load fails, traffic splits, labels and shadows — with a small processor
// registered in a real ProcessorRegistry (its servables answer their own version).
#include "kiln/serve/servable_manager.h"

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "version_servable.h"

namespace kiln::serve {
namespace {

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_support::RegisterTestProcessor(registry_, &alive_, &freed_on_).ok());
  }

  static AspiredVersion Version(int64_t v, bool fail = false) {
    AspiredVersion a;
    a.version = v;
    a.files.path = "m/" + std::to_string(v);
    a.files.platform = "test";
    a.files.config = {{"answer", static_cast<double>(v)}, {"fail", fail}};
    return a;
  }

  static AspiredModel Model(std::vector<AspiredVersion> versions) {
    AspiredModel m;
    m.name = "m";
    m.versions = std::move(versions);
    return m;
  }

  int64_t Routed(const RouteRequest& r) {
    auto route = manager_.Resolve(r);
    EXPECT_TRUE(route.ok()) << route.status().ToString();
    return route.ok() ? route->primary->version : -1;
  }

  std::atomic<int> alive_{0};
  std::atomic<std::thread::id> freed_on_;
  ProcessorRegistry registry_{"processor"};
  // A short wait for in-flight requests, so a test that holds a handle is not slowed down.
  ServableManager manager_{registry_, {}, /*release_wait_seconds=*/0.2};
};

TEST_F(ManagerTest, DefaultIsHighestVersionAndExplicitVersionsAndLabelsRoute) {
  EXPECT_FALSE(manager_.ready());
  AspiredModel m = Model({Version(1), Version(3)});
  m.labels["canary"] = 1;
  EXPECT_TRUE(manager_.Apply({m}).empty());
  EXPECT_TRUE(manager_.ready());
  EXPECT_EQ(alive_.load(), 2);
  EXPECT_EQ(Routed({.model = "m"}), 3);
  EXPECT_EQ(Routed({.model = "m", .version = 1}), 1);
  EXPECT_EQ(Routed({.model = "m", .label = "canary"}), 1);

  auto missing = manager_.Resolve({.model = "m", .version = 2});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("live: 1, 3"), std::string::npos);
  auto label = manager_.Resolve({.model = "m", .label = "prod"});
  EXPECT_NE(label.status().message().find("labels: canary"), std::string::npos);
  auto model = manager_.Resolve({.model = "n"});
  EXPECT_NE(model.status().message().find("served: m"), std::string::npos);
}

TEST_F(ManagerTest, AnUnloadedVersionLivesUntilItsLastHandleIsReleased) {
  manager_.Apply({Model({Version(1)})});
  auto route = manager_.Resolve({.model = "m"});
  ASSERT_TRUE(route.ok());
  ServableHandle held = route->primary;
  manager_.Apply({Model({Version(2)})});
  EXPECT_EQ(Routed({.model = "m"}), 2);
  EXPECT_EQ(alive_.load(), 2);  // v1 still answers the request that holds it
  FeatureBatch batch{1, {{"x", false, {0.5}, {}}}};
  auto out = held->servable->Infer(batch);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->outputs[0].numbers[0], 1.0);
  held.reset();
  route = core::Result<Route>(core::NotFound("released"));
  EXPECT_EQ(alive_.load(), 1);
  manager_.Apply({});
  EXPECT_EQ(alive_.load(), 0);
  EXPECT_FALSE(manager_.Resolve({.model = "m"}).ok());
}

TEST_F(ManagerTest, ALeavingVersionIsFreedOnTheThreadThatChangedTheTable) {
  manager_.Apply({Model({Version(1)})});
  auto route = manager_.Resolve({.model = "m"});
  ASSERT_TRUE(route.ok());
  // A request on another thread holds v1 for a moment while v2 replaces it.
  std::thread request([held = route->primary]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.reset();
  });
  route = core::Result<Route>(core::NotFound("moved to the request"));
  const auto start = std::chrono::steady_clock::now();
  manager_.Apply({Model({Version(2)})});
  // Apply waited for the request, then freed v1 itself: its memory is back when Apply returns.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
  EXPECT_EQ(alive_.load(), 1);
  EXPECT_EQ(freed_on_.load(), std::this_thread::get_id());
  request.join();
}

TEST_F(ManagerTest, AFailedLoadKeepsServingWhatWorkedAndIsReported) {
  manager_.Apply({Model({Version(1)})});
  std::vector<core::Status> errors = manager_.Apply({Model({Version(2, /*fail=*/true)})});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].ToString().find("m/2: broken"), std::string::npos);
  EXPECT_NE(errors[0].ToString().find("version 2"), std::string::npos);
  EXPECT_EQ(Routed({.model = "m"}), 1);
  // Unchanged versions are kept, not reloaded.
  const int before = alive_.load();
  manager_.Apply({Model({Version(1), Version(3)})});
  EXPECT_EQ(alive_.load(), before + 1);
}

TEST_F(ManagerTest, SplitsFollowWeightsAndKeysAreSticky) {
  AspiredModel m = Model({Version(1), Version(2)});
  m.traffic.split = {{1, 90}, {2, 10}};
  manager_.Apply({m});
  std::map<int64_t, int> counts;
  for (uint64_t i = 0; i < 20000; ++i) ++counts[Routed({.model = "m", .key_hash = i})];
  EXPECT_NEAR(counts[2], 2000, 200);  // sd 42
  for (uint64_t key : {7ULL, 12345ULL, 99999ULL}) {
    const int64_t first = Routed({.model = "m", .key_hash = key, .has_key = true});
    for (int i = 0; i < 10; ++i)
      EXPECT_EQ(Routed({.model = "m", .key_hash = key, .has_key = true}), first);
  }
  // A split naming a version that is not live is dropped, not routed into the void.
  m.traffic.split = {{1, 50}, {5, 50}};
  manager_.Apply({m});
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(Routed({.model = "m", .key_hash = i}), 1);
}

TEST_F(ManagerTest, ShadowIsRoutedBesideThePrimary) {
  AspiredModel m = Model({Version(1), Version(2)});
  m.traffic.default_version = 1;
  m.traffic.shadow = 2;
  manager_.Apply({m});
  auto route = manager_.Resolve({.model = "m"});
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->primary->version, 1);
  ASSERT_NE(route->shadow, nullptr);
  EXPECT_EQ(route->shadow->version, 2);
  // A request that names a version goes to that version alone, shadow or not (documented:
  // the shadow copies requests that name no version).
  route = manager_.Resolve({.model = "m", .version = 2});
  EXPECT_EQ(route->shadow, nullptr);
}

TEST_F(ManagerTest, LoadAndUnloadThroughTheAdminCalls) {
  manager_.Apply({Model({Version(1)})});
  ASSERT_TRUE(manager_.Load("m", Version(4)).ok());
  EXPECT_EQ(Routed({.model = "m"}), 4);
  ASSERT_TRUE(manager_.Unload("m", 4).ok());
  EXPECT_EQ(Routed({.model = "m"}), 1);
  EXPECT_EQ(manager_.Unload("m", 4).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(manager_.Unload("x", 1).code(), core::StatusCode::kNotFound);
  EXPECT_FALSE(manager_.Load("m", Version(5, /*fail=*/true)).ok());
}

TEST_F(ManagerTest, SwapsUnderConcurrentRequestsNeverFailOne) {
  manager_.Apply({Model({Version(1)})});
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      FeatureBatch batch{1, {{"x", false, {0.5}, {}}}};
      while (!stop) {
        auto route = manager_.Resolve({.model = "m"});
        if (!route.ok() || !route->primary->servable->Infer(batch).ok()) failures.fetch_add(1);
      }
    });
  }
  for (int i = 2; i < 200; ++i) manager_.Apply({Model({Version(i)})});
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(alive_.load(), 1);
}

}  // namespace
}  // namespace kiln::serve
