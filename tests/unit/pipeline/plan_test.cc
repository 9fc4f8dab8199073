#include <gtest/gtest.h>

#include "pipeline_test_util.h"

namespace kiln::pipeline {
namespace {

using testing::PipelineTest;

class PlanTest : public PipelineTest {
 protected:
  // The error text of a spec that must not compile.
  std::string Error(const std::string& yaml,
                    std::vector<std::pair<std::string, std::string>> overrides = {}) {
    auto plan = CompileYaml(yaml, std::move(overrides));
    EXPECT_FALSE(plan.ok()) << "compiled:\n" << yaml;
    return plan.ok() ? std::string() : plan.status().ToString();
  }
};

constexpr const char* kChain = R"(name: chain
params:
  v: x
  n: {type: int, default: 3, min: 1, max: 10}
steps:
  a:
    component: noop
    params: {value: "${params.v}-a"}
  b:
    component: noop
    inputs:
      in: ${steps.a.outputs.out}
  c:
    component: noop
    inputs:
      in:
        - ${steps.a.outputs.out}
        - ${steps.b.outputs.out}
    params:
      sleep_ms: ${params.n}
)";

TEST_F(PlanTest, ValidSpecCompilesInTopologicalOrder) {
  auto plan = CompileYaml(kChain);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->steps.size(), 3u);
  EXPECT_EQ(plan->steps[0].name, "a");
  EXPECT_EQ(plan->steps[2].name, "c");
  EXPECT_EQ(plan->steps[2].inputs[0].sources.size(), 2u);
  EXPECT_EQ(plan->steps[0].params.GetString("value"), "x-a");  // interpolated into text
  EXPECT_EQ(plan->steps[2].params.GetInt("sleep_ms"), 3);      // a whole reference keeps its type
  EXPECT_EQ(plan->steps[0].downstream, (std::vector<size_t>{1, 2}));
}

TEST_F(PlanTest, OverridesReplaceDefaultsAndAreChecked) {
  auto plan = CompileYaml(kChain, {{"v", "y"}, {"n", "7"}});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->steps[0].params.GetString("value"), "y-a");
  EXPECT_EQ(plan->steps[2].params.GetInt("sleep_ms"), 7);
  EXPECT_NE(Error(kChain, {{"n", "11"}}).find("n"), std::string::npos);
  const std::string unknown = Error(kChain, {{"vv", "1"}});
  EXPECT_NE(unknown.find("unknown parameter 'vv'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("did you mean 'v'"), std::string::npos) << unknown;
}

TEST_F(PlanTest, MalformedYamlNamesLineAndColumn) {
  const std::string e = Error("name: x\nsteps:\n  a: [unclosed\n");
  EXPECT_NE(e.find("p.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
}

TEST_F(PlanTest, ShapeErrorsPointAtTheirLines) {
  const std::string e = Error(R"(name: x
stepz: {}
steps:
  a:
    component: noop
    retries: many
    timeout: soon
  b: just text
)");
  EXPECT_NE(e.find("p.yaml:2:1: pipeline: unknown key 'stepz' (did you mean 'steps'?)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("p.yaml:6:14: step 'a' retries: expected an integer"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:7:14: step 'a' timeout: expected a duration"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:8:6: step 'b': expected a mapping"), std::string::npos) << e;
  EXPECT_NE(e.find("4 problems"), std::string::npos) << e;
}

TEST_F(PlanTest, UnknownComponentIsNotFoundWithItsLocation) {
  auto plan = CompileYaml("name: x\nsteps:\n  a:\n    component: nop\n");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(plan.status().message().find("p.yaml:4:16: step 'a': unknown component 'nop' (did "
                                         "you mean 'noop'?)"),
            std::string::npos)
      << plan.status().ToString();
}

TEST_F(PlanTest, UnknownParamAndBadValueSayWhatIsAllowed) {
  const std::string e = Error(R"(name: x
steps:
  r:
    component: read
    params: {path: f.csv, lable: y}
  s:
    component: split
    inputs:
      data: ${steps.r.outputs.data}
    params:
      test_fraction: 1.5
      method: sideways
)");
  EXPECT_NE(e.find("p.yaml:5:27: step 'r': unknown param 'lable' for component read (did you "
                   "mean 'label'?)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("p.yaml:11:7: step 's':"), std::string::npos) << e;
  EXPECT_NE(e.find("(0, 1)"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:12:7: step 's':"), std::string::npos) << e;
  EXPECT_NE(e.find("random, stratified, column"), std::string::npos) << e;
}

TEST_F(PlanTest, InputProblems) {
  const std::string e = Error(R"(name: x
steps:
  r:
    component: read
    params: {path: f.csv}
  t:
    component: train.logistic_regression
    inputs:
      training: ${steps.r.outputs.data}
  e:
    component: evaluate
    inputs:
      model: ${steps.r.outputs.data}
      data: ${steps.rr.outputs.data}
  p:
    component: predict
    inputs:
      model: ${steps.t.outputs.modle}
      data: ["${steps.r.outputs.data}"]
  s:
    component: standardize
    inputs:
      data: ${steps.r.outputs.data}
  u:
    component: evaluate
    inputs:
      model: ${steps.t.outputs.model}
      data: ${steps.s.outputs.applied}
)");
  // a required input left unbound (and the misspelt one named)
  EXPECT_NE(e.find("p.yaml:9:7: step 't': component train.logistic_regression has no input "
                   "'training'; its inputs: train, valid"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("p.yaml:6:3: step 't': component train.logistic_regression needs input "
                   "'train' (dataset)"),
            std::string::npos)
      << e;
  // a type mismatch
  EXPECT_NE(e.find("p.yaml:13:14: step 'e' input 'model' expects a model, but output 'data' of "
                   "step 'r' is a dataset"),
            std::string::npos)
      << e;
  // an unknown step, with a suggestion
  EXPECT_NE(e.find("p.yaml:14:13: step 'e' input 'data': no step named 'rr' (did you mean 'r'?)"),
            std::string::npos)
      << e;
  // an unknown output
  EXPECT_NE(e.find("p.yaml:18:14: step 'p' input 'model': step 't' (train.logistic_regression) "
                   "has no output 'modle' (did you mean 'model'?)"),
            std::string::npos)
      << e;
  // a list for a single input
  EXPECT_NE(e.find("p.yaml:19:7: step 'p': input 'data' takes one reference, found a list of 1"),
            std::string::npos)
      << e;
  // an output its step does not make
  EXPECT_NE(e.find("p.yaml:28:13: step 'u' input 'data': step 's' makes output 'applied' only "
                   "when its input 'apply_to' is bound"),
            std::string::npos)
      << e;
  // not a reference at all (a parse error: reported before the graph is checked)
  const std::string ref = Error(
      "name: x\nsteps:\n  w:\n    component: noop\n    inputs:\n"
      "      in: steps.r.outputs.data\n");
  EXPECT_NE(ref.find("p.yaml:6:11: expected a reference ${steps.STEP.outputs.PORT}, found "
                     "'steps.r.outputs.data'"),
            std::string::npos)
      << ref;
}

TEST_F(PlanTest, CyclesAreReportedAsAPath) {
  const std::string e = Error(R"(name: x
steps:
  a:
    component: noop
    inputs:
      in: ${steps.c.outputs.out}
  b:
    component: noop
    inputs:
      in: ${steps.a.outputs.out}
  c:
    component: noop
    inputs:
      in: ${steps.b.outputs.out}
  d:
    component: noop
)");
  EXPECT_NE(e.find("the steps form a cycle:"), std::string::npos) << e;
  EXPECT_TRUE(e.find("a -> b -> c -> a") != std::string::npos ||
              e.find("c -> a -> b -> c") != std::string::npos ||
              e.find("b -> c -> a -> b") != std::string::npos)
      << e;
  EXPECT_NE(Error("name: x\nsteps:\n  a:\n    component: noop\n    inputs:\n      in: "
                  "${steps.a.outputs.out}\n")
                .find("a -> a"),
            std::string::npos);
}

TEST_F(PlanTest, UnknownPipelineParamAndCrossParamChecks) {
  const std::string e = Error(R"(name: x
params: {dir: data}
steps:
  r:
    component: read
    params: {path: "${params.dri}/a.csv"}
  s:
    component: split
    inputs:
      data: ${steps.r.outputs.data}
    params: {method: column}
)");
  EXPECT_NE(e.find("p.yaml:6:14: unknown pipeline param 'dri' in '${params.dri}/a.csv' (did you "
                   "mean 'dir'?)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("p.yaml:7:3: step 's' (split): method column needs param 'column'"),
            std::string::npos)
      << e;
}

TEST_F(PlanTest, ParamDeclarationsAreChecked) {
  const std::string e = Error(R"(name: x
params:
  a: {type: int, default: 0.5}
  b: {type: color, default: red}
  c: {type: choice, default: z, choices: [x, y]}
  d: {type: double, default: 5, max: 1}
steps:
  s: {component: noop}
)");
  EXPECT_NE(e.find("p.yaml:3:3: param 'a': default 0.5 is not a int"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:4:3: param 'b': unknown type 'color'"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:5:3: param 'c': default"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:6:3: param 'd': default"), std::string::npos) << e;
}

TEST_F(PlanTest, EveryAlgorithmIsATrainComponentWithItsParams) {
  for (const ml::AlgorithmEntry* a : algorithms_.List()) {
    const ComponentEntry* c = components_.Find("train." + a->name);
    ASSERT_NE(c, nullptr) << a->name;
    EXPECT_EQ(c->params.params().size(), a->params.params().size());
    EXPECT_EQ(c->factory.category, "train");
    EXPECT_NE(c->factory.FindOutput("model"), nullptr);
  }
  // Metadata complete enough for a visual editor: every port typed, every component versioned.
  for (const ComponentEntry* c : components_.List()) {
    nlohmann::json j = ComponentToJson(*c);
    EXPECT_FALSE(j["description"].get<std::string>().empty()) << c->name;
    EXPECT_GE(j["version"].get<int>(), 1) << c->name;
    EXPECT_FALSE(j["outputs"].empty()) << c->name;
  }
}

TEST(DurationTest, Units) {
  EXPECT_DOUBLE_EQ(*ParseDuration("90"), 90);
  EXPECT_DOUBLE_EQ(*ParseDuration("1.5m"), 90);
  EXPECT_DOUBLE_EQ(*ParseDuration("2h"), 7200);
  EXPECT_DOUBLE_EQ(*ParseDuration("250ms"), 0.25);
  EXPECT_FALSE(ParseDuration("soon").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
}

}  // namespace
}  // namespace kiln::pipeline
