#include "../../../src/pipeline/reference_scan.h"

#include <gtest/gtest.h>

namespace kiln::pipeline {
namespace {

TEST(ReferenceScanTest, FindsParamReferencesWithSpaces) {
  const std::string text = "a ${params.x} b ${ params.long_name } ${steps.s.outputs.o}";
  auto m = FindParamRef(text, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "x");
  EXPECT_EQ(text.substr(m->begin, m->end - m->begin), "${params.x}");
  m = FindParamRef(text, m->end);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "long_name");
  EXPECT_FALSE(FindParamRef(text, m->end));
  EXPECT_FALSE(FindParamRef("${params.}", 0));
  EXPECT_FALSE(FindParamRef("${params.x", 0));
  EXPECT_FALSE(FindParamRef("${param.x}", 0));
}

TEST(ReferenceScanTest, StepReferences) {
  std::string step, port;
  ASSERT_TRUE(ParseStepRef("${steps.split.outputs.train}", step, port));
  EXPECT_EQ(step, "split");
  EXPECT_EQ(port, "train");
  ASSERT_TRUE(ParseStepRef("  ${ steps.a-b.c.outputs.model_1 }  ", step, port));
  EXPECT_EQ(step, "a-b.c");
  EXPECT_EQ(port, "model_1");
  EXPECT_FALSE(ParseStepRef("${steps.split.outputs.}", step, port));
  EXPECT_FALSE(ParseStepRef("${steps..outputs.train}", step, port));
  EXPECT_FALSE(ParseStepRef("${steps.split.train}", step, port));
  EXPECT_FALSE(ParseStepRef("${steps.split.outputs.train} extra", step, port));
  EXPECT_FALSE(ParseStepRef("${steps.sp lit.outputs.train}", step, port));
  EXPECT_FALSE(ParseStepRef("steps.split.outputs.train", step, port));
}

TEST(ReferenceScanTest, StepNames) {
  EXPECT_TRUE(IsStepName("split"));
  EXPECT_TRUE(IsStepName("train-lr_2"));
  EXPECT_FALSE(IsStepName(""));
  EXPECT_FALSE(IsStepName("2split"));
  EXPECT_FALSE(IsStepName("a.b"));
  EXPECT_FALSE(IsStepName(std::string(65, 'a')));
  EXPECT_TRUE(IsStepName(std::string(64, 'a')));
}

TEST(ReferenceScanTest, CoreSchemaNumbers) {
  for (const char* s : {"0", "-3", "+42", "0012"}) EXPECT_TRUE(IsIntLiteral(s)) << s;
  for (const char* s : {"", "-", "1.0", "1e3", " 1", "0x1f"}) EXPECT_FALSE(IsIntLiteral(s)) << s;
  for (const char* s : {"1.5", ".5", "-2.", "1e-3", "+3.25E+2", "7"})
    EXPECT_TRUE(IsFloatLiteral(s)) << s;
  for (const char* s : {"", ".", "e3", "1e", "1.2.3", "nan", "1,5"})
    EXPECT_FALSE(IsFloatLiteral(s)) << s;
}

TEST(ReferenceScanTest, Durations) {
  EXPECT_DOUBLE_EQ(*ScanDuration("30"), 30);
  EXPECT_DOUBLE_EQ(*ScanDuration(" 30s "), 30);
  EXPECT_DOUBLE_EQ(*ScanDuration("1.5m"), 90);
  EXPECT_DOUBLE_EQ(*ScanDuration("2 h"), 7200);
  EXPECT_DOUBLE_EQ(*ScanDuration("500ms"), 0.5);
  for (const char* s : {"", "s", "1.", "-1s", "3d", "1s2", "1 ms x"})
    EXPECT_FALSE(ScanDuration(s)) << s;
}

}  // namespace
}  // namespace kiln::pipeline
