// Fuzzes SigV4 verification (auth/sigv4.h, auth/auth.h): the Authorization header and presigned
// query parsers, canonicalization (URI, query, headers), the string to sign, and
// Auth::Authenticate / Authorize with configured users on fixed FakeClocks (2015-08-30T12:36:00Z,
// the AWS test suite's time, and 2024-01-15T12:00:00Z, shared/aws/sigv4.md's examples).
//
// Input: a request in a lenient text form (no HTTP parser, so any bytes reach the SigV4 code):
//   "<METHOD> <target>\n" then "<Name>:<value>\n" lines, an empty line, then the body.
// Then the same request once more with its signature replaced by the correct one for the
// configured secret, so mutated requests also reach the code after verification.
// Checks: a request whose signature is correct, whose user, token and time are valid, is accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/sigv4.h"
#include "common/clock.h"
#include "fuzz/fuzz_util.h"
#include "protocol/service.h"

using namespace sluice;
using namespace sluice::auth;

namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kTokenSecret[] = "tokensecret";
constexpr char kToken[] = "session-token";

struct Fixture {
  FakeClock clock;
  std::unique_ptr<Auth> auth;
  explicit Fixture(Millis now) : clock(now) {
    AuthConfig c;
    c.region = "*";
    UserConfig u;
    u.name = "alice";
    u.account_id = "111111111111";
    u.access_key_id = "AKIDEXAMPLE";
    u.secret_access_key = kSecret;
    u.policies = {
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"},)"
        R"({"Effect":"Deny","Action":"sqs:DeleteQueue","Resource":"*","Condition":{"Bool":)"
        R"({"aws:SecureTransport":"false"}}}]})"};
    c.users.push_back(u);
    UserConfig t;
    t.name = "root";
    t.account_id = "222222222222";
    t.access_key_id = "AKIDTOKEN";
    t.secret_access_key = kTokenSecret;
    t.session_token = kToken;
    c.users.push_back(t);
    auth = std::move(Auth::Create(c, clock)).value();
  }
};

net::HttpRequest ParseLenient(std::string_view in) {
  net::HttpRequest req;
  auto line = [&in]() {
    const std::size_t nl = in.find('\n');
    std::string_view l = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    return l;
  };
  std::string_view first = line();
  const std::size_t sp = first.find(' ');
  req.method = std::string(first.substr(0, sp));
  if (sp != std::string_view::npos) {
    std::string_view target = first.substr(sp + 1);
    if (const std::size_t sp2 = target.rfind(" HTTP/"); sp2 != std::string_view::npos) {
      target = target.substr(0, sp2);
    }
    req.target = std::string(target);
  }
  while (!in.empty()) {
    std::string_view l = line();
    if (l.empty()) break;
    const std::size_t colon = l.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : l.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.emplace_back(l.substr(0, colon), value);
  }
  req.body = std::string(in);
  req.remote_address = "127.0.0.1";
  return req;
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos)) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

bool SameSignatureFields(const SigV4Request& a, const SigV4Request& b) {
  return a.presigned == b.presigned && a.access_key_id == b.access_key_id && a.date == b.date &&
         a.region == b.region && a.service == b.service && a.signed_headers == b.signed_headers &&
         a.amz_date == b.amz_date && a.expires == b.expires && a.session_token == b.session_token;
}

// FUZZ_VERBOSE=1 prints each outcome (to check that seeds reach verification).
const bool kVerbose = std::getenv("FUZZ_VERBOSE") != nullptr;

void Authenticate(const Fixture& f, const net::HttpRequest& req, std::string_view service) {
  RequestContext ctx;
  ctx.source_ip = req.remote_address;
  const Status s = f.auth->Authenticate(req, service, ctx);
  if (kVerbose) {
    std::fprintf(stderr, "now=%lld: %s\n", static_cast<long long>(f.clock.NowMs() / 1000),
                 s.ok() ? "authenticated" : s.message().c_str());
  }
  if (!s.ok()) {
    FUZZ_CHECK(!ctx.authenticated);
    return;
  }
  FUZZ_CHECK(ctx.authenticated && !ctx.account_id.empty() && !ctx.principal_arn.empty());
  const Resource res{"arn:aws:sqs:us-east-1:111111111111:q1", "111111111111", "", true};
  (void)f.auth->Authorize(ctx, "sqs:SendMessage", res);
  (void)f.auth->Authorize(ctx, "sqs:DeleteQueue", res);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture k2015(1440938160000);
  static const Fixture k2024(1705320000000);
  const net::HttpRequest req = ParseLenient(fuzz::AsText(data, size));

  // The pure building blocks on whatever the request holds.
  (void)CanonicalUri(req.Path(), true);
  (void)CanonicalUri(req.Path(), false);
  (void)CanonicalQueryString(req.Query(), "X-Amz-Signature");

  auto sig = ParseSigV4(req);
  const std::string_view service = sig.ok() ? std::string_view(sig->service) : "sqs";
  Authenticate(k2015, req, service);
  Authenticate(k2024, req, service);
  if (!sig.ok()) {
    FUZZ_CHECK(!sig.status().message().empty());
    return 0;
  }
  (void)CheckTime(*sig, 1440938160);
  (void)FormatAmzDate(sig->timestamp);
  auto sts = BuildStringToSign(req, *sig);
  if (!sts.ok() || sig->signature.size() < 8) return 0;

  // Sign it correctly for the user its credential names (or AKIDEXAMPLE's secret).
  const bool token_user = sig->access_key_id == "AKIDTOKEN";
  const std::string expected = SignatureHex(
      DeriveSigningKey(token_user ? kTokenSecret : kSecret, sig->date, sig->region, sig->service),
      *sts);
  net::HttpRequest fixed = req;
  ReplaceAll(fixed.target, sig->signature, expected);
  for (auto& [name, value] : fixed.headers) ReplaceAll(value, sig->signature, expected);
  auto sig2 = ParseSigV4(fixed);
  if (!sig2.ok() || sig2->signature != expected || !SameSignatureFields(*sig, *sig2)) return 0;
  auto sts2 = BuildStringToSign(fixed, *sig2);
  if (!sts2.ok() || *sts2 != *sts) return 0;  // the signature text was also part of what is signed
  for (const Fixture* f : {&k2015, &k2024}) {
    RequestContext ctx;
    const Status s = f->auth->Authenticate(fixed, sig2->service, ctx);
    const bool known =
        sig2->access_key_id == "AKIDEXAMPLE" || (token_user && sig2->session_token == kToken);
    const bool token_ok = token_user || sig2->session_token.empty();
    const bool in_time = CheckTime(*sig2, f->clock.NowMs() / 1000).ok();
    if (known && token_ok && in_time) {
      if (!s.ok()) std::fprintf(stderr, "rejected: %s\n", s.message().c_str());
      FUZZ_CHECK(s.ok());
    }
    if (s.ok()) FUZZ_CHECK(ctx.authenticated && known && in_time);
  }
  return 0;
}
