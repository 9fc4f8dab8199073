#include "row_expression.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "kiln/core/strings.h"

namespace kiln::pipeline {

using core::Result;
using core::Status;

namespace {

enum class Type { kNumber, kText, kBool };

std::string_view TypeName(Type t) {
  return t == Type::kNumber ? "a number" : t == Type::kText ? "text" : "a condition";
}

struct Value {
  Type type = Type::kNumber;
  double number = 0;  // kNumber, kBool (0/1)
  std::string_view text;
  bool missing = false;
};

enum class TokenKind { kEnd, kNumber, kText, kName, kOp, kLParen, kRParen, kComma };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  double number = 0;
  size_t pos = 0;  // 0-based offset in the expression
};

}  // namespace

struct RowExpression::Node {
  enum class Kind { kLiteral, kColumn, kNeg, kNot, kArith, kCompare, kAnd, kOr, kIsNull, kIn };
  Kind kind = Kind::kLiteral;
  Type type = Type::kBool;
  std::string op;
  Value literal;
  std::string literal_text;  // storage for a text literal
  const data::Column* column = nullptr;
  bool negated = false;
  std::vector<std::unique_ptr<Node>> children;
  std::vector<std::string> list;  // kIn texts
  std::vector<double> numbers;    // kIn numbers

  Value Eval(size_t row) const {
    switch (kind) {
      case Kind::kLiteral: {
        Value v = literal;
        if (type == Type::kText) v.text = literal_text;
        return v;
      }
      case Kind::kColumn: {
        Value v;
        v.type = type;
        if (column->type == data::ColumnType::kNumeric) {
          v.number = column->values[row];
          v.missing = std::isnan(v.number);
        } else {
          const int32_t code = column->codes[row];
          v.missing = code < 0;
          if (!v.missing) v.text = column->categories[static_cast<size_t>(code)];
        }
        return v;
      }
      case Kind::kNeg: {
        Value v = children[0]->Eval(row);
        v.number = -v.number;
        return v;
      }
      case Kind::kNot:
        return Bool(!Truth(children[0]->Eval(row)));
      case Kind::kArith: {
        const Value a = children[0]->Eval(row);
        const Value b = children[1]->Eval(row);
        Value v;
        v.missing = a.missing || b.missing;
        const char o = op[0];
        v.number = o == '+'   ? a.number + b.number
                   : o == '-' ? a.number - b.number
                   : o == '*' ? a.number * b.number
                   : o == '/' ? a.number / b.number
                              : std::fmod(a.number, b.number);
        if (!std::isfinite(v.number)) v.missing = true;
        return v;
      }
      case Kind::kCompare: {
        const Value a = children[0]->Eval(row);
        const Value b = children[1]->Eval(row);
        if (a.missing || b.missing) return Bool(false);
        int c = 0;
        if (a.type == Type::kText) {
          c = a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
        } else {
          c = a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
        }
        if (op == "==") return Bool(c == 0);
        if (op == "!=") return Bool(c != 0);
        if (op == "<") return Bool(c < 0);
        if (op == "<=") return Bool(c <= 0);
        if (op == ">") return Bool(c > 0);
        return Bool(c >= 0);
      }
      case Kind::kAnd:
        return Bool(Truth(children[0]->Eval(row)) && Truth(children[1]->Eval(row)));
      case Kind::kOr:
        return Bool(Truth(children[0]->Eval(row)) || Truth(children[1]->Eval(row)));
      case Kind::kIsNull:
        return Bool(children[0]->Eval(row).missing != negated);
      case Kind::kIn: {
        const Value a = children[0]->Eval(row);
        if (a.missing) return Bool(false);
        bool found = false;
        if (a.type == Type::kText) {
          for (const std::string& t : list) found = found || a.text == t;
        } else {
          for (double n : numbers) found = found || a.number == n;
        }
        return Bool(found != negated);
      }
    }
    return Bool(false);
  }

  static Value Bool(bool b) {
    Value v;
    v.type = Type::kBool;
    v.number = b ? 1 : 0;
    return v;
  }
  static bool Truth(const Value& v) { return !v.missing && v.number != 0; }
};

namespace {

using Node = RowExpression::Node;

class ExpressionParser {
 public:
  ExpressionParser(const std::string& text, const data::Dataset& ds) : text_(text), ds_(ds) {}

  Result<std::unique_ptr<Node>> Parse() {
    KILN_RETURN_IF_ERROR(Tokenize());
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, Or());
    if (Peek().kind != TokenKind::kEnd) return Error(Peek(), "expected an operator or the end");
    if (root->type == Type::kText)
      return core::InvalidArgument("filter expression '{}' is text, not a condition", text_);
    return root;
  }

 private:
  template <typename... Args>
  Status Error(const Token& at, fmt::format_string<Args...> f, Args&&... args) const {
    return core::InvalidArgument("filter expression '{}' at character {}: {}, found {}", text_,
                                 at.pos + 1, fmt::format(f, std::forward<Args>(args)...),
                                 at.kind == TokenKind::kEnd ? "the end" : "'" + at.text + "'");
  }

  Status Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.pos = i;
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < text_.size() &&
           std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        size_t end = i;
        while (end < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '.' ||
                ((text_[end] == '-' || text_[end] == '+') &&
                 (text_[end - 1] == 'e' || text_[end - 1] == 'E'))))
          ++end;
        t.text = text_.substr(i, end - i);
        std::optional<double> v = core::ParseDouble(t.text);
        if (!v) return Error(t, "expected a number");
        t.kind = TokenKind::kNumber;
        t.number = *v;
        i = end;
      } else if (c == '"' || c == '\'' || c == '`') {
        size_t end = i + 1;
        std::string s;
        while (end < text_.size() && text_[end] != c) s += text_[end++];
        if (end >= text_.size()) {
          t.text = text_.substr(i);
          return Error(t, "expected a closing {}", c);
        }
        t.kind = c == '`' ? TokenKind::kName : TokenKind::kText;
        t.text = s;
        i = end + 1;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t end = i;
        while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                                      text_[end] == '_' || text_[end] == '.'))
          ++end;
        t.kind = TokenKind::kName;
        t.text = text_.substr(i, end - i);
        i = end;
      } else if (c == '(' || c == ')' || c == ',') {
        t.kind = c == '(' ? TokenKind::kLParen : c == ')' ? TokenKind::kRParen : TokenKind::kComma;
        t.text = std::string(1, c);
        ++i;
      } else {
        static const std::vector<std::string> kOps{"==", "!=", "<=", ">=", "<>", "&&", "||", "<",
                                                   ">",  "=",  "+",  "-",  "*",  "/",  "%",  "!"};
        bool matched = false;
        for (const std::string& op : kOps) {
          if (text_.compare(i, op.size(), op) == 0) {
            t.kind = TokenKind::kOp;
            t.text = op == "=" ? "==" : op == "<>" ? "!=" : op;
            i += op.size();
            matched = true;
            break;
          }
        }
        if (!matched) {
          t.text = std::string(1, c);
          return Error(t, "expected a column, number, text, operator or parenthesis");
        }
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.pos = text_.size();
    tokens_.push_back(end);
    return Status::Ok();
  }

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool IsWord(const Token& t, std::string_view w) const {
    if (t.kind != TokenKind::kName) return false;
    if (t.text.size() != w.size()) return false;
    for (size_t i = 0; i < w.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(t.text[i])) != w[i]) return false;
    }
    return true;
  }
  bool AcceptWord(std::string_view w) {
    if (IsWord(Peek(), w)) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AcceptOp(std::string_view op) {
    if (Peek().kind == TokenKind::kOp && Peek().text == op) {
      ++pos_;
      return true;
    }
    return false;
  }

  static std::unique_ptr<Node> Make(Node::Kind kind, Type type, std::string op = {}) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->type = type;
    n->op = std::move(op);
    return n;
  }

  Status NeedCondition(const Node& n, const Token& at) const {
    if (n.type == Type::kText) return Error(at, "expected a condition, not text");
    return Status::Ok();
  }

  Result<std::unique_ptr<Node>> Or() {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, And());
    while (AcceptWord("or") || AcceptOp("||")) {
      const Token& at = Peek();
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, And());
      KILN_RETURN_IF_ERROR(NeedCondition(*left, at));
      KILN_RETURN_IF_ERROR(NeedCondition(*right, at));
      auto n = Make(Node::Kind::kOr, Type::kBool);
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  Result<std::unique_ptr<Node>> And() {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, Not());
    while (AcceptWord("and") || AcceptOp("&&")) {
      const Token& at = Peek();
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, Not());
      KILN_RETURN_IF_ERROR(NeedCondition(*left, at));
      KILN_RETURN_IF_ERROR(NeedCondition(*right, at));
      auto n = Make(Node::Kind::kAnd, Type::kBool);
      n->children.push_back(std::move(left));
      n->children.push_back(std::move(right));
      left = std::move(n);
    }
    return left;
  }

  Result<std::unique_ptr<Node>> Not() {
    if (AcceptWord("not") || AcceptOp("!")) {
      const Token& at = Peek();
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, Not());
      KILN_RETURN_IF_ERROR(NeedCondition(*inner, at));
      auto n = Make(Node::Kind::kNot, Type::kBool);
      n->children.push_back(std::move(inner));
      return n;
    }
    return Comparison();
  }

  Result<std::unique_ptr<Node>> Comparison() {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, Sum());
    const Token& at = Peek();
    if (AcceptWord("is")) {
      auto n = Make(Node::Kind::kIsNull, Type::kBool);
      n->negated = AcceptWord("not");
      if (!AcceptWord("null")) return Error(Peek(), "expected null after 'is'");
      n->children.push_back(std::move(left));
      return n;
    }
    bool negated = false;
    if (IsWord(at, "not") && IsWord(tokens_[pos_ + 1], "in")) {
      ++pos_;
      negated = true;
    }
    if (AcceptWord("in")) return InList(std::move(left), negated);
    static const std::vector<std::string> kCompare{"==", "!=", "<", "<=", ">", ">="};
    for (const std::string& op : kCompare) {
      if (AcceptOp(op)) {
        const Token& rhs_at = Peek();
        KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, Sum());
        const Type lt = left->type == Type::kBool ? Type::kNumber : left->type;
        const Type rt = right->type == Type::kBool ? Type::kNumber : right->type;
        if (lt != rt) return Error(rhs_at, "cannot compare {} with {}", TypeName(lt), TypeName(rt));
        auto n = Make(Node::Kind::kCompare, Type::kBool, op);
        n->children.push_back(std::move(left));
        n->children.push_back(std::move(right));
        return n;
      }
    }
    return left;
  }

  Result<std::unique_ptr<Node>> InList(std::unique_ptr<Node> left, bool negated) {
    if (Next().kind != TokenKind::kLParen) return Error(tokens_[pos_ - 1], "expected '(' after in");
    auto n = Make(Node::Kind::kIn, Type::kBool);
    n->negated = negated;
    for (;;) {
      const Token& t = Next();
      if (left->type == Type::kText && t.kind == TokenKind::kText) {
        n->list.push_back(t.text);
      } else if (left->type != Type::kText && t.kind == TokenKind::kNumber) {
        n->numbers.push_back(t.number);
      } else {
        return Error(t, "expected {} in the list",
                     left->type == Type::kText ? "quoted text" : "a number");
      }
      const Token& sep = Next();
      if (sep.kind == TokenKind::kRParen) break;
      if (sep.kind != TokenKind::kComma) return Error(sep, "expected ',' or ')'");
    }
    n->children.push_back(std::move(left));
    return n;
  }

  Result<std::unique_ptr<Node>> Sum() {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, Product());
    for (;;) {
      const Token& at = Peek();
      std::string op;
      if (AcceptOp("+")) {
        op = "+";
      } else if (AcceptOp("-")) {
        op = "-";
      } else {
        return left;
      }
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, Product());
      KILN_ASSIGN_OR_RETURN(left, Arith(std::move(left), std::move(right), op, at));
    }
  }

  Result<std::unique_ptr<Node>> Product() {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> left, Unary());
    for (;;) {
      const Token& at = Peek();
      std::string op;
      for (const char* candidate : {"*", "/", "%"}) {
        if (AcceptOp(candidate)) op = candidate;
        if (!op.empty()) break;
      }
      if (op.empty()) return left;
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> right, Unary());
      KILN_ASSIGN_OR_RETURN(left, Arith(std::move(left), std::move(right), op, at));
    }
  }

  Result<std::unique_ptr<Node>> Arith(std::unique_ptr<Node> a, std::unique_ptr<Node> b,
                                      const std::string& op, const Token& at) {
    if (a->type == Type::kText || b->type == Type::kText)
      return Error(at, "'{}' needs numbers on both sides", op);
    auto n = Make(Node::Kind::kArith, Type::kNumber, op);
    n->children.push_back(std::move(a));
    n->children.push_back(std::move(b));
    return n;
  }

  Result<std::unique_ptr<Node>> Unary() {
    if (AcceptOp("-")) {
      const Token& at = Peek();
      KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, Unary());
      if (inner->type == Type::kText) return Error(at, "'-' needs a number");
      auto n = Make(Node::Kind::kNeg, Type::kNumber);
      n->children.push_back(std::move(inner));
      return n;
    }
    return Primary();
  }

  Result<std::unique_ptr<Node>> Primary() {
    const Token& t = Next();
    switch (t.kind) {
      case TokenKind::kNumber: {
        auto n = Make(Node::Kind::kLiteral, Type::kNumber);
        n->literal.type = Type::kNumber;
        n->literal.number = t.number;
        return n;
      }
      case TokenKind::kText: {
        auto n = Make(Node::Kind::kLiteral, Type::kText);
        n->literal.type = Type::kText;
        n->literal_text = t.text;
        return n;
      }
      case TokenKind::kLParen: {
        KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, Or());
        if (Next().kind != TokenKind::kRParen) return Error(tokens_[pos_ - 1], "expected ')'");
        return inner;
      }
      case TokenKind::kName:
        return Name(t);
      default:
        return Error(t, "expected a column, number or text");
    }
  }

  Result<std::unique_ptr<Node>> Name(const Token& t) {
    if (IsWord(t, "true") || IsWord(t, "false")) {
      auto n = Make(Node::Kind::kLiteral, Type::kBool);
      n->literal = Node::Bool(IsWord(t, "true"));
      return n;
    }
    const data::Column* column = nullptr;
    const int i = ds_.is_sparse() ? -1 : ds_.FindColumn(t.text);
    if (i >= 0) {
      column = &ds_.columns()[static_cast<size_t>(i)];
    } else if (ds_.label() != nullptr && ds_.label()->name == t.text) {
      column = ds_.label();
    }
    if (column == nullptr) {
      std::vector<std::string> names;
      if (!ds_.is_sparse()) {
        for (const data::Column& c : ds_.columns()) names.push_back(c.name);
      }
      if (ds_.label() != nullptr) names.push_back(ds_.label()->name);
      const std::string best = core::ClosestMatch(t.text, names);
      return core::InvalidArgument(
          "filter expression '{}' at character {}: no column '{}'{} (quote text values: "
          "\"{}\"); columns: {}",
          text_, t.pos + 1, t.text, best.empty() ? "" : " (did you mean '" + best + "'?)", t.text,
          names.size() > 40 ? fmt::format("{} columns", names.size()) : core::Join(names, ", "));
    }
    auto n = Make(Node::Kind::kColumn,
                  column->type == data::ColumnType::kNumeric ? Type::kNumber : Type::kText);
    n->column = column;
    return n;
  }

  const std::string& text_;
  const data::Dataset& ds_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

RowExpression::RowExpression(std::unique_ptr<Node> root) : root_(std::move(root)) {}
RowExpression::RowExpression(RowExpression&&) noexcept = default;
RowExpression& RowExpression::operator=(RowExpression&&) noexcept = default;
RowExpression::~RowExpression() = default;

Result<RowExpression> RowExpression::Compile(const std::string& text, const data::Dataset& ds) {
  if (text.find_first_not_of(" \t\n") == std::string::npos)
    return core::InvalidArgument("the filter expression is empty");
  ExpressionParser parser(text, ds);
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, parser.Parse());
  return RowExpression(std::move(root));
}

bool RowExpression::Matches(size_t row) const { return Node::Truth(root_->Eval(row)); }

}  // namespace kiln::pipeline
