#include "kiln/pipeline/cron.h"

#include <ctime>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
};

const std::map<std::string, int>& Names(std::string_view field) {
  static const std::map<std::string, int> kMonths{
      {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4},  {"may", 5},  {"jun", 6},
      {"jul", 7}, {"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
  static const std::map<std::string, int> kDays{{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                                {"thu", 4}, {"fri", 5}, {"sat", 6}};
  static const std::map<std::string, int> kNone;
  if (field == "month") return kMonths;
  if (field == "day-of-week") return kDays;
  return kNone;
}

Result<int> Value(std::string_view text, const FieldSpec& f, std::string_view whole) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& names = Names(f.name);
  if (auto it = names.find(lower); it != names.end()) return it->second;
  bool digits = !text.empty() && text.size() <= 4;
  int v = 0;
  for (char c : text) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) v = v * 10 + (c - '0');
  }
  if (!digits) {
    return core::InvalidArgument("cron '{}': {} field: expected a number {}-{}{}, found '{}'",
                                 whole, f.name, f.min, f.max, names.empty() ? "" : " or a name",
                                 text);
  }
  if (v < f.min || v > f.max) {
    return core::InvalidArgument("cron '{}': {} {} is out of range: expected {}-{}", whole, f.name,
                                 v, f.min, f.max);
  }
  return v;
}

// Sets the bits of one field; `restricted` is false for a plain `*`.
template <size_t N>
Status ParseField(std::string_view text, const FieldSpec& f, std::string_view whole,
                  std::bitset<N>& bits, bool& restricted) {
  restricted = text != "*";
  for (const std::string& part : core::Split(text, ',')) {
    std::string_view p = part;
    int step = 1;
    if (size_t slash = p.find('/'); slash != std::string_view::npos) {
      std::string_view s = p.substr(slash + 1);
      p = p.substr(0, slash);
      FieldSpec step_spec{"step", 1, f.max};
      KILN_ASSIGN_OR_RETURN(step, Value(s, step_spec, whole));
    }
    int lo = f.min, hi = f.max;
    if (p != "*") {
      if (size_t dash = p.find('-'); dash != std::string_view::npos) {
        KILN_ASSIGN_OR_RETURN(lo, Value(p.substr(0, dash), f, whole));
        KILN_ASSIGN_OR_RETURN(hi, Value(p.substr(dash + 1), f, whole));
        if (hi < lo)
          return core::InvalidArgument("cron '{}': {} range {} goes backwards", whole, f.name,
                                       std::string(p));
      } else {
        KILN_ASSIGN_OR_RETURN(lo, Value(p, f, whole));
        hi = part.find('/') != std::string::npos ? f.max : lo;
      }
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<size_t>(v % static_cast<int>(N)));
  }
  return Status::Ok();
}

int64_t ToMs(std::tm tm) { return static_cast<int64_t>(timegm(&tm)) * 1000; }

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view input) {
  std::string text(input);
  static const std::map<std::string, std::string> kShort{
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  std::string expanded = text;
  if (auto it = kShort.find(text); it != kShort.end()) expanded = it->second;
  std::vector<std::string> fields;
  std::istringstream in(expanded);
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5 && fields.size() != 6) {
    return core::InvalidArgument(
        "cron '{}': expected 5 fields (minute hour day-of-month month day-of-week) or 6 with "
        "seconds first, found {}",
        text, fields.size());
  }
  CronSchedule s;
  s.text_ = text;
  s.has_seconds_ = fields.size() == 6;
  size_t i = 0;
  bool unused = false;
  if (s.has_seconds_) {
    KILN_RETURN_IF_ERROR(ParseField(fields[i++], {"second", 0, 59}, text, s.seconds_, unused));
  } else {
    s.seconds_.set(0);
  }
  KILN_RETURN_IF_ERROR(ParseField(fields[i++], {"minute", 0, 59}, text, s.minutes_, unused));
  KILN_RETURN_IF_ERROR(ParseField(fields[i++], {"hour", 0, 23}, text, s.hours_, unused));
  KILN_RETURN_IF_ERROR(
      ParseField(fields[i++], {"day-of-month", 1, 31}, text, s.days_, s.day_restricted_));
  KILN_RETURN_IF_ERROR(ParseField(fields[i++], {"month", 1, 12}, text, s.months_, unused));
  KILN_RETURN_IF_ERROR(
      ParseField(fields[i++], {"day-of-week", 0, 7}, text, s.weekdays_, s.weekday_restricted_));
  if (!s.Next(0).has_value()) {
    return core::InvalidArgument("cron '{}' never fires (no such day)", text);
  }
  return s;
}

std::optional<int64_t> CronSchedule::Next(int64_t after_ms) const {
  std::time_t t = static_cast<std::time_t>(after_ms / 1000) + 1;  // strictly after, whole seconds
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int limit_year = tm.tm_year + 5;
  auto normalize = [&] {
    std::time_t x = timegm(&tm);
    gmtime_r(&x, &tm);
  };
  while (tm.tm_year <= limit_year) {
    if (!months_.test(static_cast<size_t>(tm.tm_mon + 1))) {
      tm.tm_mon += 1, tm.tm_mday = 1, tm.tm_hour = 0, tm.tm_min = 0, tm.tm_sec = 0;
      normalize();
      continue;
    }
    const bool dom = days_.test(static_cast<size_t>(tm.tm_mday));
    const bool dow = weekdays_.test(static_cast<size_t>(tm.tm_wday));
    const bool day_ok = day_restricted_ && weekday_restricted_ ? (dom || dow)
                        : day_restricted_                      ? dom
                        : weekday_restricted_                  ? dow
                                                               : true;
    if (!day_ok) {
      tm.tm_mday += 1, tm.tm_hour = 0, tm.tm_min = 0, tm.tm_sec = 0;
      normalize();
      continue;
    }
    if (!hours_.test(static_cast<size_t>(tm.tm_hour))) {
      tm.tm_hour += 1, tm.tm_min = 0, tm.tm_sec = 0;
      normalize();
      continue;
    }
    if (!minutes_.test(static_cast<size_t>(tm.tm_min))) {
      tm.tm_min += 1, tm.tm_sec = 0;
      normalize();
      continue;
    }
    if (!seconds_.test(static_cast<size_t>(tm.tm_sec))) {
      tm.tm_sec += 1;
      normalize();
      continue;
    }
    return ToMs(tm);
  }
  return std::nullopt;
}

}  // namespace kiln::pipeline
