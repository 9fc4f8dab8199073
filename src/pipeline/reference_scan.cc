#include "reference_scan.h"

#include <cstdlib>

namespace kiln::pipeline {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A cursor over a text; each Take* consumes only on success.
struct Cursor {
  std::string_view text;
  size_t pos = 0;

  bool AtEnd() const { return pos >= text.size(); }
  void SkipSpaces() {
    while (!AtEnd() && IsSpace(text[pos])) ++pos;
  }
  bool Take(std::string_view literal) {
    if (text.substr(pos, literal.size()) != literal) return false;
    pos += literal.size();
    return true;
  }
  template <typename Pred>
  std::string_view TakeWhile(Pred pred) {
    const size_t start = pos;
    while (!AtEnd() && pred(text[pos])) ++pos;
    return text.substr(start, pos - start);
  }
  size_t TakeDigits() { return TakeWhile(IsDigit).size(); }
};

// Matches "params.NAME }" after a "${" (spaces allowed around); fills name.
bool MatchParamBody(Cursor& c, std::string& name) {
  c.SkipSpaces();
  if (!c.Take("params.")) return false;
  const std::string_view n = c.TakeWhile(IsWordChar);
  if (n.empty()) return false;
  c.SkipSpaces();
  if (!c.Take("}")) return false;
  name = std::string(n);
  return true;
}

}  // namespace

std::optional<ParamRefMatch> FindParamRef(std::string_view text, size_t from) {
  for (size_t at = text.find("${", from); at != std::string_view::npos;
       at = text.find("${", at + 1)) {
    Cursor c{text, at + 2};
    std::string name;
    if (MatchParamBody(c, name)) return ParamRefMatch{at, c.pos, std::move(name)};
  }
  return std::nullopt;
}

bool ParseStepRef(std::string_view text, std::string& step, std::string& port) {
  Cursor c{text};
  c.SkipSpaces();
  if (!c.Take("${")) return false;
  c.SkipSpaces();
  if (!c.Take("steps.")) return false;
  // The step part runs up to the last ".outputs." before the closing brace.
  const size_t close = text.find('}', c.pos);
  if (close == std::string_view::npos) return false;
  const std::string_view inner = text.substr(c.pos, close - c.pos);
  const size_t marker = inner.rfind(".outputs.");
  if (marker == std::string_view::npos || marker == 0) return false;
  const std::string_view step_part = inner.substr(0, marker);
  for (char ch : step_part) {
    if (!IsWordChar(ch) && ch != '.' && ch != '-') return false;
  }
  Cursor rest{inner, marker + 9};
  const std::string_view port_part = rest.TakeWhile(IsWordChar);
  if (port_part.empty()) return false;
  rest.SkipSpaces();
  if (!rest.AtEnd()) return false;
  c.pos = close + 1;
  c.SkipSpaces();
  if (!c.AtEnd()) return false;
  step = std::string(step_part);
  port = std::string(port_part);
  return true;
}

bool IsStepName(std::string_view text) {
  if (text.empty() || text.size() > 64 || !IsAlpha(text[0])) return false;
  for (char c : text) {
    if (!IsWordChar(c) && c != '-') return false;
  }
  return true;
}

bool IsIntLiteral(std::string_view text) {
  Cursor c{text};
  if (!c.Take("-")) c.Take("+");
  return c.TakeDigits() > 0 && c.AtEnd();
}

bool IsFloatLiteral(std::string_view text) {
  Cursor c{text};
  if (!c.Take("-")) c.Take("+");
  if (c.Take(".")) {
    if (c.TakeDigits() == 0) return false;
  } else {
    if (c.TakeDigits() == 0) return false;
    if (c.Take(".")) c.TakeDigits();
  }
  if (c.Take("e") || c.Take("E")) {
    if (!c.Take("-")) c.Take("+");
    if (c.TakeDigits() == 0) return false;
  }
  return c.AtEnd();
}

std::optional<double> ScanDuration(std::string_view text) {
  Cursor c{text};
  c.SkipSpaces();
  const size_t start = c.pos;
  if (c.TakeDigits() == 0) return std::nullopt;
  if (c.Take(".") && c.TakeDigits() == 0) return std::nullopt;
  double v = std::strtod(std::string(text.substr(start, c.pos - start)).c_str(), nullptr);
  c.SkipSpaces();
  if (c.Take("ms")) {
    v /= 1000;
  } else if (c.Take("s")) {
  } else if (c.Take("m")) {
    v *= 60;
  } else if (c.Take("h")) {
    v *= 3600;
  }
  c.SkipSpaces();
  if (!c.AtEnd()) return std::nullopt;
  return v;
}

}  // namespace kiln::pipeline
