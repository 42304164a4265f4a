#include "auth/policy.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "common/clock.h"

namespace sluice::auth {

namespace {

enum class Op {
  kStringEquals,
  kStringEqualsIgnoreCase,
  kStringLike,
  kArnLike,  // ArnEquals and ArnLike behave alike (both take wildcards)
  kNumericEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kIpAddress,
  kNull,
};

struct OpName {
  std::string_view name;
  Op op;
  bool negated;
};

constexpr OpName kOps[] = {
    {"StringEquals", Op::kStringEquals, false},
    {"StringNotEquals", Op::kStringEquals, true},
    {"StringEqualsIgnoreCase", Op::kStringEqualsIgnoreCase, false},
    {"StringNotEqualsIgnoreCase", Op::kStringEqualsIgnoreCase, true},
    {"StringLike", Op::kStringLike, false},
    {"StringNotLike", Op::kStringLike, true},
    {"ArnEquals", Op::kArnLike, false},
    {"ArnLike", Op::kArnLike, false},
    {"ArnNotEquals", Op::kArnLike, true},
    {"ArnNotLike", Op::kArnLike, true},
    {"NumericEquals", Op::kNumericEquals, false},
    {"NumericNotEquals", Op::kNumericEquals, true},
    {"NumericLessThan", Op::kNumericLessThan, false},
    {"NumericLessThanEquals", Op::kNumericLessThanEquals, false},
    {"NumericGreaterThan", Op::kNumericGreaterThan, false},
    {"NumericGreaterThanEquals", Op::kNumericGreaterThanEquals, false},
    {"DateEquals", Op::kDateEquals, false},
    {"DateNotEquals", Op::kDateEquals, true},
    {"DateLessThan", Op::kDateLessThan, false},
    {"DateLessThanEquals", Op::kDateLessThanEquals, false},
    {"DateGreaterThan", Op::kDateGreaterThan, false},
    {"DateGreaterThanEquals", Op::kDateGreaterThanEquals, false},
    {"Bool", Op::kBool, false},
    {"IpAddress", Op::kIpAddress, false},
    {"NotIpAddress", Op::kIpAddress, true},
    {"Null", Op::kNull, false},
};

enum class SetOp { kSingle, kAnyValue, kAllValues };

struct Cidr {
  int family = 0;  // AF_INET / AF_INET6
  std::array<unsigned char, 16> addr{};
  int prefix = 0;
};

struct Condition {
  Op op = Op::kStringEquals;
  bool negated = false;
  bool if_exists = false;
  SetOp set = SetOp::kSingle;
  std::string key;  // lower-case
  std::vector<std::string> values;
  std::vector<Cidr> cidrs;  // IpAddress
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [ptr, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// ISO 8601 ("2024-01-15", "2024-01-15T12:00:00Z", with fractions or a +hh:mm offset) or epoch
// seconds -> epoch milliseconds.
std::optional<std::int64_t> ParseDateMs(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s.find('-') == std::string_view::npos || s.size() < 10) {
    auto n = ParseNumber(s);
    // Beyond ±1e15 s the milliseconds overflow int64 (UB; fuzz/regressions/fuzz_policy).
    if (!n || std::fabs(*n) > 1e15) return std::nullopt;
    return static_cast<std::int64_t>(*n * 1000);
  }
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    if (pos + len > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || s[4] != '-' || s[7] != '-') {
    return std::nullopt;
  }
  std::int64_t ms =
      DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400000;
  if (s.size() == 10) return ms;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  const int h = num(11, 2), mi = num(14, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s.size() < 16 || s[13] != ':') return std::nullopt;
  ms += (h * 3600LL + mi * 60LL) * 1000;
  std::size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    const int se = num(pos + 1, 2);
    if (se < 0 || se > 60) return std::nullopt;
    ms += se * 1000LL;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int scale = 100;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
    }
  }
  if (pos == s.size()) return ms;
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional(ms) : std::nullopt;
  if (s[pos] == '+' || s[pos] == '-') {
    const int oh = num(pos + 1, 2);
    const int om = s.size() > pos + 3 && s[pos + 3] == ':' ? num(pos + 4, 2) : num(pos + 3, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    const std::int64_t off = (oh * 3600LL + om * 60LL) * 1000;
    return s[pos] == '+' ? ms - off : ms + off;
  }
  return std::nullopt;
}

std::optional<Cidr> ParseIp(std::string_view text, bool allow_prefix) {
  Cidr c;
  std::string ip(text);
  int prefix = -1;
  if (const auto slash = ip.find('/'); slash != std::string::npos) {
    if (!allow_prefix) return std::nullopt;
    const std::string p = ip.substr(slash + 1);
    int v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size() || p.empty()) return std::nullopt;
    prefix = v;
    ip.resize(slash);
  }
  if (inet_pton(AF_INET, ip.c_str(), c.addr.data()) == 1) {
    c.family = AF_INET;
    c.prefix = prefix < 0 ? 32 : prefix;
    if (c.prefix > 32) return std::nullopt;
    return c;
  }
  if (inet_pton(AF_INET6, ip.c_str(), c.addr.data()) == 1) {
    c.family = AF_INET6;
    c.prefix = prefix < 0 ? 128 : prefix;
    if (c.prefix > 128) return std::nullopt;
    // An IPv4-mapped address compares as IPv4.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(c.addr.data(), kMapped, 12) == 0 && c.prefix >= 96) {
      std::memmove(c.addr.data(), c.addr.data() + 12, 4);
      c.family = AF_INET;
      c.prefix -= 96;
    }
    return c;
  }
  return std::nullopt;
}

bool CidrContains(const Cidr& net, const Cidr& ip) {
  if (net.family != ip.family) return false;
  int bits = net.prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((net.addr[i] & mask) != (ip.addr[i] & mask)) return false;
  }
  return true;
}

// Context key values for `facts`; false when the key is absent from the request.
bool LookupKey(const RequestFacts& f, std::string_view key, std::string& out) {
  auto set = [&](std::string_view v) {
    if (v.empty()) return false;
    out.assign(v);
    return true;
  };
  if (key == "aws:sourceip") return set(f.source_ip);
  if (key == "aws:securetransport") return set(f.secure_transport ? "true" : "false");
  if (key == "aws:principalaccount") return set(f.principal_account);
  if (key == "aws:principalarn") return set(f.role_arn.empty() ? f.principal_arn : f.role_arn);
  if (key == "aws:userid") return set(f.user_id);
  if (key == "sts:externalid") return set(f.external_id);
  if (key == "sts:rolesessionname") return set(f.role_session_name);
  if (key == "kms:viaservice") return set(f.via_service);
  if (key == "kms:calleraccount") return set(f.principal_account);
  if (key == "aws:principaltype") {
    if (f.principal_arn.empty()) return false;
    if (!f.role_arn.empty()) return set("AssumedRole");
    const bool root = f.principal_arn.size() >= 5 &&
                      f.principal_arn.substr(f.principal_arn.size() - 5) == ":root";
    return set(root ? "Account" : "User");
  }
  if (key == "aws:principalservicename") return set(f.principal_service);
  constexpr std::string_view kTag = "aws:principaltag/";
  if (key.size() > kTag.size() && key.substr(0, kTag.size()) == kTag) {
    if (f.principal_tags == nullptr) return false;
    const std::string_view want = key.substr(kTag.size());
    for (const auto& [k, v] : *f.principal_tags) {
      if (EqualsIgnoreCase(k, want)) {
        out.assign(v);
        return true;
      }
    }
    return false;
  }
  if (key == "aws:username") return set(f.username);
  if (key == "aws:sourcearn") return set(f.source_arn);
  if (key == "aws:sourceaccount") return set(f.source_account);
  if (key == "aws:epochtime") return set(std::to_string(f.now_ms / 1000));
  if (key == "aws:currenttime") {
    // ISO 8601 UTC (whole seconds), compared as a date.
    out.clear();
    AppendIso8601(f.now_ms / 1000 * 1000, &out);
    return true;
  }
  return false;
}

// `text` with its policy variables replaced by the request's values; nullopt when one has no
// value (and no default). Text without "${" is returned as is.
std::optional<std::string> Substitute(std::string_view text, const RequestFacts& f) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("${", pos);
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    std::string_view var = text.substr(open + 2, close - open - 2);
    std::optional<std::string_view> fallback;
    if (const auto comma = var.find(','); comma != std::string_view::npos) {
      std::string_view d = var.substr(comma + 1);
      while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
      if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'')
        fallback = d.substr(1, d.size() - 2);
      var = var.substr(0, comma);
      while (!var.empty() && var.back() == ' ') var.remove_suffix(1);
    }
    if (var == "*" || var == "?" || var == "$") {
      out.append(var);
    } else {
      std::string value;
      if (LookupKey(f, Lower(var), value)) {
        out.append(value);
      } else if (fallback) {
        out.append(*fallback);
      } else {
        return std::nullopt;
      }
    }
    pos = close + 1;
  }
  return out;
}

bool HasVariable(std::string_view s) { return s.find("${") != std::string_view::npos; }

// Does request value `v` match policy value `p` (index i) under `c` (positive form)?
bool MatchOne(const Condition& c, std::string_view v, std::size_t i, const RequestFacts& f) {
  std::optional<std::string> substituted;
  if (c.op <= Op::kArnLike && HasVariable(c.values[i])) {
    substituted = Substitute(c.values[i], f);
    if (!substituted) return false;
  }
  const std::string& p = substituted ? *substituted : c.values[i];
  switch (c.op) {
    case Op::kStringEquals:
      return v == p;
    case Op::kStringEqualsIgnoreCase:
      return EqualsIgnoreCase(v, p);
    case Op::kStringLike:
    case Op::kArnLike:
      return WildcardMatch(p, v, false);
    case Op::kBool:
      return EqualsIgnoreCase(v, p);
    case Op::kNumericEquals:
    case Op::kNumericLessThan:
    case Op::kNumericLessThanEquals:
    case Op::kNumericGreaterThan:
    case Op::kNumericGreaterThanEquals: {
      auto a = ParseNumber(v);
      auto b = ParseNumber(p);
      if (!a || !b) return false;
      if (c.op == Op::kNumericEquals) return *a == *b;
      if (c.op == Op::kNumericLessThan) return *a < *b;
      if (c.op == Op::kNumericLessThanEquals) return *a <= *b;
      if (c.op == Op::kNumericGreaterThan) return *a > *b;
      return *a >= *b;
    }
    case Op::kDateEquals:
    case Op::kDateLessThan:
    case Op::kDateLessThanEquals:
    case Op::kDateGreaterThan:
    case Op::kDateGreaterThanEquals: {
      auto a = ParseDateMs(v);
      auto b = ParseDateMs(p);
      if (!a || !b) return false;
      if (c.op == Op::kDateEquals) return *a == *b;
      if (c.op == Op::kDateLessThan) return *a < *b;
      if (c.op == Op::kDateLessThanEquals) return *a <= *b;
      if (c.op == Op::kDateGreaterThan) return *a > *b;
      return *a >= *b;
    }
    case Op::kIpAddress: {
      auto ip = ParseIp(v, false);
      return ip && CidrContains(c.cidrs[i], *ip);
    }
    case Op::kNull:
      return false;
  }
  return false;
}

bool MatchAnyPolicyValue(const Condition& c, std::string_view v, const RequestFacts& f) {
  for (std::size_t i = 0; i < c.values.size(); ++i) {
    if (MatchOne(c, v, i, f)) return true;
  }
  return false;
}

bool EvalCondition(const Condition& c, const RequestFacts& facts) {
  std::string value;
  const bool present = LookupKey(facts, c.key, value);
  if (c.op == Op::kNull) {
    const bool want_absent = EqualsIgnoreCase(c.values.empty() ? "" : c.values[0], "true");
    return want_absent ? !present : present;
  }
  if (!present) {
    if (c.if_exists || c.set == SetOp::kAllValues) return true;
    if (c.set == SetOp::kAnyValue) return false;
    return c.negated;
  }
  // Every key we know is single-valued: ForAnyValue and ForAllValues reduce to one test.
  const bool matched = MatchAnyPolicyValue(c, value, facts);
  return c.negated ? !matched : matched;
}

enum class PrincipalMatch { kNone, kAccount, kDirect };

struct PrincipalSpec {
  bool any = false;
  std::vector<std::string> aws;       // normalised ARNs ("arn:aws:iam::123:root", user ARNs)
  std::vector<std::string> services;  // "sns.amazonaws.com"
};

PrincipalMatch MatchPrincipal(const PrincipalSpec& p, const RequestFacts& f) {
  if (p.any) return PrincipalMatch::kDirect;
  if (!f.principal_service.empty()) {
    for (const auto& s : p.services) {
      if (s == f.principal_service) return PrincipalMatch::kDirect;
    }
    return PrincipalMatch::kNone;
  }
  PrincipalMatch best = PrincipalMatch::kNone;
  for (const auto& a : p.aws) {
    if (a == f.principal_arn || (!f.role_arn.empty() && a == f.role_arn)) {
      return PrincipalMatch::kDirect;
    }
    // "arn:aws:iam::<account>:root" names every principal of the account.
    constexpr std::string_view kPrefix = "arn:aws:iam::";
    if (a.size() == kPrefix.size() + 12 + 5 && a.compare(0, kPrefix.size(), kPrefix) == 0 &&
        a.compare(kPrefix.size() + 12, 5, ":root") == 0 &&
        a.compare(kPrefix.size(), 12, f.principal_account) == 0) {
      best = PrincipalMatch::kAccount;
    }
  }
  return best;
}

Status Invalid(std::string reason) {
  return Status(ErrorCode::kInvalidParameterValue, std::move(reason));
}

using JsonValue = rapidjson::Value;

std::string_view Str(const JsonValue& v) { return {v.GetString(), v.GetStringLength()}; }

// A string or a non-empty array of strings.
Status StringList(const JsonValue& v, std::string_view what, std::vector<std::string>& out) {
  if (v.IsString()) {
    out.emplace_back(Str(v));
    return Status::Ok();
  }
  if (v.IsArray() && !v.Empty()) {
    for (const auto& item : v.GetArray()) {
      if (!item.IsString()) return Invalid(fmt::format("{} entries must be strings", what));
      out.emplace_back(Str(item));
    }
    return Status::Ok();
  }
  return Invalid(fmt::format("{} must be a string or a non-empty list of strings", what));
}

bool IsAccountId(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status ParsePrincipal(const JsonValue& v, PrincipalSpec& out) {
  if (v.IsString()) {
    if (Str(v) != "*") return Invalid("Principal must be \"*\" or an object");
    out.any = true;
    return Status::Ok();
  }
  if (!v.IsObject() || v.MemberCount() == 0) return Invalid("Principal must be \"*\" or an object");
  for (const auto& m : v.GetObject()) {
    const std::string_view type = Str(m.name);
    std::vector<std::string> items;
    if (Status s = StringList(m.value, "Principal", items); !s.ok()) return s;
    if (type == "AWS") {
      for (auto& a : items) {
        if (a == "*") {
          out.any = true;
        } else if (IsAccountId(a)) {
          out.aws.push_back(fmt::format("arn:aws:iam::{}:root", a));
        } else if (a.rfind("arn:aws:iam::", 0) == 0 || a.rfind("arn:aws:sts::", 0) == 0) {
          out.aws.push_back(std::move(a));
        } else {
          return Invalid(fmt::format("Invalid principal in policy: \"AWS\":\"{}\"", a));
        }
      }
    } else if (type == "Service") {
      for (auto& s : items) out.services.push_back(std::move(s));
    } else if (type == "Federated" || type == "CanonicalUser") {
      // Accepted, never matched: Sluice has no such principals.
    } else {
      return Invalid(fmt::format("Invalid principal type in policy: {}", type));
    }
  }
  return Status::Ok();
}

Status ParseConditions(const JsonValue& v, std::vector<Condition>& out) {
  if (!v.IsObject()) return Invalid("Condition must be an object");
  for (const auto& opm : v.GetObject()) {
    std::string_view name = Str(opm.name);
    Condition base;
    if (name.rfind("ForAnyValue:", 0) == 0) {
      base.set = SetOp::kAnyValue;
      name.remove_prefix(12);
    } else if (name.rfind("ForAllValues:", 0) == 0) {
      base.set = SetOp::kAllValues;
      name.remove_prefix(13);
    }
    constexpr std::string_view kIfExists = "IfExists";
    if (name.size() > kIfExists.size() &&
        name.substr(name.size() - kIfExists.size()) == kIfExists) {
      base.if_exists = true;
      name.remove_suffix(kIfExists.size());
    }
    const OpName* found = nullptr;
    for (const auto& o : kOps) {
      if (o.name == name) found = &o;
    }
    if (found == nullptr ||
        (found->op == Op::kNull && (base.if_exists || base.set != SetOp::kSingle))) {
      return Invalid(fmt::format("Invalid Condition type: {}", Str(opm.name)));
    }
    base.op = found->op;
    base.negated = found->negated;
    if (!opm.value.IsObject() || opm.value.MemberCount() == 0) {
      return Invalid(fmt::format("Condition {} must map keys to values", Str(opm.name)));
    }
    for (const auto& km : opm.value.GetObject()) {
      Condition c = base;
      c.key = Lower(Str(km.name));
      const JsonValue& vals = km.value;
      auto add = [&](const JsonValue& x) -> Status {
        if (x.IsString()) {
          c.values.emplace_back(Str(x));
        } else if (x.IsBool()) {
          c.values.emplace_back(x.GetBool() ? "true" : "false");
        } else if (x.IsInt64()) {
          c.values.emplace_back(std::to_string(x.GetInt64()));
        } else if (x.IsNumber()) {
          c.values.emplace_back(fmt::format("{}", x.GetDouble()));
        } else {
          return Invalid(fmt::format("Condition values for {} must be scalars", Str(km.name)));
        }
        return Status::Ok();
      };
      if (vals.IsArray()) {
        if (vals.Empty()) return Invalid(fmt::format("Condition {} has no values", Str(km.name)));
        for (const auto& x : vals.GetArray()) {
          if (Status s = add(x); !s.ok()) return s;
        }
      } else if (Status s = add(vals); !s.ok()) {
        return s;
      }
      for (const auto& val : c.values) {
        bool ok = true;
        if (c.op == Op::kIpAddress) {
          auto cidr = ParseIp(val, true);
          ok = cidr.has_value();
          if (ok) c.cidrs.push_back(*cidr);
        } else if (c.op >= Op::kNumericEquals && c.op <= Op::kNumericGreaterThanEquals) {
          ok = ParseNumber(val).has_value();
        } else if (c.op >= Op::kDateEquals && c.op <= Op::kDateGreaterThanEquals) {
          ok = ParseDateMs(val).has_value();
        } else if (c.op == Op::kBool || c.op == Op::kNull) {
          ok = EqualsIgnoreCase(val, "true") || EqualsIgnoreCase(val, "false");
        }
        if (!ok) {
          return Invalid(fmt::format("Invalid value {} for condition {} on {}", val, Str(opm.name),
                                     Str(km.name)));
        }
      }
      out.push_back(std::move(c));
    }
  }
  return Status::Ok();
}

Status ValidateAction(std::string_view a) {
  if (a == "*") return Status::Ok();
  const auto colon = a.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == a.size()) {
    return Invalid(fmt::format("Invalid action in policy: {}", a));
  }
  return Status::Ok();
}

Status ValidateResource(std::string_view r) {
  if (r == "*" || r.rfind("arn:", 0) == 0) return Status::Ok();
  return Invalid(fmt::format("Invalid resource in policy: {}", r));
}

}  // namespace

struct Policy::Statement {
  bool allow = true;
  bool not_action = false;
  std::vector<std::string> actions;
  bool has_resource = false;
  bool not_resource = false;
  std::vector<std::string> resources;
  bool has_principal = false;
  bool not_principal = false;
  PrincipalSpec principal;
  std::vector<Condition> conditions;
};

Policy::Policy() = default;
Policy::~Policy() = default;
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;

std::size_t Policy::statement_count() const { return statements_.size(); }

std::size_t Policy::principal_count() const {
  std::size_t n = 0;
  for (const Statement& s : statements_) {
    n += (s.principal.any ? 1 : 0) + s.principal.aws.size() + s.principal.services.size();
  }
  return n;
}

std::size_t Policy::condition_count() const {
  std::size_t n = 0;
  for (const Statement& s : statements_) n += s.conditions.size();
  return n;
}

bool WildcardMatch(std::string_view p, std::string_view t, bool ignore_case) {
  auto eq = [ignore_case](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || (p[pi] != '*' && eq(p[pi], t[ti])))) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Decision Policy::Evaluate(const EvalRequest& req) const {
  Decision d;
  const RequestFacts& facts = *req.facts;
  for (const Statement& s : statements_) {
    bool action = false;
    for (const auto& a : s.actions) {
      if (WildcardMatch(a, req.action, true)) {
        action = true;
        break;
      }
    }
    if (action == s.not_action) continue;
    if (s.has_resource) {
      bool res = false;
      for (const auto& r : s.resources) {
        if (HasVariable(r)) {
          const auto expanded = Substitute(r, facts);
          if (expanded && WildcardMatch(*expanded, req.resource, false)) {
            res = true;
            break;
          }
        } else if (WildcardMatch(r, req.resource, false)) {
          res = true;
          break;
        }
      }
      if (res == s.not_resource) continue;
    }
    PrincipalMatch pm = PrincipalMatch::kDirect;
    if (s.has_principal) {
      pm = MatchPrincipal(s.principal, facts);
      if (s.not_principal)
        pm = pm == PrincipalMatch::kNone ? PrincipalMatch::kDirect : PrincipalMatch::kNone;
      if (pm == PrincipalMatch::kNone) continue;
    }
    bool conditions = true;
    for (const Condition& c : s.conditions) {
      if (!EvalCondition(c, facts)) {
        conditions = false;
        break;
      }
    }
    if (!conditions) continue;
    if (!s.allow) {
      d.deny = true;
      return d;
    }
    d.allow = true;
    if (pm == PrincipalMatch::kDirect) d.allow_direct = true;
  }
  return d;
}

Result<Policy> ParsePolicy(std::string_view json, PolicyKind kind) {
  rapidjson::Document doc;
  // Iterative: the recursive parser overflowed the stack on deeply nested input (fuzz/README.md).
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return Invalid(fmt::format("Policy is not valid JSON: {} (offset {})",
                               rapidjson::GetParseError_En(doc.GetParseError()),
                               doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return Invalid("Policy must be a JSON object");
  Policy policy;
  const JsonValue* statements = nullptr;
  // Const iteration: clang warns that C++20 finds the non-const member iterators' != ambiguous.
  for (const auto& m : static_cast<const rapidjson::Document&>(doc).GetObject()) {
    const std::string_view key = Str(m.name);
    if (key == "Version") {
      if (!m.value.IsString() || (Str(m.value) != "2012-10-17" && Str(m.value) != "2008-10-17")) {
        return Invalid("Policy Version must be \"2012-10-17\" or \"2008-10-17\"");
      }
    } else if (key == "Id") {
      if (!m.value.IsString()) return Invalid("Policy Id must be a string");
    } else if (key == "Statement") {
      statements = &m.value;
    } else {
      return Invalid(fmt::format("Unknown field {} in policy", key));
    }
  }
  if (statements == nullptr) return Invalid("Policy is missing required element Statement");
  auto parse_statement = [&](const JsonValue& v) -> Status {
    if (!v.IsObject()) return Invalid("Statement entries must be objects");
    Policy::Statement s;
    bool has_effect = false, has_action = false;
    for (const auto& m : v.GetObject()) {
      const std::string_view key = Str(m.name);
      Status st;
      if (key == "Sid") {
        if (!m.value.IsString()) st = Invalid("Sid must be a string");
      } else if (key == "Effect") {
        if (!m.value.IsString() || (Str(m.value) != "Allow" && Str(m.value) != "Deny")) {
          st = Invalid("Effect must be \"Allow\" or \"Deny\"");
        } else {
          s.allow = Str(m.value) == "Allow";
          has_effect = true;
        }
      } else if (key == "Action" || key == "NotAction") {
        if (has_action) return Invalid("Statement has both Action and NotAction");
        has_action = true;
        s.not_action = key == "NotAction";
        st = StringList(m.value, key, s.actions);
        for (std::size_t i = 0; st.ok() && i < s.actions.size(); ++i) {
          st = ValidateAction(s.actions[i]);
        }
      } else if (key == "Resource" || key == "NotResource") {
        if (s.has_resource) return Invalid("Statement has both Resource and NotResource");
        s.has_resource = true;
        s.not_resource = key == "NotResource";
        st = StringList(m.value, key, s.resources);
        // IAM refuses a resource that is not an ARN in an identity policy; SQS stores such a
        // queue policy (a pasted template): its statement simply matches nothing.
        for (std::size_t i = 0; st.ok() && kind == PolicyKind::kIdentity && i < s.resources.size();
             ++i) {
          st = ValidateResource(s.resources[i]);
        }
      } else if (key == "Principal" || key == "NotPrincipal") {
        if (kind == PolicyKind::kIdentity) {
          return Invalid(fmt::format("Identity policies must not contain {}", key));
        }
        if (s.has_principal) return Invalid("Statement has both Principal and NotPrincipal");
        s.has_principal = true;
        s.not_principal = key == "NotPrincipal";
        st = ParsePrincipal(m.value, s.principal);
      } else if (key == "Condition") {
        st = ParseConditions(m.value, s.conditions);
      } else {
        st = Invalid(fmt::format("Unknown field {} in statement", key));
      }
      if (!st.ok()) return st;
    }
    if (!has_effect) return Invalid("Statement is missing required element Effect");
    if (!has_action) return Invalid("Statement is missing required element Action");
    if (kind == PolicyKind::kIdentity && !s.has_resource) {
      return Invalid("Statement is missing required element Resource");
    }
    if (kind == PolicyKind::kResource && !s.has_principal) {
      return Invalid("Statement is missing required element Principal");
    }
    policy.statements_.push_back(std::move(s));
    return Status::Ok();
  };
  if (statements->IsArray()) {
    for (const auto& v : statements->GetArray()) {
      if (Status s = parse_statement(v); !s.ok()) return s;
    }
  } else if (Status s = parse_statement(*statements); !s.ok()) {
    return s;
  }
  return policy;
}

}  // namespace sluice::auth
