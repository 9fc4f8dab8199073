#include "kiln/core/status.h"

namespace kiln::core {

Status::Status(StatusCode code, std::string message) {
  if (code == StatusCode::kOk) return;
  state_ = std::make_shared<State>(State{code, std::move(message), {}});
}

const std::string& Status::message() const {
  static const std::string* const kEmpty = new std::string();
  return state_ ? state_->message : *kEmpty;
}

const std::vector<std::string>& Status::context() const {
  static const std::vector<std::string>* const kEmpty = new std::vector<std::string>();
  return state_ ? state_->context : *kEmpty;
}

Status& Status::AddContext(std::string context) & {
  if (state_) {
    // Copy on write: a Status may be shared by copies.
    if (state_.use_count() > 1) state_ = std::make_shared<State>(*state_);
    state_->context.insert(state_->context.begin(), std::move(context));
  }
  return *this;
}

Status&& Status::AddContext(std::string context) && {
  AddContext(std::move(context));
  return std::move(*this);
}

std::string Status::ToString() const {
  if (!state_) return "OK";
  std::string out = state_->message;
  if (!state_->context.empty()) {
    out += " (";
    for (size_t i = 0; i < state_->context.size(); ++i) {
      if (i) out += "; ";
      out += state_->context[i];
    }
    out += ")";
  }
  return out;
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kParseError:
      return "parse_error";
    case StatusCode::kDataError:
      return "data_error";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kVersionMismatch:
      return "version_mismatch";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kUnimplemented:
      return "unimplemented";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace kiln::core
