// Every kind of bad or unsupported PMML gives a clear load error: the file and line, the
// element, what was expected and what was found — never a crash or a model that scores wrongly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmml_test_util.h"

namespace kiln::serve::pmml {
namespace {

using testing::Pmml;

constexpr const char* kFields = R"(<DataDictionary>
  <DataField name="x" optype="continuous" dataType="double"/>
  <DataField name="s" optype="categorical" dataType="string"><Value value="p"/><Value value="q"/></DataField>
  <DataField name="t" optype="categorical" dataType="string"><Value value="no"/><Value value="yes"/></DataField>
</DataDictionary>
)";

// A document with the standard fields and `model`.
std::string With(const std::string& model) { return Pmml(kFields + model); }

std::string Regression(const std::string& body, const std::string& attributes = "") {
  return With(R"(<RegressionModel functionName="regression" )" + attributes + R"(>
<MiningSchema><MiningField name="x"/><MiningField name="s"/></MiningSchema>
)" + body + "\n</RegressionModel>");
}

std::string Tree(const std::string& nodes, const std::string& attributes = "") {
  return With(R"(<TreeModel functionName="regression" )" + attributes + R"(>
<MiningSchema><MiningField name="x"/><MiningField name="s"/></MiningSchema>
<Node score="0"><True/>
)" + nodes + "\n</Node></TreeModel>");
}

std::string Derived(const std::string& expression) {
  return Regression(
      R"(<LocalTransformations><DerivedField name="d" optype="continuous" dataType="double">
)" + expression +
      R"(
</DerivedField></LocalTransformations>
<RegressionTable intercept="0"><NumericPredictor name="d" coefficient="1"/></RegressionTable>)");
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

struct Case {
  const char* name;
  std::string text;
  core::StatusCode code;
  std::vector<std::string> expected;  // substrings of the message
};

std::vector<Case> Cases() {
  using C = core::StatusCode;
  const std::string table = R"(<RegressionTable intercept="0"/>)";
  return {
      {"not xml",
       "<PMML version=\"4.4\"><DataDictionary>",
       C::kParseError,
       {"test.pmml:1: not a well-formed XML document"}},
      {"not pmml",
       "<?xml version=\"1.0\"?>\n<Model/>",
       C::kParseError,
       {"not a PMML document", "<Model>"}},
      {"version",
       "<PMML version=\"5.0\"><DataDictionary/></PMML>",
       C::kUnimplemented,
       {"PMML version 5.0 is not supported"}},
      {"no version",
       "<PMML><DataDictionary/></PMML>",
       C::kParseError,
       {"test.pmml:1: PMML: the attribute 'version' is missing"}},
      {"no dictionary",
       Pmml(R"(<RegressionModel functionName="regression"/>)"),
       C::kParseError,
       {"has no DataDictionary"}},
      {"no model", Pmml(kFields), C::kParseError, {"has no model"}},
      {"neural network",
       With("<NeuralNetwork functionName=\"regression\"/>"),
       C::kUnimplemented,
       {"test.pmml:9: NeuralNetwork: NeuralNetwork models are not supported",
        "RegressionModel, TreeModel, MiningModel"}},
      {"two models", With("<TreeModel/><TreeModel/>"), C::kUnimplemented, {"more than one model"}},
      {"no optype",
       Pmml(R"(<DataDictionary><DataField name="a" dataType="double"/></DataDictionary>)"),
       C::kParseError,
       {"DataField: the attribute 'optype' is missing"}},
      {"bad type",
       Pmml(
           R"(<DataDictionary><DataField name="a" optype="continuous" dataType="blob"/></DataDictionary>)"),
       C::kParseError,
       {"dataType=\"blob\" is not a PMML data type"}},
      {"date type",
       Pmml(
           R"(<DataDictionary><DataField name="a" optype="continuous" dataType="date"/></DataDictionary>)"),
       C::kUnimplemented,
       {"dataType=\"date\" is not supported"}},
      {"continuous string",
       Pmml(
           R"(<DataDictionary><DataField name="a" optype="continuous" dataType="string"/></DataDictionary>)"),
       C::kParseError,
       {"field 'a' is continuous but its dataType is string"}},
      {"duplicate field",
       Pmml(R"(<DataDictionary><DataField name="a" optype="continuous" dataType="double"/>
<DataField name="a" optype="continuous" dataType="double"/></DataDictionary>)"),
       C::kParseError,
       {"test.pmml:5: DataField: field 'a' is defined twice"}},
      {"bad value",
       Pmml(
           R"(<DataDictionary><DataField name="a" optype="categorical" dataType="integer"><Value value="x1"/></DataField></DataDictionary>)"),
       C::kParseError,
       {"Value: value=\"x1\" is not a value of type integer"}},
      {"bad interval",
       Pmml(
           R"(<DataDictionary><DataField name="a" optype="continuous" dataType="double"><Interval closure="closedClosed" leftMargin="5" rightMargin="1"/></DataField></DataDictionary>)"),
       C::kParseError,
       {"leftMargin 5 is greater than rightMargin 1"}},
      {"taxonomy",
       Pmml(
           R"(<DataDictionary><DataField name="a" optype="categorical" dataType="string" taxonomy="t"/></DataDictionary>)"),
       C::kUnimplemented,
       {"taxonomies are not supported"}},
      {"unknown mining field",
       With(
           R"(<RegressionModel functionName="regression"><MiningSchema><MiningField name="xx"/></MiningSchema></RegressionModel>)"),
       C::kParseError,
       {"MiningField: field 'xx' is not defined (did you mean 'x'?)"}},
      {"field not in schema",
       With(R"(<RegressionModel functionName="regression">
<MiningSchema><MiningField name="x"/></MiningSchema>
<RegressionTable intercept="0"><CategoricalPredictor name="s" value="p" coefficient="1"/></RegressionTable>
</RegressionModel>)"),
       C::kParseError,
       {"test.pmml:11: CategoricalPredictor: field 's' is used here but is not in the model's "
        "MiningSchema"}},
      {"bad usage",
       With(
           R"(<RegressionModel functionName="regression"><MiningSchema><MiningField name="x" usageType="input"/></MiningSchema></RegressionModel>)"),
       C::kParseError,
       {"usageType=\"input\" is not a valid value; expected one of: active"}},
      {"bad invalid treatment",
       Replace(Regression(table), "<MiningField name=\"x\"/>",
               "<MiningField name=\"x\" invalidValueTreatment=\"ignore\"/>"),
       C::kParseError,
       {"invalidValueTreatment=\"ignore\" is not a valid value"}},
      {"bad replacement",
       Replace(Regression(table), "<MiningField name=\"x\"/>",
               "<MiningField name=\"x\" missingValueReplacement=\"mean\"/>"),
       C::kParseError,
       {"missingValueReplacement=\"mean\" is not a value of type double"}},
      {"clustering",
       With(R"(<RegressionModel functionName="clustering"><MiningSchema/></RegressionModel>)"),
       C::kUnimplemented,
       {"functionName=\"clustering\" is not supported"}},
      {"no function",
       With(R"(<TreeModel><MiningSchema/></TreeModel>)"),
       C::kParseError,
       {"the attribute 'functionName' is missing"}},
      {"no schema",
       With(R"(<TreeModel functionName="regression"/>)"),
       C::kParseError,
       {"the model has no MiningSchema"}},
      {"not scorable",
       With(R"(<TreeModel functionName="regression" isScorable="false"/>)"),
       C::kParseError,
       {"isScorable"}},
      {"normalization",
       Regression(table, R"(normalizationMethod="tanh")"),
       C::kParseError,
       {"normalizationMethod=\"tanh\" is not a valid value; expected one of: none, simplemax"}},
      {"simplemax regression",
       Regression(table, R"(normalizationMethod="simplemax")"),
       C::kParseError,
       {"simplemax\" is for classification models"}},
      {"two regression tables",
       Regression(table + table),
       C::kParseError,
       {"a regression RegressionModel has one RegressionTable, found 2"}},
      {"no table", Regression(""), C::kParseError, {"has no RegressionTable"}},
      {"no intercept",
       Regression("<RegressionTable/>"),
       C::kParseError,
       {"RegressionTable: the attribute 'intercept' is missing"}},
      {"bad coefficient",
       Regression(
           R"(<RegressionTable intercept="0"><NumericPredictor name="x" coefficient="1,5"/></RegressionTable>)"),
       C::kParseError,
       {"NumericPredictor: coefficient=\"1,5\" is not a number"}},
      {"numeric predictor of a string",
       Regression(
           R"(<RegressionTable intercept="0"><NumericPredictor name="s" coefficient="1"/></RegressionTable>)"),
       C::kParseError,
       {"field 's' is a string field; a NumericPredictor needs a number"}},
      {"unknown category value",
       Regression(
           R"(<RegressionTable intercept="0"><CategoricalPredictor name="s" value="r" coefficient="1"/></RegressionTable>)"),
       C::kParseError,
       {"\"r\" is not a value of field 's' (p, q)"}},
      {"predictor term",
       Regression(
           R"(<RegressionTable intercept="0"><PredictorTerm coefficient="1"><FieldRef field="x"/></PredictorTerm></RegressionTable>)"),
       C::kUnimplemented,
       {"interaction terms (PredictorTerm) are not supported"}},
      {"missing table for a category",
       With(R"(<RegressionModel functionName="classification" normalizationMethod="softmax">
<MiningSchema><MiningField name="t" usageType="target"/><MiningField name="x"/></MiningSchema>
<RegressionTable intercept="0" targetCategory="yes"/></RegressionModel>)"),
       C::kParseError,
       {"category 'no' of the target field has no RegressionTable"}},
      {"unknown target category",
       With(R"(<RegressionModel functionName="classification" normalizationMethod="softmax">
<MiningSchema><MiningField name="t" usageType="target"/><MiningField name="x"/></MiningSchema>
<RegressionTable intercept="0" targetCategory="maybe"/></RegressionModel>)"),
       C::kParseError,
       {"targetCategory=\"maybe\" is not one of the values of target field 't' (no, yes)"}},
      {"non-empty second logit table",
       With(R"(<RegressionModel functionName="classification" normalizationMethod="logit">
<MiningSchema><MiningField name="t" usageType="target"/><MiningField name="x"/></MiningSchema>
<RegressionTable intercept="0" targetCategory="yes"/>
<RegressionTable intercept="1" targetCategory="no"/></RegressionModel>)"),
       C::kParseError,
       {"test.pmml:12: RegressionTable:", "must be empty"}},
      {"continuous target of a classifier",
       With(
           R"(<RegressionModel functionName="classification"><MiningSchema><MiningField name="x" usageType="target"/></MiningSchema></RegressionModel>)"),
       C::kParseError,
       {"target field 'x' must be categorical or ordinal"}},
      // Trees
      {"weighted confidence",
       Tree("", R"(missingValueStrategy="weightedConfidence")"),
       C::kUnimplemented,
       {"missingValueStrategy=\"weightedConfidence\" is not supported"}},
      {"bad default child",
       With(R"(<TreeModel functionName="regression" missingValueStrategy="defaultChild">
<MiningSchema><MiningField name="x"/></MiningSchema>
<Node score="0" defaultChild="7"><True/><Node id="1" score="1"><True/></Node></Node></TreeModel>)"),
       C::kParseError,
       {"test.pmml:11: Node: defaultChild=\"7\" is not the id of one of this Node's children"}},
      {"leaf without score",
       Tree(R"(<Node><True/></Node>)"),
       C::kParseError,
       {"a leaf Node needs a score"}},
      {"bad score",
       Tree(R"(<Node score="high"><True/></Node>)"),
       C::kParseError,
       {"score=\"high\" is not a number"}},
      {"node without predicate",
       Tree(R"(<Node score="1"/>)"),
       C::kParseError,
       {"a predicate (True, False, SimplePredicate, SimpleSetPredicate or CompoundPredicate) is "
        "missing"}},
      {"bad operator",
       Tree(R"(<Node score="1"><SimplePredicate field="x" operator="between" value="1"/></Node>)"),
       C::kParseError,
       {"operator=\"between\" is not a valid value"}},
      {"ordering a string",
       Tree(R"(<Node score="1"><SimplePredicate field="s" operator="lessThan" value="p"/></Node>)"),
       C::kUnimplemented,
       {"operator lessThan on the string field 's' is not supported"}},
      {"text threshold",
       Tree(
           R"(<Node score="1"><SimplePredicate field="x" operator="lessThan" value="ten"/></Node>)"),
       C::kParseError,
       {"value=\"ten\" is not a value of type double"}},
      {"no value",
       Tree(R"(<Node score="1"><SimplePredicate field="x" operator="equal"/></Node>)"),
       C::kParseError,
       {"SimplePredicate: the attribute 'value' is missing"}},
      {"unknown predicate field",
       Tree(R"(<Node score="1"><SimplePredicate field="y" operator="equal" value="1"/></Node>)"),
       C::kParseError,
       {"test.pmml:12: SimplePredicate: field 'y' is not defined"}},
      {"set without array",
       Tree(R"(<Node score="1"><SimpleSetPredicate field="s" booleanOperator="isIn"/></Node>)"),
       C::kParseError,
       {"a SimpleSetPredicate needs an Array of values"}},
      {"array count",
       Tree(
           R"(<Node score="1"><SimpleSetPredicate field="s" booleanOperator="isIn"><Array n="3" type="string">p q</Array></SimpleSetPredicate></Node>)"),
       C::kParseError,
       {"Array: n=\"3\" but the array has 2 entries"}},
      {"unclosed quote",
       Tree(
           R"(<Node score="1"><SimpleSetPredicate field="s" booleanOperator="isIn"><Array type="string">"p q</Array></SimpleSetPredicate></Node>)"),
       C::kParseError,
       {"a quoted entry is not closed"}},
      {"array of texts for a number",
       Tree(
           R"(<Node score="1"><SimpleSetPredicate field="x" booleanOperator="isIn"><Array type="real">1 two</Array></SimpleSetPredicate></Node>)"),
       C::kParseError,
       {"\"two\" is not a value of field 'x' (type double)"}},
      {"unknown category in a predicate",
       Tree(R"(<Node score="1"><SimplePredicate field="s" operator="equal" value="r"/></Node>)"),
       C::kParseError,
       {"SimplePredicate: \"r\" is not a value of field 's' (p, q)"}},
      {"unknown category in a set",
       Tree(
           R"(<Node score="1"><SimpleSetPredicate field="s" booleanOperator="isIn"><Array type="string">p "r s"</Array></SimpleSetPredicate></Node>)"),
       C::kParseError,
       {"Array: \"r s\" is not a value of field 's' (p, q)"}},
      {"one-child compound",
       Tree(
           R"(<Node score="1"><CompoundPredicate booleanOperator="and"><True/></CompoundPredicate></Node>)"),
       C::kParseError,
       {"a CompoundPredicate needs at least two predicates, found 1"}},
      {"bad compound operator",
       Tree(
           R"(<Node score="1"><CompoundPredicate booleanOperator="nand"><True/><True/></CompoundPredicate></Node>)"),
       C::kParseError,
       {"booleanOperator=\"nand\" is not a valid value"}},
      {"embedded regression",
       Tree(R"(<Node score="1"><True/><Regression/></Node>)"),
       C::kUnimplemented,
       {"models embedded in tree nodes (<Regression>) are not supported"}},
      {"two roots",
       With(
           R"(<TreeModel functionName="regression"><MiningSchema/><Node score="1"><True/></Node><Node score="2"><True/></Node></TreeModel>)"),
       C::kParseError,
       {"a TreeModel has one root Node"}},
      {"score distribution of an unknown category",
       With(
           R"(<TreeModel functionName="classification"><MiningSchema><MiningField name="t" usageType="target"/></MiningSchema>
<Node score="no"><True/><ScoreDistribution value="perhaps" recordCount="1"/></Node></TreeModel>)"),
       C::kParseError,
       {"ScoreDistribution: value=\"perhaps\" is not one of the values"}},
      // MiningModel
      {"select all",
       With(
           R"(<MiningModel functionName="regression"><MiningSchema/><Segmentation multipleModelMethod="selectAll"/></MiningModel>)"),
       C::kUnimplemented,
       {"multipleModelMethod=\"selectAll\" is not supported"}},
      {"sum of classifiers",
       With(
           R"(<MiningModel functionName="classification"><MiningSchema/><Segmentation multipleModelMethod="sum"/></MiningModel>)"),
       C::kParseError,
       {"multipleModelMethod=\"sum\" does not apply to classification models"}},
      {"no segmentation",
       With(R"(<MiningModel functionName="regression"><MiningSchema/></MiningModel>)"),
       C::kParseError,
       {"the MiningModel has no Segmentation"}},
      {"segment without model",
       With(
           R"(<MiningModel functionName="regression"><MiningSchema/><Segmentation multipleModelMethod="sum"><Segment id="a"><True/></Segment></Segmentation></MiningModel>)"),
       C::kParseError,
       {"segment 'a' has no model"}},
      {"classifier in a regression",
       With(
           R"(<MiningModel functionName="regression"><MiningSchema><MiningField name="t" usageType="target"/><MiningField name="x"/></MiningSchema>
<Segmentation multipleModelMethod="sum"><Segment id="a"><True/>
<TreeModel functionName="classification"><MiningSchema><MiningField name="x"/></MiningSchema><Node score="no"><True/></Node></TreeModel>
</Segment></Segmentation></MiningModel>)"),
       C::kParseError,
       {"segment 'a' is a classification model inside a regression MiningModel"}},
      {"unsupported segment model",
       With(
           R"(<MiningModel functionName="regression"><MiningSchema/><Segmentation multipleModelMethod="sum"><Segment><True/><Scorecard functionName="regression"/></Segment></Segmentation></MiningModel>)"),
       C::kUnimplemented,
       {"Scorecard models are not supported"}},
      {"chain output of another kind",
       With(
           R"(<MiningModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema><Segmentation multipleModelMethod="modelChain">
<Segment><True/><TreeModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
<Output><OutputField name="o" feature="residual"/></Output><Node score="1"><True/></Node></TreeModel></Segment>
</Segmentation></MiningModel>)"),
       C::kUnimplemented,
       {"OutputField: feature=\"residual\" is not supported"}},
      {"chain field read before it exists",
       With(
           R"(<MiningModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema><Segmentation multipleModelMethod="modelChain">
<Segment><True/><TreeModel functionName="regression"><MiningSchema><MiningField name="o"/></MiningSchema><Node score="1"><True/></Node></TreeModel></Segment>
<Segment><True/><TreeModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
<Output><OutputField name="o" feature="predictedValue"/></Output><Node score="1"><True/></Node></TreeModel></Segment>
</Segmentation></MiningModel>)"),
       C::kParseError,
       {"test.pmml:10: MiningField: field 'o' is not defined"}},
      // Derived fields and Targets
      {"unknown function",
       Derived(R"(<Apply function="substring"><FieldRef field="s"/></Apply>)"),
       C::kUnimplemented,
       {"function=\"substring\" is not supported"}},
      {"arity",
       Derived(R"(<Apply function="+"><FieldRef field="x"/></Apply>)"),
       C::kParseError,
       {"function '+' takes 2 arguments, found 1"}},
      {"map values",
       Derived(R"(<MapValues outputColumn="o"/>)"),
       C::kUnimplemented,
       {"<MapValues> expressions are not supported"}},
      {"not an expression", Derived(R"(<True/>)"), C::kParseError, {"<True> is not an expression"}},
      {"norm continuous with one point",
       Derived(R"(<NormContinuous field="x"><LinearNorm orig="0" norm="0"/></NormContinuous>)"),
       C::kParseError,
       {"NormContinuous needs at least two LinearNorm elements, found 1"}},
      {"norm continuous not increasing",
       Derived(
           R"(<NormContinuous field="x"><LinearNorm orig="1" norm="0"/><LinearNorm orig="1" norm="2"/></NormContinuous>)"),
       C::kParseError,
       {"orig=1 does not increase"}},
      {"norm continuous of a string",
       Derived(
           R"(<NormContinuous field="s"><LinearNorm orig="0" norm="0"/><LinearNorm orig="1" norm="1"/></NormContinuous>)"),
       C::kParseError,
       {"field 's' is a string field; NormContinuous needs a number"}},
      {"cycle",
       Regression(R"(<LocalTransformations>
<DerivedField name="a" optype="continuous" dataType="double"><FieldRef field="b"/></DerivedField>
<DerivedField name="b" optype="continuous" dataType="double"><FieldRef field="a"/></DerivedField>
</LocalTransformations><RegressionTable intercept="0"/>)"),
       C::kParseError,
       {"derived field 'a' depends on itself"}},
      {"define function",
       Pmml(std::string(kFields) +
            R"(<TransformationDictionary><DefineFunction name="f"/></TransformationDictionary>)"),
       C::kUnimplemented,
       {"user-defined functions (DefineFunction) are not supported"}},
      {"no expression",
       Regression(
           R"(<LocalTransformations><DerivedField name="a" optype="continuous" dataType="double"/></LocalTransformations><RegressionTable intercept="0"/>)"),
       C::kParseError,
       {"derived field 'a' has no expression"}},
      {"target default value",
       Regression(R"(<Targets><Target><TargetValue defaultValue="3"/></Target></Targets>)" + table),
       C::kUnimplemented,
       {"default values and prior probabilities of TargetValue"}},
      {"target min above max",
       Regression(R"(<Targets><Target min="2" max="1"/></Targets>)" + table),
       C::kParseError,
       {"Target: min 2 is greater than max 1"}},
      {"outlier bounds reversed",
       Replace(Regression(table), "<MiningField name=\"x\"/>",
               "<MiningField name=\"x\" outliers=\"asExtremeValues\" lowValue=\"5\" "
               "highValue=\"-5\"/>"),
       C::kParseError,
       {"lowValue 5 is greater than highValue -5"}},
      {"two targets",
       Regression(R"(<Targets><Target/><Target/></Targets>)" + table),
       C::kUnimplemented,
       {"more than one Target is not supported"}},
      {"unknown element in a model",
       Regression("<ModelFrobnicator/>" + table),
       C::kUnimplemented,
       {"<ModelFrobnicator> in a RegressionModel is not supported"}},
  };
}

TEST(PmmlParser, BadDocumentsGiveClearErrors) {
  for (const Case& c : Cases()) {
    auto doc = ParseDocument(c.text, "test.pmml");
    ASSERT_FALSE(doc.ok()) << c.name << " parsed:\n" << c.text;
    EXPECT_EQ(doc.status().code(), c.code) << c.name << ": " << doc.status().ToString();
    for (const std::string& e : c.expected) {
      EXPECT_NE(doc.status().message().find(e), std::string::npos)
          << c.name << ": expected \"" << e << "\" in: " << doc.status().ToString() << "\n"
          << c.text;
    }
  }
}

TEST(PmmlParser, DeepNestingIsRefusedNotAStackOverflow) {
  std::string nodes;
  for (int i = 0; i < 1500; ++i) nodes += R"(<Node score="1"><True/>)";
  for (int i = 0; i < 1500; ++i) nodes += "</Node>";
  auto doc = ParseDocument(Tree(nodes), "test.pmml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), core::StatusCode::kUnimplemented);
  EXPECT_NE(doc.status().message().find("trees deeper than 1000 levels"), std::string::npos);

  std::string predicate;
  for (int i = 0; i < 500; ++i) predicate += R"(<CompoundPredicate booleanOperator="or"><False/>)";
  predicate += "<True/>";
  for (int i = 0; i < 500; ++i) predicate += "</CompoundPredicate>";
  doc = ParseDocument(Tree(R"(<Node score="1">)" + predicate + "</Node>"), "test.pmml");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("nested deeper than"), std::string::npos);
}

TEST(PmmlParser, DocumentationElementsAndNamespacesAreAccepted) {
  auto doc = testing::Parse(R"(<?xml version="1.0"?>
<pmml:PMML xmlns:pmml="http://www.dmg.org/PMML-4_3" version="4.3">
  <pmml:Header copyright="x"><pmml:Application name="a"/><pmml:Annotation>note</pmml:Annotation></pmml:Header>
  <pmml:DataDictionary>
    <pmml:DataField name="x" optype="continuous" dataType="double"><pmml:Extension name="e"/></pmml:DataField>
  </pmml:DataDictionary>
  <pmml:RegressionModel functionName="regression">
    <pmml:Extension/>
    <pmml:MiningSchema><pmml:MiningField name="x"/></pmml:MiningSchema>
    <pmml:Output><pmml:OutputField name="p" feature="predictedValue"/></pmml:Output>
    <pmml:ModelStats/>
    <pmml:RegressionTable intercept="1"><pmml:NumericPredictor name="x" coefficient="2"/></pmml:RegressionTable>
    <pmml:ModelVerification/>
  </pmml:RegressionModel>
</pmml:PMML>)");
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->version, "4.3");
  EXPECT_DOUBLE_EQ(testing::Value0(*doc, {{"x", testing::N(3)}}), 7);
}

}  // namespace
}  // namespace kiln::serve::pmml
