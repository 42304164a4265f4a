// Signer: the key and X.509 certificate SNS signs its deliveries with, as AWS signs them (RSA
// PKCS#1 v1.5 over SHA-1 for SignatureVersion 1, SHA-256 for 2; base64), and the certificate
// served at SigningCertURL.
//
// The key (RSA 2048) and a self-signed certificate (CN sns.amazonaws.com, ten years) are made
// when first needed (the first signature or certificate request: RSA key generation costs
// 50-500 ms, which a start or a test-mode reset must not pay) and kept in the resource store (kind
// "sns.signing", global scope: the key as the record's secret, sealed at rest when a master key is
// set), so signatures verify across restarts. The certificate's path on the API port is
// "/SimpleNotificationService-<32 hex>.pem", named by a digest of the certificate as AWS names its
// own.
//
// Thread-safe: immutable once the key is there.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/resource_store.h"

namespace sluice::sns {

class Signer {
 public:
  // Loads the key and certificate from `store`; when absent, they are created and stored at
  // first use. `store` must outlive the signer.
  static Result<std::unique_ptr<Signer>> Open(engine::ResourceStore& store);
  // A fresh key and certificate, stored nowhere (tests).
  static Result<std::unique_ptr<Signer>> Generate();
  ~Signer();

  // Base64 RSA signature of `text` (version 2: SHA-256, else SHA-1); empty when no key could be
  // made or stored (logged).
  std::string Sign(std::string_view text, int version) const;
  const std::string& certificate_pem() const;
  // "/SimpleNotificationService-<hex>.pem"
  const std::string& certificate_path() const;

 private:
  struct Key;
  Signer(std::unique_ptr<Key> key, std::string cert_pem);
  explicit Signer(engine::ResourceStore* store);
  void Set(std::unique_ptr<Key> key, std::string cert_pem);
  void Ensure() const;

  engine::ResourceStore* store_ = nullptr;  // where a key made at first use goes
  mutable std::once_flag once_;
  std::unique_ptr<Key> key_;
  std::string cert_pem_;
  std::string cert_path_;
};

}  // namespace sluice::sns
