// IdentityDirectory: identities kept outside the configuration file (the IAM API's store,
// services/iam), consulted by Auth after the configured users and roles. The directory hands out
// immutable snapshots (a Principal with every identity policy that applies to it now: inline,
// attached managed, its groups', and its permissions boundary); it rebuilds them after every
// change and bumps Generation(), so Auth's own caches (verified STS sessions) notice at once:
// a change is in force for the next request.
//
// Thread-safe: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"

namespace sluice::auth {

class IdentityDirectory {
 public:
  virtual ~IdentityDirectory() = default;

  struct AccessKey {
    std::string secret;
    bool active = true;
    std::shared_ptr<const Principal> principal;  // the key's user, as it is now
  };
  // A long-term access key ("AKIA...") created through the API; nullopt when unknown.
  virtual std::optional<AccessKey> FindAccessKey(std::string_view access_key_id) const = 0;
  // A user by account and name (sessions of GetSessionToken); null when unknown.
  virtual std::shared_ptr<const Principal> FindUser(std::string_view account,
                                                    std::string_view name) const = 0;
  // A role by account and name (AssumeRole, and the sessions of its temporary credentials).
  virtual std::shared_ptr<const RoleInfo> FindRole(std::string_view account,
                                                   std::string_view name) const = 0;
  // Bumped by every change of any identity, policy, attachment or key.
  virtual std::uint64_t Generation() const = 0;
  // A request was verified with `access_key_id` for `service` in `region` (GetAccessKeyLastUsed;
  // kept in memory, no write per request).
  virtual void NoteKeyUsed(std::string_view access_key_id, std::string_view service,
                           std::string_view region) const = 0;
};

}  // namespace sluice::auth
