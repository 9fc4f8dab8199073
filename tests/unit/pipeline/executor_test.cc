#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "pipeline_test_util.h"

namespace kiln::pipeline {
namespace {

using testing::PipelineTest;
using testing::RecordingObserver;

// a -> b -> c, and d on its own; each step's value comes from a pipeline param.
constexpr const char* kDiamond = R"(name: graph
params: {va: a, vb: b, vc: c, vd: d}
steps:
  a:
    component: noop
    params: {value: "${params.va}"}
  b:
    component: noop
    inputs: {in: "${steps.a.outputs.out}"}
    params: {value: "${params.vb}"}
  c:
    component: noop
    inputs: {in: "${steps.b.outputs.out}"}
    params: {value: "${params.vc}"}
  d:
    component: noop
    params: {value: "${params.vd}"}
)";

TEST_F(PipelineTest, UnchangedReRunIsFullyCached) {
  RunOutcome first = RunYaml(kDiamond);
  EXPECT_EQ(first.status, "finished");
  for (const StepOutcome& s : first.steps) EXPECT_EQ(s.state, StepState::kFinished);
  RunOutcome second = RunYaml(kDiamond);
  EXPECT_EQ(second.status, "finished");
  for (size_t i = 0; i < second.steps.size(); ++i) {
    EXPECT_EQ(second.steps[i].state, StepState::kCached) << plan_.steps[i].name;
    EXPECT_EQ(second.steps[i].outputs.at("out").uri, first.steps[i].outputs.at("out").uri);
  }
}

TEST_F(PipelineTest, ChangingOneParamReRunsExactlyTheAffectedSteps) {
  RunYaml(kDiamond);
  RunOutcome changed = RunYaml(kDiamond, Options(), {{"vb", "B"}});
  EXPECT_EQ(State(changed, "a"), StepState::kCached);
  EXPECT_EQ(State(changed, "b"), StepState::kFinished);
  EXPECT_EQ(State(changed, "c"), StepState::kFinished);  // its input changed
  EXPECT_EQ(State(changed, "d"), StepState::kCached);
  // Back to the first value: everything is in the cache again.
  RunOutcome back = RunYaml(kDiamond);
  for (const StepOutcome& s : back.steps) EXPECT_EQ(s.state, StepState::kCached);
}

TEST_F(PipelineTest, NoCacheAndPerStepCacheFalseRun) {
  RunYaml(kDiamond);
  ExecutorOptions no_cache = Options();
  no_cache.use_cache = false;
  RunOutcome all = RunYaml(kDiamond, no_cache);
  for (const StepOutcome& s : all.steps) EXPECT_EQ(s.state, StepState::kFinished);
  std::string spec = kDiamond;
  const std::string d = "  d:\n    component: noop\n";
  spec.replace(spec.find(d), d.size(), d + "    cache: false\n");
  RunOutcome one = RunYaml(spec);
  EXPECT_EQ(State(one, "a"), StepState::kCached);
  EXPECT_EQ(State(one, "d"), StepState::kFinished);
}

TEST_F(PipelineTest, AFailedStepSkipsItsDependantsAndTheRestFinish) {
  WriteFile("broken", "");
  const std::string spec = R"(name: f
steps:
  a: {component: noop}
  b:
    component: noop
    inputs: {in: "${steps.a.outputs.out}"}
    params: {fail_if_exists: broken}
  c:
    component: noop
    inputs: {in: "${steps.b.outputs.out}"}
  d: {component: noop, params: {value: other}}
)";
  RunOutcome out = RunYaml(spec);
  EXPECT_EQ(out.status, "failed");
  EXPECT_EQ(State(out, "a"), StepState::kFinished);
  EXPECT_EQ(State(out, "b"), StepState::kFailed);
  EXPECT_NE(Step(out, "b").message.find("failed on purpose"), std::string::npos);
  EXPECT_EQ(State(out, "c"), StepState::kSkipped);
  EXPECT_NE(Step(out, "c").message.find("upstream step 'b' failed"), std::string::npos);
  EXPECT_EQ(State(out, "d"), StepState::kFinished);
  auto run = store_->runs().Get(out.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "failed");
  EXPECT_EQ(run->kind, "pipeline");
  EXPECT_NE(run->message.find("step b:"), std::string::npos);
}

TEST_F(PipelineTest, ResumeRunsOnlyWhatFailedOrNeverRan) {
  WriteFile("broken", "");
  const std::string spec = R"(name: r
steps:
  a: {component: noop, cache: false}
  b:
    component: noop
    inputs: {in: "${steps.a.outputs.out}"}
    params: {fail_if_exists: broken}
    cache: false
  c:
    component: noop
    inputs: {in: "${steps.b.outputs.out}"}
    cache: false
)";
  RunOutcome failed = RunYaml(spec);
  ASSERT_EQ(failed.status, "failed");
  std::filesystem::remove(Path("broken"));
  ExecutorOptions resume = Options();
  resume.resume_from = failed.run_id;
  RunOutcome resumed = RunYaml(spec, resume);
  EXPECT_EQ(resumed.status, "finished");
  // a finished before and is reused although its cache is off; b and c run now.
  EXPECT_EQ(State(resumed, "a"), StepState::kCached);
  EXPECT_NE(Step(resumed, "a").message.find("resumed from run"), std::string::npos);
  EXPECT_EQ(Step(resumed, "a").outputs.at("out").uri, Step(failed, "a").outputs.at("out").uri);
  EXPECT_EQ(State(resumed, "b"), StepState::kFinished);
  EXPECT_EQ(State(resumed, "c"), StepState::kFinished);
  auto record = store_->pipelines().Get(resumed.run_id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->resumed_from, failed.run_id);
}

TEST_F(PipelineTest, ResumeRefusesAnotherPipelinesRun) {
  RunOutcome other = RunYaml(kDiamond);
  auto plan = CompileYaml("name: other\nsteps:\n  a: {component: noop}\n");
  ASSERT_TRUE(plan.ok());
  ExecutorOptions resume = Options();
  resume.resume_from = other.run_id;
  Executor executor(algorithms_, *store_, *artifacts_, *logger_);
  auto outcome = executor.Run(*plan, resume, nullptr, core::CancellationToken());
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("is of pipeline 'graph', not 'other'"),
            std::string::npos);
}

TEST_F(PipelineTest, RetriesUntilAnAttemptSucceeds) {
  const std::string spec = R"(name: t
steps:
  flaky:
    component: noop
    params: {fail_times: 2, counter_file: counter}
    retries: 2
    retry_delay: 10ms
)";
  RecordingObserver observer;
  RunOutcome out = RunYaml(spec, Options(), {}, &observer);
  EXPECT_EQ(out.status, "finished");
  EXPECT_EQ(Step(out, "flaky").attempts, 3);
  int retried = 0;
  for (const auto& e : observer.events) retried += e.will_retry;
  EXPECT_EQ(retried, 2);

  std::filesystem::remove(Path("counter"));
  std::string once = spec;
  once.replace(once.find("retries: 2"), 10, "retries: 1");
  ExecutorOptions no_cache = Options();
  no_cache.use_cache = false;
  RunOutcome exhausted = RunYaml(once, no_cache);
  EXPECT_EQ(exhausted.status, "failed");
  EXPECT_EQ(Step(exhausted, "flaky").attempts, 2);
  EXPECT_EQ(Step(exhausted, "flaky").code, core::StatusCode::kIoError);
}

TEST_F(PipelineTest, ATimedOutAttemptIsCancelledAndFails) {
  const auto start = std::chrono::steady_clock::now();
  RunOutcome out = RunYaml(R"(name: t
steps:
  slow:
    component: noop
    params: {sleep_ms: 20000}
    timeout: 200ms
)");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(out.status, "failed");
  EXPECT_NE(Step(out, "slow").message.find("timed out"), std::string::npos)
      << Step(out, "slow").message;
  EXPECT_EQ(Step(out, "slow").code, core::StatusCode::kResourceExhausted);
  EXPECT_LT(seconds, 10);  // not a timing target: the 20 s sleep must not run to its end
}

TEST_F(PipelineTest, IndependentStepsRunAtTheSameTimeWithParallel) {
  const std::string spec = R"(name: p
steps:
  x: {component: noop, params: {sleep_ms: 300, value: x}}
  y: {component: noop, params: {sleep_ms: 300, value: y}}
)";
  ExecutorOptions two = Options();
  two.parallel = 2;
  RecordingObserver observer;
  RunOutcome out = RunYaml(spec, two, {}, &observer);
  ASSERT_EQ(out.status, "finished");
  // Both started before either finished.
  ASSERT_GE(observer.events.size(), 4u);
  EXPECT_EQ(observer.events[0].state, StepState::kRunning);
  EXPECT_EQ(observer.events[1].state, StepState::kRunning);

  ExecutorOptions one = Options();
  one.use_cache = false;
  RecordingObserver serial;
  RunYaml(spec, one, {}, &serial);
  ASSERT_GE(serial.events.size(), 4u);
  EXPECT_EQ(serial.events[1].state, StepState::kFinished);  // one at a time
}

TEST_F(PipelineTest, CancellationStopsTheRunAndMarksItKilled) {
  core::CancellationToken cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel.Cancel();
  });
  RunOutcome out = RunYaml(R"(name: c
steps:
  slow: {component: noop, params: {sleep_ms: 20000}}
  after:
    component: noop
    inputs: {in: "${steps.slow.outputs.out}"}
)",
                           Options(), {}, nullptr, &cancel);
  stopper.join();
  EXPECT_EQ(out.status, "killed");
  EXPECT_EQ(State(out, "slow"), StepState::kCancelled);
  EXPECT_EQ(State(out, "after"), StepState::kCancelled);
  auto run = store_->runs().Get(out.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "killed");
}

TEST_F(PipelineTest, RunsStepsArtifactsAndLineageAreRecorded) {
  RunOutcome out = RunYaml(kDiamond);
  auto record = store_->pipelines().Get(out.run_id);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->pipeline, "graph");
  EXPECT_EQ(record->run.experiment, "graph");
  ASSERT_EQ(record->steps.size(), 4u);
  for (const auto& s : record->steps) {
    EXPECT_EQ(s.status, "finished");
    EXPECT_EQ(s.cache_key.size(), 32u);
    ASSERT_EQ(s.artifacts.size(), 1u);
    EXPECT_TRUE(artifacts_->PathFor(s.artifacts[0].uri).ok());
  }
  // run -> step (contains), a -> b -> c (feeds)
  auto contains = store_->lineage().EdgesFrom({track::kNodeRun, out.run_id});
  ASSERT_TRUE(contains.ok());
  EXPECT_EQ(contains->size(), 4u);
  auto feeds = store_->lineage().EdgesFrom({track::kNodePipelineStep, out.steps[0].step_id});
  ASSERT_TRUE(feeds.ok());
  ASSERT_EQ(feeds->size(), 1u);
  EXPECT_EQ((*feeds)[0].relation, "feeds");
  // Step outputs are referenced, so gc keeps them.
  auto referenced = store_->ReferencedArtifacts();
  ASSERT_TRUE(referenced.ok());
  EXPECT_TRUE(referenced->count(out.steps[0].outputs.at("out").uri));
}

TEST_F(PipelineTest, ACachedStepWhoseBlobIsGoneRunsAgain) {
  RunOutcome first = RunYaml(kDiamond);
  const std::string uri = Step(first, "d").outputs.at("out").uri;
  auto path = artifacts_->PathFor(uri);
  ASSERT_TRUE(path.ok());
  std::filesystem::remove(*path);
  RunOutcome second = RunYaml(kDiamond);
  EXPECT_EQ(State(second, "a"), StepState::kCached);
  EXPECT_EQ(State(second, "d"), StepState::kFinished);
  EXPECT_TRUE(artifacts_->PathFor(uri).ok());  // written again, same content
}

TEST_F(PipelineTest, CachingIsPerProject) {
  RunYaml(kDiamond);
  auto other = store_->projects().Ensure("other");
  ASSERT_TRUE(other.ok());
  ExecutorOptions o = Options();
  o.project_id = other->id;
  o.project = "other";
  RunOutcome out = RunYaml(kDiamond, o);
  for (const StepOutcome& s : out.steps) EXPECT_EQ(s.state, StepState::kFinished);
}

}  // namespace
}  // namespace kiln::pipeline
