#include "kiln/core/status.h"

#include <gtest/gtest.h>

#include "kiln/core/error_code.h"
#include "kiln/core/result.h"

namespace kiln::core {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("expected an even number, found {}", x);
  return x / 2;
}

Result<int> Quarter(int x) {
  KILN_ASSIGN_OR_RETURN(int h, Half(x));
  KILN_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ContextIsOutermostFirst) {
  Status s = ParseError("line 3: bad number");
  s.AddContext("while reading a.csv");
  s.AddContext("while training");
  EXPECT_EQ(s.ToString(), "line 3: bad number (while training; while reading a.csv)");
}

TEST(StatusTest, CopiesDoNotShareContext) {
  Status a = IoError("disk full");
  Status b = a;
  b.AddContext("while saving");
  EXPECT_EQ(a.ToString(), "disk full");
  EXPECT_EQ(b.ToString(), "disk full (while saving)");
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "expected an even number, found 3");
}

TEST(ErrorTableTest, EveryCodeHasADistinctRowAndNonZeroExit) {
  for (int c = 1; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    const auto code = static_cast<StatusCode>(c);
    const ErrorSurface& row = SurfaceFor(code);
    EXPECT_EQ(row.code, code) << StatusCodeName(code);
    EXPECT_NE(row.exit_code, 0) << StatusCodeName(code);
    EXPECT_GE(row.http_status, 400) << StatusCodeName(code);
    EXPECT_FALSE(row.prefix.empty());
  }
  EXPECT_EQ(SurfaceFor(StatusCode::kOk).exit_code, 0);
  EXPECT_EQ(SurfaceFor(StatusCode::kCancelled).exit_code, kExitCancelled);
  EXPECT_EQ(SurfaceFor(StatusCode::kInvalidArgument).exit_code, kExitUsage);
}

}  // namespace
}  // namespace kiln::core
