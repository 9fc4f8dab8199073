#include "kiln/pipeline/executor.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "kiln/core/strings.h"
#include "kiln/core/thread_pool.h"
#include "kiln/track/process_identity.h"
#include "step_runner.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

std::string_view StepStateName(StepState state) {
  switch (state) {
    case StepState::kPending:
      return track::kStepPending;
    case StepState::kRunning:
      return track::kStepRunning;
    case StepState::kFinished:
      return track::kStepFinished;
    case StepState::kCached:
      return track::kStepCached;
    case StepState::kFailed:
      return track::kStepFailed;
    case StepState::kSkipped:
      return track::kStepSkipped;
    case StepState::kCancelled:
      return track::kStepCancelled;
  }
  return "unknown";
}

namespace {

std::string ParamsJson(const Plan& plan) {
  return plan.params.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Creates the run, its pipeline record, its steps and the lineage run -> step, step -> step.
Status RecordRun(track::MetaStore& store, const Plan& plan, const ExecutorOptions& options,
                 RunShared& shared) {
  const std::string experiment = options.experiment.empty() ? plan.spec.name : options.experiment;
  KILN_ASSIGN_OR_RETURN(track::ExperimentRecord exp,
                        store.projects().EnsureExperiment(options.project_id, experiment));
  const track::ProcessIdentity me = track::CurrentProcess();
  track::NewRun run;
  run.experiment_id = exp.id;
  run.kind = "pipeline";
  run.command = options.command_line;
  run.kiln_version = KILN_VERSION;
  run.host = me.host;
  run.pid = me.pid;
  run.pid_start = me.start_ticks;
  for (const auto& [name, value] : plan.params.values())
    run.params[name] = core::ParamValueToString(value);
  run.tags = {{"pipeline", plan.spec.name}, {"spec_hash", plan.spec_hash}};
  if (options.resume_from) run.tags["resumed_from"] = std::to_string(*options.resume_from);
  KILN_ASSIGN_OR_RETURN(int64_t run_id, store.runs().Create(run));
  shared.services.experiment_id = exp.id;
  shared.services.pipeline_run_id = run_id;

  track::NewPipelineRun pr;
  pr.run_id = run_id;
  pr.pipeline = plan.spec.name;
  pr.spec_path = plan.spec.path;
  pr.spec_text = plan.spec.text;
  pr.spec_hash = plan.spec_hash;
  pr.params_json = ParamsJson(plan);
  pr.resumed_from = options.resume_from;
  pr.schedule_id = options.schedule_id;
  pr.scheduled_ms = options.scheduled_ms;
  KILN_RETURN_IF_ERROR(store.pipelines().CreateRun(pr));

  std::vector<track::PipelineStepRecord> steps;
  for (const PlannedStep& s : plan.steps) {
    track::PipelineStepRecord r;
    r.step = s.name;
    r.component = s.component->name;
    r.component_version = s.component->factory.version;
    steps.push_back(std::move(r));
  }
  KILN_ASSIGN_OR_RETURN(shared.step_ids, store.pipelines().AddSteps(run_id, steps));
  KILN_RETURN_IF_ERROR(store.sql().BeginWrite());
  Status s = [&]() -> Status {
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      const track::LineageNode node{track::kNodePipelineStep, shared.step_ids[i]};
      KILN_RETURN_IF_ERROR(store.lineage().AddEdge({{track::kNodeRun, run_id}, node, "contains"}));
      for (size_t u : plan.steps[i].upstream) {
        KILN_RETURN_IF_ERROR(store.lineage().AddEdge(
            {{track::kNodePipelineStep, shared.step_ids[u]}, node, "feeds"}));
      }
    }
    return Status::Ok();
  }();
  if (!s.ok()) {
    (void)store.sql().Rollback();
    return s;
  }
  return store.sql().Commit();
}

Status LoadResumable(track::MetaStore& store, const Plan& plan, int64_t resume_from,
                     int64_t project_id, RunShared& shared) {
  KILN_ASSIGN_OR_RETURN(track::PipelineRunRecord old, store.pipelines().Get(resume_from));
  KILN_ASSIGN_OR_RETURN(track::ProjectRecord project, store.projects().Find(old.run.project));
  if (project.id != project_id) {
    return core::InvalidArgument("run {} is in project '{}'; resume it with --project {}",
                                 resume_from, old.run.project, old.run.project);
  }
  if (old.pipeline != plan.spec.name) {
    return core::InvalidArgument("run {} is of pipeline '{}', not '{}'", resume_from, old.pipeline,
                                 plan.spec.name);
  }
  for (track::PipelineStepRecord& step : old.steps) {
    if (step.status == track::kStepFinished || step.status == track::kStepCached)
      shared.resumable[step.step] = std::move(step);
  }
  return Status::Ok();
}

// Every step downstream of `index` (transitively) that has not ended yet.
std::vector<size_t> Downstream(const Plan& plan, size_t index) {
  std::vector<size_t> out;
  std::set<size_t> seen;
  std::deque<size_t> queue{index};
  while (!queue.empty()) {
    const size_t cur = queue.front();
    queue.pop_front();
    for (size_t d : plan.steps[cur].downstream) {
      if (seen.insert(d).second) {
        out.push_back(d);
        queue.push_back(d);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<RunOutcome> Executor::Run(const Plan& plan, const ExecutorOptions& options,
                                 ExecutionObserver* observer,
                                 const core::CancellationToken& cancel) {
  const auto start = std::chrono::steady_clock::now();
  std::mutex store_mutex;
  RunShared shared;
  shared.plan = &plan;
  shared.options = &options;
  shared.logger = &logger_;
  shared.observer = observer;
  shared.services.store = &store_;
  shared.services.store_mutex = &store_mutex;
  shared.services.artifacts = &artifacts_;
  shared.services.algorithms = &algorithms_;
  shared.services.project_id = options.project_id;
  shared.services.project = options.project;
  shared.services.pipeline = plan.spec.name;
  shared.services.read_projects = plan.spec.read_projects;
  shared.services.write_projects = plan.spec.write_projects;
  shared.services.workdir = options.workdir;
  shared.services.command_line = options.command_line;
  const int parallel = std::max(1, options.parallel);
  shared.step_threads =
      options.threads > 0 ? options.threads : std::max(1, core::ResolveThreads(0) / parallel);
  const size_t n = plan.steps.size();
  shared.outcomes.resize(n);

  if (options.resume_from) {
    KILN_RETURN_IF_ERROR(
        LoadResumable(store_, plan, *options.resume_from, options.project_id, shared));
  }
  KILN_RETURN_IF_ERROR(RecordRun(store_, plan, options, shared));
  const int64_t run_id = shared.services.pipeline_run_id;
  for (size_t i = 0; i < n; ++i) shared.outcomes[i].step_id = shared.step_ids[i];
  if (observer != nullptr) observer->OnStart(plan, run_id);

  std::vector<size_t> missing(n);
  std::vector<bool> ended(n, false);
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i) {
    missing[i] = plan.steps[i].upstream.size();
    if (missing[i] == 0) ready.insert(i);
  }
  struct Running {
    std::thread thread;
    std::unique_ptr<StepControl> control;
  };
  std::map<size_t, Running> running;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  std::deque<size_t> done;
  size_t ended_count = 0;
  bool cancelling = false;

  auto end_unrun = [&](size_t i, StepState state, const std::string& message) {
    if (ended[i]) return;
    ended[i] = true;
    ++ended_count;
    ready.erase(i);
    RecordUnrun(shared, i, state, message);
  };

  while (ended_count < n) {
    if (cancel.cancelled() && !cancelling) {
      cancelling = true;
      for (auto& [_, r] : running) r.control->CancelAll();
      for (size_t i = 0; i < n; ++i) {
        if (!ended[i] && !running.count(i)) end_unrun(i, StepState::kCancelled, "cancelled");
      }
    }
    while (!cancelling && static_cast<int>(running.size()) < parallel && !ready.empty()) {
      const size_t i = *ready.begin();
      ready.erase(ready.begin());
      Running r;
      r.control = std::make_unique<StepControl>();
      StepControl* control = r.control.get();
      r.thread = std::thread([&shared, &done_mutex, &done_cv, &done, i, control] {
        RunStep(shared, i, *control);
        std::lock_guard<std::mutex> lock(done_mutex);
        done.push_back(i);
        done_cv.notify_one();
      });
      running.emplace(i, std::move(r));
    }
    if (running.empty()) break;  // nothing can start: every remaining step was ended above

    std::deque<size_t> finished;
    {
      std::unique_lock<std::mutex> lock(done_mutex);
      done_cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return !done.empty(); });
      finished.swap(done);
    }
    const auto now = StepControl::Clock::now();
    for (auto& [_, r] : running) r.control->CheckDeadline(now);
    for (size_t i : finished) {
      running[i].thread.join();
      running.erase(i);
      ended[i] = true;
      ++ended_count;
      const StepOutcome& outcome = shared.outcomes[i];
      if (outcome.state == StepState::kFinished || outcome.state == StepState::kCached) {
        for (size_t d : plan.steps[i].downstream) {
          if (--missing[d] == 0 && !ended[d]) ready.insert(d);
        }
        continue;
      }
      for (size_t d : Downstream(plan, i)) {
        if (ended[d] || running.count(d)) continue;
        end_unrun(d, StepState::kSkipped,
                  fmt::format("upstream step '{}' {}", plan.steps[i].name,
                              outcome.state == StepState::kCancelled ? "was cancelled" : "failed"));
      }
    }
  }

  RunOutcome result;
  result.run_id = run_id;
  result.steps = shared.outcomes;
  std::vector<std::string> failures;
  bool killed = false;
  for (size_t i = 0; i < n; ++i) {
    const StepOutcome& o = result.steps[i];
    if (o.state == StepState::kFailed) failures.push_back(plan.steps[i].name + ": " + o.message);
    if (o.state == StepState::kCancelled) killed = true;
  }
  result.status = killed             ? track::kRunKilled
                  : failures.empty() ? track::kRunFinished
                                     : track::kRunFailed;
  std::string message;
  if (killed) {
    message = "cancelled";
  } else if (!failures.empty()) {
    message = "step " + core::Join(failures, "; step ");
  }
  // Step outputs were put without an fsync each; one flush makes them durable before the run
  // is recorded as ended.
  bool wrote = false;
  for (const StepOutcome& o : result.steps) wrote = wrote || o.state == StepState::kFinished;
  if (Status synced = wrote ? artifacts_.SyncAll() : Status::Ok(); !synced.ok())
    logger_.Warn("could not flush the artifact store: {}", synced.ToString());
  KILN_RETURN_IF_ERROR(store_.runs().Finish(run_id, result.status, message));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace kiln::pipeline
