// Finding what a tracking command names in the session's store and project: a run by id, a
// dataset version by id, path or name, and the lineage node of an entity. Errors say what was
// looked for and where (kNotFound for an unknown run, dataset or model). Private to src/cli.
#pragma once

#include <cstdint>

#include "kiln/cli/tracking_refs.h"
#include "kiln/core/result.h"
#include "kiln/track/records.h"
#include "session.h"

namespace kiln::cli {

// The run with everything logged to it; kNotFound if it does not exist or belongs to another
// project than --project (the message names that project).
core::Result<track::RunRecord> FindRun(Session& session, int64_t run_id);

// A dataset version: by id, else the newest version whose source path is the absolute form of
// `ref.reference` or whose dataset name is `ref.reference`.
core::Result<track::DatasetVersionRecord> FindDataset(Session& session, const EntityRef& ref);

// The lineage node an entity names (a model reference resolves through the registry).
core::Result<track::LineageNode> FindEntity(Session& session, const EntityRef& ref);

}  // namespace kiln::cli
