// kiln gc: deletes the blobs (model files kept by tracking) that no record refers to any more,
// after a grace period that protects blobs a running command has stored but not yet recorded.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kiln/cli/format.h"
#include "tracking_output.h"

namespace kiln::cli {
namespace {

constexpr const char* kGcExamples = R"(Examples:
  kiln gc --dry-run
  kiln gc
  kiln gc --min-age 600 --json

Referenced blobs are those a model version or a run artifact points at, in any project of the
store. Deleting runs ('kiln runs delete') and models ('kiln models delete') is what leaves
blobs unreferenced. A blob is stored just before the record that points at it is written, so
blobs younger than --min-age are kept; below 60 s, a concurrent 'kiln train' could lose its
model, and --force is required.)";

}  // namespace

CLI::App* AddGcCommand(CLI::App& app, GcCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "gc", "Delete stored files (blobs) that no run or model version refers to any more");
  cmd->add_flag("--dry-run", o.dry_run, "Only print what would be deleted");
  cmd->add_option("--min-age", o.min_age_seconds,
                  "Keep blobs and temp files younger than this, in seconds [default: 3600]")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--force", o.force,
                "Allow --min-age below 60 s (only when no other kiln command is running)");
  cmd->add_flag("--json", o.json,
                "Print {dry_run, deleted: [{uri, size, mtime_ms}], bytes, kept, kept_young, "
                "removed_temp_files} as JSON");
  cmd->footer(kGcExamples);
  return cmd;
}

core::Status RunGc(const GcCommandOptions& options, Session& session) {
  if (options.min_age_seconds < 60 && !options.force && !options.dry_run) {
    return core::InvalidArgument(
        "--min-age {}: expected at least 60 s, so that a blob a running 'kiln train' has just "
        "stored is not deleted before its model version is recorded; add --force if no other "
        "kiln command is running",
        options.min_age_seconds);
  }
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(track::ArtifactStore * artifacts, session.Artifacts());
  track::GcOptions gc;
  gc.dry_run = options.dry_run;
  gc.min_age_seconds = options.min_age_seconds;
  KILN_ASSIGN_OR_RETURN(
      track::GcReport report,
      artifacts->CollectGarbage([store] { return store->ReferencedArtifacts(); }, gc));
  auto& out = session.out();
  if (options.json) {
    nlohmann::json j;
    j["dry_run"] = options.dry_run;
    j["deleted"] = nlohmann::json::array();
    for (const auto& blob : report.deleted) {
      j["deleted"].push_back({{"uri", blob.uri}, {"size", blob.size}, {"mtime_ms", blob.mtime_ms}});
    }
    j["bytes"] = report.bytes;
    j["kept"] = report.kept;
    j["kept_young"] = report.kept_young;
    j["removed_temp_files"] = report.removed_temp_files;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return core::Status::Ok();
  }
  const char* verb = options.dry_run ? "would delete" : "deleted";
  for (const auto& blob : report.deleted) {
    out << fmt::format("{} {} ({}, {})\n", verb, blob.uri, BytesText(blob.size),
                       TimeText(blob.mtime_ms));
  }
  for (const auto& file : report.removed_temp_files) {
    out << fmt::format("{} temp file {}\n", verb, file);
  }
  out << fmt::format("{} {} ({}) in {}; kept {} referenced and {} younger than {}s\n", verb,
                     Plural(report.deleted.size(), "blob"), BytesText(report.bytes),
                     artifacts->root(), report.kept, report.kept_young, options.min_age_seconds);
  return core::Status::Ok();
}

}  // namespace kiln::cli
