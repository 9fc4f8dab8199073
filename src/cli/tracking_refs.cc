#include "kiln/cli/tracking_refs.h"

#include <charconv>

#include "kiln/core/strings.h"

namespace kiln::cli {
namespace {

std::optional<int64_t> ParsePositive(std::string_view digits) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

core::Result<int64_t> ParseRunId(std::string_view text, std::string_view what) {
  std::string_view digits = core::Trim(text);
  if (digits.starts_with("run:")) digits.remove_prefix(4);
  if (std::optional<int64_t> id = ParsePositive(digits)) return *id;
  return core::InvalidArgument("invalid {} '{}': expected a run number such as 42 or run:42", what,
                               text);
}

core::Result<OrderBy> SplitOrderBy(std::string_view text) {
  OrderBy order;
  std::string_view rest = core::Trim(text);
  const size_t space = rest.find_last_of(" \t");
  if (space != std::string_view::npos) {
    const std::string word = core::ToLower(rest.substr(space + 1));
    if (word != "asc" && word != "desc") {
      return core::InvalidArgument(
          "invalid --order-by '{}': expected FIELD or 'FIELD asc|desc', found '{}' after the "
          "field",
          text, rest.substr(space + 1));
    }
    order.descending = word == "desc";
    rest = core::Trim(rest.substr(0, space));
  }
  order.field = std::string(rest);
  return order;
}

core::Result<OrderBy> ParseOrderBy(std::string_view text) {
  KILN_ASSIGN_OR_RETURN(OrderBy order, SplitOrderBy(text));
  const bool keyed = order.field.starts_with("metric.") || order.field.starts_with("param.");
  const bool plain = order.field == "start" || order.field == "end" || order.field == "id";
  if ((!keyed && !plain) || (keyed && order.field.back() == '.')) {
    return core::InvalidArgument(
        "invalid --order-by '{}': expected start, end, id, metric.NAME or param.NAME, "
        "optionally followed by asc or desc",
        text);
  }
  return order;
}

EntityRef DatasetRef(std::string_view text) {
  EntityRef ref;
  ref.kind = EntityKind::kDataset;
  ref.reference = std::string(text);
  ref.dataset_id = ParsePositive(text);
  return ref;
}

core::Result<EntityRef> ParseEntityRef(std::string_view text) {
  const std::string_view trimmed = core::Trim(text);
  if (trimmed.starts_with("run:")) {
    KILN_ASSIGN_OR_RETURN(int64_t id, ParseRunId(trimmed, "lineage entity"));
    EntityRef ref;
    ref.kind = EntityKind::kRun;
    ref.reference = std::string(trimmed);
    ref.run_id = id;
    return ref;
  }
  if (trimmed.starts_with("dataset:")) {
    const std::string_view rest = trimmed.substr(8);
    if (rest.empty()) {
      return core::InvalidArgument(
          "invalid lineage entity '{}': expected dataset:ID or "
          "dataset:PATH",
          text);
    }
    return DatasetRef(rest);
  }
  std::string_view model = trimmed;
  if (model.starts_with("model:")) model.remove_prefix(6);
  if (model.empty() || model.find(':') != std::string_view::npos) {
    return core::InvalidArgument(
        "invalid lineage entity '{}': expected a model (NAME, NAME/VERSION, NAME@ALIAS), "
        "run:ID or dataset:ID|PATH",
        text);
  }
  EntityRef ref;
  ref.kind = EntityKind::kModel;
  ref.reference = std::string(model);
  return ref;
}

}  // namespace kiln::cli
