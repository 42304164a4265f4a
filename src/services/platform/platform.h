// The platform every service is built on: the shared parts the app owns (clock, auth, the queue
// engine, the resource store, KMS keys) and the one way to define a service from its model, its
// errors and its actions.
//
// Adding a service is one folder under services/ with a Make<Name>Service(const Platform&), one
// model under models/ (generated in protocol/CMakeLists.txt), and one line in app/server.cc.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "common/clock.h"
#include "common/request_context.h"
#include "common/status.h"
#include "protocol/model.h"
#include "protocol/service.h"
#include "protocol/value.h"

namespace sluice::auth {
class Auth;
struct Resource;
}  // namespace sluice::auth
namespace sluice::engine {
class Engine;
class ResourceStore;
}  // namespace sluice::engine
namespace sluice::kms {
class Keys;
}  // namespace sluice::kms

namespace sluice::services {

// Everything pointed to outlives the services built on it. Thread-safe parts only.
struct Platform {
  // Control-plane time: credential expiry, key deletion and rotation dates, LastModifiedDate. The
  // system clock, or the adjustable testing clock. Required.
  const Clock* clock = nullptr;
  // Auth "sigv4": verifies every request and decides every action. Null: auth "none".
  const auth::Auth* auth = nullptr;
  engine::Engine* queues = nullptr;            // SQS
  engine::ResourceStore* resources = nullptr;  // control-plane records
  kms::Keys* keys = nullptr;                   // KMS keys, for services that encrypt
};

// One action of a service: its name in the model and its handler over the service's state.
template <typename State>
struct Action {
  std::string_view name;
  void (*cmd)(const State&, const RequestContext&, protocol::Value&&, protocol::Reply);
};

// The definition a service starts from: its model and error table, validation from the model
// (unless the service answers constraint violations with its own codes), and, with auth, SigV4
// verification for the model's signing name.
protocol::ServiceDefinition DefineService(const Platform& platform,
                                          const protocol::ServiceModel& model,
                                          const protocol::ErrorTable& errors,
                                          bool validate_input = true);

// DefineService plus one handler per action, each called with the shared `state`.
template <typename State>
protocol::ServiceDefinition DefineService(const Platform& platform,
                                          const protocol::ServiceModel& model,
                                          const protocol::ErrorTable& errors,
                                          std::shared_ptr<const State> state,
                                          std::span<const Action<State>> actions) {
  protocol::ServiceDefinition def = DefineService(platform, model, errors);
  for (const Action<State>& a : actions) {
    def.handlers.emplace(std::string(a.name),
                         [state, cmd = a.cmd](const RequestContext& ctx, protocol::Value&& input,
                                              protocol::Reply reply) {
                           cmd(*state, ctx, std::move(input), std::move(reply));
                         });
  }
  return def;
}

// The common errors as AWS's JSON 1.1 (Coral) services answer them: every client error, the
// authentication and authorization ones included, is HTTP 400 (KMS, SSM, EventBridge). Their
// error tables use it as their `base`.
const protocol::ErrorTable& JsonServiceErrors();

// Ok with auth "none"; else what auth::Auth::Authorize decides.
Status Authorize(const Platform& platform, const RequestContext& ctx, std::string_view action,
                 const auth::Resource& resource);

}  // namespace sluice::services
