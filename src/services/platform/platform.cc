#include "services/platform/platform.h"

#include <string>

#include "auth/auth.h"

namespace sluice::services {

protocol::ServiceDefinition DefineService(const Platform& platform,
                                          const protocol::ServiceModel& model,
                                          const protocol::ErrorTable& errors, bool validate_input) {
  protocol::ServiceDefinition def;
  def.model = &model;
  def.errors = errors;
  def.validate_input = validate_input;
  if (const auth::Auth* auth = platform.auth) {
    const std::string_view signing_name = model.metadata().signing_name;
    def.authenticate = [auth, signing_name](const net::HttpRequest& req, RequestContext& ctx) {
      return auth->Authenticate(req, signing_name, ctx);
    };
  }
  return def;
}

const protocol::ErrorTable& JsonServiceErrors() {
  static constexpr protocol::ErrorOverride kOverrides[] = {
      {ErrorCode::kAccessDenied, {"AccessDeniedException", 400}},
      {ErrorCode::kMissingAuthenticationToken, {"MissingAuthenticationTokenException", 400}},
      {ErrorCode::kInvalidClientTokenId, {"UnrecognizedClientException", 400}},
      {ErrorCode::kSignatureDoesNotMatch, {"InvalidSignatureException", 400}},
      {ErrorCode::kIncompleteSignature, {"IncompleteSignatureException", 400}},
      {ErrorCode::kExpiredToken, {"ExpiredTokenException", 400}},
      {ErrorCode::kRequestThrottled, {"ThrottlingException", 400}},
  };
  static const protocol::ErrorTable kTable{{}, kOverrides, ""};
  return kTable;
}

Status Authorize(const Platform& platform, const RequestContext& ctx, std::string_view action,
                 const auth::Resource& resource) {
  if (platform.auth == nullptr) return Status::Ok();
  return platform.auth->Authorize(ctx, action, resource);
}

}  // namespace sluice::services
