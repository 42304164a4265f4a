#include "services/iam/directory.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "common/ids.h"
#include "common/json_record.h"
#include "engine/resource_store.h"

namespace sluice::iam {
namespace {

using auth::Policy;

namespace jr = json_record;

constexpr std::string_view kUserKind = "iam.user";
constexpr std::string_view kRoleKind = "iam.role";
constexpr std::string_view kGroupKind = "iam.group";
constexpr std::string_view kPolicyKind = "iam.policy";
constexpr std::string_view kKeyKind = "iam.key";

engine::ResourceScope Scope(const std::string& account) { return {account, ""}; }

// Stores `value` (and `secret`) as record (kind, account, name), or deletes it when `value` is
// nullopt.
Status Store(engine::ResourceStore& store, std::string_view kind, const std::string& account,
             const std::string& name, std::optional<std::string> value, std::string secret = {}) {
  auto updated = store.Update(kind, Scope(account), name,
                              [&](const std::optional<engine::ResourceRecord>&)
                                  -> Result<std::optional<engine::ResourceRecord>> {
                                if (!value) return std::optional<engine::ResourceRecord>();
                                engine::ResourceRecord r;
                                r.value = *value;
                                r.secret = secret;
                                return std::optional<engine::ResourceRecord>(std::move(r));
                              });
  return updated.ok() ? Status::Ok() : updated.status();
}

std::vector<Policy> ParseAll(const std::vector<const std::string*>& docs) {
  std::vector<Policy> out;
  for (const std::string* d : docs) {
    auto p = auth::ParsePolicy(*d, auth::PolicyKind::kIdentity);
    if (p.ok()) out.push_back(std::move(*p));
  }
  return out;
}

// The documents of an entity's inline and attached policies, appended to `out`.
void Documents(const State& st, const Entity& e, std::vector<const std::string*>& out) {
  for (const auto& [name, doc] : e.inline_policies) out.push_back(&doc);
  for (const auto& arn : e.attached) {
    if (const ManagedPolicy* p = FindPolicy(st, arn)) out.push_back(&DefaultDocument(*p));
  }
}

std::shared_ptr<const Policy> Boundary(const State& st, const std::string& arn) {
  if (arn.empty()) return nullptr;
  const ManagedPolicy* p = FindPolicy(st, arn);
  // A boundary whose policy is gone allows nothing (IAM refuses to delete it while in use).
  auto parsed = p ? auth::ParsePolicy(DefaultDocument(*p), auth::PolicyKind::kIdentity)
                  : auth::ParsePolicy(R"({"Statement":[]})", auth::PolicyKind::kIdentity);
  if (!parsed.ok()) return std::make_shared<const Policy>();
  return std::make_shared<const Policy>(std::move(*parsed));
}

std::shared_ptr<const std::map<std::string, std::string>> TagMap(const Tags& tags) {
  if (tags.empty()) return nullptr;
  auto m = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& [k, v] : tags) (*m)[k] = v;
  return m;
}

}  // namespace

void Changes::Touch(EntityKind kind, const std::string& account, const std::string& key) {
  auto& set = kind == EntityKind::kUser ? users : kind == EntityKind::kRole ? roles : groups;
  set.emplace(account, key);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string EntityArn(const std::string& account, const Entity& e) {
  const char* type = e.kind == EntityKind::kUser   ? "user"
                     : e.kind == EntityKind::kRole ? "role"
                                                   : "group";
  return fmt::format("arn:aws:iam::{}:{}{}{}", account, type, e.path, e.name);
}

std::string PolicyArn(const std::string& account, const ManagedPolicy& p) {
  return fmt::format("arn:aws:iam::{}:policy{}{}", p.aws_managed ? "aws" : account, p.path, p.name);
}

std::string NewId(std::string_view prefix) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const std::string bytes = RandomBytes(17);
  std::string out(prefix);
  for (char b : bytes) out.push_back(kChars[static_cast<unsigned char>(b) % 32]);
  return out;
}

const ManagedPolicy* FindPolicy(const State& st, std::string_view arn) {
  // arn:aws:iam::<account|aws>:policy<path><name>
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (arn.rfind(kPrefix, 0) != 0) return nullptr;
  std::string_view rest = arn.substr(kPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return nullptr;
  const std::string_view account = rest.substr(0, colon);
  rest.remove_prefix(colon + 1);
  if (rest.rfind("policy/", 0) != 0) return nullptr;
  const std::string_view name = rest.substr(rest.rfind('/') + 1);
  const ManagedPolicy* found = nullptr;
  if (account == "aws") {
    const auto& aws = AwsManagedPolicies();
    if (auto it = aws.find(std::string(name)); it != aws.end()) found = &it->second;
  } else if (auto a = st.accounts.find(std::string(account)); a != st.accounts.end()) {
    if (auto it = a->second.policies.find(Lower(name)); it != a->second.policies.end()) {
      found = &it->second;
    }
  }
  if (found == nullptr || PolicyArn(std::string(account), *found) != arn) return nullptr;
  return found;
}

const std::string& DefaultDocument(const ManagedPolicy& p) {
  for (const auto& v : p.versions) {
    if (v.id == p.default_version) return v.document;
  }
  return p.versions.front().document;
}

Directory::Directory(engine::ResourceStore& store, const Clock& clock)
    : store_(store), clock_(clock), state_(std::make_shared<const State>()) {}

Directory::~Directory() = default;

Status Directory::Load() {
  const std::uint64_t remote = store_.RemoteChanges("iam.");
  auto st = std::make_shared<State>();
  const std::pair<std::string_view, EntityKind> kinds[] = {{kUserKind, EntityKind::kUser},
                                                           {kRoleKind, EntityKind::kRole},
                                                           {kGroupKind, EntityKind::kGroup}};
  for (const auto& [kind, entity_kind] : kinds) {
    auto scopes = store_.Scopes(kind);
    if (!scopes.ok()) return scopes.status();
    for (const auto& scope : *scopes) {
      auto records = store_.List(kind, scope, {});
      if (!records.ok()) return records.status();
      Account& acct = st->accounts[scope.account];
      auto& map = entity_kind == EntityKind::kUser   ? acct.users
                  : entity_kind == EntityKind::kRole ? acct.roles
                                                     : acct.groups;
      for (const auto& r : *records) {
        auto e = DecodeEntity(entity_kind, r.value);
        if (!e) return Status(ErrorCode::kInternalError, fmt::format("bad {} {}", kind, r.name));
        map.emplace(r.name, std::move(*e));
      }
    }
  }
  auto scopes = store_.Scopes(kPolicyKind);
  if (!scopes.ok()) return scopes.status();
  for (const auto& scope : *scopes) {
    auto records = store_.List(kPolicyKind, scope, {});
    if (!records.ok()) return records.status();
    for (const auto& r : *records) {
      auto p = DecodePolicy(r.value);
      if (!p) return Status(ErrorCode::kInternalError, fmt::format("bad policy {}", r.name));
      st->accounts[scope.account].policies.emplace(r.name, std::move(*p));
    }
  }
  scopes = store_.Scopes(kKeyKind);
  if (!scopes.ok()) return scopes.status();
  for (const auto& scope : *scopes) {
    auto records = store_.List(kKeyKind, scope, {});
    if (!records.ok()) return records.status();
    for (const auto& r : *records) {
      auto k = DecodeKey(scope.account, r.name, r.value, r.secret);
      if (!k) return Status(ErrorCode::kInternalError, fmt::format("bad access key {}", r.name));
      st->keys.emplace(r.name, std::move(*k));
    }
  }
  {
    std::unique_lock lock(mu_);
    state_ = std::move(st);
    ++generation_;
  }
  synced_.store(remote);
  std::lock_guard lock(cache_mu_);
  users_.clear();
  roles_.clear();
  return Status::Ok();
}

void Directory::Sync() const {
  if (store_.RemoteChanges("iam.") == synced_.load()) return;
  // A writer holds the lock: it loads first itself (Write).
  std::unique_lock write_lock(write_mu_, std::try_to_lock);
  if (!write_lock.owns_lock() || store_.RemoteChanges("iam.") == synced_.load()) return;
  if (Status st = const_cast<Directory*>(this)->Load(); !st.ok()) {
    spdlog::warn("iam: cannot load other nodes' changes: {}", st.message());
  }
}

Status Directory::CheckClashes(const auth::Auth& auth) const {
  std::shared_lock lock(mu_);
  for (const auto& [account, acct] : state_->accounts) {
    for (const auto& [key, user] : acct.users) {
      if (auth.ConfiguredUser(account, user.name)) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("auth user '{}' of account {} is declared in the configuration "
                                  "and was also created with the IAM API; remove one of them",
                                  user.name, account));
      }
    }
    for (const auto& [key, role] : acct.roles) {
      if (auth.ConfiguredRole(account, role.name)) {
        return Status(ErrorCode::kInvalidParameterValue,
                      fmt::format("auth role '{}' of account {} is declared in the configuration "
                                  "and was also created with the IAM API; remove one of them",
                                  role.name, account));
      }
    }
  }
  return Status::Ok();
}

Status Directory::Persist(const State& st, const Changes& changes) {
  auto entity = [&](EntityKind kind, std::string_view store_kind,
                    const std::set<std::pair<std::string, std::string>>& touched) -> Status {
    for (const auto& [account, key] : touched) {
      std::optional<std::string> value;
      if (auto a = st.accounts.find(account); a != st.accounts.end()) {
        const auto& map = kind == EntityKind::kUser   ? a->second.users
                          : kind == EntityKind::kRole ? a->second.roles
                                                      : a->second.groups;
        if (auto it = map.find(key); it != map.end()) value = EncodeEntity(it->second);
      }
      if (Status s = Store(store_, store_kind, account, key, std::move(value)); !s.ok()) return s;
    }
    return Status::Ok();
  };
  if (Status s = entity(EntityKind::kUser, kUserKind, changes.users); !s.ok()) return s;
  if (Status s = entity(EntityKind::kRole, kRoleKind, changes.roles); !s.ok()) return s;
  if (Status s = entity(EntityKind::kGroup, kGroupKind, changes.groups); !s.ok()) return s;
  for (const auto& [account, key] : changes.policies) {
    std::optional<std::string> value;
    if (auto a = st.accounts.find(account); a != st.accounts.end()) {
      if (auto it = a->second.policies.find(key); it != a->second.policies.end()) {
        value = EncodePolicy(it->second);
      }
    }
    if (Status s = Store(store_, kPolicyKind, account, key, std::move(value)); !s.ok()) return s;
  }
  for (const auto& id : changes.keys) {
    if (auto it = st.keys.find(id); it != st.keys.end()) {
      if (Status s = Store(store_, kKeyKind, it->second.account, id, EncodeKey(it->second),
                           it->second.secret);
          !s.ok()) {
        return s;
      }
    } else {
      // Deleted: find its account in the state before the change.
      std::string account;
      {
        std::shared_lock lock(mu_);
        if (auto old = state_->keys.find(id); old != state_->keys.end()) {
          account = old->second.account;
        }
      }
      if (account.empty()) continue;
      if (Status s = Store(store_, kKeyKind, account, id, std::nullopt); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status Directory::Write(const std::function<Status(State&, Changes&)>& fn) {
  std::lock_guard write_lock(write_mu_);
  // Another node's changes first, so that this write starts from them.
  if (store_.RemoteChanges("iam.") != synced_.load()) {
    if (Status st = Load(); !st.ok()) return st;
  }
  std::shared_ptr<const State> current;
  {
    std::shared_lock lock(mu_);
    current = state_;
  }
  auto next = std::make_shared<State>(*current);
  Changes changes;
  if (Status s = fn(*next, changes); !s.ok()) return s;
  if (Status s = Persist(*next, changes); !s.ok()) return s;
  {
    std::unique_lock lock(mu_);
    state_ = std::move(next);
    ++generation_;
  }
  std::lock_guard lock(cache_mu_);
  users_.clear();
  roles_.clear();
  return Status::Ok();
}

std::optional<KeyUse> Directory::LastUse(std::string_view access_key_id) const {
  std::lock_guard lock(use_mu_);
  auto it = uses_.find(std::string(access_key_id));
  if (it == uses_.end()) return std::nullopt;
  return it->second;
}

void Directory::NoteKeyUsed(std::string_view access_key_id, std::string_view service,
                            std::string_view region) const {
  const std::int64_t now = clock_.NowMs();
  std::lock_guard lock(use_mu_);
  KeyUse& use = uses_[std::string(access_key_id)];
  use.ms = now;
  if (use.service != service) use.service.assign(service);
  if (use.region != region) use.region.assign(region);
}

std::shared_ptr<const auth::Principal> Directory::UserSnapshot(const State& st,
                                                               std::uint64_t generation,
                                                               const std::string& account,
                                                               const Entity& user) const {
  const std::string cache_key = account + "/" + Lower(user.name);
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = users_.find(cache_key); it != users_.end()) return it->second;
  }
  auto p = std::make_shared<auth::Principal>();
  p->kind = auth::Principal::Kind::kUser;
  p->account_id = account;
  p->arn = EntityArn(account, user);
  p->unique_id = user.id;
  p->name = user.name;
  std::vector<const std::string*> docs;
  Documents(st, user, docs);
  if (auto a = st.accounts.find(account); a != st.accounts.end()) {
    for (const auto& g : user.groups) {
      if (auto it = a->second.groups.find(Lower(g)); it != a->second.groups.end()) {
        Documents(st, it->second, docs);
      }
    }
  }
  p->policies = std::make_shared<const std::vector<Policy>>(ParseAll(docs));
  p->boundary = Boundary(st, user.boundary);
  p->tags = TagMap(user.tags);
  std::shared_ptr<const auth::Principal> out = std::move(p);
  std::lock_guard lock(cache_mu_);
  // Not when a write published a newer state meanwhile (its clear has run or will run).
  if (generation_.load() == generation) users_.emplace(cache_key, out);
  return out;
}

std::optional<auth::IdentityDirectory::AccessKey> Directory::FindAccessKey(
    std::string_view access_key_id) const {
  Sync();
  std::shared_ptr<const State> st;
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(mu_);
    st = state_;
    generation = generation_.load();
  }
  auto it = st->keys.find(std::string(access_key_id));
  if (it == st->keys.end()) return std::nullopt;
  const KeyRecord& k = it->second;
  auto a = st->accounts.find(k.account);
  if (a == st->accounts.end()) return std::nullopt;
  auto u = a->second.users.find(Lower(k.user));
  if (u == a->second.users.end()) return std::nullopt;
  return auth::IdentityDirectory::AccessKey{k.secret, k.active,
                                            UserSnapshot(*st, generation, k.account, u->second)};
}

std::shared_ptr<const auth::Principal> Directory::FindUser(std::string_view account,
                                                           std::string_view name) const {
  Sync();
  std::shared_ptr<const State> st;
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(mu_);
    st = state_;
    generation = generation_.load();
  }
  auto a = st->accounts.find(std::string(account));
  if (a == st->accounts.end()) return nullptr;
  auto u = a->second.users.find(Lower(name));
  if (u == a->second.users.end()) return nullptr;
  return UserSnapshot(*st, generation, a->first, u->second);
}

std::shared_ptr<const auth::RoleInfo> Directory::FindRole(std::string_view account,
                                                          std::string_view name) const {
  Sync();
  std::shared_ptr<const State> st;
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(mu_);
    st = state_;
    generation = generation_.load();
  }
  const std::string cache_key = fmt::format("{}/{}", account, Lower(name));
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = roles_.find(cache_key); it != roles_.end()) return it->second;
  }
  auto a = st->accounts.find(std::string(account));
  if (a == st->accounts.end()) return nullptr;
  auto r = a->second.roles.find(Lower(name));
  if (r == a->second.roles.end()) return nullptr;
  const Entity& e = r->second;
  auto role = std::make_shared<auth::RoleInfo>();
  role->name = e.name;
  role->account_id = a->first;
  role->arn = EntityArn(a->first, e);
  role->role_id = e.id;
  auto trust = auth::ParsePolicy(e.trust, auth::PolicyKind::kResource);
  role->trust = trust.ok() ? std::make_shared<const Policy>(std::move(*trust))
                           : std::make_shared<const Policy>();
  std::vector<const std::string*> docs;
  Documents(*st, e, docs);
  role->policies = std::make_shared<const std::vector<Policy>>(ParseAll(docs));
  role->boundary = Boundary(*st, e.boundary);
  role->tags = TagMap(e.tags);
  role->max_session_seconds = e.max_session;
  std::shared_ptr<const auth::RoleInfo> out = std::move(role);
  std::lock_guard lock(cache_mu_);
  if (generation_.load() == generation) roles_.emplace(cache_key, out);
  return out;
}

}  // namespace sluice::iam
