// Number parsing for the text readers (private to src/data).
//
// Kiln reads numbers with fast_float into 32-bit floats. A leading '+' is accepted (fast_float
// alone rejects it). Literal "nan"/"inf" and values beyond the float range are reported as
// problems, never stored: missing values must be written as an empty field or an NA token.
// Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <fast_float/fast_float.h>

namespace kiln::data::internal {

enum class NumberStatus : uint8_t {
  kOk,
  kNotNumber,  // not a number at all
  kNonFinite,  // a literal nan / inf / infinity
  kOverflow,   // a number too large for a 32-bit float (1e39, 1e999)
};

// Parses a number starting at `p` (no leading spaces) and ending at or before `end`. On kOk
// stores the value and sets *stop to the first byte after the number. A leading '+' is accepted.
NumberStatus ParseFloatPrefix(const char* p, const char* end, float* value, const char** stop);

// The common case of ParseFloatPrefix, inline for the hot loops: true for a finite number in
// range without a leading '+', with *value and *stop as ParseFloatPrefix would set them. False
// leaves the decision to ParseFloatPrefix (a '+', nan/inf, out of range, not a number).
inline bool ParseFloatFast(const char* p, const char* end, float* value, const char** stop) {
  float v;
  const auto result = fast_float::from_chars(p, end, v);
  if (result.ec != std::errc() || result.ptr == p || !std::isfinite(v)) return false;
  *value = v;
  *stop = result.ptr;
  return true;
}

// Parses all of `text` (spaces and tabs around it are ignored) as a float.
NumberStatus ParseFloat(std::string_view text, float* value);

// True when ParseFloat would call `text` a number (including the non-finite and overflowing
// kinds, which are numbers written badly rather than text). Used for type inference.
inline bool LooksNumeric(std::string_view text) {
  float v;
  return ParseFloat(text, &v) != NumberStatus::kNotNumber;
}

// Parses a non-negative decimal integer made only of digits into *value. Fails (false) on an
// empty string, any other character, or a value above `max`.
bool ParseIndex(std::string_view text, uint64_t max, uint64_t* value);

// A sentence explaining a non-OK status for the value `text`, e.g.
// "'inf' is not a finite number; write missing values as an empty field or an NA token".
std::string DescribeNumberProblem(NumberStatus status, std::string_view text);

}  // namespace kiln::data::internal
