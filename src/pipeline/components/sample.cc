// sample: a seeded random subset of the rows — a fraction or a count, with or without
// replacement, optionally keeping the label's class proportions.
#include <algorithm>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "common.h"
#include "kiln/core/random.h"
#include "kiln/data/materialize.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Sample final : public Component {
 public:
  explicit Sample(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    KILN_ASSIGN_OR_RETURN(data::Dataset ds, step.ReadDataset(step.Input("data")));
    const size_t n = ds.num_rows();
    const bool replace = params_.GetBool("replace");
    size_t want = params_.GetInt("rows") > 0
                      ? static_cast<size_t>(params_.GetInt("rows"))
                      : static_cast<size_t>(
                            std::llround(params_.GetDouble("fraction") * static_cast<double>(n)));
    if (!replace && want > n) {
      return core::InvalidArgument(
          "sample: {} rows asked for without replacement, but the data has {}; set replace: true "
          "or ask for fewer",
          want, n);
    }
    if (want == 0) return core::InvalidArgument("sample: the sample would have no rows");
    core::Rng rng(static_cast<uint64_t>(params_.GetInt("seed")));
    std::vector<std::vector<uint32_t>> groups;
    if (params_.GetBool("stratify")) {
      if (ds.label() == nullptr) return core::InvalidArgument("sample: stratify needs a label");
      std::map<std::string, std::vector<uint32_t>> by_class;
      for (size_t r = 0; r < n; ++r)
        by_class[ds.label()->ValueText(r)].push_back(static_cast<uint32_t>(r));
      for (auto& [_, rows] : by_class) groups.push_back(std::move(rows));
    } else {
      groups.emplace_back(n);
      std::iota(groups[0].begin(), groups[0].end(), 0u);
    }
    std::vector<uint32_t> picked;
    for (const std::vector<uint32_t>& g : groups) {
      const size_t k = groups.size() == 1
                           ? want
                           : static_cast<size_t>(std::llround(static_cast<double>(want) *
                                                              static_cast<double>(g.size()) /
                                                              static_cast<double>(n)));
      if (replace) {
        for (size_t i = 0; i < k; ++i) picked.push_back(g[rng.UniformInt(g.size())]);
      } else {
        std::vector<uint32_t> rows = g;
        for (size_t i = 0; i < k && i < rows.size(); ++i) {
          std::swap(rows[i], rows[i + rng.UniformInt(rows.size() - i)]);
          picked.push_back(rows[i]);
        }
      }
    }
    if (!replace) std::sort(picked.begin(), picked.end());
    const data::Dataset out = data::Materialize(data::DatasetView(ds, std::move(picked)));
    step.Note(fmt::format("{} of {} rows", out.num_rows(), n));
    return step.WriteDataset("data", out);
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterSample(ComponentRegistry& registry) {
  core::ParamSpec p("sample");
  p.Double("fraction", 0.1, "share of the rows to keep (when rows is 0)").Min(0, false).Max(10);
  p.Int("rows", 0, "number of rows to keep (0 = use fraction)").Min(0);
  p.Bool("replace", false, "draw with replacement (a bootstrap sample)");
  p.Bool("stratify", false, "keep the label's class proportions");
  p.Int("seed", 42, "seed of the draw").Min(0);
  ComponentFactory f;
  f.category = "data";
  f.inputs = {{"data", ArtifactType::kDataset, "the rows to sample from"}};
  f.outputs = {{"data", ArtifactType::kDataset, "the sample"}};
  f.create = Make<Sample>();
  return Add(registry, "sample", "Keep a seeded random sample of the rows", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
