// The errors of the IAM API (models/iam.json). IAM is awsQuery only: the Query <Code> and the
// HTTP status are what clients see. Texts follow AWS's (docs/iam.md).
#pragma once

#include <string_view>

#include "common/status.h"
#include "protocol/service.h"

namespace sluice::iam {

struct IamError {
  static constexpr ErrorType kEntityAlreadyExists{"EntityAlreadyExists", 409, true,
                                                  "EntityAlreadyExistsException"};
  static constexpr ErrorType kNoSuchEntity{"NoSuchEntity", 404, true, "NoSuchEntityException"};
  static constexpr ErrorType kLimitExceeded{"LimitExceeded", 409, true, "LimitExceededException"};
  static constexpr ErrorType kDeleteConflict{"DeleteConflict", 409, true,
                                             "DeleteConflictException"};
  static constexpr ErrorType kMalformedPolicyDocument{"MalformedPolicyDocument", 400, true,
                                                      "MalformedPolicyDocumentException"};
  static constexpr ErrorType kInvalidInput{"InvalidInput", 400, true, "InvalidInputException"};
  static constexpr ErrorType kServiceFailure{"ServiceFailure", 500, false,
                                             "ServiceFailureException"};
  static constexpr ErrorType kPolicyNotAttachable{"PolicyNotAttachable", 400, true,
                                                  "PolicyNotAttachableException"};
  static constexpr ErrorType kUnmodifiableEntity{"UnmodifiableEntity", 400, true,
                                                 "UnmodifiableEntityException"};
  static constexpr ErrorType kConcurrentModification{"ConcurrentModification", 409, true,
                                                     "ConcurrentModificationException"};
};

// IAM's errors and its overrides of the common codes (InvalidInput for values the decoder cannot
// read, ServiceFailure for internal errors).
const protocol::ErrorTable& IamErrorTable();

Status NoSuchEntity(std::string message);
Status AlreadyExists(std::string message);
Status LimitExceeded(std::string message);
Status DeleteConflict(std::string message);
Status InvalidInput(std::string message);

}  // namespace sluice::iam
