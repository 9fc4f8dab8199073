// ScheduleClock: decides which fire times of the stored schedules are due. Each tick looks at
// the fire times after a schedule's checked_ms up to now: a fire time within `grace_ms` of now
// is claimed "started" and returned to be run; an older one (the scheduler was not running
// then) is claimed "missed" and reported, never run. Claims are rows with a primary key, so a
// fire time is claimed once however many schedulers tick — none runs twice. Thread-compatible;
// the caller (`kiln scheduler`) runs what is due and records how it ended.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/track/meta_store.h"
#include "kiln/track/schedule_repo.h"

namespace kiln::pipeline {

struct DueFire {
  track::ScheduleRecord schedule;
  int64_t fire_ms = 0;
};

struct TickResult {
  std::vector<DueFire> due;           // claimed "started": run these
  std::vector<DueFire> missed;        // claimed "missed"
  std::vector<std::string> problems;  // schedules whose cron no longer parses, ...
};

class ScheduleClock {
 public:
  ScheduleClock(track::MetaStore& store, int64_t grace_ms) : store_(store), grace_ms_(grace_ms) {}

  core::Result<TickResult> Tick(int64_t now_ms);

 private:
  track::MetaStore& store_;
  int64_t grace_ms_;
};

}  // namespace kiln::pipeline
