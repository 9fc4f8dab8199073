// split: rows into train and test — at random, stratified by the label (class proportions kept
// on both sides), or by a column that says which side a row belongs to.
#include <fmt/format.h>

#include "common.h"
#include "kiln/data/materialize.h"
#include "kiln/data/split.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Split final : public Component {
 public:
  explicit Split(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    const std::string& method = params_.GetString("method");
    data::Dataset train, test;
    if (method == "column") {
      KILN_RETURN_IF_ERROR(ByColumn(ds, train, test));
    } else {
      if (method == "stratified" && ds.label() == nullptr)
        return core::InvalidArgument("split: method stratified needs a label; the data has none");
      data::SplitOptions o;
      o.test_fraction = params_.GetDouble("test_fraction");
      o.seed = static_cast<uint64_t>(params_.GetInt("seed"));
      o.stratify = method == "stratified";
      o.shuffle = params_.GetBool("shuffle");
      KILN_ASSIGN_OR_RETURN(auto views, data::TrainTestSplit(data::DatasetView(ds), o));
      train = data::Materialize(views.first);
      test = data::Materialize(views.second);
    }
    KILN_RETURN_IF_ERROR(step.WriteDataset("train", train));
    KILN_RETURN_IF_ERROR(step.WriteDataset("test", test));
    step.Note(fmt::format("{} train / {} test rows", train.num_rows(), test.num_rows()));
    return Status::Ok();
  }

 private:
  Status ByColumn(const data::Dataset& ds, data::Dataset& train, data::Dataset& test) const {
    KILN_RETURN_IF_ERROR(RequireDense(ds, "split by column"));
    const std::string& name = params_.GetString("column");
    KILN_ASSIGN_OR_RETURN(std::vector<size_t> idx, FindColumns(ds, {name}, "split"));
    const data::Column& col = ds.columns()[idx[0]];
    const std::string& test_value = params_.GetString("test_value");
    std::vector<uint32_t> train_rows, test_rows;
    for (size_t r = 0; r < ds.num_rows(); ++r) {
      if (col.IsMissing(r))
        return core::DataError("split: {} has no value in column '{}'", ds.Where(r), name);
      (col.ValueText(r) == test_value ? test_rows : train_rows).push_back(static_cast<uint32_t>(r));
    }
    if (test_rows.empty() || train_rows.empty()) {
      return core::DataError(
          "split: column '{}' puts every row on the {} side (rows whose value is "
          "'{}' go to test)",
          name, test_rows.empty() ? "train" : "test", test_value);
    }
    std::vector<data::Column> keep;
    for (size_t i = 0; i < ds.columns().size(); ++i) {
      if (i != idx[0]) keep.push_back(ds.columns()[i]);
    }
    const data::Dataset without = data::WithColumns(ds, std::move(keep));
    train = data::Materialize(data::DatasetView(without, std::move(train_rows)));
    test = data::Materialize(data::DatasetView(without, std::move(test_rows)));
    return Status::Ok();
  }

  core::ParamMap params_;
};

}  // namespace

Status RegisterSplit(ComponentRegistry& registry) {
  core::ParamSpec p("split");
  p.Choice("method", "random", {"random", "stratified", "column"},
           "random; stratified keeps the label's class proportions; column uses a column's value");
  p.Double("test_fraction", 0.2, "share of rows that go to test (random, stratified)")
      .Min(0, false)
      .Max(1, false);
  p.Int("seed", 42, "seed of the shuffle").Min(0);
  p.Bool("shuffle", true, "shuffle before splitting (false: the last rows are the test rows)");
  p.String("column", "", "method column: the column that says which side a row is on (dropped)");
  p.String("test_value", "test", "method column: rows with this value go to test");
  ComponentFactory f;
  f.category = "data";
  f.inputs = {{"data", ArtifactType::kDataset, "the rows to split"}};
  f.outputs = {{"train", ArtifactType::kDataset, "the training rows"},
               {"test", ArtifactType::kDataset, "the test rows"}};
  f.create = Make<Split>();
  f.check = [](const core::ParamMap& params) -> Status {
    if (params.GetString("method") == "column" && params.GetString("column").empty())
      return core::InvalidArgument("method column needs param 'column'");
    return Status::Ok();
  };
  return Add(registry, "split", "Split rows into train and test sets", std::move(p), std::move(f));
}

}  // namespace kiln::pipeline
