// The PMML evaluator on small hand-written documents: each supported element's semantics, with
// values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "pmml_test_util.h"

namespace kiln::serve::pmml {
namespace {

using testing::N;
using testing::Parse;
using testing::Pmml;
using testing::Row;
using testing::Score;
using testing::T;
using testing::Value0;

// x (double), c (string: red, green, blue), y (the target).
constexpr const char* kDictionary = R"(
<DataDictionary>
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="z" optype="continuous" dataType="double"/>
  <DataField name="c" optype="categorical" dataType="string">
    <Value value="red"/><Value value="green"/><Value value="blue"/>
  </DataField>
  <DataField name="y" optype="continuous" dataType="double"/>
  <DataField name="k" optype="categorical" dataType="string">
    <Value value="a"/><Value value="b"/><Value value="c"/>
  </DataField>
</DataDictionary>)";

std::string Doc(const std::string& model) { return Pmml(std::string(kDictionary) + model); }

std::string Regression(const std::string& attributes, const std::string& schema_extra,
                       const std::string& tables) {
  return Doc(R"(<RegressionModel functionName="regression" )" + attributes + R"(>
  <MiningSchema><MiningField name="y" usageType="target"/><MiningField name="x" )" +
             schema_extra + R"(/><MiningField name="c"/></MiningSchema>)" + tables +
             "</RegressionModel>");
}

constexpr const char* kTable = R"(
  <RegressionTable intercept="1">
    <NumericPredictor name="x" coefficient="2"/>
    <NumericPredictor name="x" exponent="2" coefficient="3"/>
    <CategoricalPredictor name="c" value="red" coefficient="0.5"/>
    <CategoricalPredictor name="c" value="blue" coefficient="-1"/>
  </RegressionTable>)";

TEST(PmmlRegression, NumericAndCategoricalPredictors) {
  auto doc = Parse(Regression("", "", kTable));
  ASSERT_NE(doc, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(2)}, {"c", T("red")}}), 1 + 4 + 12 + 0.5);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(-1)}, {"c", T("blue")}}), 1 - 2 + 3 - 1);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(0)}, {"c", T("green")}}), 1);
  // A missing categorical value matches no CategoricalPredictor: it contributes 0.
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(1)}}), 6);
}

TEST(PmmlRegression, MissingNumericPredictorIsAnErrorNamingTheField) {
  auto doc = Parse(Regression("", "", kTable));
  ASSERT_NE(doc, nullptr);
  auto p = Score(*doc, {{"c", T("red")}});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("feature 'x' is missing"), std::string::npos)
      << p.status().ToString();
  EXPECT_NE(p.status().message().find("missingValueReplacement"), std::string::npos);
}

TEST(PmmlRegression, MissingValueReplacement) {
  auto doc = Parse(Regression("", R"(missingValueReplacement="2")", kTable));
  ASSERT_NE(doc, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"c", T("green")}}), 1 + 4 + 12);
}

TEST(PmmlRegression, InvalidCategoryIsAnErrorUnlessTreatedAsIs) {
  auto doc = Parse(Regression("", "", kTable));
  ASSERT_NE(doc, nullptr);
  auto p = Score(*doc, {{"x", N(0)}, {"c", T("purple")}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("feature 'c' has the value \"purple\""), std::string::npos)
      << p.status().ToString();
  EXPECT_NE(p.status().message().find("red, green, blue"), std::string::npos);

  auto as_is = Parse(Doc(R"(<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="x"/><MiningField name="c" invalidValueTreatment="asIs"/>
  </MiningSchema>)" + std::string(kTable) +
                         "</RegressionModel>"));
  ASSERT_NE(as_is, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*as_is, {{"x", N(0)}, {"c", T("purple")}}), 1);

  auto as_value = Parse(Doc(R"(<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="x"/>
    <MiningField name="c" invalidValueTreatment="asValue" invalidValueReplacement="blue"/>
  </MiningSchema>)" + std::string(kTable) +
                            "</RegressionModel>"));
  ASSERT_NE(as_value, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*as_value, {{"x", N(0)}, {"c", T("purple")}}), 0);
}

TEST(PmmlRegression, NormalizationsOfARegression) {
  const std::string table = R"(<RegressionTable intercept="0.25"/>)";
  const double y = 0.25;
  const std::pair<const char*, double> cases[] = {
      {"none", y},
      {"logit", 1 / (1 + std::exp(-y))},
      {"softmax", 1 / (1 + std::exp(-y))},
      {"exp", std::exp(y)},
      {"probit", 0.5 * std::erfc(-y / std::sqrt(2.0))},
      {"cloglog", 1 - std::exp(-std::exp(y))},
      {"loglog", std::exp(-std::exp(-y))},
      {"cauchit", 0.5 + std::atan(y) / std::numbers::pi},
  };
  for (const auto& [method, expected] : cases) {
    auto doc = Parse(Regression(std::string("normalizationMethod=\"") + method + "\"", "", table));
    ASSERT_NE(doc, nullptr) << method;
    EXPECT_NEAR(Value0(*doc, {{"x", N(0)}}), expected, 1e-15) << method;
  }
}

std::string Classifier(const std::string& method, const std::string& tables) {
  return Doc(R"(<RegressionModel functionName="classification" normalizationMethod=")" + method +
             R"(">
  <MiningSchema><MiningField name="k" usageType="target"/><MiningField name="x"/></MiningSchema>)" +
             tables + "</RegressionModel>");
}

TEST(PmmlRegression, SoftmaxClassifier) {
  auto doc = Parse(Classifier("softmax", R"(
  <RegressionTable intercept="0" targetCategory="a"><NumericPredictor name="x" coefficient="1"/></RegressionTable>
  <RegressionTable intercept="1" targetCategory="b"/>
  <RegressionTable intercept="0" targetCategory="c"><NumericPredictor name="x" coefficient="-1"/></RegressionTable>)"));
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->model.categories, (std::vector<std::string>{"a", "b", "c"}));
  auto p = Score(*doc, {{"x", N(2)}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const double s = std::exp(2) + std::exp(1) + std::exp(-2);
  EXPECT_NEAR(p->probabilities[0], std::exp(2) / s, 1e-15);
  EXPECT_NEAR(p->probabilities[1], std::exp(1) / s, 1e-15);
  EXPECT_NEAR(p->probabilities[2], std::exp(-2) / s, 1e-15);
  EXPECT_EQ(p->category, 0);
}

TEST(PmmlRegression, SimplemaxAndNone) {
  const std::string tables = R"(
  <RegressionTable intercept="1" targetCategory="a"/>
  <RegressionTable intercept="3" targetCategory="b"/>
  <RegressionTable intercept="0" targetCategory="c"><NumericPredictor name="x" coefficient="1"/></RegressionTable>)";
  auto simplemax = Parse(Classifier("simplemax", tables));
  ASSERT_NE(simplemax, nullptr);
  auto p = Score(*simplemax, {{"x", N(4)}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->probabilities, (std::vector<double>{0.125, 0.375, 0.5}));
  EXPECT_EQ(p->category, 2);
  auto none = Parse(Classifier("none", tables));
  ASSERT_NE(none, nullptr);
  p = Score(*none, {{"x", N(-4)}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->probabilities, (std::vector<double>{1, 3, -4}));
  EXPECT_EQ(p->category, 1);
}

TEST(PmmlRegression, BinaryLogitGivesTheSecondCategoryTheComplement) {
  const std::string dictionary = R"(<DataDictionary>
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="t" optype="categorical" dataType="string"><Value value="no"/><Value value="yes"/></DataField>
</DataDictionary>)";
  for (const char* method : {"logit", "probit", "cloglog", "loglog", "cauchit"}) {
    auto doc = Parse(Pmml(
        dictionary + R"(<RegressionModel functionName="classification" normalizationMethod=")" +
        method + R"(">
  <MiningSchema><MiningField name="t" usageType="target"/><MiningField name="x"/></MiningSchema>
  <RegressionTable intercept="-0.5" targetCategory="yes"><NumericPredictor name="x" coefficient="2"/></RegressionTable>
  <RegressionTable intercept="0" targetCategory="no"/>
</RegressionModel>)"));
    ASSERT_NE(doc, nullptr) << method;
    auto p = Score(*doc, {{"x", N(1)}});
    ASSERT_TRUE(p.ok());
    const double y = 1.5;
    const double q = std::string(method) == "logit"     ? 1 / (1 + std::exp(-y))
                     : std::string(method) == "probit"  ? 0.5 * std::erfc(-y / std::sqrt(2.0))
                     : std::string(method) == "cloglog" ? 1 - std::exp(-std::exp(y))
                     : std::string(method) == "loglog"  ? std::exp(-std::exp(-y))
                                                        : 0.5 + std::atan(y) / std::numbers::pi;
    EXPECT_NEAR(p->probabilities[1], q, 1e-15) << method;  // "yes", the DataField's order
    EXPECT_NEAR(p->probabilities[0], 1 - q, 1e-15) << method;
    EXPECT_EQ(p->category, 1) << method;
  }
}

TEST(PmmlTargets, RescaleClampAndCast) {
  auto doc = Parse(Doc(R"(<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="x"/></MiningSchema>
  <Targets><Target field="y" min="-1" max="10" rescaleFactor="2" rescaleConstant="0.3" castInteger="floor"/></Targets>
  <RegressionTable intercept="0"><NumericPredictor name="x" coefficient="1"/></RegressionTable>
</RegressionModel>)"));
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(Value0(*doc, {{"x", N(2.2)}}), 4);  // floor(2.2 * 2 + 0.3)
  EXPECT_EQ(Value0(*doc, {{"x", N(50)}}), 20);  // clamped to 10 first
  EXPECT_EQ(Value0(*doc, {{"x", N(-7)}}), -2);  // floor(-1 * 2 + 0.3)
}

// --- derived fields ---

std::string WithDerived(const std::string& transformations, const std::string& field) {
  return Doc(R"(<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="c" invalidValueTreatment="asIs"/></MiningSchema>
  <LocalTransformations>)" +
             transformations + R"(</LocalTransformations>
  <RegressionTable intercept="0"><NumericPredictor name=")" +
             field + R"(" coefficient="1"/></RegressionTable>
</RegressionModel>)");
}

TEST(PmmlDerivedFields, ApplyFunctionsAndMissingValues) {
  // d = (x - 1) / 4, e = d reads before it is defined: order does not matter.
  auto doc = Parse(WithDerived(R"(
    <DerivedField name="e" optype="continuous" dataType="double">
      <Apply function="+"><FieldRef field="d"/><Apply function="pow"><FieldRef field="z"/><Constant>2</Constant></Apply></Apply>
    </DerivedField>
    <DerivedField name="d" optype="continuous" dataType="double">
      <Apply function="/" mapMissingTo="-100"><Apply function="-"><FieldRef field="x"/><Constant dataType="double">1</Constant></Apply><Constant>4</Constant></Apply>
    </DerivedField>)",
                               "e"));
  ASSERT_NE(doc, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(9)}, {"z", N(3)}}), 2 + 9);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"z", N(3)}}), -100 + 9);  // mapMissingTo
}

TEST(PmmlDerivedFields, FunctionsOneByOne) {
  struct Case {
    const char* apply;
    double expected;
  };
  // x = 2.5, z = -4
  const Case cases[] = {
      {R"(<Apply function="min"><FieldRef field="x"/><FieldRef field="z"/><Constant>0</Constant></Apply>)",
       -4},
      {R"(<Apply function="max"><FieldRef field="x"/><FieldRef field="z"/></Apply>)", 2.5},
      {R"(<Apply function="sum"><FieldRef field="x"/><FieldRef field="z"/><Constant>1</Constant></Apply>)",
       -0.5},
      {R"(<Apply function="avg"><FieldRef field="x"/><FieldRef field="z"/></Apply>)", -0.75},
      {R"(<Apply function="product"><FieldRef field="x"/><FieldRef field="z"/></Apply>)", -10},
      {R"(<Apply function="abs"><FieldRef field="z"/></Apply>)", 4},
      {R"(<Apply function="sqrt"><Apply function="abs"><FieldRef field="z"/></Apply></Apply>)", 2},
      {R"(<Apply function="log10"><Constant>1000</Constant></Apply>)", 3},
      {R"(<Apply function="ln"><Apply function="exp"><FieldRef field="x"/></Apply></Apply>)", 2.5},
      {R"(<Apply function="floor"><FieldRef field="x"/></Apply>)", 2},
      {R"(<Apply function="ceil"><FieldRef field="x"/></Apply>)", 3},
      {R"(<Apply function="round"><FieldRef field="x"/></Apply>)", 3},
      {R"(<Apply function="threshold"><FieldRef field="x"/><Constant>2</Constant></Apply>)", 1},
      {R"(<Apply function="if"><Apply function="lessThan"><FieldRef field="z"/><Constant>0</Constant></Apply><Constant>7</Constant><Constant>8</Constant></Apply>)",
       7},
      {R"(<Apply function="if"><Apply function="and"><Apply function="greaterOrEqual"><FieldRef field="x"/><Constant>2.5</Constant></Apply><Apply function="not"><Apply function="equal"><FieldRef field="z"/><Constant>-4</Constant></Apply></Apply></Apply><Constant>1</Constant><Constant>2</Constant></Apply>)",
       2},
      {R"(<Apply function="or"><Apply function="lessOrEqual"><FieldRef field="x"/><Constant>0</Constant></Apply><Apply function="notEqual"><FieldRef field="z"/><Constant>0</Constant></Apply></Apply>)",
       1},
      {R"(<Apply function="isIn"><FieldRef field="c"/><Constant>red</Constant><Constant>blue</Constant></Apply>)",
       1},
      {R"(<Apply function="isNotIn"><FieldRef field="c"/><Constant>red</Constant></Apply>)", 0},
      {R"(<Apply function="isMissing"><FieldRef field="x"/></Apply>)", 0},
      {R"(<Apply function="isNotMissing"><FieldRef field="x"/></Apply>)", 1},
      {R"(<NormDiscrete field="c" value="red"/>)", 1},
      {R"(<Apply function="expm1"><Constant>0</Constant></Apply>)", 0},
      {R"(<Apply function="ln1p"><Constant>0</Constant></Apply>)", 0},
  };
  for (const Case& c : cases) {
    auto doc = Parse(WithDerived(
        std::string(R"(<DerivedField name="d" optype="continuous" dataType="double">)") + c.apply +
            "</DerivedField>",
        "d"));
    ASSERT_NE(doc, nullptr) << c.apply;
    EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(2.5)}, {"z", N(-4)}, {"c", T("red")}}), c.expected)
        << c.apply;
  }
}

TEST(PmmlDerivedFields, InvalidResultIsAnErrorOrMissing) {
  auto doc = Parse(WithDerived(R"(<DerivedField name="d" optype="continuous" dataType="double">
      <Apply function="/"><FieldRef field="x"/><FieldRef field="z"/></Apply></DerivedField>)",
                               "d"));
  ASSERT_NE(doc, nullptr);
  auto p = Score(*doc, {{"x", N(1)}, {"z", N(0)}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("function '/' has no valid result for (1, 0)"),
            std::string::npos)
      << p.status().ToString();
  auto missing = Parse(WithDerived(R"(<DerivedField name="d" optype="continuous" dataType="double">
      <Apply function="/" invalidValueTreatment="asMissing" defaultValue="5"><FieldRef field="x"/><FieldRef field="z"/></Apply></DerivedField>)",
                                   "d"));
  ASSERT_NE(missing, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*missing, {{"x", N(1)}, {"z", N(0)}}), 5);
}

TEST(PmmlDerivedFields, NormContinuousAndOutliers) {
  const std::string norm =
      R"(<LinearNorm orig="0" norm="0"/><LinearNorm orig="10" norm="1"/><LinearNorm orig="20" norm="3"/>)";
  auto make = [&](const std::string& outliers) {
    return Parse(WithDerived(
        R"(<DerivedField name="d" optype="continuous" dataType="double"><NormContinuous field="x" mapMissingTo="-1" )" +
            outliers + ">" + norm + "</NormContinuous></DerivedField>",
        "d"));
  };
  auto as_is = make("");
  ASSERT_NE(as_is, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*as_is, {{"x", N(5)}}), 0.5);
  EXPECT_DOUBLE_EQ(Value0(*as_is, {{"x", N(15)}}), 2);
  EXPECT_DOUBLE_EQ(Value0(*as_is, {{"x", N(30)}}), 5);    // extrapolated
  EXPECT_DOUBLE_EQ(Value0(*as_is, {{"x", N(-10)}}), -1);  // extrapolated
  EXPECT_DOUBLE_EQ(Value0(*as_is, {}), -1);               // mapMissingTo
  auto extreme = make(R"(outliers="asExtremeValues")");
  ASSERT_NE(extreme, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*extreme, {{"x", N(30)}}), 3);
  auto missing = make(R"(outliers="asMissingValues")");
  ASSERT_NE(missing, nullptr);
  EXPECT_FALSE(Score(*missing, {{"x", N(30)}}).ok());  // a missing NumericPredictor value
}

TEST(PmmlDerivedFields, FloatFieldsHoldSinglePrecision) {
  auto doc = Parse(WithDerived(R"(<DerivedField name="d" optype="continuous" dataType="float">
      <Apply function="/"><FieldRef field="x"/><Constant>3</Constant></Apply></DerivedField>)",
                               "d"));
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(Value0(*doc, {{"x", N(1)}}), static_cast<double>(static_cast<float>(1.0 / 3)));
}

TEST(PmmlDerivedFields, TransformationDictionaryIsVisibleEverywhere) {
  auto doc = Parse(Pmml(std::string(kDictionary) + R"(
<TransformationDictionary>
  <DerivedField name="g" optype="continuous" dataType="double">
    <Apply function="*"><FieldRef field="x"/><Constant>10</Constant></Apply>
  </DerivedField>
</TransformationDictionary>
<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="z"/></MiningSchema>
  <RegressionTable intercept="0"><NumericPredictor name="g" coefficient="1"/><NumericPredictor name="z" coefficient="1"/></RegressionTable>
</RegressionModel>)"));
  ASSERT_NE(doc, nullptr);
  // x is read only by the TransformationDictionary: it is an input all the same.
  EXPECT_EQ(doc->inputs, (std::vector<int>{1, 0}));
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(2)}, {"z", N(1)}}), 21);
}

// --- MiningSchema and DataDictionary value handling ---

TEST(PmmlFields, OutliersMissingTreatmentAndDictionaryValues) {
  auto doc = Parse(Pmml(R"(<DataDictionary>
  <DataField name="a" optype="continuous" dataType="double">
    <Interval closure="closedOpen" leftMargin="0" rightMargin="100"/>
    <Value value="-999" property="missing"/><Value value="NA" property="missing"/>
  </DataField>
  <DataField name="b" optype="continuous" dataType="double"/>
  <DataField name="s" optype="categorical" dataType="string"><Value value="NA" property="missing"/></DataField>
</DataDictionary>
<RegressionModel functionName="regression">
  <MiningSchema>
    <MiningField name="a" missingValueReplacement="50"/>
    <MiningField name="b" outliers="asExtremeValues" lowValue="-1" highValue="1" missingValueTreatment="returnInvalid"/>
    <MiningField name="s" missingValueReplacement="none"/>
  </MiningSchema>
  <RegressionTable intercept="0">
    <NumericPredictor name="a" coefficient="1"/><NumericPredictor name="b" coefficient="1000"/>
    <CategoricalPredictor name="s" value="none" coefficient="0.5"/>
  </RegressionTable>
</RegressionModel>)"));
  ASSERT_NE(doc, nullptr);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"a", N(10)}, {"b", N(5)}, {"s", T("x")}}), 1010);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"a", N(-999)}, {"b", N(-0.5)}, {"s", T("NA")}}), 50 - 500 + 0.5);
  EXPECT_DOUBLE_EQ(Value0(*doc, {{"a", T("NA")}, {"b", N(0)}}), 50.5);  // s: "none"
  auto invalid = Score(*doc, {{"a", N(100)}, {"b", N(0)}});  // the interval is open at 100
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.status().message().find("feature 'a' has the value 100"), std::string::npos)
      << invalid.status().ToString();
  auto missing = Score(*doc, {{"a", N(1)}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("feature 'b' is missing"), std::string::npos)
      << missing.status().ToString();
}

TEST(PmmlFields, InputValuesAreCheckedAgainstTheFieldType) {
  DataField f;
  f.name = "n";
  f.type = DataType::kInteger;
  EXPECT_FALSE(InputValue(f, N(1.5)).ok());
  EXPECT_EQ(InputValue(f, N(3))->number, 3);
  auto text = InputValue(f, T("abc"));
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("feature 'n' is numeric (integer) but has the text "
                                         "\"abc\""),
            std::string::npos);
  f.type = DataType::kFloat;
  EXPECT_EQ(InputValue(f, N(0.1))->number, static_cast<double>(0.1f));
  f.type = DataType::kString;
  EXPECT_EQ(InputValue(f, N(98101))->text, "98101");
  f.type = DataType::kBoolean;
  EXPECT_FALSE(InputValue(f, N(2)).ok());
  EXPECT_EQ(InputValue(f, N(1))->number, 1);
}

// --- trees ---

// A regression tree over x (double) and c (string); `nodes` are the root's children.
std::string Tree(const std::string& attributes, const std::string& nodes,
                 const std::string& root_attributes = R"(score="-1")") {
  return Doc(R"(<TreeModel functionName="regression" )" + attributes + R"(>
  <MiningSchema><MiningField name="x"/><MiningField name="z"/><MiningField name="c"/></MiningSchema>
  <Node id="root" )" +
             root_attributes + "><True/>" + nodes + "</Node></TreeModel>");
}

TEST(PmmlTree, SimplePredicateOperators) {
  const std::pair<const char*, std::vector<double>> cases[] = {
      // operator, then the leaf reached for x = 1, 2, 3 (value 2)
      {"equal", {0, 1, 0}},       {"notEqual", {1, 0, 1}},    {"lessThan", {1, 0, 0}},
      {"lessOrEqual", {1, 1, 0}}, {"greaterThan", {0, 0, 1}}, {"greaterOrEqual", {0, 1, 1}},
  };
  for (const auto& [op, expected] : cases) {
    auto doc =
        Parse(Tree("", std::string(R"(<Node score="1"><SimplePredicate field="x" operator=")") +
                           op + R"(" value="2"/></Node><Node score="0"><True/></Node>)"));
    ASSERT_NE(doc, nullptr) << op;
    for (int x = 1; x <= 3; ++x) {
      EXPECT_EQ(Value0(*doc, {{"x", N(x)}}), expected[static_cast<size_t>(x - 1)]) << op << x;
    }
  }
  auto missing =
      Parse(Tree("", R"(<Node score="1"><SimplePredicate field="x" operator="isMissing"/></Node>
      <Node score="2"><SimplePredicate field="x" operator="isNotMissing"/></Node>)"));
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(Value0(*missing, {}), 1);
  EXPECT_EQ(Value0(*missing, {{"x", N(0)}}), 2);
}

TEST(PmmlTree, SimpleSetPredicateWithQuotedStringsAndNumbers) {
  auto doc = Parse(Tree("", R"(
    <Node score="1"><SimpleSetPredicate field="c" booleanOperator="isIn"><Array n="2" type="string">"red" blue</Array></SimpleSetPredicate></Node>
    <Node score="2"><SimpleSetPredicate field="x" booleanOperator="isNotIn"><Array type="real">1 2.5 3</Array></SimpleSetPredicate></Node>
    <Node score="3"><True/></Node>)"));
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(Value0(*doc, {{"c", T("blue")}, {"x", N(1)}}), 1);
  EXPECT_EQ(Value0(*doc, {{"c", T("green")}, {"x", N(7)}}), 2);
  EXPECT_EQ(Value0(*doc, {{"c", T("green")}, {"x", N(2.5)}}), 3);

  // An entry with a space and an escaped quote.
  auto quoted = Parse(Pmml(
      R"(<DataDictionary><DataField name="s" optype="categorical" dataType="string"/></DataDictionary>
<TreeModel functionName="regression"><MiningSchema><MiningField name="s"/></MiningSchema>
<Node score="0"><True/><Node score="1"><SimpleSetPredicate field="s" booleanOperator="isIn"><Array type="string">"New York" "say \"hi\""</Array></SimpleSetPredicate></Node></Node>
</TreeModel>)"));
  ASSERT_NE(quoted, nullptr);
  EXPECT_EQ(Value0(*quoted, {{"s", T("New York")}}), 1);
  EXPECT_EQ(Value0(*quoted, {{"s", T("say \"hi\"")}}), 1);
  EXPECT_FALSE(Score(*quoted, {{"s", T("York")}}).ok());  // no child matches: no prediction
}

TEST(PmmlTree, CompoundPredicatesUseThreeValuedLogic) {
  const std::string x_pos = R"(<SimplePredicate field="x" operator="greaterThan" value="0"/>)";
  const std::string z_pos = R"(<SimplePredicate field="z" operator="greaterThan" value="0"/>)";
  auto tree = [&](const std::string& op) {
    return Parse(Tree(R"(missingValueStrategy="nullPrediction")",
                      R"(<Node score="1"><CompoundPredicate booleanOperator=")" + op + "\">" +
                          x_pos + z_pos +
                          R"(</CompoundPredicate></Node><Node score="0"><True/></Node>)"));
  };
  auto and_ = tree("and"), or_ = tree("or"), xor_ = tree("xor"), surrogate = tree("surrogate");
  ASSERT_TRUE(and_ && or_ && xor_ && surrogate);
  EXPECT_EQ(Value0(*and_, {{"x", N(1)}, {"z", N(1)}}), 1);
  EXPECT_EQ(Value0(*and_, {{"x", N(-1)}}), 0);     // FALSE and UNKNOWN = FALSE
  EXPECT_FALSE(Score(*and_, {{"x", N(1)}}).ok());  // TRUE and UNKNOWN = UNKNOWN
  EXPECT_EQ(Value0(*or_, {{"x", N(1)}}), 1);       // TRUE or UNKNOWN = TRUE
  EXPECT_FALSE(Score(*or_, {{"x", N(-1)}}).ok());  // FALSE or UNKNOWN = UNKNOWN
  EXPECT_EQ(Value0(*xor_, {{"x", N(1)}, {"z", N(-1)}}), 1);
  EXPECT_EQ(Value0(*xor_, {{"x", N(1)}, {"z", N(1)}}), 0);
  EXPECT_FALSE(Score(*xor_, {{"x", N(1)}}).ok());
  EXPECT_EQ(Value0(*surrogate, {{"z", N(1)}}), 1);  // x unknown: z decides
  EXPECT_EQ(Value0(*surrogate, {{"x", N(-1)}, {"z", N(1)}}), 0);
  auto p = Score(*surrogate, {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("missingValueStrategy is nullPrediction"), std::string::npos)
      << p.status().ToString();
}

TEST(PmmlTree, MissingValueStrategies) {
  const std::string children = R"(
    <Node id="low" score="1"><SimplePredicate field="x" operator="lessThan" value="0"/></Node>
    <Node id="high" score="2"><SimplePredicate field="x" operator="greaterOrEqual" value="0"/></Node>)";
  auto none = Parse(Tree(R"(missingValueStrategy="none")", children));
  auto last = Parse(Tree(R"(missingValueStrategy="lastPrediction")", children));
  auto null = Parse(Tree(R"(missingValueStrategy="nullPrediction")", children));
  auto fallback = Parse(Tree(R"(missingValueStrategy="defaultChild")", children,
                             R"(score="-1" defaultChild="high")"));
  auto none_last = Parse(Tree(R"(noTrueChildStrategy="returnLastPrediction")", children));
  ASSERT_TRUE(none && last && null && fallback && none_last);
  for (auto* doc : {none.get(), last.get(), null.get(), fallback.get(), none_last.get()}) {
    EXPECT_EQ(Value0(*doc, {{"x", N(-3)}}), 1);
    EXPECT_EQ(Value0(*doc, {{"x", N(3)}}), 2);
  }
  // none: both children are FALSE, and noTrueChildStrategy decides.
  auto p = Score(*none, {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no child Node matches"), std::string::npos);
  EXPECT_NE(p.status().message().find("feature 'x' is missing"), std::string::npos);
  EXPECT_EQ(Value0(*none_last, {}), -1);
  EXPECT_EQ(Value0(*last, {}), -1);
  EXPECT_FALSE(Score(*null, {}).ok());
  EXPECT_EQ(Value0(*fallback, {}), 2);
}

TEST(PmmlTree, ClassificationDistributions) {
  auto doc = Parse(Doc(R"(<TreeModel functionName="classification">
  <MiningSchema><MiningField name="k" usageType="target"/><MiningField name="x"/></MiningSchema>
  <Node score="a"><True/>
    <Node><SimplePredicate field="x" operator="lessThan" value="0"/>
      <ScoreDistribution value="a" recordCount="1"/><ScoreDistribution value="b" recordCount="3"/>
    </Node>
    <Node score="c"><True/>
      <ScoreDistribution value="c" recordCount="10" probability="0.7"/><ScoreDistribution value="a" recordCount="0" probability="0.3"/>
    </Node>
  </Node></TreeModel>)"));
  ASSERT_NE(doc, nullptr);
  auto p = Score(*doc, {{"x", N(-1)}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->probabilities, (std::vector<double>{0.25, 0.75, 0}));
  EXPECT_EQ(p->category, 1);
  p = Score(*doc, {{"x", N(1)}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->probabilities, (std::vector<double>{0.3, 0, 0.7}));
  EXPECT_EQ(p->category, 2);
}

// --- MiningModel ---

std::string Segments(const std::string& function, const std::string& method,
                     const std::string& segments) {
  return Doc(R"(<MiningModel functionName=")" + function + R"(">
  <MiningSchema><MiningField name="k" usageType="target"/><MiningField name="x"/><MiningField name="z"/></MiningSchema>
  <Segmentation multipleModelMethod=")" +
             method + "\">" + segments + "</Segmentation></MiningModel>");
}

std::string ConstantSegment(double value, double weight = 1,
                            const std::string& predicate = "<True/>") {
  return fmt::format(R"(<Segment weight="{}">{}<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="x"/></MiningSchema>
  <RegressionTable intercept="{}"><NumericPredictor name="x" coefficient="0"/></RegressionTable>
</RegressionModel></Segment>)",
                     weight, predicate, value);
}

TEST(PmmlMining, RegressionCombinations) {
  const std::string s = ConstantSegment(1, 1) + ConstantSegment(4, 2) + ConstantSegment(10, 1) +
                        ConstantSegment(100, 5, R"(<False/>)");
  const std::pair<const char*, double> cases[] = {
      {"sum", 15},   {"weightedSum", 19}, {"average", 5},     {"weightedAverage", 4.75},
      {"median", 4}, {"max", 10},         {"selectFirst", 1}, {"modelChain", 10},
  };
  for (const auto& [method, expected] : cases) {
    auto doc = Parse(Segments("regression", method, s));
    ASSERT_NE(doc, nullptr) << method;
    EXPECT_DOUBLE_EQ(Value0(*doc, {{"x", N(0)}}), expected) << method;
  }
  auto none = Parse(Segments("regression", "sum", ConstantSegment(1, 1, "<False/>")));
  ASSERT_NE(none, nullptr);
  auto p = Score(*none, {{"x", N(0)}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no segment"), std::string::npos);
}

std::string ClassSegment(const std::string& category, double weight,
                         const std::string& distribution) {
  return fmt::format(R"(<Segment weight="{}"><True/><TreeModel functionName="classification">
  <MiningSchema><MiningField name="x"/></MiningSchema>
  <Node score="{}"><True/>{}</Node></TreeModel></Segment>)",
                     weight, category, distribution);
}

TEST(PmmlMining, ClassificationCombinations) {
  const std::string s =
      ClassSegment(
          "a", 1,
          R"(<ScoreDistribution value="a" recordCount="6"/><ScoreDistribution value="b" recordCount="4"/>)") +
      ClassSegment(
          "b", 1,
          R"(<ScoreDistribution value="b" recordCount="9"/><ScoreDistribution value="c" recordCount="1"/>)") +
      ClassSegment(
          "b", 3,
          R"(<ScoreDistribution value="b" recordCount="5"/><ScoreDistribution value="c" recordCount="5"/>)");
  struct Case {
    const char* method;
    std::vector<double> probabilities;
    int category;
  };
  const Case cases[] = {
      {"majorityVote", {1.0 / 3, 2.0 / 3, 0}, 1},
      {"weightedMajorityVote", {0.2, 0.8, 0}, 1},
      {"average", {0.2, (0.4 + 0.9 + 0.5) / 3, 0.6 / 3}, 1},
      {"weightedAverage", {0.6 / 5, (0.4 + 0.9 + 1.5) / 5, (0.1 + 1.5) / 5}, 1},
      {"max", {0, 0.9, 0.1}, 1},
      {"selectFirst", {0.6, 0.4, 0}, 0},
      {"modelChain", {0, 0.5, 0.5}, 1},
  };
  for (const Case& c : cases) {
    auto doc = Parse(Segments("classification", c.method, s));
    ASSERT_NE(doc, nullptr) << c.method;
    auto p = Score(*doc, {{"x", N(0)}});
    ASSERT_TRUE(p.ok()) << c.method << p.status().ToString();
    ASSERT_EQ(p->probabilities.size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(p->probabilities[k], c.probabilities[k], 1e-12) << c.method << k;
    }
    EXPECT_EQ(p->category, c.category) << c.method;
  }
}

TEST(PmmlMining, ModelChainPassesOutputsOnAndNests) {
  // Segment 1: a sum of two trees (+ 0.5 by a Target) as "m"; segment 2: P(k=b) from m.
  auto doc = Parse(Segments("classification", "modelChain", R"(
<Segment id="sum"><True/>
  <MiningModel functionName="regression">
    <MiningSchema><MiningField name="x"/></MiningSchema>
    <Output>
      <OutputField name="m" optype="continuous" dataType="double" feature="predictedValue"/>
      <OutputField name="m2" optype="continuous" dataType="double" feature="transformedValue">
        <Apply function="*"><FieldRef field="m"/><Constant>2</Constant></Apply>
      </OutputField>
    </Output>
    <Targets><Target rescaleConstant="0.5"/></Targets>
    <Segmentation multipleModelMethod="sum">
      <Segment><True/><TreeModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
        <Node score="0"><True/><Node score="1"><SimplePredicate field="x" operator="greaterThan" value="0"/></Node><Node score="-1"><True/></Node></Node>
      </TreeModel></Segment>
      <Segment><True/><TreeModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
        <Node score="0.25"><True/></Node>
      </TreeModel></Segment>
    </Segmentation>
  </MiningModel>
</Segment>
<Segment id="link"><True/>
  <RegressionModel functionName="classification" normalizationMethod="softmax">
    <MiningSchema><MiningField name="k" usageType="target"/><MiningField name="m"/><MiningField name="m2"/></MiningSchema>
    <Output><OutputField name="pb" feature="probability" value="b"/></Output>
    <RegressionTable intercept="0" targetCategory="a"/>
    <RegressionTable intercept="0" targetCategory="b"><NumericPredictor name="m" coefficient="1"/></RegressionTable>
    <RegressionTable intercept="0" targetCategory="c"><NumericPredictor name="m2" coefficient="-1"/></RegressionTable>
  </RegressionModel>
</Segment>)"));
  ASSERT_NE(doc, nullptr);
  for (double x : {-1.0, 1.0}) {
    const double m = (x > 0 ? 1 : -1) + 0.25 + 0.5;
    const double s = 1 + std::exp(m) + std::exp(-2 * m);
    auto p = Score(*doc, {{"x", N(x)}});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_NEAR(p->probabilities[0], 1 / s, 1e-15);
    EXPECT_NEAR(p->probabilities[1], std::exp(m) / s, 1e-15);
    EXPECT_NEAR(p->probabilities[2], std::exp(-2 * m) / s, 1e-15);
  }
}

}  // namespace
}  // namespace kiln::serve::pmml
