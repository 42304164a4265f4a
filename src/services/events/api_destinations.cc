#include "services/events/api_destinations.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

#include "auth/sigv4.h"
#include "common/encoding.h"
#include "common/json_record.h"
#include "services/events/transform.h"
#include "services/events/value_json.h"

namespace sluice::events {
namespace {

using namespace json_record;  // NOLINT(google-build-using-namespace)

Result<rapidjson::Document> Parse(const engine::ResourceRecord& record, const char* what) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(record.value.data(), record.value.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(ErrorCode::kInternalError, fmt::format("a stored {} is unreadable", what));
  }
  return d;
}

// Drops the values of parameters marked IsValueSecret from a ConnectionHttpParameters.
protocol::Value PublicHttpParameters(const protocol::Value& params) {
  protocol::Value out = protocol::Value::Struct();
  for (const auto& [list_name, list] : params.entries()) {
    protocol::Value items = protocol::Value::List();
    for (const protocol::Value& p : list.items()) {
      protocol::Value copy = protocol::Value::Struct();
      const bool secret = p.GetBool("IsValueSecret").value_or(false);
      for (const auto& [k, v] : p.entries()) {
        if (k == "Value" && secret) continue;
        copy.Set(k, v);
      }
      items.Append(std::move(copy));
    }
    out.Set(list_name, std::move(items));
  }
  return out;
}

std::optional<std::string> NameAfter(std::string_view arn, std::string_view kind) {
  if (arn.rfind("arn:", 0) != 0) return std::nullopt;
  std::size_t colons = 0;
  std::size_t pos = 0;
  for (; pos < arn.size() && colons < 5; ++pos) colons += arn[pos] == ':' ? 1 : 0;
  if (colons < 5) return std::nullopt;
  std::string_view resource = arn.substr(pos);
  if (arn.substr(0, pos).find(":events:") == std::string_view::npos) return std::nullopt;
  if (resource.rfind(kind, 0) != 0 || resource.size() <= kind.size() ||
      resource[kind.size()] != '/') {
    return std::nullopt;
  }
  resource.remove_prefix(kind.size() + 1);
  const std::size_t slash = resource.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  return std::string(resource.substr(0, slash));
}

// A parameter value: literal, or "$..." selected from the event (strings as they are, other
// values as JSON); nullopt when the path selects nothing.
std::optional<std::string> Resolve(const std::string& value, const rapidjson::Value& event) {
  if (value.rfind("$.", 0) != 0 && value != "$") return value;
  auto steps = ParseJsonPath(value);
  if (!steps) return value;
  const rapidjson::Value* v = SelectPath(event, *steps);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  return JsonText(*v);
}

void WritePairs(Writer& w, const char* key,
                const std::vector<std::pair<std::string, std::string>>& pairs) {
  w.Key(key);
  w.StartArray();
  for (const auto& [k, v] : pairs) {
    w.StartArray();
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndArray();
}

std::vector<std::pair<std::string, std::string>> ReadPairs(const rapidjson::Value& d,
                                                           const char* key) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = d.FindMember(key);
  if (it == d.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& p : it->value.GetArray()) {
    if (!p.IsArray() || p.Size() != 2 || !p[0].IsString() || !p[1].IsString()) continue;
    out.emplace_back(std::string(p[0].GetString(), p[0].GetStringLength()),
                     std::string(p[1].GetString(), p[1].GetStringLength()));
  }
  return out;
}

// Sets a header, replacing one of the same name (case-insensitive).
void SetHeader(std::vector<std::pair<std::string, std::string>>& headers, const std::string& name,
               const std::string& value) {
  for (auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

void SetPair(std::vector<std::pair<std::string, std::string>>& pairs, const std::string& name,
             const std::string& value) {
  for (auto& [k, v] : pairs) {
    if (k == name) {
      v = value;
      return;
    }
  }
  pairs.emplace_back(name, value);
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    out += auth::UriEncode(k, false);
    out += '=';
    out += auth::UriEncode(v, false);
  }
  return out;
}

// The connection's InvocationHttpParameters (or OAuthHttpParameters) applied to the request.
void ApplyConnectionParameters(const protocol::Value* params,
                               std::vector<std::pair<std::string, std::string>>& headers,
                               std::vector<std::pair<std::string, std::string>>& query,
                               std::vector<std::pair<std::string, std::string>>* body) {
  if (params == nullptr) return;
  auto each = [&](const char* list, auto&& fn) {
    if (const protocol::Value* l = params->Get(list)) {
      for (const protocol::Value& p : l->items()) {
        fn(std::string(p.GetString("Key").value_or("")),
           std::string(p.GetString("Value").value_or("")));
      }
    }
  };
  each("HeaderParameters",
       [&](const std::string& k, const std::string& v) { SetHeader(headers, k, v); });
  each("QueryStringParameters",
       [&](const std::string& k, const std::string& v) { SetPair(query, k, v); });
  if (body != nullptr) {
    each("BodyParameters",
         [&](const std::string& k, const std::string& v) { SetPair(*body, k, v); });
  }
}

std::string WithQuery(std::string url, const std::vector<std::pair<std::string, std::string>>& q) {
  if (q.empty()) return url;
  url += url.find('?') == std::string::npos ? '?' : '&';
  return url + QueryString(q);
}

}  // namespace

std::string EncodeConnection(const Connection& c) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "arn", c.arn);
  Str(w, "description", c.description);
  Str(w, "auth_type", c.auth_type);
  Str(w, "state", c.state);
  Str(w, "state_reason", c.state_reason);
  Str(w, "kms_key", c.kms_key);
  w.Key("created_ms");
  w.Int64(c.created_ms);
  w.Key("modified_ms");
  w.Int64(c.modified_ms);
  w.Key("authorized_ms");
  w.Int64(c.authorized_ms);
  w.EndObject();
  return buf.GetString();
}

std::string ConnectionSecret(const Connection& c) { return ValueToJson(c.auth); }

Result<Connection> DecodeConnection(const engine::ResourceScope& scope,
                                    const engine::ResourceRecord& record) {
  auto d = Parse(record, "connection");
  if (!d.ok()) return d.status();
  Connection c;
  c.scope = scope;
  c.name = record.name;
  c.arn = GetStr(*d, "arn");
  c.description = GetStr(*d, "description");
  c.auth_type = GetStr(*d, "auth_type");
  c.state = GetStr(*d, "state");
  c.state_reason = GetStr(*d, "state_reason");
  c.kms_key = GetStr(*d, "kms_key");
  c.created_ms = GetInt(*d, "created_ms");
  c.modified_ms = GetInt(*d, "modified_ms");
  c.authorized_ms = GetInt(*d, "authorized_ms");
  if (!record.secret.empty()) {
    rapidjson::Document a;
    a.Parse(record.secret.data(), record.secret.size());
    if (!a.HasParseError() && a.IsObject()) c.auth = JsonToValue(a);
  }
  c.version = record.version;
  return c;
}

std::string EncodeApiDestination(const ApiDestination& x) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  Str(w, "arn", x.arn);
  Str(w, "description", x.description);
  Str(w, "connection", x.connection_arn);
  Str(w, "endpoint", x.endpoint);
  Str(w, "method", x.method);
  Str(w, "state", x.state);
  w.Key("rate");
  w.Int64(x.rate_limit);
  w.Key("created_ms");
  w.Int64(x.created_ms);
  w.Key("modified_ms");
  w.Int64(x.modified_ms);
  w.EndObject();
  return buf.GetString();
}

Result<ApiDestination> DecodeApiDestination(const engine::ResourceScope& scope,
                                            const engine::ResourceRecord& record) {
  auto d = Parse(record, "API destination");
  if (!d.ok()) return d.status();
  ApiDestination x;
  x.scope = scope;
  x.name = record.name;
  x.arn = GetStr(*d, "arn");
  x.description = GetStr(*d, "description");
  x.connection_arn = GetStr(*d, "connection");
  x.endpoint = GetStr(*d, "endpoint");
  x.method = GetStr(*d, "method");
  x.state = GetStr(*d, "state");
  x.rate_limit = GetInt(*d, "rate");
  if (x.rate_limit <= 0) x.rate_limit = 300;
  x.created_ms = GetInt(*d, "created_ms");
  x.modified_ms = GetInt(*d, "modified_ms");
  x.version = record.version;
  return x;
}

protocol::Value PublicAuthParameters(const protocol::Value& auth) {
  protocol::Value out = protocol::Value::Struct();
  if (const protocol::Value* basic = auth.Get("BasicAuthParameters")) {
    protocol::Value b = protocol::Value::Struct();
    if (auto u = basic->GetString("Username"))
      b.Set("Username", protocol::Value::String(std::string(*u)));
    out.Set("BasicAuthParameters", std::move(b));
  }
  if (const protocol::Value* key = auth.Get("ApiKeyAuthParameters")) {
    protocol::Value k = protocol::Value::Struct();
    if (auto n = key->GetString("ApiKeyName"))
      k.Set("ApiKeyName", protocol::Value::String(std::string(*n)));
    out.Set("ApiKeyAuthParameters", std::move(k));
  }
  if (const protocol::Value* oauth = auth.Get("OAuthParameters")) {
    protocol::Value o = protocol::Value::Struct();
    if (const protocol::Value* client = oauth->Get("ClientParameters")) {
      protocol::Value c = protocol::Value::Struct();
      if (auto id = client->GetString("ClientID"))
        c.Set("ClientID", protocol::Value::String(std::string(*id)));
      o.Set("ClientParameters", std::move(c));
    }
    for (const char* m : {"AuthorizationEndpoint", "HttpMethod"}) {
      if (auto v = oauth->GetString(m)) o.Set(m, protocol::Value::String(std::string(*v)));
    }
    if (const protocol::Value* p = oauth->Get("OAuthHttpParameters")) {
      o.Set("OAuthHttpParameters", PublicHttpParameters(*p));
    }
    out.Set("OAuthParameters", std::move(o));
  }
  if (const protocol::Value* p = auth.Get("InvocationHttpParameters")) {
    out.Set("InvocationHttpParameters", PublicHttpParameters(*p));
  }
  return out;
}

std::optional<std::string> ApiDestinationName(std::string_view arn) {
  return NameAfter(arn, "api-destination");
}

std::optional<std::string> ConnectionName(std::string_view arn) {
  return NameAfter(arn, "connection");
}

HttpParts ResolveHttpParameters(const protocol::Value* params, const rapidjson::Value& event) {
  HttpParts parts;
  if (params == nullptr) return parts;
  if (const protocol::Value* path = params->Get("PathParameterValues")) {
    for (const protocol::Value& v : path->items()) {
      parts.path.push_back(Resolve(v.as_string(), event).value_or(""));
    }
  }
  if (const protocol::Value* headers = params->Get("HeaderParameters")) {
    for (const auto& [k, v] : headers->entries()) {
      if (auto r = Resolve(v.as_string(), event)) parts.headers.emplace_back(k, std::move(*r));
    }
  }
  if (const protocol::Value* query = params->Get("QueryStringParameters")) {
    for (const auto& [k, v] : query->entries()) {
      if (auto r = Resolve(v.as_string(), event)) parts.query.emplace_back(k, std::move(*r));
    }
  }
  return parts;
}

std::string EncodeHttpParts(const HttpParts& parts) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("path");
  w.StartArray();
  for (const std::string& p : parts.path) {
    w.String(p.data(), static_cast<rapidjson::SizeType>(p.size()));
  }
  w.EndArray();
  WritePairs(w, "headers", parts.headers);
  WritePairs(w, "query", parts.query);
  w.EndObject();
  return buf.GetString();
}

HttpParts DecodeHttpParts(std::string_view json) {
  HttpParts parts;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return parts;
  // Through a const reference: clang's C++20 mode finds rapidjson's mutable iterator comparison
  // ambiguous (-Wambiguous-reversed-operator).
  const rapidjson::Value& obj = d;
  if (auto it = obj.FindMember("path"); it != obj.MemberEnd() && it->value.IsArray()) {
    for (const auto& p : it->value.GetArray()) {
      if (p.IsString()) parts.path.emplace_back(p.GetString(), p.GetStringLength());
    }
  }
  parts.headers = ReadPairs(d, "headers");
  parts.query = ReadPairs(d, "query");
  return parts;
}

Invocation BuildInvocation(const ApiDestination& destination, const Connection& connection,
                           const HttpParts& parts, const std::string& payload,
                           const std::string& bearer) {
  Invocation inv;
  inv.method = destination.method.empty() ? "POST" : destination.method;
  // Path wildcards, in order; a missing value leaves the wildcard empty.
  std::string url;
  std::size_t next = 0;
  for (char c : destination.endpoint) {
    if (c == '*') {
      if (next < parts.path.size()) url += auth::UriEncode(parts.path[next], false);
      ++next;
    } else {
      url += c;
    }
  }
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json; charset=utf-8"},
      {"User-Agent", "Amazon/EventBridge/ApiDestinations"},
      {"Range", "bytes=0-1048575"},
      {"Accept-Encoding", "gzip,deflate"},
  };
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : parts.headers) SetHeader(headers, k, v);
  for (const auto& [k, v] : parts.query) SetPair(query, k, v);
  const protocol::Value& a = connection.auth;
  ApplyConnectionParameters(a.Get("InvocationHttpParameters"), headers, query, nullptr);
  if (connection.auth_type == "BASIC") {
    if (const protocol::Value* basic = a.Get("BasicAuthParameters")) {
      const std::string user(basic->GetString("Username").value_or(""));
      const std::string password(basic->GetString("Password").value_or(""));
      SetHeader(headers, "Authorization", "Basic " + Base64Encode(user + ":" + password));
    }
  } else if (connection.auth_type == "API_KEY") {
    if (const protocol::Value* key = a.Get("ApiKeyAuthParameters")) {
      SetHeader(headers, std::string(key->GetString("ApiKeyName").value_or("")),
                std::string(key->GetString("ApiKeyValue").value_or("")));
    }
  } else if (connection.auth_type == "OAUTH_CLIENT_CREDENTIALS" && !bearer.empty()) {
    SetHeader(headers, "Authorization", "Bearer " + bearer);
  }
  inv.url = WithQuery(std::move(url), query);
  inv.headers = std::move(headers);
  const bool bodyless = inv.method == "GET" || inv.method == "HEAD" || inv.method == "OPTIONS" ||
                        inv.method == "DELETE";
  if (!bodyless) inv.body = payload;
  return inv;
}

bool RetriedStatus(int status) {
  return status == 401 || status == 407 || status == 409 || status == 429 || status >= 500;
}

Invocation OAuthTokenRequest(const Connection& connection) {
  Invocation inv;
  const protocol::Value* oauth = connection.auth.Get("OAuthParameters");
  if (oauth == nullptr) return inv;
  inv.method = std::string(oauth->GetString("HttpMethod").value_or("POST"));
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"User-Agent", "Amazon/EventBridge/ApiDestinations"},
  };
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> body = {{"grant_type", "client_credentials"}};
  if (const protocol::Value* client = oauth->Get("ClientParameters")) {
    const std::string id(client->GetString("ClientID").value_or(""));
    const std::string secret(client->GetString("ClientSecret").value_or(""));
    SetHeader(headers, "Authorization", "Basic " + Base64Encode(id + ":" + secret));
  }
  ApplyConnectionParameters(oauth->Get("OAuthHttpParameters"), headers, query, &body);
  std::string endpoint(oauth->GetString("AuthorizationEndpoint").value_or(""));
  if (inv.method == "GET") {
    for (const auto& kv : body) SetPair(query, kv.first, kv.second);
  } else {
    inv.body = QueryString(body);
  }
  inv.url = WithQuery(std::move(endpoint), query);
  inv.headers = std::move(headers);
  return inv;
}

std::optional<std::string> OAuthAccessToken(std::string_view response_body) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(response_body.data(), response_body.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  const rapidjson::Value& obj = d;  // const: see DecodeHttpParts
  auto it = obj.FindMember("access_token");
  if (it == obj.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
    return std::nullopt;
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace sluice::events
