// Values and types of the PMML representation (pmml_model.h).
#include <cmath>
#include <limits>

#include "kiln/core/strings.h"
#include "pmml_model.h"

namespace kiln::serve::pmml {

bool IsNumeric(DataType type) { return type != DataType::kString; }

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kString:
      return "string";
    case DataType::kInteger:
      return "integer";
    case DataType::kFloat:
      return "float";
    case DataType::kDouble:
      return "double";
    case DataType::kBoolean:
      return "boolean";
  }
  return "double";
}

bool Interval::Contains(double v) const {
  const bool above = left_closed ? v >= left : v > left;
  const bool below = right_closed ? v <= right : v < right;
  return above && below;
}

bool DataField::IsValid(const Value& v) const {
  for (const Value& bad : invalid) {
    if (SameValue(bad, v)) return false;
  }
  if (!valid.empty()) {
    for (const Value& ok : valid) {
      if (SameValue(ok, v)) return true;
    }
    // A continuous field may list a few special valid values besides its intervals.
    if (intervals.empty()) return false;
  }
  if (!intervals.empty()) {
    if (v.kind != Value::Kind::kNumber) return false;
    for (const Interval& i : intervals) {
      if (i.Contains(v.number)) return true;
    }
    return false;
  }
  return true;
}

bool SameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kMissing:
      return true;
    case Value::Kind::kNumber:
      return a.number == b.number;
    case Value::Kind::kText:
      return a.text == b.text;
  }
  return false;
}

namespace {

// A double as the type holds it; NaN (an impossible conversion) for out-of-range integers.
double ToType(double v, DataType type) {
  switch (type) {
    case DataType::kFloat:
      return static_cast<double>(static_cast<float>(v));
    case DataType::kInteger:
      return std::isfinite(v) ? std::trunc(v) : std::nan("");
    case DataType::kBoolean:
      return v != 0 ? 1.0 : 0.0;
    case DataType::kDouble:
    case DataType::kString:
      return v;
  }
  return v;
}

}  // namespace

Value CastValue(Value v, DataType type) {
  switch (v.kind) {
    case Value::Kind::kMissing:
      return v;
    case Value::Kind::kNumber:
      if (type == DataType::kString) return Value::Text(core::FormatDouble(v.number));
      v.number = ToType(v.number, type);
      return std::isnan(v.number) ? Value::Missing() : v;
    case Value::Kind::kText: {
      if (type == DataType::kString) return v;
      auto parsed = ParseConstant(v.text, type, /*for_equality=*/true);
      return parsed ? *parsed : Value::Missing();
    }
  }
  return v;
}

std::optional<Value> ParseConstant(std::string_view text, DataType type, bool for_equality) {
  if (type == DataType::kString) return Value::Text(std::string(text));
  const std::string_view t = core::Trim(text);
  if (type == DataType::kBoolean) {
    if (t == "true" || t == "1") return Value::Number(1);
    if (t == "false" || t == "0") return Value::Number(0);
    return std::nullopt;
  }
  std::optional<double> v = core::ParseDouble(t);
  if (!v) {
    // PMML writes infinities as INF / -INF (XML Schema's spelling) and NaN as NaN.
    if (t == "INF") v = std::numeric_limits<double>::infinity();
    if (t == "-INF") v = -std::numeric_limits<double>::infinity();
    if (!v) return std::nullopt;
  }
  if (std::isnan(*v)) return std::nullopt;
  if (type == DataType::kInteger && *v != std::trunc(*v)) return std::nullopt;
  if (type == DataType::kFloat && for_equality) *v = static_cast<double>(static_cast<float>(*v));
  return Value::Number(*v);
}

}  // namespace kiln::serve::pmml
