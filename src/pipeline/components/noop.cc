// noop: does nothing but pass a small report on — for measuring the executor, wiring
// pipelines together and testing failures: it can sleep (cancellably), fail while a file exists,
// or fail its first N attempts (counted in a file).
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "common.h"
#include "kiln/core/file.h"
#include "register.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

class Noop final : public Component {
 public:
  explicit Noop(const core::ParamMap& params) : params_(params) {}

  Status Run(StepContext& step) override {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(params_.GetInt("sleep_ms"));
    while (std::chrono::steady_clock::now() < until) {
      KILN_RETURN_IF_ERROR(step.ctx().CheckCancelled("noop step " + step.step()));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const std::string fail_file = step.ResolvePath(params_.GetString("fail_if_exists"));
    if (!fail_file.empty() && core::FileExists(fail_file))
      return core::Internal("noop step {} failed on purpose: {} exists", step.step(), fail_file);
    if (params_.GetInt("fail_times") > 0) {
      const std::string counter = step.ResolvePath(params_.GetString("counter_file"));
      int64_t count = 0;
      if (core::FileExists(counter)) {
        KILN_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(counter));
        count = std::atoll(text.c_str());
      }
      KILN_RETURN_IF_ERROR(core::WriteFileAtomic(counter, std::to_string(count + 1)));
      if (count < params_.GetInt("fail_times"))
        return core::IoError("noop step {} failed on purpose (attempt {} of the first {})",
                             step.step(), count + 1, params_.GetInt("fail_times"));
    }
    nlohmann::json inputs = nlohmann::json::array();
    for (const Artifact& a : step.Inputs("in")) inputs.push_back(a.uri);
    return step.WriteJson("out", ArtifactType::kReport,
                          {{"value", params_.GetString("value")}, {"inputs", inputs}});
  }

 private:
  core::ParamMap params_;
};

}  // namespace

Status RegisterNoop(ComponentRegistry& registry) {
  core::ParamSpec p("noop");
  p.String("value", "", "any text; written to the report (changing it changes the cache key)");
  p.Int("sleep_ms", 0, "sleep this long before finishing (cancellable)").Min(0);
  p.String("fail_if_exists", "", "fail while this file exists");
  p.Int("fail_times", 0, "fail the first N attempts (counted in counter_file)").Min(0);
  p.String("counter_file", "", "where fail_times counts attempts");
  ComponentFactory f;
  f.category = "util";
  f.inputs = {{"in", ArtifactType::kReport, "reports to wait for", true, true}};
  f.outputs = {{"out", ArtifactType::kReport, "a small report"}};
  f.create = Make<Noop>();
  f.check = [](const core::ParamMap& params) -> Status {
    if (params.GetInt("fail_times") > 0 && params.GetString("counter_file").empty())
      return core::InvalidArgument("fail_times needs counter_file");
    return Status::Ok();
  };
  return Add(registry, "noop", "Do nothing (tests, benchmarks, joining branches)", std::move(p),
             std::move(f));
}

}  // namespace kiln::pipeline
