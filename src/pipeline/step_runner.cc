#include "step_runner.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "kiln/core/file.h"
#include "kiln/core/hash.h"
#include "kiln/core/progress.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

void StepControl::BeginAttempt(core::CancellationToken* token,
                               std::optional<Clock::time_point> deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  token_ = token;
  deadline_ = deadline;
  timed_out_ = false;
  if (cancel_all_) token_->Cancel();
}

void StepControl::EndAttempt() {
  std::lock_guard<std::mutex> lock(mu_);
  token_ = nullptr;
  deadline_.reset();
}

void StepControl::CheckDeadline(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (token_ != nullptr && deadline_ && now >= *deadline_ && !timed_out_) {
    timed_out_ = true;
    token_->Cancel();
  }
}

void StepControl::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  cancel_all_ = true;
  if (token_ != nullptr) token_->Cancel();
}

bool StepControl::cancelled_all() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancel_all_;
}

bool StepControl::TimedOut() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timed_out_;
}

void RunShared::Notify(const StepEvent& event) {
  if (observer == nullptr) return;
  std::lock_guard<std::mutex> lock(observer_mutex);
  observer->OnStep(*plan, event);
}

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Status WithStore(RunShared& shared, const std::function<Status(track::MetaStore&)>& fn) {
  std::lock_guard<std::mutex> lock(*shared.services.store_mutex);
  return fn(*shared.services.store);
}

std::vector<track::PipelineArtifactRecord> ArtifactRecords(
    const std::map<std::string, Artifact>& outputs) {
  std::vector<track::PipelineArtifactRecord> out;
  for (const auto& [port, a] : outputs) {
    out.push_back({port, std::string(ArtifactTypeName(a.type)), a.uri, a.size_bytes,
                   a.summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  return out;
}

// The outputs of a recorded step, if every blob is still in the store and every port the plan
// needs is there.
std::optional<std::map<std::string, Artifact>> Reusable(const RunShared& shared,
                                                        const PlannedStep& step,
                                                        const track::PipelineStepRecord& record) {
  std::map<std::string, Artifact> outputs;
  for (const track::PipelineArtifactRecord& a : record.artifacts) {
    // There, and whole: a blob put without fsync can be short after a power loss.
    Result<std::string> path = shared.services.artifacts->PathFor(a.uri);
    if (!path.ok()) return std::nullopt;
    Result<core::FileStat> st = core::StatFile(*path);
    if (!st.ok() || static_cast<int64_t>(st->size) != a.size_bytes) return std::nullopt;
    Result<ArtifactType> type = ParseArtifactType(a.type);
    if (!type.ok()) return std::nullopt;
    Artifact artifact;
    artifact.type = *type;
    artifact.uri = a.uri;
    artifact.size_bytes = a.size_bytes;
    artifact.summary = nlohmann::json::parse(a.summary_json, nullptr, false);
    if (artifact.summary.is_discarded()) artifact.summary = nlohmann::json::object();
    outputs[a.port] = std::move(artifact);
  }
  for (const std::string& port : step.outputs) {
    if (!outputs.count(port)) return std::nullopt;
  }
  const auto& valid = step.component->factory.cache_valid;
  if (valid && !valid(step.params, shared.services, outputs)) return std::nullopt;
  return outputs;
}

Result<std::string> CacheKey(const RunShared& shared, const PlannedStep& step,
                             const std::map<std::string, std::vector<Artifact>>& inputs) {
  nlohmann::json key;
  key["component"] = step.component->name;
  key["version"] = step.component->factory.version;
  key["params"] = step.params.ToJson();
  nlohmann::json in = nlohmann::json::object();
  for (const auto& [port, artifacts] : inputs) {
    nlohmann::json uris = nlohmann::json::array();
    for (const Artifact& a : artifacts) uris.push_back(a.uri);
    in[port] = std::move(uris);
  }
  key["inputs"] = std::move(in);
  if (step.component->factory.external_key) {
    KILN_ASSIGN_OR_RETURN(std::string external,
                          step.component->factory.external_key(step.params, shared.services));
    key["external"] = std::move(external);
  }
  const std::string text = key.dump();
  return fmt::format("{}{}", core::HexDigest(core::Hash64(text)),
                     core::HexDigest(core::Hash64(text, 0x9e3779b97f4a7c15ULL)));
}

// Records a step that reuses `outputs` (from the cache or the resumed run).
void FinishReused(RunShared& shared, size_t index, const std::string& cache_key,
                  const track::PipelineStepRecord& origin, std::map<std::string, Artifact> outputs,
                  const std::string& how, std::chrono::steady_clock::time_point start) {
  StepOutcome& outcome = shared.outcomes[index];
  const int64_t now = NowMs();
  const std::string message =
      fmt::format("{} run {} step {}", how, origin.pipeline_run_id, origin.step);
  track::StepUpdate update;
  update.status = track::kStepCached;
  update.cache_key = cache_key;
  update.start_ms = now;
  update.end_ms = now;
  update.message = message;
  update.cached_from = origin.id;
  outcome.outputs = std::move(outputs);
  Status s = WithStore(shared, [&](track::MetaStore& store) -> Status {
    KILN_RETURN_IF_ERROR(store.pipelines().FinishStep(shared.step_ids[index], update,
                                                      ArtifactRecords(outcome.outputs)));
    return store.lineage().AddEdge({{track::kNodePipelineStep, origin.id},
                                    {track::kNodePipelineStep, shared.step_ids[index]},
                                    "reused_by"});
  });
  if (!s.ok()) {
    outcome.state = StepState::kFailed;
    outcome.message = s.ToString();
  } else {
    outcome.state = StepState::kCached;
    outcome.message = message;
  }
  outcome.seconds = SecondsSince(start);
  shared.Notify({index, outcome.state, 0, outcome.seconds, outcome.message, "", false});
}

// One attempt: the component runs with a Context cancelled by Ctrl-C or the timeout.
Status RunAttempt(RunShared& shared, size_t index,
                  const std::map<std::string, std::vector<Artifact>>& inputs,
                  core::CancellationToken& token, std::map<std::string, Artifact>& outputs,
                  std::string& note, std::optional<int64_t>& run_id) {
  const PlannedStep& step = shared.plan->steps[index];
  core::NullProgressReporter progress;
  core::Context ctx({shared.step_threads, shared.options->seed}, shared.logger, &progress, &token);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Component> component,
                        step.component->factory.create(step.params));
  StepContext sc(shared.services, step.name, shared.step_ids[index], step.params, inputs, ctx);
  Status s;
  try {
    s = component->Run(sc);
  } catch (const std::exception& e) {
    s = core::Internal("component {} threw: {}", step.component->name, e.what());
  }
  if (s.ok() && token.cancelled()) s = core::Cancelled("step '{}' was cancelled", step.name);
  if (!s.ok()) return s;
  for (const std::string& port : step.outputs) {
    if (!sc.outputs().count(port))
      return core::Internal("component {} did not write its output '{}'", step.component->name,
                            port);
  }
  outputs = sc.outputs();
  note = sc.note();
  run_id = sc.run_id();
  return Status::Ok();
}

}  // namespace

void RecordUnrun(RunShared& shared, size_t index, StepState state, const std::string& message) {
  StepOutcome& outcome = shared.outcomes[index];
  outcome.state = state;
  outcome.message = message;
  track::StepUpdate update;
  update.status = std::string(StepStateName(state));
  update.end_ms = NowMs();
  update.message = message;
  Status s = WithStore(shared, [&](track::MetaStore& store) {
    return store.pipelines().UpdateStep(shared.step_ids[index], update);
  });
  if (!s.ok()) shared.logger->Warn("could not record step {}: {}", index, s.ToString());
  shared.Notify({index, state, 0, 0, message, "", false});
}

void RunStep(RunShared& shared, size_t index, StepControl& control) {
  const PlannedStep& step = shared.plan->steps[index];
  StepOutcome& outcome = shared.outcomes[index];
  const auto start = std::chrono::steady_clock::now();
  auto fail = [&](StepState state, const Status& why, int attempts) {
    std::string message = why.ToString();
    outcome.state = state;
    outcome.code = why.code();
    outcome.message = std::move(message);
    outcome.attempts = attempts;
    outcome.seconds = SecondsSince(start);
    track::StepUpdate update;
    update.status = std::string(StepStateName(state));
    update.attempts = attempts;
    update.end_ms = NowMs();
    update.message = outcome.message;
    Status s = WithStore(shared, [&](track::MetaStore& store) {
      return store.pipelines().UpdateStep(shared.step_ids[index], update);
    });
    if (!s.ok()) shared.logger->Warn("could not record step {}: {}", step.name, s.ToString());
    shared.Notify({index, state, attempts, outcome.seconds, outcome.message, "", false});
  };

  std::map<std::string, std::vector<Artifact>> inputs;
  for (const PlannedInput& in : step.inputs) {
    for (const PlannedSource& src : in.sources)
      inputs[in.port].push_back(shared.outcomes[src.step].outputs.at(src.output));
  }
  Result<std::string> key = CacheKey(shared, step, inputs);
  if (!key.ok()) return fail(StepState::kFailed, key.status(), 0);

  if (auto it = shared.resumable.find(step.name);
      it != shared.resumable.end() && it->second.cache_key == *key) {
    if (auto outputs = Reusable(shared, step, it->second)) {
      return FinishReused(shared, index, *key, it->second, std::move(*outputs), "resumed from",
                          start);
    }
  }
  if (shared.options->use_cache && step.cache) {
    std::optional<track::PipelineStepRecord> hit;
    Status s = WithStore(shared, [&](track::MetaStore& store) -> Status {
      KILN_ASSIGN_OR_RETURN(hit, store.pipelines().FindCached(shared.services.project_id, *key));
      return Status::Ok();
    });
    if (!s.ok()) return fail(StepState::kFailed, s, 0);
    if (hit) {
      if (auto outputs = Reusable(shared, step, *hit)) {
        return FinishReused(shared, index, *key, *hit, std::move(*outputs), "cached from", start);
      }
    }
  }

  for (int attempt = 1;; ++attempt) {
    if (control.cancelled_all())
      return fail(StepState::kCancelled, core::Cancelled("cancelled before it finished"),
                  attempt - 1);
    track::StepUpdate running;
    running.status = track::kStepRunning;
    running.cache_key = *key;
    running.attempts = attempt;
    if (attempt == 1) running.start_ms = NowMs();
    Status recorded = WithStore(shared, [&](track::MetaStore& store) {
      return store.pipelines().UpdateStep(shared.step_ids[index], running);
    });
    if (!recorded.ok()) return fail(StepState::kFailed, recorded, attempt - 1);
    const auto attempt_start = std::chrono::steady_clock::now();
    shared.Notify({index, StepState::kRunning, attempt, 0, "", "", false});

    core::CancellationToken token;
    std::optional<StepControl::Clock::time_point> deadline;
    if (step.timeout_seconds > 0) {
      deadline = attempt_start + std::chrono::duration_cast<StepControl::Clock::duration>(
                                     std::chrono::duration<double>(step.timeout_seconds));
    }
    control.BeginAttempt(&token, deadline);
    std::map<std::string, Artifact> outputs;
    std::string note;
    std::optional<int64_t> run_id;
    Status s = RunAttempt(shared, index, inputs, token, outputs, note, run_id);
    const bool timed_out = control.TimedOut();
    control.EndAttempt();

    if (s.ok()) {
      outcome.outputs = std::move(outputs);
      outcome.note = note;
      outcome.attempts = attempt;
      outcome.seconds = SecondsSince(start);
      track::StepUpdate done;
      done.status = track::kStepFinished;
      done.attempts = attempt;
      done.end_ms = NowMs();
      done.message = note;
      done.run_id = run_id;
      Status fs = WithStore(shared, [&](track::MetaStore& store) {
        return store.pipelines().FinishStep(shared.step_ids[index], done,
                                            ArtifactRecords(outcome.outputs));
      });
      if (!fs.ok()) return fail(StepState::kFailed, fs, attempt);
      outcome.state = StepState::kFinished;
      shared.Notify(
          {index, StepState::kFinished, attempt, SecondsSince(attempt_start), "", note, false});
      return;
    }
    if (control.cancelled_all())
      return fail(StepState::kCancelled, core::Cancelled("cancelled"), attempt);
    const std::string message =
        timed_out
            ? fmt::format("timed out after {}s (timeout: {}s)",
                          std::round(SecondsSince(attempt_start) * 10) / 10, step.timeout_seconds)
            : s.ToString();
    if (attempt > step.retries)
      return fail(StepState::kFailed,
                  timed_out ? core::ResourceExhausted("{}", message) : Status(s.code(), message),
                  attempt);
    const double delay = std::min(600.0, step.retry_delay_seconds * std::pow(2.0, attempt - 1));
    shared.Notify({index, StepState::kFailed, attempt, SecondsSince(attempt_start),
                   fmt::format("{}; retrying in {}s", message, delay), "", true});
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<StepControl::Clock::duration>(
                                               std::chrono::duration<double>(delay));
    while (std::chrono::steady_clock::now() < until && !control.cancelled_all())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace kiln::pipeline
