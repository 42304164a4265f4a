#include "services/iam/errors.h"

#include <string>
#include <utility>

namespace sluice::iam {
namespace {

constexpr const ErrorType* kDeclared[] = {
    &IamError::kEntityAlreadyExists,     &IamError::kNoSuchEntity,
    &IamError::kLimitExceeded,           &IamError::kDeleteConflict,
    &IamError::kMalformedPolicyDocument, &IamError::kInvalidInput,
    &IamError::kServiceFailure,          &IamError::kPolicyNotAttachable,
    &IamError::kUnmodifiableEntity,      &IamError::kConcurrentModification,
};

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kInvalidParameterValue, IamError::kInvalidInput},
    {ErrorCode::kInternalError, IamError::kServiceFailure},
    {ErrorCode::kMalformedPolicyDocument, IamError::kMalformedPolicyDocument},
};

}  // namespace

const protocol::ErrorTable& IamErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, kOverrides, ""};
  return kTable;
}

Status NoSuchEntity(std::string message) {
  return Status(IamError::kNoSuchEntity, std::move(message));
}
Status AlreadyExists(std::string message) {
  return Status(IamError::kEntityAlreadyExists, std::move(message));
}
Status LimitExceeded(std::string message) {
  return Status(IamError::kLimitExceeded, std::move(message));
}
Status DeleteConflict(std::string message) {
  return Status(IamError::kDeleteConflict, std::move(message));
}
Status InvalidInput(std::string message) {
  return Status(IamError::kInvalidInput, std::move(message));
}

}  // namespace sluice::iam
