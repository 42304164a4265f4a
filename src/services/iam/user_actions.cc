// Users, their access keys and tags, and the account summaries.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "auth/auth.h"
#include "auth/session_token.h"
#include "services/iam/handlers.h"

namespace sluice::iam {

std::string ArnOf(const Iam& iam, const std::string& account, EntityKind kind,
                  const std::string& name) {
  return iam.directory->Read([&](const State& st) {
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      const auto& map = Entities(a->second, kind);
      if (auto it = map.find(Lower(name)); it != map.end()) return EntityArn(account, it->second);
    }
    Entity e;
    e.kind = kind;
    e.name = name;
    return EntityArn(account, e);
  });
}

namespace {

constexpr std::size_t kMaxUsers = 5000;
constexpr std::size_t kMaxKeysPerUser = 2;

// "AKIA" + 16 characters of [A-Z2-7], as AWS's long-term access key ids.
std::string NewAccessKeyId() {
  std::string id = NewId("AKIA");
  id.resize(20);
  return id;
}

void CreateUser(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  Entity user;
  user.kind = EntityKind::kUser;
  user.name = Str(input, "UserName");
  user.path = std::string(input.GetString("Path").value_or("/"));
  user.boundary = Str(input, "PermissionsBoundary");
  if (Status s = Authorize(iam, ctx, "CreateUser", EntityArn(account, user)); !s.ok()) {
    return reply(s);
  }
  if (Status s = MergeTags(input, user.tags); !s.ok()) return reply(s);
  if (iam.platform.auth != nullptr && iam.platform.auth->ConfiguredUser(account, user.name)) {
    return reply(AlreadyExists(fmt::format("User with name {} already exists.", user.name)));
  }
  Value out = Value::Struct();
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    if (!user.boundary.empty() && FindPolicy(st, user.boundary) == nullptr) {
      return NoSuchEntity(
          fmt::format("Scope ARN: {} does not exist or is not attachable.", user.boundary));
    }
    Account& acct = st.accounts[account];
    const std::string key = Lower(user.name);
    if (acct.users.count(key)) {
      return AlreadyExists(fmt::format("User with name {} already exists.", user.name));
    }
    if (acct.users.size() >= kMaxUsers) {
      return LimitExceeded(fmt::format("Cannot exceed quota for UsersPerAccount: {}", kMaxUsers));
    }
    user.id = NewId("AIDA");
    user.create_ms = iam.directory->clock().NowMs() / 1000 * 1000;
    out.Set("User", UserValue(account, user));
    acct.users.emplace(key, user);
    ch.Touch(EntityKind::kUser, account, key);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(std::move(out));
}

void GetUser(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  std::string name = Str(input, "UserName");
  if (name.empty()) {
    name = CallerUserName(ctx);
    if (name.empty()) {
      // The account root (or auth "none"): AWS answers with the root's identity.
      Value user = Value::Struct();
      user.Set("Path", Value::String("/"));
      user.Set("UserId", Value::String(account));
      user.Set("Arn", Value::String(fmt::format("arn:aws:iam::{}:root", account)));
      user.Set("CreateDate", Value::Int(0));
      Value out = Value::Struct();
      out.Set("User", std::move(user));
      return reply(std::move(out));
    }
  }
  if (Status s = Authorize(iam, ctx, "GetUser", ArnOf(iam, account, EntityKind::kUser, name));
      !s.ok()) {
    return reply(s);
  }
  Result<Value> out = iam.directory->Read([&](const State& st) -> Result<Value> {
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      if (auto it = a->second.users.find(Lower(name)); it != a->second.users.end()) {
        Value v = Value::Struct();
        v.Set("User", UserValue(account, it->second));
        return v;
      }
    }
    return NoSuch(EntityKind::kUser, name);
  });
  if (!out.ok() && ctx.authenticated && name == CallerUserName(ctx)) {
    // A user declared in the configuration file: its identity, as verified.
    Value user = Value::Struct();
    user.Set("Path", Value::String("/"));
    user.Set("UserName", Value::String(name));
    user.Set("UserId", Value::String(ctx.sender_id));
    user.Set("Arn", Value::String(ctx.principal_arn));
    user.Set("CreateDate", Value::Int(0));
    Value v = Value::Struct();
    v.Set("User", std::move(user));
    return reply(std::move(v));
  }
  reply(std::move(out));
}

void ListUsers(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  if (Status s = Authorize(iam, ctx, "ListUsers", fmt::format("arn:aws:iam::{}:user/", account));
      !s.ok()) {
    return reply(s);
  }
  const std::string prefix = std::string(input.GetString("PathPrefix").value_or("/"));
  std::vector<Value> items = iam.directory->Read([&](const State& st) {
    std::vector<Value> out;
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      for (const auto& [key, u] : a->second.users) {
        if (u.path.rfind(prefix, 0) == 0) out.push_back(UserValue(account, u));
      }
    }
    return out;
  });
  Value out = Value::Struct();
  Page(out, "Users", std::move(items), input);
  reply(std::move(out));
}

void UpdateUser(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "UserName");
  const auto new_name = input.GetString("NewUserName");
  const auto new_path = input.GetString("NewPath");
  if (Status s = Authorize(iam, ctx, "UpdateUser", ArnOf(iam, account, EntityKind::kUser, name));
      !s.ok()) {
    return reply(s);
  }
  if (new_name && Lower(*new_name) != Lower(name) && iam.platform.auth != nullptr &&
      iam.platform.auth->ConfiguredUser(account, *new_name)) {
    return reply(AlreadyExists(fmt::format("User with name {} already exists.", *new_name)));
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    auto it = acct.users.find(Lower(name));
    if (it == acct.users.end()) return NoSuch(EntityKind::kUser, name);
    Entity user = it->second;
    if (new_path) user.path = std::string(*new_path);
    if (new_name) {
      const std::string new_key = Lower(*new_name);
      if (new_key != it->first && acct.users.count(new_key)) {
        return AlreadyExists(fmt::format("User with name {} already exists.", *new_name));
      }
      user.name = std::string(*new_name);
      for (auto& [id, k] : st.keys) {
        if (k.account == account && Lower(k.user) == it->first) {
          k.user = user.name;
          ch.keys.insert(id);
        }
      }
    }
    ch.Touch(EntityKind::kUser, account, it->first);
    const std::string key = Lower(user.name);
    acct.users.erase(it);
    acct.users.emplace(key, std::move(user));
    ch.Touch(EntityKind::kUser, account, key);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void DeleteUser(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, "UserName");
  if (Status s = Authorize(iam, ctx, "DeleteUser", ArnOf(iam, account, EntityKind::kUser, name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    auto it = acct.users.find(Lower(name));
    if (it == acct.users.end()) return NoSuch(EntityKind::kUser, name);
    const Entity& user = it->second;
    for (const auto& [id, k] : st.keys) {
      if (k.account == account && Lower(k.user) == it->first) {
        return DeleteConflict("Cannot delete entity, must delete access keys first.");
      }
    }
    if (!user.inline_policies.empty()) {
      return DeleteConflict("Cannot delete entity, must delete policies first.");
    }
    if (!user.attached.empty()) {
      return DeleteConflict("Cannot delete entity, must detach all policies first.");
    }
    if (!user.groups.empty()) {
      return DeleteConflict("Cannot delete entity, must remove users from group first.");
    }
    ch.Touch(EntityKind::kUser, account, it->first);
    acct.users.erase(it);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

// TagUser / TagRole, UntagUser / UntagRole, ListUserTags / ListRoleTags.
template <EntityKind K>
void TagEntity(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, K == EntityKind::kUser ? "UserName" : "RoleName");
  const char* action = K == EntityKind::kUser ? "TagUser" : "TagRole";
  if (Status s = Authorize(iam, ctx, action, ArnOf(iam, account, K, name)); !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    if (Status m = MergeTags(input, it->second.tags); !m.ok()) return m;
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void UntagEntity(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, K == EntityKind::kUser ? "UserName" : "RoleName");
  const char* action = K == EntityKind::kUser ? "UntagUser" : "UntagRole";
  if (Status s = Authorize(iam, ctx, action, ArnOf(iam, account, K, name)); !s.ok()) {
    return reply(s);
  }
  std::vector<std::string> keys;
  if (const Value* list = input.Get("TagKeys"); list != nullptr && list->is_list()) {
    for (const Value& k : list->items()) keys.push_back(Lower(k.as_string()));
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    auto& map = Entities(st.accounts[account], K);
    auto it = map.find(Lower(name));
    if (it == map.end()) return NoSuch(K, name);
    auto& tags = it->second.tags;
    std::erase_if(tags, [&](const auto& kv) {
      return std::find(keys.begin(), keys.end(), Lower(kv.first)) != keys.end();
    });
    ch.Touch(K, account, it->first);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

template <EntityKind K>
void ListEntityTags(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string name = Str(input, K == EntityKind::kUser ? "UserName" : "RoleName");
  const char* action = K == EntityKind::kUser ? "ListUserTags" : "ListRoleTags";
  if (Status s = Authorize(iam, ctx, action, ArnOf(iam, account, K, name)); !s.ok()) {
    return reply(s);
  }
  Result<Value> out = iam.directory->Read([&](const State& st) -> Result<Value> {
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      const auto& map = Entities(a->second, K);
      if (auto it = map.find(Lower(name)); it != map.end()) {
        Value v = Value::Struct();
        std::vector<Value> tags = TagsValue(it->second.tags).items();
        Page(v, "Tags", std::move(tags), input);
        return v;
      }
    }
    return NoSuch(K, name);
  });
  reply(std::move(out));
}

// The user an access key action is about: UserName, else the caller.
Result<std::string> KeyUser(const RequestContext& ctx, const Value& input) {
  std::string name = Str(input, "UserName");
  if (name.empty()) name = CallerUserName(ctx);
  if (name.empty()) {
    return Status(ErrorCode::kValidationError,
                  "Must specify a user name: Sluice has no access keys for the account root "
                  "beyond those in its configuration.");
  }
  return name;
}

Value KeyMetadata(const KeyRecord& k) {
  Value v = Value::Struct();
  v.Set("UserName", Value::String(k.user));
  v.Set("AccessKeyId", Value::String(k.id));
  v.Set("Status", Value::String(k.active ? "Active" : "Inactive"));
  v.Set("CreateDate", Value::Int(k.create_ms));
  return v;
}

void CreateAccessKey(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  auto name = KeyUser(ctx, input);
  if (!name.ok()) return reply(name.status());
  if (Status s =
          Authorize(iam, ctx, "CreateAccessKey", ArnOf(iam, account, EntityKind::kUser, *name));
      !s.ok()) {
    return reply(s);
  }
  Value out = Value::Struct();
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    auto it = acct.users.find(Lower(*name));
    if (it == acct.users.end()) return NoSuch(EntityKind::kUser, *name);
    std::size_t n = 0;
    for (const auto& [id, k] : st.keys) {
      n += k.account == account && Lower(k.user) == it->first ? 1 : 0;
    }
    if (n >= kMaxKeysPerUser) {
      return LimitExceeded(
          fmt::format("Cannot exceed quota for AccessKeysPerUser: {}", kMaxKeysPerUser));
    }
    KeyRecord key;
    do {
      key.id = NewAccessKeyId();
    } while (st.keys.count(key.id));
    key.account = account;
    key.user = it->second.name;
    key.create_ms = iam.directory->clock().NowMs() / 1000 * 1000;
    key.secret = auth::NewSecretAccessKey();
    Value v = KeyMetadata(key);
    v.Set("SecretAccessKey", Value::String(key.secret));
    out.Set("AccessKey", std::move(v));
    ch.keys.insert(key.id);
    st.keys.emplace(key.id, std::move(key));
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(std::move(out));
}

void ListAccessKeys(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  auto name = KeyUser(ctx, input);
  if (!name.ok()) return reply(name.status());
  if (Status s =
          Authorize(iam, ctx, "ListAccessKeys", ArnOf(iam, account, EntityKind::kUser, *name));
      !s.ok()) {
    return reply(s);
  }
  Result<Value> out = iam.directory->Read([&](const State& st) -> Result<Value> {
    auto a = st.accounts.find(account);
    if (a == st.accounts.end() || !a->second.users.count(Lower(*name))) {
      return NoSuch(EntityKind::kUser, *name);
    }
    std::vector<Value> items;
    for (const auto& [id, k] : st.keys) {
      if (k.account == account && Lower(k.user) == Lower(*name)) items.push_back(KeyMetadata(k));
    }
    Value v = Value::Struct();
    Page(v, "AccessKeyMetadata", std::move(items), input);
    return v;
  });
  reply(std::move(out));
}

Status NoSuchKey(std::string_view id) {
  return NoSuchEntity(fmt::format("The Access Key with id {} cannot be found.", id));
}

void UpdateAccessKey(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  auto name = KeyUser(ctx, input);
  if (!name.ok()) return reply(name.status());
  const std::string id = Str(input, "AccessKeyId");
  const bool active = Str(input, "Status") == "Active";
  if (Status s =
          Authorize(iam, ctx, "UpdateAccessKey", ArnOf(iam, account, EntityKind::kUser, *name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    if (!acct.users.count(Lower(*name))) return NoSuch(EntityKind::kUser, *name);
    auto it = st.keys.find(id);
    if (it == st.keys.end() || it->second.account != account ||
        Lower(it->second.user) != Lower(*name)) {
      return NoSuchKey(id);
    }
    it->second.active = active;
    ch.keys.insert(id);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void DeleteAccessKey(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  auto name = KeyUser(ctx, input);
  if (!name.ok()) return reply(name.status());
  const std::string id = Str(input, "AccessKeyId");
  if (Status s =
          Authorize(iam, ctx, "DeleteAccessKey", ArnOf(iam, account, EntityKind::kUser, *name));
      !s.ok()) {
    return reply(s);
  }
  Status s = iam.directory->Write([&](State& st, Changes& ch) -> Status {
    Account& acct = st.accounts[account];
    if (!acct.users.count(Lower(*name))) return NoSuch(EntityKind::kUser, *name);
    auto it = st.keys.find(id);
    if (it == st.keys.end() || it->second.account != account ||
        Lower(it->second.user) != Lower(*name)) {
      return NoSuchKey(id);
    }
    st.keys.erase(it);
    ch.keys.insert(id);
    return Status::Ok();
  });
  if (!s.ok()) return reply(s);
  reply(Value::Struct());
}

void GetAccessKeyLastUsed(const Iam& iam, const RequestContext& ctx, Value&& input, Reply reply) {
  const std::string account = ctx.account_id;
  const std::string id = Str(input, "AccessKeyId");
  auto user = iam.directory->Read([&](const State& st) -> std::optional<std::string> {
    auto it = st.keys.find(id);
    if (it == st.keys.end() || it->second.account != account) return std::nullopt;
    return it->second.user;
  });
  // AWS answers AccessDenied for keys of other accounts and unknown keys alike.
  const std::string arn =
      user ? ArnOf(iam, account, EntityKind::kUser, *user) : fmt::format("access key {}", id);
  if (Status s = Authorize(iam, ctx, "GetAccessKeyLastUsed", arn); !s.ok()) return reply(s);
  if (!user) return reply(NoSuchKey(id));
  Value used = Value::Struct();
  if (auto use = iam.directory->LastUse(id)) {
    used.Set("LastUsedDate", Value::Int(use->ms / 1000 * 1000));
    used.Set("ServiceName", Value::String(use->service));
    used.Set("Region", Value::String(use->region));
  } else {
    used.Set("ServiceName", Value::String("N/A"));
    used.Set("Region", Value::String("N/A"));
  }
  Value out = Value::Struct();
  out.Set("UserName", Value::String(*user));
  out.Set("AccessKeyLastUsed", std::move(used));
  reply(std::move(out));
}

void GetAccountSummary(const Iam& iam, const RequestContext& ctx, Value&&, Reply reply) {
  const std::string account = ctx.account_id;
  if (Status s = Authorize(iam, ctx, "GetAccountSummary", "*"); !s.ok()) return reply(s);
  Value map = iam.directory->Read([&](const State& st) {
    std::int64_t users = 0, roles = 0, groups = 0, policies = 0, versions = 0, keys = 0;
    std::int64_t attached = 0, boundaries = 0;
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      users = static_cast<std::int64_t>(a->second.users.size());
      roles = static_cast<std::int64_t>(a->second.roles.size());
      groups = static_cast<std::int64_t>(a->second.groups.size());
      policies = static_cast<std::int64_t>(a->second.policies.size());
      for (const auto& [k, p] : a->second.policies) {
        versions += static_cast<std::int64_t>(p.versions.size());
      }
      std::set<std::string> in_use;
      for (auto kind : {EntityKind::kUser, EntityKind::kRole, EntityKind::kGroup}) {
        for (const auto& [k, e] : Entities(a->second, kind)) {
          in_use.insert(e.attached.begin(), e.attached.end());
          boundaries += e.boundary.empty() ? 0 : 1;
        }
      }
      attached = static_cast<std::int64_t>(in_use.size());
    }
    for (const auto& [id, k] : st.keys) keys += k.account == account ? 1 : 0;
    Value m = Value::Map();
    auto add = [&](const char* key, std::int64_t v) {
      m.mutable_entries().emplace_back(key, Value::Int(v));
    };
    add("Users", users);
    add("UsersQuota", static_cast<std::int64_t>(kMaxUsers));
    add("Groups", groups);
    add("GroupsQuota", 300);
    add("Roles", roles);
    add("RolesQuota", 1000);
    add("Policies", policies);
    add("PoliciesQuota", 1500);
    add("PolicyVersionsInUse", versions);
    add("PolicyVersionsInUseQuota", 10000);
    add("AttachedPoliciesPerUserQuota", 10);
    add("AttachedPoliciesPerRoleQuota", 10);
    add("AttachedPoliciesPerGroupQuota", 10);
    add("GroupsPerUserQuota", 10);
    add("AccessKeysPerUserQuota", static_cast<std::int64_t>(kMaxKeysPerUser));
    add("PolicySizeQuota", 6144);
    add("UserPolicySizeQuota", 2048);
    add("RolePolicySizeQuota", 10240);
    add("GroupPolicySizeQuota", 5120);
    add("AssumeRolePolicySizeQuota", 2048);
    add("AccountAccessKeysPresent", 0);
    add("AccountMFAEnabled", 0);
    add("MFADevices", 0);
    add("MFADevicesInUse", 0);
    add("ServerCertificates", 0);
    add("Providers", 0);
    add("InstanceProfiles", 0);
    add("GlobalEndpointTokenVersion", 1);
    (void)attached;
    (void)boundaries;
    (void)keys;
    return m;
  });
  Value out = Value::Struct();
  out.Set("SummaryMap", std::move(map));
  reply(std::move(out));
}

}  // namespace

const IamAction kUserActions[] = {
    {"CreateUser", &CreateUser},
    {"GetUser", &GetUser},
    {"ListUsers", &ListUsers},
    {"UpdateUser", &UpdateUser},
    {"DeleteUser", &DeleteUser},
    {"TagUser", &TagEntity<EntityKind::kUser>},
    {"UntagUser", &UntagEntity<EntityKind::kUser>},
    {"ListUserTags", &ListEntityTags<EntityKind::kUser>},
    {"TagRole", &TagEntity<EntityKind::kRole>},
    {"UntagRole", &UntagEntity<EntityKind::kRole>},
    {"ListRoleTags", &ListEntityTags<EntityKind::kRole>},
    {"CreateAccessKey", &CreateAccessKey},
    {"ListAccessKeys", &ListAccessKeys},
    {"UpdateAccessKey", &UpdateAccessKey},
    {"DeleteAccessKey", &DeleteAccessKey},
    {"GetAccessKeyLastUsed", &GetAccessKeyLastUsed},
    {"GetAccountSummary", &GetAccountSummary},
};
const std::size_t kUserActionCount = std::size(kUserActions);

}  // namespace sluice::iam
