// Tests of several nodes sharing one resource store (engine/node_lease.h), without a database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/resource_store.h"

namespace sluice::test {

// A view of a store that says it is shared by several processes, and can be cut off from it (every
// call fails as an unreachable database does).
class NodeView final : public engine::ResourceStore {
 public:
  explicit NodeView(engine::ResourceStore& inner) : inner_(inner) {}
  bool cut = false;

  Result<std::optional<engine::ResourceRecord>> Get(std::string_view kind,
                                                    const engine::ResourceScope& scope,
                                                    std::string_view name) const override {
    if (cut) return Down();
    return inner_.Get(kind, scope, name);
  }
  Result<std::vector<engine::ResourceRecord>> List(std::string_view kind,
                                                   const engine::ResourceScope& scope,
                                                   const ListOptions& options) const override {
    if (cut) return Down();
    return inner_.List(kind, scope, options);
  }
  Result<std::vector<engine::ResourceScope>> Scopes(std::string_view kind) const override {
    if (cut) return Down();
    return inner_.Scopes(kind);
  }
  Result<std::uint64_t> Put(std::string_view kind, const engine::ResourceScope& scope,
                            std::string_view name, std::string value, std::string secret,
                            std::uint64_t expected_version) override {
    if (cut) return Down();
    return inner_.Put(kind, scope, name, std::move(value), std::move(secret), expected_version);
  }
  Status Delete(std::string_view kind, const engine::ResourceScope& scope, std::string_view name,
                std::uint64_t expected_version) override {
    if (cut) return Down();
    return inner_.Delete(kind, scope, name, expected_version);
  }
  bool Shared() const override { return true; }

 private:
  static Status Down() { return Status(ErrorCode::kServiceUnavailable, "the database is down"); }
  engine::ResourceStore& inner_;
};

}  // namespace sluice::test
