// Roles (trust policies) and groups (membership).
#include <fmt/format.h>

#include <algorithm>

#include "auth/auth.h"
#include "services/iam/handlers.h"

namespace sluice::iam {
namespace {

constexpr std::size_t kTrustPolicySize = 2048;
constexpr std::size_t kMaxRoles = 1000;
constexpr std::size_t kMaxGroups = 300;
constexpr std::size_t kMaxGroupsPerUser = 10;

std::int64_t Now(const Iam& iam) { return iam.directory->clock().NowMs() / 1000 * 1000; }

Status CheckTrust(std::string_view doc) {
  return CheckDocument(doc, true, kTrustPolicySize,
                       fmt::format("Cannot exceed quota for ACLSizePerRole: {}", kTrustPolicySize));
}

void CreateRole(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  Entity role;
  role.kind = EntityKind::kRole;
  role.name = Str(input, "RoleName");
  role.path = std::string(input.GetString("Path").value_or("/"));
  role.trust = Str(input, "AssumeRolePolicyDocument");
  role.description = Str(input, "Description");
  role.max_session = input.GetInt("MaxSessionDuration").value_or(3600);
  role.boundary = Str(input, "PermissionsBoundary");
  if (Status s = Authorize(iam, ctx, "CreateRole", EntityArn(account, role)); !s.ok()) {
    return reply(s);
  }
  if (Status s = CheckTrust(role.trust); !s.ok()) return reply(s);
  if (Status s = MergeTags(input, role.tags); !s.ok()) return reply(s);
  if (iam.platform.auth != nullptr && iam.platform.auth->ConfiguredRole(account, role.name)) {
    return reply(AlreadyExists(fmt::format("Role with name {} already exists.", role.name)));
  }
  Value out = Value::Struct();
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    if (!role.boundary.empty() && FindPolicy(st, role.boundary) == nullptr) {
      return NoSuchEntity(
          fmt::format("Scope ARN: {} does not exist or is not attachable.", role.boundary));
    }
    Account& acct = st.accounts[account];
    const std::string key = Lower(role.name);
    if (acct.roles.count(key)) {
      return AlreadyExists(fmt::format("Role with name {} already exists.", role.name));
    }
    if (acct.roles.size() >= kMaxRoles) {
      return LimitExceeded(fmt::format("Cannot exceed quota for RolesPerAccount: {}", kMaxRoles));
    }
    role.id = NewId("AROA");
    role.create_ms = Now(iam);
    out.Set("Role", RoleValue(account, role));
    acct.roles.emplace(key, role);
    ch.Touch(EntityKind::kRole, account, key);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(std::move(out));
}

void GetRole(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "RoleName");
  if (Status s = Authorize(iam, ctx, "GetRole", ArnOf(iam, account, EntityKind::kRole, name));
      !s.ok()) {
    return reply(s);
  }
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      if (auto it = a->second.roles.find(Lower(name)); it != a->second.roles.end()) {
        Value v = Value::Struct();
        v.Set("Role", RoleValue(account, it->second));
        return v;
      }
    }
    return NoSuch(EntityKind::kRole, name);
  }));
}

void ListRoles(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  if (Status s = Authorize(iam, ctx, "ListRoles", fmt::format("arn:aws:iam::{}:role/", account));
      !s.ok()) {
    return reply(s);
  }
  const std::string prefix = std::string(input.GetString("PathPrefix").value_or("/"));
  std::vector<Value> items = iam.directory->Read([&](const State& st) {
    std::vector<Value> out;
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      for (const auto& [key, r] : a->second.roles) {
        if (r.path.rfind(prefix, 0) != 0) continue;
        Value v = RoleValue(account, r);
        // ListRoles leaves out tags and boundaries (AWS: "not returned by ListRoles").
        std::erase_if(v.mutable_entries(), [](const Value::Entry& e) {
          return e.first == "Tags" || e.first == "PermissionsBoundary";
        });
        out.push_back(std::move(v));
      }
    }
    return out;
  });
  Value out = Value::Struct();
  Page(out, "Roles", std::move(items), input);
  reply(std::move(out));
}

void UpdateRole(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "RoleName");
  const auto description = input.GetString("Description");
  const auto max_session = input.GetInt("MaxSessionDuration");
  if (Status s = Authorize(iam, ctx, "UpdateRole", ArnOf(iam, account, EntityKind::kRole, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& roles = st.accounts[account].roles;
    auto it = roles.find(Lower(name));
    if (it == roles.end()) return NoSuch(EntityKind::kRole, name);
    if (description) it->second.description = std::string(*description);
    if (max_session) it->second.max_session = *max_session;
    ch.Touch(EntityKind::kRole, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void UpdateAssumeRolePolicy(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "RoleName");
  const std::string doc = Str(input, "PolicyDocument");
  if (Status s = Authorize(iam, ctx, "UpdateAssumeRolePolicy",
                           ArnOf(iam, account, EntityKind::kRole, name));
      !s.ok()) {
    return reply(s);
  }
  if (Status s = CheckTrust(doc); !s.ok()) return reply(s);
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& roles = st.accounts[account].roles;
    auto it = roles.find(Lower(name));
    if (it == roles.end()) return NoSuch(EntityKind::kRole, name);
    it->second.trust = doc;
    ch.Touch(EntityKind::kRole, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void DeleteRole(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "RoleName");
  if (Status s = Authorize(iam, ctx, "DeleteRole", ArnOf(iam, account, EntityKind::kRole, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& roles = st.accounts[account].roles;
    auto it = roles.find(Lower(name));
    if (it == roles.end()) return NoSuch(EntityKind::kRole, name);
    if (!it->second.inline_policies.empty()) {
      return DeleteConflict("Cannot delete entity, must delete policies first.");
    }
    if (!it->second.attached.empty()) {
      return DeleteConflict("Cannot delete entity, must detach all policies first.");
    }
    ch.Touch(EntityKind::kRole, account, it->first);
    roles.erase(it);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void CreateGroup(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  Entity group;
  group.kind = EntityKind::kGroup;
  group.name = Str(input, "GroupName");
  group.path = std::string(input.GetString("Path").value_or("/"));
  if (Status s = Authorize(iam, ctx, "CreateGroup", EntityArn(account, group)); !s.ok()) {
    return reply(s);
  }
  Value out = Value::Struct();
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    const std::string key = Lower(group.name);
    if (acct.groups.count(key)) {
      return AlreadyExists(fmt::format("Group with name {} already exists.", group.name));
    }
    if (acct.groups.size() >= kMaxGroups) {
      return LimitExceeded(fmt::format("Cannot exceed quota for GroupsPerAccount: {}", kMaxGroups));
    }
    group.id = NewId("AGPA");
    group.create_ms = Now(iam);
    out.Set("Group", GroupValue(account, group));
    acct.groups.emplace(key, group);
    ch.Touch(EntityKind::kGroup, account, key);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(std::move(out));
}

void GetGroup(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "GroupName");
  if (Status s = Authorize(iam, ctx, "GetGroup", ArnOf(iam, account, EntityKind::kGroup, name));
      !s.ok()) {
    return reply(s);
  }
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    auto a = st.accounts.find(account);
    if (a == st.accounts.end()) return NoSuch(EntityKind::kGroup, name);
    auto it = a->second.groups.find(Lower(name));
    if (it == a->second.groups.end()) return NoSuch(EntityKind::kGroup, name);
    std::vector<Value> users;
    for (const auto& [key, u] : a->second.users) {
      for (const auto& g : u.groups) {
        if (Lower(g) == it->first) users.push_back(UserValue(account, u));
      }
    }
    Value out = Value::Struct();
    out.Set("Group", GroupValue(account, it->second));
    Page(out, "Users", std::move(users), input);
    return out;
  }));
}

void ListGroups(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  if (Status s = Authorize(iam, ctx, "ListGroups", fmt::format("arn:aws:iam::{}:group/", account));
      !s.ok()) {
    return reply(s);
  }
  const std::string prefix = std::string(input.GetString("PathPrefix").value_or("/"));
  std::vector<Value> items = iam.directory->Read([&](const State& st) {
    std::vector<Value> out;
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      for (const auto& [key, g] : a->second.groups) {
        if (g.path.rfind(prefix, 0) == 0) out.push_back(GroupValue(account, g));
      }
    }
    return out;
  });
  Value out = Value::Struct();
  Page(out, "Groups", std::move(items), input);
  reply(std::move(out));
}

void ListGroupsForUser(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "UserName");
  if (Status s =
          Authorize(iam, ctx, "ListGroupsForUser", ArnOf(iam, account, EntityKind::kUser, name));
      !s.ok()) {
    return reply(s);
  }
  reply(iam.directory->Read([&](const State& st) -> Result<Value> {
    auto a = st.accounts.find(account);
    if (a == st.accounts.end()) return NoSuch(EntityKind::kUser, name);
    auto it = a->second.users.find(Lower(name));
    if (it == a->second.users.end()) return NoSuch(EntityKind::kUser, name);
    std::vector<Value> items;
    for (const auto& g : it->second.groups) {
      if (auto gi = a->second.groups.find(Lower(g)); gi != a->second.groups.end()) {
        items.push_back(GroupValue(account, gi->second));
      }
    }
    Value out = Value::Struct();
    Page(out, "Groups", std::move(items), input);
    return out;
  }));
}

// AddUserToGroup (add) and RemoveUserFromGroup.
template <bool kAdd>
void Membership(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string group = Str(input, "GroupName");
  const std::string user = Str(input, "UserName");
  if (Status s = Authorize(iam, ctx, kAdd ? "AddUserToGroup" : "RemoveUserFromGroup",
                           ArnOf(iam, account, EntityKind::kGroup, group));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    auto g = acct.groups.find(Lower(group));
    if (g == acct.groups.end()) return NoSuch(EntityKind::kGroup, group);
    auto u = acct.users.find(Lower(user));
    if (u == acct.users.end()) return NoSuch(EntityKind::kUser, user);
    auto& groups = u->second.groups;
    auto at = std::find_if(groups.begin(), groups.end(),
                           [&](const std::string& n) { return Lower(n) == g->first; });
    if (kAdd) {
      if (at != groups.end()) return Status::Ok();
      if (groups.size() >= kMaxGroupsPerUser) {
        return LimitExceeded(
            fmt::format("Cannot exceed quota for GroupsPerUser: {}", kMaxGroupsPerUser));
      }
      groups.push_back(g->second.name);
    } else {
      if (at == groups.end()) {
        return NoSuchEntity(fmt::format("The user with name {} cannot be found in group {}.",
                                        u->second.name, g->second.name));
      }
      groups.erase(at);
    }
    ch.Touch(EntityKind::kUser, account, u->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void DeleteGroup(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "GroupName");
  if (Status s = Authorize(iam, ctx, "DeleteGroup", ArnOf(iam, account, EntityKind::kGroup, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    auto it = acct.groups.find(Lower(name));
    if (it == acct.groups.end()) return NoSuch(EntityKind::kGroup, name);
    for (const auto& [key, u] : acct.users) {
      for (const auto& g : u.groups) {
        if (Lower(g) == it->first) {
          return DeleteConflict("Cannot delete entity, must remove users from group first.");
        }
      }
    }
    if (!it->second.inline_policies.empty()) {
      return DeleteConflict("Cannot delete entity, must delete policies first.");
    }
    if (!it->second.attached.empty()) {
      return DeleteConflict("Cannot delete entity, must detach all policies first.");
    }
    ch.Touch(EntityKind::kGroup, account, it->first);
    acct.groups.erase(it);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

}  // namespace

const IamAction kRoleGroupActions[] = {
    {"CreateRole", &CreateRole},
    {"GetRole", &GetRole},
    {"ListRoles", &ListRoles},
    {"UpdateRole", &UpdateRole},
    {"UpdateAssumeRolePolicy", &UpdateAssumeRolePolicy},
    {"DeleteRole", &DeleteRole},
    {"CreateGroup", &CreateGroup},
    {"GetGroup", &GetGroup},
    {"ListGroups", &ListGroups},
    {"ListGroupsForUser", &ListGroupsForUser},
    {"AddUserToGroup", &Membership<true>},
    {"RemoveUserFromGroup", &Membership<false>},
    {"DeleteGroup", &DeleteGroup},
};
const std::size_t kRoleGroupActionCount = std::size(kRoleGroupActions);

}  // namespace sluice::iam
