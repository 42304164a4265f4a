// AWS Signature Version 4 (AWS4-HMAC-SHA256), server side: canonicalization, key derivation and
// signing as pure functions (tested against AWS's signing test suite), and SigV4Request, the
// parsed signature of one request in either carrier (Authorization header or presigned query).
// See shared/aws/sigv4.md. Thread-safe: everything here is a pure function or a value type; the
// signing-key cache is thread_local.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "net/http.h"

namespace sluice::auth {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::int64_t kMaxSkewSeconds = 15 * 60;
inline constexpr std::int64_t kMaxPresignExpires = 604800;

using Digest = std::array<unsigned char, 32>;

// ---- pure building blocks -----------------------------------------------------------------
// Every byte except A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash) becomes %XX (upper-case hex).
std::string UriEncode(std::string_view s, bool keep_slash);
// The path as received, dot segments removed, repeated '/' collapsed, then encoded once more.
std::string CanonicalUri(std::string_view raw_path, bool normalize = true);
// Raw query -> sorted, re-encoded "k=v&..." (skips `exclude`, e.g. "X-Amz-Signature").
std::string CanonicalQueryString(std::string_view raw_query, std::string_view exclude = {});
// "name:value\n" for each name in `signed_headers` (lower-case, ';'-separated).
std::string CanonicalHeaders(const net::Headers& headers, std::string_view signed_headers);
std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
Digest DeriveSigningKey(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
// hex(HMAC-SHA256(key, string_to_sign)).
std::string SignatureHex(const Digest& signing_key, std::string_view string_to_sign);
// "20150830T123600Z" -> epoch seconds; nullopt when malformed.
std::optional<std::int64_t> ParseAmzDate(std::string_view s);
std::string FormatAmzDate(std::int64_t epoch_seconds);

// ---- one request's signature ---------------------------------------------------------------
struct SigV4Request {
  bool presigned = false;
  std::string access_key_id;
  std::string date;     // scope date yyyymmdd
  std::string region;   // scope region
  std::string service;  // scope service
  std::string signed_headers;
  std::string signature;       // 64 lower-case hex (as sent)
  std::string amz_date;        // yyyymmddThhmmssZ
  std::int64_t timestamp = 0;  // amz_date in epoch seconds
  std::int64_t expires = 0;    // presigned: X-Amz-Expires seconds
  std::string session_token;   // X-Amz-Security-Token, if any

  std::string Scope() const;  // date/region/service/aws4_request
};

// Finds and parses the signature of `req`. Errors: kMissingAuthenticationToken (none at all),
// kIncompleteSignature (malformed or missing parts). Does not check time, scope or the signature.
Result<SigV4Request> ParseSigV4(const net::HttpRequest& req);

// Checks the time rules for `now` (epoch seconds): header form within 15 minutes of the request
// time (kSignatureDoesNotMatch "Signature expired: ..."), presigned until date + expires
// (kRequestExpired) and not more than 15 minutes in the future.
Status CheckTime(const SigV4Request& sig, std::int64_t now);

// The string to sign for `req` under `sig` (canonical request per sigv4.md §2, including the
// payload hash rules: x-amz-content-sha256 UNSIGNED-PAYLOAD or a digest that must match the body).
Result<std::string> BuildStringToSign(const net::HttpRequest& req, const SigV4Request& sig);

// Verifies `sig` against `secret` in constant time, with the signing key cached per thread for
// (access key, secret, date, region, service). kSignatureDoesNotMatch on mismatch.
Status VerifySignature(const net::HttpRequest& req, const SigV4Request& sig,
                       std::string_view secret);

}  // namespace sluice::auth
