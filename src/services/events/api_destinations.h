// API destinations and their connections (docs/events.md, "API destinations"): the records
// (kinds "events.connection" and "events.api-destination", by name, in the owner's account and
// region) and how one invocation's HTTP request is made from a destination, its connection, the
// target's HttpParameters and the event.
//
// A connection's AuthParameters, secrets included, are the record's secret part (sealed at rest
// under the storage master key when one is set); what Describe returns has the secrets removed.
// Pure functions; thread-safe.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "protocol/value.h"

namespace sluice::events {

inline constexpr char kConnectionKind[] = "events.connection";
inline constexpr char kApiDestinationKind[] = "events.api-destination";

struct Connection {
  engine::ResourceScope scope;
  std::string name;
  std::string arn;  // arn:aws:events:<region>:<account>:connection/<name>/<uuid>
  std::string description;
  std::string auth_type;  // BASIC, API_KEY, OAUTH_CLIENT_CREDENTIALS
  std::string state = "AUTHORIZED";
  std::string state_reason;
  std::string kms_key;
  Millis created_ms = 0;
  Millis modified_ms = 0;
  Millis authorized_ms = 0;
  protocol::Value auth = protocol::Value::Struct();  // AuthParameters, secrets included
  std::uint64_t version = 0;
};

struct ApiDestination {
  engine::ResourceScope scope;
  std::string name;
  std::string arn;  // arn:aws:events:<region>:<account>:api-destination/<name>/<uuid>
  std::string description;
  std::string connection_arn;
  std::string endpoint;           // InvocationEndpoint
  std::string method;             // HttpMethod
  std::int64_t rate_limit = 300;  // InvocationRateLimitPerSecond (AWS's default)
  std::string state = "ACTIVE";
  Millis created_ms = 0;
  Millis modified_ms = 0;
  std::uint64_t version = 0;
};

std::string EncodeConnection(const Connection& c);
std::string ConnectionSecret(const Connection& c);  // the record's secret part
Result<Connection> DecodeConnection(const engine::ResourceScope& scope,
                                    const engine::ResourceRecord& record);
std::string EncodeApiDestination(const ApiDestination& d);
Result<ApiDestination> DecodeApiDestination(const engine::ResourceScope& scope,
                                            const engine::ResourceRecord& record);

// AuthParameters as DescribeConnection returns them: no password, API key value, client secret
// or parameter value marked IsValueSecret.
protocol::Value PublicAuthParameters(const protocol::Value& auth);

// "arn:...:api-destination/<name>/<uuid>" -> <name>; nullopt for other ARNs.
std::optional<std::string> ApiDestinationName(std::string_view arn);
// "arn:...:connection/<name>/<uuid>" -> <name>; nullopt for other ARNs.
std::optional<std::string> ConnectionName(std::string_view arn);

// The target's HttpParameters resolved against the event (values "$.path" select from it, as
// AWS's dynamic parameters do; values that select nothing are dropped): kept in the outbox with
// the payload, so retries send the same request.
struct HttpParts {
  std::vector<std::string> path;  // PathParameterValues, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> query;
};
HttpParts ResolveHttpParameters(const protocol::Value* http_parameters,
                                const rapidjson::Value& event);
std::string EncodeHttpParts(const HttpParts& parts);
HttpParts DecodeHttpParts(std::string_view json);

// One invocation's request.
struct Invocation {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
// The request for `payload`: the destination's endpoint with its "*" replaced by the path values,
// the query string and headers of the target then of the connection (the connection's win), the
// connection's authorization (`bearer`: an OAuth access token), AWS's fixed headers. Methods
// without a body (GET, HEAD, OPTIONS, DELETE) send none.
Invocation BuildInvocation(const ApiDestination& destination, const Connection& connection,
                           const HttpParts& parts, const std::string& payload,
                           const std::string& bearer);

// Whether an HTTP status is retried (401, 407, 409, 429 and 5xx, as AWS does); 2xx succeed, the
// rest fail at once.
bool RetriedStatus(int status);

// An OAuth client-credentials token request for the connection, and the token in its answer.
Invocation OAuthTokenRequest(const Connection& connection);
std::optional<std::string> OAuthAccessToken(std::string_view response_body);

}  // namespace sluice::events
