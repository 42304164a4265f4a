// Tags of alarms (TagResource, UntagResource, ListTagsForResource) and dashboards (PutDashboard,
// GetDashboard, ListDashboards, DeleteDashboards). Dashboards are per account, not per region,
// as on AWS: stored under kind "monitoring.dashboard" in the account's scope with region
// "global", the body as given, validated as AWS validates it (dashboard.h).
#include <fmt/format.h>

#include <algorithm>

#include "engine/resource_store.h"
#include "services/monitoring/alarm.h"
#include "services/monitoring/dashboard.h"
#include "services/monitoring/errors.h"
#include "services/monitoring/handlers.h"

namespace sluice::monitoring {
namespace {

constexpr char kDashboardKind[] = "monitoring.dashboard";
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kDashboardPage = 1000;

// ---- tags ---------------------------------------------------------------------------------------

// The alarm an ARN names in the caller's account and region: arn:aws:cloudwatch:<region>:<account>:
// alarm:<name>. Another kind of resource, or another account or region: not found.
Result<std::string> AlarmOf(const RequestContext& ctx, std::string_view arn) {
  const std::string prefix =
      fmt::format("arn:aws:cloudwatch:{}:{}:alarm:", ctx.region, ctx.account_id);
  if (!arn.starts_with("arn:") || std::count(arn.begin(), arn.end(), ':') < 6) {
    return InvalidValue(fmt::format("Invalid ARN: {}", arn));
  }
  if (!arn.starts_with(prefix) || arn.size() == prefix.size()) {
    return Status(CwError::kResourceNotFoundException, "The specified resource does not exist.");
  }
  return std::string(arn.substr(prefix.size()));
}

Status AlarmMissing() {
  return Status(CwError::kResourceNotFoundException, "The specified resource does not exist.");
}

Value TagsValue(const CloudWatch::Tags& tags) {
  Value list = Value::List();
  for (const auto& [k, v] : tags) {
    Value t = Value::Struct();
    t.Set("Key", Value::String(k));
    t.Set("Value", Value::String(v));
    list.Append(std::move(t));
  }
  return list;
}

bool ReservedTagKey(std::string_view key) { return key.starts_with("aws:"); }

}  // namespace

void TagResource(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:TagResource"); !st.ok()) return reply(st);
  auto name = AlarmOf(ctx, StringOf(input, "ResourceARN"));
  if (!name.ok()) return reply(name.status());
  CloudWatch::Tags add;
  if (const Value* tags = input.Get("Tags"); tags != nullptr && tags->is_list()) {
    for (const Value& t : tags->items()) add.emplace_back(StringOf(t, "Key"), StringOf(t, "Value"));
  }
  for (const auto& [k, v] : add) {
    if (ReservedTagKey(k)) {
      return reply(
          InvalidValue(fmt::format("Invalid tag key: {}: the aws: prefix is reserved", k)));
    }
  }
  auto found = cw.cw.UpdateAlarmTags(ScopeOf(ctx), *name, [&](CloudWatch::Tags& tags) {
    for (const auto& [k, v] : add) {
      auto it = std::find_if(tags.begin(), tags.end(), [&](const auto& t) { return t.first == k; });
      if (it != tags.end()) {
        it->second = v;
      } else {
        tags.emplace_back(k, v);
      }
    }
    if (tags.size() > kMaxTags) {
      return InvalidValue(fmt::format("A resource can have at most {} tags.", kMaxTags));
    }
    return Status::Ok();
  });
  if (!found.ok()) return reply(found.status());
  if (!*found) return reply(AlarmMissing());
  reply(Value::Struct());
}

void UntagResource(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:UntagResource"); !st.ok()) return reply(st);
  auto name = AlarmOf(ctx, StringOf(input, "ResourceARN"));
  if (!name.ok()) return reply(name.status());
  const std::vector<std::string> keys = StringsOf(input.Get("TagKeys"));
  auto found = cw.cw.UpdateAlarmTags(ScopeOf(ctx), *name, [&](CloudWatch::Tags& tags) {
    std::erase_if(tags, [&](const auto& t) {
      return std::find(keys.begin(), keys.end(), t.first) != keys.end();
    });
    return Status::Ok();
  });
  if (!found.ok()) return reply(found.status());
  if (!*found) return reply(AlarmMissing());
  reply(Value::Struct());
}

void ListTagsForResource(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:ListTagsForResource"); !st.ok()) {
    return reply(st);
  }
  auto name = AlarmOf(ctx, StringOf(input, "ResourceARN"));
  if (!name.ok()) return reply(name.status());
  auto tags = cw.cw.AlarmTags(ScopeOf(ctx), *name);
  if (!tags) return reply(AlarmMissing());
  Value out = Value::Struct();
  out.Set("Tags", TagsValue(*tags));
  reply(std::move(out));
}

// ---- dashboards ---------------------------------------------------------------------------------

namespace {

engine::ResourceScope DashboardScope(const RequestContext& ctx) {
  return {ctx.account_id, "global"};
}

std::string DashboardArn(const RequestContext& ctx, std::string_view name) {
  return fmt::format("arn:aws:cloudwatch::{}:dashboard/{}", ctx.account_id, name);
}

bool IsDashboardName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// The stored record: the body and when it was put.
std::string EncodeDashboard(std::string_view body, Millis modified) {
  return fmt::format("{}\n{}", modified, body);
}

std::pair<Millis, std::string_view> DecodeDashboard(std::string_view value) {
  const std::size_t nl = value.find('\n');
  if (nl == std::string_view::npos) return {0, value};
  Millis modified = 0;
  for (char c : value.substr(0, nl)) {
    if (c >= '0' && c <= '9') modified = modified * 10 + (c - '0');
  }
  return {modified, value.substr(nl + 1)};
}

Status DashboardNotFound(std::string_view name) {
  return Status(CwError::kDashboardNotFound, fmt::format("Dashboard {} does not exist", name));
}

}  // namespace

void PutDashboard(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:PutDashboard"); !st.ok()) return reply(st);
  const std::string name = StringOf(input, "DashboardName");
  const std::string body = StringOf(input, "DashboardBody");
  if (!IsDashboardName(name)) {
    return reply(Status(CwError::kDashboardInvalidInput,
                        "The value for field DashboardName contains invalid characters. It can "
                        "only contain alphanumerics, dash (-) and underscore (_)."));
  }
  const std::vector<DashboardProblem> problems = ValidateDashboardBody(body);
  if (problems.size() == 1 && problems[0].message == DashboardNotAnObjectText()) {
    return reply(Status(CwError::kDashboardInvalidInput, std::string(DashboardNotAnObjectText())));
  }
  if (!problems.empty()) {
    return reply(Status(CwError::kDashboardInvalidInput, DashboardInvalidText(problems)));
  }
  if (cw.platform.resources == nullptr) {
    return reply(Status(ErrorCode::kInternalError, "no resource store"));
  }
  auto put = cw.platform.resources->Put(kDashboardKind, DashboardScope(ctx), name,
                                        EncodeDashboard(body, cw.cw.clock().NowMs()), "",
                                        engine::kAnyVersion);
  if (!put.ok()) return reply(put.status());
  Value out = Value::Struct();
  out.Set("DashboardValidationMessages", Value::List());
  reply(std::move(out));
}

void GetDashboard(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:GetDashboard"); !st.ok()) return reply(st);
  const std::string name = StringOf(input, "DashboardName");
  if (cw.platform.resources == nullptr) return reply(DashboardNotFound(name));
  auto record = cw.platform.resources->Get(kDashboardKind, DashboardScope(ctx), name);
  if (!record.ok()) return reply(record.status());
  if (!record->has_value()) return reply(DashboardNotFound(name));
  Value out = Value::Struct();
  out.Set("DashboardArn", Value::String(DashboardArn(ctx, name)));
  out.Set("DashboardBody", Value::String(std::string(DecodeDashboard((*record)->value).second)));
  out.Set("DashboardName", Value::String(name));
  reply(std::move(out));
}

void ListDashboards(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:ListDashboards"); !st.ok()) return reply(st);
  auto after = TokenPosition(input);
  if (!after.ok()) return reply(after.status());
  const std::string prefix = StringOf(input, "DashboardNamePrefix");
  Value entries = Value::List();
  Value out = Value::Struct();
  if (cw.platform.resources != nullptr) {
    engine::ResourceStore::ListOptions options;
    options.prefix = prefix;
    options.start_after = *after;
    options.limit = kDashboardPage + 1;
    auto records = cw.platform.resources->List(kDashboardKind, DashboardScope(ctx), options);
    if (!records.ok()) return reply(records.status());
    const std::size_t n = std::min(records->size(), kDashboardPage);
    for (std::size_t i = 0; i < n; ++i) {
      const engine::ResourceRecord& r = (*records)[i];
      const auto [modified, body] = DecodeDashboard(r.value);
      Value e = Value::Struct();
      e.Set("DashboardName", Value::String(r.name));
      e.Set("DashboardArn", Value::String(DashboardArn(ctx, r.name)));
      e.Set("LastModified", Value::Int(modified));
      e.Set("Size", Value::Int(static_cast<std::int64_t>(body.size())));
      entries.Append(std::move(e));
    }
    if (records->size() > kDashboardPage) {
      out.Set("NextToken", Value::String(PageToken((*records)[kDashboardPage - 1].name)));
    }
  }
  out.Set("DashboardEntries", std::move(entries));
  reply(std::move(out));
}

void DeleteDashboards(const Cw& cw, const RequestContext& ctx, Value&& input, Reply reply) {
  if (Status st = Authorize(cw, ctx, "cloudwatch:DeleteDashboards"); !st.ok()) return reply(st);
  const std::vector<std::string> names = StringsOf(input.Get("DashboardNames"));
  if (names.empty()) {
    return reply(Missing("The parameter DashboardNames is required."));
  }
  if (cw.platform.resources == nullptr) return reply(DashboardNotFound(names.front()));
  // All or nothing: any name that does not exist fails the call before anything is deleted.
  for (const std::string& name : names) {
    auto record = cw.platform.resources->Get(kDashboardKind, DashboardScope(ctx), name);
    if (!record.ok()) return reply(record.status());
    if (!record->has_value()) return reply(DashboardNotFound(name));
  }
  for (const std::string& name : names) {
    Status st = cw.platform.resources->Delete(kDashboardKind, DashboardScope(ctx), name,
                                              engine::kAnyVersion);
    if (!st.ok() && st.code() != engine::ResourceError::kNotFound) return reply(st);
  }
  reply(Value::Struct());
}

}  // namespace sluice::monitoring
