#include "engine/resource_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

namespace sluice::engine {
namespace {

// Key of a record: kind \0 account \0 region \0 name (name last, so it may hold any byte).
std::string Key(std::string_view kind, const ResourceScope& scope, std::string_view name) {
  std::string k;
  k.reserve(kind.size() + scope.account.size() + scope.region.size() + name.size() + 3);
  k.append(kind).push_back('\0');
  k.append(scope.account).push_back('\0');
  k.append(scope.region).push_back('\0');
  k.append(name);
  return k;
}

std::string ScopePrefix(std::string_view kind, const ResourceScope& scope) {
  return Key(kind, scope, "");
}

// Splits a key into kind, scope and name; false when it is not one.
bool SplitKey(std::string_view key, std::string_view* kind, ResourceScope* scope,
              std::string_view* name) {
  const std::size_t a = key.find('\0');
  if (a == std::string_view::npos) return false;
  const std::size_t b = key.find('\0', a + 1);
  if (b == std::string_view::npos) return false;
  const std::size_t c = key.find('\0', b + 1);
  if (c == std::string_view::npos) return false;
  *kind = key.substr(0, a);
  scope->account = std::string(key.substr(a + 1, b - a - 1));
  scope->region = std::string(key.substr(b + 1, c - b - 1));
  *name = key.substr(c + 1);
  return true;
}

Status Conflict(std::string_view name) {
  return Status(ResourceError::kConflict,
                fmt::format("{} was modified concurrently; try again.", name));
}

class MemoryResourceStore final : public ResourceStore {
 public:
  MemoryResourceStore(ResourceLog* log, std::vector<std::string> cold_kinds)
      : log_(log),
        cold_kinds_(log != nullptr ? std::move(cold_kinds) : std::vector<std::string>{}) {}

  Status Load() {
    if (log_ == nullptr) return Status::Ok();
    std::size_t n = 0;
    Status st = log_->LoadResources([&](std::string_view key, ResourceRecord record) {
      std::string_view kind, name;
      ResourceScope scope;
      if (!SplitKey(key, &kind, &scope, &name)) {
        spdlog::error("storage: skipping a malformed resource key of {} bytes", key.size());
        return;
      }
      record.name = std::string(name);
      if (Cold(kind)) Strip(record);
      records_[std::string(key)] = std::move(record);
      ++n;
    });
    if (st.ok() && n > 0) spdlog::info("storage: loaded {} control-plane records", n);
    return st;
  }

  Result<std::optional<ResourceRecord>> Get(std::string_view kind, const ResourceScope& scope,
                                            std::string_view name) const override {
    const std::string key = Key(kind, scope, name);
    std::shared_lock lock(map_mu_);
    auto it = records_.find(key);
    if (it == records_.end()) return std::optional<ResourceRecord>();
    ResourceRecord out = it->second;
    if (Cold(kind)) {
      if (Status st = Fill(it->first, out); !st.ok()) return st;
    }
    return std::optional<ResourceRecord>(std::move(out));
  }

  Result<std::vector<ResourceRecord>> List(std::string_view kind, const ResourceScope& scope,
                                           const ListOptions& options) const override {
    const std::string base = ScopePrefix(kind, scope);
    std::string from = base;
    from.append(options.prefix);
    const std::string after = base + std::string(options.start_after);
    std::vector<ResourceRecord> out;
    std::shared_lock lock(map_mu_);
    auto it = records_.lower_bound(from);
    if (!options.start_after.empty() && after >= from) {
      it = records_.upper_bound(after);
    }
    const bool cold = Cold(kind);
    for (; it != records_.end() && out.size() < options.limit; ++it) {
      if (it->first.compare(0, from.size(), from) != 0) break;
      out.push_back(it->second);
      if (cold) {
        if (Status st = Fill(it->first, out.back()); !st.ok()) return st;
      }
    }
    return out;
  }

  Result<std::vector<ResourceScope>> Scopes(std::string_view kind) const override {
    std::string prefix(kind);
    prefix.push_back('\0');
    std::vector<ResourceScope> out;
    std::shared_lock lock(map_mu_);
    for (auto it = records_.lower_bound(prefix); it != records_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      std::string_view k, name;
      ResourceScope scope;
      if (!SplitKey(it->first, &k, &scope, &name)) continue;
      if (out.empty() || !(out.back() == scope)) out.push_back(std::move(scope));
    }
    return out;
  }

  Result<std::uint64_t> Put(std::string_view kind, const ResourceScope& scope,
                            std::string_view name, std::string value, std::string secret,
                            std::uint64_t expected_version) override {
    const std::string key = Key(kind, scope, name);
    // Writers are serialised (control-plane writes are rare); readers wait only for the map
    // update, never for the log's fsync.
    std::lock_guard writer(write_mu_);
    auto it = records_.find(key);
    const std::uint64_t current = it == records_.end() ? 0 : it->second.version;
    if (expected_version != kAnyVersion && current != expected_version) return Conflict(name);
    ResourceRecord record;
    record.name = std::string(name);
    record.version = current + 1;
    record.value = std::move(value);
    record.secret = std::move(secret);
    if (log_ != nullptr) {
      if (Status st = log_->PutResource(key, record); !st.ok()) return st;
    }
    if (Cold(kind)) Strip(record);
    std::unique_lock lock(map_mu_);
    records_[key] = std::move(record);
    return current + 1;
  }

  Status Delete(std::string_view kind, const ResourceScope& scope, std::string_view name,
                std::uint64_t expected_version) override {
    const std::string key = Key(kind, scope, name);
    std::lock_guard writer(write_mu_);
    auto it = records_.find(key);
    if (it == records_.end()) {
      return Status(ResourceError::kNotFound, fmt::format("{} does not exist.", name));
    }
    if (expected_version != kAnyVersion && it->second.version != expected_version) {
      return Conflict(name);
    }
    if (log_ != nullptr) {
      if (Status st = log_->DeleteResource(key); !st.ok()) return st;
    }
    std::unique_lock lock(map_mu_);
    records_.erase(key);
    return Status::Ok();
  }

 private:
  bool Cold(std::string_view kind) const {
    for (const std::string& k : cold_kinds_) {
      if (k == kind) return true;
    }
    return false;
  }
  static void Strip(ResourceRecord& record) {
    std::string().swap(record.value);
    std::string().swap(record.secret);
  }
  // Reads a cold record's value and secret from the log. The log is written before the map, so it
  // holds this version or a newer one: a caller that writes back what it read with this version
  // gets a conflict and reads again (Update does).
  Status Fill(const std::string& key, ResourceRecord& record) const {
    auto stored = log_->GetResource(key);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) {
      return Status(ErrorCode::kInternalError,
                    fmt::format("storage: the record {} is missing from the store", record.name));
    }
    record.value = std::move((*stored)->value);
    record.secret = std::move((*stored)->secret);
    return Status::Ok();
  }

  ResourceLog* const log_;
  const std::vector<std::string> cold_kinds_;
  std::mutex write_mu_;  // one writer at a time: check, log, publish
  mutable std::shared_mutex map_mu_;
  std::map<std::string, ResourceRecord> records_;  // by Key()
};

}  // namespace

Result<std::optional<ResourceRecord>> ResourceStore::Update(std::string_view kind,
                                                            const ResourceScope& scope,
                                                            std::string_view name,
                                                            const Mutation& mutate) {
  constexpr int kAttempts = 100;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto current = Get(kind, scope, name);
    if (!current.ok()) return current.status();
    auto next = mutate(*current);
    if (!next.ok()) return next.status();
    if (!next->has_value()) {
      if (!current->has_value()) return std::optional<ResourceRecord>();
      Status st = Delete(kind, scope, name, (*current)->version);
      if (st.ok()) return std::optional<ResourceRecord>();
      if (st.code() != ResourceError::kConflict && st.code() != ResourceError::kNotFound) {
        return st;
      }
      continue;
    }
    ResourceRecord& record = **next;
    const std::uint64_t expected = current->has_value() ? (*current)->version : 0;
    auto version = Put(kind, scope, name, record.value, record.secret, expected);
    if (version.ok()) {
      record.name = std::string(name);
      record.version = *version;
      return std::move(*next);
    }
    if (version.status().code() != ResourceError::kConflict) return version.status();
  }
  return Conflict(name);
}

bool HoldLease(ResourceStore& store, std::string_view name, std::string_view holder,
               std::chrono::milliseconds ttl) {
  if (!store.Shared()) return true;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  bool held = false;
  auto r = store.Update(
      "sluice.lease", ResourceScope{}, name,
      [&](const std::optional<ResourceRecord>& cur) -> Result<std::optional<ResourceRecord>> {
        held = false;
        if (cur) {
          // value: holder \n expiry (wall-clock ms)
          const std::size_t nl = cur->value.find('\n');
          const std::string_view other = std::string_view(cur->value).substr(0, nl);
          const long long expires =
              nl == std::string::npos ? 0 : std::atoll(cur->value.c_str() + nl + 1);
          if (other != holder && expires > now) {  // someone else's, still valid: no write
            return Status(ErrorCode::kInvalidRequest, "the lease is held");
          }
        }
        held = true;
        ResourceRecord next;
        next.value = fmt::format("{}\n{}", holder, now + ttl.count());
        return std::optional<ResourceRecord>(std::move(next));
      });
  return r.ok() && held;
}

Result<std::unique_ptr<ResourceStore>> OpenResourceStore(ResourceLog* log,
                                                         std::vector<std::string> cold_kinds) {
  auto store = std::make_unique<MemoryResourceStore>(log, std::move(cold_kinds));
  if (Status st = store->Load(); !st.ok()) return st;
  return std::unique_ptr<ResourceStore>(std::move(store));
}

}  // namespace sluice::engine
