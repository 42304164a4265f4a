#include "services/monitoring/errors.h"

namespace sluice::monitoring {
namespace {

constexpr const ErrorType* kDeclared[] = {
    &CwError::kResourceNotFound,
    &CwError::kInvalidNextToken,
    &CwError::kInvalidFormat,
    &CwError::kLimitExceeded,
    &CwError::kResourceNotFoundException,
    &CwError::kDashboardInvalidInput,
    &CwError::kDashboardNotFound,
};

constexpr protocol::ErrorOverride kOverrides[] = {
    {ErrorCode::kInvalidParameterValue,
     {"InvalidParameterValue", 400, true, "InvalidParameterValueException"}},
    {ErrorCode::kMissingParameter,
     {"MissingParameter", 400, true, "MissingRequiredParameterException"}},
    {ErrorCode::kInvalidParameterCombination,
     {"InvalidParameterCombination", 400, true, "InvalidParameterCombinationException"}},
    {ErrorCode::kInternalError, {"InternalServiceError", 500, false, "InternalServiceFault"}},
    {ErrorCode::kValidationError, {"ValidationError", 400, true, "ValidationException"}},
};

}  // namespace

const protocol::ErrorTable& CloudWatchErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, kOverrides, ""};
  return kTable;
}

}  // namespace sluice::monitoring
