// kiln run / kiln validate: a YAML pipeline checked (every problem with file:line:column) and
// run by the local executor, recorded in the store.
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"
#include "kiln/pipeline/executor.h"
#include "kiln/pipeline/plan.h"
#include "kiln/pipeline/spec.h"
#include "kiln/track/schedule_repo.h"
#include "pipeline_display.h"

namespace kiln::cli {
namespace {

constexpr const char* kRunExamples = R"(Examples:
  kiln run examples/pipelines/churn.yaml
  kiln run examples/pipelines/churn.yaml -p l2_strong=0.1 --parallel 2
  kiln run examples/pipelines/churn.yaml --no-cache --json
  kiln run examples/pipelines/churn.yaml --project prod

Each step is cached by its component, params and the content of its inputs: an unchanged re-run
reuses every output, and changing one param re-runs that step and what depends on it. After a
failure or Ctrl-C, 'kiln run --resume RUN_ID' re-runs only what failed or never ran.)";

constexpr const char* kValidateExamples = R"(Examples:
  kiln validate examples/pipelines/churn.yaml
  kiln validate examples/pipelines/ctr.yaml -p buckets=1048576 --json)";

core::Result<std::vector<std::pair<std::string, std::string>>> Overrides(
    const std::vector<std::string>& params) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& p : params) {
    KILN_ASSIGN_OR_RETURN(auto kv, core::SplitKeyValue(p));
    out.push_back(std::move(kv));
  }
  return out;
}

core::Result<pipeline::Plan> Load(const std::string& spec_path,
                                  const std::vector<std::string>& params, Session& session) {
  KILN_RETURN_IF_ERROR(CheckInputFile("pipeline", spec_path));
  KILN_ASSIGN_OR_RETURN(pipeline::PipelineSpec spec, pipeline::LoadPipelineSpec(spec_path));
  KILN_ASSIGN_OR_RETURN(const pipeline::ComponentRegistry* components, session.Components());
  KILN_ASSIGN_OR_RETURN(auto overrides, Overrides(params));
  return pipeline::Compile(std::move(spec), *components, overrides);
}

nlohmann::json PlanJson(const pipeline::Plan& plan) {
  nlohmann::json steps = nlohmann::json::array();
  for (const pipeline::PlannedStep& s : plan.steps) {
    nlohmann::json inputs = nlohmann::json::object();
    for (const pipeline::PlannedInput& in : s.inputs) {
      nlohmann::json refs = nlohmann::json::array();
      for (const pipeline::PlannedSource& src : in.sources)
        refs.push_back(plan.steps[src.step].name + "." + src.output);
      inputs[in.port] = std::move(refs);
    }
    steps.push_back({{"name", s.name},
                     {"component", s.component->name},
                     {"params", s.params.ToJson()},
                     {"inputs", inputs},
                     {"outputs", s.outputs},
                     {"cache", s.cache},
                     {"retries", s.retries},
                     {"timeout_seconds", s.timeout_seconds}});
  }
  return {{"pipeline", plan.spec.name},
          {"params", plan.params.ToJson()},
          {"spec_hash", plan.spec_hash},
          {"steps", steps}};
}

nlohmann::json OutcomeJson(const pipeline::Plan& plan, const pipeline::RunOutcome& outcome) {
  nlohmann::json steps = nlohmann::json::array();
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const pipeline::StepOutcome& o = outcome.steps[i];
    nlohmann::json outputs = nlohmann::json::object();
    for (const auto& [port, a] : o.outputs) {
      outputs[port] = {{"type", pipeline::ArtifactTypeName(a.type)},
                       {"uri", a.uri},
                       {"size_bytes", a.size_bytes},
                       {"summary", a.summary}};
    }
    steps.push_back({{"name", plan.steps[i].name},
                     {"component", plan.steps[i].component->name},
                     {"state", pipeline::StepStateName(o.state)},
                     {"attempts", o.attempts},
                     {"seconds", o.seconds},
                     {"message", o.message},
                     {"note", o.note},
                     {"outputs", outputs}});
  }
  return {{"pipeline", plan.spec.name},
          {"run_id", outcome.run_id},
          {"status", outcome.status},
          {"seconds", outcome.seconds},
          {"steps", steps}};
}

// "SCHEDULE:FIRE_MS" from `kiln scheduler`.
core::Result<std::pair<int64_t, int64_t>> ParseFire(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon != std::string::npos) {
    char* end = nullptr;
    const long long id = std::strtoll(text.c_str(), &end, 10);
    const long long ms = std::strtoll(text.c_str() + colon + 1, &end, 10);
    if (id > 0 && ms > 0 && *end == '\0') return std::make_pair(int64_t{id}, int64_t{ms});
  }
  return core::InvalidArgument("--schedule-fire {}: expected SCHEDULE_ID:FIRE_MS", text);
}

}  // namespace

CLI::App* AddValidateCommand(CLI::App& app, ValidateOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "Check a pipeline spec without running it (every problem with file:line)");
  cmd->add_option("pipeline", o.spec, "The pipeline's YAML file")->required()->type_name("FILE");
  cmd->add_option("-p,--param", o.params, "Override a pipeline param: key=value (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_flag("--json", o.json, "Print the validated plan as JSON");
  cmd->footer(kValidateExamples);
  return cmd;
}

core::Status RunValidate(const ValidateOptions& options, Session& session) {
  KILN_ASSIGN_OR_RETURN(pipeline::Plan plan, Load(options.spec, options.params, session));
  auto& out = session.out();
  if (options.json) {
    out << PlanJson(plan).dump(2) << '\n';
    return core::Status::Ok();
  }
  out << fmt::format("{}: pipeline {} is valid: {} steps\n", options.spec, plan.spec.name,
                     plan.steps.size());
  std::vector<std::vector<std::string>> rows{{"STEP", "COMPONENT", "INPUTS"}};
  for (const pipeline::PlannedStep& s : plan.steps) {
    std::vector<std::string> inputs;
    for (const pipeline::PlannedInput& in : s.inputs) {
      for (const pipeline::PlannedSource& src : in.sources)
        inputs.push_back(fmt::format("{}<-{}.{}", in.port, plan.steps[src.step].name, src.output));
    }
    rows.push_back({s.name, s.component->name, inputs.empty() ? "-" : core::Join(inputs, " ")});
  }
  out << FormatTable(rows, true, "  ");
  return core::Status::Ok();
}

CLI::App* AddPipelineRunCommand(CLI::App& app, PipelineRunOptions& o) {
  CLI::App* cmd = app.add_subcommand("run", "Run a pipeline (YAML) of components, with caching");
  cmd->add_option("pipeline", o.spec, "The pipeline's YAML file (optional with --resume)")
      ->type_name("FILE");
  cmd->add_option("-p,--param", o.params, "Override a pipeline param: key=value (repeatable)")
      ->type_name("KEY=VALUE");
  cmd->add_option("--parallel", o.parallel, "Independent steps to run at once [default: 1]")
      ->type_name("N")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--threads", o.threads,
                  "Threads of each step [default: the machine's cores / --parallel]")
      ->type_name("N")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--seed", o.seed, "Seed of every step's random choices [default: 42]")
      ->type_name("N");
  cmd->add_flag("--no-cache", o.no_cache, "Run every step, even when a cached result exists");
  cmd->add_option("--resume", o.resume,
                  "Re-run a pipeline run's failed and never-run steps, reusing what finished")
      ->type_name("RUN_ID")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--experiment", o.experiment,
                  "Experiment the run is recorded in [default: the pipeline's name]")
      ->type_name("NAME");
  cmd->add_flag("--json", o.json, "Print the outcome as JSON instead of step lines");
  cmd->add_option("--schedule-fire", o.schedule_fire, "(set by kiln scheduler)")
      ->group("");  // hidden
  cmd->footer(kRunExamples);
  return cmd;
}

core::Status RunPipelineRun(const PipelineRunOptions& options, Session& session) {
  if (options.spec.empty() && options.resume == 0)
    return core::InvalidArgument("kiln run needs a pipeline file (or --resume RUN_ID)");
  if (!options.experiment.empty())
    KILN_RETURN_IF_ERROR(track::ValidateName("--experiment", options.experiment));
  std::optional<std::pair<int64_t, int64_t>> fire;
  if (!options.schedule_fire.empty()) {
    KILN_ASSIGN_OR_RETURN(fire, ParseFire(options.schedule_fire));
  }
  session.AllowCreatingStore();
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId(/*create=*/true));
  KILN_ASSIGN_OR_RETURN(track::ArtifactStore * artifacts, session.Artifacts());
  KILN_ASSIGN_OR_RETURN(const ml::AlgorithmRegistry* algorithms, session.Registry());

  pipeline::Plan plan;
  if (options.spec.empty()) {
    // The resumed run's own spec and params; -p overrides them.
    KILN_ASSIGN_OR_RETURN(track::PipelineRunRecord old, store->pipelines().Get(options.resume));
    KILN_ASSIGN_OR_RETURN(pipeline::PipelineSpec spec,
                          pipeline::ParsePipelineSpec(old.spec_path, old.spec_text));
    std::vector<std::string> params;
    const nlohmann::json stored = nlohmann::json::parse(old.params_json, nullptr, false);
    if (stored.is_object()) {
      for (const auto& [k, v] : stored.items())
        params.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
    }
    params.insert(params.end(), options.params.begin(), options.params.end());
    KILN_ASSIGN_OR_RETURN(const pipeline::ComponentRegistry* components, session.Components());
    KILN_ASSIGN_OR_RETURN(auto overrides, Overrides(params));
    KILN_ASSIGN_OR_RETURN(plan, pipeline::Compile(std::move(spec), *components, overrides));
  } else {
    KILN_ASSIGN_OR_RETURN(plan, Load(options.spec, options.params, session));
  }

  pipeline::ExecutorOptions exec;
  exec.parallel = options.parallel;
  exec.threads = options.threads;
  exec.seed = options.seed;
  exec.use_cache = !options.no_cache;
  if (options.resume > 0) exec.resume_from = options.resume;
  exec.project_id = project_id;
  exec.project = session.project();
  exec.experiment = options.experiment;
  exec.command_line = session.command_line();
  exec.workdir = std::filesystem::current_path().string();
  if (fire) {
    exec.schedule_id = fire->first;
    exec.scheduled_ms = fire->second;
  }

  std::unique_ptr<PipelineDisplay> display;
  if (!options.json)
    display = std::make_unique<PipelineDisplay>(session.out(), stderr, session.live_terminal());
  pipeline::Executor executor(*algorithms, *store, *artifacts, session.logger());
  core::Result<pipeline::RunOutcome> outcome =
      executor.Run(plan, exec, display.get(), session.cancellation());
  if (display) display->Finish();
  KILN_RETURN_IF_ERROR(outcome.status());
  if (fire) {
    KILN_RETURN_IF_ERROR(store->schedules().SetFireResult(
        fire->first, fire->second,
        outcome->status == track::kRunFinished ? track::kFireFinished : track::kFireFailed,
        outcome->run_id, outcome->status));
  }

  auto& out = session.out();
  if (options.json) {
    out << OutcomeJson(plan, *outcome).dump(2) << '\n';
  } else {
    std::map<pipeline::StepState, size_t> counts;
    for (const pipeline::StepOutcome& o : outcome->steps) ++counts[o.state];
    out << fmt::format("pipeline {} run {} {} in {}: {} ran, {} cached, {} failed, {} skipped{}\n",
                       plan.spec.name, outcome->run_id, outcome->status,
                       FormatSeconds(outcome->seconds), counts[pipeline::StepState::kFinished],
                       counts[pipeline::StepState::kCached], counts[pipeline::StepState::kFailed],
                       counts[pipeline::StepState::kSkipped],
                       counts[pipeline::StepState::kCancelled] > 0
                           ? fmt::format(", {} cancelled", counts[pipeline::StepState::kCancelled])
                           : "");
  }
  if (outcome->status == track::kRunFinished) return core::Status::Ok();
  if (outcome->status == track::kRunKilled)
    return core::Cancelled("pipeline run {} was cancelled; resume it with: kiln run --resume {}",
                           outcome->run_id, outcome->run_id);
  core::StatusCode code = core::StatusCode::kInternal;
  std::vector<std::string> failed;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const pipeline::StepOutcome& o = outcome->steps[i];
    if (o.state != pipeline::StepState::kFailed) continue;
    if (failed.empty()) code = o.code;
    failed.push_back(fmt::format("step {}: {}", plan.steps[i].name, o.message));
  }
  return core::Status(code,
                      fmt::format("pipeline run {} failed: {}; after fixing it, re-run only "
                                  "what failed with: kiln run --resume {}",
                                  outcome->run_id, core::Join(failed, "; "), outcome->run_id));
}

}  // namespace kiln::cli
