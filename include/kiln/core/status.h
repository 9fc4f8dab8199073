// Status: the error value every fallible Kiln function returns.
//
// A Status is either OK or carries a StatusCode, a message and a context chain ("while reading
// train.csv", "while training logistic_regression"). The message says what was expected, what
// was found and where. Status is a cheap value type (OK holds no allocation); thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace kiln::core {

// The error codes. error_code.h maps each one to every surface (CLI exit code, ...).
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,     // a bad flag, parameter or option value
  kNotFound,            // a file, column, algorithm, model or key that does not exist
  kAlreadyExists,       // something that must be new already exists
  kParseError,          // malformed input data (CSV, LibSVM, JSON, YAML)
  kDataError,           // well-formed input with unusable content (NaN, unknown label, ...)
  kIoError,             // the operating system refused a read or write
  kCorrupt,             // a Kiln file failed its integrity check (truncated, bad checksum)
  kVersionMismatch,     // a Kiln file written by a newer or incompatible format version
  kFailedPrecondition,  // the system is not in a state where this can run
  kResourceExhausted,   // a limit (memory, line length, ...) was exceeded
  kCancelled,           // the user cancelled (Ctrl-C) or a deadline passed
  kUnimplemented,       // a documented feature this build does not have
  kPermissionDenied,    // allowed for someone, not for this caller (another project, a token)
  kInternal,            // a bug in Kiln
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The innermost message, without context.
  const std::string& message() const;
  // Outermost first: "while training model.kiln", "while reading a.csv".
  const std::vector<std::string>& context() const;

  // Adds a line of context ("while reading FILE"); returns *this for chaining. No-op on OK.
  Status& AddContext(std::string context) &;
  Status&& AddContext(std::string context) &&;

  // "message (while X; while Y)" — the form shown to users.
  std::string ToString() const;

 private:
  struct State {
    StatusCode code;
    std::string message;
    std::vector<std::string> context;
  };
  std::shared_ptr<State> state_;
};

std::string_view StatusCodeName(StatusCode code);

// Helpers that format their message with fmt.
template <typename... Args>
Status InvalidArgument(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kInvalidArgument, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status NotFound(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kNotFound, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status AlreadyExists(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kAlreadyExists, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status ParseError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kParseError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status DataError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kDataError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status IoError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kIoError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status Corrupt(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kCorrupt, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status VersionMismatch(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kVersionMismatch, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status FailedPrecondition(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kFailedPrecondition, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status ResourceExhausted(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kResourceExhausted, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status Cancelled(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kCancelled, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status Unimplemented(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kUnimplemented, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status PermissionDenied(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kPermissionDenied, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status Internal(fmt::format_string<Args...> f, Args&&... args) {
  return Status(StatusCode::kInternal, fmt::format(f, std::forward<Args>(args)...));
}

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define KILN_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::kiln::core::Status kiln_status_ = (expr);  \
    if (!kiln_status_.ok()) return kiln_status_; \
  } while (0)

}  // namespace kiln::core
