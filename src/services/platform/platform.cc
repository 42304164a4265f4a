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

Status Authorize(const Platform& platform, const RequestContext& ctx, std::string_view action,
                 const auth::Resource& resource) {
  if (platform.auth == nullptr) return Status::Ok();
  return platform.auth->Authorize(ctx, action, resource);
}

}  // namespace sluice::services
