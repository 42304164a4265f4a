#include "services/kms/errors.h"

#include "services/platform/platform.h"

namespace sluice::kms {
namespace {

constexpr const ErrorType* kDeclared[] = {
    &KmsError::kAlreadyExists,
    &KmsError::kDisabled,
    &KmsError::kIncorrectKey,
    &KmsError::kInvalidAliasName,
    &KmsError::kInvalidArn,
    &KmsError::kInvalidCiphertext,
    &KmsError::kInvalidKeyUsage,
    &KmsError::kInvalidMarker,
    &KmsError::kInvalidState,
    &KmsError::kInvalidMac,
    &KmsError::kLimitExceeded,
    &KmsError::kNotFound,
    &KmsError::kTag,
    &KmsError::kUnsupportedOperation,
    &KmsError::kInternal,
};

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kMalformedPolicyDocument, {"MalformedPolicyDocumentException"}},
    {ErrorCode::kInternalError, {"KMSInternalException", 500, false}},
};

}  // namespace

const protocol::ErrorTable& KmsErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, kOverrides, "",
                                           &services::JsonServiceErrors()};
  return kTable;
}

}  // namespace sluice::kms
