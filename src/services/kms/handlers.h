// Internal to the KMS service: the state its handlers share and helpers for inputs, outputs,
// authorization and paging. Handlers (key_actions.cc, crypto_actions.cc) decode the input Value,
// call Keys and fill the output Value; they keep no state of their own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "protocol/service.h"
#include "protocol/value.h"
#include "services/kms/errors.h"
#include "services/kms/keys.h"
#include "services/platform/platform.h"

namespace sluice::kms {

using protocol::Reply;
using protocol::Value;

struct Kms {
  services::Platform platform;
  Keys& keys;
};

inline engine::ResourceScope ScopeOf(const RequestContext& ctx) {
  return {ctx.account_id, ctx.region};
}

// The caller as AWS names it in AccessDenied texts (the account root with auth "none").
std::string CallerArn(const RequestContext& ctx);

// Authorization of `action` ("kms:Encrypt") on `key` (its key policy, which must allow: KMS's
// rule), or on "*" for account-level actions (identity policies only). Ok with auth "none".
Status AuthorizeKey(const Kms& kms, const RequestContext& ctx, std::string_view action,
                    const Key& key, bool cross_account = true);
Status AuthorizeAccount(const Kms& kms, const RequestContext& ctx, std::string_view action);
// AWS managed keys are AWS's: users may read them but not change or use them directly.
Status RefuseManaged(const RequestContext& ctx, std::string_view action, const Key& key);

Value KeyMetadata(const Key& key);
Value TagList(const std::vector<std::pair<std::string, std::string>>& tags);
// EncryptionContext member `name` of the input (empty when absent).
Context ContextOf(const Value& input, std::string_view name);
std::string StringOf(const Value& input, std::string_view name);

// Paging over names in order: the page after `marker` (a NextMarker this service returned) of at
// most `limit` items. InvalidMarkerException for a marker it did not issue.
struct Page {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string next_marker;  // empty: last page
};
Result<Page> PageOf(const std::vector<std::string>& names, const Value& input,
                    std::int64_t default_limit, std::int64_t max_limit);
void SetPage(Value& out, const Page& page);

// key_actions.cc
void CreateKey(const Kms&, const RequestContext&, Value&&, Reply);
void DescribeKey(const Kms&, const RequestContext&, Value&&, Reply);
void ListKeys(const Kms&, const RequestContext&, Value&&, Reply);
void EnableKey(const Kms&, const RequestContext&, Value&&, Reply);
void DisableKey(const Kms&, const RequestContext&, Value&&, Reply);
void ScheduleKeyDeletion(const Kms&, const RequestContext&, Value&&, Reply);
void CancelKeyDeletion(const Kms&, const RequestContext&, Value&&, Reply);
void EnableKeyRotation(const Kms&, const RequestContext&, Value&&, Reply);
void DisableKeyRotation(const Kms&, const RequestContext&, Value&&, Reply);
void GetKeyRotationStatus(const Kms&, const RequestContext&, Value&&, Reply);
void RotateKeyOnDemand(const Kms&, const RequestContext&, Value&&, Reply);
void ListKeyRotations(const Kms&, const RequestContext&, Value&&, Reply);
void GetKeyPolicy(const Kms&, const RequestContext&, Value&&, Reply);
void PutKeyPolicy(const Kms&, const RequestContext&, Value&&, Reply);
void ListKeyPolicies(const Kms&, const RequestContext&, Value&&, Reply);
void UpdateKeyDescription(const Kms&, const RequestContext&, Value&&, Reply);
void TagResource(const Kms&, const RequestContext&, Value&&, Reply);
void UntagResource(const Kms&, const RequestContext&, Value&&, Reply);
void ListResourceTags(const Kms&, const RequestContext&, Value&&, Reply);
void CreateAlias(const Kms&, const RequestContext&, Value&&, Reply);
void UpdateAlias(const Kms&, const RequestContext&, Value&&, Reply);
void DeleteAlias(const Kms&, const RequestContext&, Value&&, Reply);
void ListAliases(const Kms&, const RequestContext&, Value&&, Reply);

// crypto_actions.cc
void Encrypt(const Kms&, const RequestContext&, Value&&, Reply);
void Decrypt(const Kms&, const RequestContext&, Value&&, Reply);
void ReEncrypt(const Kms&, const RequestContext&, Value&&, Reply);
void GenerateDataKey(const Kms&, const RequestContext&, Value&&, Reply);
void GenerateDataKeyWithoutPlaintext(const Kms&, const RequestContext&, Value&&, Reply);
void GenerateRandom(const Kms&, const RequestContext&, Value&&, Reply);
void GenerateMac(const Kms&, const RequestContext&, Value&&, Reply);
void VerifyMac(const Kms&, const RequestContext&, Value&&, Reply);

}  // namespace sluice::kms
