#include "kiln/pipeline/scheduler.h"

#include <fmt/format.h>

#include "kiln/pipeline/cron.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

Result<TickResult> ScheduleClock::Tick(int64_t now_ms) {
  TickResult result;
  KILN_ASSIGN_OR_RETURN(std::vector<track::ScheduleRecord> schedules,
                        store_.schedules().List(std::nullopt));
  for (const track::ScheduleRecord& s : schedules) {
    Result<CronSchedule> cron = CronSchedule::Parse(s.cron);
    if (!cron.ok()) {
      result.problems.push_back(fmt::format("schedule {}: {}", s.id, cron.status().message()));
      continue;
    }
    // At most a year of missed fire times is listed one by one; beyond that, one report.
    int listed = 0;
    for (std::optional<int64_t> t = cron->Next(s.checked_ms); t && *t <= now_ms;
         t = cron->Next(*t)) {
      const bool late = now_ms - *t > grace_ms_;
      if (late && ++listed > 1000) {
        result.problems.push_back(fmt::format(
            "schedule {}: more than 1000 fire times were missed; the rest are skipped", s.id));
        break;
      }
      KILN_ASSIGN_OR_RETURN(
          bool claimed,
          store_.schedules().Claim(
              s.id, *t, late ? track::kFireMissed : track::kFireStarted,
              late ? fmt::format("the scheduler was not running within {} s of the fire time",
                                 grace_ms_ / 1000)
                   : std::string()));
      if (!claimed) continue;  // another scheduler has it
      (late ? result.missed : result.due).push_back({s, *t});
    }
    KILN_RETURN_IF_ERROR(store_.schedules().SetChecked(s.id, now_ms));
  }
  return result;
}

}  // namespace kiln::pipeline
