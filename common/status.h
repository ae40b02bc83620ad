// Status and StatusOr: errors returned as values.
//
// Every fallible operation that can be triggered by outside input (a frame from the network, a config file,
// a checkpoint on disk) returns a Status or StatusOr<T> instead of throwing, so that a bad peer or a bad
// file can never take a process down. Both types are plain values: copyable, not thread-safe to mutate
// concurrently, cheap when ok. Both are [[nodiscard]]: an error dropped on the floor is a bug.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ddpg {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the input is malformed or out of range; the message says what to fix
  kNotFound,         // a file or key that was asked for does not exist
  kFailedPrecondition,
  kUnavailable,  // a peer or resource cannot be reached right now
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
inline Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status FailedPrecondition(std::string message) { return {StatusCode::kFailedPrecondition, std::move(message)}; }
inline Status Unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

// Holds either a value or a non-ok Status. Built from an OK status (a caller's bug: there is no value to
// hold), it holds an internal error saying so, as absl::StatusOr does, so that ok() and status() agree.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  StatusOr(Status status)                          // NOLINT
      : status_(status.ok() ? Internal("StatusOr was given an OK status without a value") : std::move(status)) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace ddpg

// Returns the Status of `expression` from the calling function when it is not ok.
#define DDPG_RETURN_IF_ERROR(expression)                        \
  do {                                                          \
    if (::ddpg::Status status_ = (expression); !status_.ok()) { \
      return status_;                                           \
    }                                                           \
  } while (false)

// `DDPG_ASSIGN_OR_RETURN(auto value, Compute());` evaluates a StatusOr expression once, returns its status
// from the calling function when it is not ok, and otherwise declares (or assigns) `lhs` from its value.
#define DDPG_ASSIGN_OR_RETURN(lhs, expression) \
  DDPG_ASSIGN_OR_RETURN_IMPL_(DDPG_STATUS_CONCAT_(status_or_, __LINE__), lhs, expression)
#define DDPG_ASSIGN_OR_RETURN_IMPL_(status_or, lhs, expression) \
  auto status_or = (expression);                                \
  if (!status_or.ok()) return status_or.status();               \
  lhs = std::move(status_or).value()
#define DDPG_STATUS_CONCAT_(a, b) DDPG_STATUS_CONCAT_INNER_(a, b)
#define DDPG_STATUS_CONCAT_INNER_(a, b) a##b
