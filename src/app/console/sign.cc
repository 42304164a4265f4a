#include "app/console/sign.h"

#include <fmt/format.h>

#include <string>

#include "auth/sigv4.h"
#include "common/encoding.h"

namespace sluice::app::console {

void SignRequest(net::HttpRequest& req, const Credentials& credentials, std::string_view region,
                 std::string_view service, std::int64_t now_seconds) {
  if (req.Header("Host") == nullptr) req.headers.emplace_back("Host", "localhost");
  const std::string amz_date = auth::FormatAmzDate(now_seconds);
  req.headers.emplace_back("X-Amz-Date", amz_date);
  std::string signed_headers;
  if (req.Header("Content-Type") != nullptr) signed_headers += "content-type;";
  signed_headers += "host;x-amz-date";
  if (req.Header("X-Amz-Target") != nullptr) signed_headers += ";x-amz-target";
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", date, region, service);
  const std::string payload_hash =
      req.body.empty() ? std::string(auth::kEmptySha256) : Sha256Hex(req.body);
  const std::string creq = auth::CanonicalRequest(
      req.method, auth::CanonicalUri(req.Path()), auth::CanonicalQueryString(req.Query()),
      auth::CanonicalHeaders(req.headers, signed_headers), signed_headers, payload_hash);
  const auth::Digest key =
      auth::DeriveSigningKey(credentials.secret_access_key, date, region, service);
  const std::string signature = auth::SignatureHex(key, auth::StringToSign(amz_date, scope, creq));
  req.headers.emplace_back(
      "Authorization",
      fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", auth::kAlgorithm,
                  credentials.access_key_id, scope, signed_headers, signature));
}

}  // namespace sluice::app::console
