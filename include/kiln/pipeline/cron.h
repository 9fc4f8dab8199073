// CronSchedule: when a scheduled pipeline fires, in cron syntax (times in UTC).
//
//   minute hour day-of-month month day-of-week          "0 2 * * *"  (02:00 every day)
//   second minute hour day-of-month month day-of-week   "*/10 * * * * *"  (every 10 s)
//
// Each field: `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those;
// months and days may be names (jan..dec, sun..sat; day 7 is Sunday too). When both
// day-of-month and day-of-week are restricted, a day matching either fires (as Vixie cron).
// Shorthands: @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Immutable; thread-safe.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/core/result.h"

namespace kiln::pipeline {

class CronSchedule {
 public:
  // kInvalidArgument naming the field and what was expected, or a schedule that never fires.
  static core::Result<CronSchedule> Parse(std::string_view text);

  // The first fire time strictly after `after_ms` (milliseconds since the epoch), or nullopt
  // when there is none in the next 5 years.
  std::optional<int64_t> Next(int64_t after_ms) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool day_restricted_ = false;
  bool weekday_restricted_ = false;
  bool has_seconds_ = false;
};

}  // namespace kiln::pipeline
