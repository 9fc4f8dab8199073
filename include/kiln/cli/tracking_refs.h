// The references the tracking commands take on the command line, parsed without touching the
// store: run ids ("42" or "run:42"), --order-by values ("metric.auc desc") and lineage entities
// ("churn", "churn/3", "churn@production", "run:12", "dataset:7", "dataset:data/train.csv").
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/core/result.h"

namespace kiln::cli {

// "42" or "run:42"; kInvalidArgument naming `what` otherwise.
core::Result<int64_t> ParseRunId(std::string_view text, std::string_view what = "run id");

// An --order-by value: the field ("start", "end", "id", "metric.<key>", "param.<key>") and the
// direction when a trailing "asc" or "desc" word gave one.
struct OrderBy {
  std::string field;
  std::optional<bool> descending;
};
core::Result<OrderBy> ParseOrderBy(std::string_view text);
// The same split into FIELD and an optional asc/desc, without checking FIELD (lists other than
// runs check their own fields).
core::Result<OrderBy> SplitOrderBy(std::string_view text);

enum class EntityKind { kModel, kRun, kDataset };

// A lineage entity. For a model, `reference` is "NAME", "NAME/V" or "NAME@ALIAS" (the registry
// resolves it); for a dataset it is a version id (when `dataset_id` is set) or a path or name.
struct EntityRef {
  EntityKind kind = EntityKind::kModel;
  std::string reference;
  int64_t run_id = 0;
  std::optional<int64_t> dataset_id;
};
core::Result<EntityRef> ParseEntityRef(std::string_view text);

// A dataset reference for `kiln datasets show` and `dataset:` entities: a version id if `text`
// is all digits, else a path or name.
EntityRef DatasetRef(std::string_view text);

}  // namespace kiln::cli
