// The errors of the KMS API (models/kms.json; texts in docs/kms.md). All are HTTP 400 but the
// internal and dependency faults; JSON __type is the bare shape name.
#pragma once

#include "common/status.h"
#include "protocol/service.h"

namespace sluice::kms {

struct KmsError {
  static constexpr ErrorType kAlreadyExists{"AlreadyExistsException"};
  static constexpr ErrorType kDisabled{"DisabledException"};
  static constexpr ErrorType kIncorrectKey{"IncorrectKeyException"};
  static constexpr ErrorType kInvalidAliasName{"InvalidAliasNameException"};
  static constexpr ErrorType kInvalidArn{"InvalidArnException"};
  static constexpr ErrorType kInvalidCiphertext{"InvalidCiphertextException"};
  static constexpr ErrorType kInvalidKeyUsage{"InvalidKeyUsageException"};
  static constexpr ErrorType kInvalidMarker{"InvalidMarkerException"};
  static constexpr ErrorType kInvalidState{"KMSInvalidStateException"};
  static constexpr ErrorType kInvalidMac{"KMSInvalidMacException"};
  static constexpr ErrorType kLimitExceeded{"LimitExceededException"};
  static constexpr ErrorType kNotFound{"NotFoundException"};
  static constexpr ErrorType kTag{"TagException"};
  static constexpr ErrorType kUnsupportedOperation{"UnsupportedOperationException"};
  static constexpr ErrorType kInternal{"KMSInternalException", 500, false};
};

// KMS's errors and its overrides of the common codes (MalformedPolicyDocumentException).
const protocol::ErrorTable& KmsErrorTable();

}  // namespace sluice::kms
