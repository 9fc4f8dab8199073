// kiln pipelines runs|show: the recorded pipeline runs, and one run's steps — what ran, what was
// cached (and from where), what failed and why, what each step made.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/strings.h"
#include "tracking_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kPipelinesExamples = R"(Examples:
  kiln pipelines runs
  kiln pipelines runs --pipeline churn --limit 5 --json

'kiln pipelines show RUN_ID' lists a run's steps: status (finished, cached, failed, skipped,
cancelled), attempts, duration, outputs and messages; --json adds cache keys and output URIs.)";

std::map<std::string, size_t> StepCounts(const track::PipelineRunRecord& r) {
  std::map<std::string, size_t> counts;
  for (const track::PipelineStepRecord& s : r.steps) ++counts[s.status];
  return counts;
}

nlohmann::json StepJson(const track::PipelineStepRecord& s) {
  nlohmann::json artifacts = nlohmann::json::object();
  for (const track::PipelineArtifactRecord& a : s.artifacts) {
    artifacts[a.port] = {{"type", a.type},
                         {"uri", a.uri},
                         {"size_bytes", a.size_bytes},
                         {"summary", nlohmann::json::parse(a.summary_json, nullptr, false)}};
  }
  nlohmann::json j{{"id", s.id},
                   {"step", s.step},
                   {"component", s.component},
                   {"component_version", s.component_version},
                   {"status", s.status},
                   {"attempts", s.attempts},
                   {"cache_key", s.cache_key},
                   {"message", s.message},
                   {"outputs", artifacts}};
  j["start_ms"] = s.start_ms ? nlohmann::json(*s.start_ms) : nlohmann::json();
  j["end_ms"] = s.end_ms ? nlohmann::json(*s.end_ms) : nlohmann::json();
  j["cached_from_step"] = s.cached_from ? nlohmann::json(*s.cached_from) : nlohmann::json();
  j["run_id"] = s.run_id ? nlohmann::json(*s.run_id) : nlohmann::json();
  return j;
}

nlohmann::json RunJsonOf(const track::PipelineRunRecord& r, bool steps) {
  nlohmann::json j = RunJson(r.run);
  j["pipeline"] = r.pipeline;
  j["spec_path"] = r.spec_path;
  j["spec_hash"] = r.spec_hash;
  j["params"] = nlohmann::json::parse(r.params_json, nullptr, false);
  j["resumed_from"] = r.resumed_from ? nlohmann::json(*r.resumed_from) : nlohmann::json();
  j["schedule_id"] = r.schedule_id ? nlohmann::json(*r.schedule_id) : nlohmann::json();
  j["step_counts"] = StepCounts(r);
  if (steps) {
    j["steps"] = nlohmann::json::array();
    for (const auto& s : r.steps) j["steps"].push_back(StepJson(s));
  }
  return j;
}

std::string CountsText(const track::PipelineRunRecord& r) {
  std::vector<std::string> parts;
  for (const auto& [status, n] : StepCounts(r)) parts.push_back(fmt::format("{} {}", n, status));
  return core::Join(parts, ", ");
}

}  // namespace

CLI::App* AddPipelinesCommand(CLI::App& app, PipelinesOptions& o) {
  CLI::App* cmd = app.add_subcommand("pipelines", "List pipeline runs, or show one run's steps");
  cmd->require_subcommand(1);
  CLI::App* runs = cmd->add_subcommand("runs", "List pipeline runs, newest first");
  runs->add_option("--pipeline", o.pipeline, "Only runs of this pipeline")->type_name("NAME");
  runs->add_option("--limit", o.limit, "At most this many runs [default: 20]")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  runs->add_flag("--json", o.json, "Print as JSON");
  runs->callback([&o] { o.action = PipelinesAction::kRuns; });
  CLI::App* show = cmd->add_subcommand("show", "Show a pipeline run's steps and outputs");
  show->add_option("run", o.run_id, "The pipeline run's id")->required()->type_name("RUN_ID");
  show->add_flag("--json", o.json, "Print as JSON (with cache keys and every output)");
  show->callback([&o] { o.action = PipelinesAction::kShow; });
  cmd->footer(kPipelinesExamples);
  return cmd;
}

core::Status RunPipelines(const PipelinesOptions& options, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  auto& out = session.out();
  if (options.action == PipelinesAction::kRuns) {
    KILN_ASSIGN_OR_RETURN(std::vector<track::PipelineRunRecord> runs,
                          store->pipelines().List(project_id, options.pipeline, options.limit));
    if (options.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& r : runs) list.push_back(RunJsonOf(r, false));
      out << list.dump(2) << '\n';
      return core::Status::Ok();
    }
    if (runs.empty()) {
      out << "no pipeline runs in project " << session.project() << " (kiln run PIPELINE.yaml)\n";
      return core::Status::Ok();
    }
    std::vector<std::vector<std::string>> rows{
        {"RUN", "PIPELINE", "STATUS", "STARTED", "DURATION", "STEPS"}};
    for (const auto& r : runs) {
      rows.push_back({std::to_string(r.run.id), r.pipeline, r.run.status, TimeText(r.run.start_ms),
                      DurationText(r.run.start_ms, r.run.end_ms), CountsText(r)});
    }
    out << FormatTable(rows, true, "  ");
    return core::Status::Ok();
  }
  KILN_ASSIGN_OR_RETURN(track::PipelineRunRecord r, store->pipelines().Get(options.run_id));
  if (r.run.project != session.project())
    return core::NotFound("pipeline run {} is in project '{}', not '{}' (add --project {})",
                          options.run_id, r.run.project, session.project(), r.run.project);
  if (options.json) {
    out << RunJsonOf(r, true).dump(2) << '\n';
    return core::Status::Ok();
  }
  out << fmt::format("pipeline {} run {}: {}, started {}, took {}\n", r.pipeline, r.run.id,
                     r.run.status, TimeText(r.run.start_ms),
                     DurationText(r.run.start_ms, r.run.end_ms));
  out << fmt::format("spec: {} ({})\n", r.spec_path, r.spec_hash);
  out << fmt::format("params: {}\n", r.params_json);
  if (r.resumed_from) out << fmt::format("resumed from run {}\n", *r.resumed_from);
  if (!r.run.message.empty()) out << "message: " << r.run.message << '\n';
  std::vector<std::vector<std::string>> rows{
      {"STEP", "COMPONENT", "STATUS", "TRIES", "DURATION", "OUTPUTS", "NOTE"}};
  for (const auto& s : r.steps) {
    std::vector<std::string> outputs;
    for (const auto& a : s.artifacts)
      outputs.push_back(fmt::format("{}:{} {}", a.port, a.type, BytesText(a.size_bytes)));
    rows.push_back({s.step, s.component, s.status, std::to_string(s.attempts),
                    s.start_ms ? DurationText(*s.start_ms, s.end_ms) : "-",
                    outputs.empty() ? "-" : core::Join(outputs, ", "),
                    s.message.size() > 120 ? s.message.substr(0, 117) + "..." : s.message});
  }
  out << FormatTable(rows, true, "  ");
  return core::Status::Ok();
}

}  // namespace kiln::cli
