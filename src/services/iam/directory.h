// iam::Directory: the identities of the IAM API (users, access keys, groups, roles, managed
// policies with their versions, inline policies, attachments, boundaries, tags) for every account,
// held in memory (loaded again when other nodes sharing the store changed them) and written through
// to the resource store (kinds "iam.user", "iam.group", "iam.role", "iam.policy", "iam.key"; scope:
// account, region "" as IAM is global). Access key secrets are the records' sealed part (sealed
// under the storage master key when one is set).
//
// Writes run one at a time: a change is applied to a copy of the state, persisted, then
// published; a failed write changes nothing in memory. Every published change bumps the
// generation and drops the cached principals, so Auth sees it on the very next request.
//
// It is the auth::IdentityDirectory the authenticator consults: principals are snapshots with
// every identity policy that applies (inline, attached managed, the groups', the boundary),
// built on first use after a change.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/identity.h"
#include "common/clock.h"
#include "common/status.h"
#include "services/iam/records.h"

namespace sluice::engine {
class ResourceStore;
}  // namespace sluice::engine

namespace sluice::iam {

struct Account {
  std::map<std::string, Entity> users, roles, groups;  // by lower-case name
  std::map<std::string, ManagedPolicy> policies;       // customer managed, by lower-case name
};

struct State {
  std::map<std::string, Account> accounts;
  std::map<std::string, KeyRecord> keys;  // by access key id
};

// Where a write touched: the records to store again (or delete) afterwards.
struct Changes {
  std::set<std::pair<std::string, std::string>> users, roles, groups, policies;  // (acct, key)
  std::set<std::string> keys;
  void Touch(EntityKind kind, const std::string& account, const std::string& key);
};

std::string Lower(std::string_view s);
std::string EntityArn(const std::string& account, const Entity& e);
std::string PolicyArn(const std::string& account, const ManagedPolicy& p);  // "aws" for AWS's
// "AIDA" + 17 random characters of [A-Z0-9] (prefix of 4).
std::string NewId(std::string_view prefix);

struct KeyUse {
  std::int64_t ms = 0;
  std::string service;
  std::string region;
};

class Directory final : public auth::IdentityDirectory {
 public:
  Directory(engine::ResourceStore& store, const Clock& clock);
  ~Directory() override;

  // Reads every record (start-up).
  Status Load();
  // A configuration-declared user or role with the name of one stored here: a start-up error.
  Status CheckClashes(const auth::Auth& auth) const;

  // Runs `fn` on a copy of the state, persists what it touched and publishes it; an error from
  // `fn` or the store changes nothing.
  Status Write(const std::function<Status(State&, Changes&)>& fn);
  // Runs `fn` on the current state under a shared lock.
  template <typename F>
  auto Read(F&& fn) const {
    Sync();
    std::shared_lock lock(mu_);
    return fn(static_cast<const State&>(*state_));
  }

  std::optional<KeyUse> LastUse(std::string_view access_key_id) const;
  const Clock& clock() const { return clock_; }

  // auth::IdentityDirectory
  std::optional<auth::IdentityDirectory::AccessKey> FindAccessKey(
      std::string_view access_key_id) const override;
  std::shared_ptr<const auth::Principal> FindUser(std::string_view account,
                                                  std::string_view name) const override;
  std::shared_ptr<const auth::RoleInfo> FindRole(std::string_view account,
                                                 std::string_view name) const override;
  std::uint64_t Generation() const override { return generation_.load(); }
  void NoteKeyUsed(std::string_view access_key_id, std::string_view service,
                   std::string_view region) const override;

 private:
  std::shared_ptr<const auth::Principal> UserSnapshot(const State& st, std::uint64_t generation,
                                                      const std::string& account,
                                                      const Entity& user) const;
  Status Persist(const State& st, const Changes& changes);
  // Loads every record again when other nodes sharing the store changed IAM records since the
  // last load (ResourceStore::RemoteChanges); skipped while a write is under way.
  void Sync() const;

  engine::ResourceStore& store_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  mutable std::mutex write_mu_;
  std::shared_ptr<const State> state_;
  std::atomic<std::uint64_t> synced_{0};  // the store's RemoteChanges("iam.") when loaded
  std::atomic<std::uint64_t> generation_{1};
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const auth::Principal>> users_;
  mutable std::unordered_map<std::string, std::shared_ptr<const auth::RoleInfo>> roles_;
  mutable std::mutex use_mu_;
  mutable std::unordered_map<std::string, KeyUse> uses_;
};

// Managed policy `arn` in `st` (customer managed, or AWS managed); nullptr when there is none.
const ManagedPolicy* FindPolicy(const State& st, std::string_view arn);
// Its default version's document.
const std::string& DefaultDocument(const ManagedPolicy& p);

// The AWS managed policies Sluice knows (managed_policies.cc), by name.
const std::map<std::string, ManagedPolicy>& AwsManagedPolicies();

}  // namespace sluice::iam
