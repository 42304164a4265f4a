// Internal to the SSM service: the state its handlers share and the helpers they use for
// authorization, the store, KMS, outputs and paging. Handlers (put_parameter.cc, get_actions.cc,
// describe_parameters.cc, delete_actions.cc, label_actions.cc, tag_actions.cc) decode the input
// Value, apply SSM's rules and fill the output Value; they keep no state of their own.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/platform/platform.h"
#include "services/ssm/errors.h"
#include "services/ssm/names.h"
#include "services/ssm/parameter.h"
#include "services/ssm/ssm_service.h"

namespace sluice::ssm {

using protocol::Reply;
using protocol::Value;

struct Ssm {
  services::Platform platform;
  SsmOptions options;
};

inline engine::ResourceScope ScopeOf(const RequestContext& ctx) {
  return {ctx.account_id, ctx.region};
}

// LastModifiedUser: the caller's ARN, the account root with auth "none".
std::string CallerArn(const RequestContext& ctx);
std::string StringOf(const Value& input, std::string_view name);

// ssm:<Action> on the parameter `name` (its ARN in the caller's account and region), or on "*".
Status AuthorizeParameter(const Ssm& ssm, const RequestContext& ctx, std::string_view action,
                          std::string_view name);
Status AuthorizeAccount(const Ssm& ssm, const RequestContext& ctx, std::string_view action);

// Errors every action shares. ParameterNotFound has no message on AWS.
Status NotFound();
Status VersionNotFound(std::string_view version, std::string_view name);

// The parameter `name` names (with or without its leading "/"), or nullopt.
Result<std::optional<Parameter>> LoadParameter(const Ssm& ssm, const RequestContext& ctx,
                                               std::string_view name);
// Every parameter of the caller's scope whose key starts with `key_prefix`, in key order.
Result<std::vector<Parameter>> ListParameters(const Ssm& ssm, const RequestContext& ctx,
                                              std::string_view key_prefix);
// Read-modify-write of the parameter `name` names: `change` gets it (nullopt: none) and answers
// the parameter to store, nullopt to delete it, or an error (returned as is; nothing is written).
// Retried on concurrent writes (TooManyUpdates when they never stop). Returns what was stored.
using ParameterChange = std::function<Result<std::optional<Parameter>>(std::optional<Parameter>)>;
Result<std::optional<Parameter>> UpdateParameter(const Ssm& ssm, const RequestContext& ctx,
                                                 std::string_view name,
                                                 const ParameterChange& change);

// SecureString values: sealed with the KMS key `key_id` (encryption context PARAMETER_ARN, as
// AWS), answered as base64; opened again for WithDecryption. KMS's refusals become InvalidKeyId
// (AccessDeniedException for access) with KMS's text and AWS's "(Service: AWSKMS; ...)" suffix.
Result<std::string> EncryptValue(const Ssm& ssm, const RequestContext& ctx, std::string_view key_id,
                                 std::string_view plaintext, std::string_view arn, bool advanced);
Result<std::string> DecryptValue(const Ssm& ssm, const RequestContext& ctx,
                                 const ParameterVersion& version, std::string_view arn);

// The value a read answers: decrypted when asked for a SecureString, else as stored.
Result<std::string> ValueOf(const Ssm& ssm, const RequestContext& ctx, const Parameter& p,
                            const ParameterVersion& v, bool decrypt);

// Output shapes. `name`: the name the answer shows (GetParameter echoes the caller's form).
Value ParameterOutput(const RequestContext& ctx, const Parameter& p, const ParameterVersion& v,
                      std::string_view name, std::string value);
Value MetadataOutput(const RequestContext& ctx, const Parameter& p);
Value HistoryOutput(const Parameter& p, const ParameterVersion& v, std::string value);
Value TagListOutput(const std::vector<std::pair<std::string, std::string>>& tags);
Value StringListOutput(const std::vector<std::string>& items);

// Paging tokens: opaque to clients, the position after which the next page starts.
std::string PageToken(std::string_view after);
// The position of the request's NextToken ("" when absent); InvalidNextToken for one this
// service did not issue.
Result<std::string> TokenPosition(const Value& input);

// put_parameter.cc
void PutParameter(const Ssm&, const RequestContext&, Value&&, Reply);
// get_actions.cc
void GetParameter(const Ssm&, const RequestContext&, Value&&, Reply);
void GetParameters(const Ssm&, const RequestContext&, Value&&, Reply);
void GetParametersByPath(const Ssm&, const RequestContext&, Value&&, Reply);
void GetParameterHistory(const Ssm&, const RequestContext&, Value&&, Reply);
// describe_parameters.cc
void DescribeParameters(const Ssm&, const RequestContext&, Value&&, Reply);
// delete_actions.cc
void DeleteParameter(const Ssm&, const RequestContext&, Value&&, Reply);
void DeleteParameters(const Ssm&, const RequestContext&, Value&&, Reply);
// label_actions.cc
void LabelParameterVersion(const Ssm&, const RequestContext&, Value&&, Reply);
void UnlabelParameterVersion(const Ssm&, const RequestContext&, Value&&, Reply);
// tag_actions.cc
void AddTagsToResource(const Ssm&, const RequestContext&, Value&&, Reply);
void RemoveTagsFromResource(const Ssm&, const RequestContext&, Value&&, Reply);
void ListTagsForResource(const Ssm&, const RequestContext&, Value&&, Reply);

}  // namespace sluice::ssm
