// The resource store (engine/resource_store.h) on PostgreSQL: the control-plane records of every
// service beside the queues in one table, `resources`, shared by every node on the database
// (docs/postgres.md). Every call is one statement: reads see every write that has returned on any
// node; a write is committed (durable) when it returns. Secrets are sealed under the storage master
// key when one is set, as on the embedded store.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "engine/resource_store.h"

namespace sluice::engine {

struct PgResourceStoreOptions {
  std::string url;     // libpq URL or connection string
  std::string schema;  // "" : public (the engine's schema)
  int max_connections = 4;
  // 32 bytes: secrets are sealed with it (AES-256-GCM, bound to the record's key). Every node of
  // a database needs the same key; a node with another key (or none, once records are sealed)
  // refuses to start.
  std::optional<std::string> master_key;
};

// Connects, applies the schema migrations (the engine's, under its advisory lock) and checks the
// master key against the database's. kServiceUnavailable when the database cannot be reached.
Result<std::unique_ptr<ResourceStore>> OpenPgResourceStore(PgResourceStoreOptions options);

}  // namespace sluice::engine
