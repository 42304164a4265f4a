// NodeLease: which node of those sharing a resource store (several nodes on PostgreSQL) owns the
// durable work of an outbox (SNS deliveries, EventBridge retries and replays), so that a live
// node's tasks are never made by another node and a dead node's are taken over.
//
// One lease per node and outbox (a "batch" lease: a record of kind "sluice.node-lease", global
// scope, named `group` + "/" + node id, whose value is the expiry in milliseconds of the injected
// clock), renewed by its node every scan period. Each task record names its owner; a node adopts
// a task (compare-and-set of the task's record with its version, owner set to itself) only when
// the owner's lease is missing or expired. A task is thus made by one live node at a time, and a
// dead node's tasks are adopted within ttl + scan period of its last renewal.
//
// A node whose own renewal failed until its lease expired (the database unreachable) must not
// make deliveries (Valid() is false) until it renewed it again and checked that its tasks are
// still its own: other nodes may have adopted them meanwhile.
//
// A store that is not shared (the embedded store): nothing is written or read, Valid() is always
// true and owners are "" (records as before this lease existed). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "common/workers.h"
#include "engine/resource_store.h"

namespace sluice::engine {

inline constexpr char kNodeLeaseKind[] = "sluice.node-lease";

struct NodeLeaseOptions {
  std::chrono::milliseconds ttl{30000};   // how long a renewal holds
  std::chrono::milliseconds scan{10000};  // how often the node renews and looks for orphans
};

class NodeLease {
 public:
  // `group` names the outbox ("sns", "events"); `node` this process (random when empty).
  NodeLease(ResourceStore& store, const Clock& clock, std::string group, std::string node = {},
            NodeLeaseOptions options = {});

  bool shared() const { return shared_; }
  // What a task record names as its owner when this node makes it: the node id on a shared
  // store, "" otherwise.
  const std::string& owner() const { return owner_; }
  const NodeLeaseOptions& options() const { return options_; }

  // Writes the lease again (expiry now + ttl). `regained` is set when the lease had expired
  // before this renewal (the caller must check its tasks before making them again). Errors: the
  // store's; the lease then runs out at its expiry.
  Status Renew(bool* regained = nullptr);
  // True while this node may make its tasks: the store is not shared, or the last renewal has
  // not expired on the clock.
  bool Valid() const;
  // Grows every time the lease is regained after it had expired: a task known to be this node's
  // at an older epoch must be checked against its record before it is made.
  std::uint64_t epoch() const { return epoch_.load(); }
  // Releases the lease (a graceful stop): the node's tasks are adopted at other nodes' next
  // scan. Best effort.
  void Release();

  // Who holds a live lease of the group now (node ids), read once per scan.
  class Owners {
   public:
    // True when `owner` is a live node other than this one ("" never is).
    bool Dead(std::string_view owner) const;

   private:
    friend class NodeLease;
    std::map<std::string, Millis, std::less<>> expiry_;
    std::string self_;
    Millis now_ = 0;
  };
  Result<Owners> ReadOwners();

  // For every record of `kind` whose owner (owner_of) is dead: stores it again owned by this node
  // (with_owner gives the new value; compare-and-set on its version, so one node wins) and calls
  // `adopt` with the record as stored. Returns how many were adopted. Shared stores only.
  using OwnerOf = std::function<std::string(const ResourceRecord&)>;
  using WithOwner = std::function<std::string(const ResourceRecord&, const std::string& owner)>;
  using Adopt = std::function<void(const ResourceScope&, ResourceRecord)>;
  Result<std::size_t> AdoptOrphans(std::string_view kind, const OwnerOf& owner_of,
                                   const WithOwner& with_owner, const Adopt& adopt);

  // Whether this node may make a task it holds now: the record `name` of `kind` in `scope`,
  // stored at `version`, known to be this node's at lease epoch `*epoch`. kMine: yes (always on a
  // store that is not shared); *epoch is then the current epoch. kWait: not now (the lease is not
  // valid, or the record could not be read): the caller tries again a scan period later. kLost:
  // the record is gone, changed or another node's (adopted while this node's lease had lapsed).
  enum class Claim { kMine, kWait, kLost };
  Claim Check(std::string_view kind, const ResourceScope& scope, std::string_view name,
              std::uint64_t version, const OwnerOf& owner_of, std::uint64_t* epoch) const;

  // The durable tasks of a service's outbox, as the scans adopt them: the records of `kind`, with
  // AdoptOrphans's owner_of, with_owner and adopt (which schedules a task adopted).
  struct Tasks {
    std::string kind;
    OwnerOf owner_of;
    WithOwner with_owner;
    Adopt adopt;
  };
  // The scans of an outbox on a shared store (nothing on one that is not). Now: renews the lease
  // and adopts the tasks of the nodes that are gone (the live ones make their own). Then every
  // scan period, on `workers` while `owner` lives: renews the lease, adopts the tasks of nodes
  // gone since and, when the renewal succeeded, calls `after_renewal` (when given); a scan that
  // fails is logged and the next one tries again. Errors: the store's, of the first renewal or
  // adoption (nothing is scheduled then). Called once. `owner` holds this lease, `timer` and
  // `workers` (and what `tasks` and `after_renewal` use) while it lives.
  Status StartScans(Tasks tasks, Clock& timer, Workers& workers, std::weak_ptr<void> owner,
                    std::function<void()> after_renewal = {});

 private:
  struct Scans {
    Tasks tasks;
    Clock& timer;
    Workers& workers;
    std::weak_ptr<void> owner;
    std::function<void()> after_renewal;
  };

  std::string Name() const { return group_ + "/" + node_; }
  // AdoptOrphans of the scans' tasks; logs how many were adopted.
  Result<std::size_t> AdoptTasks();
  void Scan();
  void ArmScan();

  ResourceStore& store_;
  const Clock& clock_;
  const std::string group_;
  const std::string node_;
  const NodeLeaseOptions options_;
  const bool shared_;
  const std::string owner_;
  std::atomic<Millis> valid_until_{0};
  std::atomic<bool> released_{false};
  std::atomic<std::uint64_t> epoch_{0};
  std::unique_ptr<const Scans> scans_;  // set once by StartScans
};

}  // namespace sluice::engine
