// The STS error table (awsQuery: the Query code and HTTP status are what clients see).
//
// STS's own errors follow models/sts.json (PackedPolicyTooLarge: 400). The common codes keep
// protocol/errors.cc's defaults, which are AWS's Query services' names: ValidationError 400,
// AccessDenied 403, the SigV4 errors as in sigv4.md §4, ExpiredToken 403 (the Query services
// answer expired temporary credentials with 403 Forbidden, code ExpiredToken; the model's
// ExpiredTokenException/400 is the web-identity token of AssumeRoleWithWebIdentity, not the
// request's credentials), throttling "Throttling" 400, MalformedPolicyDocument 400.
#include "services/sts/sts_service.h"

namespace sluice::sts {
namespace {

constexpr const ErrorType* kDeclared[] = {&StsError::kPackedPolicyTooLarge};

}  // namespace

const protocol::ErrorTable& StsErrorTable() {
  static const protocol::ErrorTable kTable{kDeclared, {}, ""};
  return kTable;
}

}  // namespace sluice::sts
