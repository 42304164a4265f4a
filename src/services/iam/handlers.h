// Shared state and helpers of the IAM handlers (internal to services/iam).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/iam/directory.h"
#include "services/iam/errors.h"
#include "services/platform/platform.h"

namespace sluice::iam {

using protocol::Reply;
using protocol::Value;

struct Iam {
  services::Platform platform;
  Directory* directory = nullptr;
};

using IamAction = services::Action<Iam>;

// "iam:<action>" on `resource_arn` in the caller's account (auth "sigv4"; Ok with "none").
Status Authorize(const Iam& iam, const RequestContext& ctx, std::string_view action,
                 const std::string& resource_arn);

std::string Str(const Value& input, std::string_view key);
// RFC 3986 percent-encoding (unreserved characters kept), as IAM returns policy documents.
std::string UrlEncode(std::string_view text);
Value TagsValue(const iam::Tags& tags);
Value UserValue(const std::string& account, const Entity& e);
Value RoleValue(const std::string& account, const Entity& e);
Value GroupValue(const std::string& account, const Entity& e);
Value PolicyValue(const std::string& account, const ManagedPolicy& p, std::int64_t attachments);
// Members "<list_name>" (the page), IsTruncated and Marker from Marker/MaxItems (default 100).
void Page(Value& out, const char* list_name, std::vector<Value> items, const Value& input);

// The entity map of `kind` in `acct`.
std::map<std::string, Entity>& Entities(Account& acct, EntityKind kind);
const std::map<std::string, Entity>& Entities(const Account& acct, EntityKind kind);
// NoSuchEntity "The user with name X cannot be found." and its role / group forms.
Status NoSuch(EntityKind kind, std::string_view name);
const char* KindName(EntityKind kind);  // "user", "role", "group"

// A policy document as IAM checks it: MalformedPolicyDocument for what does not parse (identity
// policies, or a trust policy with `trust`), LimitExceeded beyond `limit` characters (whitespace
// not counted) with `limit_message`.
Status CheckDocument(std::string_view document, bool trust, std::size_t limit,
                     std::string limit_message);
// How many users, roles and groups of `account` have `arn` attached (as a boundary too when
// `boundaries`).
std::int64_t Attachments(const State& st, const std::string& account, const std::string& arn,
                         bool boundaries);
// Tags from the request's "Tags" member, merged into `tags` (keys ignoring case); InvalidInput
// for duplicates, LimitExceeded beyond 50.
Status MergeTags(const Value& input, iam::Tags& tags);

// The ARN of entity `name` of `kind` in `account` (its path when it exists, else "/").
std::string ArnOf(const Iam& iam, const std::string& account, EntityKind kind,
                  const std::string& name);

// The caller's own user name (IAM users); "" for others.
std::string CallerUserName(const RequestContext& ctx);

extern const IamAction kUserActions[];
extern const std::size_t kUserActionCount;
extern const IamAction kPolicyActions[];
extern const std::size_t kPolicyActionCount;
extern const IamAction kRoleGroupActions[];
extern const std::size_t kRoleGroupActionCount;

}  // namespace sluice::iam
