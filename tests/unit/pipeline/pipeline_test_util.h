// A pipeline test fixture: a fresh SQLite MetaStore and ArtifactStore in a temp directory, the
// built-in algorithms and components, and helpers to compile and run YAML text.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "kiln/algorithms/builtin.h"
#include "kiln/core/logging.h"
#include "kiln/pipeline/builtin_components.h"
#include "kiln/pipeline/executor.h"
#include "kiln/pipeline/plan.h"
#include "kiln/pipeline/spec.h"
#include "kiln/track/artifact_store.h"
#include "kiln/track/meta_store.h"

namespace kiln::pipeline::testing {

// Records every event the executor reports, in order.
class RecordingObserver final : public ExecutionObserver {
 public:
  void OnStart(const Plan&, int64_t run_id) override { run_id_ = run_id; }
  void OnStep(const Plan& plan, const StepEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    events.push_back({plan.steps[e.step].name, e.state, e.attempt, e.will_retry});
  }
  struct Event {
    std::string step;
    StepState state;
    int attempt;
    bool will_retry;
  };
  std::vector<Event> events;
  int64_t run_id_ = 0;

 private:
  std::mutex mu_;
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("kiln_pipeline_" + std::to_string(rd()) + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto store = track::MetaStore::Open((dir_ / "kiln.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    artifacts_ = std::make_unique<track::ArtifactStore>((dir_ / "artifacts").string());
    ASSERT_TRUE(algorithms::RegisterBuiltinAlgorithms(algorithms_).ok());
    ASSERT_TRUE(RegisterBuiltinComponents(components_, algorithms_).ok());
    auto project = store_->projects().Ensure("default");
    ASSERT_TRUE(project.ok());
    project_id_ = project->id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void WriteFile(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
  }

  core::Result<Plan> CompileYaml(const std::string& yaml,
                                 std::vector<std::pair<std::string, std::string>> overrides = {}) {
    KILN_ASSIGN_OR_RETURN(PipelineSpec spec, ParsePipelineSpec("p.yaml", yaml));
    return Compile(std::move(spec), components_, overrides);
  }

  ExecutorOptions Options() const {
    ExecutorOptions o;
    o.project_id = project_id_;
    o.threads = 1;
    o.workdir = dir_.string();
    return o;
  }

  // Compiles and runs; fails the test if either cannot even start.
  RunOutcome RunYaml(const std::string& yaml, ExecutorOptions options,
                     std::vector<std::pair<std::string, std::string>> overrides = {},
                     RecordingObserver* observer = nullptr,
                     const core::CancellationToken* cancel = nullptr) {
    auto plan = CompileYaml(yaml, overrides);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok()) return {};
    Executor executor(algorithms_, *store_, *artifacts_, *logger_);
    core::CancellationToken none;
    auto outcome = executor.Run(*plan, options, observer, cancel != nullptr ? *cancel : none);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return {};
    plan_ = std::move(*plan);
    return std::move(*outcome);
  }
  RunOutcome RunYaml(const std::string& yaml) { return RunYaml(yaml, Options()); }

  // The outcome state of a step by name (in the last run's plan).
  StepState State(const RunOutcome& outcome, const std::string& step) const {
    const int i = plan_.Find(step);
    EXPECT_GE(i, 0) << step;
    return i < 0 ? StepState::kPending : outcome.steps[static_cast<size_t>(i)].state;
  }
  const StepOutcome& Step(const RunOutcome& outcome, const std::string& step) const {
    return outcome.steps[static_cast<size_t>(plan_.Find(step))];
  }

  std::filesystem::path dir_;
  std::unique_ptr<track::MetaStore> store_;
  std::unique_ptr<track::ArtifactStore> artifacts_;
  ml::AlgorithmRegistry algorithms_{"algorithm"};
  ComponentRegistry components_{"component"};
  std::unique_ptr<core::Logger> logger_ = core::Logger::Null();
  int64_t project_id_ = 0;
  Plan plan_;
};

}  // namespace kiln::pipeline::testing
