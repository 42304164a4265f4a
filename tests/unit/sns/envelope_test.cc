// The envelope AWS builds, the string its signature covers, and the signature itself verified with
// OpenSSL against the certificate the signer serves.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <rapidjson/document.h>

#include <memory>
#include <string>

#include "common/encoding.h"
#include "services/sns/envelope.h"
#include "services/sns/signer.h"

namespace sluice::sns {
namespace {

Envelope Notification() {
  Envelope e;
  e.type = "Notification";
  e.message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324";
  e.topic_arn = "arn:aws:sns:us-west-2:123456789012:MyTopic";
  e.subject = "My First Message";
  e.message = "Hello world!";
  e.timestamp = "2012-05-02T00:54:06.655Z";
  e.signing_cert_url = "http://localhost:9324/SimpleNotificationService-x.pem";
  e.unsubscribe_url = "http://localhost:9324/?Action=Unsubscribe&SubscriptionArn=a";
  return e;
}

// Verifies `signature_b64` over `text` with the certificate's key, as the SDKs' validators do.
bool Verify(const std::string& cert_pem, const std::string& text, const std::string& signature_b64,
            int version) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(X509_get_pubkey(cert.get()),
                                                          EVP_PKEY_free);
  auto sig = Base64Decode(signature_b64);
  if (!sig) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const EVP_MD* md = version == 2 ? EVP_sha256() : EVP_sha1();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()),
                          sig->size(), reinterpret_cast<const unsigned char*>(text.data()),
                          text.size()) == 1;
}

TEST(Envelope, StringToSignOfANotification) {
  EXPECT_EQ(StringToSign(Notification()),
            "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
            "Subject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\n"
            "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n");
  Envelope e = Notification();
  e.subject.reset();
  EXPECT_EQ(StringToSign(e).find("Subject"), std::string::npos);
}

TEST(Envelope, StringToSignOfAConfirmation) {
  Envelope e = Notification();
  e.type = "SubscriptionConfirmation";
  e.token = "tok";
  e.subscribe_url = "http://h/?Action=ConfirmSubscription";
  EXPECT_EQ(StringToSign(e),
            "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
            "SubscribeURL\nhttp://h/?Action=ConfirmSubscription\nTimestamp\n"
            "2012-05-02T00:54:06.655Z\nToken\ntok\nTopicArn\n"
            "arn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n");
}

TEST(Envelope, JsonHasAwsKeysInOrderAndAttributes) {
  Envelope e = Notification();
  e.signature = "c2ln";
  e.attributes = {{"b", "Binary", std::string("\x00\x01", 2)}, {"n", "Number", "5"}};
  const std::string json = EnvelopeJson(e);
  EXPECT_NE(json.find("\n  \"Type\": \"Notification\",\n  \"MessageId\""), std::string::npos)
      << json;
  rapidjson::Document d;
  d.Parse(json.c_str());
  ASSERT_TRUE(d.IsObject());
  std::string keys;
  for (const auto& m : d.GetObject()) keys += std::string(m.name.GetString()) + ",";
  EXPECT_EQ(keys,
            "Type,MessageId,TopicArn,Subject,Message,Timestamp,SignatureVersion,Signature,"
            "SigningCertURL,UnsubscribeURL,MessageAttributes,");
  EXPECT_STREQ(d["MessageAttributes"]["b"]["Value"].GetString(), "AAE=");
  EXPECT_STREQ(d["MessageAttributes"]["n"]["Type"].GetString(), "Number");
}

TEST(Envelope, UnsignedFifoEnvelopeOmitsSignatureKeys) {
  Envelope e = Notification();
  e.sequence_number = "10000000000000000001";
  const std::string json = EnvelopeJson(e);
  EXPECT_EQ(json.find("Signature"), std::string::npos);
  EXPECT_NE(json.find("\"SequenceNumber\": \"10000000000000000001\""), std::string::npos);
}

TEST(Signer, SignaturesVerifyWithTheServedCertificate) {
  auto signer = Signer::Generate();
  ASSERT_TRUE(signer.ok()) << signer.status().message();
  const std::string text = StringToSign(Notification());
  for (int version : {1, 2}) {
    const std::string sig = (*signer)->Sign(text, version);
    EXPECT_TRUE(Verify((*signer)->certificate_pem(), text, sig, version)) << version;
    EXPECT_FALSE(Verify((*signer)->certificate_pem(), text + "x", sig, version)) << version;
    EXPECT_FALSE(Verify((*signer)->certificate_pem(), text, sig, version == 1 ? 2 : 1));
  }
  EXPECT_EQ((*signer)->certificate_path().rfind("/SimpleNotificationService-", 0), 0u);
  EXPECT_TRUE((*signer)->certificate_path().ends_with(".pem"));
}

}  // namespace
}  // namespace sluice::sns
