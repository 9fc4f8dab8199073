#include "number_parsing.h"

#include <cmath>

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::data::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// True if the text after an optional sign starts like "nan" or "inf" (which fast_float accepts).
bool IsNonFiniteWord(const char* p, const char* end) {
  if (p != end && (*p == '-' || *p == '+')) ++p;
  if (p == end) return false;
  const char c = static_cast<char>(*p | 0x20);
  return c == 'n' || c == 'i';
}

}  // namespace

NumberStatus ParseFloatPrefix(const char* p, const char* end, float* value, const char** stop) {
  const char* start = p;
  if (p != end && *p == '+') {
    ++p;
    // "+-1" and "++1" are not numbers.
    if (p == end || *p == '-' || *p == '+') return NumberStatus::kNotNumber;
  }
  float v = 0;
  const auto result = fast_float::from_chars(p, end, v);
  if (result.ec != std::errc() && result.ec != std::errc::result_out_of_range) {
    return NumberStatus::kNotNumber;
  }
  if (result.ptr == p) return NumberStatus::kNotNumber;
  *stop = result.ptr;
  if (!std::isfinite(v) || result.ec == std::errc::result_out_of_range) {
    if (IsNonFiniteWord(start, result.ptr)) return NumberStatus::kNonFinite;
    if (!std::isfinite(v)) return NumberStatus::kOverflow;
  }
  *value = v;
  return NumberStatus::kOk;
}

NumberStatus ParseFloat(std::string_view text, float* value) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p != end && IsSpace(*p)) ++p;
  while (end != p && IsSpace(end[-1])) --end;
  if (p == end) return NumberStatus::kNotNumber;
  const char* stop = nullptr;
  const NumberStatus status = ParseFloatPrefix(p, end, value, &stop);
  if (status != NumberStatus::kOk && status != NumberStatus::kNonFinite &&
      status != NumberStatus::kOverflow) {
    return status;
  }
  if (stop != end) return NumberStatus::kNotNumber;
  return status;
}

bool ParseIndex(std::string_view text, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    const auto d = static_cast<unsigned>(c - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  *value = v;
  return true;
}

std::string DescribeNumberProblem(NumberStatus status, std::string_view text) {
  const std::string quoted = core::Excerpt(text);
  switch (status) {
    case NumberStatus::kOk:
      return fmt::format("'{}' is a number", quoted);
    case NumberStatus::kNotNumber:
      if (core::Trim(text).empty()) return "expected a number, found an empty field";
      return fmt::format("expected a number, found '{}'", quoted);
    case NumberStatus::kNonFinite:
      return fmt::format(
          "found '{}', which is not a finite number; Kiln does not store NaN or infinity: write "
          "a missing value as an empty field or an NA token",
          quoted);
    case NumberStatus::kOverflow:
      return fmt::format(
          "found '{}', which is out of range for a 32-bit float (largest magnitude about 3.4e38)",
          quoted);
  }
  return "bad number";
}

}  // namespace kiln::data::internal
