// ResourceStore: the control-plane records of every service beside the queues (KMS keys and
// aliases, SSM parameters, and next topics, subscriptions, alarms, rules, users, policies): small
// versioned records per kind, account and region, with an optional secret part (key material)
// that is sealed at rest.
//
// Contract (every backend: memory, RocksDB, PostgreSQL; tests/engine/resource_store_test.cc
// runs the same suite against each):
// - A record is addressed by (kind, scope, name). `kind` is the service's own namespace
//   ("kms.key", "ssm.parameter"); names are arbitrary bytes, listed in byte order.
// - Put is compare-and-set: it writes only when the stored version equals `expected_version`
//   (0: the record must not exist), else kConflict (ResourceError). A successful put returns the
//   new version (1 on create, +1 on every update). Delete is compare-and-set the same way
//   (kAnyVersion: whatever is stored; a missing record is kNotFound).
// - Writes are durable when they return (fsync on the embedded store, unless durability is
//   "async"); reads see every write that has returned. Thread-safe.
// - Update() is the read-modify-write loop over Get and Put that services use: it retries on
//   conflict, so a concurrent writer never loses an update.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::engine {

// Where a record lives: account and region ("" for global services such as IAM).
struct ResourceScope {
  std::string account;
  std::string region;
  friend bool operator==(const ResourceScope&, const ResourceScope&) = default;
};

struct ResourceRecord {
  std::string name;
  std::uint64_t version = 0;  // 1 when created, +1 at every put
  std::string value;          // the service's own encoding; stored in clear
  std::string secret;         // sealed at rest under the storage master key, when one is set
};

struct ResourceError {
  static constexpr ErrorType kConflict{"ConcurrentModificationException", 409};
  static constexpr ErrorType kNotFound{"ResourceNotFoundException", 404};
};

inline constexpr std::uint64_t kAnyVersion = std::numeric_limits<std::uint64_t>::max();

class ResourceStore {
 public:
  virtual ~ResourceStore() = default;

  virtual Result<std::optional<ResourceRecord>> Get(std::string_view kind,
                                                    const ResourceScope& scope,
                                                    std::string_view name) const = 0;

  struct ListOptions {
    std::string_view prefix = {};       // names starting with it
    std::string_view start_after = {};  // names after it (paging)
    std::size_t limit = std::numeric_limits<std::size_t>::max();
  };
  // Records of `kind` in `scope` in name order.
  virtual Result<std::vector<ResourceRecord>> List(std::string_view kind,
                                                   const ResourceScope& scope,
                                                   const ListOptions& options) const = 0;
  // Every scope holding records of `kind` (background work such as scheduled deletions).
  virtual Result<std::vector<ResourceScope>> Scopes(std::string_view kind) const = 0;

  virtual Result<std::uint64_t> Put(std::string_view kind, const ResourceScope& scope,
                                    std::string_view name, std::string value, std::string secret,
                                    std::uint64_t expected_version) = 0;
  virtual Status Delete(std::string_view kind, const ResourceScope& scope, std::string_view name,
                        std::uint64_t expected_version) = 0;

  // Changes made by other processes sharing this store (several nodes on PostgreSQL): a counter
  // that grows when another node wrote or deleted a record whose kind starts with `kind_prefix`,
  // and for every prefix when such changes may have been missed (a reconnect). It grows
  // milliseconds after the other node's write returned. A service that caches records compares
  // it with the value it saw when it filled its cache. Stores used by one process only: always 0.
  virtual std::uint64_t RemoteChanges(std::string_view kind_prefix) const {
    static_cast<void>(kind_prefix);
    return 0;
  }

  // True when other processes may share this store (RemoteChanges can grow).
  virtual bool Shared() const { return false; }

  // What an update decides from the current record (nullopt: none): the record to store
  // (`name` and `version` are ignored), std::nullopt to delete it (or to leave it absent), or an
  // error, which Update returns unchanged.
  using Mutation =
      std::function<Result<std::optional<ResourceRecord>>(const std::optional<ResourceRecord>&)>;
  // Applies `mutate` atomically with respect to other writers of the record, retrying on
  // conflict. Returns the record as stored (nullopt when it was deleted or left absent).
  Result<std::optional<ResourceRecord>> Update(std::string_view kind, const ResourceScope& scope,
                                               std::string_view name, const Mutation& mutate);
};

// A lease among the processes sharing `store` (several nodes on PostgreSQL), for background work
// that one node must do alone (alarm evaluation): true while `holder` has it. A call by the holder
// renews it for `ttl` of wall-clock time; another holder takes it once it has expired (its holder
// died or stopped renewing). A store that is not shared: always true, nothing written. A store
// error: false (the work waits for the next turn).
bool HoldLease(ResourceStore& store, std::string_view name, std::string_view holder,
               std::chrono::milliseconds ttl);

// Where a durable backend keeps records: the embedded store implements it (RocksDbStore), so the
// records share its directory, its write path and its encryption at rest. Keys are opaque bytes.
class ResourceLog {
 public:
  virtual ~ResourceLog() = default;
  // Calls `visit` for every stored record, in key order. Errors: the store is unreadable, or a
  // sealed secret cannot be opened with the configured master key.
  virtual Status LoadResources(
      const std::function<void(std::string_view key, ResourceRecord record)>& visit) = 0;
  // The record stored under `key` (nullopt: none); its `name` is left empty.
  virtual Result<std::optional<ResourceRecord>> GetResource(std::string_view key) = 0;
  // Durable when it returns (the store's durability mode).
  virtual Status PutResource(std::string_view key, const ResourceRecord& record) = 0;
  virtual Status DeleteResource(std::string_view key) = 0;
};

// The resource store: every record in memory (control-plane records are few and small, and reads
// are on request paths such as GetParameter), written through to `log` when given and loaded from
// it here. `log` must outlive the store.
//
// `cold_kinds`: kinds whose records are many and mostly old (CloudWatch's hourly metric chunks):
// with a log, only their names and versions stay in memory; Get and List read their value and
// secret from the log. Without a log they are kept like every other kind.
Result<std::unique_ptr<ResourceStore>> OpenResourceStore(ResourceLog* log = nullptr,
                                                         std::vector<std::string> cold_kinds = {});

}  // namespace sluice::engine
