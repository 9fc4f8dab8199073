#include "kiln/track/sql_connection.h"

#include <charconv>

#include <fmt/format.h>

namespace kiln::track {

std::string_view DialectName(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite" : "postgresql";
}

int64_t SqlRow::Int(size_t i) const {
  const SqlValue& v = cells_[i];
  if (const auto* x = std::get_if<int64_t>(&v)) return *x;
  if (const auto* x = std::get_if<double>(&v)) return static_cast<int64_t>(*x);
  if (const auto* x = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(x->data(), x->data() + x->size(), out);
    return out;
  }
  return 0;
}

double SqlRow::Double(size_t i) const {
  const SqlValue& v = cells_[i];
  if (const auto* x = std::get_if<double>(&v)) return *x;
  if (const auto* x = std::get_if<int64_t>(&v)) return static_cast<double>(*x);
  if (const auto* x = std::get_if<std::string>(&v)) {
    double out = 0;
    std::from_chars(x->data(), x->data() + x->size(), out);
    return out;
  }
  return 0;
}

std::string SqlRow::Text(size_t i) const {
  const SqlValue& v = cells_[i];
  if (const auto* x = std::get_if<std::string>(&v)) return *x;
  if (const auto* x = std::get_if<int64_t>(&v)) return std::to_string(*x);
  if (const auto* x = std::get_if<double>(&v)) return fmt::format("{}", *x);
  return {};
}

namespace {

// Calls on_placeholder(index in sql) for every `?` outside '...' and "..." literals and
// -- comments.
template <typename F>
void ForEachPlaceholder(std::string_view sql, F&& on_placeholder) {
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote re-enters the literal on the next char
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '?') {
      on_placeholder(i);
    }
  }
}

}  // namespace

size_t CountPlaceholders(std::string_view sql) {
  size_t n = 0;
  ForEachPlaceholder(sql, [&](size_t) { ++n; });
  return n;
}

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  size_t last = 0;
  int n = 0;
  ForEachPlaceholder(sql, [&](size_t pos) {
    out.append(sql.substr(last, pos - last));
    out += fmt::format("${}", ++n);
    last = pos + 1;
  });
  out.append(sql.substr(last));
  return out;
}

}  // namespace kiln::track
