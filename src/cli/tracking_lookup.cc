#include "tracking_lookup.h"

#include <filesystem>

namespace kiln::cli {

core::Result<track::RunRecord> FindRun(Session& session, int64_t run_id) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  auto run = store->runs().Get(run_id);
  if (!run.ok()) {
    if (run.status().code() == core::StatusCode::kNotFound) {
      return core::NotFound("run {} does not exist in {} ('kiln runs list' shows the runs)", run_id,
                            store->description());
    }
    return run.status();
  }
  if (run->project != session.project()) {
    return core::NotFound("run {} is in project '{}', not in '{}' (add --project {})", run_id,
                          run->project, session.project(), run->project);
  }
  return run;
}

core::Result<track::DatasetVersionRecord> FindDataset(Session& session, const EntityRef& ref) {
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  if (ref.dataset_id) {
    auto version = store->datasets().GetVersion(*ref.dataset_id);
    if (version.ok() && version->project_id != project_id) {
      return core::NotFound("dataset version {} is not in project '{}' (see --project)",
                            *ref.dataset_id, session.project());
    }
    if (version.ok() || version.status().code() != core::StatusCode::kNotFound) return version;
    return core::NotFound(
        "dataset version {} does not exist in {} ('kiln datasets list' shows "
        "them)",
        *ref.dataset_id, store->description());
  }
  // A path names the dataset by its absolute form; anything else may be a dataset name.
  for (const std::string& key : {AbsolutePath(ref.reference), ref.reference}) {
    KILN_ASSIGN_OR_RETURN(std::vector<track::DatasetVersionRecord> found,
                          store->datasets().Find(project_id, key));
    if (!found.empty()) return found.front();
  }
  return core::NotFound(
      "no dataset in project '{}' has the path or name '{}' (expected a dataset version id, a "
      "file that a tracked run read, or a dataset name; 'kiln datasets list' shows them)",
      session.project(), ref.reference);
}

core::Result<track::LineageNode> FindEntity(Session& session, const EntityRef& ref) {
  switch (ref.kind) {
    case EntityKind::kRun: {
      KILN_ASSIGN_OR_RETURN(track::RunRecord run, FindRun(session, ref.run_id));
      return track::LineageNode{track::kNodeRun, run.id};
    }
    case EntityKind::kDataset: {
      KILN_ASSIGN_OR_RETURN(track::DatasetVersionRecord version, FindDataset(session, ref));
      return track::LineageNode{track::kNodeDatasetVersion, version.id};
    }
    case EntityKind::kModel:
      break;
  }
  KILN_ASSIGN_OR_RETURN(track::MetaStore * store, session.Store());
  KILN_ASSIGN_OR_RETURN(int64_t project_id, session.ProjectId());
  KILN_ASSIGN_OR_RETURN(track::ModelVersionRecord version,
                        store->registry().Resolve(project_id, ref.reference));
  return track::LineageNode{track::kNodeModelVersion, version.id};
}

}  // namespace kiln::cli
