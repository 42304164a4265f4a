// Status and Result<T>: how every layer below the protocol reports failure on the request path.
//
// A Status names the failure clients see: one of the common ErrorCodes every AWS service shares,
// or an ErrorType one service declares with its AWS code and HTTP status. How a common code looks
// on the wire is protocol/errors.cc's default table plus each service's few overrides; see
// protocol/service.h (ErrorTable). No exceptions on the request path: third-party exceptions are
// converted at the adapter.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sluice {

// The failures every AWS service shares: request shape, validation, throttling, authentication
// and authorisation, server faults. protocol/errors.cc gives each its default wire form (code, HTTP
// status, fault); a service overrides only where its API differs (SQS's RequestThrottled, KMS's
// MalformedPolicyDocumentException). Errors of one service's own API are ErrorTypes it declares.
enum class ErrorCode : unsigned short {
  kOk = 0,
  // Request shape (protocol layer and handlers).
  kInvalidParameterValue,
  kMissingParameter,
  kInvalidParameterCombination,
  kInvalidAction,  // unknown operation
  kMissingAction,
  kMalformedQueryString,
  kSerialization,   // malformed JSON body or wrong JSON type for a member
  kInvalidRequest,  // unsupported content type, method, or unparseable envelope
  kRequestEntityTooLarge,
  kValidationError,  // a request member violates its model constraint (ValidationException)
  kRequestThrottled,
  // Authentication and authorisation (auth layer).
  kAccessDenied,
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kInvalidClientTokenId,
  kSignatureDoesNotMatch,
  kRequestExpired,
  kExpiredToken,  // temporary credentials (STS session token) past their expiry
  kMalformedPolicyDocument,
  // Server faults.
  kInternalError,
  kServiceUnavailable,
  // An error one service declares itself (Status::type() says which).
  kService,
  kCount  // keep last: tests iterate every value
};

// An error of one service's API, declared once as a constexpr object by the layer that raises it
// (SQS's in engine/sqs_errors.h, KMS's in services/kms/errors.h), and told apart by its address.
struct ErrorType {
  // The AWS error code clients match: the Query <Code>, the first half of x-amzn-query-error, and
  // the JSON __type unless json_name is set.
  std::string_view code;
  std::uint16_t http_status = 400;
  bool sender_fault = true;
  // The JSON __type's shape name where it differs from `code` (SQS: "QueueDoesNotExist" for
  // "AWS.SimpleQueueService.NonExistentQueue").
  std::string_view json_name = {};
};

// Which error a Status carries: a common ErrorCode, or a service's ErrorType. Compares equal to
// either form, so `status.code() == ErrorCode::kAccessDenied` and
// `status.code() == SqsError::kQueueDoesNotExist` both read as they should.
class ErrorId {
 public:
  constexpr ErrorId(ErrorCode code) : code_(code) {}  // NOLINT(google-explicit-constructor)
  constexpr ErrorId(const ErrorType& type)            // NOLINT(google-explicit-constructor)
      : code_(ErrorCode::kService), type_(&type) {}

  constexpr ErrorCode common() const { return code_; }       // kService for a service's error
  constexpr const ErrorType* type() const { return type_; }  // null for a common error
  friend constexpr bool operator==(const ErrorId&, const ErrorId&) = default;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  const ErrorType* type_ = nullptr;
};

// A cheap success value, or an error with a client-visible message.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorId code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(const ErrorType& type, std::string message) : code_(type), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_.common() == ErrorCode::kOk; }
  ErrorId code() const { return code_; }
  // The service's declared error, or null for a common one.
  const ErrorType* type() const { return code_.type(); }
  const std::string& message() const { return message_; }

 private:
  ErrorId code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }
  Result(ErrorCode code, std::string message) : v_(Status(code, std::move(message))) {}
  Result(const ErrorType& type, std::string message) : v_(Status(type, std::move(message))) {}

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

namespace sluice {

// For the few places that cannot report a failure to anyone (background store writes whose
// request has been answered, best-effort cleanups): logs it (the first few of each minute are
// logged in full) and counts it, so a failing disk or store is never silent. Thread-safe.
void NoteIgnoredError(std::string_view where, const Status& status);
// How many errors NoteIgnoredError has seen since the process started.
std::uint64_t IgnoredErrorCount();

}  // namespace sluice
