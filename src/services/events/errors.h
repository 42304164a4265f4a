// The errors of the EventBridge API (models/events.json; texts in docs/events.md). All are HTTP
// 400 but InternalException; the JSON __type is the bare shape name.
#pragma once

#include "common/status.h"
#include "protocol/service.h"

namespace sluice::events {

struct EventsError {
  static constexpr ErrorType kConcurrentModification{"ConcurrentModificationException"};
  static constexpr ErrorType kIllegalStatus{"IllegalStatusException"};
  static constexpr ErrorType kInvalidEventPattern{"InvalidEventPatternException"};
  static constexpr ErrorType kInvalidState{"InvalidStateException"};
  static constexpr ErrorType kLimitExceeded{"LimitExceededException"};
  static constexpr ErrorType kManagedRule{"ManagedRuleException"};
  static constexpr ErrorType kOperationDisabled{"OperationDisabledException"};
  static constexpr ErrorType kPolicyLengthExceeded{"PolicyLengthExceededException"};
  static constexpr ErrorType kResourceAlreadyExists{"ResourceAlreadyExistsException"};
  static constexpr ErrorType kResourceNotFound{"ResourceNotFoundException"};
  static constexpr ErrorType kInternal{"InternalException", 500, false};
};

// EventBridge's errors and its overrides of the common codes.
const protocol::ErrorTable& EventsErrorTable();

// ValidationException with `message`.
Status Invalid(std::string message);

}  // namespace sluice::events
