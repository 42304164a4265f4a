// THE error table of the STS service (awsQuery: the Query code and HTTP status are what clients
// see; json_type is filled for completeness only, STS has no JSON protocol).
//
// Modelled errors follow models/sts.json (MalformedPolicyDocument, PackedPolicyTooLarge: 400).
// Common errors follow AWS's Query services: ValidationError 400, AccessDenied 403, the SigV4
// errors as in sigv4.md §4, ExpiredToken 403 (the Query services answer expired temporary
// credentials with 403 Forbidden, code ExpiredToken; the model's ExpiredTokenException/400 is the
// web-identity token of AssumeRoleWithWebIdentity, not the request's credentials), throttling
// "Throttling" 400.
#include <string>

#include "services/sts/sts_service.h"

namespace sluice::sts {

protocol::ErrorInfo StsErrorInfo(ErrorCode code) {
  auto row = [](const char* query_code, int status, bool sender = true) {
    protocol::ErrorInfo info;
    info.query_code = query_code;
    info.json_type = std::string("com.amazonaws.sts#") + query_code;
    info.http_status = status;
    info.sender_fault = sender;
    return info;
  };
  switch (code) {
    case ErrorCode::kInvalidParameterValue:
      return row("InvalidParameterValue", 400);
    case ErrorCode::kMissingParameter:
      return row("MissingParameter", 400);
    case ErrorCode::kInvalidParameterCombination:
      return row("InvalidParameterCombination", 400);
    case ErrorCode::kInvalidAction:
      return row("InvalidAction", 400);
    case ErrorCode::kMissingAction:
      return row("MissingAction", 400);
    case ErrorCode::kMalformedQueryString:
      return row("MalformedQueryString", 400);
    case ErrorCode::kSerialization:
      return row("SerializationException", 400);
    case ErrorCode::kInvalidRequest:
      return row("InvalidRequest", 400);
    case ErrorCode::kRequestEntityTooLarge:
      return row("RequestEntityTooLarge", 413);
    case ErrorCode::kRequestThrottled:
      return row("Throttling", 400);
    case ErrorCode::kAccessDenied:
      return row("AccessDenied", 403);
    case ErrorCode::kMissingAuthenticationToken:
      return row("MissingAuthenticationToken", 403);
    case ErrorCode::kIncompleteSignature:
      return row("IncompleteSignature", 400);
    case ErrorCode::kInvalidClientTokenId:
      return row("InvalidClientTokenId", 403);
    case ErrorCode::kSignatureDoesNotMatch:
      return row("SignatureDoesNotMatch", 403);
    case ErrorCode::kRequestExpired:
      return row("RequestExpired", 400);
    case ErrorCode::kExpiredToken:
      return row("ExpiredToken", 403);
    case ErrorCode::kValidationError:
      return row("ValidationError", 400);
    case ErrorCode::kMalformedPolicyDocument:
      return row("MalformedPolicyDocument", 400);
    case ErrorCode::kPackedPolicyTooLarge:
      return row("PackedPolicyTooLarge", 400);
    case ErrorCode::kServiceUnavailable:
      return row("ServiceUnavailable", 503, false);
    default:
      // kInternalError, kOk, out-of-range values and the SQS-only codes STS never raises.
      return row("InternalFailure", 500, false);
  }
}

}  // namespace sluice::sts
