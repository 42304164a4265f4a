// Status and Result<T>: how every layer below the protocol reports failure on the request path.
//
// ErrorCode names the kinds of failure clients can see. The AWS code, JSON __type and HTTP status
// for each value live in exactly one table per service (services/sqs/errors.cc), never here.
// No exceptions on the request path: third-party exceptions are converted at the adapter.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sluice {

enum class ErrorCode : unsigned short {
  kOk = 0,
  // Request-shape errors (protocol layer and handlers).
  kInvalidParameterValue,
  kMissingParameter,
  kInvalidParameterCombination,
  kInvalidAction,
  kMissingAction,
  kMalformedQueryString,
  kSerialization,   // malformed JSON body or wrong JSON type for a member
  kInvalidRequest,  // unsupported content type, method, or unparseable envelope
  kRequestEntityTooLarge,
  // SQS modelled errors.
  kQueueDoesNotExist,
  kQueueNameExists,
  kQueueDeletedRecently,
  kPurgeQueueInProgress,
  kMessageNotInflight,
  kReceiptHandleIsInvalid,
  kTooManyEntriesInBatchRequest,
  kEmptyBatchRequest,
  kBatchEntryIdsNotDistinct,
  kBatchRequestTooLong,
  kInvalidBatchEntryId,
  kUnsupportedOperation,
  kInvalidAttributeName,
  kInvalidAttributeValue,
  kInvalidMessageContents,
  kOverLimit,
  kRequestThrottled,
  kInvalidAddress,
  kInvalidSecurity,
  kResourceNotFound,
  // Authentication and authorisation (auth layer).
  kAccessDenied,
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kInvalidClientTokenId,
  kSignatureDoesNotMatch,
  kRequestExpired,
  kExpiredToken,  // temporary credentials (STS session token) past their expiry
  // STS / IAM modelled errors.
  kValidationError,  // AWS "ValidationError": a request member violates its model constraint
  kMalformedPolicyDocument,
  kPackedPolicyTooLarge,
  // Server faults.
  kInternalError,
  kServiceUnavailable,
  kCount  // keep last: tests iterate every value
};

// A cheap success value, or an error code with a client-visible message.
class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }
  Result(ErrorCode code, std::string message) : v_(Status(code, std::move(message))) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sluice
