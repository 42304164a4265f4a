// Keys: KMS itself, as a library: the keys and aliases of every account and region (in the resource
// store), their lifecycle on the injected clock (scheduled deletion, automatic rotation), and the
// cryptography (AES-256-GCM for symmetric keys, HMAC for MAC keys; OpenSSL). The KMS handlers are
// thin wrappers over it, and other services use it directly: SQS checks a queue's KmsMasterKeyId,
// SSM encrypts SecureString parameters.
//
// Every error is a KmsError (services/kms/errors.h) with AWS's text (docs/kms.md); services that
// answer in their own codes map them (SQS: KMS.DisabledException, ...).
//
// Key identifiers, as every KeyId parameter accepts them: a key id (UUID), a key ARN, and where
// `allow_alias` an alias name ("alias/x") or alias ARN. An ARN may name another account of the
// same region (cross-account use); another region is NotFoundException "Invalid arn <region>".
//
// Ciphertext blobs: 0x01 | key id (16 bytes) | material id (BE32) | nonce (12) | ciphertext |
// tag (16), sealed with AES-256-GCM under that material; the AAD binds the key, the material and
// the encryption context. Decrypt finds the key from the blob, in the caller's account and region.
//
// Thread-safe; all state is in the store.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/request_context.h"
#include "common/status.h"
#include "engine/resource_store.h"
#include "services/kms/key.h"
#include "services/platform/platform.h"

namespace sluice::auth {
class Auth;
}  // namespace sluice::auth

namespace sluice::kms {

// EncryptionContext: key-value pairs, compared exactly (order-independent).
using Context = std::vector<std::pair<std::string, std::string>>;

struct CreateKeyRequest {
  std::string description;
  std::string usage;   // "" = by spec
  std::string spec;    // "" = SYMMETRIC_DEFAULT
  std::string policy;  // "" = the default policy
  std::vector<std::pair<std::string, std::string>> tags;
};

class Keys {
 public:
  Keys(engine::ResourceStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // ---- keys ----
  Result<Key> Create(const engine::ResourceScope& scope, const CreateKeyRequest& request);
  // The key `key_id` names (see above), once its due lifecycle work has run: a key past its
  // deletion date is deleted (with its aliases) and reported as not found; an automatic rotation
  // that came due is done. Predefined AWS aliases (alias/aws/<service>) create their AWS managed
  // key on first use, as DescribeKey does on AWS.
  Result<Key> Find(const engine::ResourceScope& scope, std::string_view key_id,
                   bool allow_alias = true);
  // Read-modify-write of the key `key_id` names (no aliases): `change` edits it or refuses with
  // its own error; the key is then stored (compare-and-set, retried). Returns it as stored.
  Result<Key> Modify(const engine::ResourceScope& scope, std::string_view key_id,
                     const std::function<Status(Key&)>& change);
  // Every key of the scope that still exists, by id.
  Result<std::vector<Key>> List(const engine::ResourceScope& scope);
  // The AWS managed key of `service` ("sqs", "sns", "ssm", ...), created with its alias
  // alias/aws/<service> on first use.
  Result<Key> ManagedKey(const engine::ResourceScope& scope, std::string_view service);

  // ---- aliases ----
  Status CreateAlias(const engine::ResourceScope& scope, std::string_view name,
                     std::string_view target_key_id);
  Status UpdateAlias(const engine::ResourceScope& scope, std::string_view name,
                     std::string_view target_key_id);
  Status DeleteAlias(const engine::ResourceScope& scope, std::string_view name);
  Result<std::vector<Alias>> ListAliases(const engine::ResourceScope& scope);

  // ---- state checks ----
  // Ok when `key` can do `op` ("Encrypt", "GenerateMac", ...): enabled, and of the usage the
  // operation needs. DisabledException / KMSInvalidStateException / InvalidKeyUsageException.
  static Status Usable(const Key& key, std::string_view op, bool mac = false);

  // ---- cryptography ----
  struct Sealed {
    std::string blob;
    Key key;
  };
  // Encrypts with the key's current material; `op` names the operation in errors.
  Result<Sealed> Encrypt(const engine::ResourceScope& scope, std::string_view key_id,
                         std::string_view plaintext, const Context& context,
                         std::string_view op = "Encrypt");
  struct Opened {
    std::string plaintext;
    Key key;
  };
  // Decrypts a blob of this KMS. `key_id` (optional) must name the blob's key
  // (IncorrectKeyException otherwise).
  Result<Opened> Decrypt(const engine::ResourceScope& scope, std::string_view blob,
                         const Context& context, std::string_view key_id = {});
  // The parts of Encrypt and Decrypt, for callers that find and authorize the key themselves.
  // Seal: with the key's current material (the key must be usable). BlobKey: the key a blob of
  // this KMS was sealed with, in `scope` (AccessDeniedException when it no longer exists,
  // InvalidCiphertextException for a blob that is not one). Open: the plaintext
  // (InvalidCiphertextException for a wrong context or altered bytes).
  static Result<std::string> Seal(const Key& key, std::string_view plaintext,
                                  const Context& context);
  Result<Key> BlobKey(const engine::ResourceScope& scope, std::string_view blob);
  static Result<std::string> Open(const Key& key, std::string_view blob, const Context& context);
  // HMAC of `message` with an HMAC key; `algorithm` must match its spec.
  Result<std::string> Mac(const Key& key, std::string_view algorithm, std::string_view message,
                          std::string_view op) const;
  static std::string Random(std::size_t bytes);

 private:
  Result<Key> Resolve(const engine::ResourceScope& scope, std::string_view key_id,
                      bool allow_alias);
  Result<Key> UpdateKey(const engine::ResourceScope& where, const std::string& id,
                        const std::function<Status(Key&)>& change);
  Result<Key> Load(const engine::ResourceScope& scope, std::string_view id);
  Result<Key> Due(const engine::ResourceScope& scope, Key key);
  Status Purge(const engine::ResourceScope& scope, const Key& key);
  Result<Key> StoreNewKey(const engine::ResourceScope& scope, Key key);

  engine::ResourceStore& store_;
  const Clock& clock_;
};

// Checks of identifiers and tags that several operations share; AWS's errors and texts.
bool IsKeyId(std::string_view id);
// KMS tag rules (CreateKey and TagResource): TagException for duplicate keys, more than 50 tags
// and the reserved "aws:" prefix.
Status CheckTags(const std::vector<std::pair<std::string, std::string>>& tags);
// The default key policy AWS writes for a key without one, as GetKeyPolicy returns it.
std::string DefaultKeyPolicy(std::string_view account);

// Authorization of `action` ("kms:Decrypt") on `key` as KMS decides it; Ok with auth "none" (auth
// null). The key policy must allow, naming the caller (enough) or its account (then an identity
// policy must allow too): an identity policy alone never grants. `via_service` ("sqs", "ssm")
// when the caller uses the key through another service: the kms:ViaService condition key is then
// "<service>.<region>.amazonaws.com", which the key policies of AWS managed keys require for
// every cryptographic use.
Status AuthorizeKeyUse(const auth::Auth* auth, const RequestContext& ctx, std::string_view action,
                       const Key& key, bool cross_account = true,
                       std::string_view via_service = {});

}  // namespace sluice::kms
