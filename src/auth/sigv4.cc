#include "auth/sigv4.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>

#include "common/clock.h"

namespace sluice::auth {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string Hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

const EVP_MD* Sha256Md() {
  // Fetched once: implicit fetches on every digest init are measurably slower in OpenSSL 3.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string Sha256HexOf(std::string_view data) {
  // One context per thread, re-initialised: no allocation per digest.
  thread_local MdCtx ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  EVP_DigestFinal_ex(ctx.get(), out, &len);
  return Hex(out, len);
}

// HMAC-SHA256 with the key's inner and outer pad states computed once: signing a message costs
// two context copies and two short digests.
class PrecomputedHmac {
 public:
  explicit PrecomputedHmac(const Digest& key) : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
    unsigned char ipad[64];
    unsigned char opad[64];
    std::memset(ipad, 0x36, sizeof ipad);
    std::memset(opad, 0x5c, sizeof opad);
    for (std::size_t i = 0; i < key.size(); ++i) {
      ipad[i] ^= key[i];
      opad[i] ^= key[i];
    }
    EVP_DigestInit_ex(inner_.get(), Sha256Md(), nullptr);
    EVP_DigestUpdate(inner_.get(), ipad, sizeof ipad);
    EVP_DigestInit_ex(outer_.get(), Sha256Md(), nullptr);
    EVP_DigestUpdate(outer_.get(), opad, sizeof opad);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
  }

  Digest Sign(std::string_view msg) const {
    thread_local MdCtx work(EVP_MD_CTX_new());
    unsigned char inner[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX_copy_ex(work.get(), inner_.get());
    EVP_DigestUpdate(work.get(), msg.data(), msg.size());
    EVP_DigestFinal_ex(work.get(), inner, &len);
    Digest out{};
    EVP_MD_CTX_copy_ex(work.get(), outer_.get());
    EVP_DigestUpdate(work.get(), inner, len);
    EVP_DigestFinal_ex(work.get(), out.data(), &len);
    return out;
  }

 private:
  MdCtx inner_;
  MdCtx outer_;
};

Digest HmacRaw(std::string_view key, std::string_view msg) {
  Digest out{};
  unsigned int len = 0;
  HMAC(Sha256Md(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out.data(), &len);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Trims and collapses runs of whitespace (incl. obsolete line folding) to one space.
void AppendFolded(std::string& out, std::string_view v) {
  bool space = false;
  bool any = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = any;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    any = true;
    out.push_back(c);
  }
}

const std::string* QueryParamRaw(std::string_view query, std::string_view name,
                                 std::string& storage) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = item.find('=');
    if (item.substr(0, eq) == name) {
      storage =
          PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
      return &storage;
    }
  }
  return nullptr;
}

// Parses "AKID/yyyymmdd/region/service/aws4_request" into `sig`.
Status ParseCredential(std::string_view cred, SigV4Request& sig) {
  std::string_view parts[5];
  std::size_t n = 0;
  while (n < 5) {
    const auto slash = cred.find('/');
    parts[n++] = cred.substr(0, slash);
    if (slash == std::string_view::npos) {
      cred = {};
      break;
    }
    cred.remove_prefix(slash + 1);
  }
  if (n != 5 || !cred.empty() || parts[0].empty() || parts[4] != "aws4_request" ||
      parts[1].size() != 8) {
    return Status(ErrorCode::kIncompleteSignature,
                  fmt::format("Credential should be scoped to a valid region, not '{}'. ",
                              n >= 3 ? parts[2] : std::string_view()));
  }
  sig.access_key_id = std::string(parts[0]);
  sig.date = std::string(parts[1]);
  sig.region = std::string(parts[2]);
  sig.service = std::string(parts[3]);
  return Status::Ok();
}

Status IncompleteAuthorization(std::string_view missing) {
  return Status(ErrorCode::kIncompleteSignature,
                fmt::format("Authorization header requires '{}' parameter. Authorization={}",
                            missing, kAlgorithm));
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 15]);
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view raw_path, bool normalize) {
  if (raw_path.empty()) return "/";
  if (!normalize) return UriEncode(raw_path, true);
  // Fast path: nothing to normalise (no "//", no dot segments).
  bool simple = raw_path.front() == '/';
  for (std::size_t i = 0; simple && i < raw_path.size(); ++i) {
    if (raw_path[i] == '/' && i + 1 < raw_path.size() &&
        (raw_path[i + 1] == '/' || raw_path[i + 1] == '.')) {
      simple = false;
    }
  }
  if (simple) return UriEncode(raw_path, true);
  std::vector<std::string_view> segs;
  std::string_view rest = raw_path;
  while (true) {
    const auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string path = "/";
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (i) path += '/';
    path += segs[i];
  }
  if (raw_path.back() == '/' && path != "/") path += '/';
  return UriEncode(path, true);
}

std::string CanonicalQueryString(std::string_view raw_query, std::string_view exclude) {
  std::vector<std::pair<std::string, std::string>> items;
  while (!raw_query.empty()) {
    const auto amp = raw_query.find('&');
    std::string_view item = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    std::string key = UriEncode(PercentDecode(item.substr(0, eq)), false);
    if (!exclude.empty() && key == exclude) continue;
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : UriEncode(PercentDecode(item.substr(eq + 1)), false);
    items.emplace_back(std::move(key), std::move(value));
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& [k, v] : items) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string CanonicalHeaders(const net::Headers& headers, std::string_view signed_headers) {
  std::string out;
  out.reserve(256);
  while (!signed_headers.empty()) {
    const auto semi = signed_headers.find(';');
    std::string_view name = signed_headers.substr(0, semi);
    signed_headers =
        semi == std::string_view::npos ? std::string_view() : signed_headers.substr(semi + 1);
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size() || strncasecmp(k.data(), name.data(), name.size()) != 0) continue;
      if (!first) out += ',';
      first = false;
      AppendFolded(out, v);
    }
    out += '\n';
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
              canonical_headers.size() + signed_headers.size() + payload_hash.size() + 8);
  out.append(method).append("\n");
  out.append(canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(canonical_headers).append("\n");
  out.append(signed_headers).append("\n");
  out.append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 70);
  out.append(kAlgorithm).append("\n");
  out.append(amz_date).append("\n");
  out.append(scope).append("\n");
  out.append(Sha256HexOf(canonical_request));
  return out;
}

Digest DeriveSigningKey(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = "AWS4";
  k += secret;
  Digest d = HmacRaw(k, date);
  OPENSSL_cleanse(k.data(), k.size());
  auto view = [](const Digest& x) {
    return std::string_view(reinterpret_cast<const char*>(x.data()), x.size());
  };
  d = HmacRaw(view(d), region);
  d = HmacRaw(view(d), service);
  return HmacRaw(view(d), "aws4_request");
}

std::string SignatureHex(const Digest& signing_key, std::string_view string_to_sign) {
  const Digest sig = PrecomputedHmac(signing_key).Sign(string_to_sign);
  return Hex(sig.data(), sig.size());
}

std::optional<std::int64_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(9, 2), mi = num(11, 2),
            se = num(13, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      se < 0 || se > 60) {
    return std::nullopt;
  }
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + se;
}

std::string FormatAmzDate(std::int64_t t) {
  std::int64_t z = t / 86400 + 719468;
  const std::int64_t secs = t % 86400;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", y + (m <= 2), m, d, secs / 3600,
                     (secs / 60) % 60, secs % 60);
}

std::string SigV4Request::Scope() const {
  std::string s;
  s.reserve(date.size() + region.size() + service.size() + 16);
  s.append(date).append("/").append(region).append("/").append(service).append("/aws4_request");
  return s;
}

Result<SigV4Request> ParseSigV4(const net::HttpRequest& req) {
  SigV4Request sig;
  const std::string* auth = req.Header("Authorization");
  const std::string_view query = req.Query();
  std::string storage;
  if (auth == nullptr) {
    const std::string* algo = QueryParamRaw(query, "X-Amz-Algorithm", storage);
    if (algo == nullptr) {
      return Status(ErrorCode::kMissingAuthenticationToken,
                    "Request is missing Authentication Token");
    }
    if (*algo != kAlgorithm) {
      return Status(ErrorCode::kIncompleteSignature,
                    fmt::format("Unsupported AWS 'algorithm': '{}'", *algo));
    }
    sig.presigned = true;
    const char* missing = nullptr;
    if (const std::string* v = QueryParamRaw(query, "X-Amz-Credential", storage)) {
      if (Status s = ParseCredential(*v, sig); !s.ok()) return s;
    } else {
      missing = "X-Amz-Credential";
    }
    if (const std::string* v = QueryParamRaw(query, "X-Amz-SignedHeaders", storage)) {
      sig.signed_headers = *v;
    } else if (!missing) {
      missing = "X-Amz-SignedHeaders";
    }
    if (const std::string* v = QueryParamRaw(query, "X-Amz-Signature", storage)) {
      sig.signature = *v;
    } else if (!missing) {
      missing = "X-Amz-Signature";
    }
    if (const std::string* v = QueryParamRaw(query, "X-Amz-Date", storage)) {
      sig.amz_date = *v;
    } else if (!missing) {
      missing = "X-Amz-Date";
    }
    if (const std::string* v = QueryParamRaw(query, "X-Amz-Expires", storage)) {
      std::int64_t e = 0;
      bool digits = !v->empty() && v->size() <= 9;
      for (char c : *v) {
        digits = digits && c >= '0' && c <= '9';
        if (!digits) break;  // long values overflowed e (fuzz/regressions/fuzz_sigv4)
        e = e * 10 + (c - '0');
      }
      if (!digits || e < 1 || e > kMaxPresignExpires) {
        return Status(ErrorCode::kIncompleteSignature,
                      "X-Amz-Expires must be a number of seconds between 1 and 604800");
      }
      sig.expires = e;
    } else if (!missing) {
      missing = "X-Amz-Expires";
    }
    if (missing) {
      return Status(ErrorCode::kIncompleteSignature,
                    fmt::format("AWS query-string parameters must include '{}'. Re-examine the "
                                "query-string parameters.",
                                missing));
    }
    if (const std::string* v = QueryParamRaw(query, "X-Amz-Security-Token", storage)) {
      sig.session_token = *v;
    }
  } else {
    std::string_view a = Trim(*auth);
    if (a.size() <= kAlgorithm.size() || a.substr(0, kAlgorithm.size()) != kAlgorithm ||
        (a[kAlgorithm.size()] != ' ' && a[kAlgorithm.size()] != '\t')) {
      return Status(ErrorCode::kIncompleteSignature,
                    fmt::format("Authorization header requires '{}' scheme.", kAlgorithm));
    }
    a.remove_prefix(kAlgorithm.size());
    bool have_cred = false, have_headers = false, have_sig = false;
    while (!a.empty()) {
      const auto comma = a.find(',');
      std::string_view part = Trim(a.substr(0, comma));
      a = comma == std::string_view::npos ? std::string_view() : a.substr(comma + 1);
      if (part.empty()) continue;
      const auto eq = part.find('=');
      if (eq == std::string_view::npos) {
        return Status(ErrorCode::kIncompleteSignature,
                      fmt::format("Authorization header requires each component to be of the "
                                  "form key=value; got '{}'.",
                                  part));
      }
      const std::string_view key = Trim(part.substr(0, eq));
      const std::string_view value = Trim(part.substr(eq + 1));
      if (key == "Credential") {
        if (Status s = ParseCredential(value, sig); !s.ok()) return s;
        have_cred = true;
      } else if (key == "SignedHeaders") {
        sig.signed_headers = std::string(value);
        have_headers = true;
      } else if (key == "Signature") {
        sig.signature = std::string(value);
        have_sig = true;
      }
    }
    if (!have_cred) return IncompleteAuthorization("Credential");
    if (!have_sig) return IncompleteAuthorization("Signature");
    if (!have_headers) return IncompleteAuthorization("SignedHeaders");
    if (const std::string* d = req.Header("X-Amz-Date")) {
      sig.amz_date = std::string(Trim(*d));
    } else {
      return Status(ErrorCode::kIncompleteSignature,
                    "Authorization header requires existence of either a 'X-Amz-Date' or a "
                    "'Date' header.");
    }
    if (const std::string* t = req.Header("X-Amz-Security-Token")) {
      sig.session_token = std::string(Trim(*t));
    }
  }
  const auto ts = ParseAmzDate(sig.amz_date);
  if (!ts) {
    return Status(ErrorCode::kIncompleteSignature,
                  fmt::format("Date must be in ISO-8601 'basic format'. Got '{}'.", sig.amz_date));
  }
  sig.timestamp = *ts;
  // "host" must be signed.
  bool host_signed = false;
  std::string_view sh = sig.signed_headers;
  while (!sh.empty()) {
    const auto semi = sh.find(';');
    if (sh.substr(0, semi) == "host") host_signed = true;
    sh = semi == std::string_view::npos ? std::string_view() : sh.substr(semi + 1);
  }
  if (!host_signed) {
    return Status(ErrorCode::kIncompleteSignature,
                  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (sig.amz_date.compare(0, 8, sig.date) != 0) {
    return Status(ErrorCode::kSignatureDoesNotMatch,
                  fmt::format("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                              "version of date from HTTP: '{}' != '{}', from '{}'.",
                              sig.date, sig.amz_date.substr(0, 8), sig.amz_date));
  }
  return sig;
}

Status CheckTime(const SigV4Request& sig, std::int64_t now) {
  if (sig.presigned) {
    if (now > sig.timestamp + sig.expires) {
      return Status(ErrorCode::kRequestExpired,
                    fmt::format("Request has expired. X-Amz-Date {} plus X-Amz-Expires {} s is "
                                "earlier than {}.",
                                sig.amz_date, sig.expires, FormatAmzDate(now)));
    }
  } else if (sig.timestamp < now - kMaxSkewSeconds) {
    return Status(
        ErrorCode::kSignatureDoesNotMatch,
        fmt::format("Signature expired: {} is now earlier than {} ({} - 15 min.)", sig.amz_date,
                    FormatAmzDate(now - kMaxSkewSeconds), FormatAmzDate(now)));
  }
  if (sig.timestamp > now + kMaxSkewSeconds) {
    return Status(
        ErrorCode::kSignatureDoesNotMatch,
        fmt::format("Signature not yet current: {} is still later than {} ({} + 15 min.)",
                    sig.amz_date, FormatAmzDate(now + kMaxSkewSeconds), FormatAmzDate(now)));
  }
  return Status::Ok();
}

Result<std::string> BuildStringToSign(const net::HttpRequest& req, const SigV4Request& sig) {
  std::string payload_hash;
  if (const std::string* h = req.Header("X-Amz-Content-Sha256")) {
    const std::string_view v = Trim(*h);
    if (v == "UNSIGNED-PAYLOAD") {
      payload_hash = std::string(v);
    } else {
      payload_hash = req.body.empty() ? std::string(kEmptySha256) : Sha256HexOf(req.body);
      if (v.size() != payload_hash.size() ||
          strncasecmp(v.data(), payload_hash.data(), v.size()) != 0) {
        return Status(ErrorCode::kSignatureDoesNotMatch,
                      "The provided 'x-amz-content-sha256' header does not match what was "
                      "computed.");
      }
      payload_hash = std::string(v);
    }
  } else {
    payload_hash = req.body.empty() ? std::string(kEmptySha256) : Sha256HexOf(req.body);
  }
  const std::string creq = CanonicalRequest(
      req.method, CanonicalUri(req.Path()),
      CanonicalQueryString(req.Query(), sig.presigned ? "X-Amz-Signature" : ""),
      CanonicalHeaders(req.headers, sig.signed_headers), sig.signed_headers, payload_hash);
  return StringToSign(sig.amz_date, sig.Scope(), creq);
}

namespace {

std::shared_ptr<const PrecomputedHmac> SigningHmac(const SigV4Request& sig,
                                                   std::string_view secret) {
  // Per thread: no locks on the request path. The secret is part of the key, so a rotated
  // secret misses. Bounded; cleared wholesale when full (keys change daily, so the set of live
  // entries is tiny).
  thread_local std::unordered_map<std::string, std::shared_ptr<const PrecomputedHmac>> cache;
  std::string key;
  key.reserve(sig.access_key_id.size() + sig.date.size() + sig.region.size() + sig.service.size() +
              secret.size() + 4);
  key.append(sig.access_key_id).append("/").append(sig.date).append("/").append(sig.region);
  key.append("/").append(sig.service).append("\n").append(secret);
  auto it = cache.find(key);
  if (it != cache.end()) {
    OPENSSL_cleanse(key.data(), key.size());
    return it->second;
  }
  if (cache.size() >= 4096) cache.clear();
  Digest k = DeriveSigningKey(secret, sig.date, sig.region, sig.service);
  auto hmac = std::make_shared<const PrecomputedHmac>(k);
  OPENSSL_cleanse(k.data(), k.size());
  cache.emplace(std::move(key), hmac);
  return hmac;
}

}  // namespace

Status VerifySignature(const net::HttpRequest& req, const SigV4Request& sig,
                       std::string_view secret) {
  auto sts = BuildStringToSign(req, sig);
  if (!sts.ok()) return sts.status();
  const Digest mac = SigningHmac(sig, secret)->Sign(*sts);
  const std::string expected = Hex(mac.data(), mac.size());
  if (sig.signature.size() != expected.size() ||
      CRYPTO_memcmp(sig.signature.data(), expected.data(), expected.size()) != 0) {
    return Status(ErrorCode::kSignatureDoesNotMatch,
                  "The request signature we calculated does not match the signature you provided. "
                  "Check your AWS Secret Access Key and signing method. Consult the service "
                  "documentation for details.");
  }
  return Status::Ok();
}

}  // namespace sluice::auth
