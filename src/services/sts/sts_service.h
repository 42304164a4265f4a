// The STS service (AWS Security Token Service, awsQuery only): GetCallerIdentity, AssumeRole and
// GetSessionToken as a protocol::ServiceDefinition, plus the STS error table.
//
// With auth "sigv4" (platform.auth set) the caller is the verified principal; AssumeRole checks the
// role's trust policy and the caller's identity policies (auth::Auth::AssumeRole) and returns
// temporary credentials that Sluice accepts until they expire. With auth "none" nothing is
// verified: GetCallerIdentity answers as the root of the request's account (the configured
// default), AssumeRole hands out well-formed credentials for any syntactically valid role ARN (no
// trust check), which Sluice accepts like any other credentials in that mode. See docs/sts.md.
//
// Request validation follows the model's constraints with AWS's ValidationError texts
// ("1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint:
// Member must satisfy regular expression pattern: [\w+=,.@-]*").
//
// Thread-safety: the handlers keep no mutable state; they may run concurrently on any thread.
// The platform's parts must outlive the returned definition.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "protocol/service.h"
#include "services/platform/platform.h"

namespace sluice::auth {
class Auth;
}  // namespace sluice::auth

namespace sluice::sts {

// The service definition on `platform` (its auth, and its clock for credential expiry with auth
// "none").
protocol::ServiceDefinition MakeStsService(const services::Platform& platform);

// STS's own errors (models/sts.json).
struct StsError {
  static constexpr ErrorType kPackedPolicyTooLarge{"PackedPolicyTooLarge"};
};

// STS's errors: StsError; the common codes keep their defaults.
const protocol::ErrorTable& StsErrorTable();

}  // namespace sluice::sts
