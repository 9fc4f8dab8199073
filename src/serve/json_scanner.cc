#include "json_scanner.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace kiln::serve {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

JsonScanner::Token JsonScanner::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  expect_ = Expect::kDone;
  pos_ = input_.size() + 1;  // sticky: every later call fails
  return Token::kError;
}

JsonScanner::Token JsonScanner::FailAtEnd(std::string_view wanted) {
  token_start_ = input_.size();
  return Fail(fmt::format("the body ends where {} was expected", wanted));
}

std::string JsonScanner::Found() const {
  const auto c = static_cast<unsigned char>(input_[pos_]);
  if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("the byte 0x{:02x}", c);
}

void JsonScanner::SkipSpace() {
  while (pos_ < input_.size()) {
    const char c = input_[pos_];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
    ++pos_;
  }
}

bool JsonScanner::Push(bool object) {
  if (depth_ == kMaxDepth) {
    Fail(fmt::format("nested deeper than {} levels", kMaxDepth));
    return false;
  }
  is_object_[depth_++] = object;
  return true;
}

JsonScanner::Token JsonScanner::AfterScalar(Token t) {
  expect_ = depth_ == 0 ? Expect::kDone : Expect::kCommaOrEnd;
  return t;
}

JsonScanner::Token JsonScanner::Close(Token t) {
  --depth_;
  ++pos_;
  return AfterScalar(t);
}

JsonScanner::Token JsonScanner::Next() {
  if (pos_ > input_.size()) return Token::kError;
  SkipSpace();
  token_start_ = pos_;
  const bool at_end = pos_ == input_.size();
  switch (expect_) {
    case Expect::kDone:
      if (at_end) return Token::kEnd;
      return Fail(
          fmt::format("expected the end of the body after the JSON value, found {}", Found()));
    case Expect::kCommaOrEnd: {
      const bool object = is_object_[depth_ - 1];
      if (at_end) return FailAtEnd(object ? "',' or '}'" : "',' or ']'");
      const char c = input_[pos_];
      if (c == (object ? '}' : ']')) return Close(object ? Token::kEndObject : Token::kEndArray);
      if (c != ',')
        return Fail(fmt::format("expected ',' or '{}' after a value, found {}", object ? '}' : ']',
                                Found()));
      ++pos_;
      expect_ = object ? Expect::kKey : Expect::kValue;
      return Next();
    }
    case Expect::kKey:
    case Expect::kKeyOrEnd: {
      if (at_end) return FailAtEnd("a key");
      if (expect_ == Expect::kKeyOrEnd && input_[pos_] == '}') return Close(Token::kEndObject);
      if (input_[pos_] != '"')
        return Fail(fmt::format("expected a key in double quotes, found {}", Found()));
      if (!ReadString()) return Token::kError;
      SkipSpace();
      if (pos_ == input_.size()) return FailAtEnd("':'");
      if (input_[pos_] != ':')
        return Fail(fmt::format("expected ':' after a key, found {}", Found()));
      ++pos_;
      expect_ = Expect::kValue;
      return Token::kKey;
    }
    case Expect::kValue:
    case Expect::kValueOrEnd:
      if (at_end) return FailAtEnd("a value");
      if (expect_ == Expect::kValueOrEnd && input_[pos_] == ']') return Close(Token::kEndArray);
      return Value();
  }
  return Token::kError;
}

JsonScanner::Token JsonScanner::Value() {
  const char c = input_[pos_];
  switch (c) {
    case '{':
      if (!Push(true)) return Token::kError;
      ++pos_;
      expect_ = Expect::kKeyOrEnd;
      return Token::kBeginObject;
    case '[':
      if (!Push(false)) return Token::kError;
      ++pos_;
      expect_ = Expect::kValueOrEnd;
      return Token::kBeginArray;
    case '"':
      if (!ReadString()) return Token::kError;
      return AfterScalar(Token::kString);
    case 't':
      return ReadLiteral("true", Token::kTrue);
    case 'f':
      return ReadLiteral("false", Token::kFalse);
    case 'n':
      return ReadLiteral("null", Token::kNull);
    default:
      if (c == '-' || IsDigit(c)) return ReadNumber();
      return Fail(fmt::format("expected a value, found {}", Found()));
  }
}

JsonScanner::Token JsonScanner::ReadLiteral(std::string_view word, Token t) {
  if (input_.substr(pos_, word.size()) != word)
    return Fail(fmt::format("expected a value, found '{}'", input_.substr(pos_, word.size())));
  pos_ += word.size();
  return AfterScalar(t);
}

JsonScanner::Token JsonScanner::ReadNumber() {
  const size_t start = pos_;
  auto digits = [&] {
    const size_t from = pos_;
    while (pos_ < input_.size() && IsDigit(input_[pos_])) ++pos_;
    return pos_ > from;
  };
  auto bad = [&] {
    token_start_ = start;
    return Fail(fmt::format("malformed number '{}'", input_.substr(start, pos_ + 1 - start)));
  };
  if (input_[pos_] == '-') ++pos_;
  bool integer = true;
  if (pos_ < input_.size() && input_[pos_] == '0') {
    ++pos_;
  } else if (!digits()) {
    return bad();
  }
  if (pos_ < input_.size() && input_[pos_] == '.') {
    integer = false;
    ++pos_;
    if (!digits()) return bad();
  }
  if (pos_ < input_.size() && (input_[pos_] == 'e' || input_[pos_] == 'E')) {
    integer = false;
    ++pos_;
    if (pos_ < input_.size() && (input_[pos_] == '+' || input_[pos_] == '-')) ++pos_;
    if (!digits()) return bad();
  }
  const char* first = input_.data() + start;
  const char* last = input_.data() + pos_;
  auto [end, ec] = std::from_chars(first, last, number_);
  if (ec == std::errc::result_out_of_range) {
    // Beyond a double: strtod gives ±infinity (or 0 for an underflow) like other parsers.
    const std::string copy(first, last);
    number_ = std::strtod(copy.c_str(), nullptr);
  } else if (ec != std::errc() || end != last) {
    return bad();
  }
  if (integer && number_ == 0) number_ = 0.0;  // "-0" is the integer 0, as other parsers read it
  return AfterScalar(Token::kNumber);
}

bool JsonScanner::ReadString() {
  ++pos_;  // the opening quote
  const size_t begin = pos_;
  bool escaped = false;
  while (true) {
    if (pos_ >= input_.size()) {
      FailAtEnd("the closing '\"' of a string");
      return false;
    }
    const auto c = static_cast<unsigned char>(input_[pos_]);
    if (c == '"') break;
    if (c < 0x20) {
      token_start_ = pos_;
      Fail(fmt::format("control character 0x{:02x} inside a string (escape it)", c));
      return false;
    }
    if (c == '\\') {
      if (!escaped) unescaped_.assign(input_.substr(begin, pos_ - begin));
      escaped = true;
      if (!ReadEscape()) return false;
      continue;
    }
    const size_t from = pos_;
    if (c < 0x80) {
      ++pos_;
    } else if (!ReadUtf8()) {
      return false;
    }
    if (escaped) unescaped_.append(input_.substr(from, pos_ - from));
  }
  text_ = escaped ? std::string_view(unescaped_) : input_.substr(begin, pos_ - begin);
  ++pos_;  // the closing quote
  return true;
}

bool JsonScanner::ReadEscape() {
  const size_t at = pos_;
  auto fail = [&](std::string_view what) {
    token_start_ = at;
    Fail(std::string(what));
    return false;
  };
  if (pos_ + 1 >= input_.size()) return fail("the body ends inside an escape sequence");
  const char e = input_[pos_ + 1];
  pos_ += 2;
  switch (e) {
    case '"':
    case '\\':
    case '/':
      unescaped_.push_back(e);
      return true;
    case 'b':
      unescaped_.push_back('\b');
      return true;
    case 'f':
      unescaped_.push_back('\f');
      return true;
    case 'n':
      unescaped_.push_back('\n');
      return true;
    case 'r':
      unescaped_.push_back('\r');
      return true;
    case 't':
      unescaped_.push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return fail(fmt::format("invalid escape '\\{}' in a string", e));
  }
  auto hex4 = [&](uint32_t& out) {
    if (pos_ + 4 > input_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(input_[pos_ + static_cast<size_t>(i)]);
      if (h < 0) return false;
      out = out * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    return true;
  };
  uint32_t cp = 0;
  if (!hex4(cp)) return fail("'\\u' must be followed by four hex digits");
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a lone low surrogate '\\u' escape in a string");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    uint32_t low = 0;
    if (pos_ + 2 > input_.size() || input_[pos_] != '\\' || input_[pos_ + 1] != 'u')
      return fail("a high surrogate '\\u' escape must be followed by a low surrogate");
    pos_ += 2;
    if (!hex4(low) || low < 0xDC00 || low > 0xDFFF)
      return fail("a high surrogate '\\u' escape must be followed by a low surrogate");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(unescaped_, cp);
  return true;
}

bool JsonScanner::ReadUtf8() {
  // One multi-byte UTF-8 sequence: no overlong forms, no surrogates, at most U+10FFFF.
  const auto byte = [&](size_t i) {
    return pos_ + i < input_.size() ? static_cast<unsigned char>(input_[pos_ + i]) : 0u;
  };
  const unsigned c = byte(0);
  size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  }
  bool ok = n > 0 && byte(1) >= lo && byte(1) <= hi;
  for (size_t i = 2; ok && i < n; ++i) ok = byte(i) >= 0x80 && byte(i) <= 0xBF;
  if (!ok) {
    token_start_ = pos_;
    Fail("invalid UTF-8 in a string");
    return false;
  }
  pos_ += n;
  return true;
}

bool JsonScanner::SkipValue(Token first) {
  if (first == Token::kError) return false;
  if (first != Token::kBeginObject && first != Token::kBeginArray) return true;
  const size_t depth = depth_;  // the container just opened
  while (depth_ >= depth) {
    if (Next() == Token::kError) return false;
  }
  return true;
}

}  // namespace kiln::serve
