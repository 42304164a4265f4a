// CreateConnection, DescribeConnection, ListConnections, UpdateConnection, DeleteConnection,
// DeauthorizeConnection; CreateApiDestination, DescribeApiDestination, ListApiDestinations,
// UpdateApiDestination, DeleteApiDestination.
#include <fmt/format.h>

#include <algorithm>

#include "common/ids.h"
#include "net/http_client.h"
#include "services/events/api_destinations.h"
#include "services/events/handlers.h"
#include "services/platform/endpoint_guard.h"

namespace sluice::events {
namespace {

Status ConnectionNotFound(std::string_view name) {
  return Status(
      EventsError::kResourceNotFound,
      fmt::format("Failed to describe the connection(s). Connection '{}' does not exist.", name));
}

Status DestinationNotFound(std::string_view name) {
  return Status(
      EventsError::kResourceNotFound,
      fmt::format("Failed to describe the api-destination(s). An api-destination '{}' does not "
                  "exist.",
                  name));
}

Status LimitExceeded() {
  return Status(EventsError::kLimitExceeded,
                "The requested resource exceeds the maximum number allowed.");
}

std::string ConnectionArnOf(const engine::ResourceScope& s, std::string_view name) {
  return fmt::format("arn:aws:events:{}:{}:connection/{}/{}", s.region, s.account, name, NewUuid());
}

std::string DestinationArnOf(const engine::ResourceScope& s, std::string_view name) {
  return fmt::format("arn:aws:events:{}:{}:api-destination/{}/{}", s.region, s.account, name,
                     NewUuid());
}

// The AuthParameters member the authorization type needs.
const char* AuthMember(std::string_view type) {
  if (type == "BASIC") return "BasicAuthParameters";
  if (type == "API_KEY") return "ApiKeyAuthParameters";
  return "OAuthParameters";
}

Status ValidateAuth(const std::string& type, const Value& auth) {
  const char* member = AuthMember(type);
  if (auth.Get(member) == nullptr) {
    return Invalid(fmt::format("{} must be specified for AuthorizationType {}.", member, type));
  }
  int kinds = 0;
  for (const char* m : {"BasicAuthParameters", "ApiKeyAuthParameters", "OAuthParameters"}) {
    kinds += auth.Get(m) != nullptr ? 1 : 0;
  }
  if (kinds > 1) {
    return Invalid(fmt::format("Only {} may be specified for AuthorizationType {}.", member, type));
  }
  if (type == "OAUTH_CLIENT_CREDENTIALS") {
    const Value* oauth = auth.Get("OAuthParameters");
    const Value* client = oauth->Get("ClientParameters");
    if (client == nullptr || !client->GetString("ClientID") || !client->GetString("ClientSecret")) {
      return Invalid(
          "ClientParameters.ClientID and ClientParameters.ClientSecret must be "
          "specified.");
    }
    auto url = net::ParseHttpUrl(oauth->GetString("AuthorizationEndpoint").value_or(""));
    if (!url.ok()) {
      return Invalid(
          "Parameter AuthorizationEndpoint is not valid. Reason: it is not an HTTP(S) "
          "URL.");
    }
  }
  return Status::Ok();
}

Value ConnectionSummary(const Connection& c) {
  Value out = Value::Struct();
  out.Set("ConnectionArn", Value::String(c.arn));
  out.Set("Name", Value::String(c.name));
  out.Set("ConnectionState", Value::String(c.state));
  if (!c.state_reason.empty()) out.Set("StateReason", Value::String(c.state_reason));
  out.Set("AuthorizationType", Value::String(c.auth_type));
  out.Set("CreationTime", Value::Int(c.created_ms));
  out.Set("LastModifiedTime", Value::Int(c.modified_ms));
  if (c.authorized_ms > 0) out.Set("LastAuthorizedTime", Value::Int(c.authorized_ms));
  return out;
}

// The answer of Create (without LastAuthorizedTime), Update, Delete and DeauthorizeConnection.
Value ConnectionStateOutput(const Connection& c, std::string_view state, bool authorized = true) {
  Value out = Value::Struct();
  out.Set("ConnectionArn", Value::String(c.arn));
  out.Set("ConnectionState", Value::String(std::string(state)));
  out.Set("CreationTime", Value::Int(c.created_ms));
  out.Set("LastModifiedTime", Value::Int(c.modified_ms));
  if (authorized && c.authorized_ms > 0) {
    out.Set("LastAuthorizedTime", Value::Int(c.authorized_ms));
  }
  return out;
}

Value DestinationOutput(const ApiDestination& d, bool full) {
  Value out = Value::Struct();
  out.Set("ApiDestinationArn", Value::String(d.arn));
  out.Set("Name", Value::String(d.name));
  if (full && !d.description.empty()) out.Set("Description", Value::String(d.description));
  out.Set("ApiDestinationState", Value::String(d.state));
  out.Set("ConnectionArn", Value::String(d.connection_arn));
  out.Set("InvocationEndpoint", Value::String(d.endpoint));
  out.Set("HttpMethod", Value::String(d.method));
  out.Set("InvocationRateLimitPerSecond", Value::Int(d.rate_limit));
  out.Set("CreationTime", Value::Int(d.created_ms));
  out.Set("LastModifiedTime", Value::Int(d.modified_ms));
  return out;
}

Value DestinationStateOutput(const ApiDestination& d) {
  Value out = Value::Struct();
  out.Set("ApiDestinationArn", Value::String(d.arn));
  out.Set("ApiDestinationState", Value::String(d.state));
  out.Set("CreationTime", Value::Int(d.created_ms));
  out.Set("LastModifiedTime", Value::Int(d.modified_ms));
  return out;
}

Result<Connection> LoadConnection(const Events& ev, const engine::ResourceScope& scope,
                                  std::string_view name) {
  auto rec = ev.platform.resources->Get(kConnectionKind, scope, name);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) return ConnectionNotFound(name);
  return DecodeConnection(scope, **rec);
}

Result<ApiDestination> LoadDestination(const Events& ev, const engine::ResourceScope& scope,
                                       std::string_view name) {
  auto rec = ev.platform.resources->Get(kApiDestinationKind, scope, name);
  if (!rec.ok()) return rec.status();
  if (!rec->has_value()) return DestinationNotFound(name);
  return DecodeApiDestination(scope, **rec);
}

Status PutConnection(const Events& ev, Connection& c, std::uint64_t expected) {
  auto v = ev.platform.resources->Put(kConnectionKind, c.scope, c.name, EncodeConnection(c),
                                      ConnectionSecret(c), expected);
  if (!v.ok()) return v.status();
  c.version = *v;
  return Status::Ok();
}

// The connection an API destination names: it must exist in the caller's account and region.
Status CheckConnection(const Events& ev, const RequestContext& ctx, const std::string& arn) {
  auto name = ConnectionName(arn);
  if (!name) {
    return Invalid(fmt::format(
        "Parameter {} is not valid. Reason: Provided Arn is not in correct format.", arn));
  }
  auto c = LoadConnection(ev, ScopeOf(ctx), *name);
  if (!c.ok()) return c.status();
  if (c->arn != arn) return ConnectionNotFound(*name);
  return Status::Ok();
}

Status CheckEndpoint(const Events& ev, const RequestContext& ctx, const std::string& endpoint) {
  auto url = net::ParseHttpUrl(endpoint);
  if (!url.ok()) {
    return Invalid(fmt::format(
        "Parameter InvocationEndpoint is not valid. Reason: {} is not an HTTP(S) URL.", endpoint));
  }
  if (ev.platform.auth != nullptr &&
      services::EndpointRefused(ev.options.endpoints, url->host, url->port, ctx.host)) {
    return Invalid(
        "Parameter InvocationEndpoint is not valid. Reason: Endpoints on a loopback address or "
        "on this server are not allowed.");
  }
  return Status::Ok();
}

}  // namespace

// ---- connections -----------------------------------------------------------------------------

void CreateConnection(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  Connection c;
  c.scope = scope;
  c.name = StringOf(input, "Name");
  c.arn = ConnectionArnOf(scope, c.name);
  if (Status st = Authorize(ev, ctx, "events:CreateConnection", c.arn, ctx.account_id); !st.ok()) {
    return reply(st);
  }
  if (input.Get("InvocationConnectivityParameters") != nullptr) {
    return reply(
        Invalid("Private API connectivity (InvocationConnectivityParameters) is not "
                "supported by Sluice."));
  }
  c.auth_type = StringOf(input, "AuthorizationType");
  if (const Value* auth = input.Get("AuthParameters")) c.auth = *auth;
  if (Status st = ValidateAuth(c.auth_type, c.auth); !st.ok()) return reply(st);
  c.description = StringOf(input, "Description");
  c.kms_key = StringOf(input, "KmsKeyIdentifier");
  c.created_ms = c.modified_ms = c.authorized_ms = ev.platform.clock->NowMs();
  c.state = "AUTHORIZED";
  auto existing = ev.platform.resources->List(kConnectionKind, scope, {});
  if (!existing.ok()) return reply(existing.status());
  for (const auto& r : *existing) {
    if (r.name == c.name) {
      return reply(Status(EventsError::kResourceAlreadyExists,
                          fmt::format("Connection {} already exists.", c.name)));
    }
  }
  if (existing->size() >= ev.options.connection_limit) return reply(LimitExceeded());
  if (Status st = PutConnection(ev, c, 0); !st.ok()) {
    if (st.code() == engine::ResourceError::kConflict) {
      return reply(Status(EventsError::kResourceAlreadyExists,
                          fmt::format("Connection {} already exists.", c.name)));
    }
    return reply(st);
  }
  reply(ConnectionStateOutput(
      c, c.auth_type == "OAUTH_CLIENT_CREDENTIALS" ? "AUTHORIZING" : "CREATING", false));
}

void DescribeConnection(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string name = StringOf(input, "Name");
  auto c = LoadConnection(ev, ScopeOf(ctx), name);
  if (!c.ok()) return reply(c.status());
  if (Status st = Authorize(ev, ctx, "events:DescribeConnection", c->arn, ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  Value out = ConnectionSummary(*c);
  if (!c->description.empty()) out.Set("Description", Value::String(c->description));
  if (!c->kms_key.empty()) out.Set("KmsKeyIdentifier", Value::String(c->kms_key));
  out.Set("SecretArn",
          Value::String(fmt::format("arn:aws:secretsmanager:{}:{}:secret:events!connection/{}",
                                    c->scope.region, c->scope.account, c->name)));
  out.Set("AuthParameters", PublicAuthParameters(c->auth));
  reply(std::move(out));
}

void ListConnections(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(ev, ctx, "events:ListConnections", "*", ctx.account_id); !st.ok()) {
    return reply(st);
  }
  const std::string state = StringOf(input, "ConnectionState");
  ListPage<Connection>(
      ev, ctx, input, kConnectionKind, "Connections", &DecodeConnection,
      [&](const Connection& c) { return state.empty() || c.state == state; },
      [](const Connection& c) { return ConnectionSummary(c); }, reply);
}

void UpdateConnection(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string name = StringOf(input, "Name");
  auto c = LoadConnection(ev, scope, name);
  if (!c.ok()) return reply(c.status());
  if (Status st = Authorize(ev, ctx, "events:UpdateConnection", c->arn, ctx.account_id); !st.ok()) {
    return reply(st);
  }
  if (input.Get("InvocationConnectivityParameters") != nullptr) {
    return reply(
        Invalid("Private API connectivity (InvocationConnectivityParameters) is not "
                "supported by Sluice."));
  }
  if (input.Get("Description") != nullptr) c->description = StringOf(input, "Description");
  if (input.Get("KmsKeyIdentifier") != nullptr) c->kms_key = StringOf(input, "KmsKeyIdentifier");
  const std::string type = StringOf(input, "AuthorizationType");
  Value auth = c->auth;
  if (!type.empty() && type != c->auth_type) {
    // Another kind of authorization: the old kind's parameters go.
    Value kept = Value::Struct();
    if (const Value* p = auth.Get("InvocationHttpParameters")) {
      kept.Set("InvocationHttpParameters", *p);
    }
    auth = std::move(kept);
    c->auth_type = type;
  }
  if (const Value* update = input.Get("AuthParameters")) {
    for (const auto& [member, v] : update->entries()) {
      Value* current = auth.GetMutable(member);
      if (current == nullptr || member == "InvocationHttpParameters") {
        auth.Set(member, v);
        continue;
      }
      for (const auto& [field, fv] : v.entries()) {  // given fields replace, others stay
        if (field == "ClientParameters" && current->Get(field) != nullptr) {
          for (const auto& [cf, cv] : fv.entries()) current->GetMutable(field)->Set(cf, cv);
        } else {
          current->Set(field, fv);
        }
      }
    }
  }
  if (Status st = ValidateAuth(c->auth_type, auth); !st.ok()) return reply(st);
  c->auth = std::move(auth);
  c->modified_ms = c->authorized_ms = ev.platform.clock->NowMs();
  c->state = "AUTHORIZED";
  c->state_reason.clear();
  if (Status st = PutConnection(ev, *c, c->version); !st.ok()) return reply(st);
  ev.router.ConnectionChanged(c->arn);
  reply(ConnectionStateOutput(*c, "UPDATING"));
}

void DeleteConnection(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string name = StringOf(input, "Name");
  auto c = LoadConnection(ev, scope, name);
  if (!c.ok()) return reply(c.status());
  if (Status st = Authorize(ev, ctx, "events:DeleteConnection", c->arn, ctx.account_id); !st.ok()) {
    return reply(st);
  }
  Status st = ev.platform.resources->Delete(kConnectionKind, scope, name, c->version);
  if (!st.ok()) {
    if (st.code() == engine::ResourceError::kNotFound) return reply(ConnectionNotFound(name));
    return reply(st);
  }
  ev.router.ConnectionChanged(c->arn);
  reply(ConnectionStateOutput(*c, "DELETING"));
}

void DeauthorizeConnection(const Events& ev, const RequestContext& ctx, Value&& input,
                           Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string name = StringOf(input, "Name");
  auto c = LoadConnection(ev, scope, name);
  if (!c.ok()) return reply(c.status());
  if (Status st = Authorize(ev, ctx, "events:DeauthorizeConnection", c->arn, ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  c->state = "DEAUTHORIZED";
  c->state_reason = "Connection was deauthorized by the user.";
  c->modified_ms = ev.platform.clock->NowMs();
  // The secrets go; UpdateConnection with new ones authorizes it again.
  Value kept = Value::Struct();
  if (const Value* p = c->auth.Get("InvocationHttpParameters")) {
    kept.Set("InvocationHttpParameters", *p);
  }
  c->auth = std::move(kept);
  if (Status st = PutConnection(ev, *c, c->version); !st.ok()) return reply(st);
  ev.router.ConnectionChanged(c->arn);
  reply(ConnectionStateOutput(*c, "DEAUTHORIZING"));
}

// ---- API destinations ------------------------------------------------------------------------

void CreateApiDestination(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  ApiDestination d;
  d.scope = scope;
  d.name = StringOf(input, "Name");
  d.arn = DestinationArnOf(scope, d.name);
  if (Status st = Authorize(ev, ctx, "events:CreateApiDestination", d.arn, ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  d.description = StringOf(input, "Description");
  d.connection_arn = StringOf(input, "ConnectionArn");
  d.endpoint = StringOf(input, "InvocationEndpoint");
  d.method = StringOf(input, "HttpMethod");
  d.rate_limit = input.GetInt("InvocationRateLimitPerSecond").value_or(300);
  if (Status st = CheckEndpoint(ev, ctx, d.endpoint); !st.ok()) return reply(st);
  if (Status st = CheckConnection(ev, ctx, d.connection_arn); !st.ok()) return reply(st);
  d.created_ms = d.modified_ms = ev.platform.clock->NowMs();
  auto existing = ev.platform.resources->List(kApiDestinationKind, scope, {});
  if (!existing.ok()) return reply(existing.status());
  auto duplicate = [&] {
    return Status(EventsError::kResourceAlreadyExists,
                  fmt::format("An api-destination '{}' already exists.", d.name));
  };
  for (const auto& r : *existing) {
    if (r.name == d.name) return reply(duplicate());
  }
  if (existing->size() >= ev.options.api_destination_limit) return reply(LimitExceeded());
  auto v = ev.platform.resources->Put(kApiDestinationKind, scope, d.name, EncodeApiDestination(d),
                                      "", 0);
  if (!v.ok()) {
    if (v.status().code() == engine::ResourceError::kConflict) return reply(duplicate());
    return reply(v.status());
  }
  reply(DestinationStateOutput(d));
}

void DescribeApiDestination(const Events& ev, const RequestContext& ctx, Value&& input,
                            Reply reply) {
  auto d = LoadDestination(ev, ScopeOf(ctx), StringOf(input, "Name"));
  if (!d.ok()) return reply(d.status());
  if (Status st = Authorize(ev, ctx, "events:DescribeApiDestination", d->arn, ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  reply(DestinationOutput(*d, true));
}

void ListApiDestinations(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(ev, ctx, "events:ListApiDestinations", "*", ctx.account_id); !st.ok()) {
    return reply(st);
  }
  const std::string connection = StringOf(input, "ConnectionArn");
  ListPage<ApiDestination>(
      ev, ctx, input, kApiDestinationKind, "ApiDestinations", &DecodeApiDestination,
      [&](const ApiDestination& d) { return connection.empty() || d.connection_arn == connection; },
      [](const ApiDestination& d) { return DestinationOutput(d, false); }, reply);
}

void UpdateApiDestination(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  auto d = LoadDestination(ev, scope, StringOf(input, "Name"));
  if (!d.ok()) return reply(d.status());
  if (Status st = Authorize(ev, ctx, "events:UpdateApiDestination", d->arn, ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  if (input.Get("Description") != nullptr) d->description = StringOf(input, "Description");
  if (input.Get("ConnectionArn") != nullptr) {
    d->connection_arn = StringOf(input, "ConnectionArn");
    if (Status st = CheckConnection(ev, ctx, d->connection_arn); !st.ok()) return reply(st);
  }
  if (input.Get("InvocationEndpoint") != nullptr) {
    d->endpoint = StringOf(input, "InvocationEndpoint");
    if (Status st = CheckEndpoint(ev, ctx, d->endpoint); !st.ok()) return reply(st);
  }
  if (input.Get("HttpMethod") != nullptr) d->method = StringOf(input, "HttpMethod");
  if (auto rate = input.GetInt("InvocationRateLimitPerSecond")) d->rate_limit = *rate;
  d->modified_ms = ev.platform.clock->NowMs();
  auto v = ev.platform.resources->Put(kApiDestinationKind, scope, d->name, EncodeApiDestination(*d),
                                      "", d->version);
  if (!v.ok()) return reply(v.status());
  reply(DestinationStateOutput(*d));
}

void DeleteApiDestination(const Events& ev, const RequestContext& ctx, Value&& input, Reply reply) {
  const engine::ResourceScope scope = ScopeOf(ctx);
  const std::string name = StringOf(input, "Name");
  auto d = LoadDestination(ev, scope, name);
  if (!d.ok()) return reply(d.status());
  if (Status st = Authorize(ev, ctx, "events:DeleteApiDestination", d->arn, ctx.account_id);
      !st.ok()) {
    return reply(st);
  }
  Status st = ev.platform.resources->Delete(kApiDestinationKind, scope, name, d->version);
  if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
  if (!st.ok()) return reply(DestinationNotFound(name));
  reply(Value::Struct());
}

}  // namespace sluice::events
