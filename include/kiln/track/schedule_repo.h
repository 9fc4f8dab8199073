// ScheduleRepo: cron schedules of pipelines and the fire times schedulers have claimed. A fire
// time is claimed by inserting its row; the primary key (schedule, fire time) makes the claim
// atomic across processes, so two schedulers (or one restarted) never start the same fire
// twice. Thread-compatible.
// A fire is claimed "started" (or "missed"); the run it started ends it "finished" or "failed".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/sql_connection.h"

namespace kiln::track {

// Fire status values, as stored.
inline constexpr const char* kFireStarted = "started";
inline constexpr const char* kFireFinished = "finished";
inline constexpr const char* kFireMissed = "missed";
inline constexpr const char* kFireFailed = "failed";

struct ScheduleRecord {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string project;
  std::string spec_path;
  std::string workdir;
  std::string pipeline;
  std::string cron;
  std::string params_json = "{}";
  int64_t created_ms = 0;
  int64_t checked_ms = 0;
};

struct FireRecord {
  int64_t schedule_id = 0;
  int64_t fire_ms = 0;
  std::string status;
  std::optional<int64_t> run_id;
  std::string message;
  int64_t claimed_ms = 0;
};

class ScheduleRepo {
 public:
  explicit ScheduleRepo(SqlConnection& db) : db_(db) {}

  // checked_ms starts at created_ms: fire times before the schedule existed are never due.
  core::Result<int64_t> Add(const ScheduleRecord& schedule);
  // kNotFound when the project has no schedule with this id.
  core::Status Remove(int64_t project_id, int64_t schedule_id);
  // One project's schedules, or every project's when project_id is nullopt (the scheduler).
  core::Result<std::vector<ScheduleRecord>> List(std::optional<int64_t> project_id);

  // Claims a fire time with the given status; false when it was claimed before (by anyone).
  core::Result<bool> Claim(int64_t schedule_id, int64_t fire_ms, const std::string& status,
                           const std::string& message = {});
  core::Status SetFireResult(int64_t schedule_id, int64_t fire_ms, const std::string& status,
                             std::optional<int64_t> run_id, const std::string& message);
  // Moves checked_ms forward (never back).
  core::Status SetChecked(int64_t schedule_id, int64_t checked_ms);
  // The newest fires of a schedule, newest first.
  core::Result<std::vector<FireRecord>> Fires(int64_t schedule_id, int64_t limit);

 private:
  SqlConnection& db_;
};

}  // namespace kiln::track
