// ModelControl: explicit loads and unloads over a polled source — pinning a model out, handing it
// back, overriding the source with a version or a file, failed loads changing nothing, explicit
// mode never polling, the index's states, and commands queued from other threads.
#include "kiln/serve/model_control.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "version_servable.h"

namespace kiln::serve {
namespace {

// A repository of models "NAME" with versions; Poll serves each model's highest version, and a
// version in `broken` fails to load. Version V answers V.
class FakeSource final : public ModelSource {
 public:
  core::Result<std::vector<AspiredModel>> Poll() override {
    ++polls;
    std::vector<AspiredModel> out;
    for (const auto& [name, versions] : models)
      if (!versions.empty()) out.push_back(Model(name, *versions.rbegin()));
    return out;
  }
  core::Result<AspiredModel> ResolveModel(const std::string& name,
                                          const ModelSelector& selector) override {
    auto it = models.find(name);
    if (it == models.end()) return core::NotFound("model '{}' is not in the fake source", name);
    int64_t v = *it->second.rbegin();
    if (selector.version) v = *selector.version;
    if (selector.alias == "first") v = *it->second.begin();
    if (!it->second.count(v)) return core::NotFound("model '{}' has no version {}", name, v);
    return Model(name, v);
  }
  void OnLive(const std::vector<ModelState>& live) override { live_reports += !live.empty(); }
  std::string Describe() const override { return "the fake source"; }

  AspiredModel Model(const std::string& name, int64_t v) const {
    AspiredModel m;
    m.name = name;
    AspiredVersion a;
    a.version = v;
    a.files.path = name + "/" + std::to_string(v);
    a.files.platform = "test";
    a.files.config = {{"answer", static_cast<double>(v)},
                      {"fail", broken.count(name + "/" + std::to_string(v)) > 0}};
    m.versions.push_back(a);
    return m;
  }

  std::map<std::string, std::set<int64_t>> models;
  std::set<std::string> broken;
  int polls = 0;
  int live_reports = 0;
};

class ModelControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_support::RegisterTestProcessor(registry_, &alive_).ok());
    source_.models = {{"a", {1, 2}}, {"b", {1}}};
  }

  std::unique_ptr<ModelControl> Control(ModelControlMode mode) {
    ModelControlOptions options;
    options.mode = mode;
    options.poll_seconds = 3600;  // tests poll by hand
    options.log = [this](const std::string& line) { log_.push_back(line); };
    return std::make_unique<ModelControl>(options, manager_, source_);
  }

  // The version unversioned requests of `model` go to; 0 when it is not served.
  int64_t Served(const std::string& model) {
    auto route = manager_.Resolve({.model = model});
    return route.ok() ? route->primary->version : 0;
  }

  static LoadRequest Request(const std::string& model, std::optional<int64_t> version = {}) {
    LoadRequest r;
    r.model = model;
    r.selector.version = version;
    return r;
  }

  std::string StateOf(const ModelControl& control, const std::string& model) {
    std::vector<std::string> parts;
    for (const ModelStatus& s : control.Index()) {
      if (s.model != model) continue;
      parts.push_back(s.version ? fmt::format("{}:{}", *s.version, s.state) : s.state);
    }
    return fmt::format("{}", fmt::join(parts, " "));
  }

  std::atomic<int> alive_{0};
  ProcessorRegistry registry_{"processor"};
  ServableManager manager_{registry_, {}, /*release_wait_seconds=*/1};
  FakeSource source_;
  std::vector<std::string> log_;
};

TEST_F(ModelControlTest, PollModeServesTheSourceAndAnUnloadPinsAModelOut) {
  auto control = Control(ModelControlMode::kPoll);
  ASSERT_TRUE(control->Start({}).ok());
  EXPECT_EQ(Served("a"), 2);
  EXPECT_EQ(Served("b"), 1);
  EXPECT_EQ(alive_.load(), 2);

  ASSERT_TRUE(control->UnloadNow("a").ok());
  EXPECT_EQ(Served("a"), 0);
  EXPECT_EQ(alive_.load(), 1);  // freed by the time the unload returned
  EXPECT_EQ(StateOf(*control, "a"), "UNAVAILABLE");
  ASSERT_TRUE(control->PollOnce());
  EXPECT_EQ(Served("a"), 0) << "a poll brought an unloaded model back";
  EXPECT_TRUE(control->UnloadNow("a").ok()) << "unloading twice is not an error";
  EXPECT_EQ(Served("b"), 1);

  // A load without a selector hands the model back to the source.
  ASSERT_TRUE(control->LoadNow(Request("a")).ok());
  EXPECT_EQ(Served("a"), 2);
  EXPECT_EQ(StateOf(*control, "a"), "2:READY");
  source_.models["a"].insert(3);
  ASSERT_TRUE(control->PollOnce());
  EXPECT_EQ(Served("a"), 3) << "polls follow the source again";
}

TEST_F(ModelControlTest, AVersionOrAFileOverridesTheSourceUntilTheNextLoad) {
  auto control = Control(ModelControlMode::kPoll);
  ASSERT_TRUE(control->Start({}).ok());
  ASSERT_TRUE(control->LoadNow(Request("a", 1)).ok());
  EXPECT_EQ(Served("a"), 1);
  source_.models["a"].insert(3);
  ASSERT_TRUE(control->PollOnce());
  EXPECT_EQ(Served("a"), 1) << "the admin's choice holds over polls";
  LoadRequest first = Request("a");
  first.selector.alias = "first";
  ASSERT_TRUE(control->LoadNow(first).ok());
  EXPECT_EQ(Served("a"), 1);

  // A model file on disk, under a new name and a chosen version number.
  const std::string path = ::testing::TempDir() + "/model_control_test.model";
  std::ofstream(path) << "any bytes: the test processor reads its config";
  LoadRequest file = Request("extra", 7);
  file.path = path;
  file.platform = "test";
  ASSERT_TRUE(control->LoadNow(file).ok());
  EXPECT_EQ(Served("extra"), 7);
  ASSERT_TRUE(control->PollOnce());
  EXPECT_EQ(Served("extra"), 7) << "a model the source does not have stays";

  ASSERT_TRUE(control->LoadNow(Request("a")).ok());
  EXPECT_EQ(Served("a"), 3);
  std::filesystem::remove(path);
}

TEST_F(ModelControlTest, AFailedLoadChangesNothingAndIsReported) {
  auto control = Control(ModelControlMode::kPoll);
  ASSERT_TRUE(control->Start({}).ok());
  source_.models["a"].insert(5);
  source_.broken.insert("a/5");
  core::Status s = control->LoadNow(Request("a", 5));
  EXPECT_EQ(s.code(), core::StatusCode::kCorrupt) << s.ToString();
  EXPECT_NE(s.ToString().find("broken"), std::string::npos) << s.ToString();
  EXPECT_EQ(Served("a"), 2) << "the version that was serving keeps serving";
  EXPECT_EQ(StateOf(*control, "a"), "2:READY 5:UNAVAILABLE");
  for (const ModelStatus& st : control->Index()) {
    if (st.state == "UNAVAILABLE") {
      EXPECT_NE(st.reason.find("broken"), std::string::npos);
    }
  }

  // Unknown models, versions and files are not found, naming what was asked for.
  s = control->LoadNow(Request("nope"));
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  EXPECT_NE(s.ToString().find("'nope'"), std::string::npos) << s.ToString();
  EXPECT_EQ(control->LoadNow(Request("a", 9)).code(), core::StatusCode::kNotFound);
  LoadRequest missing = Request("m");
  missing.path = "/no/such/model.json";
  s = control->LoadNow(missing);
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  EXPECT_NE(s.ToString().find("/no/such/model.json"), std::string::npos);
  s = control->UnloadNow("never");
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  EXPECT_NE(s.ToString().find("'never' is not loaded (loaded: a, b)"), std::string::npos)
      << s.ToString();
  // The index lists what exists: not the models, versions and files that were not found.
  EXPECT_EQ(StateOf(*control, "nope"), "");
  EXPECT_EQ(StateOf(*control, "m"), "");
  EXPECT_EQ(StateOf(*control, "a"), "2:READY");
  EXPECT_EQ(Served("a"), 2);
  EXPECT_EQ(Served("b"), 1);
  EXPECT_EQ(Served("nope"), 0);
  EXPECT_EQ(Served("m"), 0);
}

TEST_F(ModelControlTest, ExplicitModeLoadsOnlyWhatIsAskedAndNeverPolls) {
  auto control = Control(ModelControlMode::kExplicit);
  ASSERT_TRUE(control->Start({Request("b")}).ok());
  EXPECT_EQ(Served("a"), 0);
  EXPECT_EQ(Served("b"), 1);
  EXPECT_EQ(source_.polls, 0);
  ASSERT_TRUE(control->LoadNow(Request("a")).ok());
  EXPECT_EQ(Served("a"), 2);
  source_.models["a"].insert(3);
  ASSERT_TRUE(control->LoadNow(Request("b")).ok());  // reloading b leaves a alone
  EXPECT_EQ(Served("a"), 2);
  ASSERT_TRUE(control->UnloadNow("a").ok());
  EXPECT_EQ(Served("a"), 0);
  EXPECT_TRUE(control->UnloadNow("a").ok());
  EXPECT_EQ(source_.polls, 0);
  EXPECT_EQ(alive_.load(), 1);
  // A start load that fails fails the start.
  ServableManager other{registry_};
  ModelControl failing({ModelControlMode::kExplicit, 3600, nullptr}, other, source_);
  EXPECT_EQ(failing.Start({Request("zzz")}).code(), core::StatusCode::kNotFound);
}

TEST_F(ModelControlTest, CommandsQueuedFromOtherThreadsRunOnTheControlThread) {
  auto control = Control(ModelControlMode::kExplicit);
  ASSERT_TRUE(control->Start({}).ok());
  control->Run();
  std::promise<core::Status> loaded;
  std::thread::id ran_on;
  control->Load(Request("a"), [&](core::Status s) {
    ran_on = std::this_thread::get_id();
    loaded.set_value(std::move(s));
  });
  ASSERT_TRUE(loaded.get_future().get().ok());
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(Served("a"), 2);
  EXPECT_EQ(source_.live_reports, 1) << "the source hears what went live";
  std::promise<core::Status> unloaded;
  control->Unload("a", [&](core::Status s) { unloaded.set_value(std::move(s)); });
  ASSERT_TRUE(unloaded.get_future().get().ok());
  EXPECT_EQ(Served("a"), 0);
  EXPECT_EQ(alive_.load(), 0);
  control->Stop();
  // After Stop a command is answered at once, not left waiting.
  std::promise<core::Status> late;
  control->Load(Request("b"), [&](core::Status s) { late.set_value(std::move(s)); });
  EXPECT_EQ(late.get_future().get().code(), core::StatusCode::kCancelled);
}

TEST(ModelControlMode, ParsesItsNames) {
  EXPECT_EQ(*ParseModelControlMode("poll"), ModelControlMode::kPoll);
  EXPECT_EQ(*ParseModelControlMode("explicit"), ModelControlMode::kExplicit);
  EXPECT_FALSE(ParseModelControlMode("none").ok());
}

}  // namespace
}  // namespace kiln::serve
