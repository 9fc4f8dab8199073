#include "kiln/pipeline/cron.h"

#include <gtest/gtest.h>

#include <ctime>

#include "kiln/pipeline/scheduler.h"
#include "pipeline_test_util.h"

namespace kiln::pipeline {
namespace {

int64_t Ms(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

int64_t Next(const std::string& cron, int64_t after) {
  auto c = CronSchedule::Parse(cron);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? c->Next(after).value_or(-1) : -1;
}

TEST(CronTest, NextFireTimes) {
  const int64_t t = Ms(2026, 12, 7, 13, 30, 15);  // a Monday
  EXPECT_EQ(Next("0 2 * * *", t), Ms(2026, 12, 8, 2, 0));
  EXPECT_EQ(Next("*/15 * * * *", t), Ms(2026, 12, 7, 13, 45));
  EXPECT_EQ(Next("30 13 * * *", t), Ms(2026, 12, 8, 13, 30));  // strictly after
  EXPECT_EQ(Next("0 9 * * mon-fri", Ms(2026, 12, 11, 10, 0)), Ms(2026, 12, 14, 9, 0));
  EXPECT_EQ(Next("0 0 1 jan *", t), Ms(2027, 1, 1, 0, 0));
  EXPECT_EQ(Next("@hourly", t), Ms(2026, 12, 7, 14, 0));
  EXPECT_EQ(Next("@daily", t), Ms(2026, 12, 8, 0, 0));
  EXPECT_EQ(Next("@weekly", t), Ms(2026, 12, 13, 0, 0));              // Sunday
  EXPECT_EQ(Next("0 0 29 2 *", t), Ms(2028, 2, 29, 0, 0));            // the next leap day
  EXPECT_EQ(Next("*/10 * * * * *", t), Ms(2026, 12, 7, 13, 30, 20));  // seconds field
  EXPECT_EQ(Next("5,35 8-9 * * *", t), Ms(2026, 12, 8, 8, 5));
  // day-of-month and day-of-week both restricted: either matches
  EXPECT_EQ(Next("0 0 25 * sun", t), Ms(2026, 12, 13, 0, 0));
  EXPECT_EQ(Next("0 0 * * 7", t), Ms(2026, 12, 13, 0, 0));  // 7 is Sunday too
}

TEST(CronTest, BadExpressionsSayWhatIsWrong) {
  auto fields = CronSchedule::Parse("0 2 * *");
  ASSERT_FALSE(fields.ok());
  EXPECT_NE(fields.status().message().find("expected 5 fields"), std::string::npos);
  auto range = CronSchedule::Parse("61 * * * *");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("minute 61 is out of range: expected 0-59"),
            std::string::npos)
      << range.status().ToString();
  auto name = CronSchedule::Parse("0 0 * foo *");
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().message().find("month field: expected a number 1-12 or a name"),
            std::string::npos)
      << name.status().ToString();
  auto never = CronSchedule::Parse("0 0 30 2 *");
  ASSERT_FALSE(never.ok());
  EXPECT_NE(never.status().message().find("never fires"), std::string::npos);
  EXPECT_FALSE(CronSchedule::Parse("5-1 * * * *").ok());
  EXPECT_FALSE(CronSchedule::Parse("*/0 * * * *").ok());
}

using ScheduleTest = testing::PipelineTest;

TEST_F(ScheduleTest, FiresAreClaimedOnceAndLateOnesAreMissed) {
  track::ScheduleRecord s;
  s.project_id = project_id_;
  s.spec_path = "/x.yaml";
  s.workdir = "/";
  s.pipeline = "x";
  s.cron = "0 * * * *";  // hourly
  s.created_ms = Ms(2026, 12, 7, 0, 30);
  auto id = store_->schedules().Add(s);
  ASSERT_TRUE(id.ok());
  ScheduleClock clock(*store_, /*grace_ms=*/60'000);
  // Nothing is due before the first full hour.
  auto none = clock.Tick(Ms(2026, 12, 7, 0, 59));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->due.empty());
  // 01:00 seen at 01:00:30: due. 02:00 and 03:00 seen at 03:00:10: 02:00 was missed.
  auto first = clock.Tick(Ms(2026, 12, 7, 1, 0, 30));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->due.size(), 1u);
  EXPECT_EQ(first->due[0].fire_ms, Ms(2026, 12, 7, 1, 0));
  auto later = clock.Tick(Ms(2026, 12, 7, 3, 0, 10));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->missed.size(), 1u);
  EXPECT_EQ(later->missed[0].fire_ms, Ms(2026, 12, 7, 2, 0));
  ASSERT_EQ(later->due.size(), 1u);
  EXPECT_EQ(later->due[0].fire_ms, Ms(2026, 12, 7, 3, 0));
  // A second scheduler (or a restarted one with stale state) cannot claim 03:00 again.
  ASSERT_TRUE(
      store_->sql().Execute("UPDATE schedules SET checked_ms = ?", {Ms(2026, 12, 7, 0, 59)}).ok());
  ScheduleClock other(*store_, 24LL * 3600 * 1000);
  auto again = other.Tick(Ms(2026, 12, 7, 3, 0, 20));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->due.empty());
  auto fires = store_->schedules().Fires(*id, 10);
  ASSERT_TRUE(fires.ok());
  ASSERT_EQ(fires->size(), 3u);
  EXPECT_EQ((*fires)[1].status, "missed");
}

}  // namespace
}  // namespace kiln::pipeline
