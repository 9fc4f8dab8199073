// JsonScanner: a strict pull tokenizer for JSON request bodies (RFC 8259) that builds no
// document and allocates nothing for keys and strings without escapes — the row-format decoder
// walks it token by token. It checks the whole grammar (commas, colons, nesting, string escapes
// and UTF-8, number syntax), so a body it accepts is valid JSON; nesting deeper than kMaxDepth
// is an error, not a deep recursion.
//
// Not thread-safe; views it returns stay valid until the next call to Next().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::serve {

class JsonScanner {
 public:
  enum class Token {
    kBeginObject,
    kEndObject,
    kBeginArray,
    kEndArray,
    kKey,  // an object's key; the next token is its value
    kString,
    kNumber,
    kTrue,
    kFalse,
    kNull,
    kEnd,    // the input is over, after one complete value
    kError,  // see error(); every later call returns kError too
  };
  static constexpr size_t kMaxDepth = 256;

  explicit JsonScanner(std::string_view input) : input_(input) {}

  Token Next();
  // Skips the value whose first token `first` was just returned (a whole object or array).
  // Returns false on a syntax error.
  bool SkipValue(Token first);

  // kKey / kString: the unescaped text.
  std::string_view text() const { return text_; }
  // kNumber: the value (±infinity beyond a double's range).
  double number() const { return number_; }
  // The current token as written in the input (a string with its quotes and escapes).
  std::string_view raw() const { return input_.substr(token_start_, pos_ - token_start_); }
  // Byte offset of the current token, or of the error.
  size_t offset() const { return token_start_; }
  // kError: what is wrong, e.g. "expected ',' or '}' after a value, found 'x'".
  const std::string& error() const { return error_; }

 private:
  enum class Expect : uint8_t { kValue, kValueOrEnd, kKey, kKeyOrEnd, kCommaOrEnd, kDone };

  Token Fail(std::string message);
  Token FailAtEnd(std::string_view wanted);
  void SkipSpace();
  Token Value();
  Token AfterScalar(Token t);
  Token Close(Token t);
  bool ReadString();
  bool ReadEscape();
  bool ReadUtf8();
  Token ReadNumber();
  Token ReadLiteral(std::string_view word, Token t);
  bool Push(bool object);
  std::string Found() const;

  std::string_view input_;
  size_t pos_ = 0;
  size_t token_start_ = 0;
  Expect expect_ = Expect::kValue;
  std::array<bool, kMaxDepth> is_object_{};  // open containers, innermost last
  size_t depth_ = 0;
  std::string_view text_;
  std::string unescaped_;  // text_ of a string with escapes
  double number_ = 0;
  std::string error_;
};

}  // namespace kiln::serve
