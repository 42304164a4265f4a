#include "services/sns/signer.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::sns {
namespace {

constexpr char kSigningKind[] = "sns.signing";
constexpr char kRecordName[] = "certificate";

Status Failed(std::string_view what) {
  return Status(ErrorCode::kInternalError, std::string("SNS signing key: ") + std::string(what));
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

struct Made {
  EVP_PKEY* key = nullptr;
  std::string key_pem;
  std::string cert_pem;
};

Result<Made> MakeKeyAndCertificate() {
  Made made;
  made.key = EVP_RSA_gen(2048);
  if (made.key == nullptr) return Failed("RSA key generation failed");
  X509* cert = X509_new();
  bool ok = cert != nullptr;
  if (ok) {
    const std::string serial = RandomBytes(8);
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()),
                           static_cast<int>(serial.size()), nullptr);
    ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
    BN_free(bn);
  }
  ok = ok && X509_set_version(cert, 2) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -86400) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 86400) != nullptr;
  ok = ok && X509_set_pubkey(cert, made.key) == 1;
  if (ok) {
    X509_NAME* name = X509_get_subject_name(cert);
    const auto add = [name](const char* field, const char* value) {
      return X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(value), -1, -1,
                                        0) == 1;
    };
    ok = add("O", "Sluice") && add("CN", "sns.amazonaws.com") && X509_set_issuer_name(cert, name);
  }
  ok = ok && X509_sign(cert, made.key, EVP_sha256()) > 0;
  if (ok) {
    BIO* bio = BIO_new(BIO_s_mem());
    ok = bio != nullptr && PEM_write_bio_X509(bio, cert) == 1;
    if (ok) made.cert_pem = BioString(bio);
    BIO_free(bio);
    bio = BIO_new(BIO_s_mem());
    ok = ok && bio != nullptr &&
         PEM_write_bio_PrivateKey(bio, made.key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (ok) made.key_pem = BioString(bio);
    BIO_free(bio);
  }
  X509_free(cert);
  if (!ok) {
    EVP_PKEY_free(made.key);
    return Failed("certificate creation failed");
  }
  return made;
}

EVP_PKEY* ReadKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

}  // namespace

struct Signer::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

Signer::Signer(std::unique_ptr<Key> key, std::string cert_pem) {
  Set(std::move(key), std::move(cert_pem));
  std::call_once(once_, [] {});
}

Signer::Signer(engine::ResourceStore* store) : store_(store) {}

void Signer::Set(std::unique_ptr<Key> key, std::string cert_pem) {
  key_ = std::move(key);
  cert_pem_ = std::move(cert_pem);
  cert_path_ = "/SimpleNotificationService-" + HexEncode(Sha256(cert_pem_)).substr(0, 32) + ".pem";
}

// The key made and stored at first use (or the one another process stored meanwhile).
void Signer::Ensure() const {
  std::call_once(once_, [this] {
    Signer& self = const_cast<Signer&>(*this);
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto loaded = Open(*store_);
      if (!loaded.ok()) {
        spdlog::error("sns: cannot load the signing key: {}", loaded.status().message());
        return;
      }
      if ((*loaded)->key_ != nullptr) {
        self.Set(std::move((*loaded)->key_), std::move((*loaded)->cert_pem_));
        return;
      }
      auto made = MakeKeyAndCertificate();
      if (!made.ok()) {
        spdlog::error("sns: cannot make the signing key: {}", made.status().message());
        return;
      }
      auto put = store_->Put(kSigningKind, engine::ResourceScope{"", ""}, kRecordName,
                             made->cert_pem, made->key_pem, 0);
      if (put.ok()) {
        auto key = std::make_unique<Key>();
        key->pkey = made->key;
        self.Set(std::move(key), std::move(made->cert_pem));
        return;
      }
      EVP_PKEY_free(made->key);
      if (put.status().code() != engine::ResourceError::kConflict) {
        spdlog::error("sns: cannot store the signing key: {}", put.status().message());
        return;
      }
      // Another process stored one first: load it.
    }
  });
}

const std::string& Signer::certificate_pem() const {
  Ensure();
  return cert_pem_;
}

const std::string& Signer::certificate_path() const {
  Ensure();
  return cert_path_;
}

Signer::~Signer() = default;

Result<std::unique_ptr<Signer>> Signer::Generate() {
  auto made = MakeKeyAndCertificate();
  if (!made.ok()) return made.status();
  auto key = std::make_unique<Key>();
  key->pkey = made->key;
  return std::unique_ptr<Signer>(new Signer(std::move(key), std::move(made->cert_pem)));
}

Result<std::unique_ptr<Signer>> Signer::Open(engine::ResourceStore& store) {
  const engine::ResourceScope global{"", ""};
  auto record = store.Get(kSigningKind, global, kRecordName);
  if (!record.ok()) return record.status();
  if (record->has_value()) {
    auto key = std::make_unique<Key>();
    key->pkey = ReadKey((*record)->secret);
    if (key->pkey == nullptr) return Failed("the stored key is unreadable");
    return std::unique_ptr<Signer>(new Signer(std::move(key), (*record)->value));
  }
  return std::unique_ptr<Signer>(new Signer(&store));  // made at first use
}

std::string Signer::Sign(std::string_view text, int version) const {
  Ensure();
  if (key_ == nullptr) return std::string();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig;
  std::size_t len = 0;
  const EVP_MD* md = version == 2 ? EVP_sha256() : EVP_sha1();
  if (ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, md, nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1) {
      sig.resize(len);
    } else {
      sig.clear();
    }
  }
  EVP_MD_CTX_free(ctx);
  return Base64Encode(sig);
}

}  // namespace sluice::sns
