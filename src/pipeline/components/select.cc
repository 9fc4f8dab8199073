// select: keep some columns or drop some (the label and weights always stay).
#include <fmt/format.h>

#include <set>

#include "common.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Select final : public Component {
 public:
  explicit Select(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    KILN_RETURN_IF_ERROR(RequireDense(ds, "select"));
    const std::vector<std::string> keep = SplitList(params_.GetString("keep"));
    const std::vector<std::string> drop = SplitList(params_.GetString("drop"));
    std::vector<data::Column> columns;
    if (!keep.empty()) {
      KILN_ASSIGN_OR_RETURN(std::vector<size_t> idx, FindColumns(ds, keep, "select keep"));
      for (size_t i : idx) columns.push_back(ds.columns()[i]);
    } else {
      KILN_ASSIGN_OR_RETURN(std::vector<size_t> idx, FindColumns(ds, drop, "select drop"));
      const std::set<size_t> dropped(idx.begin(), idx.end());
      for (size_t i = 0; i < ds.columns().size(); ++i) {
        if (!dropped.count(i)) columns.push_back(ds.columns()[i]);
      }
    }
    if (columns.empty()) return core::InvalidArgument("select: no feature column would be left");
    step.Note(fmt::format("{} of {} columns", columns.size(), ds.columns().size()));
    return step.WriteDataset("data", data::WithColumns(ds, std::move(columns)));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterSelect(ComponentRegistry& registry) {
  core::ParamSpec p("select");
  p.String("keep", "", "columns to keep, comma-separated, in this order");
  p.String("drop", "", "columns to drop, comma-separated");
  ComponentFactory f;
  f.category = "data";
  f.inputs = {{"data", ArtifactType::kDataset, "the rows"}};
  f.outputs = {{"data", ArtifactType::kDataset, "the rows with the chosen columns"}};
  f.create = Make<Select>();
  f.check = [](const core::ParamMap& params) -> Status {
    const bool keep = !params.GetString("keep").empty();
    const bool drop = !params.GetString("drop").empty();
    if (keep == drop) return core::InvalidArgument("give exactly one of 'keep' and 'drop'");
    return Status::Ok();
  };
  return Add(registry, "select", "Keep or drop columns", std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
