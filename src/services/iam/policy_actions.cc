// Managed policies and their versions, attachments, inline policies and permissions boundaries.
#include <fmt/format.h>

#include <algorithm>

#include "services/iam/handlers.h"

namespace sluice::iam {
namespace {

constexpr std::size_t kManagedPolicySize = 6144;
constexpr std::size_t kMaxVersions = 5;
constexpr std::size_t kMaxAttached = 10;
constexpr std::size_t kMaxPolicies = 1500;

const char* NameMember(EntityKind k) {
  return k == EntityKind::kUser ? "UserName" : k == EntityKind::kRole ? "RoleName" : "GroupName";
}
const char* Capitalized(EntityKind k) {
  return k == EntityKind::kUser ? "User" : k == EntityKind::kRole ? "Role" : "Group";
}
std::size_t InlineLimit(EntityKind k) {
  return k == EntityKind::kUser ? 2048 : k == EntityKind::kRole ? 10240 : 5120;
}

Status NoSuchPolicy(std::string_view arn) {
  return NoSuchEntity(fmt::format("Policy {} was not found.", arn));
}

std::int64_t Now(const Iam& iam) { return iam.directory->clock().NowMs() / 1000 * 1000; }

// The customer managed policy `arn` of `account` in `st` (mutable); nullptr otherwise.
ManagedPolicy* LocalPolicy(State& st, const std::string& account, std::string_view arn) {
  const ManagedPolicy* found = FindPolicy(st, arn);
  if (found == nullptr || found->aws_managed) return nullptr;
  auto a = st.accounts.find(account);
  if (a == st.accounts.end()) return nullptr;
  auto it = a->second.policies.find(Lower(found->name));
  return it == a->second.policies.end() || &it->second != found ? nullptr : &it->second;
}

Value VersionValue(const PolicyVersion& v, bool is_default, bool with_document) {
  Value out = Value::Struct();
  if (with_document) out.Set("Document", Value::String(UrlEncode(v.document)));
  out.Set("VersionId", Value::String(v.id));
  out.Set("IsDefaultVersion", Value::Bool(is_default));
  out.Set("CreateDate", Value::Int(v.create_ms));
  return out;
}

void CreatePolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  ManagedPolicy p;
  p.name = Str(input, "PolicyName");
  p.path = std::string(input.GetString("Path").value_or("/"));
  p.description = Str(input, "Description");
  const std::string doc = Str(input, "PolicyDocument");
  if (Status s = Authorize(iam, ctx, "CreatePolicy", PolicyArn(account, p)); !s.ok()) {
    return reply(s);
  }
  if (Status s =
          CheckDocument(doc, false, kManagedPolicySize,
                        fmt::format("Cannot exceed quota for PolicySize: {}", kManagedPolicySize));
      !s.ok()) {
    return reply(s);
  }
  if (Status s = MergeTags(input, p.tags); !s.ok()) return reply(s);
  Value out = Value::Struct();
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    const std::string key = Lower(p.name);
    if (acct.policies.count(key)) {
      return AlreadyExists(fmt::format(
          "A policy called {} already exists. Duplicate names are not allowed.", p.name));
    }
    if (acct.policies.size() >= kMaxPolicies) {
      return LimitExceeded(
          fmt::format("Cannot exceed quota for PoliciesPerAccount: {}", kMaxPolicies));
    }
    p.id = NewId("ANPA");
    p.create_ms = p.update_ms = Now(iam);
    p.default_version = "v1";
    p.next_version = 2;
    p.versions.push_back({"v1", doc, p.create_ms});
    out.Set("Policy", PolicyValue(account, p, 0));
    acct.policies.emplace(key, std::move(p));
    ch.policies.emplace(account, key);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(std::move(out));
}

void GetPolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  if (Status s = Authorize(iam, ctx, "GetPolicy", arn); !s.ok()) return reply(s);
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    const ManagedPolicy* p = FindPolicy(st, arn);
    if (p == nullptr || (!p->aws_managed && PolicyArn(account, *p) != arn)) {
      return NoSuchPolicy(arn);
    }
    Value v = Value::Struct();
    v.Set("Policy", PolicyValue(account, *p, Attachments(st, account, arn, false)));
    return v;
  }));
}

void GetPolicyVersion(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  const std::string version = Str(input, "VersionId");
  if (Status s = Authorize(iam, ctx, "GetPolicyVersion", arn); !s.ok()) return reply(s);
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    const ManagedPolicy* p = FindPolicy(st, arn);
    if (p == nullptr || (!p->aws_managed && PolicyArn(account, *p) != arn)) {
      return NoSuchPolicy(arn);
    }
    for (const auto& v : p->versions) {
      if (v.id == version) {
        Value out = Value::Struct();
        out.Set("PolicyVersion", VersionValue(v, v.id == p->default_version, true));
        return out;
      }
    }
    return NoSuchEntity(
        fmt::format("Policy {} version {} does not exist or is not attachable.", arn, version));
  }));
}

void ListPolicies(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  if (Status s = Authorize(iam, ctx, "ListPolicies", "*"); !s.ok()) return reply(s);
  const std::string scope = std::string(input.GetString("Scope").value_or("All"));
  const bool only_attached = input.GetBool("OnlyAttached").value_or(false);
  const std::string prefix = std::string(input.GetString("PathPrefix").value_or("/"));
  std::vector<Value> items = iam.directory->Read([&](const State& st) {
    std::vector<Value> out;
    auto add = [&](const ManagedPolicy& p) {
      const std::string arn = PolicyArn(account, p);
      const std::int64_t n = Attachments(st, account, arn, false);
      if ((only_attached && n == 0) || p.path.rfind(prefix, 0) != 0) return;
      out.push_back(PolicyValue(account, p, n));
    };
    if (scope != "Local") {
      for (const auto& [name, p] : AwsManagedPolicies()) add(p);
    }
    if (scope != "AWS") {
      if (auto a = st.accounts.find(account); a != st.accounts.end()) {
        for (const auto& [key, p] : a->second.policies) add(p);
      }
    }
    return out;
  });
  Value out = Value::Struct();
  Page(out, "Policies", std::move(items), input);
  reply(std::move(out));
}

void CreatePolicyVersion(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  const std::string doc = Str(input, "PolicyDocument");
  const bool set_default = input.GetBool("SetAsDefault").value_or(false);
  if (Status s = Authorize(iam, ctx, "CreatePolicyVersion", arn); !s.ok()) return reply(s);
  if (Status s =
          CheckDocument(doc, false, kManagedPolicySize,
                        fmt::format("Cannot exceed quota for PolicySize: {}", kManagedPolicySize));
      !s.ok()) {
    return reply(s);
  }
  Value out = Value::Struct();
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    ManagedPolicy* p = LocalPolicy(st, account, arn);
    if (p == nullptr) return NoSuchPolicy(arn);
    if (p->versions.size() >= kMaxVersions) {
      return LimitExceeded(
          "A managed policy can have up to 5 versions. Before you create a new version, you must "
          "delete an existing version.");
    }
    PolicyVersion v{fmt::format("v{}", p->next_version++), doc, Now(iam)};
    if (set_default) p->default_version = v.id;
    p->update_ms = v.create_ms;
    out.Set("PolicyVersion", VersionValue(v, set_default, false));
    p->versions.push_back(std::move(v));
    ch.policies.emplace(account, Lower(p->name));
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(std::move(out));
}

void ListPolicyVersions(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  if (Status s = Authorize(iam, ctx, "ListPolicyVersions", arn); !s.ok()) return reply(s);
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    const ManagedPolicy* p = FindPolicy(st, arn);
    if (p == nullptr || (!p->aws_managed && PolicyArn(account, *p) != arn)) {
      return NoSuchPolicy(arn);
    }
    std::vector<Value> items;
    // Newest first, as AWS lists them.
    for (auto it = p->versions.rbegin(); it != p->versions.rend(); ++it) {
      items.push_back(VersionValue(*it, it->id == p->default_version, false));
    }
    Value out = Value::Struct();
    Page(out, "Versions", std::move(items), input);
    return out;
  }));
}

void SetDefaultPolicyVersion(const Iam& iam, const RequestContext& ctx, Value&& input,
                             Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  const std::string version = Str(input, "VersionId");
  if (Status s = Authorize(iam, ctx, "SetDefaultPolicyVersion", arn); !s.ok()) return reply(s);
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    ManagedPolicy* p = LocalPolicy(st, account, arn);
    if (p == nullptr) return NoSuchPolicy(arn);
    if (std::none_of(p->versions.begin(), p->versions.end(),
                     [&](const PolicyVersion& v) { return v.id == version; })) {
      return NoSuchEntity(fmt::format("Policy {} version {} does not exist.", arn, version));
    }
    p->default_version = version;
    p->update_ms = Now(iam);
    ch.policies.emplace(account, Lower(p->name));
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void DeletePolicyVersion(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  const std::string version = Str(input, "VersionId");
  if (Status s = Authorize(iam, ctx, "DeletePolicyVersion", arn); !s.ok()) return reply(s);
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    ManagedPolicy* p = LocalPolicy(st, account, arn);
    if (p == nullptr) return NoSuchPolicy(arn);
    auto it = std::find_if(p->versions.begin(), p->versions.end(),
                           [&](const PolicyVersion& v) { return v.id == version; });
    if (it == p->versions.end()) {
      return NoSuchEntity(fmt::format("Policy {} version {} does not exist.", arn, version));
    }
    if (version == p->default_version) {
      return DeleteConflict("Cannot delete the default version of a policy.");
    }
    p->versions.erase(it);
    ch.policies.emplace(account, Lower(p->name));
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void DeletePolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  if (Status s = Authorize(iam, ctx, "DeletePolicy", arn); !s.ok()) return reply(s);
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    ManagedPolicy* p = LocalPolicy(st, account, arn);
    if (p == nullptr) return NoSuchPolicy(arn);
    if (Attachments(st, account, arn, true) > 0) {
      return DeleteConflict("Cannot delete a policy attached to entities.");
    }
    if (p->versions.size() > 1) {
      return DeleteConflict(
          "This policy has more than one version. Before you delete a policy, you must delete "
          "the policy's versions. The default version is deleted with the policy.");
    }
    const std::string key = Lower(p->name);
    st.accounts[account].policies.erase(key);
    ch.policies.emplace(account, key);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void ListEntitiesForPolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string arn = Str(input, "PolicyArn");
  const std::string filter = Str(input, "EntityFilter");
  if (Status s = Authorize(iam, ctx, "ListEntitiesForPolicy", arn); !s.ok()) return reply(s);
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    const ManagedPolicy* p = FindPolicy(st, arn);
    if (p == nullptr || (!p->aws_managed && PolicyArn(account, *p) != arn)) {
      return NoSuchPolicy(arn);
    }
    Value users = Value::List(), roles = Value::List(), groups = Value::List();
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      for (auto kind : {EntityKind::kUser, EntityKind::kRole, EntityKind::kGroup}) {
        if (!filter.empty() && filter != Capitalized(kind) &&
            !(filter == "LocalManagedPolicy" || filter == "AWSManagedPolicy")) {
          continue;
        }
        for (const auto& [key, e] : Entities(a->second, kind)) {
          if (std::find(e.attached.begin(), e.attached.end(), arn) == e.attached.end()) continue;
          Value v = Value::Struct();
          v.Set(fmt::format("{}Name", Capitalized(kind)), Value::String(e.name));
          v.Set(fmt::format("{}Id", Capitalized(kind)), Value::String(e.id));
          (kind == EntityKind::kUser   ? users
           : kind == EntityKind::kRole ? roles
                                       : groups)
              .Append(std::move(v));
        }
      }
    }
    Value out = Value::Struct();
    out.Set("PolicyGroups", std::move(groups));
    out.Set("PolicyUsers", std::move(users));
    out.Set("PolicyRoles", std::move(roles));
    out.Set("IsTruncated", Value::Bool(false));
    return out;
  }));
}

template <EntityKind K>
void AttachPolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string arn = Str(input, "PolicyArn");
  if (Status s = Authorize(iam, ctx, fmt::format("Attach{}Policy", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    const ManagedPolicy* p = FindPolicy(st, arn);
    if (p == nullptr || (!p->aws_managed && PolicyArn(account, *p) != arn)) {
      return NoSuchEntity(fmt::format("Policy {} does not exist or is not attachable.", arn));
    }
    auto& attached = it->second.attached;
    if (std::find(attached.begin(), attached.end(), arn) != attached.end()) return Status::Ok();
    if (attached.size() >= kMaxAttached) {
      return LimitExceeded(
          fmt::format("Cannot exceed quota for PoliciesPer{}: {}", Capitalized(K), kMaxAttached));
    }
    attached.push_back(arn);
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void DetachPolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string arn = Str(input, "PolicyArn");
  if (Status s = Authorize(iam, ctx, fmt::format("Detach{}Policy", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    auto& attached = it->second.attached;
    auto at = std::find(attached.begin(), attached.end(), arn);
    if (at == attached.end()) return NoSuchPolicy(arn);
    attached.erase(at);
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void ListAttachedPolicies(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string prefix = std::string(input.GetString("PathPrefix").value_or("/"));
  if (Status s = Authorize(iam, ctx, fmt::format("ListAttached{}Policies", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    auto a = st.accounts.find(account);
    if (a == st.accounts.end()) return NoSuch(K, name);
    const auto& map = Entities(a->second, K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    std::vector<Value> items;
    for (const auto& arn : it->second.attached) {
      const ManagedPolicy* p = FindPolicy(st, arn);
      if (p == nullptr || p->path.rfind(prefix, 0) != 0) continue;
      Value v = Value::Struct();
      v.Set("PolicyName", Value::String(p->name));
      v.Set("PolicyArn", Value::String(arn));
      items.push_back(std::move(v));
    }
    Value out = Value::Struct();
    Page(out, "AttachedPolicies", std::move(items), input);
    return out;
  }));
}

template <EntityKind K>
void PutInlinePolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string policy_name = Str(input, "PolicyName");
  const std::string doc = Str(input, "PolicyDocument");
  if (Status s = Authorize(iam, ctx, fmt::format("Put{}Policy", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  // The quota covers all of the entity's inline policies together.
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    std::size_t others = 0;
    for (const auto& [n, d] : it->second.inline_policies) {
      if (n == policy_name) continue;
      for (char c : d) others += (c == ' ' || c == '\t' || c == '\n' || c == '\r') ? 0 : 1;
    }
    const std::size_t limit = InlineLimit(K);
    if (Status c = CheckDocument(doc, false, limit > others ? limit - others : 0,
                                 fmt::format("Maximum policy size of {} bytes exceeded for {} {}",
                                             limit, KindName(K), it->second.name));
        !c.ok()) {
      return c;
    }
    it->second.inline_policies[policy_name] = doc;
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void GetInlinePolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string policy_name = Str(input, "PolicyName");
  if (Status s = Authorize(iam, ctx, fmt::format("Get{}Policy", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    auto a = st.accounts.find(account);
    if (a == st.accounts.end()) return NoSuch(K, name);
    const auto& map = Entities(a->second, K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    auto p = it->second.inline_policies.find(policy_name);
    if (p == it->second.inline_policies.end()) {
      return NoSuchEntity(
          fmt::format("The {} policy with name {} cannot be found.", KindName(K), policy_name));
    }
    Value out = Value::Struct();
    out.Set(NameMember(K), Value::String(it->second.name));
    out.Set("PolicyName", Value::String(p->first));
    out.Set("PolicyDocument", Value::String(UrlEncode(p->second)));
    return out;
  }));
}

template <EntityKind K>
void ListInlinePolicies(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  if (Status s = Authorize(iam, ctx, fmt::format("List{}Policies", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    auto a = st.accounts.find(account);
    if (a == st.accounts.end()) return NoSuch(K, name);
    const auto& map = Entities(a->second, K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    std::vector<Value> items;
    for (const auto& [n, d] : it->second.inline_policies) items.push_back(Value::String(n));
    Value out = Value::Struct();
    Page(out, "PolicyNames", std::move(items), input);
    return out;
  }));
}

template <EntityKind K>
void DeleteInlinePolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string policy_name = Str(input, "PolicyName");
  if (Status s = Authorize(iam, ctx, fmt::format("Delete{}Policy", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    if (it->second.inline_policies.erase(policy_name) == 0) {
      return NoSuchEntity(
          fmt::format("The {} policy with name {} cannot be found.", KindName(K), policy_name));
    }
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void PutBoundary(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  const std::string arn = Str(input, "PermissionsBoundary");
  if (Status s = Authorize(iam, ctx, fmt::format("Put{}PermissionsBoundary", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    const ManagedPolicy* p = FindPolicy(st, arn);
    if (p == nullptr || (!p->aws_managed && PolicyArn(account, *p) != arn)) {
      return NoSuchEntity(fmt::format("Scope ARN: {} does not exist or is not attachable.", arn));
    }
    it->second.boundary = arn;
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void DeleteBoundary(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, NameMember(K));
  if (Status s = Authorize(iam, ctx, fmt::format("Delete{}PermissionsBoundary", Capitalized(K)),
                           ArnOf(iam, account, K, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    it->second.boundary.clear();
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

Value InlineList(const Entity& e) {
  Value list = Value::List();
  for (const auto& [n, d] : e.inline_policies) {
    Value v = Value::Struct();
    v.Set("PolicyName", Value::String(n));
    v.Set("PolicyDocument", Value::String(UrlEncode(d)));
    list.Append(std::move(v));
  }
  return list;
}

Value AttachedList(const State& st, const Entity& e) {
  Value list = Value::List();
  for (const auto& arn : e.attached) {
    Value v = Value::Struct();
    const ManagedPolicy* p = FindPolicy(st, arn);
    v.Set("PolicyName", Value::String(p ? p->name : std::string()));
    v.Set("PolicyArn", Value::String(arn));
    list.Append(std::move(v));
  }
  return list;
}

void GetAccountAuthorizationDetails(const Iam& iam, const RequestContext& ctx, Value&& input,
                                    Reply reply) {
  const std::string account = ctx.account_id;
  if (Status s = Authorize(iam, ctx, "GetAccountAuthorizationDetails", "*"); !s.ok()) {
    return reply(s);
  }
  std::vector<std::string> filter;
  if (const Value* f = input.Get("Filter"); f != nullptr && f->is_list()) {
    for (const Value& v : f->items()) filter.push_back(v.as_string());
  }
  auto wanted = [&](const char* what) {
    return filter.empty() || std::find(filter.begin(), filter.end(), what) != filter.end();
  };
  Value out = iam.directory->Read([&](const State& st) {
    Value users = Value::List(), groups = Value::List(), roles = Value::List(),
          policies = Value::List();
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      const Account& acct = a->second;
      if (wanted("User")) {
        for (const auto& [k, e] : acct.users) {
          Value v = UserValue(account, e);
          v.Set("UserPolicyList", InlineList(e));
          Value g = Value::List();
          for (const auto& name : e.groups) g.Append(Value::String(name));
          v.Set("GroupList", std::move(g));
          v.Set("AttachedManagedPolicies", AttachedList(st, e));
          users.Append(std::move(v));
        }
      }
      if (wanted("Group")) {
        for (const auto& [k, e] : acct.groups) {
          Value v = GroupValue(account, e);
          v.Set("GroupPolicyList", InlineList(e));
          v.Set("AttachedManagedPolicies", AttachedList(st, e));
          groups.Append(std::move(v));
        }
      }
      if (wanted("Role")) {
        for (const auto& [k, e] : acct.roles) {
          Value v = RoleValue(account, e);
          v.Set("InstanceProfileList", Value::List());
          v.Set("RolePolicyList", InlineList(e));
          v.Set("AttachedManagedPolicies", AttachedList(st, e));
          roles.Append(std::move(v));
        }
      }
      // Customer managed policies, and the AWS managed ones attached in the account.
      std::vector<const ManagedPolicy*> listed;
      if (wanted("LocalManagedPolicy")) {
        for (const auto& [k, p] : acct.policies) listed.push_back(&p);
      }
      if (wanted("AWSManagedPolicy")) {
        for (const auto& [k, p] : AwsManagedPolicies()) {
          if (Attachments(st, account, PolicyArn(account, p), true) > 0) listed.push_back(&p);
        }
      }
      for (const ManagedPolicy* pp : listed) {
        const ManagedPolicy& p = *pp;
        const std::string arn = PolicyArn(account, p);
        Value v = Value::Struct();
        v.Set("PolicyName", Value::String(p.name));
        v.Set("PolicyId", Value::String(p.id));
        v.Set("Arn", Value::String(arn));
        v.Set("Path", Value::String(p.path));
        v.Set("DefaultVersionId", Value::String(p.default_version));
        v.Set("AttachmentCount", Value::Int(Attachments(st, account, arn, false)));
        v.Set("PermissionsBoundaryUsageCount", Value::Int(0));
        v.Set("IsAttachable", Value::Bool(true));
        v.Set("CreateDate", Value::Int(p.create_ms));
        v.Set("UpdateDate", Value::Int(p.update_ms));
        Value versions = Value::List();
        for (const auto& ver : p.versions) {
          versions.Append(VersionValue(ver, ver.id == p.default_version, true));
        }
        v.Set("PolicyVersionList", std::move(versions));
        policies.Append(std::move(v));
      }
    }
    Value o = Value::Struct();
    o.Set("UserDetailList", std::move(users));
    o.Set("GroupDetailList", std::move(groups));
    o.Set("RoleDetailList", std::move(roles));
    o.Set("Policies", std::move(policies));
    o.Set("IsTruncated", Value::Bool(false));
    return o;
  });
  reply(std::move(out));
}

}  // namespace

const IamAction kPolicyActions[] = {
    {"CreatePolicy", &CreatePolicy},
    {"GetPolicy", &GetPolicy},
    {"GetPolicyVersion", &GetPolicyVersion},
    {"ListPolicies", &ListPolicies},
    {"CreatePolicyVersion", &CreatePolicyVersion},
    {"ListPolicyVersions", &ListPolicyVersions},
    {"SetDefaultPolicyVersion", &SetDefaultPolicyVersion},
    {"DeletePolicyVersion", &DeletePolicyVersion},
    {"DeletePolicy", &DeletePolicy},
    {"ListEntitiesForPolicy", &ListEntitiesForPolicy},
    {"GetAccountAuthorizationDetails", &GetAccountAuthorizationDetails},
    {"AttachUserPolicy", &AttachPolicy<EntityKind::kUser>},
    {"AttachRolePolicy", &AttachPolicy<EntityKind::kRole>},
    {"AttachGroupPolicy", &AttachPolicy<EntityKind::kGroup>},
    {"DetachUserPolicy", &DetachPolicy<EntityKind::kUser>},
    {"DetachRolePolicy", &DetachPolicy<EntityKind::kRole>},
    {"DetachGroupPolicy", &DetachPolicy<EntityKind::kGroup>},
    {"ListAttachedUserPolicies", &ListAttachedPolicies<EntityKind::kUser>},
    {"ListAttachedRolePolicies", &ListAttachedPolicies<EntityKind::kRole>},
    {"ListAttachedGroupPolicies", &ListAttachedPolicies<EntityKind::kGroup>},
    {"PutUserPolicy", &PutInlinePolicy<EntityKind::kUser>},
    {"PutRolePolicy", &PutInlinePolicy<EntityKind::kRole>},
    {"PutGroupPolicy", &PutInlinePolicy<EntityKind::kGroup>},
    {"GetUserPolicy", &GetInlinePolicy<EntityKind::kUser>},
    {"GetRolePolicy", &GetInlinePolicy<EntityKind::kRole>},
    {"GetGroupPolicy", &GetInlinePolicy<EntityKind::kGroup>},
    {"ListUserPolicies", &ListInlinePolicies<EntityKind::kUser>},
    {"ListRolePolicies", &ListInlinePolicies<EntityKind::kRole>},
    {"ListGroupPolicies", &ListInlinePolicies<EntityKind::kGroup>},
    {"DeleteUserPolicy", &DeleteInlinePolicy<EntityKind::kUser>},
    {"DeleteRolePolicy", &DeleteInlinePolicy<EntityKind::kRole>},
    {"DeleteGroupPolicy", &DeleteInlinePolicy<EntityKind::kGroup>},
    {"PutUserPermissionsBoundary", &PutBoundary<EntityKind::kUser>},
    {"PutRolePermissionsBoundary", &PutBoundary<EntityKind::kRole>},
    {"DeleteUserPermissionsBoundary", &DeleteBoundary<EntityKind::kUser>},
    {"DeleteRolePermissionsBoundary", &DeleteBoundary<EntityKind::kRole>},
};
const std::size_t kPolicyActionCount = std::size(kPolicyActions);

}  // namespace sluice::iam
