// RequestContext: the facts about one request that every layer above the wire may use. The
// protocol layer creates it (request id, addresses, wire protocol, and the account and region the
// request acts in), auth/ adds the verified caller, services read it.
#pragma once

#include <memory>
#include <string>

namespace sluice::auth {
struct Principal;  // auth/auth.h: the verified caller; opaque below auth/
}  // namespace sluice::auth

namespace sluice {

// kCbor: Smithy RPC v2 CBOR. Services treat it as kJson (model member names, JSON-style errors).
enum class WireProtocol { kJson, kQuery, kCbor };

// The account and region a request acts in when nothing in it says otherwise: configured once
// ([sqs] account_id and region) and handed to the protocol layer.
struct RequestDefaults {
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
};

struct RequestContext {
  std::string request_id;
  // The account the request acts in: the verified caller's (auth "sigv4"), else the configured
  // default. Never empty once the protocol layer has filled it.
  std::string account_id = "000000000000";
  // The region the request acts in: its SigV4 credential scope's (signed requests, whatever the
  // auth mode: every SDK signs), else the configured default. Resources are scoped by account and
  // region, and their ARNs carry both.
  std::string region = "us-east-1";
  // SenderId for messages, GetCallerIdentity's UserId: the IAM user's unique id ("AIDA..."), an
  // assumed role's "AROA...:<session>", the account for its root. Empty with auth "none".
  std::string sender_id;
  std::string source_ip;
  std::string host;  // Host header as received ("localhost:9324")
  // The X-Amzn-Trace-Id header as received (X-Ray tracing context, "Root=...;Parent=..."); empty
  // when absent. SQS stores it as sent messages' AWSTraceHeader.
  std::string trace_header;
  std::string path;  // request path ("/" or "/000000000000/queue-name")
  bool secure = false;
  WireProtocol protocol = WireProtocol::kJson;
  // Set by the service's authenticate hook (auth "sigv4"); left empty/false with auth "none".
  bool authenticated = false;
  std::string principal_arn;   // "arn:aws:iam::111122223333:user/alice"
  std::string access_key_id;   // the verified credential
  std::string signing_region;  // the credential scope's region, as verified
  // The verified caller as auth/ knows it (identity policies, session policy); only auth/ looks
  // inside. Null with auth "none".
  std::shared_ptr<const auth::Principal> principal;
};

}  // namespace sluice
