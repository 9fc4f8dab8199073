#include "kiln/core/param_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kiln::core {
namespace {

using ::testing::HasSubstr;

ParamSpec MakeSpec() {
  ParamSpec spec("demo");
  spec.Double("l2", 1e-4, "L2 strength").Min(0).LogScale();
  spec.Int("max_iter", 100, "iterations").Min(1).Max(100000);
  spec.Bool("fit_intercept", true, "fit an intercept");
  spec.Choice("solver", "auto", {"auto", "lbfgs", "ftrl"}, "solver");
  spec.Double("learning_rate", 0.1, "step size").Min(0, false).Alias("eta");
  return spec;
}

TEST(ParamSpecTest, SpecIsValid) { EXPECT_TRUE(MakeSpec().Validate().ok()); }

TEST(ParamSpecTest, DefaultsFillEverything) {
  auto map = MakeSpec().Resolve({});
  ASSERT_TRUE(map.ok());
  EXPECT_DOUBLE_EQ(map->GetDouble("l2"), 1e-4);
  EXPECT_EQ(map->GetInt("max_iter"), 100);
  EXPECT_TRUE(map->GetBool("fit_intercept"));
  EXPECT_EQ(map->GetString("solver"), "auto");
  EXPECT_FALSE(map->IsSet("l2"));
}

TEST(ParamSpecTest, ParsesTypedValuesAndAliases) {
  auto map = MakeSpec().Resolve({{"l2", "0.5"},
                                 {"max_iter", "7"},
                                 {"fit_intercept", "no"},
                                 {"solver", "ftrl"},
                                 {"eta", "0.01"}});
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_DOUBLE_EQ(map->GetDouble("l2"), 0.5);
  EXPECT_EQ(map->GetInt("max_iter"), 7);
  EXPECT_FALSE(map->GetBool("fit_intercept"));
  EXPECT_EQ(map->GetString("solver"), "ftrl");
  EXPECT_DOUBLE_EQ(map->GetDouble("learning_rate"), 0.01);
  EXPECT_TRUE(map->IsSet("learning_rate"));
}

TEST(ParamSpecTest, UnknownKeyListsValidOnesAndSuggests) {
  auto map = MakeSpec().Resolve({{"l3", "1"}});
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(map.status().message(), HasSubstr("unknown parameter 'l3' for demo"));
  EXPECT_THAT(map.status().message(), HasSubstr("did you mean 'l2'"));
  EXPECT_THAT(map.status().message(), HasSubstr("valid parameters: l2, max_iter, fit_intercept"));
}

TEST(ParamSpecTest, RangeAndTypeErrorsSayWhatWasExpected) {
  auto spec = MakeSpec();
  auto neg = spec.Resolve({{"l2", "-1"}});
  ASSERT_FALSE(neg.ok());
  EXPECT_THAT(neg.status().message(), HasSubstr("expected a number >= 0, found -1"));
  auto text = spec.Resolve({{"max_iter", "ten"}});
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(),
              HasSubstr("expected an integer in [1, 100000], found 'ten'"));
  auto frac = spec.Resolve({{"max_iter", "1.5"}});
  EXPECT_FALSE(frac.ok());
  auto choice = spec.Resolve({{"solver", "sgd"}});
  ASSERT_FALSE(choice.ok());
  EXPECT_THAT(choice.status().message(), HasSubstr("one of: auto, lbfgs, ftrl"));
  auto excl = spec.Resolve({{"learning_rate", "0"}});
  ASSERT_FALSE(excl.ok());
  EXPECT_THAT(excl.status().message(), HasSubstr("> 0"));
  auto nan = spec.Resolve({{"l2", "nan"}});
  EXPECT_FALSE(nan.ok());
  auto dup = spec.Resolve({{"eta", "0.1"}, {"learning_rate", "0.2"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("given twice"));
}

TEST(ParamSpecTest, JsonRoundTrip) {
  auto spec = MakeSpec();
  auto map = spec.Resolve({{"l2", "0.25"}, {"solver", "lbfgs"}});
  ASSERT_TRUE(map.ok());
  auto back = spec.ResolveJson(map->ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_DOUBLE_EQ(back->GetDouble("l2"), 0.25);
  EXPECT_EQ(back->GetString("solver"), "lbfgs");
  auto j = spec.ToJson();
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j[0]["name"], "l2");
  EXPECT_EQ(j[0]["min"], 0.0);
  EXPECT_EQ(j[3]["choices"].size(), 3u);
  EXPECT_EQ(j[4]["aliases"][0], "eta");
}

TEST(ParamSpecTest, ValidateCatchesBadSpecs) {
  ParamSpec dup("x");
  dup.Int("a", 1, "a");
  dup.Int("b", 1, "b").Alias("a");
  EXPECT_FALSE(dup.Validate().ok());
  ParamSpec bad_default("y");
  bad_default.Int("a", 0, "a").Min(1);
  EXPECT_FALSE(bad_default.Validate().ok());
  ParamSpec no_help("z");
  no_help.Int("a", 0, "");
  EXPECT_FALSE(no_help.Validate().ok());
}

TEST(SplitKeyValueTest, RequiresEquals) {
  auto kv = SplitKeyValue("l2=0.1");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "l2");
  EXPECT_EQ(kv->second, "0.1");
  EXPECT_FALSE(SplitKeyValue("l2").ok());
  EXPECT_FALSE(SplitKeyValue("=3").ok());
}

}  // namespace
}  // namespace kiln::core
