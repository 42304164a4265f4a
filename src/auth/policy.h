// IAM policy documents (identity policies and resource policies such as an SQS queue's Policy
// attribute): parsing with AWS's validation rules, and evaluation of one request against one
// document. Knows nothing of queues: actions are strings ("sqs:SendMessage"), resources ARNs.
//
// Supported: Effect Allow/Deny, Action/NotAction and Resource/NotResource with * and ?
// wildcards, Principal/NotPrincipal ("*", {"AWS": account id | account root ARN | user ARN | "*"},
// {"Service": "sns.amazonaws.com"}), and Condition blocks with the String*, Arn*, Numeric*,
// Date*, Bool, IpAddress/NotIpAddress and Null operators, the ...IfExists suffix and the
// ForAnyValue:/ForAllValues: prefixes. Context keys: aws:SourceIp, aws:SourceArn,
// aws:SourceAccount, aws:SecureTransport, aws:PrincipalAccount, aws:PrincipalArn,
// aws:PrincipalServiceName, aws:CurrentTime, aws:EpochTime, aws:username, aws:userid,
// aws:PrincipalType, aws:PrincipalTag/<key>, sts:ExternalId, sts:RoleSessionName.
//
// Policy variables in Resource and condition values: ${aws:username}, ${aws:userid},
// ${aws:PrincipalAccount}, ${aws:PrincipalArn}, ${aws:PrincipalType}, ${aws:PrincipalTag/<key>},
// ${aws:SourceIp}, ${aws:CurrentTime}, ${aws:EpochTime}, ${*}, ${?}, ${$}, with an optional
// default (${aws:username, 'none'}); a variable without a value makes the entry match nothing.
//
// A parsed Policy is immutable and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::auth {

enum class PolicyKind {
  kIdentity,  // attached to a user: no Principal; Resource required
  kResource,  // attached to a resource: Principal required; Resource optional
};

// What conditions and principals are tested against. Empty strings mean "absent".
struct RequestFacts {
  std::string_view principal_arn;      // "arn:aws:iam::111122223333:user/alice" or ":root"
  std::string_view principal_account;  // "111122223333"
  std::string_view principal_service;  // "sns.amazonaws.com" when a service principal acts
  std::string_view username;           // "alice"
  std::string_view source_ip;          // "127.0.0.1", "::1"
  bool secure_transport = false;
  std::int64_t now_ms = 0;
  std::string_view source_arn;      // aws:SourceArn (service principals)
  std::string_view source_account;  // aws:SourceAccount (service principals)
  // Assumed-role sessions: the role's ARN ("arn:aws:iam::111122223333:role/reader"). A Principal
  // naming the role matches its sessions directly, and aws:PrincipalArn is the role's ARN.
  std::string_view role_arn;
  std::string_view user_id;            // aws:userid ("AIDA...", "AROA...:session", account id)
  std::string_view external_id;        // sts:ExternalId (AssumeRole trust policy evaluation)
  std::string_view role_session_name;  // sts:RoleSessionName (AssumeRole trust policy)
  // kms:ViaService: the AWS service a KMS key is used through ("ssm.us-east-1.amazonaws.com"),
  // for the key policies of AWS managed keys; empty for direct KMS calls.
  std::string_view via_service;
  // The principal's tags (aws:PrincipalTag/<key>, keys compared ignoring case); null = none.
  const std::map<std::string, std::string>* principal_tags = nullptr;
};

struct EvalRequest {
  std::string_view action;    // "sqs:SendMessage"
  std::string_view resource;  // "arn:aws:sqs:us-east-1:111122223333:orders"
  const RequestFacts* facts = nullptr;
};

// The outcome of one document for one request.
struct Decision {
  bool deny = false;          // a matching Deny statement (explicit deny: always wins)
  bool allow = false;         // a matching Allow statement
  bool allow_direct = false;  // resource policies: an Allow naming the principal itself (its
                              // ARN, "*" or a service), not only its account
};

class Policy {
 public:
  struct Statement;
  Policy();
  ~Policy();
  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;

  Decision Evaluate(const EvalRequest& request) const;
  std::size_t statement_count() const;
  // Principal entries over all statements ("*" counts one) and condition entries (one per
  // operator and key) over all statements: SQS limits a queue policy to 50 and 10.
  std::size_t principal_count() const;
  std::size_t condition_count() const;

 private:
  friend Result<Policy> ParsePolicy(std::string_view json, PolicyKind kind);
  std::vector<Statement> statements_;
};

// Parses and validates a policy document. kInvalidParameterValue with a reason on any error
// (malformed JSON, missing Effect/Action/Principal, unknown keys or condition operators, ...);
// callers rewrap it in the error their API uses (SQS: InvalidAttributeValue).
Result<Policy> ParsePolicy(std::string_view json, PolicyKind kind);

// Glob match with '*' (any run) and '?' (one character).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace sluice::auth
