// API destination requests as pure functions: the endpoint's wildcards, the target's then the
// connection's parameters, each kind of authorization, bodyless methods, the retried statuses,
// the OAuth token request and answer, and the ARN parsers.
#include "services/events/api_destinations.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

namespace sluice::events {
namespace {

const std::string* Header(const Invocation& inv, const std::string& name) {
  for (const auto& [k, v] : inv.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

protocol::Value Param(const char* key, const char* value, bool secret = false) {
  protocol::Value p = protocol::Value::Struct();
  p.Set("Key", protocol::Value::String(key));
  p.Set("Value", protocol::Value::String(value));
  p.Set("IsValueSecret", protocol::Value::Bool(secret));
  return p;
}

TEST(ApiDestinations, BuildsTheRequestFromDestinationConnectionAndTarget) {
  ApiDestination d;
  d.endpoint = "https://api.example.com/orders/*/items/*";
  d.method = "POST";
  Connection c;
  c.auth_type = "API_KEY";
  protocol::Value key = protocol::Value::Struct();
  key.Set("ApiKeyName", protocol::Value::String("x-api-key"));
  key.Set("ApiKeyValue", protocol::Value::String("k-1"));
  c.auth.Set("ApiKeyAuthParameters", std::move(key));
  protocol::Value params = protocol::Value::Struct();
  protocol::Value headers = protocol::Value::List();
  headers.Append(Param("X-Team", "from-connection", true));
  params.Set("HeaderParameters", std::move(headers));
  protocol::Value query = protocol::Value::List();
  query.Append(Param("v", "2"));
  params.Set("QueryStringParameters", std::move(query));
  c.auth.Set("InvocationHttpParameters", std::move(params));

  rapidjson::Document event;
  event.Parse(R"({"source":"shop","detail":{"id":"o 1","n":5}})");
  protocol::Value target = protocol::Value::Struct();
  protocol::Value path = protocol::Value::List();
  path.Append(protocol::Value::String("$.detail.id"));
  path.Append(protocol::Value::String("fixed"));
  target.Set("PathParameterValues", std::move(path));
  protocol::Value th = protocol::Value::Map();
  th.Set("X-Team", protocol::Value::String("from-target"));
  th.Set("X-N", protocol::Value::String("$.detail.n"));
  th.Set("X-Missing", protocol::Value::String("$.detail.nope"));
  target.Set("HeaderParameters", std::move(th));
  protocol::Value tq = protocol::Value::Map();
  tq.Set("src", protocol::Value::String("$.source"));
  target.Set("QueryStringParameters", std::move(tq));

  const HttpParts parts = ResolveHttpParameters(&target, event);
  const HttpParts again = DecodeHttpParts(EncodeHttpParts(parts));
  EXPECT_EQ(again.path, parts.path);
  EXPECT_EQ(again.headers, parts.headers);
  const Invocation inv = BuildInvocation(d, c, again, R"({"a":1})", "");
  EXPECT_EQ(inv.method, "POST");
  EXPECT_EQ(inv.url, "https://api.example.com/orders/o%201/items/fixed?src=shop&v=2");
  EXPECT_EQ(inv.body, R"({"a":1})");
  ASSERT_NE(Header(inv, "X-Team"), nullptr);
  EXPECT_EQ(*Header(inv, "X-Team"), "from-connection");  // the connection's win
  ASSERT_NE(Header(inv, "X-N"), nullptr);
  EXPECT_EQ(*Header(inv, "X-N"), "5");
  EXPECT_EQ(Header(inv, "X-Missing"), nullptr);
  ASSERT_NE(Header(inv, "x-api-key"), nullptr);
  EXPECT_EQ(*Header(inv, "x-api-key"), "k-1");
  EXPECT_EQ(*Header(inv, "User-Agent"), "Amazon/EventBridge/ApiDestinations");

  // Secrets are not in what Describe returns.
  const protocol::Value shown = PublicAuthParameters(c.auth);
  EXPECT_FALSE(shown.Get("ApiKeyAuthParameters")->GetString("ApiKeyValue").has_value());
  const protocol::Value& shown_header =
      shown.Get("InvocationHttpParameters")->Get("HeaderParameters")->items()[0];
  EXPECT_FALSE(shown_header.GetString("Value").has_value());

  // GET sends no body; OAuth sends the bearer token.
  d.method = "GET";
  c.auth_type = "OAUTH_CLIENT_CREDENTIALS";
  const Invocation get = BuildInvocation(d, c, {}, "{}", "tok");
  EXPECT_TRUE(get.body.empty());
  EXPECT_EQ(*Header(get, "Authorization"), "Bearer tok");
  EXPECT_EQ(get.url, "https://api.example.com/orders//items/?v=2");
}

TEST(ApiDestinations, OAuthTokenRequestAndAnswer) {
  Connection c;
  c.auth_type = "OAUTH_CLIENT_CREDENTIALS";
  protocol::Value oauth = protocol::Value::Struct();
  protocol::Value client = protocol::Value::Struct();
  client.Set("ClientID", protocol::Value::String("id"));
  client.Set("ClientSecret", protocol::Value::String("secret"));
  oauth.Set("ClientParameters", std::move(client));
  oauth.Set("AuthorizationEndpoint", protocol::Value::String("https://auth.example.com/token"));
  oauth.Set("HttpMethod", protocol::Value::String("POST"));
  c.auth.Set("OAuthParameters", std::move(oauth));
  const Invocation inv = OAuthTokenRequest(c);
  EXPECT_EQ(inv.method, "POST");
  EXPECT_EQ(inv.url, "https://auth.example.com/token");
  EXPECT_EQ(inv.body, "grant_type=client_credentials");
  EXPECT_EQ(*Header(inv, "Authorization"), "Basic aWQ6c2VjcmV0");
  EXPECT_EQ(OAuthAccessToken(R"({"access_token":"abc","expires_in":3600})"), "abc");
  EXPECT_FALSE(OAuthAccessToken(R"({"access_token":""})").has_value());
  EXPECT_FALSE(OAuthAccessToken("not json").has_value());
}

TEST(ApiDestinations, RetriedStatusesAndArns) {
  for (int s : {401, 407, 409, 429, 500, 502, 503, 504}) EXPECT_TRUE(RetriedStatus(s)) << s;
  for (int s : {200, 301, 400, 403, 404, 413}) EXPECT_FALSE(RetriedStatus(s)) << s;
  EXPECT_EQ(ApiDestinationName("arn:aws:events:us-east-1:123456789012:api-destination/d/abc-1"),
            "d");
  EXPECT_EQ(ConnectionName("arn:aws:events:us-east-1:123456789012:connection/c/abc-1"), "c");
  EXPECT_FALSE(ApiDestinationName("arn:aws:events:us-east-1:123456789012:connection/c/x"));
  EXPECT_FALSE(ApiDestinationName("arn:aws:sqs:us-east-1:123456789012:api-destination/d/x"));
  EXPECT_FALSE(ApiDestinationName("arn:aws:events:us-east-1:123456789012:api-destination/d"));
}

}  // namespace
}  // namespace sluice::events
