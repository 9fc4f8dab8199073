// ProcessIdentity: who is running a tracked run — host, pid and the process's start time — so a
// later `kiln` can tell a run whose process died (crash, kill -9) from one still going, even if
// the pid was reused.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::track {

struct ProcessIdentity {
  std::string host;
  int64_t pid = 0;
  int64_t start_ticks = 0;  // /proc/<pid>/stat field 22 (clock ticks since boot)
};

ProcessIdentity CurrentProcess();
// True if `pid` is running and started at `start_ticks` (0 = do not compare start times).
bool IsProcessAlive(int64_t pid, int64_t start_ticks);

}  // namespace kiln::track
