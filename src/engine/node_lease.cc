#include "engine/node_lease.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <utility>

#include "common/encoding.h"
#include "common/ids.h"

namespace sluice::engine {
namespace {

// A lease record expired this many ttls ago belongs to a node that is gone for good: removed.
constexpr int kForgetAfterTtls = 20;

Millis ExpiryOf(const ResourceRecord& r) { return std::atoll(r.value.c_str()); }

}  // namespace

NodeLease::NodeLease(ResourceStore& store, const Clock& clock, std::string group, std::string node,
                     NodeLeaseOptions options)
    : store_(store),
      clock_(clock),
      group_(std::move(group)),
      node_(node.empty() ? HexEncode(RandomBytes(8)) : std::move(node)),
      options_(options),
      shared_(store.Shared()),
      owner_(shared_ ? node_ : std::string()) {}

Status NodeLease::Renew(bool* regained) {
  if (regained != nullptr) *regained = false;
  if (!shared_ || released_.load()) return Status::Ok();
  const Millis now = clock_.NowMs();
  const Millis until = now + options_.ttl.count();
  auto r = store_.Update(
      kNodeLeaseKind, ResourceScope{}, Name(),
      [&](const std::optional<ResourceRecord>&) -> Result<std::optional<ResourceRecord>> {
        ResourceRecord next;
        next.value = std::to_string(until);
        return std::optional<ResourceRecord>(std::move(next));
      });
  if (!r.ok()) return r.status();
  const Millis before = valid_until_.exchange(until);
  if (before != 0 && before <= now) {
    epoch_.fetch_add(1);
    if (regained != nullptr) *regained = true;
  }
  return Status::Ok();
}

bool NodeLease::Valid() const {
  return !shared_ || (!released_.load() && clock_.NowMs() < valid_until_.load());
}

void NodeLease::Release() {
  if (!shared_ || released_.exchange(true)) return;
  valid_until_.store(0);
  Status st = store_.Delete(kNodeLeaseKind, ResourceScope{}, Name(), kAnyVersion);
  if (!st.ok() && st.code() != ResourceError::kNotFound) {
    spdlog::debug("{}: lease not released ({}): it expires", group_, st.message());
  }
}

bool NodeLease::Owners::Dead(std::string_view owner) const {
  if (owner == self_) return false;
  if (owner.empty()) return true;
  auto it = expiry_.find(owner);
  return it == expiry_.end() || it->second <= now_;
}

Result<NodeLease::Owners> NodeLease::ReadOwners() {
  Owners owners;
  owners.self_ = owner_;
  owners.now_ = clock_.NowMs();
  const std::string prefix = group_ + "/";
  ResourceStore::ListOptions list;
  list.prefix = prefix;
  auto records = store_.List(kNodeLeaseKind, ResourceScope{}, list);
  if (!records.ok()) return records.status();
  for (const ResourceRecord& r : *records) {
    const Millis expiry = ExpiryOf(r);
    if (expiry + kForgetAfterTtls * options_.ttl.count() < owners.now_) {
      // Best effort: another node may be removing it too.
      static_cast<void>(store_.Delete(kNodeLeaseKind, ResourceScope{}, r.name, r.version));
      continue;
    }
    owners.expiry_.emplace(r.name.substr(prefix.size()), expiry);
  }
  return owners;
}

Result<std::size_t> NodeLease::AdoptOrphans(std::string_view kind, const OwnerOf& owner_of,
                                            const WithOwner& with_owner, const Adopt& adopt) {
  if (!shared_) return std::size_t{0};
  auto owners = ReadOwners();
  if (!owners.ok()) return owners.status();
  auto scopes = store_.Scopes(kind);
  if (!scopes.ok()) return scopes.status();
  std::size_t adopted = 0;
  for (const ResourceScope& scope : *scopes) {
    auto records = store_.List(kind, scope, {});
    if (!records.ok()) return records.status();
    for (ResourceRecord& r : *records) {
      if (!owners->Dead(owner_of(r))) continue;
      std::string value = with_owner(r, owner_);
      auto v = store_.Put(kind, scope, r.name, value, r.secret, r.version);
      if (!v.ok()) {
        // kConflict: another node adopted it, or its owner changed it, first.
        if (v.status().code() != ResourceError::kConflict) return v.status();
        continue;
      }
      r.value = std::move(value);
      r.version = *v;
      ++adopted;
      adopt(scope, std::move(r));
    }
  }
  return adopted;
}

NodeLease::Claim NodeLease::Check(std::string_view kind, const ResourceScope& scope,
                                  std::string_view name, std::uint64_t version,
                                  const OwnerOf& owner_of, std::uint64_t* epoch) const {
  if (!shared_) return Claim::kMine;
  if (!Valid()) return Claim::kWait;
  const std::uint64_t now = epoch_.load();
  if (*epoch == now) return Claim::kMine;
  auto rec = store_.Get(kind, scope, name);
  if (!rec.ok()) return Claim::kWait;
  if (!rec->has_value() || (*rec)->version != version || owner_of(**rec) != owner_) {
    return Claim::kLost;
  }
  *epoch = now;
  return Claim::kMine;
}

Status NodeLease::StartScans(Tasks tasks, Clock& timer, Workers& workers, std::weak_ptr<void> owner,
                             std::function<void()> after_renewal) {
  if (!shared_) return Status::Ok();
  scans_ = std::make_unique<const Scans>(
      Scans{std::move(tasks), timer, workers, std::move(owner), std::move(after_renewal)});
  if (Status st = Renew(); !st.ok()) return st;
  auto adopted = AdoptTasks();
  if (!adopted.ok()) return adopted.status();
  ArmScan();
  return Status::Ok();
}

Result<std::size_t> NodeLease::AdoptTasks() {
  const Tasks& t = scans_->tasks;
  auto adopted = AdoptOrphans(t.kind, t.owner_of, t.with_owner, t.adopt);
  if (adopted.ok() && *adopted > 0) {
    spdlog::info("{}: {} deliveries of stopped nodes adopted", group_, *adopted);
  }
  return adopted;
}

void NodeLease::Scan() {
  if (Status st = Renew(); !st.ok()) {
    spdlog::debug("{}: node lease not renewed: {}", group_, st.message());
    return;
  }
  if (auto adopted = AdoptTasks(); !adopted.ok()) {
    spdlog::debug("{}: cannot adopt deliveries: {}", group_, adopted.status().message());
  }
  if (scans_->after_renewal) scans_->after_renewal();
}

void NodeLease::ArmScan() {
  scans_->timer.RunAt(clock_.NowMs() + options_.scan.count(), [this, owner = scans_->owner] {
    // The owner, alive, holds this lease: kept alive until the scan is done.
    if (auto alive = owner.lock()) {
      scans_->workers.Post([this, alive] {
        Scan();
        ArmScan();
      });
    }
  });
}

}  // namespace sluice::engine
