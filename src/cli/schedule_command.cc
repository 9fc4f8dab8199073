// kiln schedule add|list|remove and kiln scheduler: pipelines run on a cron schedule. A
// schedule stores the spec's path (read again at every fire), the directory relative paths start
// from, -p overrides and the cron expression. `kiln scheduler` is the long-running process that
// claims due fire times (each exactly once, even with several schedulers) and runs each as a
// child `kiln run` process, logging to $KILN_HOME/logs; fire times it was not running for are
// reported as missed, never run late.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "kiln/core/file.h"
#include "kiln/core/strings.h"
#include "kiln/pipeline/cron.h"
#include "kiln/pipeline/plan.h"
#include "kiln/pipeline/scheduler.h"
#include "kiln/pipeline/spec.h"
#include "tracking_output.h"

extern char** environ;  // NOLINT: the process environment posix_spawn passes on

namespace kiln::cli {
namespace {

constexpr const char* kScheduleExamples = R"(Examples:
  kiln schedule add examples/pipelines/churn.yaml --cron "0 2 * * *"
  kiln schedule add examples/pipelines/churn.yaml --cron "*/15 * * * *" -p l2_strong=0.1 --project prod
  kiln schedule list

'kiln schedule remove ID' deletes a schedule.

Cron times are UTC: minute hour day-of-month month day-of-week, or six fields with seconds
first; names (mon, jan), ranges, steps (*/15), lists and @daily/@hourly/... work. The spec is
read again at every fire, relative paths in it start from the directory 'schedule add' ran in,
and 'kiln scheduler' must be running for schedules to fire.)";

constexpr const char* kSchedulerExamples = R"(Examples:
  kiln scheduler
  kiln scheduler --grace 300 --max-running 2

Runs until Ctrl-C or SIGTERM, then waits for the pipeline runs it started. Each fire runs as
'kiln run' in the schedule's project and directory, logging to $KILN_HOME/logs/. Fire times more
than --grace seconds in the past when the scheduler sees them (it was stopped) are recorded as
missed and not run.)";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NextText(const std::string& cron) {
  auto parsed = pipeline::CronSchedule::Parse(cron);
  if (!parsed.ok()) return "invalid cron";
  std::optional<int64_t> next = parsed->Next(NowMs());
  return next ? TimeText(*next) : "never";
}

core::Status Add(const ScheduleOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(pipeline::CronSchedule cron, pipeline::CronSchedule::Parse(o.cron));
  KILN_RETURN_IF_ERROR(CheckInputFile("pipeline", o.spec));
  KILN_ASSIGN_OR_RETURN(pipeline::PipelineSpec spec, pipeline::LoadPipelineSpec(o.spec));
  KILN_ASSIGN_OR_RETURN(const pipeline::ComponentRegistry* components, session.Components());
  std::vector<std::pair<std::string, std::string>> overrides;
  nlohmann::json params = nlohmann::json::object();
  for (const std::string& p : o.params) {
    KILN_ASSIGN_OR_RETURN(auto kv, core::SplitKeyValue(p));
    params[kv.first] = kv.second;
    overrides.push_back(std::move(kv));
  }
  KILN_ASSIGN_OR_RETURN(pipeline::Plan plan,
                        pipeline::Compile(std::move(spec), *components, overrides));
  session.AllowCreatingStore();
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId(/*create=*/true));
  track::ScheduleRecord record;
  record.project_id = project_id;
  record.spec_path = AbsolutePath(o.spec);
  record.workdir = std::filesystem::current_path().string();
  record.pipeline = plan.spec.name;
  record.cron = cron.text();
  record.params_json = params.dump();
  KILN_ASSIGN_OR_RETURN(int64_t id, store->schedules().Add(record));
  session.out() << fmt::format(
      "schedule {}: pipeline {} in project {} at '{}' (UTC), next {}; 'kiln scheduler' runs it\n",
      id, plan.spec.name, session.project(), cron.text(), NextText(cron.text()));
  return core::Status::Ok();
}

core::Status List(const ScheduleOptions& o, Session& session) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(std::vector<track::ScheduleRecord> schedules,
                        store->schedules().List(project_id));
  auto& out = session.out();
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{
      {"ID", "PIPELINE", "CRON", "NEXT", "LAST FIRE", "MISSED", "SPEC"}};
  for (const track::ScheduleRecord& s : schedules) {
    KILN_ASSIGN_OR_RETURN(std::vector<track::FireRecord> fires, store->schedules().Fires(s.id, 50));
    size_t missed = 0;
    for (const auto& f : fires) missed += f.status == track::kFireMissed;
    std::string last = "-";
    nlohmann::json fires_json = nlohmann::json::array();
    for (const auto& f : fires) {
      nlohmann::json fj{{"fire_ms", f.fire_ms}, {"status", f.status}, {"message", f.message}};
      fj["run_id"] = f.run_id ? nlohmann::json(*f.run_id) : nlohmann::json();
      fires_json.push_back(std::move(fj));
    }
    if (!fires.empty()) {
      last = fmt::format("{} {}{}", TimeText(fires[0].fire_ms), fires[0].status,
                         fires[0].run_id ? fmt::format(" (run {})", *fires[0].run_id) : "");
    }
    rows.push_back({std::to_string(s.id), s.pipeline, s.cron, NextText(s.cron), last,
                    std::to_string(missed), s.spec_path});
    list.push_back({{"id", s.id},
                    {"pipeline", s.pipeline},
                    {"cron", s.cron},
                    {"spec_path", s.spec_path},
                    {"workdir", s.workdir},
                    {"params", nlohmann::json::parse(s.params_json, nullptr, false)},
                    {"created_ms", s.created_ms},
                    {"next", NextText(s.cron)},
                    {"fires", fires_json}});
  }
  if (o.json) {
    out << list.dump(2) << '\n';
  } else if (schedules.empty()) {
    out << "no schedules in project " << session.project()
        << " (kiln schedule add PIPELINE.yaml --cron ...)\n";
  } else {
    out << FormatTable(rows, true, "  ");
  }
  return core::Status::Ok();
}

// A fire being run by a child `kiln run`.
struct Child {
  pid_t pid = 0;
  pipeline::DueFire fire;
  std::string log;
};

std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

core::Result<Child> Spawn(const pipeline::DueFire& fire, const std::string& store_uri,
                          const std::string& log_dir) {
  std::vector<std::string> args{"kiln",
                                "--store",
                                store_uri,
                                "--project",
                                fire.schedule.project,
                                "run",
                                fire.schedule.spec_path};
  const nlohmann::json params = nlohmann::json::parse(fire.schedule.params_json, nullptr, false);
  if (params.is_object()) {
    for (const auto& [k, v] : params.items()) {
      args.push_back("-p");
      args.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
    }
  }
  args.push_back("--schedule-fire");
  args.push_back(fmt::format("{}:{}", fire.schedule.id, fire.fire_ms));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  Child child;
  child.fire = fire;
  child.log = fmt::format("{}/schedule-{}-{}.log", log_dir, fire.schedule.id, fire.fire_ms);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, child.log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, fire.schedule.workdir.c_str());
  const int rc = posix_spawn(&child.pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return core::IoError("cannot start kiln run for schedule {}: {}", fire.schedule.id,
                         std::strerror(rc));
  return child;
}

}  // namespace

CLI::App* AddScheduleCommand(CLI::App& app, ScheduleOptions& o) {
  CLI::App* cmd = app.add_subcommand("schedule", "Run pipelines on a cron schedule");
  cmd->require_subcommand(1);
  CLI::App* add = cmd->add_subcommand("add", "Schedule a pipeline (validated now)");
  add->add_option("pipeline", o.spec, "The pipeline's YAML file")->required()->type_name("FILE");
  add->add_option("--cron", o.cron, "When to run it, in UTC: \"0 2 * * *\", \"@hourly\", ...")
      ->required()
      ->type_name("EXPR");
  add->add_option("-p,--param", o.params, "Override a pipeline param: key=value (repeatable)")
      ->type_name("KEY=VALUE");
  add->callback([&o] { o.action = ScheduleAction::kAdd; });
  CLI::App* list = cmd->add_subcommand("list", "List the project's schedules and their last fires");
  list->add_flag("--json", o.json, "Print as JSON (with the last 50 fires of each)");
  list->callback([&o] { o.action = ScheduleAction::kList; });
  CLI::App* remove = cmd->add_subcommand("remove", "Remove a schedule");
  remove->add_option("id", o.id, "The schedule's id")->required()->type_name("ID");
  remove->callback([&o] { o.action = ScheduleAction::kRemove; });
  cmd->footer(kScheduleExamples);
  return cmd;
}

core::Status RunSchedule(const ScheduleOptions& options, Session& session) {
  switch (options.action) {
    case ScheduleAction::kAdd:
      return Add(options, session);
    case ScheduleAction::kList:
      return List(options, session);
    case ScheduleAction::kRemove: {
      KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
      KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
      KILN_RETURN_IF_ERROR(store->schedules().Remove(project_id, options.id));
      session.out() << fmt::format("removed schedule {}\n", options.id);
      return core::Status::Ok();
    }
    case ScheduleAction::kNone:
      break;
  }
  return core::Internal("no schedule action");
}

CLI::App* AddSchedulerCommand(CLI::App& app, SchedulerOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "scheduler", "Run scheduled pipelines when they are due (a long-running process)");
  cmd->add_option("--tick", o.tick_seconds, "Seconds between looks at the schedules [default: 1]")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.05, 3600.0));
  cmd->add_option("--grace", o.grace_seconds,
                  "A fire time this many seconds late still runs; older ones are missed "
                  "[default: 60]")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.0, 86400.0 * 365));
  cmd->add_option("--run-for", o.run_for_seconds, "Stop after this many seconds [default: never]")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-running", o.max_running,
                  "Pipeline runs at once; later fires wait for a slot [default: 4]")
      ->type_name("N")
      ->check(CLI::Range(1, 256));
  cmd->footer(kSchedulerExamples);
  return cmd;
}

core::Status RunScheduler(const SchedulerOptions& options, Session& session) {
  session.AllowCreatingStore();
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  const std::string store_uri = session.StoreUri();
  const std::string log_dir = core::KilnHome() + "/logs";
  KILN_RETURN_IF_ERROR(core::CreateDirectories(log_dir));
  pipeline::ScheduleClock clock(*store, static_cast<int64_t>(options.grace_seconds * 1000));
  auto& out = session.out();
  out << fmt::format("scheduler started (store {}, tick {}s, grace {}s); logs in {}\n",
                     track::RedactPassword(store_uri), options.tick_seconds, options.grace_seconds,
                     log_dir);
  out.flush();
  const auto start = std::chrono::steady_clock::now();
  std::deque<pipeline::DueFire> waiting;
  std::vector<Child> running;
  auto reap = [&](bool block) {
    for (size_t i = 0; i < running.size();) {
      int status = 0;
      const pid_t r = ::waitpid(running[i].pid, &status, block ? 0 : WNOHANG);
      if (r == 0) {
        ++i;
        continue;
      }
      const Child& c = running[i];
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (code != 0) {
        const std::string why =
            fmt::format("kiln run exited with {}: {} (log {})", code, LastLine(c.log), c.log);
        core::Status s = store->schedules().SetFireResult(c.fire.schedule.id, c.fire.fire_ms,
                                                          track::kFireFailed, std::nullopt, why);
        if (!s.ok()) session.logger().Warn("could not record the fire: {}", s.ToString());
        out << fmt::format("{} schedule {} ({}): failed: {}\n", TimeText(c.fire.fire_ms),
                           c.fire.schedule.id, c.fire.schedule.pipeline, why);
      } else {
        out << fmt::format("{} schedule {} ({}): finished (log {})\n", TimeText(c.fire.fire_ms),
                           c.fire.schedule.id, c.fire.schedule.pipeline, c.log);
      }
      out.flush();
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  };
  while (!session.cancellation().cancelled()) {
    if (options.run_for_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
            options.run_for_seconds)
      break;
    KILN_ASSIGN_OR_RETURN(pipeline::TickResult tick, clock.Tick(NowMs()));
    for (const std::string& p : tick.problems) out << "warning: " << p << '\n';
    for (const pipeline::DueFire& f : tick.missed) {
      out << fmt::format("{} schedule {} ({}): missed (the scheduler was not running)\n",
                         TimeText(f.fire_ms), f.schedule.id, f.schedule.pipeline);
    }
    for (pipeline::DueFire& f : tick.due) waiting.push_back(std::move(f));
    reap(false);
    while (!waiting.empty() && static_cast<int>(running.size()) < options.max_running) {
      pipeline::DueFire f = std::move(waiting.front());
      waiting.pop_front();
      core::Result<Child> child = Spawn(f, store_uri, log_dir);
      if (!child.ok()) {
        (void)store->schedules().SetFireResult(f.schedule.id, f.fire_ms, track::kFireFailed,
                                               std::nullopt, child.status().ToString());
        out << "error: " << child.status().ToString() << '\n';
        continue;
      }
      out << fmt::format("{} schedule {} ({}): started kiln run (pid {})\n", TimeText(f.fire_ms),
                         f.schedule.id, f.schedule.pipeline, child->pid);
      running.push_back(std::move(*child));
    }
    out.flush();
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(options.tick_seconds * 1000));
    while (std::chrono::steady_clock::now() < until && !session.cancellation().cancelled())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const pipeline::DueFire& f : waiting) {
    (void)store->schedules().SetFireResult(f.schedule.id, f.fire_ms, track::kFireFailed,
                                           std::nullopt, "the scheduler stopped before running it");
  }
  if (!running.empty())
    out << fmt::format("scheduler stopping: waiting for {} pipeline run(s)\n", running.size());
  reap(true);
  out << "scheduler stopped\n";
  return core::Status::Ok();
}

}  // namespace kiln::cli
