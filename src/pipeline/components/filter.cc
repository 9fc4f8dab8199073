// filter: keep the rows where an expression holds (row_expression.h has the language).
#include <fmt/format.h>

#include "common.h"
#include "kiln/data/materialize.h"
#include "register.h"
#include "row_expression.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Filter final : public Component {
 public:
  explicit Filter(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    KILN_ASSIGN_OR_RETURN(RowExpression expr,
                          RowExpression::Compile(params_.GetString("where"), ds));
    std::vector<uint32_t> rows;
    for (size_t r = 0; r < ds.num_rows(); ++r) {
      if (expr.Matches(r)) rows.push_back(static_cast<uint32_t>(r));
      if ((r & 0xffff) == 0) KILN_RETURN_IF_ERROR(step.ctx().CheckCancelled("filter"));
    }
    if (rows.empty() && !params_.GetBool("allow_empty")) {
      return core::DataError(
          "filter: no row matches '{}' (of {}); set allow_empty: true if that is expected",
          params_.GetString("where"), ds.num_rows());
    }
    const size_t kept = rows.size();
    step.Note(fmt::format("{} of {} rows", kept, ds.num_rows()));
    return step.WriteDataset("data", data::Materialize(data::DatasetView(ds, std::move(rows))));
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterFilter(ComponentRegistry& registry) {
  core::ParamSpec p("filter");
  p.String("where", "",
           "the condition, e.g. tenure > 12 and contract != \"Month-to-month\" (and, or, not, "
           "== != < <= > >=, + - * / %, in (...), is [not] null; `quotes` for odd column names)");
  p.Bool("allow_empty", false, "an empty result is not an error");
  ComponentFactory f;
  f.category = "data";
  f.inputs = {{"data", ArtifactType::kDataset, "the rows"}};
  f.outputs = {{"data", ArtifactType::kDataset, "the rows where the condition holds"}};
  f.create = Make<Filter>();
  f.check = [](const core::ParamMap& params) -> Status {
    if (params.GetString("where").empty())
      return core::InvalidArgument("param 'where' is required");
    return Status::Ok();
  };
  return Add(registry, "filter", "Keep the rows where a condition holds", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
