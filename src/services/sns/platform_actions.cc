// Platform applications and endpoints (mobile push), SMS and phone numbers: stored and answered
// as AWS answers them, though nothing is ever delivered to a phone or a device (docs/sns.md).
// Records: kind "sns.application" by "<platform>/<name>", "sns.endpoint" by
// "<platform>/<name>/<id>", "sns.sms" (the account's SMS attributes, "attributes"; sandbox phone
// numbers by number).
#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/ids.h"
#include "services/sns/arn.h"
#include "services/sns/handlers.h"

namespace sluice::sns {
namespace {

constexpr char kApplicationKind[] = "sns.application";
constexpr char kEndpointKind[] = "sns.endpoint";
constexpr char kSmsKind[] = "sns.sms";
constexpr char kSmsAttributes[] = "attributes";
constexpr std::size_t kPageSize = 100;

constexpr std::string_view kPlatforms[] = {
    "ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "BAIDU", "GCM", "MPNS", "WNS"};

std::string EncodeMap(const std::map<std::string, std::string>& map) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [k, v] : map) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return buf.GetString();
}

std::map<std::string, std::string> DecodeMap(const std::string& json) {
  std::map<std::string, std::string> out;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return out;
  for (const auto& m : d.GetObject()) {
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  }
  return out;
}

bool IsPhoneNumber(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return s.size() >= 8 && s.size() <= 15 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "arn:aws:sns:<region>:<account>:app/<platform>/<name>" -> scope and "<platform>/<name>".
struct ResourceName {
  engine::ResourceScope scope;
  std::string name;
};
std::optional<ResourceName> ParsePlatformArn(const RequestContext& ctx, std::string_view arn,
                                             std::string_view prefix) {
  auto parts = ParseArn(arn);
  if (!parts || parts->service != "sns" || parts->region != ctx.region ||
      parts->resource.rfind(prefix, 0) != 0) {
    return std::nullopt;
  }
  return ResourceName{{parts->account, parts->region}, parts->resource.substr(prefix.size())};
}

std::string ArnOf(const engine::ResourceScope& scope, std::string_view kind_prefix,
                  std::string_view name) {
  return fmt::format("arn:aws:sns:{}:{}:{}{}", scope.region, scope.account, kind_prefix, name);
}

Result<std::map<std::string, std::string>> LoadAttributes(const Sns& sns, std::string_view kind,
                                                          const ResourceName& r,
                                                          const Status& missing) {
  auto record = sns.platform.resources->Get(kind, r.scope, r.name);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return missing;
  return DecodeMap((*record)->value);
}

Status StoreAttributes(const Sns& sns, std::string_view kind, const ResourceName& r,
                       const std::map<std::string, std::string>& attributes) {
  return sns.platform.resources
      ->Put(kind, r.scope, r.name, EncodeMap(attributes), {}, engine::kAnyVersion)
      .status();
}

Status ApplicationMissing() {
  return Status(SnsError::kNotFound, "PlatformApplication does not exist");
}
Status EndpointMissing() { return Status(SnsError::kNotFound, "Endpoint does not exist"); }

Result<ResourceName> ApplicationOf(const RequestContext& ctx, const Value& input) {
  auto r = ParsePlatformArn(ctx, StringOf(input, "PlatformApplicationArn"), "app/");
  if (!r)
    return InvalidParameter(
        "PlatformApplicationArn Reason: Wrong number of slashes in relative portion of the ARN.");
  return *r;
}

Result<ResourceName> EndpointOf(const RequestContext& ctx, const Value& input) {
  auto r = ParsePlatformArn(ctx, StringOf(input, "EndpointArn"), "endpoint/");
  if (!r)
    return InvalidParameter(
        "EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.");
  return *r;
}

// Adds the records (by name) after `after` to a page of at most `size`; the next page's token,
// or "" when this was the last.
template <typename Fn>
std::string Page(const std::vector<engine::ResourceRecord>& records, const std::string& after,
                 std::size_t size, Fn&& add) {
  std::size_t n = 0;
  std::string last;
  for (const engine::ResourceRecord& r : records) {
    if (!after.empty() && r.name <= after) continue;
    if (n == size) return PageToken(last);
    add(r);
    last = r.name;
    ++n;
  }
  return {};
}

}  // namespace

void CreatePlatformApplication(const Sns& sns, const RequestContext& ctx, Value&& input,
                               Reply reply) {
  const std::string name = StringOf(input, "Name");
  const std::string platform = StringOf(input, "Platform");
  if (name.empty() || name.size() > 256 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      })) {
    return reply(InvalidParameter(
        "Invalid parameter: Application Name must be between 1 and 256 characters long and may "
        "only contain letters, numbers, underscores, hyphens and periods"));
  }
  if (std::find(std::begin(kPlatforms), std::end(kPlatforms), platform) == std::end(kPlatforms)) {
    return reply(InvalidParameter("Platform Reason: Platform must be one of the supported values"));
  }
  std::map<std::string, std::string> attributes = StringMapOf(input, "Attributes");
  if (attributes["PlatformCredential"].empty()) {
    return reply(InvalidParameter("Attributes Reason: PlatformCredential attribute required."));
  }
  const ResourceName r{ScopeOf(ctx), platform + "/" + name};
  const std::string arn = ArnOf(r.scope, "app/", r.name);
  if (Status st = AuthorizeAccount(sns, ctx, "sns:CreatePlatformApplication", arn); !st.ok()) {
    return reply(st);
  }
  attributes.try_emplace("Enabled", "true");
  if (Status st = StoreAttributes(sns, kApplicationKind, r, attributes); !st.ok()) {
    return reply(st);
  }
  Value out = Value::Struct();
  out.Set("PlatformApplicationArn", Value::String(arn));
  reply(std::move(out));
}

void DeletePlatformApplication(const Sns& sns, const RequestContext& ctx, Value&& input,
                               Reply reply) {
  auto r = ApplicationOf(ctx, input);
  if (!r.ok()) return reply(r.status());
  engine::ResourceStore::ListOptions options;
  const std::string prefix = r->name + "/";
  options.prefix = prefix;
  auto endpoints = sns.platform.resources->List(kEndpointKind, r->scope, options);
  if (!endpoints.ok()) return reply(endpoints.status());
  for (const engine::ResourceRecord& e : *endpoints) {
    (void)sns.platform.resources->Delete(kEndpointKind, r->scope, e.name, engine::kAnyVersion);
  }
  Status st =
      sns.platform.resources->Delete(kApplicationKind, r->scope, r->name, engine::kAnyVersion);
  if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
  reply(Value::Struct());
}

void ListPlatformApplications(const Sns& sns, const RequestContext& ctx, Value&& input,
                              Reply reply) {
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  auto records = sns.platform.resources->List(kApplicationKind, ScopeOf(ctx), {});
  if (!records.ok()) return reply(records.status());
  Value list = Value::List();
  const std::string next =
      Page(*records, *after, kPageSize, [&](const engine::ResourceRecord& rec) {
        std::map<std::string, std::string> attributes = DecodeMap(rec.value);
        attributes.erase("PlatformCredential");
        Value item = Value::Struct();
        item.Set("PlatformApplicationArn", Value::String(ArnOf(ScopeOf(ctx), "app/", rec.name)));
        item.Set("Attributes", StringMapValue(attributes));
        list.Append(std::move(item));
      });
  Value out = Value::Struct();
  out.Set("PlatformApplications", std::move(list));
  if (!next.empty()) out.Set("NextToken", Value::String(next));
  reply(std::move(out));
}

void GetPlatformApplicationAttributes(const Sns& sns, const RequestContext& ctx, Value&& input,
                                      Reply reply) {
  auto r = ApplicationOf(ctx, input);
  if (!r.ok()) return reply(r.status());
  auto attributes = LoadAttributes(sns, kApplicationKind, *r, ApplicationMissing());
  if (!attributes.ok()) return reply(attributes.status());
  attributes->erase("PlatformCredential");
  Value out = Value::Struct();
  out.Set("Attributes", StringMapValue(*attributes));
  reply(std::move(out));
}

void SetPlatformApplicationAttributes(const Sns& sns, const RequestContext& ctx, Value&& input,
                                      Reply reply) {
  auto r = ApplicationOf(ctx, input);
  if (!r.ok()) return reply(r.status());
  auto attributes = LoadAttributes(sns, kApplicationKind, *r, ApplicationMissing());
  if (!attributes.ok()) return reply(attributes.status());
  for (auto& [k, v] : StringMapOf(input, "Attributes")) (*attributes)[k] = v;
  ReplyStatus(reply, StoreAttributes(sns, kApplicationKind, *r, *attributes));
}

void CreatePlatformEndpoint(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto app = ApplicationOf(ctx, input);
  if (!app.ok()) return reply(app.status());
  auto app_attributes = LoadAttributes(sns, kApplicationKind, *app, ApplicationMissing());
  if (!app_attributes.ok()) return reply(app_attributes.status());
  const std::string token = StringOf(input, "Token");
  if (token.empty()) return reply(InvalidParameter("Token Reason: cannot be empty"));
  std::map<std::string, std::string> attributes = StringMapOf(input, "Attributes");
  attributes["Token"] = token;
  attributes.try_emplace("Enabled", "true");
  if (auto data = input.GetString("CustomUserData")) attributes["CustomUserData"] = *data;
  // Idempotent by token: the same token answers the endpoint it already has.
  engine::ResourceStore::ListOptions options;
  const std::string prefix = app->name + "/";
  options.prefix = prefix;
  auto existing = sns.platform.resources->List(kEndpointKind, app->scope, options);
  if (!existing.ok()) return reply(existing.status());
  for (const engine::ResourceRecord& e : *existing) {
    std::map<std::string, std::string> current = DecodeMap(e.value);
    if (current["Token"] != token) continue;
    for (const auto& [k, v] : attributes) {
      if (current[k] != v) {
        return reply(InvalidParameter(fmt::format(
            "Token Reason: Endpoint {} already exists with the same Token, but different "
            "attributes.",
            ArnOf(app->scope, "endpoint/", e.name))));
      }
    }
    Value out = Value::Struct();
    out.Set("EndpointArn", Value::String(ArnOf(app->scope, "endpoint/", e.name)));
    return reply(std::move(out));
  }
  const ResourceName r{app->scope, app->name + "/" + NewUuid()};
  if (Status st = StoreAttributes(sns, kEndpointKind, r, attributes); !st.ok()) return reply(st);
  Value out = Value::Struct();
  out.Set("EndpointArn", Value::String(ArnOf(r.scope, "endpoint/", r.name)));
  reply(std::move(out));
}

void DeleteEndpoint(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto r = EndpointOf(ctx, input);
  if (!r.ok()) return reply(r.status());
  Status st = sns.platform.resources->Delete(kEndpointKind, r->scope, r->name, engine::kAnyVersion);
  if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
  reply(Value::Struct());
}

void ListEndpointsByPlatformApplication(const Sns& sns, const RequestContext& ctx, Value&& input,
                                        Reply reply) {
  auto app = ApplicationOf(ctx, input);
  if (!app.ok()) return reply(app.status());
  auto app_attributes = LoadAttributes(sns, kApplicationKind, *app, ApplicationMissing());
  if (!app_attributes.ok()) return reply(app_attributes.status());
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  engine::ResourceStore::ListOptions options;
  const std::string prefix = app->name + "/";
  options.prefix = prefix;
  auto records = sns.platform.resources->List(kEndpointKind, app->scope, options);
  if (!records.ok()) return reply(records.status());
  Value list = Value::List();
  const std::string next =
      Page(*records, *after, kPageSize, [&](const engine::ResourceRecord& rec) {
        Value item = Value::Struct();
        item.Set("EndpointArn", Value::String(ArnOf(app->scope, "endpoint/", rec.name)));
        item.Set("Attributes", StringMapValue(DecodeMap(rec.value)));
        list.Append(std::move(item));
      });
  Value out = Value::Struct();
  out.Set("Endpoints", std::move(list));
  if (!next.empty()) out.Set("NextToken", Value::String(next));
  reply(std::move(out));
}

void GetEndpointAttributes(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto r = EndpointOf(ctx, input);
  if (!r.ok()) return reply(r.status());
  auto attributes = LoadAttributes(sns, kEndpointKind, *r, EndpointMissing());
  if (!attributes.ok()) return reply(attributes.status());
  Value out = Value::Struct();
  out.Set("Attributes", StringMapValue(*attributes));
  reply(std::move(out));
}

void SetEndpointAttributes(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto r = EndpointOf(ctx, input);
  if (!r.ok()) return reply(r.status());
  auto attributes = LoadAttributes(sns, kEndpointKind, *r, EndpointMissing());
  if (!attributes.ok()) return reply(attributes.status());
  for (auto& [k, v] : StringMapOf(input, "Attributes")) (*attributes)[k] = v;
  ReplyStatus(reply, StoreAttributes(sns, kEndpointKind, *r, *attributes));
}

// Publish to a platform endpoint (TargetArn): the endpoint must exist and be enabled; nothing is
// delivered.
Status PublishToEndpoint(const Sns& sns, const RequestContext& ctx, std::string_view arn) {
  auto r = ParsePlatformArn(ctx, arn, "endpoint/");
  if (!r) return InvalidParameter("TargetArn");
  auto attributes = LoadAttributes(sns, kEndpointKind, *r, EndpointMissing());
  if (!attributes.ok()) return attributes.status();
  if ((*attributes)["Enabled"] == "false") {
    return Status(SnsError::kEndpointDisabled, "Endpoint is disabled");
  }
  return AuthorizeAccount(sns, ctx, "sns:Publish", arn);
}

void CheckIfPhoneNumberIsOptedOut(const Sns&, const RequestContext&, Value&& input, Reply reply) {
  if (!IsPhoneNumber(StringOf(input, "phoneNumber"))) {
    return reply(InvalidParameter("PhoneNumber"));
  }
  Value out = Value::Struct();
  out.Set("isOptedOut", Value::Bool(false));
  reply(std::move(out));
}

void ListPhoneNumbersOptedOut(const Sns&, const RequestContext&, Value&&, Reply reply) {
  Value out = Value::Struct();
  out.Set("phoneNumbers", Value::List());
  reply(std::move(out));
}

void OptInPhoneNumber(const Sns&, const RequestContext&, Value&& input, Reply reply) {
  if (!IsPhoneNumber(StringOf(input, "phoneNumber"))) {
    return reply(InvalidParameter("PhoneNumber"));
  }
  reply(Value::Struct());
}

void GetSMSAttributes(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  auto stored = sns.platform.resources->Get(kSmsKind, ScopeOf(ctx), kSmsAttributes);
  if (!stored.ok()) return reply(stored.status());
  std::map<std::string, std::string> attributes =
      stored->has_value() ? DecodeMap((*stored)->value) : std::map<std::string, std::string>{};
  std::vector<std::string> wanted;
  if (const Value* names = input.Get("attributes"); names != nullptr) {
    for (const Value& n : names->items()) {
      if (n.is_string()) wanted.push_back(n.as_string());
    }
  }
  if (!wanted.empty()) {
    std::erase_if(attributes, [&](const auto& kv) {
      return std::find(wanted.begin(), wanted.end(), kv.first) == wanted.end();
    });
  }
  Value out = Value::Struct();
  out.Set("attributes", StringMapValue(attributes));
  reply(std::move(out));
}

void SetSMSAttributes(const Sns& sns, const RequestContext& ctx, Value&& input, Reply reply) {
  static constexpr std::string_view kNames[] = {
      "MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate",
      "DefaultSenderID",   "DefaultSMSType",        "UsageReportS3Bucket"};
  const std::map<std::string, std::string> given = StringMapOf(input, "attributes");
  for (const auto& [k, v] : given) {
    if (std::find(std::begin(kNames), std::end(kNames), k) == std::end(kNames)) {
      return reply(InvalidParameter(fmt::format("{} is not a valid attribute", k)));
    }
    if (k == "DefaultSMSType" && v != "Promotional" && v != "Transactional") {
      return reply(InvalidParameter("DefaultSMSType Reason: Must be Promotional or Transactional"));
    }
  }
  auto updated = sns.platform.resources->Update(
      kSmsKind, ScopeOf(ctx), kSmsAttributes,
      [&](const std::optional<engine::ResourceRecord>& current)
          -> Result<std::optional<engine::ResourceRecord>> {
        std::map<std::string, std::string> attributes =
            current ? DecodeMap(current->value) : std::map<std::string, std::string>{};
        for (const auto& [k, v] : given) attributes[k] = v;
        engine::ResourceRecord r;
        r.value = EncodeMap(attributes);
        return std::optional<engine::ResourceRecord>(std::move(r));
      });
  ReplyStatus(reply, updated.status());
}

void GetSMSSandboxAccountStatus(const Sns&, const RequestContext&, Value&&, Reply reply) {
  // Every account is in the SMS sandbox: nothing leaves this server.
  Value out = Value::Struct();
  out.Set("IsInSandbox", Value::Bool(true));
  reply(std::move(out));
}

void CreateSMSSandboxPhoneNumber(const Sns& sns, const RequestContext& ctx, Value&& input,
                                 Reply reply) {
  const std::string number = StringOf(input, "PhoneNumber");
  std::map<std::string, std::string> record = {{"Status", "Pending"}};
  auto put = sns.platform.resources->Put(kSmsKind, ScopeOf(ctx), "phone:" + number,
                                         EncodeMap(record), {}, engine::kAnyVersion);
  ReplyStatus(reply, put.status());
}

void DeleteSMSSandboxPhoneNumber(const Sns& sns, const RequestContext& ctx, Value&& input,
                                 Reply reply) {
  Status st = sns.platform.resources->Delete(
      kSmsKind, ScopeOf(ctx), "phone:" + StringOf(input, "PhoneNumber"), engine::kAnyVersion);
  if (st.code() == engine::ResourceError::kNotFound) {
    return reply(Status(SnsError::kResourceNotFound, "Phone number does not exist"));
  }
  ReplyStatus(reply, st);
}

void VerifySMSSandboxPhoneNumber(const Sns& sns, const RequestContext& ctx, Value&& input,
                                 Reply reply) {
  // No SMS carries a one-time password from here: any well-formed one verifies the number.
  const std::string key = "phone:" + StringOf(input, "PhoneNumber");
  auto stored = sns.platform.resources->Get(kSmsKind, ScopeOf(ctx), key);
  if (!stored.ok()) return reply(stored.status());
  if (!stored->has_value()) {
    return reply(Status(SnsError::kResourceNotFound, "Phone number does not exist"));
  }
  std::map<std::string, std::string> record = {{"Status", "Verified"}};
  auto put = sns.platform.resources->Put(kSmsKind, ScopeOf(ctx), key, EncodeMap(record), {},
                                         engine::kAnyVersion);
  ReplyStatus(reply, put.status());
}

void ListSMSSandboxPhoneNumbers(const Sns& sns, const RequestContext& ctx, Value&&, Reply reply) {
  engine::ResourceStore::ListOptions options;
  options.prefix = "phone:";
  auto records = sns.platform.resources->List(kSmsKind, ScopeOf(ctx), options);
  if (!records.ok()) return reply(records.status());
  Value list = Value::List();
  for (const engine::ResourceRecord& r : *records) {
    Value item = Value::Struct();
    item.Set("PhoneNumber", Value::String(r.name.substr(6)));
    item.Set("Status", Value::String(DecodeMap(r.value)["Status"]));
    list.Append(std::move(item));
  }
  Value out = Value::Struct();
  out.Set("PhoneNumbers", std::move(list));
  reply(std::move(out));
}

void ListOriginationNumbers(const Sns&, const RequestContext&, Value&&, Reply reply) {
  Value out = Value::Struct();
  out.Set("PhoneNumbers", Value::List());
  reply(std::move(out));
}

}  // namespace sluice::sns
