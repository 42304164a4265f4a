// KMS's cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys, random bytes, MACs.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include "services/kms/handlers.h"

namespace sluice::kms {
namespace {

constexpr std::string_view kSymmetric = "SYMMETRIC_DEFAULT";

// The key `member` names, authorized for `action` (cross-account allowed, as for every
// cryptographic operation) and usable by the caller: not an AWS managed key, whose policy lets
// only its service use it.
Result<Key> KeyFor(const Kms& kms, const RequestContext& ctx, std::string_view key_id,
                   std::string_view action) {
  auto key = kms.keys.Find(ScopeOf(ctx), key_id);
  if (!key.ok()) return key.status();
  if (Status st = AuthorizeKey(kms, ctx, action, *key); !st.ok()) return st;
  if (Status st = RefuseManaged(ctx, action, *key); !st.ok()) return st;
  return key;
}

// The key a ciphertext blob names, checked against an optional KeyId (IncorrectKeyException).
Result<Key> BlobKeyFor(const Kms& kms, const RequestContext& ctx, std::string_view blob,
                       std::string_view key_id, std::string_view action) {
  auto key = kms.keys.BlobKey(ScopeOf(ctx), blob);
  if (!key.ok()) return key.status();
  if (!key_id.empty()) {
    auto named = kms.keys.Find(ScopeOf(ctx), key_id);
    if (!named.ok()) return named.status();
    if (named->id != key->id || named->account != key->account) {
      return Status(KmsError::kIncorrectKey,
                    "The key ID in the request does not identify a CMK that can perform this "
                    "operation.");
    }
  }
  if (Status st = AuthorizeKey(kms, ctx, action, *key); !st.ok()) return st;
  if (Status st = RefuseManaged(ctx, action, *key); !st.ok()) return st;
  return key;
}

// Symmetric keys know one algorithm.
Status CheckAlgorithm(const Value& input, std::string_view member, const Key& key) {
  auto algorithm = input.GetString(member);
  if (!algorithm || *algorithm == kSymmetric || key.hmac()) return Status::Ok();
  return Status(
      KmsError::kInvalidKeyUsage,
      fmt::format("Algorithm {} is incompatible with key spec {}.", *algorithm, key.spec));
}

void DataKey(const Kms& kms, const RequestContext& ctx, const Value& input, const Reply& reply,
             bool with_plaintext) {
  const std::string_view op =
      with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
  const auto bytes = input.GetInt("NumberOfBytes");
  const auto spec = input.GetString("KeySpec");
  if (bytes.has_value() == spec.has_value()) {
    return reply(
        Status(ErrorCode::kValidationError, "Please specify either number of bytes or key spec."));
  }
  auto key = KeyFor(kms, ctx, StringOf(input, "KeyId"), fmt::format("kms:{}", op));
  if (!key.ok()) return reply(key.status());
  if (Status st = Keys::Usable(*key, op); !st.ok()) return reply(st);
  const std::size_t n = bytes ? static_cast<std::size_t>(*bytes) : (*spec == "AES_128" ? 16 : 32);
  const std::string plaintext = Keys::Random(n);
  auto blob = Keys::Seal(*key, plaintext, ContextOf(input, "EncryptionContext"));
  if (!blob.ok()) return reply(blob.status());
  Value out = Value::Struct();
  out.Set("CiphertextBlob", Value::Blob(std::move(*blob)));
  if (with_plaintext) out.Set("Plaintext", Value::Blob(plaintext));
  out.Set("KeyId", Value::String(key->Arn()));
  reply(std::move(out));
}

}  // namespace

void Encrypt(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = KeyFor(kms, ctx, StringOf(input, "KeyId"), "kms:Encrypt");
  if (!key.ok()) return reply(key.status());
  if (Status st = Keys::Usable(*key, "Encrypt"); !st.ok()) return reply(st);
  if (Status st = CheckAlgorithm(input, "EncryptionAlgorithm", *key); !st.ok()) return reply(st);
  auto blob = Keys::Seal(*key, StringOf(input, "Plaintext"), ContextOf(input, "EncryptionContext"));
  if (!blob.ok()) return reply(blob.status());
  Value out = Value::Struct();
  out.Set("CiphertextBlob", Value::Blob(std::move(*blob)));
  out.Set("KeyId", Value::String(key->Arn()));
  out.Set("EncryptionAlgorithm", Value::String(std::string(kSymmetric)));
  reply(std::move(out));
}

void Decrypt(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string blob = StringOf(input, "CiphertextBlob");
  if (blob.empty()) {
    return reply(Status(ErrorCode::kValidationError,
                        "1 validation error detected: Value null at 'ciphertextBlob' failed to "
                        "satisfy constraint: Member must not be null"));
  }
  auto key = BlobKeyFor(kms, ctx, blob, StringOf(input, "KeyId"), "kms:Decrypt");
  if (!key.ok()) return reply(key.status());
  if (Status st = Keys::Usable(*key, "Decrypt"); !st.ok()) return reply(st);
  if (Status st = CheckAlgorithm(input, "EncryptionAlgorithm", *key); !st.ok()) return reply(st);
  auto plain = Keys::Open(*key, blob, ContextOf(input, "EncryptionContext"));
  if (!plain.ok()) return reply(plain.status());
  Value out = Value::Struct();
  out.Set("KeyId", Value::String(key->Arn()));
  out.Set("Plaintext", Value::Blob(std::move(*plain)));
  out.Set("EncryptionAlgorithm", Value::String(std::string(kSymmetric)));
  reply(std::move(out));
}

void ReEncrypt(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string blob = StringOf(input, "CiphertextBlob");
  auto source = BlobKeyFor(kms, ctx, blob, StringOf(input, "SourceKeyId"), "kms:ReEncryptFrom");
  if (!source.ok()) return reply(source.status());
  if (Status st = Keys::Usable(*source, "ReEncrypt"); !st.ok()) return reply(st);
  if (Status st = CheckAlgorithm(input, "SourceEncryptionAlgorithm", *source); !st.ok()) {
    return reply(st);
  }
  auto plain = Keys::Open(*source, blob, ContextOf(input, "SourceEncryptionContext"));
  if (!plain.ok()) return reply(plain.status());
  auto dest = KeyFor(kms, ctx, StringOf(input, "DestinationKeyId"), "kms:ReEncryptTo");
  if (!dest.ok()) return reply(dest.status());
  if (Status st = Keys::Usable(*dest, "ReEncrypt"); !st.ok()) return reply(st);
  if (Status st = CheckAlgorithm(input, "DestinationEncryptionAlgorithm", *dest); !st.ok()) {
    return reply(st);
  }
  auto sealed = Keys::Seal(*dest, *plain, ContextOf(input, "DestinationEncryptionContext"));
  if (!sealed.ok()) return reply(sealed.status());
  Value out = Value::Struct();
  out.Set("CiphertextBlob", Value::Blob(std::move(*sealed)));
  out.Set("SourceKeyId", Value::String(source->Arn()));
  out.Set("KeyId", Value::String(dest->Arn()));
  out.Set("SourceEncryptionAlgorithm", Value::String(std::string(kSymmetric)));
  out.Set("DestinationEncryptionAlgorithm", Value::String(std::string(kSymmetric)));
  reply(std::move(out));
}

void GenerateDataKey(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  DataKey(kms, ctx, input, reply, /*with_plaintext=*/true);
}

void GenerateDataKeyWithoutPlaintext(const Kms& kms, const RequestContext& ctx, Value&& input,
                                     Reply reply) {
  DataKey(kms, ctx, input, reply, /*with_plaintext=*/false);
}

void GenerateRandom(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = AuthorizeAccount(kms, ctx, "kms:GenerateRandom"); !st.ok()) return reply(st);
  if (input.GetString("CustomKeyStoreId")) {
    return reply(Status(ErrorCode::kInvalidParameterValue,
                        "Custom key stores are not supported by this KMS."));
  }
  const auto bytes = input.GetInt("NumberOfBytes");
  if (!bytes) return reply(Status(ErrorCode::kValidationError, "NumberOfBytes is required."));
  Value out = Value::Struct();
  out.Set("Plaintext", Value::Blob(Keys::Random(static_cast<std::size_t>(*bytes))));
  reply(std::move(out));
}

void GenerateMac(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = KeyFor(kms, ctx, StringOf(input, "KeyId"), "kms:GenerateMac");
  if (!key.ok()) return reply(key.status());
  const std::string algorithm = StringOf(input, "MacAlgorithm");
  auto mac = kms.keys.Mac(*key, algorithm, StringOf(input, "Message"), "GenerateMac");
  if (!mac.ok()) return reply(mac.status());
  Value out = Value::Struct();
  out.Set("Mac", Value::Blob(std::move(*mac)));
  out.Set("MacAlgorithm", Value::String(algorithm));
  out.Set("KeyId", Value::String(key->Arn()));
  reply(std::move(out));
}

void VerifyMac(const Kms& kms, const RequestContext& ctx, Value&& input, Reply reply) {
  auto key = KeyFor(kms, ctx, StringOf(input, "KeyId"), "kms:VerifyMac");
  if (!key.ok()) return reply(key.status());
  const std::string algorithm = StringOf(input, "MacAlgorithm");
  auto mac = kms.keys.Mac(*key, algorithm, StringOf(input, "Message"), "VerifyMac");
  if (!mac.ok()) return reply(mac.status());
  const std::string given = StringOf(input, "Mac");
  if (given.size() != mac->size() || CRYPTO_memcmp(given.data(), mac->data(), given.size()) != 0) {
    return reply(Status(KmsError::kInvalidMac, ""));
  }
  Value out = Value::Struct();
  out.Set("KeyId", Value::String(key->Arn()));
  out.Set("MacValid", Value::Bool(true));
  out.Set("MacAlgorithm", Value::String(algorithm));
  reply(std::move(out));
}

}  // namespace sluice::kms
