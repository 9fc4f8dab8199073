// Agreement helpers over a Collective: every rank learns every rank's outcome, or every rank's
// small values, with one collective call.
//
// AgreeOnStatus is how distributed code keeps errors from hanging a job: after a step that can
// fail on one rank only (reading its shard, a bad value in its rows), every rank calls it with
// its own result, and every rank returns the same Status — OK when every rank succeeded, else the
// error of the lowest failing rank with "rank R of N: " before its message (its context kept).
// So every rank leaves the step together, and every rank reports the same error.
//
// AllGatherStrings exchanges a list of strings per rank (category names, schemas).
//
// Contract: as Collective — every rank calls these in the same order. Failures of the collective
// itself are returned as they are. Thread-safety: as the Collective (its rank's thread only).
#pragma once

#include <string>
#include <vector>

#include "kiln/core/result.h"
#include "kiln/core/status.h"
#include "kiln/dist/collective.h"

namespace kiln::dist {

// `exchanged` (optional) tells the two failures apart: true when the ranks' statuses were
// exchanged (the result is then the same on every rank), false when the collective itself failed
// (then peers may not know: a launcher should end the job).
core::Status AgreeOnStatus(Collective& collective, const core::Status& local,
                           bool* exchanged = nullptr);

// Every rank's `local` strings, indexed by rank.
core::Result<std::vector<std::vector<std::string>>> AllGatherStrings(
    Collective& collective, const std::vector<std::string>& local);

}  // namespace kiln::dist
