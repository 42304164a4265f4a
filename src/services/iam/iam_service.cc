#include "services/iam/iam_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <vector>

#include "auth/auth.h"
#include "auth/policy.h"
#include "models/iam_model.h"
#include "services/iam/errors.h"
#include "services/iam/handlers.h"

namespace sluice::iam {

Status Authorize(const Iam& iam, const RequestContext& ctx, std::string_view action,
                 const std::string& resource_arn) {
  const std::string full = fmt::format("iam:{}", action);
  auth::Resource resource;
  resource.arn = resource_arn;
  resource.account = ctx.account_id;
  return services::Authorize(iam.platform, ctx, full, resource);
}

std::string Str(const Value& input, std::string_view key) {
  return std::string(input.GetString(key).value_or(""));
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Value TagsValue(const iam::Tags& tags) {
  Value list = Value::List();
  for (const auto& [k, v] : tags) {
    Value t = Value::Struct();
    t.Set("Key", Value::String(k));
    t.Set("Value", Value::String(v));
    list.Append(std::move(t));
  }
  return list;
}

namespace {

Value Boundary(const std::string& arn) {
  Value b = Value::Struct();
  b.Set("PermissionsBoundaryType", Value::String("PermissionsBoundaryPolicy"));
  b.Set("PermissionsBoundaryArn", Value::String(arn));
  return b;
}

}  // namespace

Value UserValue(const std::string& account, const Entity& e) {
  Value v = Value::Struct();
  v.Set("Path", Value::String(e.path));
  v.Set("UserName", Value::String(e.name));
  v.Set("UserId", Value::String(e.id));
  v.Set("Arn", Value::String(EntityArn(account, e)));
  v.Set("CreateDate", Value::Int(e.create_ms));
  if (!e.boundary.empty()) v.Set("PermissionsBoundary", Boundary(e.boundary));
  if (!e.tags.empty()) v.Set("Tags", TagsValue(e.tags));
  return v;
}

Value RoleValue(const std::string& account, const Entity& e) {
  Value v = Value::Struct();
  v.Set("Path", Value::String(e.path));
  v.Set("RoleName", Value::String(e.name));
  v.Set("RoleId", Value::String(e.id));
  v.Set("Arn", Value::String(EntityArn(account, e)));
  v.Set("CreateDate", Value::Int(e.create_ms));
  v.Set("AssumeRolePolicyDocument", Value::String(UrlEncode(e.trust)));
  if (!e.description.empty()) v.Set("Description", Value::String(e.description));
  v.Set("MaxSessionDuration", Value::Int(e.max_session));
  if (!e.boundary.empty()) v.Set("PermissionsBoundary", Boundary(e.boundary));
  if (!e.tags.empty()) v.Set("Tags", TagsValue(e.tags));
  return v;
}

Value GroupValue(const std::string& account, const Entity& e) {
  Value v = Value::Struct();
  v.Set("Path", Value::String(e.path));
  v.Set("GroupName", Value::String(e.name));
  v.Set("GroupId", Value::String(e.id));
  v.Set("Arn", Value::String(EntityArn(account, e)));
  v.Set("CreateDate", Value::Int(e.create_ms));
  return v;
}

Value PolicyValue(const std::string& account, const ManagedPolicy& p, std::int64_t attachments) {
  Value v = Value::Struct();
  v.Set("PolicyName", Value::String(p.name));
  v.Set("PolicyId", Value::String(p.id));
  v.Set("Arn", Value::String(PolicyArn(account, p)));
  v.Set("Path", Value::String(p.path));
  v.Set("DefaultVersionId", Value::String(p.default_version));
  v.Set("AttachmentCount", Value::Int(attachments));
  v.Set("PermissionsBoundaryUsageCount", Value::Int(0));
  v.Set("IsAttachable", Value::Bool(true));
  if (!p.description.empty()) v.Set("Description", Value::String(p.description));
  v.Set("CreateDate", Value::Int(p.create_ms));
  v.Set("UpdateDate", Value::Int(p.update_ms));
  if (!p.tags.empty()) v.Set("Tags", TagsValue(p.tags));
  return v;
}

void Page(Value& out, const char* list_name, std::vector<Value> items, const Value& input) {
  const std::int64_t max_items = input.GetInt("MaxItems").value_or(100);
  std::size_t start = 0;
  if (auto marker = input.GetString("Marker")) {
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(marker->data(), marker->data() + marker->size(), n);
    if (ec == std::errc() && ptr == marker->data() + marker->size()) start = n;
  }
  start = std::min(start, items.size());
  const std::size_t end = std::min(items.size(), start + static_cast<std::size_t>(max_items));
  Value list = Value::List();
  for (std::size_t i = start; i < end; ++i) list.Append(std::move(items[i]));
  out.Set(list_name, std::move(list));
  out.Set("IsTruncated", Value::Bool(end < items.size()));
  if (end < items.size()) out.Set("Marker", Value::String(std::to_string(end)));
}

std::map<std::string, Entity>& Entities(Account& acct, EntityKind kind) {
  return kind == EntityKind::kUser   ? acct.users
         : kind == EntityKind::kRole ? acct.roles
                                     : acct.groups;
}

const std::map<std::string, Entity>& Entities(const Account& acct, EntityKind kind) {
  return kind == EntityKind::kUser   ? acct.users
         : kind == EntityKind::kRole ? acct.roles
                                     : acct.groups;
}

const char* KindName(EntityKind kind) {
  return kind == EntityKind::kUser ? "user" : kind == EntityKind::kRole ? "role" : "group";
}

Status NoSuch(EntityKind kind, std::string_view name) {
  return NoSuchEntity(fmt::format("The {} with name {} cannot be found.", KindName(kind), name));
}

Status CheckDocument(std::string_view document, bool trust, std::size_t limit,
                     std::string limit_message) {
  auto parsed = auth::ParsePolicy(
      document, trust ? auth::PolicyKind::kResource : auth::PolicyKind::kIdentity);
  if (!parsed.ok()) {
    const std::string& reason = parsed.status().message();
    return Status(IamError::kMalformedPolicyDocument,
                  reason.rfind("Policy is not valid JSON", 0) == 0
                      ? std::string("This policy contains invalid Json")
                      : fmt::format("Syntax errors in policy. {}", reason));
  }
  std::size_t n = 0;
  for (char c : document) n += (c == ' ' || c == '\t' || c == '\n' || c == '\r') ? 0 : 1;
  if (n > limit) return LimitExceeded(std::move(limit_message));
  return Status::Ok();
}

std::int64_t Attachments(const State& st, const std::string& account, const std::string& arn,
                         bool boundaries) {
  std::int64_t n = 0;
  auto count = [&](const Account& acct) {
    for (auto kind : {EntityKind::kUser, EntityKind::kRole, EntityKind::kGroup}) {
      for (const auto& [key, e] : Entities(acct, kind)) {
        if (std::find(e.attached.begin(), e.attached.end(), arn) != e.attached.end()) ++n;
        if (boundaries && e.boundary == arn) ++n;
      }
    }
  };
  if (auto a = st.accounts.find(account); a != st.accounts.end()) count(a->second);
  return n;
}

Status MergeTags(const Value& input, iam::Tags& tags) {
  const Value* list = input.Get("Tags");
  if (list == nullptr || !list->is_list()) return Status::Ok();
  std::vector<std::string> seen;
  for (const Value& t : list->items()) {
    const std::string key = Str(t, "Key");
    const std::string value = Str(t, "Value");
    const std::string lower = Lower(key);
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) {
      return InvalidInput(
          "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    }
    seen.push_back(lower);
    auto it = std::find_if(tags.begin(), tags.end(),
                           [&](const auto& kv) { return Lower(kv.first) == lower; });
    if (it != tags.end()) {
      it->second = value;
    } else {
      tags.emplace_back(key, value);
    }
  }
  if (tags.size() > 50) {
    return LimitExceeded("The number of tags has reached the maximum limit.");
  }
  return Status::Ok();
}

std::string CallerUserName(const RequestContext& ctx) {
  const std::string& arn = ctx.principal_arn;
  const auto colon = arn.rfind(':');
  if (!ctx.authenticated || colon == std::string::npos || arn.compare(colon + 1, 5, "user/") != 0) {
    return {};
  }
  return arn.substr(arn.rfind('/') + 1);
}

protocol::ServiceDefinition MakeIamService(const services::Platform& platform,
                                           Directory& directory) {
  auto iam = std::make_shared<Iam>();
  iam->platform = platform;
  iam->directory = &directory;
  std::vector<IamAction> actions(kUserActions, kUserActions + kUserActionCount);
  actions.insert(actions.end(), kPolicyActions, kPolicyActions + kPolicyActionCount);
  actions.insert(actions.end(), kRoleGroupActions, kRoleGroupActions + kRoleGroupActionCount);
  return services::DefineService<Iam>(platform, models::Iam(), IamErrorTable(), std::move(iam),
                                      std::span<const IamAction>(actions));
}

}  // namespace sluice::iam
