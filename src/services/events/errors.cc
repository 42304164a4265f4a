#include "services/events/errors.h"

#include "services/platform/platform.h"

namespace sluice::events {
namespace {

constexpr const ErrorType* kDeclared[] = {
    &EventsError::kConcurrentModification,
    &EventsError::kIllegalStatus,
    &EventsError::kInvalidEventPattern,
    &EventsError::kInvalidState,
    &EventsError::kLimitExceeded,
    &EventsError::kManagedRule,
    &EventsError::kOperationDisabled,
    &EventsError::kPolicyLengthExceeded,
    &EventsError::kResourceAlreadyExists,
    &EventsError::kResourceNotFound,
    &EventsError::kInternal,
};

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kInternalError, {"InternalException", 500, false}},
};

}  // namespace

const protocol::ErrorTable& EventsErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, kOverrides, "",
                                           &services::JsonServiceErrors()};
  return kTable;
}

Status Invalid(std::string message) {
  return Status(ErrorCode::kValidationError, std::move(message));
}

}  // namespace sluice::events
