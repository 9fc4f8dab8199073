#include <gtest/gtest.h>

#include <cmath>

#include "kiln/core/context.h"
#include "kiln/core/growable_buffer.h"
#include "kiln/core/random.h"
#include "kiln/core/registry.h"
#include "kiln/core/strings.h"

namespace kiln::core {
namespace {

TEST(StringsTest, ParseDouble) {
  EXPECT_EQ(*ParseDouble(" 1.5 "), 1.5);
  EXPECT_EQ(*ParseDouble("+2"), 2.0);
  EXPECT_EQ(*ParseDouble("-1e-3"), -1e-3);
  EXPECT_FALSE(ParseDouble("1.5x").has_value());
  EXPECT_FALSE(ParseDouble("").has_value());
  EXPECT_FALSE(ParseDouble("abc").has_value());
  EXPECT_TRUE(std::isinf(*ParseDouble("inf")));
}

TEST(StringsTest, FormatDoubleIsShortestRoundTrip) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(3.0), "3");
  EXPECT_EQ(FormatDouble(-1.0), "-1");
}

TEST(StringsTest, ClosestMatch) {
  EXPECT_EQ(ClosestMatch("lgistic_regression", {"logistic_regression", "linear_svm"}),
            "logistic_regression");
  EXPECT_EQ(ClosestMatch("zzz", {"logistic_regression"}), "");
}

TEST(StringsTest, ExcerptEscapesControlBytes) {
  EXPECT_EQ(Excerpt(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(Excerpt(std::string(50, 'x'), 5), "xxxxx...");
}

TEST(GrowableBufferTest, GrowsAndFreezes) {
  GrowableBuffer<uint32_t> buf;
  for (uint32_t i = 0; i < 1'000'000; ++i) ASSERT_TRUE(buf.PushBack(i));
  Array<uint32_t> a = std::move(buf).Freeze();
  ASSERT_EQ(a.size(), 1'000'000u);
  for (uint32_t i = 0; i < a.size(); i += 9973) EXPECT_EQ(a[i], i);
  EXPECT_EQ(a[999'999], 999'999u);
}

TEST(RngTest, DeterministicAndUniform) {
  Rng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(Rng(7).Next(), c.Next());
  Rng r(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += r.Uniform();
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.UniformInt(7), 7u);
}

TEST(RegistryTest, RegisterFindAndErrors) {
  struct Factory {
    int value;
  };
  Registry<Factory> reg("widget");
  Registry<Factory>::Entry e;
  e.name = "alpha";
  e.description = "first";
  e.factory = {1};
  ASSERT_TRUE(reg.Register(e).ok());
  EXPECT_EQ(reg.Register(e).code(), StatusCode::kAlreadyExists);
  auto found = reg.Get("alpha");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->factory.value, 1);
  auto missing = reg.Get("alpah");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("did you mean 'alpha'"), std::string::npos);
  Registry<Factory> other("widget");  // registries are independent objects
  EXPECT_EQ(other.size(), 0u);
}

}  // namespace
}  // namespace kiln::core

namespace kiln::core {
namespace {

TEST(ContextTest, ChildHasItsOwnPoolAndSeedAndSharesCancellation) {
  CancellationToken cancel;
  Context parent(ContextOptions{2, 7}, nullptr, nullptr, &cancel);
  auto child = parent.Child(1, 99);
  EXPECT_EQ(child->threads(), 1);
  EXPECT_EQ(child->seed(), 99u);
  EXPECT_TRUE(child->CheckCancelled("work").ok());
  cancel.Cancel();
  EXPECT_EQ(child->CheckCancelled("work").code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace kiln::core
